"""Attributes of digit images measured from their pixels: stroke thickness and slant, and attribute vectors.

These are the MNIST counterparts of the "smile vector" in Herzog and Sonrel's VAE lecture: a property of an image
that a reader can see, computed by a fixed formula (no learned model), so that moving a code along an *attribute
vector* can be checked by measuring the attribute of the decoded image.

Both measurements take grey-level images with intensities in [0, 1] (ink = 1) of shape ``(N, H, W)`` or
``(N, H, W, 1)`` and return one number per image. They treat the intensity as ink mass, so they also work on a
decoder's output probabilities.
"""

from __future__ import annotations

import numpy as np

__all__ = ["stroke_thickness", "slant", "attribute_vector"]


def _as_images(images, name: str = "images") -> np.ndarray:
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim == 2:
        raise ValueError(
            f"{name} must be a batch of shape (N, H, W) or (N, H, W, 1); got one image of shape "
            f"{x.shape}. Use images[None] for a single image."
        )
    if x.ndim != 3 or x.shape[0] == 0:
        raise ValueError(f"{name} must have shape (N, H, W) or (N, H, W, 1) with N > 0; got {x.shape}.")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must hold finite intensities in [0, 1]; got NaN or inf.")
    if x.min() < 0.0 or x.max() > 1.0:
        raise ValueError(f"{name} must hold intensities in [0, 1]; got values in [{x.min()}, {x.max()}].")
    return x


def stroke_thickness(images) -> np.ndarray:
    """Mean stroke width in pixels, estimated as twice the ink area over the ink outline's length.

    For a stroke of width ``t`` and length ``L`` (``L`` much larger than ``t``) the ink area is ``t * L`` and the
    outline is about ``2 * L`` long, so ``2 * area / outline`` is about ``t``. We use the soft version that works
    on grey levels: area is the total intensity, the outline length is the total variation
    ``sum |x[i+1, j] - x[i, j]| + |x[i, j+1] - x[i, j]|`` (with a zero border), which equals the number of pixel
    edges between ink and paper for a binary image.

    Args:
        images: intensities in [0, 1], shape ``(N, H, W)`` or ``(N, H, W, 1)``.

    Returns:
        float64 array of shape ``(N,)``: thickness in pixels (0 for an empty image).

    Raises:
        ValueError: if ``images`` is not a batch of grey images in [0, 1].

    Used in: chapter 8, section "Generating a chosen digit, in a chosen style".
    """
    x = _as_images(images)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    outline = np.abs(np.diff(padded, axis=1)).sum(axis=(1, 2)) + np.abs(np.diff(padded, axis=2)).sum(axis=(1, 2))
    area = x.sum(axis=(1, 2))
    return np.where(outline > 0, 2.0 * area / np.maximum(outline, 1e-12), 0.0)


def slant(images) -> np.ndarray:
    """Horizontal shear of the ink: how many pixels the stroke moves right per pixel upwards.

    With intensities as weights, let ``(c_x, c_y)`` be the ink's centroid (``x`` = column, ``y`` = row, rows
    counted downwards) and ``m_xy = E[(x - c_x)(y - c_y)]``, ``m_yy = E[(y - c_y)^2]`` its central moments. The
    least-squares line ``x - c_x = s * (y - c_y)`` has ``s = m_xy / m_yy``; since rows grow downwards, a digit that
    leans to the right has ``s < 0``. We return ``-s``: positive for a right lean, negative for a left lean, 0 for
    an upright stroke. It is the shear that the classic "deskewing" of MNIST removes; ``atan`` of it is the angle
    from the vertical.

    Args:
        images: intensities in [0, 1], shape ``(N, H, W)`` or ``(N, H, W, 1)``.

    Returns:
        float64 array of shape ``(N,)`` (0 for an empty image or one without vertical extent).

    Raises:
        ValueError: if ``images`` is not a batch of grey images in [0, 1].

    Used in: chapter 8, section "Generating a chosen digit, in a chosen style".
    """
    x = _as_images(images)
    _, h, w = x.shape
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    mass = x.sum(axis=(1, 2))
    safe = np.maximum(mass, 1e-12)
    cy = (x * rows).sum(axis=(1, 2)) / safe
    cx = (x * cols).sum(axis=(1, 2)) / safe
    dy = rows[None] - cy[:, None, None]
    dx = cols[None] - cx[:, None, None]
    m_xy = (x * dx * dy).sum(axis=(1, 2)) / safe
    m_yy = (x * dy * dy).sum(axis=(1, 2)) / safe
    ok = (mass > 0) & (m_yy > 1e-12)
    return np.where(ok, -m_xy / np.where(ok, m_yy, 1.0), 0.0)


def attribute_vector(codes, values, fraction: float = 0.25) -> np.ndarray:
    """The direction in code space along which an attribute grows: mean code of the high group minus the low one.

    Sort examples by ``values``; the high group is the top ``fraction``, the low group the bottom ``fraction``.
    Herzog and Sonrel's "smile vector" is this construction with "smiling" and "not smiling" faces as the two groups.

    Args:
        codes: array of shape ``(N, d)``, e.g. encoder means.
        values: array of shape ``(N,)``, the measured attribute of each example.
        fraction: share of examples in each group, in (0, 0.5].

    Returns:
        float64 array of shape ``(d,)``.

    Raises:
        ValueError: on mismatched shapes, a ``fraction`` outside (0, 0.5], or fewer than one example per group.

    Used in: chapter 8, section "Attribute vectors: the smile vector, for digits".
    """
    z = np.asarray(codes, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"codes must have shape (N, d); got {z.shape}.")
    if v.shape != (len(z),):
        raise ValueError(f"values must have shape ({len(z)},) to match codes {z.shape}; got {v.shape}.")
    if not 0.0 < fraction <= 0.5:
        raise ValueError(f"fraction must be in (0, 0.5]; got {fraction}.")
    k = int(np.floor(fraction * len(z)))
    if k < 1:
        raise ValueError(f"fraction={fraction} of {len(z)} examples leaves no example in a group.")
    order = np.argsort(v, kind="stable")
    return z[order[-k:]].mean(axis=0) - z[order[:k]].mean(axis=0)
