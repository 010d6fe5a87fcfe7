"""The book's figure style: sizes, colour maps, matplotlib defaults, and the Axes every plotting function draws into.

Colour maps are colour-blind safe (viridis, cividis); figures are sized for a web page.
"""

from __future__ import annotations

__all__ = ["CMAP", "FIGSIZE", "IMAGE_CMAP", "axes_or_new", "use_book_style"]

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


def axes_or_new(ax=None, figsize=FIGSIZE):
    """``ax`` itself, or the Axes of a new figure of ``figsize`` inches when ``ax`` is None.

    Every plotting function of the book draws through it, so that a chapter can pass an Axes to combine panels.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax
