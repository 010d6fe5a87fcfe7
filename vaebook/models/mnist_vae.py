"""The MNIST VAEs of chapters 7 and 8: a convolutional encoder and decoder, their conditional versions, an MLP VAE.

Every model here has a Bernoulli likelihood on binarized 28×28 digits and is returned uncompiled. A builder's own
arguments choose the networks; its ``**kwargs`` are the model's (``beta``, ``free_bits``, ``seed``, ``name``), passed
on unchanged.
"""

from __future__ import annotations

from typing import Any

from vaebook.models.conditional_vae import ConditionalVAE
from vaebook.models.mnist_architectures import (
    build_mnist_decoder,
    build_mnist_encoder,
    build_mnist_mlp_decoder,
    build_mnist_mlp_encoder,
)
from vaebook.models.vae import VAE

__all__ = ["build_mnist_vae", "build_mnist_mlp_vae", "build_mnist_cvae"]


def build_mnist_vae(
    latent_dim: int = 16, filters: tuple[int, int] = (32, 64), dense_units: int = 256, **kwargs: Any
) -> VAE:
    """The convolutional VAE of the MNIST chapters: Bernoulli likelihood on binarized 28×28 digits.

    Encoder: :func:`build_mnist_encoder` (Conv2D 32 → max-pool → Conv2D 64 → max-pool → Flatten → Dense 256 →
    mean, log-variance); decoder: :func:`build_mnist_decoder` (Dense 7·7·64 → Reshape → Conv2DTranspose 64, 32
    with stride 2 → Conv2DTranspose 1 → logits), the architecture of the TU Dortmund slides.

    Args:
        latent_dim: number of latent dimensions.
        filters: channels of the two encoder convolutions (the decoder mirrors them).
        dense_units: width of the encoder's dense layer.
        **kwargs: the model's own arguments, passed to :class:`VAE`: ``beta`` (1.0), ``free_bits`` (None),
            ``seed`` (None) and ``name`` (here ``"mnist_vae"``).

    Returns:
        An uncompiled :class:`VAE`; ``compile(optimizer=...)`` then ``fit(x_binary)``.

    Used in: chapter 7, section "The architecture".
    """
    encoder = build_mnist_encoder(latent_dim, filters, dense_units)
    decoder = build_mnist_decoder(latent_dim, filters[::-1])
    return VAE(encoder, decoder, likelihood="bernoulli", **{"name": "mnist_vae", **kwargs})


def build_mnist_mlp_vae(latent_dim: int = 16, hidden: tuple[int, ...] = (512, 256), **kwargs: Any) -> VAE:
    """A fully connected MNIST VAE: Flatten → Dense(hidden…, relu) → mean, log-variance; the mirror image back to
    784 logits reshaped to (28, 28, 1). Bernoulli likelihood on binarized digits. ``**kwargs`` go to :class:`VAE`
    as for :func:`build_mnist_vae` (``name`` defaults to ``"mnist_mlp_vae"``).

    Used in: chapter 8, section "Measured".
    """
    encoder = build_mnist_mlp_encoder(latent_dim, hidden)
    decoder = build_mnist_mlp_decoder(latent_dim, tuple(hidden)[::-1])
    return VAE(encoder, decoder, likelihood="bernoulli", **{"name": "mnist_mlp_vae", **kwargs})


def build_mnist_cvae(
    latent_dim: int = 16,
    num_classes: int = 10,
    filters: tuple[int, int] = (32, 64),
    dense_units: int = 256,
    **kwargs: Any,
) -> ConditionalVAE:
    """The conditional version of :func:`build_mnist_vae`: the one-hot label enters the encoder after the
    convolutions and the decoder next to z. Bernoulli likelihood on binarized digits. ``**kwargs`` go to
    :class:`ConditionalVAE` as for :func:`build_mnist_vae` (``name`` defaults to ``"mnist_cvae"``).

    Used in: chapter 8, section "The conditional ELBO".
    """
    encoder = build_mnist_encoder(latent_dim, filters, dense_units, num_classes=num_classes)
    decoder = build_mnist_decoder(latent_dim, filters[::-1], num_classes=num_classes)
    return ConditionalVAE(
        encoder, decoder, num_classes=num_classes, likelihood="bernoulli", **{"name": "mnist_cvae", **kwargs}
    )
