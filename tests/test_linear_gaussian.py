"""The linear-Gaussian model: closed forms against SciPy and brute force, and the VAE built on it."""

import keras
import numpy as np
import pytest
from scipy.stats import multivariate_normal

from vaebook import losses
from vaebook.linear_gaussian import (
    linear_gaussian_log_marginal,
    linear_gaussian_optimal_diagonal_posterior,
    linear_gaussian_posterior,
    linear_gaussian_sample,
)
from vaebook.models import VAE, build_linear_gaussian_vae

RNG = np.random.default_rng(0)
W = RNG.normal(size=(5, 2))
B = RNG.normal(size=5)
SIGMA = 0.5


def test_log_marginal_matches_scipy():
    x, _ = linear_gaussian_sample(7, W, B, SIGMA, seed=1)
    ref = multivariate_normal(mean=B, cov=W @ W.T + SIGMA**2 * np.eye(5)).logpdf(x)
    np.testing.assert_allclose(linear_gaussian_log_marginal(x, W, B, SIGMA), ref, rtol=1e-10)


def test_posterior_matches_gaussian_conditioning():
    x, _ = linear_gaussian_sample(3, W, B, SIGMA, seed=2)
    mean, cov = linear_gaussian_posterior(x, W, B, SIGMA)
    # joint of (z, x): cov [[I, Wᵀ], [W, C]]; condition z on x
    C = W @ W.T + SIGMA**2 * np.eye(5)
    np.testing.assert_allclose(cov, np.eye(2) - W.T @ np.linalg.solve(C, W), atol=1e-10)
    np.testing.assert_allclose(mean, (x - B) @ np.linalg.solve(C, W), atol=1e-10)
    # Bayes' rule: log p(x|z) + log p(z) − log p(z|x) = log p(x) for any z
    z = RNG.normal(size=(3, 2))
    log_px_z = multivariate_normal(np.zeros(5), SIGMA**2 * np.eye(5)).logpdf(x - z @ W.T - B)
    log_pz = multivariate_normal(np.zeros(2), np.eye(2)).logpdf(z)
    log_post = np.array([multivariate_normal(m, cov).logpdf(zi) for m, zi in zip(mean, z, strict=True)])
    np.testing.assert_allclose(log_px_z + log_pz - log_post, linear_gaussian_log_marginal(x, W, B, SIGMA), rtol=1e-9)


def test_vae_with_orthogonal_W_has_the_exact_posterior():
    Q, _ = np.linalg.qr(RNG.normal(size=(5, 2)))
    W_orth = Q * np.array([2.0, 0.7])  # orthogonal columns: the posterior covariance is diagonal
    vae = build_linear_gaussian_vae(W_orth, B, SIGMA, seed=0)
    x, _ = linear_gaussian_sample(6, W_orth, B, SIGMA, seed=3)
    mean, log_var = vae.encode(x)
    exact_mean, exact_cov = linear_gaussian_posterior(x, W_orth, B, SIGMA)
    np.testing.assert_allclose(mean, exact_mean, atol=1e-4)
    np.testing.assert_allclose(np.exp(log_var[0]), np.diag(exact_cov), rtol=1e-4)
    # then log p(x|z) + log p(z) − log q(z|x) equals log p(x) for every z (the VAE's Gaussian decoder is exact)
    z = (mean + RNG.normal(size=mean.shape)).astype(np.float32)
    log_w = (
        vae.log_likelihood(x, z)
        + keras.ops.convert_to_numpy(losses.standard_normal_log_prob(z))
        - keras.ops.convert_to_numpy(losses.gaussian_log_prob(z, mean, log_var))
    )
    np.testing.assert_allclose(log_w, linear_gaussian_log_marginal(x, W_orth, B, SIGMA), rtol=1e-4)


def test_optimal_diagonal_posterior_is_what_the_builder_installs():
    x, _ = linear_gaussian_sample(4, W, B, SIGMA, seed=4)
    vae = build_linear_gaussian_vae(W, B, SIGMA)
    mean, log_var = linear_gaussian_optimal_diagonal_posterior(x, W, B, SIGMA)
    got_mean, got_log_var = vae.encode(x)
    np.testing.assert_allclose(got_mean, mean, atol=1e-4)
    np.testing.assert_allclose(got_log_var, np.broadcast_to(log_var, got_log_var.shape), atol=1e-4)
    assert isinstance(vae, VAE) and vae.likelihood == "gaussian" and vae.decoder_sigma == SIGMA
    assert not vae.decoder.trainable_weights  # the decoder is frozen by default


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"b must have shape \(D,\) = \(5,\).*\(4,\)"):
        linear_gaussian_log_marginal(np.zeros((2, 5)), W, np.zeros(4), SIGMA)
    with pytest.raises(ValueError, match=r"x must have shape \(N, D\).*\(2, 3\)"):
        linear_gaussian_posterior(np.zeros((2, 3)), W, B, SIGMA)
    with pytest.raises(ValueError, match="sigma"):
        build_linear_gaussian_vae(W, B, 0.0)
    with pytest.raises(ValueError, match="encoder_init"):
        build_linear_gaussian_vae(W, B, SIGMA, encoder_init="exact")
