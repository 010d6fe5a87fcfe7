"""Builders of the autoencoders of chapter 3: dense, convolutional, linear and contractive.

Each returns an uncompiled :class:`vaebook.models.Autoencoder` (or the variant passed as ``model_class``) whose
encoder and decoder are ``keras.Sequential`` models.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
from keras import layers

from vaebook._validation import check_integer
from vaebook.models.autoencoder import Autoencoder, ContractiveAutoencoder

__all__ = [
    "build_dense_autoencoder",
    "build_conv_autoencoder",
    "build_linear_autoencoder",
    "build_contractive_autoencoder",
]


def _check_shape_and_code(input_shape, code_dim) -> tuple[int, ...]:
    shape = tuple(int(s) for s in input_shape)
    if not shape or any(s <= 0 for s in shape):
        raise ValueError(f"input_shape must be a tuple of positive integers; got {input_shape!r}.")
    check_integer("code_dim", code_dim)
    return shape


def _make(model_class, encoder, decoder, name, model_kwargs):
    if not (isinstance(model_class, type) and issubclass(model_class, Autoencoder)):
        raise ValueError(f"model_class must be Autoencoder or a subclass; got {model_class!r}.")
    return model_class(encoder, decoder, name=name, **model_kwargs)


def build_dense_autoencoder(
    input_shape: Sequence[int] = (28, 28, 1),
    code_dim: int = 32,
    hidden: Sequence[int] = (256,),
    activation: str = "relu",
    code_activation: str | None = None,
    output_activation: str | None = "sigmoid",
    model_class: type = Autoencoder,
    **model_kwargs,
) -> Autoencoder:
    """A fully connected autoencoder: Flatten → Dense(hidden...) → Dense(code_dim) and the mirror image back.

    Args:
        input_shape: shape of one example, e.g. ``(28, 28, 1)``.
        code_dim: size of the bottleneck code.
        hidden: widths of the hidden layers of the encoder (the decoder uses them reversed).
        activation: activation of the hidden layers.
        code_activation: activation of the code layer (``None``: linear; ``"relu"`` for a sparse code).
        output_activation: ``"sigmoid"`` for data in [0, 1], ``None`` for unbounded data.
        model_class: :class:`Autoencoder` or a variant (e.g. :class:`DenoisingAutoencoder`).
        **model_kwargs: passed to ``model_class`` (e.g. ``noise_level=0.5``).

    Returns:
        An uncompiled autoencoder whose encoder and decoder are ``keras.Sequential`` models.

    Used in: chapter 3, section "The latent space of a plain autoencoder is irregular".
    """
    shape = _check_shape_and_code(input_shape, code_dim)
    size = math.prod(shape)
    encoder = keras.Sequential(
        [keras.Input(shape), layers.Flatten()]
        + [layers.Dense(int(w), activation=activation) for w in hidden]
        + [layers.Dense(int(code_dim), activation=code_activation)],
        name="encoder",
    )
    decoder = keras.Sequential(
        [keras.Input((int(code_dim),))]
        + [layers.Dense(int(w), activation=activation) for w in reversed(hidden)]
        + [layers.Dense(size, activation=output_activation), layers.Reshape(shape)],
        name="decoder",
    )
    return _make(model_class, encoder, decoder, "dense_autoencoder", model_kwargs)


def build_conv_autoencoder(
    input_shape: Sequence[int] = (28, 28, 1),
    code_dim: int = 16,
    filters: Sequence[int] = (32, 64),
    output_activation: str | None = "sigmoid",
    model_class: type = Autoencoder,
    **model_kwargs,
) -> Autoencoder:
    """A convolutional autoencoder: strided 3×3 convolutions down to a dense code, transposed convolutions up.

    Each entry of ``filters`` halves the height and width (``input_shape``'s must be divisible by
    ``2**len(filters)``, e.g. 28 with two layers: 28 → 14 → 7).

    Args:
        input_shape: ``(height, width, channels)``.
        code_dim: size of the bottleneck code.
        filters: channels of the strided convolutions.
        output_activation: ``"sigmoid"`` for images in [0, 1].
        model_class: :class:`Autoencoder` or a variant.
        **model_kwargs: passed to ``model_class``.

    Returns:
        An uncompiled autoencoder.

    Raises:
        ValueError: if ``input_shape`` is not 3-D or not divisible by ``2**len(filters)``.

    Used in: chapter 3, section "A nonlinear autoencoder beats PCA at equal code size".
    """
    shape = _check_shape_and_code(input_shape, code_dim)
    factor = 2 ** len(filters)
    if len(shape) != 3 or shape[0] % factor or shape[1] % factor:
        raise ValueError(
            f"input_shape must be (height, width, channels) with height and width divisible by {factor}; got {shape}."
        )
    small = (shape[0] // factor, shape[1] // factor, int(filters[-1]))
    encoder = keras.Sequential(
        [keras.Input(shape)]
        + [layers.Conv2D(int(f), 3, strides=2, padding="same", activation="relu") for f in filters]
        + [layers.Flatten(), layers.Dense(int(code_dim))],
        name="encoder",
    )
    decoder = keras.Sequential(
        [keras.Input((int(code_dim),)), layers.Dense(math.prod(small), activation="relu"), layers.Reshape(small)]
        + [layers.Conv2DTranspose(int(f), 3, strides=2, padding="same", activation="relu") for f in reversed(filters)]
        + [layers.Conv2D(shape[-1], 3, padding="same", activation=output_activation)],
        name="decoder",
    )
    return _make(model_class, encoder, decoder, "conv_autoencoder", model_kwargs)


def build_linear_autoencoder(
    input_shape: Sequence[int] = (28, 28, 1), code_dim: int = 16, model_class: type = Autoencoder, **model_kwargs
) -> Autoencoder:
    """A linear autoencoder ``x' = D (E x + c) + d``: one Dense layer each way, no activation.

    At its optimum of the squared error it spans the PCA subspace of the (centred) data, though its basis need not
    be the principal directions (Baldi & Hornik, 1989).

    Args:
        input_shape: shape of one example.
        code_dim: size of the code (the number of principal components it competes with).
        model_class: :class:`Autoencoder` or a variant.
        **model_kwargs: passed to ``model_class``.

    Returns:
        An uncompiled autoencoder; ``model.encoder.layers[-1].kernel`` is ``Eᵀ`` (shape ``(input_dim, code_dim)``).

    Used in: chapter 3, section "A linear autoencoder finds the PCA subspace, not the PCA basis".
    """
    shape = _check_shape_and_code(input_shape, code_dim)
    encoder = keras.Sequential([keras.Input(shape), layers.Flatten(), layers.Dense(int(code_dim))], name="encoder")
    decoder = keras.Sequential(
        [keras.Input((int(code_dim),)), layers.Dense(math.prod(shape)), layers.Reshape(shape)], name="decoder"
    )
    return _make(model_class, encoder, decoder, "linear_autoencoder", model_kwargs)


def build_contractive_autoencoder(
    input_shape: Sequence[int] = (28, 28, 1),
    code_dim: int = 32,
    contraction_weight: float = 0.1,
    output_activation: str | None = "sigmoid",
) -> ContractiveAutoencoder:
    """A :class:`ContractiveAutoencoder` with encoder ``h = σ(W x + b)`` and a one-layer decoder.

    Args:
        input_shape: shape of one example.
        code_dim: number of sigmoid code units.
        contraction_weight: λ, the weight of the Jacobian penalty.
        output_activation: activation of the decoder's output.

    Returns:
        An uncompiled :class:`ContractiveAutoencoder`.

    Used in: chapter 3, section "Sparse and contractive autoencoders".
    """
    shape = _check_shape_and_code(input_shape, code_dim)
    encoder = keras.Sequential(
        [keras.Input(shape), layers.Flatten(), layers.Dense(int(code_dim), activation="sigmoid")], name="encoder"
    )
    decoder = keras.Sequential(
        [
            keras.Input((int(code_dim),)),
            layers.Dense(math.prod(shape), activation=output_activation),
            layers.Reshape(shape),
        ],
        name="decoder",
    )
    return ContractiveAutoencoder(
        encoder, decoder, contraction_weight=contraction_weight, name="contractive_autoencoder"
    )
