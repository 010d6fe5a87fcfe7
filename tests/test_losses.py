"""vaebook.losses against closed forms, NumPy references and Monte Carlo estimates."""

import math

import keras
import numpy as np
import pytest
from keras import ops

from vaebook import autodiff, losses


def np_(t):
    return keras.ops.convert_to_numpy(t)


def test_gaussian_kl_matches_monte_carlo():
    rng = np.random.default_rng(0)
    mean = rng.normal(size=(3, 4)).astype(np.float32)
    log_var = rng.normal(scale=0.5, size=(3, 4)).astype(np.float32)
    kl = np_(losses.gaussian_kl(mean, log_var))
    assert kl.shape == (3,)
    # Monte Carlo: KL = E_q[log q(z) - log p(z)], 200,000 draws per example
    n = 200_000
    z = mean[None] + np.exp(0.5 * log_var)[None] * rng.normal(size=(n, 3, 4))
    log_q = -0.5 * (np.log(2 * np.pi) + log_var[None] + (z - mean[None]) ** 2 / np.exp(log_var)[None]).sum(-1)
    log_p = -0.5 * (np.log(2 * np.pi) + z**2).sum(-1)
    diff = log_q - log_p
    estimate, stderr = diff.mean(0), diff.std(0) / np.sqrt(n)
    assert np.all(np.abs(kl - estimate) < 5 * stderr + 1e-4), (kl, estimate, stderr)


def test_gaussian_kl_known_values():
    np.testing.assert_allclose(np_(losses.gaussian_kl([[1.0]], [[0.0]])), [0.5], rtol=1e-6)
    np.testing.assert_allclose(np_(losses.gaussian_kl(np.zeros((2, 5)), np.zeros((2, 5)))), [0.0, 0.0])
    # KL(N(0, s^2) || N(0, 1)) = 0.5 (s^2 - 1 - log s^2), summed over 3 dimensions
    s2 = 4.0
    np.testing.assert_allclose(
        np_(losses.gaussian_kl(np.zeros((1, 3)), np.full((1, 3), math.log(s2)))),
        [1.5 * (s2 - 1 - math.log(s2))],
        rtol=1e-6,
    )


def test_gaussian_kl_per_dimension_sums_to_gaussian_kl():
    rng = np.random.default_rng(1)
    mean, log_var = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    per_dim = np_(losses.gaussian_kl_per_dimension(mean, log_var))
    assert per_dim.shape == (5, 3) and per_dim.min() >= 0
    np.testing.assert_allclose(per_dim.sum(-1), np_(losses.gaussian_kl(mean, log_var)), rtol=1e-5)


def test_free_bits_kl_clamps_the_batch_mean_per_dimension():
    # dimension 0: KL 0.5 per example (mean 1, var 1); dimension 1: KL 0 (posterior = prior)
    mean = np.array([[1.0, 0.0], [-1.0, 0.0]], dtype=np.float32)
    log_var = np.zeros((2, 2), dtype=np.float32)
    np.testing.assert_allclose(np_(losses.free_bits_kl(mean, log_var, 0.0)), 0.5, rtol=1e-6)
    np.testing.assert_allclose(np_(losses.free_bits_kl(mean, log_var, 0.2)), 0.5 + 0.2, rtol=1e-6)
    np.testing.assert_allclose(np_(losses.free_bits_kl(mean, log_var, 1.0)), 2.0, rtol=1e-6)
    # the clamp acts on the batch mean, not per example: KLs 0 and 2 average to 1 > 0.8
    mean2 = np.array([[0.0], [2.0]], dtype=np.float32)
    np.testing.assert_allclose(np_(losses.free_bits_kl(mean2, np.zeros((2, 1)), 0.8)), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="free_bits"):
        losses.free_bits_kl(mean, log_var, -1.0)


def test_free_bits_kl_has_no_gradient_through_clamped_dimensions(backend):
    mean = np.array([[1.0, 0.01]], dtype=np.float32)
    log_var = np.zeros((1, 2), dtype=np.float32)
    grad = _grad(lambda m: losses.free_bits_kl(m, log_var, 0.1), mean)
    np.testing.assert_allclose(grad, [[1.0, 0.0]], atol=1e-6)  # d/dmu of mu^2/2 in dim 0; dim 1 is clamped


def _grad(fn, value):
    """Gradient of a scalar function of one tensor, on the active backend (vaebook's one autodiff dispatch)."""
    return autodiff.gradient(fn, value)[0]


def test_bernoulli_nll_matches_numpy_and_is_stable():
    rng = np.random.default_rng(2)
    x = (rng.random((4, 3, 3, 1)) < 0.5).astype(np.float32)
    logits = rng.normal(scale=3.0, size=x.shape).astype(np.float32)
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    ref = -(x * np.log(p) + (1 - x) * np.log(1 - p)).reshape(4, -1).sum(-1)
    out = np_(losses.bernoulli_nll(x, logits))
    assert out.shape == (4,)
    np.testing.assert_allclose(out, ref, rtol=1e-5)
    # extreme logits: finite, and equal to |logit| when the prediction is confidently wrong
    big = np.array([[100.0, -100.0]], dtype=np.float32)
    np.testing.assert_allclose(np_(losses.bernoulli_nll(np.array([[0.0, 1.0]]), big)), [200.0], rtol=1e-6)
    np.testing.assert_allclose(np_(losses.bernoulli_nll(np.array([[1.0, 0.0]]), big)), [0.0], atol=1e-6)


def test_gaussian_nll_matches_numpy_with_constants():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 5)).astype(np.float32)
    mean = rng.normal(size=(3, 5)).astype(np.float32)
    for sigma in (1.0, 0.3, rng.uniform(0.5, 2.0, size=(5,)).astype(np.float32)):
        ref = (0.5 * ((x - mean) / sigma) ** 2 + np.log(sigma) + 0.5 * np.log(2 * np.pi)).sum(-1)
        np.testing.assert_allclose(np_(losses.gaussian_nll(x, mean, sigma)), ref, rtol=1e-5)
    # a scalar-tensor sigma and a per-pixel sigma broadcast over the batch give the same numbers
    s = np.full((1, 5), 0.7, dtype=np.float32)
    np.testing.assert_allclose(
        np_(losses.gaussian_nll(x, mean, s)), np_(losses.gaussian_nll(x, mean, ops.convert_to_tensor(0.7))), rtol=1e-6
    )


def test_log_probs_match_scipy():
    from scipy.stats import norm

    rng = np.random.default_rng(4)
    z, mean, log_var = (rng.normal(size=(4, 3)).astype(np.float32) for _ in range(3))
    ref = norm.logpdf(z, loc=mean, scale=np.exp(0.5 * log_var)).sum(-1)
    np.testing.assert_allclose(np_(losses.gaussian_log_prob(z, mean, log_var)), ref, rtol=1e-5)
    np.testing.assert_allclose(np_(losses.standard_normal_log_prob(z)), norm.logpdf(z).sum(-1), rtol=1e-5)
    # log q(z) - log p(z) averages to the closed-form KL: consistency between the functions
    np.testing.assert_allclose(
        np_(losses.gaussian_log_prob(mean, mean, np.zeros_like(mean)) - losses.standard_normal_log_prob(mean)),
        0.5 * (mean**2).sum(-1),
        rtol=1e-5,
    )


@pytest.mark.parametrize(
    "fn, args",
    [
        (losses.gaussian_kl, (np.zeros((2, 3)), np.zeros((2, 4)))),
        (losses.bernoulli_nll, (np.zeros((2, 3)), np.zeros((3, 2)))),
        (losses.gaussian_nll, (np.zeros((2, 3)), np.zeros((2, 3, 1)), 1.0)),
        (losses.gaussian_log_prob, (np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 2)))),
    ],
)
def test_shape_mismatch_names_both_shapes(fn, args):
    with pytest.raises(ValueError, match=r"shape.*\(2, 3\).*\(.*\)"):
        fn(*args)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match=r"sigma must be > 0"):
        losses.gaussian_nll(np.zeros((2, 3)), np.zeros((2, 3)), 0.0)
    with pytest.raises(ValueError, match=r"broadcastable.*\(2, 3\).*\(4,\)"):
        losses.gaussian_nll(np.zeros((2, 3)), np.zeros((2, 3)), np.ones(4))
    with pytest.raises(ValueError, match=r"batch axis.*\(3,\)"):
        losses.gaussian_kl(np.zeros(3), np.zeros(3))
