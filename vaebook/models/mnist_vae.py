"""The MNIST VAEs of chapters 7 and 8: a convolutional encoder and decoder, their conditional versions, an MLP VAE.

Every model here has a Bernoulli likelihood on binarized 28×28 digits and is returned uncompiled.
"""

from __future__ import annotations

import keras

from vaebook._validation import check_integer
from vaebook.models.conditional_vae import ConditionalVAE
from vaebook.models.vae import VAE

__all__ = [
    "build_mnist_vae",
    "build_mnist_mlp_vae",
    "build_mnist_cvae",
    "build_mnist_encoder",
    "build_mnist_decoder",
]


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
    images = keras.Input((28, 28, 1), name="images")
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
    h = keras.layers.Dense(7 * 7 * filters[0], activation="relu")(h)
    h = keras.layers.Reshape((7, 7, filters[0]))(h)
    h = keras.layers.Conv2DTranspose(filters[0], 3, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.Conv2DTranspose(filters[1], 3, strides=2, padding="same", activation="relu")(h)
    logits = keras.layers.Conv2DTranspose(1, 3, padding="same", name="logits")(h)
    return keras.Model(inputs, logits, name=name)


def build_mnist_vae(
    latent_dim: int = 16,
    filters: tuple[int, int] = (32, 64),
    dense_units: int = 256,
    beta: float = 1.0,
    free_bits: float | None = None,
    seed: int | None = None,
    name: str = "mnist_vae",
) -> VAE:
    """The convolutional VAE of the MNIST chapters: Bernoulli likelihood on binarized 28×28 digits.

    Encoder: :func:`build_mnist_encoder` (Conv2D 32 → max-pool → Conv2D 64 → max-pool → Flatten → Dense 256 →
    mean, log-variance); decoder: :func:`build_mnist_decoder` (Dense 7·7·64 → Reshape → Conv2DTranspose 64, 32
    with stride 2 → Conv2DTranspose 1 → logits), the architecture of the TU Dortmund slides.

    Args:
        latent_dim: number of latent dimensions.
        filters: channels of the two encoder convolutions (the decoder mirrors them).
        dense_units: width of the encoder's dense layer.
        beta, free_bits, seed: see :class:`VAE`.
        name: model name.

    Returns:
        An uncompiled :class:`VAE`; ``compile(optimizer=...)`` then ``fit(x_binary)``.

    Used in: chapter 7, section "The architecture".
    """
    encoder = build_mnist_encoder(latent_dim, filters, dense_units)
    decoder = build_mnist_decoder(latent_dim, filters[::-1])
    return VAE(encoder, decoder, likelihood="bernoulli", beta=beta, free_bits=free_bits, seed=seed, name=name)


def build_mnist_mlp_vae(
    latent_dim: int = 16,
    hidden: tuple[int, ...] = (512, 256),
    beta: float = 1.0,
    free_bits: float | None = None,
    seed: int | None = None,
    name: str = "mnist_mlp_vae",
) -> VAE:
    """A fully connected MNIST VAE: Flatten → Dense(hidden…, relu) → mean, log-variance; the mirror image back to
    784 logits reshaped to (28, 28, 1). Bernoulli likelihood on binarized digits.

    Used in: chapter 8, section "Measured".
    """
    latent_dim = check_integer("latent_dim", latent_dim)
    x = keras.Input((28, 28, 1), name="images")
    h = keras.layers.Flatten()(x)
    for units in hidden:
        h = keras.layers.Dense(units, activation="relu")(h)
    encoder = keras.Model(
        x,
        [keras.layers.Dense(latent_dim, name="mean")(h), keras.layers.Dense(latent_dim, name="log_var")(h)],
        name="encoder",
    )
    z = keras.Input((latent_dim,), name="z")
    h = z
    for units in hidden[::-1]:
        h = keras.layers.Dense(units, activation="relu")(h)
    logits = keras.layers.Reshape((28, 28, 1), name="logits")(keras.layers.Dense(28 * 28)(h))
    decoder = keras.Model(z, logits, name="decoder")
    return VAE(encoder, decoder, likelihood="bernoulli", beta=beta, free_bits=free_bits, seed=seed, name=name)


def build_mnist_cvae(
    latent_dim: int = 16,
    num_classes: int = 10,
    filters: tuple[int, int] = (32, 64),
    dense_units: int = 256,
    beta: float = 1.0,
    free_bits: float | None = None,
    seed: int | None = None,
    name: str = "mnist_cvae",
) -> ConditionalVAE:
    """The conditional version of :func:`build_mnist_vae`: the one-hot label enters the encoder after the
    convolutions and the decoder next to z. Bernoulli likelihood on binarized digits.

    Used in: chapter 8, section "The conditional ELBO".
    """
    encoder = build_mnist_encoder(latent_dim, filters, dense_units, num_classes=num_classes)
    decoder = build_mnist_decoder(latent_dim, filters[::-1], num_classes=num_classes)
    return ConditionalVAE(
        encoder,
        decoder,
        num_classes=num_classes,
        likelihood="bernoulli",
        beta=beta,
        free_bits=free_bits,
        seed=seed,
        name=name,
    )
