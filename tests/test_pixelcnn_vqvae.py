"""PixelCNN-decoder VQ-VAE: shapes, the loss against its definition, training, exact log p(x|c), sampling,
saving, the constant KL, bad arguments."""

import math

import keras
import numpy as np
import pytest
from keras import ops

from vaebook.layers import VectorQuantizer
from vaebook.models import PixelCNNVQVAE, build_mnist_pixelcnn_vqvae

H = W = 6
D, K = 3, 8


def _small(num_residual_blocks=1, first_kernel_size=3, ema=True, **kwargs):
    """6×6 images → a 3×3 grid of 3-vectors → 8 codes → a 6×6×4 feature map → a tiny PixelCNN."""
    keras.utils.set_random_seed(0)
    x = keras.Input((H, W, 1))
    encoder = keras.Model(x, keras.layers.Conv2D(D, 2, strides=2)(x))
    grid = keras.Input((3, 3, D))
    conditioner = keras.Model(grid, keras.layers.Conv2DTranspose(4, 2, strides=2)(grid))
    vq = dict(ema_decay=0.9, dead_code_threshold=0.5) if ema else dict(ema_decay=None)
    quantizer = VectorQuantizer(K, D, beta=0.25, seed=0, **vq)
    return PixelCNNVQVAE(
        encoder,
        quantizer,
        conditioner,
        filters=8,
        num_residual_blocks=num_residual_blocks,
        first_kernel_size=first_kernel_size,
        **kwargs,
    )


def _images(n=16, seed=0):
    return (np.random.default_rng(seed).uniform(size=(n, H, W, 1)) < 0.3).astype("float32")


def _bernoulli_log_p(x, logits):
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    return np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))


def test_shapes_codes_and_the_constant_kl():
    model = _small()
    x = _images(5)
    assert tuple(model(x).shape) == (5, H, W, 1)
    codes = model.encode_indices(x, batch_size=2)
    assert codes.shape == (5, 3, 3) and codes.dtype == np.int32 and 0 <= codes.min() and codes.max() < K
    assert model.grid_shape == (3, 3) and np.isclose(model.uniform_prior_kl, 9 * math.log(8))
    mnist = build_mnist_pixelcnn_vqvae(latent_dim=4, num_embeddings=128, filters=8, num_residual_blocks=0)
    assert tuple(mnist(np.zeros((2, 28, 28, 1), "float32")).shape) == (2, 28, 28, 1)
    assert mnist.grid_shape == (7, 7) and abs(mnist.uniform_prior_kl - 237.75) < 0.01  # 49 log 128
    # the builder's quantizer_options reach the quantizer, its **kwargs the model
    assert mnist.name == "mnist_pixelcnn_vqvae" and mnist.quantizer.ema_decay == 0.99 and mnist.num_residual_blocks == 0
    plain = build_mnist_pixelcnn_vqvae(4, 8, quantizer_options=dict(ema_decay=None, dead_code_threshold=None), name="p")
    assert plain.quantizer.ema_decay is None and plain.quantizer.dead_code_threshold is None and plain.name == "p"
    assert plain.num_embeddings == 8 and plain.first_kernel_size == 7


def _reference(model, x, book):
    """Nearest codes by brute force, the quantized grid, and −log p(x | c) from teacher-forced logits."""
    z_e = ops.convert_to_numpy(model.encoder(x))
    codes = np.argmin(((z_e[..., None, :] - book) ** 2).sum(-1), axis=-1)
    logits = ops.convert_to_numpy(model.pixel_logits(x, model.conditioner(book[codes])))
    return z_e, codes, -_bernoulli_log_p(x, logits)  # the NLL summed over pixels


@pytest.mark.parametrize("ema", [False, True])
def test_loss_and_log_likelihood_equal_their_definitions(ema):
    model = _small(ema=ema)
    x = _images(4)
    book = ops.convert_to_numpy(model.quantizer.embeddings)  # before the call: an EMA step then moves the codes
    logits = model(x, training=True)
    loss = float(ops.convert_to_numpy(model.compute_loss(x, None, logits, training=True)))
    z_e, codes, recon = _reference(model, x, book)
    commitment = np.sum((z_e - book[codes]) ** 2, axis=(1, 2, 3))  # sum over grid and code dimensions
    vq = (0.25 if ema else 1.25) * commitment  # EMA: commitment only; else codebook + commitment
    np.testing.assert_allclose(loss, np.mean(recon + vq), rtol=1e-4)  # mean over the batch
    _, codes, recon = _reference(model, x, ops.convert_to_numpy(model.quantizer.embeddings))  # codebook now
    np.testing.assert_array_equal(model.encode_indices(x), codes)
    np.testing.assert_allclose(model.log_likelihood(x, codes), -recon, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(model.reconstruction_nll(x), recon, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(model.nll_bound(x), recon + 9 * math.log(8), rtol=1e-4, atol=1e-3)
    prior = np.random.default_rng(0).dirichlet(np.ones(K), size=(3, 3))  # independent positions
    expected = recon - np.array([sum(np.log(prior[i, j, c[i, j]]) for i in range(3) for j in range(3)) for c in codes])
    np.testing.assert_allclose(model.nll_bound(x, np.log(prior)), expected, rtol=1e-4, atol=1e-3)


def test_decoder_is_causal_in_the_image_and_uses_the_code():
    model = _small(num_residual_blocks=1)
    x = _images(2)
    condition = model.conditioner(model.quantizer.indices_to_vectors(np.zeros((2, 3, 3), "int32")))
    base = ops.convert_to_numpy(model.pixel_logits(x, condition))[..., 0]
    order = np.arange(H * W).reshape(H, W)
    for p in (0, 13, H * W - 1):
        flipped = x.copy()
        flipped[:, p // W, p % W] = 1 - flipped[:, p // W, p % W]
        changed = np.abs(ops.convert_to_numpy(model.pixel_logits(flipped, condition))[..., 0] - base) > 1e-6
        assert not changed[:, order <= p].any()
    other = model.conditioner(model.quantizer.indices_to_vectors(np.full((2, 3, 3), 5, "int32")))
    assert np.abs(ops.convert_to_numpy(model.pixel_logits(x, other)) - base[..., None]).max() > 1e-4


def test_training_lowers_the_loss_and_logs_usage():
    model = _small()
    x = np.tile(_images(16), (8, 1, 1, 1))
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(x, batch_size=32, epochs=4, verbose=0).history
    assert set(history) >= {"loss", "reconstruction", "vq_loss", "perplexity", "codes_used"}
    assert history["loss"][-1] < 0.9 * history["loss"][0]
    assert 1.0 <= history["perplexity"][-1] <= K and 0 < history["codes_used"][-1] <= 1.0
    np.testing.assert_allclose(
        np.array(history["loss"]), np.array(history["reconstruction"]) + np.array(history["vq_loss"]), rtol=1e-4
    )


def test_decode_draws_binary_images_reproducibly_like_full_passes():
    model = _small(num_residual_blocks=1, first_kernel_size=3)
    assert model.receptive_rows == 2
    codes = np.random.default_rng(0).integers(0, K, (5, 3, 3))
    a, b = model.decode_indices(codes, seed=3, batch_size=2), model.decode_indices(codes, seed=3, batch_size=2)
    assert a.shape == (5, H, W, 1) and set(np.unique(a)) <= {0.0, 1.0}
    np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(3)  # reference: full-image passes, the same draws in the same order
    ref = []
    for start in (0, 2, 4):
        condition = model.conditioner(model.quantizer.indices_to_vectors(codes[start : start + 2]))
        xb = np.zeros((len(codes[start : start + 2]), H, W, 1), "float32")
        for i in range(H):
            for j in range(W):
                logit = ops.convert_to_numpy(model.pixel_logits(xb, condition))[:, i, j, 0].astype(np.float64)
                xb[:, i, j, 0] = rng.uniform(size=len(xb)) < 1 / (1 + np.exp(-logit))
        ref.append(xb)
    np.testing.assert_array_equal(a, np.concatenate(ref))
    assert model.reconstruct(_images(2)).shape == (2, H, W, 1)


def test_keras_round_trip(tmp_path):
    model = _small(num_residual_blocks=2, first_kernel_size=5)
    x = _images(16)
    model.compile(optimizer="adam")
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "pixel_vqvae.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, PixelCNNVQVAE) and isinstance(loaded.quantizer, VectorQuantizer)
    assert (loaded.filters, loaded.num_residual_blocks, loaded.first_kernel_size) == (8, 2, 5)
    assert loaded.quantizer.get_config() == model.quantizer.get_config()
    np.testing.assert_array_equal(loaded.encode_indices(x), model.encode_indices(x))
    np.testing.assert_allclose(ops.convert_to_numpy(loaded(x)), ops.convert_to_numpy(model(x)), atol=1e-5)
    codes = model.encode_indices(x)
    np.testing.assert_allclose(loaded.log_likelihood(x, codes), model.log_likelihood(x, codes), atol=1e-4)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="odd"):
        _small(first_kernel_size=4)
    with pytest.raises(ValueError, match="num_residual_blocks"):
        _small(num_residual_blocks=-1)
    with pytest.raises(ValueError, match="filters"):
        build_mnist_pixelcnn_vqvae(latent_dim=2, filters=1)
    with pytest.raises(ValueError, match="num_embeddings"):
        build_mnist_pixelcnn_vqvae(latent_dim=2, num_embeddings=0)
    with pytest.raises(TypeError, match="usage"):  # quantizer_options are build_mnist_quantizer's arguments
        build_mnist_pixelcnn_vqvae(latent_dim=2, quantizer_options=dict(usage=0.5))
    x = keras.Input((H, W, 1))
    encoder = keras.Model(x, keras.layers.Conv2D(D, 2, strides=2)(x))
    grid = keras.Input((3, 3, D))
    conditioner = keras.Model(grid, keras.layers.Conv2DTranspose(4, 2, strides=2)(grid))
    with pytest.raises(ValueError, match="VectorQuantizer"):
        PixelCNNVQVAE(encoder, "codebook", conditioner)
    with pytest.raises(ValueError, match="embedding_dim"):
        PixelCNNVQVAE(encoder, VectorQuantizer(K, D + 1), conditioner)
    other_grid = keras.Input((2, 2, D))
    with pytest.raises(ValueError, match="encoder's grid"):
        PixelCNNVQVAE(encoder, VectorQuantizer(K, D), keras.Model(other_grid, keras.layers.Dense(4)(other_grid)))
    with pytest.raises(ValueError, match="feature map"):
        PixelCNNVQVAE(encoder, VectorQuantizer(K, D), keras.Model(grid, keras.layers.Dense(4)(grid)))
    model = _small()
    with pytest.raises(ValueError, match=r"shape \(N, 3, 3\)"):
        model.decode_indices(np.zeros((2, 4, 4), "int32"))
    with pytest.raises(ValueError, match=r"\[0, 8\)"):
        model.decode_indices(np.full((2, 3, 3), K))
    with pytest.raises(ValueError, match="integer"):
        model.decode_indices(np.zeros((2, 3, 3), "float32"))
    with pytest.raises(ValueError, match="one code map per image"):
        model.log_likelihood(_images(2), np.zeros((3, 3, 3), "int32"))
    with pytest.raises(ValueError, match="grid × codes"):
        model.nll_bound(_images(2), np.zeros((3, 3, K + 1)))
    with pytest.raises(ValueError, match="sum to 1"):
        model.nll_bound(_images(2), np.zeros((3, 3, K)))
    with pytest.raises(ValueError, match="images must have shape"):
        model.encode_indices(np.zeros((2, H + 1, W, 1), "float32"))
