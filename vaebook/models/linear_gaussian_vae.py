"""A Keras VAE whose decoder is the linear-Gaussian model p(x|z) = N(W z + b, σ² I).

Its exact log p(x) and posterior (:mod:`vaebook.linear_gaussian`) make it the test bench of every VAE estimator:
the ELBO must stay below log p(x), and the importance-sampled estimate must approach it.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from vaebook.linear_gaussian import check_linear_gaussian
from vaebook.models.vae import VAE

__all__ = ["build_linear_gaussian_vae"]


def build_linear_gaussian_vae(
    W: Any,
    b: Any,
    sigma: float,
    encoder_init: str = "optimal",
    trainable_decoder: bool = False,
    seed: int | None = None,
    name: str = "linear_gaussian_vae",
) -> VAE:
    """A :class:`vaebook.models.VAE` whose decoder *is* the linear-Gaussian model p(x|z) = N(W z + b, σ² I).

    Decoder: ``Dense(D)`` with kernel Wᵀ and bias b (frozen unless ``trainable_decoder``), Gaussian likelihood
    with fixed ``decoder_sigma=sigma``. Encoder: a linear map for the mean, ``Dense(d)`` on x, and a log-variance
    head ``Dense(d)`` whose kernel starts at zero (so the variance starts independent of x, as in the exact
    posterior). With ``encoder_init="optimal"`` both heads start at the best diagonal Gaussian
    (:func:`linear_gaussian_optimal_diagonal_posterior`); with ``"random"`` at Keras's default initialization,
    for training.

    Args:
        W: array of shape (D, d).
        b: array of shape (D,).
        sigma: σ > 0.
        encoder_init: ``"optimal"`` or ``"random"``.
        trainable_decoder: whether ``fit`` may change W and b.
        seed: seed of the VAE's Sampling layer.
        name: model name.

    Returns:
        An uncompiled :class:`VAE` on inputs of shape (N, D).

    Used in: chapter 5, section "The ELBO as $q$ moves away from the posterior";
    chapter 10, section "Why: the linear VAE is probabilistic PCA".
    """
    if encoder_init not in ("optimal", "random"):
        raise ValueError(f"encoder_init must be 'optimal' or 'random'; got {encoder_init!r}.")
    W, b, sigma = check_linear_gaussian(W, b, sigma)
    D, d = W.shape
    x = keras.Input((D,), name="x")
    mean_layer = keras.layers.Dense(d, name="mean")
    log_var_layer = keras.layers.Dense(d, kernel_initializer="zeros", name="log_var")
    encoder = keras.Model(x, [mean_layer(x), log_var_layer(x)], name="encoder")
    z = keras.Input((d,), name="z")
    dense = keras.layers.Dense(D, name="linear", trainable=trainable_decoder)
    decoder = keras.Model(z, dense(z), name="decoder")
    dense.set_weights([W.T.astype(np.float32), b.astype(np.float32)])
    if encoder_init == "optimal":
        M = W.T @ W + sigma**2 * np.eye(d)
        A = W @ np.linalg.inv(M)  # mean = (x − b) A
        mean_layer.set_weights([A.astype(np.float32), (-b @ A).astype(np.float32)])
        log_var_layer.set_weights([np.zeros((D, d), np.float32), np.log(sigma**2 / np.diag(M)).astype(np.float32)])
    return VAE(encoder, decoder, likelihood="gaussian", decoder_sigma=sigma, seed=seed, name=name)
