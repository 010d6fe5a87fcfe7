"""The linear-Gaussian latent variable model (probabilistic PCA): a VAE whose log p(x) and posterior are exact.

The generative model, with latent dimension d and data dimension D,

    z ~ N(0, I_d),        x | z ~ N(W z + b, σ² I_D),        W ∈ R^{D×d}, b ∈ R^D, σ > 0,

has a Gaussian marginal and a Gaussian posterior in closed form (Tipping & Bishop, 1999):

    p(x)     = N(x | b, C),              C = W Wᵀ + σ² I_D,
    p(z | x) = N(z | M⁻¹ Wᵀ (x − b), σ² M⁻¹),   M = Wᵀ W + σ² I_d.

That makes it the test bench of every VAE estimator: the ELBO must stay below log p(x), and the
importance-sampled estimate must approach it. :func:`vaebook.models.build_linear_gaussian_vae`
builds a :class:`vaebook.models.VAE` whose decoder is exactly this model (a linear ``Dense`` layer and a fixed
Gaussian σ). The closed forms here use NumPy in float64: they are the reference, not part of a training graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vaebook._validation import check_integer

__all__ = [
    "check_linear_gaussian",
    "linear_gaussian_log_marginal",
    "linear_gaussian_posterior",
    "linear_gaussian_optimal_diagonal_posterior",
    "linear_gaussian_sample",
]


def check_linear_gaussian(W: Any, b: Any, sigma: Any, x: Any = None):
    """The model's parameters (and data ``x``, if given) as float64 arrays, or a ``ValueError`` naming the shapes:
    ``W`` of shape (D, d), ``b`` of shape (D,), ``sigma > 0``, ``x`` of shape (N, D)."""
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"W must be a matrix of shape (D, d); got shape {W.shape}.")
    D, _ = W.shape
    b = np.asarray(b, dtype=np.float64)
    if b.shape != (D,):
        raise ValueError(f"b must have shape (D,) = ({D},) to match W of shape {W.shape}; got shape {b.shape}.")
    if np.ndim(sigma) != 0 or not float(sigma) > 0:
        raise ValueError(f"sigma must be a positive number; got {sigma!r}.")
    if x is None:
        return W, b, float(sigma)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != D:
        raise ValueError(f"x must have shape (N, D) = (N, {D}) to match W of shape {W.shape}; got shape {x.shape}.")
    return W, b, float(sigma), x


def linear_gaussian_log_marginal(x: Any, W: Any, b: Any, sigma: float) -> np.ndarray:
    """Exact log p(x) of the linear-Gaussian model, per example: log N(x | b, W Wᵀ + σ² I).

        log p(x) = −½ [ D log(2π) + log det C + (x − b)ᵀ C⁻¹ (x − b) ],   C = W Wᵀ + σ² I_D

    Args:
        x: array of shape (N, D).
        W: array of shape (D, d), the decoder's weight matrix.
        b: array of shape (D,), the decoder's bias.
        sigma: the decoder's standard deviation σ > 0.

    Returns:
        float64 array of shape (N,), in nats.

    Raises:
        ValueError: if the shapes do not fit together or σ ≤ 0.

    Used in: chapter 5, section "The ELBO equals $\\log p(\\mathbf{x})$ when $q$ is the posterior, and the gap is
    the KL".
    """
    W, b, sigma, x = check_linear_gaussian(W, b, sigma, x)
    D = W.shape[0]
    C = W @ W.T + sigma**2 * np.eye(D)
    L = np.linalg.cholesky(C)
    r = np.linalg.solve(L, (x - b).T)  # L⁻¹ (x − b), shape (D, N)
    log_det = 2.0 * np.sum(np.log(np.diag(L)))
    return -0.5 * (D * np.log(2 * np.pi) + log_det + np.sum(r**2, axis=0))


def linear_gaussian_posterior(x: Any, W: Any, b: Any, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact posterior p(z | x) = N(M⁻¹ Wᵀ (x − b), σ² M⁻¹) with M = Wᵀ W + σ² I_d.

    Args:
        x: array of shape (N, D).
        W, b, sigma: the model's parameters, as in :func:`linear_gaussian_log_marginal`.

    Returns:
        ``(mean, cov)``: float64 arrays of shape (N, d) and (d, d); the covariance is the same for every x.

    Used in: chapter 5, section "The ELBO equals $\\log p(\\mathbf{x})$ when $q$ is the posterior, and the gap is
    the KL".
    """
    W, b, sigma, x = check_linear_gaussian(W, b, sigma, x)
    d = W.shape[1]
    M_inv = np.linalg.inv(W.T @ W + sigma**2 * np.eye(d))
    return (x - b) @ W @ M_inv, sigma**2 * M_inv


def linear_gaussian_optimal_diagonal_posterior(x: Any, W: Any, b: Any, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """The best diagonal Gaussian q(z|x) for this model: the minimizer of KL(q ‖ p(z|x)) over diagonal Gaussians.

    For a Gaussian target N(m, S), the reverse-KL-optimal diagonal Gaussian has mean m and variances
    1 / (S⁻¹)_ii; here S⁻¹ = M / σ², so the variances are σ² / M_ii. When W has orthogonal columns, M is
    diagonal and q equals the exact posterior: then the ELBO equals log p(x).

    Returns:
        ``(mean, log_var)``: float64 arrays of shape (N, d) and (d,).

    Used in: chapter 5, section "The ELBO equals $\\log p(\\mathbf{x})$ when $q$ is the posterior, and the gap is
    the KL".
    """
    W, b, sigma, x = check_linear_gaussian(W, b, sigma, x)
    d = W.shape[1]
    M = W.T @ W + sigma**2 * np.eye(d)
    return (x - b) @ W @ np.linalg.inv(M), np.log(sigma**2 / np.diag(M))


def linear_gaussian_sample(n: int, W: Any, b: Any, sigma: float, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` pairs from the model: z ~ N(0, I), x = W z + b + σ ε. Returns ``(x, z)`` as float32 arrays."""
    n = check_integer("n", n, minimum=0)
    W, b, sigma = check_linear_gaussian(W, b, sigma)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, W.shape[1]))
    x = z @ W.T + b + sigma * rng.standard_normal((n, W.shape[0]))
    return x.astype(np.float32), z.astype(np.float32)
