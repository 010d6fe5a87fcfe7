"""Per-example log densities, likelihoods and KL divergences of the VAE family, in nats.

Every function here takes a leading *batch* axis and returns one number per example (shape ``(batch,)``),
summed over every other axis (pixels, channels, latent dimensions). Averaging over the batch is left to the
caller, so that the reduction is always visible where a loss is assembled (:class:`vaebook.models.VAE` takes
the mean over the batch). The one exception is :func:`free_bits_kl`, whose definition needs the batch average
inside the clamp, and which therefore returns a scalar.

All functions use only ``keras.ops``, so they run on TensorFlow, JAX and PyTorch, inside and outside ``jit``.
Inputs whose shapes disagree raise ``ValueError`` naming both shapes (checked on the static shapes; a dimension
unknown at trace time is not checked).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from keras import backend, ops

__all__ = [
    "LOG_2PI",
    "batch_mean_of_sums",
    "gaussian_kl",
    "gaussian_kl_per_dimension",
    "free_bits_kl",
    "bernoulli_nll",
    "gaussian_nll",
    "gaussian_log_prob",
    "standard_normal_log_prob",
]

LOG_2PI = math.log(2.0 * math.pi)
"""log(2π), the constant in every normalized Gaussian log density."""


def _static_shape(t: Any) -> tuple:
    return tuple(None if d is None else int(d) for d in t.shape)


def _as_float(t: Any, dtype: Any = None):
    """A tensor of a floating dtype: ``dtype`` if given, else the tensor's own float dtype, else floatx."""
    t = ops.convert_to_tensor(t)
    if dtype is None:
        dtype = backend.standardize_dtype(t.dtype)
        if "float" not in dtype:
            dtype = backend.floatx()
    if backend.standardize_dtype(t.dtype) != backend.standardize_dtype(dtype):
        t = ops.cast(t, dtype)
    return t


def _check_batched(fn: str, name: str, t: Any, min_rank: int = 2) -> None:
    shape = _static_shape(t)
    if len(shape) < min_rank:
        raise ValueError(
            f"{fn}: {name} must have a batch axis and at least one more axis, shape (batch, ...); "
            f"got {name}.shape={shape}."
        )


def _check_same_shape(fn: str, name_a: str, a: Any, name_b: str, b: Any) -> None:
    sa, sb = _static_shape(a), _static_shape(b)
    if len(sa) != len(sb) or any(x is not None and y is not None and x != y for x, y in zip(sa, sb, strict=True)):
        raise ValueError(
            f"{fn}: {name_a} and {name_b} must have the same shape; got {name_a}.shape={sa} and {name_b}.shape={sb}."
        )


def _sum_non_batch(t: Any):
    rank = len(t.shape)
    return ops.sum(t, axis=tuple(range(1, rank))) if rank > 1 else t


def batch_mean_of_sums(values: Any):
    """The book's reduction of a loss: sum over every axis but the batch axis, then mean over the batch.

    Args:
        values: tensor of shape (batch, ...), e.g. squared errors per pixel.

    Returns:
        Scalar tensor: the per-example sums averaged over the batch (a tensor of shape (batch,) is averaged as is).
    """
    return ops.mean(_sum_non_batch(values))


def gaussian_kl_per_dimension(mean: Any, log_var: Any):
    """KL divergence from N(mean, exp(log_var)) to N(0, 1), one value per example *and* latent dimension.

    For one dimension with mean μ and variance σ² = exp(log_var):

        KL(N(μ, σ²) ‖ N(0, 1)) = ½ (μ² + σ² − 1 − log σ²)

    Args:
        mean: tensor of shape ``(batch, ...)``, the means μ of the diagonal Gaussian q(z|x).
        log_var: tensor of the same shape, log σ².

    Returns:
        Tensor shaped like ``mean``, in nats; every entry is ≥ 0.

    Raises:
        ValueError: if the shapes differ or ``mean`` has no axis besides the batch axis.
    """
    mean = _as_float(mean)
    log_var = _as_float(log_var, mean.dtype)
    _check_batched("gaussian_kl_per_dimension", "mean", mean)
    _check_same_shape("gaussian_kl_per_dimension", "mean", mean, "log_var", log_var)
    return 0.5 * (ops.square(mean) + ops.exp(log_var) - 1.0 - log_var)


def gaussian_kl(mean: Any, log_var: Any):
    """KL divergence from the diagonal Gaussian N(mean, exp(log_var)) to the standard normal prior N(0, I).

    Closed form, summed over the latent axis (every non-batch axis):

        KL(q(z|x) ‖ p(z)) = −½ Σ_d (1 + log σ_d² − μ_d² − σ_d²)

    The formula is used as it stands: clamp ``log_var`` before calling (the :class:`vaebook.models.VAE` clamps
    it to the range of :class:`vaebook.layers.Sampling`), otherwise ``exp`` may overflow.

    Args:
        mean: tensor of shape ``(batch, latent_dim)`` (or ``(batch, ...)``), the means μ.
        log_var: tensor of the same shape, log σ².

    Returns:
        Tensor of shape ``(batch,)``, one KL value per example, in nats; ≥ 0, and 0 exactly when μ = 0 and σ = 1.

    Raises:
        ValueError: if ``mean`` and ``log_var`` have different shapes.

    Example:
        >>> gaussian_kl([[1.0]], [[0.0]])   # KL(N(1, 1) ‖ N(0, 1)) = ½
        [0.5]

    Used in: chapter 4, section "The KL divergence between Gaussians, in closed form";
    chapter 5, section "A model with an exact answer: the linear-Gaussian model";
    chapter 7, section "Why a per-pixel mean sets β ≈ 784"; chapter 8, section "Measured".
    """
    return _sum_non_batch(gaussian_kl_per_dimension(mean, log_var))


def free_bits_kl(mean: Any, log_var: Any, free_bits: float):
    """The free-bits KL term of Kingma et al. (2016): each latent dimension gets ``free_bits`` nats for free.

    With KL_{n,d} the KL of example n in latent dimension d (:func:`gaussian_kl_per_dimension`) and a batch of
    N examples, the term is

        Σ_d max(λ, (1/N) Σ_n KL_{n,d}),        λ = free_bits,

    i.e. first the mean over the batch per latent dimension, then the clamp from below at λ nats, then the sum
    over latent dimensions. A dimension whose batch-average KL is below λ contributes the constant λ and hence
    no gradient: the optimizer has no incentive to push its KL further towards 0, which counters posterior
    collapse. (Kingma et al. group dimensions; here every dimension is its own group.) The result replaces
    the batch mean of :func:`gaussian_kl` in the loss and is ≥ that mean, with equality when λ = 0.

    Args:
        mean: tensor of shape ``(batch, latent_dim)`` (or ``(batch, ...)``: every non-batch entry is a dimension).
        log_var: tensor of the same shape, log σ².
        free_bits: λ ≥ 0, nats per latent dimension.

    Returns:
        A scalar tensor, in nats (already averaged over the batch, unlike the other functions here).

    Raises:
        ValueError: if the shapes differ or ``free_bits`` is negative.

    Used in: chapter 10, exercise "Free bits by hand".
    """
    if isinstance(free_bits, (int, float, np.floating, np.integer)) and float(free_bits) < 0:
        raise ValueError(f"free_bits_kl: free_bits must be >= 0 nats; got {free_bits!r}.")
    per_dim = gaussian_kl_per_dimension(mean, log_var)
    batch_mean = ops.mean(per_dim, axis=0)
    return ops.sum(ops.maximum(batch_mean, ops.cast(free_bits, per_dim.dtype)))


def bernoulli_nll(x: Any, logits: Any):
    """Negative log-likelihood of binary data under independent Bernoulli pixels, from logits, stably.

    With p = sigmoid(ℓ) the Bernoulli mean and ℓ the logit,

        −log p(x | ℓ) = Σ_i [ −x_i log p_i − (1 − x_i) log(1 − p_i) ] = Σ_i [ softplus(ℓ_i) − x_i ℓ_i ],

    evaluated as max(ℓ, 0) − x ℓ + log(1 + exp(−|ℓ|)), which never overflows (no log of a rounded-to-zero
    probability). It is binary cross-entropy summed over pixels. Use it only on binary data (binarized
    digits): for grey levels in (0, 1) it is not a log density.

    Args:
        x: tensor of shape ``(batch, ...)`` with entries in {0, 1}.
        logits: tensor of the same shape, the decoder's logits ℓ.

    Returns:
        Tensor of shape ``(batch,)``: per-example NLL in nats, summed over every non-batch axis.

    Raises:
        ValueError: if ``x`` and ``logits`` have different shapes.

    Used in: chapter 7, section "Why a per-pixel mean sets β ≈ 784".
    """
    logits = _as_float(logits)
    x = _as_float(x, logits.dtype)
    _check_batched("bernoulli_nll", "x", x)
    _check_same_shape("bernoulli_nll", "x", x, "logits", logits)
    per_pixel = ops.relu(logits) - x * logits + ops.log1p(ops.exp(-ops.abs(logits)))
    return _sum_non_batch(per_pixel)


def gaussian_nll(x: Any, mean: Any, sigma: Any, observed: Any = None):
    """Negative log-likelihood of x under independent Gaussians N(mean, sigma²), the full normalized density.

        −log N(x | μ, σ² I) = Σ_i [ (x_i − μ_i)² / (2σ_i²) + log σ_i + ½ log(2π) ]

    The constants are included, so the value is a true negative log density and can be compared across
    models and with :func:`vaebook.metrics.importance_sampled_log_likelihood`. With σ = 1 it is half the
    squared error plus D · ½ log(2π) for D pixels.

    Args:
        x: tensor of shape ``(batch, ...)``.
        mean: tensor of the same shape, μ.
        sigma: standard deviation σ > 0: a Python number, a scalar tensor, or a tensor broadcastable to
            ``x.shape`` (e.g. one σ per pixel).
        observed: ``None``, or a 0/1 tensor shaped like ``x``: the sum runs over the entries marked 1 only (the
            observed entries of data with missing values; put any finite number in the others).

    Returns:
        Tensor of shape ``(batch,)``: per-example NLL in nats, summed over every non-batch axis.

    Raises:
        ValueError: if ``x`` and ``mean`` have different shapes, ``sigma`` does not broadcast to them, or a
            Python-number ``sigma`` is not positive.

    Used in: chapter 5, section "The ELBO as reconstruction minus KL".
    """
    if isinstance(sigma, (int, float, np.floating, np.integer)) and not float(sigma) > 0:
        raise ValueError(f"gaussian_nll: sigma must be > 0; got {sigma!r}.")
    mean = _as_float(mean)
    x = _as_float(x, mean.dtype)
    sigma = _as_float(sigma, mean.dtype)
    _check_batched("gaussian_nll", "x", x)
    _check_same_shape("gaussian_nll", "x", x, "mean", mean)
    sx, ss = _static_shape(x), _static_shape(sigma)
    try:
        np.broadcast_shapes(tuple(1 if d is None else d for d in sx), tuple(1 if d is None else d for d in ss))
        if len(ss) > len(sx):
            raise ValueError
    except ValueError:
        raise ValueError(
            f"gaussian_nll: sigma must be a scalar or broadcastable to x's shape; got x.shape={sx} and "
            f"sigma.shape={ss}."
        ) from None
    per_pixel = 0.5 * ops.square((x - mean) / sigma) + ops.log(sigma) + 0.5 * LOG_2PI
    per_pixel = per_pixel + ops.zeros_like(x)  # a per-pixel sigma broadcast: make sure the sum sees every pixel
    if observed is not None:
        per_pixel = per_pixel * _as_float(observed, mean.dtype)
    return _sum_non_batch(per_pixel)


def gaussian_log_prob(z: Any, mean: Any, log_var: Any):
    """Log density of z under the diagonal Gaussian N(mean, exp(log_var)), per example.

        log N(z | μ, diag σ²) = −½ Σ_d [ log(2π) + log σ_d² + (z_d − μ_d)² / σ_d² ]

    Args:
        z: tensor of shape ``(batch, latent_dim)`` (or ``(batch, ...)``).
        mean: tensor of the same shape, μ.
        log_var: tensor of the same shape, log σ².

    Returns:
        Tensor of shape ``(batch,)``, in nats.

    Raises:
        ValueError: if the three shapes are not equal.

    Used in: chapter 4, section "The KL divergence between Gaussians, in closed form".
    """
    mean = _as_float(mean)
    z = _as_float(z, mean.dtype)
    log_var = _as_float(log_var, mean.dtype)
    _check_batched("gaussian_log_prob", "z", z)
    _check_same_shape("gaussian_log_prob", "z", z, "mean", mean)
    _check_same_shape("gaussian_log_prob", "z", z, "log_var", log_var)
    per_dim = -0.5 * (LOG_2PI + log_var + ops.square(z - mean) * ops.exp(-log_var))
    return _sum_non_batch(per_dim)


def standard_normal_log_prob(z: Any):
    """Log density of z under the standard normal prior N(0, I), per example.

        log N(z | 0, I) = −½ Σ_d [ log(2π) + z_d² ]

    Args:
        z: tensor of shape ``(batch, latent_dim)`` (or ``(batch, ...)``).

    Returns:
        Tensor of shape ``(batch,)``, in nats.

    Raises:
        ValueError: if ``z`` has no axis besides the batch axis.

    Used in: chapter 4, section "The KL divergence between Gaussians, in closed form".
    """
    z = _as_float(z)
    _check_batched("standard_normal_log_prob", "z", z)
    return _sum_non_batch(-0.5 * (LOG_2PI + ops.square(z)))
