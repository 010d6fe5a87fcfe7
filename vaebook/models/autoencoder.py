"""Plain autoencoders: an encoder, a bottleneck code and a decoder, trained to reconstruct their input.

Every model here is trained with ``model.fit(x)`` (no targets): the input is its own target. The reconstruction
loss is the squared error **summed over every pixel (feature) of an example and averaged over the batch**,

    L(x, x') = 1/B * sum_b sum_i (x_bi - x'_bi)**2,

so a number printed by ``fit`` is "squared error per example". The variants add one term each:

* :class:`DenoisingAutoencoder` corrupts the input in training only and reconstructs the clean input;
* :class:`SparseAutoencoder` adds an L1 activity penalty on the code;
* :class:`ContractiveAutoencoder` adds the squared Frobenius norm of the encoder's Jacobian, in closed form for a
  one-hidden-layer sigmoid encoder.

Builders: :func:`build_dense_autoencoder`, :func:`build_conv_autoencoder`, :func:`build_linear_autoencoder`,
:func:`build_contractive_autoencoder`.

Used in: chapter "Autoencoders" (every model), chapter "A VAE on MNIST" (decoding prior draws from a plain
autoencoder).
"""

from __future__ import annotations

import math
from typing import Sequence

import keras
import numpy as np
from keras import layers, ops

__all__ = [
    "Autoencoder",
    "DenoisingAutoencoder",
    "SparseAutoencoder",
    "ContractiveAutoencoder",
    "squared_reconstruction_error",
    "peak_signal_to_noise_ratio",
    "build_dense_autoencoder",
    "build_conv_autoencoder",
    "build_linear_autoencoder",
    "build_contractive_autoencoder",
]


def squared_reconstruction_error(x, x_hat):
    """Squared error of each example, summed over all its non-batch axes.

    Args:
        x: tensor of shape ``(batch, ...)``, the target.
        x_hat: tensor of the same shape, the reconstruction.

    Returns:
        Tensor of shape ``(batch,)``: ``sum_i (x_i - x_hat_i)**2`` for each example.

    Raises:
        ValueError: if the shapes differ (when both are known).

    Used in: chapter "Autoencoders", section "The reconstruction loss".
    """
    x = ops.convert_to_tensor(x)
    x_hat = ops.convert_to_tensor(x_hat)
    if tuple(x.shape) != tuple(x_hat.shape) and None not in tuple(x.shape) + tuple(x_hat.shape):
        raise ValueError(f"x and x_hat must have the same shape; got {tuple(x.shape)} and {tuple(x_hat.shape)}.")
    x_hat = ops.cast(x_hat, x.dtype)
    diff = ops.reshape(x - x_hat, (ops.shape(x)[0], -1))
    return ops.sum(ops.square(diff), axis=-1)


def _check_submodel(name: str, value) -> None:
    if not isinstance(value, keras.layers.Layer):
        raise ValueError(f"{name} must be a keras Layer or Model; got {type(value).__name__}.")


@keras.saving.register_keras_serializable(package="vaebook")
class Autoencoder(keras.Model):
    """An encoder and a decoder trained end to end to reconstruct the input.

    The loss (in :meth:`compute_loss`) is the squared error summed over the pixels of an example and averaged over
    the batch, plus any regularization losses of the layers (``self.losses``). Train it with ``model.fit(x)``.

    Args:
        encoder: a Keras layer or model mapping inputs ``(batch, *input_shape)`` to codes ``(batch, code_dim)``.
        decoder: a Keras layer or model mapping codes back to ``(batch, *input_shape)``.
        **kwargs: passed to ``keras.Model`` (e.g. ``name``).

    Example:
        >>> model = build_dense_autoencoder((28, 28, 1), code_dim=16)
        >>> model.compile(optimizer="adam")
        >>> model.fit(x_train, epochs=5, batch_size=128, verbose=0)

    Used in: chapter "Autoencoders"; chapter "A VAE on MNIST" (a plain AE's latent space).
    """

    def __init__(self, encoder: keras.layers.Layer, decoder: keras.layers.Layer, **kwargs):
        super().__init__(**kwargs)
        _check_submodel("encoder", encoder)
        _check_submodel("decoder", decoder)
        self.encoder = encoder
        self.decoder = decoder

    def call(self, inputs, training=False):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    @staticmethod
    def _batched(fn, x, batch_size: int) -> np.ndarray:
        # Eager calls in batches: no compiled predict function per model (a notebook that builds many models
        # would otherwise make TensorFlow warn about retracing), and identical on every backend.
        x = np.asarray(x, dtype=keras.config.floatx())
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer; got {batch_size}.")
        parts = [keras.ops.convert_to_numpy(fn(x[i:i + batch_size])) for i in range(0, len(x), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0,), dtype=x.dtype)

    def encode(self, x, batch_size: int = 500) -> np.ndarray:
        """Codes of ``x`` in inference mode, as a NumPy array of shape ``(N, code_dim)``."""
        return self._batched(lambda b: self.encoder(b, training=False), x, batch_size)

    def decode(self, z, batch_size: int = 500) -> np.ndarray:
        """Decoded images of codes ``z`` (inference mode), as a NumPy array."""
        return self._batched(lambda b: self.decoder(b, training=False), z, batch_size)

    def reconstruct(self, x, batch_size: int = 500) -> np.ndarray:
        """``decoder(encoder(x))`` in inference mode (no corruption), as a NumPy array."""
        return self._batched(lambda b: self(b, training=False), x, batch_size)

    def reconstruction_error(self, x, batch_size: int = 500) -> np.ndarray:
        """Squared reconstruction error of each example of ``x`` (summed over pixels), shape ``(N,)``."""
        x = np.asarray(x, dtype=np.float32)
        x_hat = self.reconstruct(x, batch_size=batch_size)
        return ((x - x_hat) ** 2).reshape(len(x), -1).sum(axis=1)

    def reconstruction_loss(self, x, x_hat):
        """Mean over the batch of :func:`squared_reconstruction_error` (a scalar tensor)."""
        return ops.mean(squared_reconstruction_error(x, x_hat))

    def regularization(self, x, y_pred, training: bool):
        """Extra loss terms of a variant (zero for the plain autoencoder)."""
        return ops.zeros((), dtype=y_pred.dtype)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        target = x if y is None else y
        loss = self.reconstruction_loss(target, y_pred) + self.regularization(x, y_pred, training)
        for extra in self.losses:  # activity/weight regularizers of the layers, if any
            loss = loss + ops.cast(extra, loss.dtype)
        return loss

    def get_config(self):
        config = super().get_config()
        config.update({
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        config["decoder"] = keras.saving.deserialize_keras_object(config["decoder"])
        return cls(**config)


@keras.saving.register_keras_serializable(package="vaebook")
class DenoisingAutoencoder(Autoencoder):
    """An autoencoder trained to reconstruct the clean input from a corrupted copy: loss ``‖x − g(f(x̃))‖²``.

    Corruption happens only when ``training=True`` (inside ``fit``); ``predict``/``reconstruct`` see the input as
    given, so feeding a noisy image at inference denoises it.

    Args:
        encoder: see :class:`Autoencoder`.
        decoder: see :class:`Autoencoder`.
        corruption: ``"gaussian"`` (add N(0, noise_level²) to every pixel) or ``"mask"`` (set each input entry to 0
            with probability ``noise_level``; the masking noise of Vincent et al., 2008, used for imputation).
        noise_level: the Gaussian standard deviation, or the masking probability in [0, 1).
        clip: clip the corrupted input to [0, 1] (for images in [0, 1]).
        seed: seed of the model's own ``keras.random.SeedGenerator``.

    Used in: chapter "Autoencoders", sections "Denoising" and "Missing values".
    """

    def __init__(self, encoder, decoder, corruption: str = "gaussian", noise_level: float = 0.5,
                 clip: bool = True, seed: int | None = None, **kwargs):
        super().__init__(encoder, decoder, **kwargs)
        if corruption not in ("gaussian", "mask"):
            raise ValueError(f"corruption must be 'gaussian' or 'mask'; got {corruption!r}.")
        noise_level = float(noise_level)
        if noise_level < 0 or (corruption == "mask" and noise_level >= 1):
            raise ValueError("noise_level must be >= 0 (and < 1 for masking); "
                             f"got {noise_level} with corruption={corruption!r}.")
        self.corruption = corruption
        self.noise_level = noise_level
        self.clip = bool(clip)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def corrupt(self, x):
        """One random corruption of ``x`` (as in training)."""
        x = ops.convert_to_tensor(x)
        if self.corruption == "gaussian":
            x_tilde = x + self.noise_level * keras.random.normal(ops.shape(x), dtype=x.dtype,
                                                                 seed=self.seed_generator)
            return ops.clip(x_tilde, 0.0, 1.0) if self.clip else x_tilde
        keep = keras.random.uniform(ops.shape(x), dtype=x.dtype, seed=self.seed_generator) >= self.noise_level
        return ops.where(keep, x, ops.zeros_like(x))

    def call(self, inputs, training=False):
        if training:
            inputs = self.corrupt(inputs)
        return super().call(inputs, training=training)

    def get_config(self):
        config = super().get_config()
        config.update({"corruption": self.corruption, "noise_level": self.noise_level, "clip": self.clip,
                       "seed": self.seed})
        return config


@keras.saving.register_keras_serializable(package="vaebook")
class SparseAutoencoder(Autoencoder):
    """An autoencoder with an L1 activity penalty on the code: loss ``‖x − x'‖² + λ Σ_j |h_j|`` (mean over batch).

    The penalty drives most code units to exactly zero for a given input (with a ReLU code), so each input is
    described by a few active units.

    Args:
        encoder: see :class:`Autoencoder`.
        decoder: see :class:`Autoencoder`.
        sparsity_weight: λ ≥ 0.

    Used in: chapter "Autoencoders", section "Sparse and contractive autoencoders".
    """

    def __init__(self, encoder, decoder, sparsity_weight: float = 1e-3, **kwargs):
        super().__init__(encoder, decoder, **kwargs)
        if float(sparsity_weight) < 0:
            raise ValueError(f"sparsity_weight must be >= 0; got {sparsity_weight}.")
        self.sparsity_weight = float(sparsity_weight)

    def activity_penalty(self, x, training: bool = False):
        """``λ`` times the mean over the batch of ``Σ_j |h_j|``."""
        code = self.encoder(x, training=training)
        code = ops.reshape(code, (ops.shape(code)[0], -1))
        return self.sparsity_weight * ops.mean(ops.sum(ops.abs(code), axis=-1))

    def regularization(self, x, y_pred, training: bool):
        return ops.cast(self.activity_penalty(x, training=training), y_pred.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"sparsity_weight": self.sparsity_weight})
        return config


@keras.saving.register_keras_serializable(package="vaebook")
class ContractiveAutoencoder(Autoencoder):
    """An autoencoder whose encoder is penalised for being sensitive to its input (Rifai et al., 2011).

    Loss: ``‖x − x'‖² + λ ‖J_f(x)‖_F²`` (mean over the batch), where ``J_f`` is the Jacobian of the code with
    respect to the input. For the one-hidden-layer sigmoid encoder ``h = σ(W x + b)`` it has the closed form

        ‖J_f(x)‖_F² = Σ_j (h_j (1 − h_j))² Σ_i W_ji²,

    which :meth:`jacobian_penalty` computes without automatic differentiation.

    Args:
        encoder: a ``keras.Sequential`` of an optional ``Flatten`` followed by one ``Dense`` layer with sigmoid
            activation (see :func:`build_contractive_autoencoder`).
        decoder: see :class:`Autoencoder`.
        contraction_weight: λ ≥ 0.

    Raises:
        ValueError: if the encoder is not of that form.

    Used in: chapter "Autoencoders", section "Sparse and contractive autoencoders".
    """

    def __init__(self, encoder, decoder, contraction_weight: float = 0.1, **kwargs):
        super().__init__(encoder, decoder, **kwargs)
        if float(contraction_weight) < 0:
            raise ValueError(f"contraction_weight must be >= 0; got {contraction_weight}.")
        dense = [layer for layer in getattr(encoder, "layers", []) if isinstance(layer, layers.Dense)]
        others = [layer for layer in getattr(encoder, "layers", [])
                  if not isinstance(layer, (layers.Dense, layers.Flatten, layers.InputLayer))]
        if (len(dense) != 1 or others or keras.activations.serialize(dense[0].activation) != "sigmoid"):
            raise ValueError("ContractiveAutoencoder needs an encoder made of (Flatten,) one Dense layer with "
                             f"sigmoid activation; got layers {[type(la).__name__ for la in encoder.layers]}"
                             if hasattr(encoder, "layers") else
                             f"ContractiveAutoencoder needs a Sequential encoder; got {type(encoder).__name__}.")
        self.contraction_weight = float(contraction_weight)
        self._dense = dense[0]

    def jacobian_penalty(self, x):
        """``‖J_f(x)‖_F²`` for each example, shape ``(batch,)``, in closed form."""
        h = self.encoder(x)
        kernel = self._dense.kernel  # shape (input_dim, code_dim): h = σ(x @ kernel + bias)
        column_norms = ops.sum(ops.square(kernel), axis=0)  # Σ_i W_ij² for each code unit j
        return ops.sum(ops.square(h * (1.0 - h)) * column_norms, axis=-1)

    def regularization(self, x, y_pred, training: bool):
        penalty = self.contraction_weight * ops.mean(self.jacobian_penalty(x))
        return ops.cast(penalty, y_pred.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"contraction_weight": self.contraction_weight})
        return config


# --- Builders ------------------------------------------------------------------------------------------------------

def _check_shape_and_code(input_shape, code_dim) -> tuple[int, ...]:
    shape = tuple(int(s) for s in input_shape)
    if not shape or any(s <= 0 for s in shape):
        raise ValueError(f"input_shape must be a tuple of positive integers; got {input_shape!r}.")
    if isinstance(code_dim, bool) or int(code_dim) != code_dim or code_dim < 1:
        raise ValueError(f"code_dim must be a positive integer; got {code_dim!r}.")
    return shape


def _make(model_class, encoder, decoder, name, model_kwargs):
    if not (isinstance(model_class, type) and issubclass(model_class, Autoencoder)):
        raise ValueError(f"model_class must be Autoencoder or a subclass; got {model_class!r}.")
    return model_class(encoder, decoder, name=name, **model_kwargs)


def build_dense_autoencoder(input_shape: Sequence[int] = (28, 28, 1), code_dim: int = 32,
                            hidden: Sequence[int] = (256,), activation: str = "relu",
                            code_activation: str | None = None, output_activation: str | None = "sigmoid",
                            model_class: type = Autoencoder, **model_kwargs) -> Autoencoder:
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

    Used in: chapter "Autoencoders" (2-D latent space, denoising, sparse, imputation).
    """
    shape = _check_shape_and_code(input_shape, code_dim)
    size = math.prod(shape)
    encoder = keras.Sequential([keras.Input(shape), layers.Flatten()]
                               + [layers.Dense(int(w), activation=activation) for w in hidden]
                               + [layers.Dense(int(code_dim), activation=code_activation)], name="encoder")
    decoder = keras.Sequential([keras.Input((int(code_dim),))]
                               + [layers.Dense(int(w), activation=activation) for w in reversed(hidden)]
                               + [layers.Dense(size, activation=output_activation), layers.Reshape(shape)],
                               name="decoder")
    return _make(model_class, encoder, decoder, "dense_autoencoder", model_kwargs)


def build_conv_autoencoder(input_shape: Sequence[int] = (28, 28, 1), code_dim: int = 16,
                           filters: Sequence[int] = (32, 64), output_activation: str | None = "sigmoid",
                           model_class: type = Autoencoder, **model_kwargs) -> Autoencoder:
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

    Used in: chapter "Autoencoders" (nonlinear vs PCA); chapter "A VAE on MNIST".
    """
    shape = _check_shape_and_code(input_shape, code_dim)
    factor = 2 ** len(filters)
    if len(shape) != 3 or shape[0] % factor or shape[1] % factor:
        raise ValueError(f"input_shape must be (height, width, channels) with height and width divisible by "
                         f"{factor}; got {shape}.")
    small = (shape[0] // factor, shape[1] // factor, int(filters[-1]))
    encoder = keras.Sequential(
        [keras.Input(shape)]
        + [layers.Conv2D(int(f), 3, strides=2, padding="same", activation="relu") for f in filters]
        + [layers.Flatten(), layers.Dense(int(code_dim))], name="encoder")
    decoder = keras.Sequential(
        [keras.Input((int(code_dim),)), layers.Dense(math.prod(small), activation="relu"), layers.Reshape(small)]
        + [layers.Conv2DTranspose(int(f), 3, strides=2, padding="same", activation="relu")
           for f in reversed(filters)]
        + [layers.Conv2D(shape[-1], 3, padding="same", activation=output_activation)], name="decoder")
    return _make(model_class, encoder, decoder, "conv_autoencoder", model_kwargs)


def build_linear_autoencoder(input_shape: Sequence[int] = (28, 28, 1), code_dim: int = 16,
                             model_class: type = Autoencoder, **model_kwargs) -> Autoencoder:
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

    Used in: chapter "Autoencoders", section "PCA is a linear autoencoder".
    """
    shape = _check_shape_and_code(input_shape, code_dim)
    encoder = keras.Sequential([keras.Input(shape), layers.Flatten(), layers.Dense(int(code_dim))], name="encoder")
    decoder = keras.Sequential([keras.Input((int(code_dim),)), layers.Dense(math.prod(shape)),
                                layers.Reshape(shape)], name="decoder")
    return _make(model_class, encoder, decoder, "linear_autoencoder", model_kwargs)


def build_contractive_autoencoder(input_shape: Sequence[int] = (28, 28, 1), code_dim: int = 32,
                                  contraction_weight: float = 0.1,
                                  output_activation: str | None = "sigmoid") -> ContractiveAutoencoder:
    """A :class:`ContractiveAutoencoder` with encoder ``h = σ(W x + b)`` and a one-layer decoder.

    Args:
        input_shape: shape of one example.
        code_dim: number of sigmoid code units.
        contraction_weight: λ, the weight of the Jacobian penalty.
        output_activation: activation of the decoder's output.

    Returns:
        An uncompiled :class:`ContractiveAutoencoder`.

    Used in: chapter "Autoencoders", section "Sparse and contractive autoencoders".
    """
    shape = _check_shape_and_code(input_shape, code_dim)
    encoder = keras.Sequential([keras.Input(shape), layers.Flatten(),
                                layers.Dense(int(code_dim), activation="sigmoid")], name="encoder")
    decoder = keras.Sequential([keras.Input((int(code_dim),)),
                                layers.Dense(math.prod(shape), activation=output_activation),
                                layers.Reshape(shape)], name="decoder")
    return ContractiveAutoencoder(encoder, decoder, contraction_weight=contraction_weight,
                                  name="contractive_autoencoder")


def peak_signal_to_noise_ratio(x, x_hat, data_range: float = 1.0) -> float:
    """PSNR in decibels, ``10 log10(range² / MSE)``, with the mean squared error over every pixel of every example.

    Args:
        x: the clean images (NumPy array or tensor).
        x_hat: images of the same shape (noisy, or reconstructed).
        data_range: the largest possible pixel value minus the smallest (1 for images in [0, 1]).

    Returns:
        The PSNR as a Python float (``inf`` for identical images). Higher is better; +6 dB halves the RMS error.

    Raises:
        ValueError: if the shapes differ.

    Used in: chapter "Autoencoders", section "Denoising".
    """
    x = np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)
    x_hat = np.asarray(keras.ops.convert_to_numpy(x_hat), dtype=np.float64)
    if x.shape != x_hat.shape:
        raise ValueError(f"x and x_hat must have the same shape; got {x.shape} and {x_hat.shape}.")
    mse = float(np.mean((x - x_hat) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range ** 2 / mse))
