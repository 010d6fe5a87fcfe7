"""VQVAE and build_mnist_vqvae: shapes, the loss decomposition, fit on every backend, index round trips, saving."""

import keras
import numpy as np
import pytest
from keras import ops

from vaebook.layers import VectorQuantizer
from vaebook.models import VQVAE, build_mnist_vqvae


def _images(n=32, seed=0):
    """Smooth images (outer products of sine waves), which a small model can learn quickly, unlike noise."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, np.pi, 28)
    rows = np.sin(rng.uniform(1, 3, (n, 1)) * t[None, :])
    cols = np.sin(rng.uniform(1, 3, (n, 1)) * t[None, :])
    return (0.5 + 0.5 * rows[:, :, None] * cols[:, None, :])[..., None].astype("float32")


@pytest.mark.parametrize("ema", [False, True])
def test_fit_improves_reconstructions_and_logs_usage(ema):
    keras.utils.set_random_seed(0)
    kwargs = dict(ema_decay=0.9, dead_code_threshold=0.5) if ema else dict(ema_decay=None, dead_code_threshold=None)
    model = build_mnist_vqvae(latent_dim=4, num_embeddings=8, filters=(4, 8), quantizer_options=kwargs, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    x = _images(64)
    history = model.fit(x, batch_size=32, epochs=6, verbose=0).history
    assert history["reconstruction"][-1] < 0.8 * history["reconstruction"][0]
    assert set(history) >= {"loss", "reconstruction", "vq_loss", "perplexity", "codes_used"}
    assert 1.0 <= history["perplexity"][-1] <= 8.0 and 0 < history["codes_used"][-1] <= 1.0
    np.testing.assert_allclose(
        np.array(history["loss"]), np.array(history["reconstruction"]) + np.array(history["vq_loss"]), rtol=1e-4
    )


def test_loss_is_reconstruction_plus_quantizer_loss():
    keras.utils.set_random_seed(0)
    model = build_mnist_vqvae(
        latent_dim=4,
        num_embeddings=8,
        filters=(4, 8),
        quantizer_options=dict(ema_decay=None, dead_code_threshold=None),
        data_variance=0.5,
    )
    x = _images(4)
    y_pred = model(x, training=True)
    loss = float(ops.convert_to_numpy(model.compute_loss(x, None, y_pred, training=True)))
    z_e = ops.convert_to_numpy(model.encoder(x))
    z_q = ops.convert_to_numpy(model.quantizer.indices_to_vectors(model.quantizer.get_code_indices(z_e)))
    n = len(x)  # sums over each image's pixels and code grid, mean over the batch
    expected = np.sum((x - ops.convert_to_numpy(y_pred)) ** 2) / 0.5 / n + 1.25 * np.sum((z_e - z_q) ** 2) / n
    np.testing.assert_allclose(loss, expected, rtol=1e-4)


def test_indices_round_trip():
    keras.utils.set_random_seed(0)
    model = build_mnist_vqvae(latent_dim=4, num_embeddings=8, filters=(4, 8))
    x = _images(5)
    codes = model.encode_indices(x, batch_size=2)
    assert codes.shape == (5, 7, 7) and codes.dtype == np.int32 and codes.max() < 8
    np.testing.assert_allclose(model.decode_indices(codes), ops.convert_to_numpy(model(x)), atol=1e-5)
    with pytest.raises(ValueError, match=r"\[0, 8\)"):
        model.decode_indices(codes + 8)


def test_keras_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    model = build_mnist_vqvae(latent_dim=4, num_embeddings=8, filters=(4, 8), seed=0)
    model.compile(optimizer="adam")
    x = _images(16)
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "vqvae.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, VQVAE) and isinstance(loaded.quantizer, VectorQuantizer)
    np.testing.assert_allclose(ops.convert_to_numpy(loaded(x)), ops.convert_to_numpy(model(x)), atol=1e-5)
    np.testing.assert_array_equal(loaded.encode_indices(x), model.encode_indices(x))
    assert loaded.quantizer.get_config() == model.quantizer.get_config()


def test_bad_arguments():
    enc = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="VectorQuantizer"):
        VQVAE(enc, enc, keras.layers.Dense(2))
    with pytest.raises(ValueError, match="data_variance"):
        VQVAE(enc, enc, VectorQuantizer(4, 2), data_variance=0)
