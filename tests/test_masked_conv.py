"""Masked convolutions: the masks, causality of A and B stacks (later pixels never change earlier outputs), saving."""

import keras
import numpy as np
import pytest
from keras import ops

from vaebook.layers import MaskedConv2D, MaskedResidualBlock, causal_mask


def test_masks():
    a, b = causal_mask((3, 3), "A"), causal_mask((3, 3), "B")
    np.testing.assert_array_equal(a, [[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(b, [[1, 1, 1], [1, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(causal_mask((1, 1), "A"), [[0]])
    with pytest.raises(ValueError, match="odd kernel"):
        causal_mask((2, 3), "A")
    with pytest.raises(ValueError, match="mask_type"):
        causal_mask((3, 3), "C")


def _stack():
    inputs = keras.Input((5, 6, 2))
    h = MaskedConv2D("A", 8, 3, activation="relu")(inputs)
    h = MaskedResidualBlock(8)(h)
    h = MaskedConv2D("B", 8, 5, activation="relu")(h)
    return keras.Model(inputs, MaskedConv2D("B", 3, 1)(h))


def test_a_then_b_stack_is_causal():
    """Changing pixel p never changes the output at p or at any pixel before p in raster order."""
    keras.utils.set_random_seed(0)
    model = _stack()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 5, 6, 2)).astype("float32")
    base = ops.convert_to_numpy(model(x))
    order = np.arange(30).reshape(5, 6)
    for p in (0, 14, 29):
        i, j = divmod(p, 6)
        x2 = x.copy()
        x2[0, i, j] += 3.0
        changed = np.abs(ops.convert_to_numpy(model(x2)) - base).max(-1)[0] > 1e-6
        assert not changed[order <= p].any(), f"changing pixel {p} changed an output at or before it"
        if p < 29:
            assert changed[order > p].any(), "the network should see earlier pixels (test must be able to fail)"


def test_mask_a_hides_the_centre_and_mask_b_keeps_it():
    x = np.zeros((1, 3, 3, 1), "float32")
    x[0, 1, 1] = 1.0
    for mask_type, expected in (("A", 0.0), ("B", 1.0)):
        layer = MaskedConv2D(mask_type, 1, 3, use_bias=False, kernel_initializer="ones")
        np.testing.assert_allclose(ops.convert_to_numpy(layer(x))[0, 1, 1, 0], expected)


def test_keras_round_trip(tmp_path):
    model = _stack()
    x = np.random.default_rng(1).normal(size=(2, 5, 6, 2)).astype("float32")
    path = tmp_path / "masked.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(ops.convert_to_numpy(loaded(x)), ops.convert_to_numpy(model(x)), atol=1e-5)
    assert loaded.layers[1].get_config()["mask_type"] == "A"


def test_bad_arguments():
    with pytest.raises(ValueError, match="padding"):
        MaskedConv2D("A", 4, 3, padding="valid")
    with pytest.raises(ValueError, match="odd kernel"):
        MaskedConv2D("B", 4, 2)
    with pytest.raises(ValueError, match=r"\(\.\.\., 8\)"):
        MaskedResidualBlock(8)(np.zeros((1, 3, 3, 4), "float32"))
