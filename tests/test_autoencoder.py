"""The plain autoencoders: loss reduction, training, corruption only in training, penalties, configs, .keras files."""

import keras
import numpy as np
import pytest

from vaebook import autodiff
from vaebook.metrics import squared_reconstruction_error
from vaebook.models import (
    Autoencoder,
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    build_contractive_autoencoder,
    build_conv_autoencoder,
    build_dense_autoencoder,
    build_linear_autoencoder,
)


def _images(n=64, seed=0):
    """8×8 images in (0, 1) driven by two hidden factors (structure an autoencoder can learn), plus a little noise."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n, 2))
    pattern = np.random.default_rng(123).normal(size=(2, 64))
    x = 1.0 / (1.0 + np.exp(-(factors @ pattern))) + 0.02 * rng.normal(size=(n, 64))
    return np.clip(x, 0.0, 1.0).reshape(n, 8, 8, 1).astype("float32")


def test_squared_error_sums_over_pixels_per_example():
    x = np.zeros((2, 3, 2), "float32")
    x_hat = np.ones((2, 3, 2), "float32")
    x_hat[1] *= 2.0
    out = keras.ops.convert_to_numpy(squared_reconstruction_error(x, x_hat))
    np.testing.assert_allclose(out, [6.0, 24.0])
    with pytest.raises(ValueError, match="same shape"):
        squared_reconstruction_error(x, np.zeros((2, 6), "float32"))


def test_compute_loss_is_sum_over_pixels_mean_over_batch():
    model = build_dense_autoencoder((8, 8, 1), code_dim=3, hidden=(16,))
    x = _images(5)
    x_hat = model(x)
    expected = np.mean(np.sum((x - keras.ops.convert_to_numpy(x_hat)) ** 2, axis=(1, 2, 3)))
    loss = keras.ops.convert_to_numpy(model.compute_loss(x=x, y_pred=x_hat))
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    np.testing.assert_allclose(model.reconstruction_error(x).mean(), expected, rtol=1e-5)


@pytest.mark.parametrize("builder", [build_dense_autoencoder, build_conv_autoencoder, build_linear_autoencoder])
def test_fit_without_targets_lowers_the_loss(builder):
    keras.utils.set_random_seed(0)
    x = _images(128)
    model = builder((8, 8, 1), code_dim=4)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(x, epochs=8, batch_size=32, verbose=0)
    loss = history.history["loss"]
    assert loss[-1] < 0.5 * loss[0], loss
    assert model.encode(x).shape == (128, 4)
    assert model.decode(model.encode(x)).shape == x.shape


def test_linear_autoencoder_is_linear():
    model = build_linear_autoencoder((8, 8, 1), code_dim=3)
    a, b = _images(1, 1), _images(1, 2)
    f = lambda v: model.reconstruct(v) - model.reconstruct(np.zeros_like(v))  # noqa: E731
    np.testing.assert_allclose(f(a + 2 * b), f(a) + 2 * f(b), atol=1e-4)


def test_denoising_corrupts_only_in_training():
    model = build_dense_autoencoder(
        (8, 8, 1), code_dim=3, hidden=(16,), model_class=DenoisingAutoencoder, noise_level=0.5, seed=1
    )
    x = _images(4)
    clean = keras.ops.convert_to_numpy(model.decoder(model.encoder(x)))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x, training=False)), clean, atol=1e-6)
    assert np.abs(keras.ops.convert_to_numpy(model(x, training=True)) - clean).max() > 1e-3
    corrupted = keras.ops.convert_to_numpy(model.corrupt(x))
    assert corrupted.min() >= 0 and corrupted.max() <= 1  # clipped to the image range
    assert 0.2 < np.abs(corrupted - x).mean() < 0.5  # noise of std 0.5, partly clipped


def test_masking_noise_zeroes_about_the_right_fraction():
    model = build_dense_autoencoder(
        (8, 8, 1), code_dim=3, model_class=DenoisingAutoencoder, corruption="mask", noise_level=0.3, seed=2
    )
    x = np.ones((200, 8, 8, 1), "float32")
    zeroed = 1.0 - keras.ops.convert_to_numpy(model.corrupt(x)).mean()
    # 12800 Bernoulli(0.3) draws: standard error 0.004; 5 standard errors
    assert abs(zeroed - 0.3) < 0.02


def test_denoising_training_reduces_loss():
    keras.utils.set_random_seed(0)
    x = _images(128)
    model = build_dense_autoencoder((8, 8, 1), code_dim=8, model_class=DenoisingAutoencoder, noise_level=0.2, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    loss = model.fit(x, epochs=6, batch_size=32, verbose=0).history["loss"]
    assert loss[-1] < loss[0]


def test_sparse_penalty_is_l1_of_code_times_weight():
    model = build_dense_autoencoder(
        (8, 8, 1), code_dim=5, code_activation="relu", model_class=SparseAutoencoder, sparsity_weight=0.1
    )
    x = _images(6)
    code = model.encode(x)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.activity_penalty(x)), 0.1 * np.abs(code).sum(axis=1).mean(), rtol=1e-5
    )
    y_pred = model(x)
    plain = np.mean(np.sum((x - keras.ops.convert_to_numpy(y_pred)) ** 2, axis=(1, 2, 3)))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.compute_loss(x=x, y_pred=y_pred)),
        plain + 0.1 * np.abs(code).sum(axis=1).mean(),
        rtol=1e-5,
    )


def test_contractive_penalty_equals_autodiff_jacobian():
    model = build_contractive_autoencoder((3, 2, 1), code_dim=4, contraction_weight=0.5)
    x = _images(3)[:, :3, :2, :]
    closed = keras.ops.convert_to_numpy(model.jacobian_penalty(x))
    for b in range(3):
        jac = autodiff.jacobian(lambda t: model.encoder(keras.ops.reshape(t, (1, 3, 2, 1)))[0], x[b])
        np.testing.assert_allclose(closed[b], np.sum(jac**2), rtol=1e-4)


def test_contractive_rejects_other_encoders():
    dense = build_dense_autoencoder((8, 8, 1), code_dim=3)
    with pytest.raises(ValueError, match="one Dense layer with sigmoid"):
        ContractiveAutoencoder(dense.encoder, dense.decoder)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="code_dim"):
        build_dense_autoencoder((8, 8, 1), code_dim=0)
    with pytest.raises(ValueError, match="divisible by 4"):
        build_conv_autoencoder((10, 10, 1), code_dim=2)
    with pytest.raises(ValueError, match="corruption"):
        build_dense_autoencoder((8, 8, 1), model_class=DenoisingAutoencoder, corruption="salt")
    with pytest.raises(ValueError, match="encoder must be a keras Layer"):
        Autoencoder("not a model", keras.layers.Dense(2))
    with pytest.raises(ValueError, match="model_class"):
        build_linear_autoencoder((8, 8, 1), model_class=dict)
    with pytest.raises(ValueError, match="sparsity_weight"):
        build_dense_autoencoder((8, 8, 1), model_class=SparseAutoencoder, sparsity_weight=-1.0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: build_dense_autoencoder((8, 8, 1), code_dim=3, hidden=(16,)),
        lambda: build_conv_autoencoder((8, 8, 1), code_dim=3, filters=(4, 8)),
        lambda: build_linear_autoencoder((8, 8, 1), code_dim=3),
        lambda: build_dense_autoencoder(
            (8, 8, 1), code_dim=3, model_class=DenoisingAutoencoder, corruption="mask", noise_level=0.25, seed=3
        ),
        lambda: build_dense_autoencoder((8, 8, 1), code_dim=3, model_class=SparseAutoencoder, sparsity_weight=0.01),
        lambda: build_contractive_autoencoder((8, 8, 1), code_dim=3, contraction_weight=0.2),
    ],
)
def test_keras_file_round_trip(tmp_path, make):
    keras.utils.set_random_seed(0)
    model = make()
    x = _images(16)
    model.compile(optimizer="adam")
    model.fit(x, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    for key, value in model.get_config().items():
        if key not in ("encoder", "decoder"):
            assert loaded.get_config()[key] == value, key
    np.testing.assert_allclose(loaded.reconstruct(x), model.reconstruct(x), atol=1e-6)
    loaded.fit(x, epochs=1, batch_size=8, verbose=0)  # compiled state came back too


def test_psnr():
    from vaebook.metrics import peak_signal_to_noise_ratio

    x = np.zeros((2, 4, 4, 1))
    assert peak_signal_to_noise_ratio(x, x) == float("inf")
    np.testing.assert_allclose(peak_signal_to_noise_ratio(x, x + 0.1), 20.0)  # MSE 0.01 -> 20 dB
    np.testing.assert_allclose(
        peak_signal_to_noise_ratio(x, x + 0.05) - peak_signal_to_noise_ratio(x, x + 0.1), 20 * np.log10(2)
    )  # halving the error: +6.02 dB
    with pytest.raises(ValueError, match="same shape"):
        peak_signal_to_noise_ratio(x, x[:1])
