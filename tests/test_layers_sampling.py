"""vaebook.layers.Sampling: the reparameterization trick."""

import keras
import numpy as np
import pytest

from vaebook.layers import LOG_VAR_MAX, LOG_VAR_MIN, Sampling


def test_samples_have_the_requested_moments():
    mean = np.tile(np.array([[1.0, -2.0]], dtype=np.float32), (20_000, 1))
    log_var = np.tile(np.log(np.array([[0.25, 4.0]], dtype=np.float32)), (20_000, 1))
    z = keras.ops.convert_to_numpy(Sampling(seed=0)([mean, log_var]))
    assert z.shape == mean.shape
    n = len(z)
    # 4 standard errors per coordinate: of the mean, sigma / sqrt(n) (0.0035 and 0.014); of the standard
    # deviation, relative 1 / sqrt(2 n) (0.005). A fixed seed, so a pass does not flicker.
    se_mean = np.array([0.5, 2.0]) / np.sqrt(n)
    assert np.all(np.abs(z.mean(0) - [1.0, -2.0]) < 4 * se_mean), (z.mean(0), se_mean)
    np.testing.assert_allclose(z.std(0), [0.5, 2.0], rtol=4 / np.sqrt(2 * n))


def test_same_seed_same_draws_and_fresh_draws_per_call():
    mean, log_var = np.zeros((4, 3), np.float32), np.zeros((4, 3), np.float32)
    a, b = Sampling(seed=7), Sampling(seed=7)
    za1, zb1 = a([mean, log_var]), b([mean, log_var])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(za1), keras.ops.convert_to_numpy(zb1))
    za2 = a([mean, log_var])
    assert not np.allclose(keras.ops.convert_to_numpy(za1), keras.ops.convert_to_numpy(za2))


def test_log_variance_is_clamped():
    mean = np.zeros((2, 2), np.float32)
    log_var = np.array([[1e4, 1e4], [-1e4, -1e4]], np.float32)  # exp would overflow / underflow
    z = keras.ops.convert_to_numpy(Sampling(seed=1)([mean, log_var]))
    assert np.all(np.isfinite(z))
    assert np.all(np.abs(z[0]) < 10 * np.exp(0.5 * LOG_VAR_MAX))
    assert np.all(np.abs(z[1]) < np.exp(0.5 * LOG_VAR_MIN) * 10)
    assert LOG_VAR_MIN == -30.0 and LOG_VAR_MAX == 20.0


def test_gradients_flow_through_sampling(backend):
    inputs = keras.Input((3,))
    mean = keras.layers.Dense(2, name="mean")(inputs)
    log_var = keras.layers.Dense(2, name="log_var")(inputs)
    z = Sampling(seed=0)([mean, log_var])
    model = keras.Model(inputs, z)
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss="mse",
        # XLA on TensorFlow and JAX; torch.compile costs ~45 s of compilation on a CPU, so eager there
        jit_compile=backend != "torch",
    )
    before = [w.copy() for w in model.get_weights()]
    x = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    model.fit(x, np.ones((64, 2), np.float32), epochs=1, batch_size=32, verbose=0)
    after = model.get_weights()
    # both the mean and the log-variance branch received gradients (through a jitted train step on TF and JAX)
    assert all(not np.allclose(b, a) for b, a in zip(before, after, strict=True))


def test_bad_inputs_raise():
    layer = Sampling(seed=0)
    with pytest.raises(ValueError, match=r"\[mean, log_var\]"):
        layer(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)"):
        layer([np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32)])
    with pytest.raises(ValueError, match="seed"):
        Sampling(seed=-1)


def test_keras_round_trip(tmp_path):
    inputs = keras.Input((3,))
    mean = keras.layers.Dense(2)(inputs)
    z = Sampling(seed=3, name="sampling")([mean, keras.layers.Dense(2)(inputs)])
    model = keras.Model(inputs, z)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    layer = loaded.get_layer("sampling")
    assert isinstance(layer, Sampling) and layer.seed == 3
    # same weights, same seed: the first draw repeats
    x = np.ones((2, 3), np.float32)
    fresh = keras.saving.load_model(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(fresh(x)), rtol=1e-6)
