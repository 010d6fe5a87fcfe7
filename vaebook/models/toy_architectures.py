"""The networks of the toy models (chapter 12's GAN and DDPM on points in the plane), in one place.

Every network here is a small multilayer perceptron on low-dimensional vectors; the model builders
(:func:`vaebook.models.build_toy_gan`, :func:`vaebook.models.build_toy_ddpm`) compose them, as the MNIST builders
compose the networks of :mod:`vaebook.models.mnist_architectures`.
"""

from __future__ import annotations

from typing import Any

import keras

from vaebook._validation import check_integer

__all__ = ["build_toy_denoiser", "build_toy_mlp"]


def _dense_stack(h: Any, hidden: tuple[int, ...], activation: str, name: str) -> Any:
    """``h`` through Dense(units, activation) for each entry of ``hidden``, named ``{name}_dense_{i}``."""
    for i, units in enumerate(hidden):
        h = keras.layers.Dense(units, activation=activation, name=f"{name}_dense_{i}")(h)
    return h


def _widths(hidden: Any) -> tuple[int, ...]:
    return tuple(check_integer("each entry of hidden", h) for h in hidden)


def build_toy_mlp(
    input_dim: int, output_dim: int, hidden: tuple[int, ...] = (128, 128), activation: str = "relu", name: str = "mlp"
) -> keras.Model:
    """(input_dim,) → Dense(h, activation) per entry of ``hidden`` → Dense(output_dim), a linear output.

    The layers are named ``{name}_input``, ``{name}_dense_{i}`` and ``{name}_out``; the model ``name``. The GAN's
    generator (noise → point) and discriminator (point → one logit) are two of them.
    """
    input_dim = check_integer("input_dim", input_dim)
    output_dim = check_integer("output_dim", output_dim)
    hidden = _widths(hidden)
    inputs = keras.Input((input_dim,), name=f"{name}_input")
    h = _dense_stack(inputs, hidden, activation, name)
    return keras.Model(inputs, keras.layers.Dense(output_dim, name=f"{name}_out")(h), name=name)


def build_toy_denoiser(
    data_dim: int = 2, embedding_dim: int = 32, hidden: tuple[int, ...] = (128, 128, 128)
) -> keras.Model:
    """The DDPM's noise predictor ε_θ(x_t, t) for low-dimensional data.

    [x_t (data_dim,), time features (embedding_dim,)] → concatenate → Dense(h, silu) per entry of ``hidden`` →
    Dense(data_dim), the predicted noise. The time features are :func:`vaebook.models.timestep_embedding`'s, so
    ``embedding_dim`` is even.
    """
    data_dim = check_integer("data_dim", data_dim)
    embedding_dim = check_integer("embedding_dim", embedding_dim)
    if embedding_dim % 2:
        raise ValueError(f"embedding_dim must be even; got {embedding_dim}.")
    hidden = _widths(hidden)
    x_in = keras.Input((data_dim,), name="x_t")
    t_in = keras.Input((embedding_dim,), name="time_features")
    h = keras.layers.Concatenate(name="concat")([x_in, t_in])
    h = _dense_stack(h, hidden, "silu", "denoiser")
    out = keras.layers.Dense(data_dim, name="predicted_noise")(h)
    return keras.Model([x_in, t_in], out, name="denoiser")
