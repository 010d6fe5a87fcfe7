"""vaebook._serialization (one config pattern for layers and models) and the seed check of vaebook._validation."""

import keras
import numpy as np
import pytest

from vaebook._serialization import DeclaredConfig, config_value, constructor_arguments
from vaebook._validation import check_seed


class _Scaled(DeclaredConfig, keras.layers.Layer):
    """A layer that stores its arguments under their own names (one of them checked, one an initializer)."""

    def __init__(self, units, shape=(2, 3), scale_initializer="ones", *extra, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)  # the checked value, not the raw one
        self.shape = tuple(shape)
        self.scale_initializer = keras.initializers.get(scale_initializer)
        self.seed = seed


def test_a_layer_saves_every_named_argument_of_its_constructor():
    assert constructor_arguments(_Scaled) == ("units", "shape", "scale_initializer", "seed")
    layer = _Scaled(np.int64(4), seed=3, name="scaled", dtype="float64")
    config = layer.get_config()
    assert config["name"] == "scaled" and config["units"] == 4 and type(config["units"]) is int
    assert config["shape"] == [2, 3] and config["seed"] == 3 and "dtype" in config
    assert config["scale_initializer"] == keras.initializers.serialize(keras.initializers.Ones())
    again = _Scaled.from_config(config)
    assert (again.units, again.shape, again.seed, again.name) == (4, (2, 3), 3, "scaled")
    assert isinstance(again.scale_initializer, keras.initializers.Ones)


def test_declared_config_keys_and_variables():
    class _Declared(_Scaled):
        config_keys = ("units",)

    assert set(_Declared(2).get_config()) - set(keras.layers.Layer().get_config()) == {"units"}
    assert config_value(keras.Variable(0.25)) == 0.25 and type(config_value(keras.Variable(0.25))) is float


def test_check_seed():
    assert check_seed(None) is None
    assert check_seed(np.int64(3)) == 3 and type(check_seed(np.int64(3))) is int
    assert check_seed(0) == 0
    for bad in (-1, 1.5, True, "0"):
        with pytest.raises(ValueError, match="seed must be a non-negative integer or None"):
            check_seed(bad)
    with pytest.raises(ValueError, match="^Sampling: seed"):
        check_seed(-2, where="Sampling")
