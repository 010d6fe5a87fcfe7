"""vaebook.metrics against the exact log p(x) of the linear-Gaussian model, and its properties on a VAE."""

import numpy as np
import pytest

from vaebook import metrics
from vaebook.linear_gaussian import linear_gaussian_log_marginal, linear_gaussian_posterior, linear_gaussian_sample
from vaebook.models import build_linear_gaussian_vae

RNG = np.random.default_rng(0)
W = RNG.normal(size=(6, 2)) * np.array([1.5, 1.0])
B = RNG.normal(size=6)
SIGMA = 0.6


@pytest.fixture(scope="module")
def model_and_data():
    vae = build_linear_gaussian_vae(W, B, SIGMA, seed=0)  # diagonal q: not the exact (correlated) posterior
    # Widen q to 1.5 times the posterior's marginal variances (the KL-optimal diagonal q is narrower than the
    # posterior, which makes the importance weights heavy-tailed: relative variance Var(w)/E[w]² ≈ 3.5 here,
    # measured with 400,000 draws; widened: ≈ 0.48). The K-sample estimate then has standard error about
    # sqrt(0.48 / K) ≈ 0.022 nats at K = 1000.
    _, cov = linear_gaussian_posterior(np.zeros((1, 6)), W, B, SIGMA)
    layer = vae.encoder.get_layer("log_var")
    kernel, _ = layer.get_weights()
    layer.set_weights([kernel, np.log(1.5 * np.diag(cov)).astype(np.float32)])
    x, _ = linear_gaussian_sample(40, W, B, SIGMA, seed=1)
    return vae, x, linear_gaussian_log_marginal(x, W, B, SIGMA)


def test_log_mean_exp_is_stable_and_correct():
    a = np.array([[1000.0, 1000.0], [-1000.0, -1000.0 + np.log(3.0)], [0.0, -np.inf]])
    out = np.asarray(metrics.log_mean_exp(a, axis=1))
    np.testing.assert_allclose(out, [1000.0, -1000.0 + np.log(2.0), np.log(0.5)], rtol=1e-6)
    assert np.asarray(metrics.log_mean_exp(np.full((1, 3), -np.inf), axis=1))[0] == -np.inf


def test_elbo_is_below_the_exact_log_likelihood(model_and_data):
    vae, x, exact = model_and_data
    bound = metrics.elbo(vae, x, num_samples=200)
    assert bound.shape == (40,)
    # the gap is KL(q ‖ p(z|x)) > 0 for a diagonal q and a correlated posterior; MC error is far smaller here
    gap = exact - bound
    assert np.all(gap > 0) and gap.mean() > 0.01, gap


def test_iwae_matches_the_exact_log_likelihood_and_is_above_the_elbo(model_and_data):
    vae, x, exact = model_and_data
    elbo = metrics.elbo(vae, x, num_samples=200)
    iwae = {
        k: metrics.importance_sampled_log_likelihood(vae, x, num_samples=k, batch_size=256, seed=3)
        for k in (1, 10, 1000)
    }
    # K = 1 is an unbiased one-sample estimate of the ELBO: agreement within 4 standard errors over 40 examples
    diff = iwae[1] - elbo
    assert abs(diff.mean()) < 4 * diff.std() / np.sqrt(len(diff)) + 1e-3, (diff.mean(), diff.std())
    # on average non-decreasing in K; at K = 1000 the error is ~N(0, 0.022²) per example: the mean error over
    # 40 examples within 0.02 nats (6 standard errors), every example within 0.12 nats (5.5 standard errors)
    means = [iwae[k].mean() for k in (1, 10, 1000)]
    assert means[0] < means[1] < means[2], means
    error = iwae[1000] - exact
    assert abs(error.mean()) < 0.02 and np.abs(error).max() < 0.12, (error.mean(), np.abs(error).max())
    assert np.all(iwae[1000] > elbo)


def test_iwae_chunking_does_not_change_the_estimate(model_and_data):
    vae, x, _ = model_and_data
    # the same seed and K: one chunk per example (batch_size < K) versus several examples per chunk
    a = metrics.importance_sampled_log_likelihood(vae, x[:5], num_samples=64, batch_size=16, seed=4)
    b = metrics.importance_sampled_log_likelihood(vae, x[:5], num_samples=64, batch_size=64, seed=4)
    assert a.shape == (5,) and np.all(np.isfinite(a))
    # different chunking draws the noise in a different order: agreement within the Monte Carlo error
    np.testing.assert_allclose(a, b, atol=0.05)
    c = metrics.importance_sampled_log_likelihood(vae, x[:5], num_samples=64, batch_size=16, seed=4)
    np.testing.assert_array_equal(a, c)  # same seed, same numbers


def test_active_units_and_kl_per_dimension():
    # dimension 0 carries x, dimension 1 has a zero column in W: its posterior mean ignores x
    W2 = np.array([[2.0, 0.0], [1.0, 0.0], [0.5, 0.0]])
    b2 = np.zeros(3)
    vae = build_linear_gaussian_vae(W2, b2, 0.5)
    x, _ = linear_gaussian_sample(200, W2, b2, 0.5, seed=5)
    activity = metrics.latent_activity(vae, x)
    assert activity[0] > 0.5 and activity[1] < 1e-8
    assert metrics.active_units(vae, x) == 1 and metrics.active_units(vae, x, threshold=10.0) == 0
    kl = metrics.kl_per_dimension(vae, x)
    assert kl.shape == (2,) and kl[0] > 0.5 and abs(kl[1]) < 1e-5
    mean, log_var = vae.encode(x)
    total = 0.5 * (mean**2 + np.exp(log_var) - 1 - log_var).sum(1).mean()
    np.testing.assert_allclose(kl.sum(), total, rtol=1e-5)


def test_bad_arguments(model_and_data):
    vae, x, _ = model_and_data
    with pytest.raises(ValueError, match="num_samples"):
        metrics.importance_sampled_log_likelihood(vae, x, num_samples=0)
    with pytest.raises(ValueError, match=r"shape \(N, \.\.\.\)"):
        metrics.elbo(vae, np.zeros((0, 6)))
    with pytest.raises(ValueError, match="one label per example"):
        metrics.elbo(vae, x, labels=[1, 2])


def test_conditional_models_get_their_labels():
    from vaebook.models import build_mnist_cvae

    cvae = build_mnist_cvae(latent_dim=2, filters=(2, 4), dense_units=8, seed=0)
    x = (np.random.default_rng(6).random((4, 28, 28, 1)) < 0.3).astype(np.float32)
    labels = np.array([0, 1, 2, 3])
    nll = metrics.importance_sampled_log_likelihood(cvae, x, num_samples=8, labels=labels)
    bound = metrics.elbo(cvae, x, labels=labels)
    assert nll.shape == bound.shape == (4,) and np.all(np.isfinite(nll)) and np.all(np.isfinite(bound))
    # the labels reach the model: other labels, other numbers (same seed, same noise)
    other = metrics.importance_sampled_log_likelihood(cvae, x, num_samples=8, labels=labels[::-1])
    assert not np.allclose(nll, other)
    assert metrics.kl_per_dimension(cvae, x, labels=labels).shape == (2,)
    assert 0 <= metrics.active_units(cvae, x, labels=labels) <= 2


# --- importance_log_weights: the same weights as importance_sampled_log_likelihood, as one backend computation --


def _tiny_vae():
    from vaebook.models import build_mnist_mlp_vae

    return build_mnist_mlp_vae(latent_dim=3, hidden=(8,), seed=0)


def test_importance_log_weights_match_the_numpy_estimator():
    vae = _tiny_vae()
    rng = np.random.default_rng(5)
    x = (rng.random((4, 28, 28, 1)) < 0.3).astype("float32")
    k = 16
    eps = np.random.default_rng(9).standard_normal((4, k, 3))  # the draw importance_sampled_... makes with seed 9
    from keras import ops

    log_w = ops.convert_to_numpy(metrics.importance_log_weights(vae, x, eps.astype("float32")))
    assert log_w.shape == (4, k)
    expected = metrics.importance_sampled_log_likelihood(vae, x, num_samples=k, batch_size=4 * k, seed=9)
    np.testing.assert_allclose(ops.convert_to_numpy(metrics.log_mean_exp(log_w, axis=1)), expected, rtol=1e-5)
    # each weight is its own example's: example 0 alone gives example 0's row
    alone = ops.convert_to_numpy(metrics.importance_log_weights(vae, x[:1], eps[:1].astype("float32")))
    np.testing.assert_allclose(alone[0], log_w[0], rtol=1e-5)


def test_importance_log_weights_reject_bad_input():
    vae = _tiny_vae()
    x = np.zeros((2, 28, 28, 1), "float32")
    with pytest.raises(ValueError, match="eps must have shape"):
        metrics.importance_log_weights(vae, x, np.zeros((2, 5), "float32"))
    with pytest.raises(ValueError, match="eps must have shape"):
        metrics.importance_log_weights(vae, x, np.zeros((3, 5, 3), "float32"))
    with pytest.raises(ValueError, match="eps must have shape"):
        metrics.importance_log_weights(vae, x, np.zeros((2, 5, 4), "float32"))
    with pytest.raises(ValueError, match="needs a vaebook.models.VAE"):
        metrics.importance_log_weights(object(), x, np.zeros((2, 5, 3), "float32"))
