"""VectorQuantizer: nearest codes, straight-through gradient, VQ loss, EMA (Lloyd step), restarts, usage, saving."""

import keras
import numpy as np
import pytest
from keras import ops

from vaebook import autodiff
from vaebook.layers import VectorQuantizer, code_perplexity, fraction_of_codes_used, squared_distances

K, D = 6, 3


def _data(n=40, seed=0):
    return np.random.default_rng(seed).normal(size=(n, D)).astype("float32")


def _quantizer(**kwargs):
    vq = VectorQuantizer(K, D, embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0, seed=1), **kwargs)
    vq.build((None, D))
    return vq


def _numpy_nearest(z, codebook):
    d = ((z[:, None, :] - codebook[None, :, :]) ** 2).sum(-1)  # brute force (N, K, D) is fine in a test
    return d.argmin(1)


def _grad_of_sum(fn, x, upstream):
    """d/dx of sum(upstream * fn(x)) on the active backend (vaebook's one autodiff dispatch)."""
    return autodiff.gradient(lambda v: ops.sum(ops.convert_to_tensor(upstream, v.dtype) * fn(v)), x)[0]


def test_squared_distances_equal_brute_force():
    z, e = _data(), _data(K, seed=3)
    expected = ((z[:, None, :] - e[None]) ** 2).sum(-1)
    np.testing.assert_allclose(ops.convert_to_numpy(squared_distances(z, e)), expected, rtol=1e-5, atol=1e-5)


def test_quantization_equals_numpy_nearest_neighbour():
    vq = _quantizer()
    z = _data().reshape(2, 4, 5, D)
    codebook = ops.convert_to_numpy(vq.embeddings)
    nearest = _numpy_nearest(z.reshape(-1, D), codebook)
    out = ops.convert_to_numpy(vq(z))
    np.testing.assert_allclose(out.reshape(-1, D), codebook[nearest], atol=1e-6)
    indices = ops.convert_to_numpy(vq.get_code_indices(z))
    assert indices.shape == (2, 4, 5)
    np.testing.assert_array_equal(indices.ravel(), nearest)
    np.testing.assert_allclose(ops.convert_to_numpy(vq.indices_to_vectors(indices)), out, atol=1e-6)


def test_straight_through_gradient_is_the_upstream_gradient():
    vq = _quantizer()
    z = _data(8)
    upstream = np.random.default_rng(5).normal(size=z.shape).astype("float32")
    grad = _grad_of_sum(lambda v: vq(v, training=False), z, upstream)
    np.testing.assert_allclose(grad, upstream, atol=1e-6)


@pytest.mark.parametrize("grid", [False, True])
@pytest.mark.parametrize("ema_decay", [None, 0.9])
def test_loss_value(ema_decay, grid):
    """The loss sums over an example's positions and code dimensions and averages over the batch."""
    vq = _quantizer(beta=0.3, ema_decay=ema_decay)
    z = _data()
    zq = ops.convert_to_numpy(vq.embeddings)[_numpy_nearest(z, ops.convert_to_numpy(vq.embeddings))]
    if grid:  # 40 vectors as 2 examples of a 4 x 5 grid
        z, zq = z.reshape(2, 4, 5, -1), zq.reshape(2, 4, 5, -1)
    vq(z, training=True)
    assert len(vq.losses) == 1
    per_example = np.sum((z - zq) ** 2) / len(z)
    factor = 1.3 if ema_decay is None else 0.3
    np.testing.assert_allclose(float(ops.convert_to_numpy(vq.losses[0])), factor * per_example, rtol=1e-5)


def test_no_loss_and_no_update_at_inference():
    vq = _quantizer(ema_decay=0.5)
    before = ops.convert_to_numpy(vq.embeddings).copy()
    vq(_data(), training=False)
    assert not vq.losses
    np.testing.assert_array_equal(ops.convert_to_numpy(vq.embeddings), before)


@pytest.mark.parametrize("epsilon,rtol", [(0.0, 1e-6), (1e-5, 1e-4)])
def test_ema_decay_zero_is_a_lloyd_step(epsilon, rtol):
    vq = _quantizer(ema_decay=0.0, epsilon=epsilon)
    z = _data(50)
    old = ops.convert_to_numpy(vq.embeddings).copy()
    assignment = _numpy_nearest(z, old)
    vq(z, training=True)
    new = ops.convert_to_numpy(vq.embeddings)
    used = np.unique(assignment)
    assert 1 < len(used)
    for k in range(K):
        if k in used:
            np.testing.assert_allclose(new[k], z[assignment == k].mean(0), rtol=rtol, atol=rtol)
        else:  # never assigned: keeps its value
            np.testing.assert_array_equal(new[k], old[k])


def test_ema_counts_and_sums_share_their_bias():
    """Counts and sums both start at 0, so their ratio needs no bias correction: with stable assignments every
    used code sits on its cluster mean after each step, for any decay."""
    centres = np.array([[5.0, 0, 0], [-5.0, 0, 0], [0, 5.0, 0]], "float32")
    rng = np.random.default_rng(0)
    vq = VectorQuantizer(
        3, D, ema_decay=0.9, epsilon=0.0, embeddings_initializer=keras.initializers.Constant(centres + 0.5)
    )
    for step in range(3):
        z = (centres[rng.integers(0, 3, 60)] + 0.3 * rng.normal(size=(60, D))).astype("float32")
        assignment = _numpy_nearest(z, centres)
        vq(z, training=True)
        new = ops.convert_to_numpy(vq.embeddings)
        sums = np.stack([z[assignment == k].sum(0) for k in range(3)])
        counts = np.bincount(assignment, minlength=3)[:, None]
        if step == 0:
            ema_sum, ema_count = 0.1 * sums, 0.1 * counts
        else:
            ema_sum, ema_count = 0.9 * ema_sum + 0.1 * sums, 0.9 * ema_count + 0.1 * counts
        np.testing.assert_allclose(new, ema_sum / ema_count, rtol=1e-5, atol=1e-5)
    assert np.abs(new - centres).max() < 0.2


def test_dead_code_is_restarted_at_an_encoder_output():
    init = np.random.default_rng(2).normal(size=(K, D)).astype("float32")
    init[4] = 100.0  # far from every data point: never the nearest code
    vq = VectorQuantizer(
        K, D, ema_decay=0.9, dead_code_threshold=0.5, seed=3, embeddings_initializer=keras.initializers.Constant(init)
    )
    z = _data(50)
    vq(z, training=True)
    new = ops.convert_to_numpy(vq.embeddings)
    distances = np.abs(z - new[4]).max(1)
    assert distances.min() < 1e-6, "the dead code should sit exactly on one encoder output of the batch"
    assert float(ops.convert_to_numpy(vq.restarts.value)) >= 1
    # a used code is not restarted
    assert np.abs(new[_numpy_nearest(z, init)[0]] - 100).min() > 1


def test_without_threshold_a_dead_code_stays_dead():
    init = np.random.default_rng(2).normal(size=(K, D)).astype("float32")
    init[4] = 100.0
    vq = VectorQuantizer(K, D, ema_decay=0.9, embeddings_initializer=keras.initializers.Constant(init))
    vq(_data(50), training=True)
    np.testing.assert_array_equal(ops.convert_to_numpy(vq.embeddings)[4], init[4])


def test_usage_statistics():
    indices = np.array([0, 1, 2, 3, 0, 1, 2, 3])
    np.testing.assert_allclose(float(code_perplexity(indices, 8)), 4.0, rtol=1e-5)
    np.testing.assert_allclose(float(fraction_of_codes_used(indices, 8)), 0.5)
    np.testing.assert_allclose(float(code_perplexity(np.zeros(10, "int32"), 8)), 1.0, rtol=1e-5)
    vq = _quantizer()
    z = _data()
    vq(z, training=True)
    assignment = _numpy_nearest(z, ops.convert_to_numpy(vq.embeddings))
    p = np.bincount(assignment, minlength=K) / len(z)
    expected = np.exp(-np.sum(p[p > 0] * np.log(p[p > 0])))
    np.testing.assert_allclose(float(ops.convert_to_numpy(vq.perplexity.value)), expected, rtol=1e-4)
    np.testing.assert_allclose(float(ops.convert_to_numpy(vq.codes_used.value)), np.mean(p > 0))


def _tiny_model(vq):
    inputs = keras.Input((4,))
    h = keras.layers.Dense(D)(inputs)
    outputs = keras.layers.Dense(4)(vq(h))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    return model


@pytest.mark.parametrize("ema_decay", [None, 0.5])
def test_fit_updates_the_codebook(ema_decay):
    kwargs = {} if ema_decay is None else {"ema_decay": ema_decay, "dead_code_threshold": 0.1}
    vq = VectorQuantizer(K, D, seed=0, **kwargs)
    model = _tiny_model(vq)
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    before = ops.convert_to_numpy(vq.embeddings).copy()
    history = model.fit(x, x, batch_size=16, epochs=2, verbose=0)
    after = ops.convert_to_numpy(vq.embeddings)
    assert np.all(np.isfinite(history.history["loss"]))
    assert np.abs(after - before).max() > 1e-4, "fit() must change the codebook"
    assert float(ops.convert_to_numpy(vq.steps.value)) == 8  # 4 batches x 2 epochs, each one update
    assert float(ops.convert_to_numpy(vq.perplexity.value)) >= 1.0
    if ema_decay is not None:
        assert float(ops.convert_to_numpy(ops.sum(vq.ema_count.value))) > 0


def test_keras_round_trip(tmp_path):
    vq = VectorQuantizer(K, D, beta=0.4, ema_decay=0.5, dead_code_threshold=0.1, seed=0)
    model = _tiny_model(vq)
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    model.fit(x, x, batch_size=16, epochs=1, verbose=0)
    path = tmp_path / "vq.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded.predict(x, verbose=0)), ops.convert_to_numpy(model.predict(x, verbose=0)), atol=1e-6
    )
    lvq = [layer for layer in loaded.layers if isinstance(layer, VectorQuantizer)][0]
    assert lvq.get_config() == vq.get_config()
    np.testing.assert_array_equal(ops.convert_to_numpy(lvq.embeddings), ops.convert_to_numpy(vq.embeddings))
    np.testing.assert_array_equal(ops.convert_to_numpy(lvq.usage.value), ops.convert_to_numpy(vq.usage.value))


def test_bad_input_fails_early():
    with pytest.raises(ValueError, match="inputs of shape"):
        _quantizer()(np.zeros((2, D + 1), "float32"))
    with pytest.raises(ValueError, match="needs an EMA codebook"):
        VectorQuantizer(K, D, dead_code_threshold=1.0)
    with pytest.raises(ValueError, match="ema_decay"):
        VectorQuantizer(K, D, ema_decay=1.0)
    with pytest.raises(ValueError, match="num_embeddings"):
        VectorQuantizer(0, D)
