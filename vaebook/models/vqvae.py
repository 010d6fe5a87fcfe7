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

from typing import Any, ClassVar

import keras
import numpy as np
from keras import ops

from vaebook import losses
from vaebook.layers.vector_quantizer import VectorQuantizer
from vaebook.models.base import BATCH_SIZE, GenerativeModel, batched
from vaebook.models.mnist_architectures import (
    MNIST_IMAGE_SHAPE,
    build_mnist_quantizer,
    build_mnist_vq_decoder,
    build_mnist_vq_encoder,
)

__all__ = ["VQModel", "VQVAE", "build_mnist_vqvae"]


class VQModel(GenerativeModel):
    """What the VQ models share: an ``encoder`` to a grid of vectors, a ``quantizer``, code maps in and out.

    ``fit`` reports ``loss`` (Keras's), ``reconstruction``, ``vq_loss`` (the quantizer's terms) and the training
    batch's code ``perplexity`` and fraction of codes used ``codes_used``.
    """

    tracked: ClassVar[tuple[str, ...]] = ("reconstruction", "vq_loss", "perplexity", "codes_used")

    @property
    def num_embeddings(self) -> int:
        """The codebook size K."""
        return self.quantizer.num_embeddings

    def add_vq_loss(self, reconstruction, training: bool):
        """``reconstruction`` + the quantizer's VQ terms (the layers' losses); updates the trackers."""
        vq_loss = sum(self.losses) if self.losses else ops.zeros(())  # Python's sum: ops.sum of a list fails in jit
        self.track(reconstruction=reconstruction, vq_loss=vq_loss)
        if training:
            self.track(perplexity=self.quantizer.perplexity.value, codes_used=self.quantizer.codes_used.value)
        return reconstruction + vq_loss

    def check_images(self, x: Any, where: str) -> np.ndarray:
        """``x`` as float32 images of the encoder's input shape, or a ``ValueError``."""
        x = np.asarray(x, dtype=np.float32)
        shape = tuple(self.encoder.inputs[0].shape[1:]) if getattr(self.encoder, "inputs", None) else None
        if x.ndim < 2 or (shape is not None and x.shape[1:] != shape):
            raise ValueError(f"{where}: images must have shape (N, {', '.join(map(str, shape or ()))}); got {x.shape}.")
        return x

    def check_codes(self, codes: Any) -> np.ndarray:
        """``codes`` as int32 code maps (N, h, w) with values in [0, K), or a ``ValueError``."""
        codes = np.asarray(codes)
        grid = getattr(self, "grid_shape", None)
        if codes.ndim != 3 or (grid and codes.shape[1:] != grid) or not np.issubdtype(codes.dtype, np.integer):
            raise ValueError(
                f"codes must be an integer array of shape (N, {', '.join(map(str, grid)) if grid else 'h, w'}); "
                f"got {codes.dtype} of shape {codes.shape}."
            )
        if codes.size and (codes.min() < 0 or codes.max() >= self.num_embeddings):
            raise ValueError(
                f"codes must lie in [0, {self.num_embeddings}); got values in [{codes.min()}, {codes.max()}]."
            )
        return codes.astype("int32")

    def encode_indices(self, x: Any, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Code maps of images: ``argmin_k ‖z_e(x) − e_k‖²`` at every grid position.

        Args:
            x: images of the encoder's input shape, e.g. (N, 28, 28, 1).
            batch_size: images per forward pass.

        Returns:
            int32 array of shape (N, h, w), the encoder's grid.
        """
        x = self.check_images(x, "encode_indices")
        codes = batched(
            lambda xb: self.quantizer.get_code_indices(self.encoder(xb, training=False)), x, batch_size=batch_size
        )
        return codes.astype("int32")


@keras.saving.register_keras_serializable(package="vaebook")
class VQVAE(VQModel):
    """A VQ-VAE: ``decoder(quantizer(encoder(x)))`` trained with reconstruction + VQ loss.

    ``fit(x)`` needs no targets. Logs ``loss``, ``reconstruction`` (squared error summed over pixels, divided by
    ``data_variance``, mean over the batch), ``vq_loss`` (the quantizer's terms), and the training batch's code
    ``perplexity`` and fraction of codes used ``codes_used``.

    Args:
        encoder: model mapping images to ``(..., embedding_dim)`` vectors, e.g. ``(B, 7, 7, 16)``.
        decoder: model mapping quantized vectors back to images.
        quantizer: a :class:`vaebook.layers.VectorQuantizer`.
        data_variance: divisor of the squared error (the pixel variance of the training set makes the
            reconstruction term scale-free).
    """

    submodels: ClassVar[tuple[str, ...]] = ("encoder", "decoder", "quantizer")
    config_keys: ClassVar[tuple[str, ...]] = ("data_variance",)

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
        reconstruction = losses.batch_mean_of_sums(squared) / self.data_variance  # sum over pixels, batch mean
        return self.add_vq_loss(reconstruction, training)

    def decode_indices(self, codes: Any, seed: int | None = None, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Images from code-index maps: ``decoder(e[codes])``, the decoder's output as a NumPy array.

        Args:
            codes: integer array ``(N, h, w)`` with values in ``[0, K)``.
            seed: unused (one decoder pass); the PixelCNN-decoder VQ-VAE draws its pixels with it.
            batch_size: code maps per pass.
        """
        codes = self.check_codes(codes)
        return batched(
            lambda cb: self.decoder(self.quantizer.indices_to_vectors(cb), training=False), codes, batch_size=batch_size
        )


def build_mnist_vqvae(
    latent_dim: int = 16,
    num_embeddings: int = 128,
    filters: tuple[int, int] = (32, 64),
    quantizer_options: dict[str, Any] | None = None,
    seed: int | None = None,
    **kwargs: Any,
) -> VQVAE:
    """The chapter's MNIST VQ-VAE: 28×28×1 images → a 7×7 grid of ``latent_dim`` vectors → 128 codes → images.

    Encoder: Conv2D(32, 3, stride 2, ReLU) → Conv2D(64, 3, stride 2, ReLU) → Conv2D(latent_dim, 1); decoder: the
    mirror image with transposed convolutions and a linear 1-channel output (the keras.io VQ-VAE example's
    layout); quantizer: :func:`build_mnist_quantizer`, EMA + restart by default;
    ``quantizer_options=dict(ema_decay=None, dead_code_threshold=None)`` gives the plain VQ-VAE with a codebook
    learned by gradient descent.

    Args:
        latent_dim: dimension ``D`` of each code.
        num_embeddings: codebook size ``K``.
        filters: channels of the two strided convolutions.
        quantizer_options: ``None``, or a dict of the quantizer's other arguments, those of
            :func:`build_mnist_quantizer`: ``beta`` (commitment weight, 0.25), ``ema_decay`` (0.99, ``None`` for a
            trainable codebook), ``dead_code_threshold`` (5.0, ``None`` for no restarts) and ``usage_decay`` (0.8).
            The default threshold 5 (with 128 images of 49 vectors per batch, about a tenth of the average usage
            49) and ``usage_decay = 0.8`` keep all 128 codes in use on the held-out digits
            (benchmarks/vqvae_mnist.py).
        seed: seed of the quantizer's restarts.
        **kwargs: the model's own arguments, passed to :class:`VQVAE`: ``data_variance`` (1.0, the divisor of the
            squared reconstruction error) and ``name`` (here ``"vqvae"``).

    Returns:
        An uncompiled :class:`VQVAE`.

    Used in: chapter 9, section "Codebook collapse, and two fixes".
    """
    encoder = build_mnist_vq_encoder(latent_dim, filters)
    decoder = build_mnist_vq_decoder(latent_dim, filters)
    quantizer = build_mnist_quantizer(latent_dim, num_embeddings, seed=seed, **(quantizer_options or {}))
    model = VQVAE(encoder, decoder, quantizer, **{"name": "vqvae", **kwargs})
    model.build((None, *MNIST_IMAGE_SHAPE))
    return model
