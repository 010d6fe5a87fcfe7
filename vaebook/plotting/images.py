"""Images in the book's style: a stack of grey or colour images tiled into one picture."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vaebook.plotting.style import IMAGE_CMAP, axes_or_new

__all__ = ["image_grid"]


def image_grid(
    images,
    ncols: int | None = None,
    titles: Sequence[str] | None = None,
    ax=None,
    cmap: str = IMAGE_CMAP,
    vmin: float = 0.0,
    vmax: float = 1.0,
    title: str | None = None,
    pad: int = 1,
):
    """Tile images into one picture, row by row.

    Args:
        images: array of shape ``(N, H, W)`` or ``(N, H, W, 1)`` (grey) or ``(N, H, W, 3)`` (colour).
        ncols: images per row (default: about sqrt(N)).
        titles: optional row labels, one per row, drawn on the left.
        ax: matplotlib Axes to draw into (default: a new figure).
        cmap, vmin, vmax: colour scaling for grey images.
        title: title of the Axes.
        pad: pixels of white space between images.

    Returns:
        The Axes.

    Raises:
        ValueError: if ``images`` is not a stack of 2-D grey or RGB images.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3) or len(images) == 0:
        raise ValueError(
            f"images must have shape (N, H, W), (N, H, W, 1) or (N, H, W, 3) with N > 0; got {images.shape}."
        )
    n, h, w = images.shape[:3]
    ncols = int(ncols or int(np.ceil(np.sqrt(n))))
    nrows = int(np.ceil(n / ncols))
    channels = images.shape[3:]
    canvas = np.full((nrows * (h + pad) - pad, ncols * (w + pad) - pad) + channels, vmin, dtype=np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        canvas[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = img
    ax = axes_or_new(ax, figsize=(min(0.5 * ncols + 0.5, 10), min(0.5 * nrows + 0.5, 10)))
    ax.imshow(canvas, cmap=cmap if not channels else None, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.grid(False)
    if titles is not None:
        ax.set_yticks([r * (h + pad) + h / 2 for r in range(nrows)], list(titles)[:nrows])
        ax.tick_params(axis="y", length=0)
    else:
        ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title)
    return ax
