"""Training curves in the book's style, from a Keras ``History`` or a dict of per-epoch values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from vaebook.plotting.style import axes_or_new

__all__ = ["training_curves"]


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
    ax = axes_or_new(ax)
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
