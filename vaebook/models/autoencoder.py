"""Plain autoencoders: an encoder, a bottleneck code and a decoder, trained to reconstruct their input.

Every model here is trained with ``model.fit(x)`` (no targets): the input is its own target. The reconstruction
loss is the squared error **summed over every pixel (feature) of an example and averaged over the batch**,

    L(x, x') = 1/B * sum_b sum_i (x_bi - x'_bi)**2,

so a number printed by ``fit`` is "squared error per example". The variants add one term each:

* :class:`DenoisingAutoencoder` corrupts the input in training only and reconstructs the clean input;
* :class:`SparseAutoencoder` adds an L1 activity penalty on the code;
* :class:`ContractiveAutoencoder` adds the squared Frobenius norm of the encoder's Jacobian, in closed form for a
  one-hidden-layer sigmoid encoder.

The builders (:func:`vaebook.models.build_dense_autoencoder` and its siblings) are in
:mod:`vaebook.models.autoencoder_builders`.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from vaebook.image_metrics import squared_reconstruction_error
from vaebook.models.base import BATCH_SIZE, batched

__all__ = [
    "Autoencoder",
    "DenoisingAutoencoder",
    "SparseAutoencoder",
    "ContractiveAutoencoder",
]


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
    """

    def __init__(self, encoder: keras.layers.Layer, decoder: keras.layers.Layer, **kwargs):
        super().__init__(**kwargs)
        _check_submodel("encoder", encoder)
        _check_submodel("decoder", decoder)
        self.encoder = encoder
        self.decoder = decoder

    def call(self, inputs, training=False):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    # Eager calls in batches (vaebook.models.base.batched): no compiled predict function per model (a notebook that
    # builds many models would otherwise make TensorFlow warn about retracing), and identical on every backend.
    def encode(self, x, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Codes of ``x`` in inference mode, as a NumPy array of shape ``(N, code_dim)``."""
        x = np.asarray(x, dtype=keras.config.floatx())
        return batched(lambda b: self.encoder(b, training=False), x, batch_size=batch_size)

    def decode(self, z, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Decoded images of codes ``z`` (inference mode), as a NumPy array."""
        z = np.asarray(z, dtype=keras.config.floatx())
        return batched(lambda b: self.decoder(b, training=False), z, batch_size=batch_size)

    def reconstruct(self, x, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """``decoder(encoder(x))`` in inference mode (no corruption), as a NumPy array."""
        x = np.asarray(x, dtype=keras.config.floatx())
        return batched(lambda b: self(b, training=False), x, batch_size=batch_size)

    def reconstruction_error(self, x, batch_size: int = BATCH_SIZE) -> np.ndarray:
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
        config.update(
            {
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
            }
        )
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

    Used in: chapter 3, section "Denoising autoencoders".
    """

    def __init__(
        self,
        encoder,
        decoder,
        corruption: str = "gaussian",
        noise_level: float = 0.5,
        clip: bool = True,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(encoder, decoder, **kwargs)
        if corruption not in ("gaussian", "mask"):
            raise ValueError(f"corruption must be 'gaussian' or 'mask'; got {corruption!r}.")
        noise_level = float(noise_level)
        if noise_level < 0 or (corruption == "mask" and noise_level >= 1):
            raise ValueError(
                f"noise_level must be >= 0 (and < 1 for masking); got {noise_level} with corruption={corruption!r}."
            )
        self.corruption = corruption
        self.noise_level = noise_level
        self.clip = bool(clip)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def corrupt(self, x):
        """One random corruption of ``x`` (as in training)."""
        x = ops.convert_to_tensor(x)
        if self.corruption == "gaussian":
            x_tilde = x + self.noise_level * keras.random.normal(ops.shape(x), dtype=x.dtype, seed=self.seed_generator)
            return ops.clip(x_tilde, 0.0, 1.0) if self.clip else x_tilde
        keep = keras.random.uniform(ops.shape(x), dtype=x.dtype, seed=self.seed_generator) >= self.noise_level
        return ops.where(keep, x, ops.zeros_like(x))

    def call(self, inputs, training=False):
        if training:
            inputs = self.corrupt(inputs)
        return super().call(inputs, training=training)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"corruption": self.corruption, "noise_level": self.noise_level, "clip": self.clip, "seed": self.seed}
        )
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

    Used in: chapter 3, section "Sparse and contractive autoencoders".
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
    """

    def __init__(self, encoder, decoder, contraction_weight: float = 0.1, **kwargs):
        super().__init__(encoder, decoder, **kwargs)
        if float(contraction_weight) < 0:
            raise ValueError(f"contraction_weight must be >= 0; got {contraction_weight}.")
        dense = [layer for layer in getattr(encoder, "layers", []) if isinstance(layer, layers.Dense)]
        others = [
            layer
            for layer in getattr(encoder, "layers", [])
            if not isinstance(layer, (layers.Dense, layers.Flatten, layers.InputLayer))
        ]
        if len(dense) != 1 or others or keras.activations.serialize(dense[0].activation) != "sigmoid":
            raise ValueError(
                "ContractiveAutoencoder needs an encoder made of (Flatten,) one Dense layer with "
                f"sigmoid activation; got layers {[type(la).__name__ for la in encoder.layers]}"
                if hasattr(encoder, "layers")
                else f"ContractiveAutoencoder needs a Sequential encoder; got {type(encoder).__name__}."
            )
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
