"""Evaluating trained latent-variable models: the ELBO, the importance-sampled log-likelihood, active units, KL per
dimension, the mutual information I(x; z).

The measures of images (squared error, PSNR, classifier score) live in :mod:`vaebook.image_metrics`; they are
imported here too, so that ``vaebook.metrics.classifier_score`` and its siblings keep working.

These functions evaluate; they are not losses. They take NumPy arrays (or anything ``np.asarray`` accepts),
return NumPy arrays, draw their noise from a NumPy generator seeded by ``seed`` (so an estimate repeats exactly,
on every backend), and process the data in chunks so that memory stays bounded.

They need from the model only this interface (which :class:`vaebook.models.VAE` provides):

- ``vae.encode(x) → (mean, log_var)``: NumPy arrays of shape (N, latent_dim), the diagonal Gaussian q(z|x);
- ``vae.log_likelihood(x, z) → log p(x|z)``: NumPy array of shape (N,), the full normalized log density of each
  x_n given z_n, in nats (constants included, so that numbers compare across models).

For a :class:`vaebook.models.ConditionalVAE` pass ``labels=``: the calls become ``encode(x, labels)`` and
``log_likelihood(x, z, labels)``. The prior is the standard normal N(0, I).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from keras import ops

from vaebook import losses
from vaebook._validation import check_integer
from vaebook.image_metrics import (
    classifier_score as classifier_score,
    peak_signal_to_noise_ratio as peak_signal_to_noise_ratio,
    squared_reconstruction_error as squared_reconstruction_error,
)

__all__ = [
    "log_mean_exp",
    "elbo",
    "importance_sampled_log_likelihood",
    "importance_log_weights",
    "latent_activity",
    "active_units",
    "kl_per_dimension",
    "squared_reconstruction_error",
    "peak_signal_to_noise_ratio",
    "classifier_score",
    "latent_mutual_information",
]


def log_mean_exp(x: Any, axis: int = -1):
    """log( (1/K) Σ_k exp(x_k) ) along ``axis``, computed stably by factoring out the maximum.

        log_mean_exp(x) = m + log( (1/K) Σ_k exp(x_k − m) ),   m = max_k x_k

    Args:
        x: tensor (or NumPy array) of log-values.
        axis: the axis to average over.

    Returns:
        ``x`` with ``axis`` removed: a NumPy array (in ``x``'s precision, e.g. float64) for a NumPy input, a
        tensor of the active backend otherwise. ``−inf`` where every entry is ``−inf``.
    """
    xp = np if isinstance(x, np.ndarray) else ops  # NumPy stays NumPy: float64 log-weights keep their precision
    if xp is ops:
        x = ops.convert_to_tensor(x)
    m = xp.max(x, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))  # all −inf: the result is −inf, not NaN
    out = xp.log(xp.mean(xp.exp(x - m), axis=axis, keepdims=True)) + m
    return xp.squeeze(out, axis=axis)


def _inputs(x: Any, labels: Any):
    x = np.asarray(x, dtype=np.float32)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"x must be a non-empty batch of shape (N, ...); got shape {x.shape}.")
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != len(x):
            raise ValueError(f"need one label per example: {len(x)} examples, got {len(labels)} labels.")
    return x, labels


def _encode(vae, x, labels):
    out = vae.encode(x) if labels is None else vae.encode(x, labels)
    return np.asarray(out[0], np.float32), np.asarray(out[1], np.float32)


def _log_likelihood(vae, x, z, labels):
    out = vae.log_likelihood(x, z) if labels is None else vae.log_likelihood(x, z, labels)
    return np.asarray(out, np.float64)


def elbo(
    vae, x: Any, num_samples: int = 1, labels: Any = None, batch_size: int = 256, seed: int | None = 0
) -> np.ndarray:
    """Per-example evidence lower bound, in nats:

        ELBO(x) = E_{q(z|x)}[ log p(x|z) ] − KL(q(z|x) ‖ p(z))  ≤  log p(x)

    The expectation is a Monte Carlo average over ``num_samples`` reparameterized draws z = μ + σ ⊙ ε; the KL
    is the closed form :func:`vaebook.losses.gaussian_kl`. (This is β = 1 whatever β the model was trained with.)

    Args:
        vae: a model with ``encode`` and ``log_likelihood`` (see the module docstring).
        x: data of shape (N, ...).
        num_samples: Monte Carlo draws per example.
        labels: integer labels for a conditional VAE, else ``None``.
        batch_size: examples per chunk (the decoder sees ``batch_size`` inputs at a time).
        seed: seed of the NumPy generator for ε.

    Returns:
        float64 array of shape (N,).

    Used in: chapter 5, section "The ELBO as $q$ moves away from the posterior";
    chapter 7, section "How good is the model? Held-out log-likelihood"; chapter 8, section "Measured";
    chapter 10, section "Why: the linear VAE is probabilistic PCA".
    """
    x, labels = _inputs(x, labels)
    num_samples = check_integer("num_samples", num_samples)
    batch_size = check_integer("batch_size", batch_size)
    rng = np.random.default_rng(seed)
    out = np.empty(len(x))
    for start in range(0, len(x), batch_size):
        s = slice(start, start + batch_size)
        lab = None if labels is None else labels[s]
        mean, log_var = _encode(vae, x[s], lab)
        std = np.exp(0.5 * log_var)
        expected = np.zeros(len(mean))
        for _ in range(num_samples):
            z = (mean + std * rng.standard_normal(mean.shape)).astype(np.float32)
            expected += _log_likelihood(vae, x[s], z, lab)
        kl = np.asarray(ops.convert_to_numpy(losses.gaussian_kl(mean, log_var)), np.float64)
        out[s] = expected / num_samples - kl
    return out


def importance_sampled_log_likelihood(
    vae, x: Any, num_samples: int = 1000, labels: Any = None, batch_size: int = 2048, seed: int | None = 0
) -> np.ndarray:
    """Per-example estimate of log p(x) by importance sampling with q(z|x) as proposal (Burda et al., 2016):

        log p(x) ≈ log (1/K) Σ_k  p(x | z_k) p(z_k) / q(z_k | x),   z_k ~ q(z|x),

    computed from full normalized log densities, log w_k = log p(x|z_k) + log p(z_k) − log q(z_k|x)
    (``vae.log_likelihood``, :func:`vaebook.losses.standard_normal_log_prob`,
    :func:`vaebook.losses.gaussian_log_prob`), and a stable log-mean-exp. Its expectation is the IWAE bound
    L_K: L_1 is the ELBO, L_K ≤ L_{K+1} ≤ log p(x), and L_K → log p(x) as K → ∞. With K = 1000 it is the
    standard held-out negative log-likelihood estimate (report −mean).

    Memory stays bounded: the decoder sees at most ``batch_size`` (example, sample) pairs at a time — several
    examples with all their K samples when K < batch_size, else one example's samples in chunks — and only the
    (N, K) log-weights of one chunk of examples are kept.

    Args:
        vae: a model with ``encode`` and ``log_likelihood`` (see the module docstring).
        x: data of shape (N, ...).
        num_samples: K, importance samples per example.
        labels: integer labels for a conditional VAE, else ``None``.
        batch_size: largest number of (example, sample) pairs per decoder call.
        seed: seed of the NumPy generator for the samples.

    Returns:
        float64 array of shape (N,), in nats.

    Used in: chapter 5, section "The ELBO as $q$ moves away from the posterior";
    chapter 7, section "How good is the model? Held-out log-likelihood"; chapter 10, section "Collapse, measured".
    """
    x, labels = _inputs(x, labels)
    k = check_integer("num_samples", num_samples)
    batch_size = check_integer("batch_size", batch_size)
    rng = np.random.default_rng(seed)
    examples_per_chunk = max(1, batch_size // k)
    samples_per_call = min(k, batch_size)
    out = np.empty(len(x))
    for start in range(0, len(x), examples_per_chunk):
        s = slice(start, start + examples_per_chunk)
        xb = x[s]
        lab = None if labels is None else labels[s]
        mean, log_var = _encode(vae, xb, lab)
        n, d = mean.shape
        std = np.exp(0.5 * log_var)
        log_w = np.empty((n, k))
        for s0 in range(0, k, samples_per_call):
            m = min(samples_per_call, k - s0)
            z = (mean[:, None] + std[:, None] * rng.standard_normal((n, m, d))).astype(np.float32)
            z_flat = z.reshape(n * m, d)
            x_rep = np.repeat(xb, m, axis=0)  # example-major, matching z_flat
            lab_rep = None if lab is None else np.repeat(lab, m)
            mean_rep, log_var_rep = np.repeat(mean, m, axis=0), np.repeat(log_var, m, axis=0)
            log_px_z = _log_likelihood(vae, x_rep, z_flat, lab_rep)
            log_pz = np.asarray(ops.convert_to_numpy(losses.standard_normal_log_prob(z_flat)), np.float64)
            log_qz = np.asarray(
                ops.convert_to_numpy(losses.gaussian_log_prob(z_flat, mean_rep, log_var_rep)), np.float64
            )
            log_w[:, s0 : s0 + m] = (log_px_z + log_pz - log_qz).reshape(n, m)
        out[s] = log_mean_exp(log_w, axis=1)
    if not np.all(np.isfinite(out)):
        raise FloatingPointError("importance_sampled_log_likelihood: a log-weight is not finite (NaN or inf).")
    return out


def importance_log_weights(vae, x: Any, eps: Any):
    """The log importance weights of every (example, sample) pair, as one backend computation:

        log w_nk = log p(x_n | z_nk) + log p(z_nk) − log q(z_nk | x_n),   z_nk = μ(x_n) + σ(x_n) ⊙ ε_nk,

    the terms of :func:`importance_sampled_log_likelihood` (``log_mean_exp`` over k of the result is its estimate
    of log p(x_n) for the same noise ε). Unlike that function it takes and returns backend tensors and makes no
    NumPy round trip, so it can run inside a compiled function or on tensors sharded along the batch axis: with a
    ``keras.distribution.DataParallel`` layout on ``x`` and ``eps``, every device computes the weights of its own
    examples with its copy of the weights.

    Args:
        vae: a :class:`vaebook.models.VAE` (its encoder, decoder and likelihood are used).
        x: tensor of shape (B, ...), the data the VAE models (binarized for a Bernoulli likelihood).
        eps: tensor of shape (B, K, latent_dim), standard normal noise: K samples per example.

    Returns:
        Tensor of shape (B, K), in nats.

    Raises:
        ValueError: if ``vae`` is not a VAE, or ``eps`` is not shaped (B, K, latent_dim) for B examples.

    Used in: appendix "Scaling up", section "Evaluation at scale".
    """
    from vaebook.models.vae import VAE

    if not isinstance(vae, VAE):
        raise ValueError(f"importance_log_weights needs a vaebook.models.VAE; got {type(vae).__name__}.")
    x = ops.convert_to_tensor(x, "float32")
    eps = ops.convert_to_tensor(eps, "float32")
    if len(eps.shape) != 3 or eps.shape[0] != x.shape[0] or eps.shape[2] != vae.latent_dim:
        raise ValueError(
            f"eps must have shape (B, K, latent_dim) = ({x.shape[0]}, K, {vae.latent_dim}) for "
            f"x of shape {tuple(x.shape)}; got {tuple(eps.shape)}."
        )
    b, k, d = eps.shape
    mean, log_var = vae.posterior(x)
    z = ops.reshape(mean[:, None, :] + ops.exp(0.5 * log_var)[:, None, :] * eps, (b * k, d))  # example-major
    log_px_z = -vae.decoder_nll(ops.repeat(x, k, axis=0), vae.decoder(z, training=False))
    log_pz = losses.standard_normal_log_prob(z)
    log_qz = losses.gaussian_log_prob(z, ops.repeat(mean, k, axis=0), ops.repeat(log_var, k, axis=0))
    return ops.reshape(log_px_z + log_pz - log_qz, (b, k))


def latent_activity(vae, x: Any, labels: Any = None) -> np.ndarray:
    """Activity of each latent dimension d (Burda et al., 2016): A_d = Cov_x( E_{q(z|x)}[z_d] ), i.e. the variance
    over the data of the posterior mean μ_d(x).

    Returns:
        float64 array of shape (latent_dim,).
    """
    x, labels = _inputs(x, labels)
    mean, _ = _encode(vae, x, labels)
    return np.var(mean.astype(np.float64), axis=0)


def active_units(vae, x: Any, threshold: float = 1e-2, labels: Any = None) -> int:
    """Number of active latent dimensions: those with activity A_d = Cov_x(E_q[z_d]) > ``threshold``
    (Burda et al., 2016, use 10⁻²). A dimension whose posterior mean ignores x carries no information about it.

    Returns:
        An integer between 0 and latent_dim.

    Used in: chapter 7, section "What the per-pixel mean does: a VAE with β = 784"; chapter 8, section "Measured";
    chapter 9, section "VAE and VQ-VAE side by side"; chapter 10, section "Collapse, measured".
    """
    if not float(threshold) >= 0:
        raise ValueError(f"threshold must be >= 0; got {threshold!r}.")
    return int(np.sum(latent_activity(vae, x, labels) > threshold))


def kl_per_dimension(vae, x: Any, labels: Any = None) -> np.ndarray:
    """Average KL(q(z_d|x) ‖ N(0, 1)) over the data, per latent dimension, in nats
    (:func:`vaebook.losses.gaussian_kl_per_dimension`); the entries sum to the mean KL term of the ELBO.

    Returns:
        float64 array of shape (latent_dim,).

    Used in: chapter 8, section "Traversals and disentanglement"; chapter 10, section "Collapse, measured".
    """
    x, labels = _inputs(x, labels)
    mean, log_var = _encode(vae, x, labels)
    per_dim = ops.convert_to_numpy(losses.gaussian_kl_per_dimension(mean, log_var))
    return np.asarray(per_dim, np.float64).mean(axis=0)


def latent_mutual_information(vae, x: Any, labels: Any = None, seed: int | None = 0) -> float:
    """Mutual information I_q(x; z) between the data and the code under the encoder, in nats.

    The "ELBO surgery" of Hoffman & Johnson (2016) splits the average KL term of the ELBO into two parts,

        (1/N) Σ_n KL(q(z|x_n) ‖ p(z))  =  I_q(x; z)  +  KL(q(z) ‖ p(z)),    q(z) = (1/N) Σ_m q(z|x_m),

    where x is uniform over the N examples given. This estimates the first part by Monte Carlo, one draw
    z_n ~ q(z|x_n) per example:

        I_q(x; z) ≈ (1/N) Σ_n [ log q(z_n|x_n) − log (1/N) Σ_m q(z_n|x_m) ],

    with the aggregate posterior q(z) evaluated exactly as a mixture of the N Gaussians (O(N²·latent_dim) work;
    use a few thousand examples at most). The estimate is at most log N, the information needed to tell N
    examples apart, and near 0 for a collapsed encoder.

    Args:
        vae: a model with ``encode`` (see the module docstring).
        x: data of shape (N, ...), N ≥ 2.
        labels: integer labels for a conditional VAE, else ``None``.
        seed: seed of the NumPy generator for the draws.

    Returns:
        A float, in nats.

    Used in: chapter 10, section "Collapse, measured".
    """
    x, labels = _inputs(x, labels)
    if len(x) < 2:
        raise ValueError(f"latent_mutual_information needs at least 2 examples; got {len(x)}.")
    mean, log_var = (a.astype(np.float64) for a in _encode(vae, x, labels))
    rng = np.random.default_rng(seed)
    z = mean + np.exp(0.5 * log_var) * rng.standard_normal(mean.shape)
    inv_var = np.exp(-log_var)
    const = -0.5 * (mean.shape[1] * np.log(2 * np.pi) + log_var.sum(1))  # (N,) per component m
    log_own = const - 0.5 * np.sum((z - mean) ** 2 * inv_var, axis=1)
    log_mixture = np.empty(len(z))
    for start in range(0, len(z), 256):  # rows n, all components m
        zb = z[start : start + 256, None, :]
        log_q = const[None, :] - 0.5 * np.sum((zb - mean[None]) ** 2 * inv_var[None], axis=2)
        log_mixture[start : start + 256] = log_mean_exp(log_q, axis=1)
    return float(np.mean(log_own - log_mixture))
