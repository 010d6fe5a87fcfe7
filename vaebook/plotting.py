"""Figures in the book's style: image grids, latent scatters coloured by label, training curves, diagrams.

Every function draws into a matplotlib ``Axes`` (a new figure if none is given) and returns it, so a chapter can
combine panels. Colour maps are colour-blind safe (viridis, cividis); figures are sized for a web page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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

    mpl.rcParams.update(
        {
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
        }
    )


def _axes(ax, figsize=FIGSIZE):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


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


def latent_scatter(
    z,
    labels=None,
    ax=None,
    title: str | None = None,
    s: float = 4.0,
    alpha: float = 0.7,
    xlabel: str = "$z_1$",
    ylabel: str = "$z_2$",
    cmap: str = CMAP,
):
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


def training_curves(
    history: Mapping[str, Sequence[float]] | object,
    keys: Sequence[str] | None = None,
    ax=None,
    title: str | None = None,
    logy: bool = False,
    xlabel: str = "epoch",
    ylabel: str = "loss",
):
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
    for key, color in zip(keys, colors, strict=False):  # one colour for no keys: colors may be longer
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


def autoencoder_diagram(
    ax=None,
    input_label: str = r"$\mathbf{x}$",
    code_label: str = r"$\mathbf{z}$",
    output_label: str = r"$\hat{\mathbf{x}}$",
    encoder_label: str = "encoder $f$",
    decoder_label: str = "decoder $g$",
    code_note: str = "code",
    title: str | None = None,
):
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


def layer_rows(model) -> list[tuple[str, str]]:
    """``(layer, output shape)`` for every layer of a built Keras model, skipping the input, for
    :func:`draw_architecture`.

    Long class names are shortened (``ConvTranspose``, ``MaxPool``); the layers named ``mean`` and ``log_var``
    become ``Dense → μ`` and ``Dense → log σ²``.

    Args:
        model: a built Keras model (functional or Sequential).

    Returns:
        A list of ``(name, shape)`` pairs, the shape without the batch axis written ``"14×14×32"``.

    Used in: chapter 7, section "The architecture".
    """
    import keras

    rows = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        shape = layer.output.shape if not isinstance(layer.output, (list, tuple)) else layer.output[0].shape
        name = {"Conv2DTranspose": "ConvTranspose", "MaxPooling2D": "MaxPool"}.get(
            type(layer).__name__, type(layer).__name__
        )
        if layer.name in ("mean", "log_var"):
            name = f"Dense → {'μ' if layer.name == 'mean' else 'log σ²'}"
        rows.append((name, "×".join(str(s) for s in shape[1:])))
    return rows


def draw_architecture(
    encoder_rows: Sequence[tuple[str, str]],
    decoder_rows: Sequence[tuple[str, str]],
    latent_dim: int,
    input_shape: str = "28×28×1",
    title: str | None = None,
    ax=None,
):
    """Draw a VAE as a row of boxes, one per layer with its output shape: input, encoder, Sampling, decoder.

    Args:
        encoder_rows: ``(name, shape)`` pairs of the encoder's layers (:func:`layer_rows`).
        decoder_rows: the same for the decoder.
        latent_dim: the size of z, written under the Sampling box.
        input_shape: text under the input box.
        title: title of the Axes.
        ax: Axes to draw into (default: a new, wide figure).

    Returns:
        The Axes.

    Used in: chapter 7, section "The architecture".
    """
    import matplotlib.pyplot as plt

    ax = _axes(ax, figsize=(9.5, 3.6))
    ax.set_axis_off()
    cmap = plt.get_cmap(CMAP)
    boxes = (
        [("input", input_shape, cmap(0.95))]
        + [(n, s, cmap(0.75)) for n, s in encoder_rows]
        + [("Sampling", f"z: {latent_dim}", cmap(0.45))]
        + [(n, s, cmap(0.25)) for n, s in decoder_rows]
    )
    n = len(boxes)
    for i, (name, shape, color) in enumerate(boxes):
        x = i / n
        ax.add_patch(plt.Rectangle((x, 0.35), 0.9 / n, 0.3, color=color, alpha=0.85, transform=ax.transAxes))
        ax.text(
            x + 0.45 / n,
            0.5,
            name,
            rotation=90,
            ha="center",
            va="center",
            fontsize=8,
            color="white" if color[0] < 0.5 else "black",
            transform=ax.transAxes,
        )
        ax.text(x + 0.45 / n, 0.3, shape, rotation=90, ha="center", va="top", fontsize=7, transform=ax.transAxes)
        if i < n - 1:
            ax.annotate(
                "",
                xy=((i + 1) / n, 0.5),
                xytext=(x + 0.9 / n, 0.5),
                xycoords="axes fraction",
                arrowprops=dict(arrowstyle="->", lw=0.8),
            )
    k = 1 + len(encoder_rows)
    ax.text(
        (0.5 + 0.5 * k) / n,
        0.8,
        "encoder $q_\\phi(\\mathbf{z} \\mid \\mathbf{x})$",
        ha="center",
        transform=ax.transAxes,
    )
    ax.text(
        (k + 1 + 0.5 * len(decoder_rows)) / n,
        0.8,
        "decoder $p_\\theta(\\mathbf{x} \\mid \\mathbf{z})$",
        ha="center",
        transform=ax.transAxes,
    )
    if title:
        ax.set_title(title)
    return ax


def animate_latents(
    snapshots,
    labels=None,
    steps: Sequence[int] | None = None,
    interval: int = 300,
    title: str = "latent codes",
    cmap: str = CMAP,
    s: float = 5.0,
    alpha: float = 0.7,
    fixed_limits: bool = True,
    html: bool = True,
    dpi: int = 72,
):
    """Animate 2-D codes of a fixed batch over training (e.g. from ``vaebook.callbacks.LatentSnapshots``).

    Each frame is one snapshot: the same examples, encoded at a later training step. With ``fixed_limits`` the
    axes span every frame, so that a latent space that spreads out or contracts is seen to do so.

    Args:
        snapshots: frames of codes: an array of shape ``(T, N, 2)``, a sequence of ``(N, 2)`` arrays, or a
            ``vaebook.callbacks.LatentSnapshots`` after ``fit`` (any object with ``means`` of shape ``(T, N, d)``
            and ``steps``; with ``d > 2`` the first two coordinates are shown).
        labels: optional integer labels of the ``N`` examples (colours).
        steps: optional training step of each frame, shown in the title (default: the object's ``steps``, else
            the frame index).
        interval: milliseconds between frames.
        title, cmap, s, alpha: appearance.
        fixed_limits: same axis limits in every frame (the union of all frames, with a margin).
        html: return an ``IPython.display.HTML`` with matplotlib's JavaScript player (plays in a notebook and on
            the website, no ffmpeg needed); if False, return the ``matplotlib.animation.FuncAnimation``.
        dpi: resolution of the embedded frames (every frame is a PNG inside the page: 72 dpi keeps 25 frames
            near 1 MB).

    Returns:
        ``IPython.display.HTML`` (default) or the ``FuncAnimation``. The figure is closed, so that a notebook does
        not also show a static copy.

    Raises:
        ValueError: if the frames are not ``(N, 2)`` arrays of one common ``N``, or labels/steps do not match.

    Used in: chapter 7, section "The latent space during training".
    """
    import matplotlib.pyplot as plt
    from matplotlib import animation

    if steps is None and hasattr(snapshots, "steps"):
        steps = snapshots.steps
    if hasattr(snapshots, "means"):
        snapshots = np.asarray(snapshots.means)[..., :2]
    try:
        frames = np.stack([np.asarray(f, dtype=np.float64) for f in snapshots])
    except ValueError as err:
        raise ValueError(f"snapshots must be frames of codes with one common shape (N, 2); {err}") from None
    if frames.ndim != 3 or frames.shape[2] != 2 or frames.shape[0] == 0 or frames.shape[1] == 0:
        raise ValueError(
            f"snapshots must have shape (T, N, 2) with T, N > 0; got {frames.shape}. "
            f"Project higher-dimensional codes to 2-D first."
        )
    n_frames, n = frames.shape[:2]
    if steps is not None:
        steps = list(steps)
        if len(steps) != n_frames:
            raise ValueError(f"steps must have one entry per frame ({n_frames}); got {len(steps)}.")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (n,):
            raise ValueError(f"labels must have shape ({n},) to match the snapshots; got {labels.shape}.")
    fig, ax = plt.subplots(figsize=(5.0, 4.2))
    if labels is None:
        sc = ax.scatter(frames[0, :, 0], frames[0, :, 1], s=s, alpha=alpha, color=plt.get_cmap(cmap)(0.3))
    else:
        classes = np.unique(labels)
        bounds = np.arange(classes.min(), classes.max() + 2) - 0.5
        norm = plt.matplotlib.colors.BoundaryNorm(bounds, plt.get_cmap(cmap).N)
        sc = ax.scatter(frames[0, :, 0], frames[0, :, 1], c=labels, cmap=cmap, norm=norm, s=s, alpha=alpha)
        fig.colorbar(sc, ax=ax, ticks=classes).set_label("label")
    if fixed_limits:
        finite = frames[np.isfinite(frames).all(axis=2)]
        lo, hi = finite.min(axis=0), finite.max(axis=0)
        margin = 0.05 * np.maximum(hi - lo, 1e-6)
        ax.set_xlim(lo[0] - margin[0], hi[0] + margin[0])
        ax.set_ylim(lo[1] - margin[1], hi[1] + margin[1])
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")

    def label(i: int) -> str:
        return f"{title}: step {steps[i]}" if steps is not None else f"{title}: frame {i + 1}/{n_frames}"

    ax.set_title(label(0))

    def update(i: int):
        sc.set_offsets(frames[i])
        if not fixed_limits:
            ax.relim()
            ax.update_datalim(frames[i])
            ax.autoscale_view()
        ax.set_title(label(i))
        return (sc,)

    anim = animation.FuncAnimation(fig, update, frames=n_frames, interval=interval, blit=False)
    plt.close(fig)
    if not html:
        return anim
    import matplotlib as mpl
    from IPython.display import HTML

    with mpl.rc_context({"savefig.dpi": dpi}):
        return HTML(anim.to_jshtml(default_mode="once"))
