"""Scoring samples of a generative model against held-out data: two-sample distances, precision, mode coverage.

A model that gives no likelihood (a GAN) can still be compared with one that does (a VAE) through its samples.
These functions take two point clouds, NumPy arrays of shape (N, D), and return plain floats or arrays; they are
exact (no randomness), so a score repeats on every backend.

- :func:`energy_distance`: a metric between distributions, zero only when they are equal (Székely & Rizzo, 2013).
- :func:`mmd`: the maximum mean discrepancy with a Gaussian kernel (Gretton et al., 2012).
- :func:`fraction_near`: the share of samples within a radius of the nearest mode (a "precision").
- :func:`mode_counts`, :func:`modes_covered`: how the samples spread over known modes (a "recall" for mixtures).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["energy_distance", "mmd", "fraction_near", "mode_counts", "modes_covered"]


def _points(name: str, x: Any) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or len(a) == 0:
        raise ValueError(f"{name} must be a non-empty array of points, shape (N, D); got shape {a.shape}.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf.")
    return a


def _pair(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = _points("x", x), _points("y", y)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension; got {x.shape[1]} and {y.shape[1]}.")
    return x, y


def _mean_pairwise(a: np.ndarray, b: np.ndarray, fn, chunk: int = 1024) -> float:
    """Mean of fn(squared distance) over all pairs (a_i, b_j), in chunks of rows."""
    b_sq = np.sum(b**2, axis=1)
    total = 0.0
    for s in range(0, len(a), chunk):
        block = a[s : s + chunk]
        d2 = np.sum(block**2, axis=1)[:, None] - 2 * block @ b.T + b_sq[None, :]
        total += float(np.sum(fn(np.maximum(d2, 0.0))))
    return total / (len(a) * len(b))


def energy_distance(x: Any, y: Any) -> float:
    """The energy distance between the distributions of two samples.

        D(x, y) = sqrt( 2 E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ ),

    every expectation the mean over all pairs of the samples (diagonal pairs included: the V-statistic, always
    ≥ 0). For one-dimensional samples it equals ``scipy.stats.energy_distance``. The population value is zero
    exactly when the two distributions are equal.

    Args:
        x: samples, shape (N, D) (or (N,) for D = 1).
        y: samples, shape (M, D).

    Returns:
        The energy distance, a float ≥ 0, in the units of the data.

    Used in: chapter 12, section "Scoring samples".
    """
    x, y = _pair(x, y)
    value = 2 * _mean_pairwise(x, y, np.sqrt) - _mean_pairwise(x, x, np.sqrt) - _mean_pairwise(y, y, np.sqrt)
    return float(np.sqrt(max(value, 0.0)))


def mmd(x: Any, y: Any, bandwidth: float) -> float:
    """The squared maximum mean discrepancy with the Gaussian kernel k(a, b) = exp(−‖a − b‖² / (2 h²)).

        MMD²(x, y) = E k(X, X') + E k(Y, Y') − 2 E k(X, Y),

    every expectation the mean over all pairs (the biased V-statistic, always ≥ 0).

    Args:
        x: samples, shape (N, D).
        y: samples, shape (M, D).
        bandwidth: the kernel width h > 0, in the units of the data.

    Returns:
        MMD², a float ≥ 0 (0 for identical samples, at most 2).

    Used in: chapter 12, section "Scoring samples".
    """
    x, y = _pair(x, y)
    if isinstance(bandwidth, bool) or not float(bandwidth) > 0:
        raise ValueError(f"bandwidth must be a positive number; got {bandwidth!r}.")
    gamma = 1.0 / (2.0 * float(bandwidth) ** 2)

    def kernel(d2):
        return np.exp(-gamma * d2)

    value = _mean_pairwise(x, x, kernel) + _mean_pairwise(y, y, kernel) - 2 * _mean_pairwise(x, y, kernel)
    return float(max(value, 0.0))


def _nearest(samples: Any, centers: Any, radius: float) -> tuple[np.ndarray, np.ndarray]:
    s, c = _pair(samples, centers)
    if isinstance(radius, bool) or not float(radius) > 0:
        raise ValueError(f"radius must be a positive number; got {radius!r}.")
    d2 = np.sum(s**2, 1)[:, None] - 2 * s @ c.T + np.sum(c**2, 1)[None, :]
    nearest = np.argmin(d2, axis=1)
    near = np.sqrt(np.maximum(d2[np.arange(len(s)), nearest], 0.0)) <= float(radius)
    return nearest, near


def fraction_near(samples: Any, centers: Any, radius: float) -> float:
    """The share of samples that lie within ``radius`` of the nearest of the ``centers``.

    With the modes of a mixture as centers and ``radius`` three standard deviations of a component, this is the
    share of "high-quality" samples of Metz et al. (2017): a sampler that puts points between the modes scores low.

    Args:
        samples: shape (N, D).
        centers: shape (K, D), e.g. :func:`vaebook.data.ring_centers`.
        radius: a positive distance.

    Returns:
        A float in [0, 1].

    Used in: chapter 12, section "Scoring samples".
    """
    _, near = _nearest(samples, centers, radius)
    return float(np.mean(near))


def mode_counts(samples: Any, centers: Any, radius: float) -> np.ndarray:
    """How many samples lie within ``radius`` of each center (and are nearer to it than to any other).

    Args:
        samples: shape (N, D).
        centers: shape (K, D).
        radius: a positive distance.

    Returns:
        int64 array of shape (K,).
    """
    nearest, near = _nearest(samples, centers, radius)
    return np.bincount(nearest[near], minlength=len(np.atleast_2d(centers))).astype(np.int64)


def modes_covered(samples: Any, centers: Any, radius: float, min_share: float = 0.25) -> int:
    """The number of modes that receive at least ``min_share`` of their fair share of the samples.

    With N samples and K modes a mode's fair share is N / K; a mode counts as covered when at least
    ``min_share · N / K`` samples lie within ``radius`` of it (:func:`mode_counts`).

    Args:
        samples: shape (N, D).
        centers: shape (K, D).
        radius: a positive distance.
        min_share: a number in (0, 1].

    Returns:
        An integer in [0, K].

    Used in: chapter 12, section "Scoring samples".
    """
    if isinstance(min_share, bool) or not 0 < float(min_share) <= 1:
        raise ValueError(f"min_share must be in (0, 1]; got {min_share!r}.")
    counts = mode_counts(samples, centers, radius)
    n = len(np.asarray(samples))
    return int(np.sum(counts >= float(min_share) * n / len(counts)))
