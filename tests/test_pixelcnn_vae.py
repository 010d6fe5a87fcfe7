"""PixelCNN-decoder VAE: causal decoder, exact log p(x|z), the VAE loss, sampling, saving, bad arguments."""

import keras
import numpy as np
import pytest
from keras import ops

from vaebook import losses, metrics
from vaebook.callbacks import KLAnnealing
from vaebook.models import PixelCNNVAE, build_mnist_conditioner, build_mnist_pixelcnn_vae

H = W = 6
LATENT = 3


def _small(num_residual_blocks=1, first_kernel_size=3, **kwargs):
    keras.utils.set_random_seed(0)
    x = keras.Input((H, W, 1))
    h = keras.layers.Flatten()(x)
    encoder = keras.Model(x, [keras.layers.Dense(LATENT)(h), keras.layers.Dense(LATENT)(h)])
    z = keras.Input((LATENT,))
    conditioner = keras.Model(z, keras.layers.Reshape((H, W, 4))(keras.layers.Dense(H * W * 4)(z)))
    return PixelCNNVAE(
        encoder,
        conditioner,
        filters=8,
        num_residual_blocks=num_residual_blocks,
        first_kernel_size=first_kernel_size,
        seed=0,
        **kwargs,
    )


def _images(n=16, seed=0):
    return (np.random.default_rng(seed).uniform(size=(n, H, W, 1)) < 0.3).astype("float32")


def test_decoder_is_causal():
    model = _small()
    x = _images(2)
    condition = model.conditioner(np.zeros((2, LATENT), "float32"))
    base = ops.convert_to_numpy(model.pixel_logits(x, condition))[..., 0]
    order = np.arange(H * W).reshape(H, W)
    for p in (0, 7, 20, H * W - 1):
        changed_x = x.copy()
        changed_x[:, p // W, p % W] = 1 - changed_x[:, p // W, p % W]
        changed = np.abs(ops.convert_to_numpy(model.pixel_logits(changed_x, condition))[..., 0] - base) > 1e-6
        assert not changed[:, order <= p].any()  # no pixel sees itself or a later one
        if p == 0:
            assert changed[:, order > p].any()  # ...but later pixels do see it


def test_log_likelihood_and_loss_agree_with_their_definitions():
    model = _small()
    x = _images(8)
    z = np.random.default_rng(1).standard_normal((8, LATENT)).astype("float32")
    logits = ops.convert_to_numpy(model.pixel_logits(x, model.conditioner(z)))
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    expected = np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))
    np.testing.assert_allclose(model.log_likelihood(x, z), expected, rtol=1e-4, atol=1e-3)
    out = model(x)
    loss = float(ops.convert_to_numpy(model.compute_loss(x, y_pred=out)))
    recon = np.mean(ops.convert_to_numpy(losses.bernoulli_nll(x, out["outputs"])))
    kl = np.mean(ops.convert_to_numpy(losses.gaussian_kl(out["mean"], out["log_var"])))
    assert np.isclose(loss, recon + kl, rtol=1e-5)


def test_training_lowers_the_loss_and_metrics_work():
    model = _small()
    x = np.tile(_images(16), (8, 1, 1, 1))
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    annealing = KLAnnealing(warmup_steps=4)
    history = model.fit(x, batch_size=32, epochs=4, verbose=0, callbacks=[annealing]).history
    assert history["loss"][-1] < history["loss"][0]
    assert annealing.betas[0] == (0, 0.0) and float(ops.convert_to_numpy(model.beta)) == 1.0
    elbo = metrics.elbo(model, x[:8], num_samples=32)
    log_px = metrics.importance_sampled_log_likelihood(model, x[:8], num_samples=32)
    assert elbo.shape == (8,) and np.mean(log_px) >= np.mean(elbo) - 0.05  # L_32 >= L_1 (Monte Carlo means)
    assert 0 <= metrics.active_units(model, x) <= LATENT


def test_decode_draws_binary_images_reproducibly_and_cropping_changes_nothing():
    model = _small(num_residual_blocks=1, first_kernel_size=3)
    assert model.receptive_rows == 2
    z = np.random.default_rng(0).standard_normal((5, LATENT)).astype("float32")
    a, b = model.decode(z, seed=3), model.decode(z, seed=3)
    assert a.shape == (5, H, W, 1) and set(np.unique(a)) <= {0.0, 1.0}
    np.testing.assert_array_equal(a, b)
    # reference: the same draws with full-image passes
    rng = np.random.default_rng(3)
    condition = ops.convert_to_numpy(model.conditioner(z))
    x = np.zeros((5, H, W, 1), "float32")
    for i in range(H):
        for j in range(W):
            logit = ops.convert_to_numpy(model.pixel_logits(x, condition))[:, i, j, 0].astype(np.float64)
            x[:, i, j, 0] = rng.uniform(size=5) < 1 / (1 + np.exp(-logit))
    np.testing.assert_array_equal(a, x)
    assert model.sample(2, seed=0).shape == (2, H, W, 1)
    assert model.reconstruct(_images(2)).shape == (2, H, W, 1)


def test_keras_round_trip(tmp_path):
    model = _small(free_bits=0.5, beta=0.7)
    x = _images(8)
    model.compile(optimizer="adam")
    model.fit(x, epochs=1, verbose=0)
    path = tmp_path / "pixel_vae.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, PixelCNNVAE)
    assert (loaded.filters, loaded.num_residual_blocks, loaded.first_kernel_size) == (8, 1, 3)
    assert loaded.free_bits == 0.5 and np.isclose(float(ops.convert_to_numpy(loaded.beta)), 0.7)
    z = np.ones((8, LATENT), "float32")
    np.testing.assert_allclose(loaded.log_likelihood(x, z), model.log_likelihood(x, z), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(loaded.encode(x)[0], model.encode(x)[0], atol=1e-5)


def test_mnist_builder_shapes():
    model = build_mnist_pixelcnn_vae(latent_dim=4, filters=8, num_residual_blocks=0, first_kernel_size=3)
    out = model(np.zeros((2, 28, 28, 1), "float32"))
    assert tuple(out["outputs"].shape) == (2, 28, 28, 1) and model.latent_dim == 4


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="odd"):
        _small(first_kernel_size=4)
    with pytest.raises(ValueError, match="num_residual_blocks"):
        _small(num_residual_blocks=-1)
    with pytest.raises(ValueError, match="filters"):
        build_mnist_pixelcnn_vae(latent_dim=2, filters=1)
    with pytest.raises(ValueError, match="channels"):
        build_mnist_conditioner(latent_dim=2, channels=0)
    x = keras.Input((H, W, 1))
    h = keras.layers.Flatten()(x)
    encoder = keras.Model(x, [keras.layers.Dense(LATENT)(h), keras.layers.Dense(LATENT)(h)])
    z = keras.Input((LATENT,))
    flat = keras.Model(z, keras.layers.Dense(H * W)(z))
    with pytest.raises(ValueError, match="feature map"):
        PixelCNNVAE(encoder, flat)
    wrong_grid = keras.Model(z, keras.layers.Reshape((H + 1, W, 1))(keras.layers.Dense((H + 1) * W)(z)))
    with pytest.raises(ValueError, match="grid"):
        PixelCNNVAE(encoder, wrong_grid)
    model = _small()
    with pytest.raises(ValueError, match="positive integer"):
        model.sample(0)
    with pytest.raises(ValueError, match="shape"):
        model.decode(np.zeros((2, LATENT + 1), "float32"))
    with pytest.raises(ValueError, match="one z per x"):
        model.log_likelihood(_images(2), np.zeros((3, LATENT), "float32"))
