"""vaebook.models.GAN: the stop-gradient loss gives each player its own gradient; learning, round trip, errors."""

import keras
import numpy as np
import pytest
from keras import ops

from vaebook.models import GAN, build_toy_gan


def np_(t):
    return np.asarray(ops.convert_to_numpy(t))


def gradients(loss_fn, variables):
    """d loss_fn() / d variables on the active backend, as NumPy arrays (zeros where a variable is unused)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = loss_fn()
        grads = tape.gradient(loss, [v.value for v in variables])
    elif backend == "torch":
        import torch

        loss = loss_fn()
        grads = torch.autograd.grad(loss, [v.value for v in variables], allow_unused=True)
    elif backend == "jax":
        import jax

        def pure(values):
            with keras.StatelessScope(state_mapping=list(zip(variables, values, strict=True))):
                return loss_fn()

        grads = jax.grad(pure)([v.value for v in variables])
    else:  # pragma: no cover
        pytest.skip(f"no gradient helper for {backend}")
    return [np.zeros(v.shape) if g is None else np_(g) for g, v in zip(grads, variables, strict=True)]


def softplus(a):
    return np.logaddexp(0.0, a)


def test_each_player_gets_the_gradient_of_its_own_loss():
    gan = build_toy_gan(data_dim=2, latent_dim=3, hidden=(8, 8), seed=0)
    rng = np.random.default_rng(0)
    x = ops.convert_to_tensor(rng.normal(size=(16, 2)).astype("float32"))
    z = ops.convert_to_tensor(rng.normal(size=(16, 3)).astype("float32"))

    def pred():
        fake = gan.generator(z)
        return {"real_logits": gan.discriminator(x), "fake": fake, "fake_logits": gan.discriminator(fake)}

    def total():
        return gan.compute_loss(x=x, y_pred=pred())

    def d_loss():  # written out independently of GAN.compute_loss
        fake = ops.stop_gradient(gan.generator(z))
        return ops.mean(ops.softplus(-gan.discriminator(x))) + ops.mean(ops.softplus(gan.discriminator(fake)))

    def g_loss():
        return ops.mean(ops.softplus(-gan.discriminator(gan.generator(z))))

    d_vars, g_vars = gan.discriminator.trainable_variables, gan.generator.trainable_variables
    for got, want in zip(gradients(total, d_vars), gradients(d_loss, d_vars), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    for got, want in zip(gradients(total, g_vars), gradients(g_loss, g_vars), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    # the generator's loss does reach the discriminator when written naively: the cancellation is not vacuous
    assert any(np.abs(g).max() > 1e-6 for g in gradients(g_loss, d_vars))
    # the loss value is L_D; the NumPy form of the logistic loss agrees
    out = pred()
    real, fake = np_(out["real_logits"]), np_(out["fake_logits"])
    np.testing.assert_allclose(np_(total()), softplus(-real).mean() + softplus(fake).mean(), rtol=1e-5)


def test_gan_learns_to_move_its_samples_to_the_data():
    keras.utils.set_random_seed(0)
    x = (np.random.default_rng(1).normal(size=(1024, 2)) * 0.2 + [3.0, -2.0]).astype("float32")
    gan = build_toy_gan(data_dim=2, latent_dim=2, hidden=(32, 32), seed=1)
    before = np.linalg.norm(gan.sample(500, seed=0).mean(0) - [3.0, -2.0])
    gan.compile(optimizer=keras.optimizers.Adam(3e-3, beta_1=0.5))
    history = gan.fit(x, batch_size=128, epochs=25, verbose=0).history
    after = np.linalg.norm(gan.sample(500, seed=0).mean(0) - [3.0, -2.0])
    assert {"loss", "discriminator_loss", "generator_loss", "d_real", "d_fake"} <= set(history)
    np.testing.assert_allclose(history["loss"], history["discriminator_loss"], rtol=1e-4)
    assert after < 0.25 * before and after < 0.5, (before, after)


def test_sample_is_seeded_and_shaped():
    gan = build_toy_gan(data_dim=3, latent_dim=4, hidden=(8,), seed=0)
    a, b = gan.sample(7, seed=3), gan.sample(7, seed=3)
    assert a.shape == (7, 3) and np.array_equal(a, b)
    assert not np.array_equal(a, gan.sample(7, seed=4))
    p = gan.discriminate(a)
    assert p.shape == (7,) and np.all((p > 0) & (p < 1))
    out = gan(np.zeros((5, 3), "float32"))
    assert tuple(out["fake"].shape) == (5, 3) and tuple(out["real_logits"].shape) == (5, 1)


def test_keras_round_trip(tmp_path):
    gan = build_toy_gan(data_dim=2, latent_dim=2, hidden=(8,), seed=7)
    gan.compile(optimizer="adam")
    gan.fit(np.random.default_rng(0).normal(size=(64, 2)).astype("float32"), epochs=1, batch_size=32, verbose=0)
    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is GAN and loaded.get_config()["seed"] == 7 and loaded.latent_dim == 2
    np.testing.assert_allclose(loaded.sample(10, seed=0), gan.sample(10, seed=0), rtol=1e-5, atol=1e-6)
    x = np.random.default_rng(2).normal(size=(6, 2)).astype("float32")
    np.testing.assert_allclose(loaded.discriminate(x), gan.discriminate(x), rtol=1e-5, atol=1e-6)


def test_bad_arguments_raise_clear_errors():
    gan = build_toy_gan(data_dim=2, latent_dim=2, hidden=(4,))
    g, d = gan.generator, gan.discriminator
    with pytest.raises(ValueError, match="generator must be a keras.Model"):
        GAN("not a model", d)
    with pytest.raises(ValueError, match="must be a built model"):
        GAN(g, keras.Sequential([keras.layers.Dense(1)]))
    wrong_input = build_toy_gan(data_dim=3, latent_dim=2, hidden=(4,)).discriminator
    with pytest.raises(ValueError, match="input shape"):
        GAN(g, wrong_input)
    two_logits = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="one logit"):
        GAN(g, two_logits)
    with pytest.raises(ValueError, match="seed"):
        GAN(g, d, seed=-1)
    with pytest.raises(ValueError, match="positive integer"):
        gan.sample(0)
    with pytest.raises(ValueError, match=r"z must have shape \(N, 2\)"):
        gan.generate(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="latent_dim"):
        build_toy_gan(latent_dim=0)
    with pytest.raises(ValueError, match="hidden"):
        build_toy_gan(hidden=(8, 0))
    with pytest.raises(ValueError, match="sample_weight"):
        gan.compute_loss(x=np.zeros((2, 2), "float32"), sample_weight=np.ones(2))
