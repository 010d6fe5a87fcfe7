"""The VQ-VAE (van den Oord et al., 2017): encoder → vector quantizer → decoder, and the MNIST model of chapter 9.

The loss of one image ``x`` is

    L = −log p(x | z_q(x)) + ‖sg[z_e(x)] − e‖² + β ‖z_e(x) − sg[e]‖²,

a reconstruction term plus the quantizer's codebook and commitment terms (:class:`vaebook.layers.VectorQuantizer`
adds those). With a Gaussian decoder of fixed variance ``σ²`` the reconstruction term is
``‖x − x̂‖² / (2σ²)`` plus a constant; here it is the squared error summed over pixels and divided by
``data_variance``, i.e. the Gaussian term with ``σ² = data_variance / 2``. Every term is summed over one image's
pixels (or grid positions and code dimensions) and averaged over the batch, as the VAE's loss is. (The keras.io
example averages over pixels instead; for the MNIST model, 28 · 28 pixels and a 7 · 7 · 16 code grid, both terms
are then 784 times smaller, which Adam's step does not see.)
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from vaebook.layers.vector_quantizer import VectorQuantizer, per_example_sum

__all__ = ["VQVAE", "build_mnist_vqvae"]


def _add_vq_loss(model: keras.Model, reconstruction, reconstruction_name: str, training: bool):
    """reconstruction + the quantizer's VQ terms (``model.losses``); updates ``model.trackers`` (loss, the named
    reconstruction, vq_loss, and in training the batch's perplexity and codes used). Shared by the VQ models."""
    vq_loss = sum(model.losses) if model.losses else ops.zeros(())
    loss = reconstruction + vq_loss
    for name, value in (("loss", loss), (reconstruction_name, reconstruction), ("vq_loss", vq_loss)):
        model.trackers[name].update_state(value)
    if training:
        model.trackers["perplexity"].update_state(model.quantizer.perplexity.value)
        model.trackers["codes_used"].update_state(model.quantizer.codes_used.value)
    return loss


def _code_indices(encoder: keras.Model, quantizer: VectorQuantizer, x: Any, batch_size: int) -> np.ndarray:
    """``argmin_k ‖z_e(x) − e_k‖²`` at every grid position, ``batch_size`` images per pass: int32 (N, h, w)."""
    out = [
        ops.convert_to_numpy(quantizer.get_code_indices(encoder(x[i : i + batch_size], training=False)))
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(out).astype("int32")


@keras.saving.register_keras_serializable(package="vaebook")
class VQVAE(keras.Model):
    """A VQ-VAE: ``decoder(quantizer(encoder(x)))`` trained with reconstruction + VQ loss.

    ``fit(x)`` needs no targets. Logs ``loss``, ``reconstruction_loss`` (squared error summed over pixels,
    divided by ``data_variance``, mean over the batch), ``vq_loss`` (the quantizer's terms), and the training
    batch's code ``perplexity`` and fraction of codes used ``codes_used``.

    Args:
        encoder: model mapping images to ``(..., embedding_dim)`` vectors, e.g. ``(B, 7, 7, 16)``.
        decoder: model mapping quantized vectors back to images.
        quantizer: a :class:`vaebook.layers.VectorQuantizer`.
        data_variance: divisor of the squared error (the pixel variance of the training set makes the
            reconstruction term scale-free).
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        quantizer: VectorQuantizer,
        data_variance: float = 1.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(quantizer, VectorQuantizer):
            raise ValueError(f"quantizer must be a vaebook.layers.VectorQuantizer; got {type(quantizer).__name__}.")
        if not data_variance > 0:
            raise ValueError(f"data_variance must be positive; got {data_variance!r}.")
        self.encoder, self.decoder, self.quantizer = encoder, decoder, quantizer
        self.data_variance = float(data_variance)
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in ("loss", "reconstruction_loss", "vq_loss", "perplexity", "codes_used")
        }

    def build(self, input_shape):
        latent_shape = self.encoder.compute_output_shape(input_shape)
        if not self.quantizer.built:
            self.quantizer.build(latent_shape)
        if not self.decoder.built:
            self.decoder.build(latent_shape)
        self.built = True

    def call(self, x, training=None):
        return self.decoder(self.quantizer(self.encoder(x), training=training))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        target = x if y is None else y
        squared = ops.square(ops.cast(target, y_pred.dtype) - y_pred)
        reconstruction = per_example_sum(squared) / self.data_variance  # sum over pixels, mean over the batch
        return _add_vq_loss(self, reconstruction, "reconstruction_loss", training)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def encode_indices(self, x: Any, batch_size: int = 256) -> np.ndarray:
        """Code-index maps of images: ``argmin_k ‖z_e(x) − e_k‖²`` at every grid position.

        Args:
            x: images, e.g. ``(N, 28, 28, 1)``.
            batch_size: images per forward pass.

        Returns:
            int32 array of shape ``(N, H, W)`` (the encoder's grid).
        """
        return _code_indices(self.encoder, self.quantizer, x, batch_size)

    def decode_indices(self, codes: Any) -> np.ndarray:
        """Images from code-index maps: ``decoder(e[codes])``.

        Args:
            codes: integer array ``(N, H, W)`` with values in ``[0, K)``.

        Returns:
            The decoder's output as a NumPy array.
        """
        codes = np.asarray(codes)
        if codes.size and (codes.min() < 0 or codes.max() >= self.quantizer.num_embeddings):
            raise ValueError(
                f"codes must lie in [0, {self.quantizer.num_embeddings}); got values in [{codes.min()}, {codes.max()}]."
            )
        return ops.convert_to_numpy(self.decoder(self.quantizer.indices_to_vectors(codes), training=False))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "data_variance": self.data_variance,
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
                "quantizer": keras.saving.serialize_keras_object(self.quantizer),
            }
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "VQVAE":
        config = dict(config)
        for key in ("encoder", "decoder", "quantizer"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def build_mnist_vqvae(
    latent_dim: int = 16,
    num_embeddings: int = 128,
    beta: float = 0.25,
    ema_decay: float | None = 0.99,
    dead_code_threshold: float | None = 5.0,
    usage_decay: float = 0.8,
    filters: tuple[int, int] = (32, 64),
    data_variance: float = 1.0,
    seed: int | None = None,
) -> VQVAE:
    """The chapter's MNIST VQ-VAE: 28×28×1 images → a 7×7 grid of ``latent_dim`` vectors → 128 codes → images.

    Encoder: Conv2D(32, 3, stride 2, ReLU) → Conv2D(64, 3, stride 2, ReLU) → Conv2D(latent_dim, 1); decoder: the
    mirror image with transposed convolutions and a linear 1-channel output (the keras.io VQ-VAE example's
    layout). The quantizer is EMA + restart by default; ``ema_decay=None, dead_code_threshold=None`` gives the
    plain VQ-VAE with a codebook learned by gradient descent.

    Args:
        latent_dim: dimension ``D`` of each code.
        num_embeddings: codebook size ``K``.
        beta: commitment weight.
        ema_decay: EMA decay of the codebook, or ``None`` for a trainable codebook.
        dead_code_threshold: restart codes used less than this many times per batch (moving average), or None.
            The default 5 (with 128 images of 49 vectors per batch, about a tenth of the average usage 49) and
            ``usage_decay = 0.8`` keep all 128 codes in use on the held-out digits (benchmarks/vqvae_mnist.py).
        usage_decay: decay of the moving average of code usage.
        filters: channels of the two strided convolutions.
        data_variance: divisor of the squared reconstruction error.
        seed: seed of the quantizer's restarts.

    Returns:
        An uncompiled :class:`VQVAE`.

    Used in: chapter 9, section "Codebook collapse, and two fixes".
    """
    f1, f2 = filters
    encoder = _mnist_vq_encoder(latent_dim, filters)
    dec_in = keras.Input((7, 7, latent_dim))
    h = keras.layers.Conv2DTranspose(f2, 3, strides=2, padding="same", activation="relu")(dec_in)
    h = keras.layers.Conv2DTranspose(f1, 3, strides=2, padding="same", activation="relu")(h)
    decoder = keras.Model(dec_in, keras.layers.Conv2DTranspose(1, 3, padding="same")(h), name="decoder")
    quantizer = VectorQuantizer(
        num_embeddings,
        latent_dim,
        beta=beta,
        ema_decay=ema_decay,
        dead_code_threshold=dead_code_threshold,
        usage_decay=usage_decay,
        seed=seed,
        name="vector_quantizer",
    )
    model = VQVAE(encoder, decoder, quantizer, data_variance=data_variance, name="vqvae")
    model.build((None, 28, 28, 1))
    return model


def _mnist_vq_encoder(latent_dim: int, filters: tuple[int, int] = (32, 64)) -> keras.Model:
    """28×28×1 → 7×7×latent_dim: Conv2D(f1, 3, stride 2, ReLU) → Conv2D(f2, 3, stride 2, ReLU) → Conv2D(D, 1)."""
    f1, f2 = filters
    enc_in = keras.Input((28, 28, 1))
    h = keras.layers.Conv2D(f1, 3, strides=2, padding="same", activation="relu")(enc_in)
    h = keras.layers.Conv2D(f2, 3, strides=2, padding="same", activation="relu")(h)
    return keras.Model(enc_in, keras.layers.Conv2D(latent_dim, 1, padding="same")(h), name="encoder")
