"""Filling in missing values with an autoencoder or a VAE, and scoring the fill on the missing entries only.

:func:`iterative_imputation` is the simplest recipe that works with any trained model that maps an input to a
reconstruction: start with the missing entries set to a guess, reconstruct, copy the reconstruction into the
missing entries (never into the observed ones), and repeat. For a VAE, reconstructing the posterior mean is one
step of a deterministic version of the pseudo-Gibbs sampler of Rezende et al. (2014).

Used in: chapter 11, section "Filling in missing pixels".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["iterative_imputation", "masked_rmse", "center_square_mask"]


def iterative_imputation(
    reconstruct: Callable[[np.ndarray], Any], x: Any, missing: Any, num_iterations: int = 10, initial: Any = 0.0
) -> np.ndarray:
    """Impute the entries of ``x`` where ``missing`` is True by repeating x ← reconstruct(x) on them.

    Args:
        reconstruct: a function mapping a batch shaped like ``x`` to a reconstruction of the same shape (e.g.
            ``vae.reconstruct`` or ``autoencoder.reconstruct``).
        x: data, shape (N, ...); the values at missing entries are ignored.
        missing: boolean array shaped like ``x``, True where the entry is missing.
        num_iterations: reconstruction passes (>= 1).
        initial: the starting value of the missing entries: a scalar or an array broadcastable to ``x`` (e.g. the
            per-pixel training mean).

    Returns:
        float32 array shaped like ``x``: observed entries unchanged, missing ones from the last reconstruction.

    Used in: chapter 11, section "Filling in missing pixels".
    """
    x = np.asarray(x, dtype=np.float32)
    missing = np.asarray(missing)
    if missing.shape != x.shape or missing.dtype != bool:
        raise ValueError(
            f"missing must be a boolean array of x's shape {x.shape}; got {missing.dtype} {missing.shape}."
        )
    if isinstance(num_iterations, bool) or not isinstance(num_iterations, (int, np.integer)) or num_iterations < 1:
        raise ValueError(f"num_iterations must be a positive integer; got {num_iterations!r}.")
    current = np.where(missing, np.broadcast_to(np.asarray(initial, np.float32), x.shape), x).astype(np.float32)
    for _ in range(int(num_iterations)):
        x_hat = np.asarray(reconstruct(current), dtype=np.float32)
        if x_hat.shape != x.shape:
            raise ValueError(f"reconstruct must return x's shape {x.shape}; got {x_hat.shape}.")
        current = np.where(missing, x_hat, x)
    return current


def masked_rmse(x_true: Any, x_filled: Any, missing: Any, axis: int | tuple | None = None) -> Any:
    """Root mean squared error over the missing entries only: sqrt(mean over {missing} of (x_true − x_filled)²).

    Args:
        x_true, x_filled: arrays of the same shape.
        missing: boolean array of that shape, True on the entries to score.
        axis: ``None`` for one number over all missing entries, or the axes to reduce (e.g. 0 for one RMSE per
            column of a table).

    Used in: chapter 11, section "Filling in missing pixels"; chapter 11, section "A table with a categorical
    column".
    """
    x_true = np.asarray(x_true, dtype=np.float64)
    x_filled = np.asarray(x_filled, dtype=np.float64)
    missing = np.asarray(missing)
    if x_true.shape != x_filled.shape or missing.shape != x_true.shape:
        raise ValueError(
            f"x_true, x_filled and missing must have one shape; got {x_true.shape}, "
            f"{x_filled.shape} and {missing.shape}."
        )
    if missing.dtype != bool or not missing.any():
        raise ValueError("missing must be a boolean array with at least one True entry.")
    sq = np.where(missing, (x_true - x_filled) ** 2, 0.0)
    return np.sqrt(sq.sum(axis=axis) / missing.sum(axis=axis))


def center_square_mask(shape: tuple[int, ...], size: int, offset: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Boolean mask for a batch of images ``(N, H, W[, C])``, True on a ``size × size`` square at the centre
    (shifted by ``offset`` rows and columns).

    Used in: chapter 11, section "Filling in missing pixels".
    """
    if len(shape) < 3:
        raise ValueError(f"shape must be (N, H, W) or (N, H, W, C); got {shape}.")
    h, w = shape[1], shape[2]
    if not 0 < size <= min(h, w):
        raise ValueError(f"size must be in [1, {min(h, w)}]; got {size}.")
    top, left = (h - size) // 2 + offset[0], (w - size) // 2 + offset[1]
    if top < 0 or left < 0 or top + size > h or left + size > w:
        raise ValueError(f"the square of size {size} at offset {offset} leaves the {h}x{w} image.")
    mask = np.zeros(shape, dtype=bool)
    mask[:, top : top + size, left : left + size] = True
    return mask
