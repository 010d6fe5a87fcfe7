"""Diagrams drawn with matplotlib: the encoder → code → decoder picture and a VAE's layers as a row of boxes."""

from __future__ import annotations

from collections.abc import Sequence

from vaebook.plotting.style import CMAP, axes_or_new

__all__ = ["autoencoder_diagram", "draw_architecture", "layer_rows"]


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

    ax = axes_or_new(ax, figsize=(7.0, 2.6))
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

    ax = axes_or_new(ax, figsize=(9.5, 3.6))
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
