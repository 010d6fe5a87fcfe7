"""The MNIST architectures of the book, in one place: encoders, decoders and conditioners for 28×28 digits.

Every network here maps between the image shape :data:`MNIST_IMAGE_SHAPE` (28, 28, 1) and, through two 2×
downsamplings, the grid :data:`MNIST_GRID` (7, 7). The model builders (:func:`vaebook.models.build_mnist_vae`,
:func:`vaebook.models.build_mnist_vqvae`, the PixelCNN-decoder models ...) compose these networks.
"""

from __future__ import annotations

import math

import keras

from vaebook._validation import check_integer
from vaebook.layers.vector_quantizer import VectorQuantizer

__all__ = [
    "MNIST_GRID",
    "MNIST_IMAGE_SHAPE",
    "build_mnist_conditioner",
    "build_mnist_decoder",
    "build_mnist_encoder",
    "build_mnist_grid_conditioner",
    "build_mnist_mlp_decoder",
    "build_mnist_mlp_encoder",
    "build_mnist_quantizer",
    "build_mnist_vq_decoder",
    "build_mnist_vq_encoder",
]

MNIST_IMAGE_SHAPE = (28, 28, 1)
MNIST_GRID = (MNIST_IMAGE_SHAPE[0] // 4, MNIST_IMAGE_SHAPE[1] // 4)  # after two stride-2 (or 2×2 pooling) steps


def build_mnist_encoder(
    latent_dim: int = 16,
    filters: tuple[int, int] = (32, 64),
    dense_units: int = 256,
    num_classes: int | None = None,
    name: str = "encoder",
) -> keras.Model:
    """The convolutional MNIST encoder of the TU Dortmund lecture slides (Korzhylova et al., 2024).

    Convolution, pooling, flattening and dense layers.

    (28, 28, 1) → Conv2D(f₁, 3×3, relu) → MaxPooling 2×2 → Conv2D(f₂, 3×3, relu) → MaxPooling 2×2 → Flatten
    → Dense(dense_units, relu) → two Dense(latent_dim) heads: mean and log-variance. With ``num_classes``, a
    second input (the one-hot label) is concatenated to the flattened features (conditional encoder).
    """
    latent_dim = check_integer("latent_dim", latent_dim)
    images = keras.Input(MNIST_IMAGE_SHAPE, name="images")
    h = keras.layers.Conv2D(filters[0], 3, padding="same", activation="relu")(images)
    h = keras.layers.MaxPooling2D(2)(h)
    h = keras.layers.Conv2D(filters[1], 3, padding="same", activation="relu")(h)
    h = keras.layers.MaxPooling2D(2)(h)
    h = keras.layers.Flatten()(h)
    inputs = images
    if num_classes is not None:
        label = keras.Input((num_classes,), name="label_onehot")
        h = keras.layers.Concatenate()([h, label])
        inputs = [images, label]
    h = keras.layers.Dense(dense_units, activation="relu")(h)
    mean = keras.layers.Dense(latent_dim, name="mean")(h)
    log_var = keras.layers.Dense(latent_dim, name="log_var")(h)
    return keras.Model(inputs, [mean, log_var], name=name)


def build_mnist_decoder(
    latent_dim: int = 16, filters: tuple[int, int] = (64, 32), num_classes: int | None = None, name: str = "decoder"
) -> keras.Model:
    """The convolutional MNIST decoder of the TU Dortmund lecture slides (Korzhylova et al., 2024).

    Dense, reshape and transposed convolutions, to logits.

    z → Dense(7·7·f₁, relu) → Reshape(7, 7, f₁) → Conv2DTranspose(f₁, 3×3, stride 2, relu) → 14×14
    → Conv2DTranspose(f₂, 3×3, stride 2, relu) → 28×28 → Conv2DTranspose(1, 3×3) → logits of shape (28, 28, 1).
    With ``num_classes``, the one-hot label is concatenated to z.
    """
    latent_dim = check_integer("latent_dim", latent_dim)
    z = keras.Input((latent_dim,), name="z")
    h, inputs = z, z
    if num_classes is not None:
        label = keras.Input((num_classes,), name="label_onehot")
        h = keras.layers.Concatenate()([z, label])
        inputs = [z, label]
    h = keras.layers.Dense(math.prod(MNIST_GRID) * filters[0], activation="relu")(h)
    h = keras.layers.Reshape((*MNIST_GRID, filters[0]))(h)
    h = keras.layers.Conv2DTranspose(filters[0], 3, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.Conv2DTranspose(filters[1], 3, strides=2, padding="same", activation="relu")(h)
    logits = keras.layers.Conv2DTranspose(1, 3, padding="same", name="logits")(h)
    return keras.Model(inputs, logits, name=name)


def build_mnist_mlp_encoder(latent_dim: int = 16, hidden: tuple[int, ...] = (512, 256)) -> keras.Model:
    """Flatten → Dense(h, relu) for each entry of ``hidden`` → two Dense(latent_dim) heads: mean, log-variance."""
    latent_dim = check_integer("latent_dim", latent_dim)
    x = keras.Input(MNIST_IMAGE_SHAPE, name="images")
    h = keras.layers.Flatten()(x)
    for units in hidden:
        h = keras.layers.Dense(units, activation="relu")(h)
    mean = keras.layers.Dense(latent_dim, name="mean")(h)
    return keras.Model(x, [mean, keras.layers.Dense(latent_dim, name="log_var")(h)], name="encoder")


def build_mnist_mlp_decoder(latent_dim: int = 16, hidden: tuple[int, ...] = (256, 512)) -> keras.Model:
    """z → Dense(h, relu) for each entry of ``hidden`` → Dense(784) → logits reshaped to (28, 28, 1)."""
    latent_dim = check_integer("latent_dim", latent_dim)
    z = keras.Input((latent_dim,), name="z")
    h = z
    for units in hidden:
        h = keras.layers.Dense(units, activation="relu")(h)
    logits = keras.layers.Reshape(MNIST_IMAGE_SHAPE, name="logits")(keras.layers.Dense(math.prod(MNIST_IMAGE_SHAPE))(h))
    return keras.Model(z, logits, name="decoder")


def build_mnist_vq_encoder(latent_dim: int = 16, filters: tuple[int, int] = (32, 64)) -> keras.Model:
    """(28, 28, 1) → (7, 7, latent_dim): Conv2D(f1, 3, stride 2, ReLU) → Conv2D(f2, 3, stride 2, ReLU)
    → Conv2D(latent_dim, 1)."""
    latent_dim = check_integer("latent_dim", latent_dim)
    f1, f2 = filters
    enc_in = keras.Input(MNIST_IMAGE_SHAPE)
    h = keras.layers.Conv2D(f1, 3, strides=2, padding="same", activation="relu")(enc_in)
    h = keras.layers.Conv2D(f2, 3, strides=2, padding="same", activation="relu")(h)
    return keras.Model(enc_in, keras.layers.Conv2D(latent_dim, 1, padding="same")(h), name="encoder")


def build_mnist_vq_decoder(latent_dim: int = 16, filters: tuple[int, int] = (32, 64)) -> keras.Model:
    """(7, 7, latent_dim) → (28, 28, 1): the mirror image of :func:`build_mnist_vq_encoder`, transposed
    convolutions (f2, then f1, stride 2, ReLU) and a linear 1-channel output (the keras.io VQ-VAE example's layout)."""
    latent_dim = check_integer("latent_dim", latent_dim)
    f1, f2 = filters
    dec_in = keras.Input((*MNIST_GRID, latent_dim))
    h = keras.layers.Conv2DTranspose(f2, 3, strides=2, padding="same", activation="relu")(dec_in)
    h = keras.layers.Conv2DTranspose(f1, 3, strides=2, padding="same", activation="relu")(h)
    return keras.Model(dec_in, keras.layers.Conv2DTranspose(1, 3, padding="same")(h), name="decoder")


def build_mnist_quantizer(
    latent_dim: int = 16,
    num_embeddings: int = 128,
    beta: float = 0.25,
    ema_decay: float | None = 0.99,
    dead_code_threshold: float | None = 5.0,
    usage_decay: float = 0.8,
    seed: int | None = None,
) -> VectorQuantizer:
    """The codebook of the MNIST VQ models: ``num_embeddings`` codes of dimension ``latent_dim``, EMA updates with
    dead-code restarts by default (the arguments of :class:`vaebook.layers.VectorQuantizer`). The VQ builders take
    ``beta``, ``ema_decay``, ``dead_code_threshold`` and ``usage_decay`` as one dict, ``quantizer_options``."""
    return VectorQuantizer(
        num_embeddings,
        latent_dim,
        beta=beta,
        ema_decay=ema_decay,
        dead_code_threshold=dead_code_threshold,
        usage_decay=usage_decay,
        seed=seed,
        name="vector_quantizer",
    )


def _upsample_to_features(grid, channels: int):
    """A (7, 7, ·) tensor → (28, 28, channels): two stride-2 Conv2DTranspose(32, 3, ReLU) → Conv2D(channels, 1)."""
    h = keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(grid)
    h = keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(h)
    return keras.layers.Conv2D(channels, 1, name="features")(h)


def build_mnist_conditioner(latent_dim: int = 16, channels: int = 32, name: str = "conditioner") -> keras.Model:
    """z → (28, 28, channels) feature map: Dense(7·7·32, relu) → Reshape → two stride-2 Conv2DTranspose (relu)
    → Conv2D(channels, 1). The upsampling path of chapter 7's decoder, ending in features instead of logits.
    """
    latent_dim = check_integer("latent_dim", latent_dim)
    channels = check_integer("channels", channels)
    z = keras.Input((latent_dim,), name="z")
    h = keras.layers.Dense(math.prod(MNIST_GRID) * 32, activation="relu")(z)
    h = keras.layers.Reshape((*MNIST_GRID, 32))(h)
    return keras.Model(z, _upsample_to_features(h, channels), name=name)


def build_mnist_grid_conditioner(latent_dim: int = 16, channels: int = 32) -> keras.Model:
    """(7, 7, latent_dim) → (28, 28, channels): the upsampling path of :func:`build_mnist_conditioner` without its
    Dense layer, for a quantized code grid."""
    latent_dim = check_integer("latent_dim", latent_dim)
    channels = check_integer("channels", channels)
    grid = keras.Input((*MNIST_GRID, latent_dim), name="z_q")
    return keras.Model(grid, _upsample_to_features(grid, channels), name="conditioner")
