"""Figures in the book's style: image grids, latent scatters coloured by label, training curves.

Every function draws into a matplotlib ``Axes`` (a new figure if none is given) and returns it, so a chapter can
combine panels. Colour maps are colour-blind safe (viridis, cividis); figures are sized for a web page.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

FIGSIZE = (6.4, 4.0)  # inches: fits the book's text column
CMAP = "viridis"
IMAGE_CMAP = "gray_r"  # digits: dark ink on white paper


def use_book_style() -> None:
    """Set matplotlib defaults for the book: readable font sizes, light grid, no top/right spines.

    In a Jupyter kernel it also selects the inline backend, so figures appear even when ``MPLBACKEND=Agg`` is set
    in the environment (as test runners often do).
    """
    import sys

    import matplotlib as mpl

    if "ipykernel" in sys.modules:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            shell.run_line_magic("matplotlib", "inline")

    mpl.rcParams.update({
        "figure.figsize": FIGSIZE,
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "image.cmap": CMAP,
        "legend.frameon": False,
    })


def _axes(ax, figsize=FIGSIZE):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def image_grid(images, ncols: int | None = None, titles: Sequence[str] | None = None, ax=None,
               cmap: str = IMAGE_CMAP, vmin: float = 0.0, vmax: float = 1.0, title: str | None = None,
               pad: int = 1):
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
        raise ValueError(f"images must have shape (N, H, W), (N, H, W, 1) or (N, H, W, 3) with N > 0; "
                         f"got {images.shape}.")
    n, h, w = images.shape[:3]
    ncols = int(ncols or int(np.ceil(np.sqrt(n))))
    nrows = int(np.ceil(n / ncols))
    channels = images.shape[3:]
    canvas = np.full((nrows * (h + pad) - pad, ncols * (w + pad) - pad) + channels, vmin, dtype=np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        canvas[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = img
    ax = _axes(ax, figsize=(min(0.5 * ncols + 0.5, 10), min(0.5 * nrows + 0.5, 10)))
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


def latent_scatter(z, labels=None, ax=None, title: str | None = None, s: float = 4.0, alpha: float = 0.7,
                   xlabel: str = "$z_1$", ylabel: str = "$z_2$", cmap: str = CMAP):
    """Scatter 2-D codes, coloured by label (digits 0–9 get a discrete colour bar).

    Args:
        z: array of shape ``(N, 2)``.
        labels: optional integer labels of shape ``(N,)``.
        ax: Axes to draw into.
        title, s, alpha, xlabel, ylabel, cmap: appearance.

    Returns:
        The Axes.

    Raises:
        ValueError: if ``z`` is not ``(N, 2)`` or ``labels`` has a different length.
    """
    import matplotlib.pyplot as plt

    z = np.asarray(z)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"z must have shape (N, 2); got {z.shape}. Project higher-dimensional codes first.")
    ax = _axes(ax, figsize=(5.0, 4.2))
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=s, alpha=alpha, color=plt.get_cmap(cmap)(0.3))
    else:
        labels = np.asarray(labels)
        if labels.shape != (len(z),):
            raise ValueError(f"labels must have shape ({len(z)},) to match z; got {labels.shape}.")
        classes = np.unique(labels)
        bounds = np.arange(classes.min(), classes.max() + 2) - 0.5
        norm = plt.matplotlib.colors.BoundaryNorm(bounds, plt.get_cmap(cmap).N)
        sc = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap=cmap, norm=norm, s=s, alpha=alpha)
        cbar = plt.colorbar(sc, ax=ax, ticks=classes)
        cbar.set_label("label")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def training_curves(history: Mapping[str, Sequence[float]] | object, keys: Sequence[str] | None = None, ax=None,
                    title: str | None = None, logy: bool = False, xlabel: str = "epoch",
                    ylabel: str = "loss"):
    """Plot training (and ``val_``) curves from a Keras ``History`` or a dict of lists.

    Args:
        history: a ``keras.callbacks.History`` or a mapping from metric name to per-epoch values.
        keys: which metrics to plot (default: every key without the ``val_`` prefix); a ``val_`` twin, if present,
            is drawn dashed in the same colour.
        ax: Axes to draw into.
        title, logy, xlabel, ylabel: appearance.

    Returns:
        The Axes.

    Raises:
        ValueError: if a requested key is missing.
    """
    import matplotlib.pyplot as plt

    hist = getattr(history, "history", history)
    if not isinstance(hist, Mapping):
        raise ValueError(f"history must be a keras History or a mapping of lists; got {type(history).__name__}.")
    keys = list(keys) if keys is not None else [k for k in hist if not k.startswith("val_")]
    missing = [k for k in keys if k not in hist]
    if missing:
        raise ValueError(f"history has no {missing}; it has {sorted(hist)}.")
    ax = _axes(ax)
    colors = plt.get_cmap("cividis")(np.linspace(0.0, 0.85, max(len(keys), 1)))
    for key, color in zip(keys, colors):
        values = np.asarray(hist[key], dtype=float)
        epochs = np.arange(1, len(values) + 1)
        ax.plot(epochs, values, color=color, label=key, marker="o" if len(values) < 15 else None, ms=3)
        if f"val_{key}" in hist:
            ax.plot(epochs, np.asarray(hist[f"val_{key}"], dtype=float), color=color, ls="--", label=f"val_{key}")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def autoencoder_diagram(ax=None, input_label: str = r"$\mathbf{x}$", code_label: str = r"$\mathbf{z}$",
                        output_label: str = r"$\hat{\mathbf{x}}$", encoder_label: str = "encoder $f$",
                        decoder_label: str = "decoder $g$", code_note: str = "code", title: str | None = None):
    """Draw the encoder → code → decoder picture: two trapezoids meeting at a narrow code.

    Args:
        ax: Axes to draw into (default: a new, wide figure).
        input_label, code_label, output_label: text at the input, the bottleneck and the output (math allowed).
        encoder_label, decoder_label: text inside the two trapezoids.
        code_note: small text under the bottleneck.
        title: title of the Axes.

    Returns:
        The Axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, Polygon, Rectangle

    ax = _axes(ax, figsize=(7.0, 2.6))
    cmap = plt.get_cmap(CMAP)
    enc = Polygon([[1.0, 0.0], [3.4, 0.9], [3.4, 2.1], [1.0, 3.0]], closed=True, color=cmap(0.25), alpha=0.85)
    dec = Polygon([[4.6, 0.9], [7.0, 0.0], [7.0, 3.0], [4.6, 2.1]], closed=True, color=cmap(0.7), alpha=0.85)
    code = Rectangle((3.6, 0.9), 0.8, 1.2, color=cmap(0.95), ec="black", lw=0.8)
    for patch in (enc, dec, code):
        ax.add_patch(patch)
    ax.text(2.2, 1.5, encoder_label, ha="center", va="center", color="white", fontsize=11)
    ax.text(5.8, 1.5, decoder_label, ha="center", va="center", color="black", fontsize=11)
    ax.text(4.0, 1.5, code_label, ha="center", va="center", fontsize=13)
    ax.text(4.0, 0.65, code_note, ha="center", va="top", fontsize=9)
    ax.text(0.35, 1.5, input_label, ha="center", va="center", fontsize=14)
    ax.text(7.65, 1.5, output_label, ha="center", va="center", fontsize=14)
    for x0, x1 in ((0.55, 0.95), (7.05, 7.45)):
        ax.add_patch(FancyArrowPatch((x0, 1.5), (x1, 1.5), arrowstyle="-|>", mutation_scale=12, color="black"))
    ax.set_xlim(0, 8)
    ax.set_ylim(-0.2, 3.2)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
