"""vaebook.models.DDPM: the schedule, the closed-form forward process, the loss, the sampler, round trip, errors."""

import keras
import numpy as np
import pytest
from keras import ops

from vaebook.models import DDPM, build_toy_ddpm, noise_schedule, timestep_embedding


def np_(t):
    return np.asarray(ops.convert_to_numpy(t))


def test_linear_schedule_is_ho_et_al_at_1000_steps_and_ends_in_noise_for_any_t():
    betas = noise_schedule(1000, "linear")
    np.testing.assert_allclose(betas[[0, -1]], [1e-4, 0.02])
    for t in (50, 100, 1000):
        alpha_bar_end = np.prod(1 - noise_schedule(t, "linear"))
        assert alpha_bar_end < 1e-3, (t, alpha_bar_end)
    # the end point depends on T (the docstring's and chapter 12's numbers): 4e-5, 2e-5, 8e-6 for T = 1000, 100, 50
    for t, stated in ((1000, 4e-5), (100, 2e-5), (50, 8e-6)):
        alpha_bar_end = np.prod(1 - noise_schedule(t, "linear"))
        assert abs(alpha_bar_end - stated) < 0.5e-5 if t > 50 else abs(alpha_bar_end - stated) < 0.5e-6, t
    assert np.max(noise_schedule(20, "linear")) == 0.999  # the clip
    # cosine: alpha_bar_t = f(t) / f(0) with f(t) = cos^2(((t / T) + s) / (1 + s) * pi / 2), away from the clip
    t_steps, s = 50, 0.008
    alpha_bar = np.cumprod(1 - noise_schedule(t_steps, "cosine"))
    f = np.cos((np.arange(1, t_steps + 1) / t_steps + s) / (1 + s) * np.pi / 2) ** 2
    f0 = np.cos(s / (1 + s) * np.pi / 2) ** 2
    np.testing.assert_allclose(alpha_bar[:-3], (f / f0)[:-3], rtol=1e-6)


def test_closed_form_forward_process_matches_iterating_the_one_step_kernel():
    ddpm = build_toy_ddpm(data_dim=2, num_steps=20, hidden=(8,), embedding_dim=4, seed=0)
    rng = np.random.default_rng(0)
    x0 = np.array([[1.5, -0.5]])
    x = np.repeat(x0, 20000, axis=0)
    t = 12
    for step in range(t + 1):  # 0-based steps 0..t: t + 1 applications of q(x_s | x_{s-1})
        x = np.sqrt(1 - ddpm.betas[step]) * x + np.sqrt(ddpm.betas[step]) * rng.standard_normal(x.shape)
    eps = rng.standard_normal((20000, 2)).astype("float32")
    closed = np_(ddpm.noisy(np.repeat(x0, 20000, 0).astype("float32"), np.full((20000,), t), eps))
    np.testing.assert_allclose(closed.mean(0), x.mean(0), atol=0.02)
    np.testing.assert_allclose(closed.var(0), x.var(0), rtol=0.05)
    np.testing.assert_allclose(closed.mean(0), np.sqrt(ddpm.alpha_bars[t]) * x0[0], atol=0.02)


def test_loss_is_the_summed_squared_noise_error_averaged_over_the_batch():
    ddpm = build_toy_ddpm(data_dim=3, num_steps=10, hidden=(8,), embedding_dim=6, seed=1)
    x = np.random.default_rng(1).normal(size=(5, 3)).astype("float32")
    out = ddpm(x)
    assert tuple(out["predicted_noise"].shape) == (5, 3) and tuple(out["t"].shape) == (5,)
    t = np_(out["t"])
    assert t.min() >= 0 and t.max() < 10
    expected = np.mean(np.sum((np_(out["noise"]) - np_(out["predicted_noise"])) ** 2, axis=1))
    np.testing.assert_allclose(np_(ddpm.compute_loss(x=x, y_pred=out)), expected, rtol=1e-5)
    # the prediction really is the denoiser on x_t = sqrt(abar) x + sqrt(1 - abar) eps
    x_t = np.sqrt(ddpm.alpha_bars[t])[:, None] * x + np.sqrt(1 - ddpm.alpha_bars[t])[:, None] * np_(out["noise"])
    np.testing.assert_allclose(
        np_(ddpm.predict_noise(x_t.astype("float32"), t)), np_(out["predicted_noise"]), rtol=1e-4, atol=1e-5
    )


def test_timestep_embedding_matches_numpy():
    t = np.array([0, 3, 9])
    emb = np_(timestep_embedding(t, 6, 10))
    freqs = np.exp(-np.log(10000.0) * np.arange(3) / 3)
    angles = t[:, None] * 100.0 * freqs[None]
    np.testing.assert_allclose(emb, np.c_[np.sin(angles), np.cos(angles)], rtol=1e-4, atol=1e-4)


def _zero_denoiser_ddpm(num_steps):
    ddpm = build_toy_ddpm(data_dim=1, num_steps=num_steps, hidden=(4,), embedding_dim=2, seed=0)
    for v in ddpm.denoiser.trainable_variables:
        v.assign(np.zeros(v.shape, "float32"))
    return ddpm


def test_sampler_follows_the_reverse_update():
    # With a denoiser that predicts no noise, x_{t-1} = x_t / sqrt(alpha_t) + sqrt(beta_t) z (no z at the last
    # step), so Var x_{t-1} = Var x_t / alpha_t + beta_t, starting from Var x_T = 1.
    ddpm = _zero_denoiser_ddpm(8)
    samples, trajectory = ddpm.sample(20000, seed=0, return_trajectory=True)
    assert samples.shape == (20000, 1) and len(trajectory) == 9
    var = 1.0
    for t in range(7, -1, -1):
        var = var / ddpm.alphas[t] + (ddpm.betas[t] if t > 0 else 0.0)
    np.testing.assert_allclose(samples.var(), var, rtol=0.04)
    np.testing.assert_array_equal(samples, ddpm.sample(20000, seed=0))


def test_ddpm_learns_a_shifted_gaussian():
    keras.utils.set_random_seed(0)
    x = (np.random.default_rng(0).normal(size=(2048, 2)) * 0.3 + [1.5, -1.0]).astype("float32")
    ddpm = build_toy_ddpm(data_dim=2, num_steps=20, hidden=(64, 64), embedding_dim=8, seed=0)
    ddpm.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = ddpm.fit(x, batch_size=128, epochs=20, verbose=0).history
    assert history["loss"][-1] < 0.6 * history["loss"][0]
    samples = ddpm.sample(1000, seed=1)
    assert np.linalg.norm(samples.mean(0) - [1.5, -1.0]) < 0.25, samples.mean(0)
    assert 0.1 < samples.std(0).mean() < 0.6, samples.std(0)


def test_keras_round_trip(tmp_path):
    ddpm = build_toy_ddpm(data_dim=2, num_steps=7, hidden=(8,), embedding_dim=4, schedule="cosine", seed=3)
    ddpm.compile(optimizer="adam")
    ddpm.fit(np.random.default_rng(0).normal(size=(64, 2)).astype("float32"), epochs=1, batch_size=32, verbose=0)
    path = tmp_path / "ddpm.keras"
    ddpm.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is DDPM
    for key in ("num_steps", "schedule", "seed"):
        assert loaded.get_config()[key] == ddpm.get_config()[key]
    np.testing.assert_allclose(loaded.betas, ddpm.betas)
    np.testing.assert_allclose(loaded.sample(5, seed=0), ddpm.sample(5, seed=0), rtol=1e-5, atol=1e-5)


def test_bad_arguments_raise_clear_errors():
    ddpm = build_toy_ddpm(data_dim=2, num_steps=5, hidden=(4,), embedding_dim=4)
    with pytest.raises(ValueError, match="schedule"):
        noise_schedule(10, "quadratic")
    with pytest.raises(ValueError, match="num_steps"):
        noise_schedule(0)
    with pytest.raises(ValueError, match="even"):
        timestep_embedding(np.zeros(2), 3, 10)
    with pytest.raises(ValueError, match="with 2 inputs"):
        DDPM(keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)]))
    with pytest.raises(ValueError, match="denoiser must be a keras.Model"):
        DDPM("denoiser")
    x_in, t_in = keras.Input((2,)), keras.Input((4,))
    wrong_out = keras.Model([x_in, t_in], keras.layers.Dense(3)(keras.layers.Concatenate()([x_in, t_in])))
    with pytest.raises(ValueError, match="output shape"):
        DDPM(wrong_out)
    with pytest.raises(ValueError, match="num_steps"):
        DDPM(ddpm.denoiser, num_steps=0)
    with pytest.raises(ValueError, match="positive integer"):
        ddpm.sample(0)
    with pytest.raises(ValueError, match="embedding_dim must be even"):
        build_toy_ddpm(embedding_dim=5)
    with pytest.raises(ValueError, match="sample_weight"):
        ddpm.compute_loss(x=np.zeros((2, 2), "float32"), sample_weight=np.ones(2))
