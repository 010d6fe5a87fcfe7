"""Latent codes in the book's style: 2-D codes scattered and coloured by label, and animated over training."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vaebook.plotting.style import CMAP, axes_or_new

__all__ = ["animate_latents", "latent_scatter"]


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
    ax = axes_or_new(ax, figsize=(5.0, 4.2))
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=s, alpha=alpha, color=plt.get_cmap(cmap)(0.3))
    else:
        labels = np.asarray(labels)
        if labels.shape != (len(z),):
            raise ValueError(f"labels must have shape ({len(z)},) to match z; got {labels.shape}.")
        classes, norm = _label_norm(labels, cmap)
        sc = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap=cmap, norm=norm, s=s, alpha=alpha)
        cbar = plt.colorbar(sc, ax=ax, ticks=classes)
        cbar.set_label("label")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
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
        classes, norm = _label_norm(labels, cmap)
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


def _label_norm(labels, cmap: str):
    """The distinct labels and a colour norm that gives each integer label its own band of ``cmap``."""
    import matplotlib.pyplot as plt

    classes = np.unique(labels)
    bounds = np.arange(classes.min(), classes.max() + 2) - 0.5
    return classes, plt.matplotlib.colors.BoundaryNorm(bounds, plt.get_cmap(cmap).N)
