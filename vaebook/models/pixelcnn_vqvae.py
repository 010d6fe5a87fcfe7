"""A VQ-VAE whose decoder is the PixelCNN of :class:`vaebook.models.PixelCNNVAE`: the discrete cure for collapse.

The encoder maps an image to a grid of vectors, the vector quantizer (:class:`vaebook.layers.VectorQuantizer`)
replaces each by its nearest code, a *conditioner* maps the quantized grid to a feature map of the image's size,
and the same conditioned masked-convolution stack as the PixelCNN-decoder VAE models the pixels in raster order:

    p(x | c) = Π_i p(x_i | x_1, ..., x_{i−1}, z_q(c)).

Read as a VAE (van den Oord et al., 2017), the posterior is a point mass on the code map ``c(x)`` and the prior is
uniform over the ``K^P`` maps of ``P`` grid positions, so the KL term is the constant ``P · log K`` whatever the
encoder does: nothing in the objective rewards ignoring the code, which is why a VQ-VAE does not collapse.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import keras
import numpy as np
from keras import ops

from vaebook import losses
from vaebook._validation import check_integer
from vaebook.layers.pixelcnn_decoder import PixelCNNDecoder
from vaebook.layers.vector_quantizer import VectorQuantizer
from vaebook.models.base import BATCH_SIZE, PixelCNNDecoded, batched, check_model
from vaebook.models.mnist_architectures import (
    build_mnist_grid_conditioner,
    build_mnist_quantizer,
    build_mnist_vq_encoder,
)
from vaebook.models.vqvae import VQModel

__all__ = ["PixelCNNVQVAE", "build_mnist_pixelcnn_vqvae"]


@keras.saving.register_keras_serializable(package="vaebook")
class PixelCNNVQVAE(PixelCNNDecoded, VQModel):
    """A VQ-VAE with an autoregressive decoder: encoder → vector quantizer → conditioner → PixelCNN over pixels.

    The loss of a batch of binary images (teacher-forced: one pass computes every pixel's conditional from the
    true image) is

        loss = (1/N) Σ_n [ −Σ_i log p(x_{n,i} | x_{n,<i}, z_q(x_n)) ] + vq_loss,

    the Bernoulli negative log-likelihood summed over each image's pixels (binarize the data), plus the quantizer's
    terms (``β‖z_e − sg[z_q]‖²`` with an EMA codebook, plus the codebook term without), each summed over an
    image's grid positions and code dimensions; every term is averaged over the batch. ``fit(x)`` needs no targets
    and reports ``loss``, ``reconstruction`` and ``vq_loss`` in nats per image, and the training batch's code
    ``perplexity`` and fraction of codes used ``codes_used``.

    The "KL" of a VQ-VAE: the posterior q(c | x) is a point mass on the encoder's code map and the prior uniform
    over the K codes at each of the P grid positions, so KL(q ‖ p) = P · log K (:attr:`uniform_prior_kl`; for the
    MNIST model 49 · log 128 = 237.7 nats), a constant. The bound −log p(x) ≤ −log p(x | c(x)) + P · log K
    (:meth:`nll_bound`) holds for every x; a prior over code maps learned from the training codes (chapter 9's
    PixelCNN prior) replaces P · log K by −log p(c(x)) and lowers it.

    Args:
        encoder: a built Keras model, images (batch, H, W, 1) → vectors (batch, h, w, D).
        quantizer: a :class:`vaebook.layers.VectorQuantizer` with ``embedding_dim = D``.
        conditioner: a built Keras model, quantized grid (batch, h, w, D) → feature map (batch, H, W, C).
        filters: channels of the masked layers.
        num_residual_blocks: masked residual blocks (3×3, mask B) after the first layer; 0 is allowed.
        first_kernel_size: odd kernel size of the first (mask A) layer.

    Calling ``model(x)`` returns the teacher-forced pixel logits, shape (batch, H, W, 1).

    Example:
        >>> model = build_mnist_pixelcnn_vqvae(num_embeddings=128, seed=0)
        >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> model.fit(x_binary, epochs=5, batch_size=64)
        >>> codes = model.encode_indices(x_binary[:8])    # (8, 7, 7) int32
        >>> images = model.decode_indices(codes, seed=0)  # 784 passes, one per pixel

    Chapter 10 (section "Remedies, measured") builds it with :func:`build_mnist_pixelcnn_vqvae`.
    """

    submodels: ClassVar[tuple[str, ...]] = ("encoder", "quantizer", "conditioner")
    config_keys: ClassVar[tuple[str, ...]] = ("filters", "num_residual_blocks", "first_kernel_size")

    def __init__(
        self,
        encoder: keras.Model,
        quantizer: VectorQuantizer,
        conditioner: keras.Model,
        filters: int = 32,
        num_residual_blocks: int = 2,
        first_kernel_size: int = 7,
        **kwargs,
    ):
        check_model("encoder", encoder)
        check_model("conditioner", conditioner)
        if not isinstance(quantizer, VectorQuantizer):
            raise ValueError(f"quantizer must be a vaebook.layers.VectorQuantizer; got {type(quantizer).__name__}.")
        image_in, grid_out = tuple(encoder.inputs[0].shape), tuple(encoder.outputs[0].shape)
        if len(image_in) != 4 or image_in[3] != 1 or None in image_in[1:]:
            raise ValueError(f"encoder must take images of shape (batch, H, W, 1); got input shape {image_in}.")
        if len(grid_out) != 4 or None in grid_out[1:] or grid_out[3] != quantizer.embedding_dim:
            raise ValueError(
                f"encoder must output a grid (batch, h, w, {quantizer.embedding_dim}) of the quantizer's "
                f"embedding_dim; got output shape {grid_out}."
            )
        cond_in, cond_out = tuple(conditioner.inputs[0].shape), tuple(conditioner.outputs[0].shape)
        if cond_in[1:] != grid_out[1:]:
            raise ValueError(f"conditioner must take the encoder's grid {grid_out[1:]}; got input shape {cond_in}.")
        if len(cond_out) != 4 or cond_out[1:3] != image_in[1:3] or cond_out[3] is None:
            raise ValueError(
                f"conditioner must map the grid to a feature map (batch, {image_in[1]}, {image_in[2]}, C), one "
                f"feature vector per pixel; got output shape {cond_out}."
            )
        super().__init__(**kwargs)
        self.encoder, self.quantizer, self.conditioner = encoder, quantizer, conditioner
        self.image_shape = (int(image_in[1]), int(image_in[2]), 1)
        self.grid_shape = (int(grid_out[1]), int(grid_out[2]))
        if not quantizer.built:
            quantizer.build(grid_out)
        self.pixel_decoder = PixelCNNDecoder(filters, num_residual_blocks, first_kernel_size, name="pixel_decoder")
        self.pixel_decoder.build([image_in, cond_out])
        self.built = True

    # ---- the model -----------------------------------------------------------------------------------------
    @property
    def num_embeddings(self) -> int:
        """The codebook size K."""
        return self.quantizer.num_embeddings

    @property
    def uniform_prior_kl(self) -> float:
        """KL(q(c|x) ‖ uniform prior) = P · log K nats, P = h·w grid positions: the same for every image."""
        return self.grid_shape[0] * self.grid_shape[1] * math.log(self.num_embeddings)

    def call(self, inputs, training=None):
        z_q = self.quantizer(self.encoder(inputs, training=training), training=training)
        return self.pixel_logits(inputs, self.conditioner(z_q, training=training))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        target = x if y is None else y
        reconstruction = ops.mean(losses.bernoulli_nll(target, y_pred))  # sum over pixels, mean over the batch
        return self.add_vq_loss(reconstruction, training)

    # ---- evaluation -----------------------------------------------------------------------------------------
    def _condition(self, codes):
        """The conditioning feature map of integer code maps (batch, h, w)."""
        return self.conditioner(self.quantizer.indices_to_vectors(codes), training=False)

    def log_likelihood(self, x: Any, codes: Any, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """log p(x_n | c_n) = Σ_i log p(x_{n,i} | x_{n,<i}, z_q(c_n)), exact (teacher-forced), in nats.

        Args:
            x: binary images of shape (N, H, W, 1).
            codes: integer code maps of shape (N, h, w), one per image.
            batch_size: images per forward pass.

        Returns:
            NumPy array of shape (N,).
        """
        x, codes = self.check_images(x, "log_likelihood"), self.check_codes(codes)
        if len(x) != len(codes):
            raise ValueError(f"log_likelihood needs one code map per image; got {len(x)} images and {len(codes)}.")
        return batched(
            lambda xb, cb: -losses.bernoulli_nll(xb, self.pixel_logits(xb, self._condition(cb))),
            x,
            codes,
            batch_size=batch_size,
        )

    def reconstruction_nll(self, x: Any, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """−log p(x_n | c(x_n)) with the image's own code map, in nats: NumPy array of shape (N,)."""
        return -self.log_likelihood(x, self.encode_indices(x, batch_size), batch_size)

    def nll_bound(self, x: Any, code_log_prior: Any = None, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Upper bound on −log p(x): :meth:`reconstruction_nll` + (−log p(c(x))), in nats, shape (N,).

        With the point-mass posterior, −log p(x) = −log Σ_c p(c) p(x | c) ≤ −log p(c(x)) − log p(x | c(x)).

        Args:
            x: binary images of shape (N, H, W, 1).
            code_log_prior: ``None`` for the uniform prior (−log p(c) = P · log K, :attr:`uniform_prior_kl`), or
                an array of shape (h, w, K) of log-probabilities of each code at each grid position (independent
                positions), e.g. counted on the training set's codes; each position's must sum to 1.
            batch_size: images per forward pass.

        Returns:
            NumPy array of shape (N,).
        """
        codes = self.encode_indices(x, batch_size)
        reconstruction = -self.log_likelihood(x, codes, batch_size)
        if code_log_prior is None:
            return reconstruction + self.uniform_prior_kl
        log_prior = np.asarray(code_log_prior, dtype=np.float64)
        if log_prior.shape != (*self.grid_shape, self.num_embeddings):
            raise ValueError(
                f"code_log_prior must have shape {(*self.grid_shape, self.num_embeddings)} (grid × codes); "
                f"got {log_prior.shape}."
            )
        if not np.allclose(np.exp(log_prior).sum(-1), 1.0, atol=1e-4):
            raise ValueError(
                "code_log_prior must hold log-probabilities that sum to 1 over the codes at each position."
            )
        rows, cols = np.indices(self.grid_shape)
        return reconstruction - log_prior[rows[None], cols[None], codes].sum(axis=(1, 2))

    def decode_indices(self, codes: Any, seed: int | None = None, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Binary images drawn from p(x | c), one pixel at a time in raster order (H·W network passes).

        Args:
            codes: integer code maps of shape (N, h, w), values in [0, K).
            seed: seed of the NumPy generator for the pixel draws.
            batch_size: images per pass.

        Returns:
            float32 array of shape (N, H, W, 1) with values 0 and 1.
        """
        return self.draw_pixels(self._condition, self.check_codes(codes), seed, batch_size)

    def reconstruct(self, x: Any, seed: int | None = 0, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """A binary image drawn from p(x | c(x)): what the model keeps of x (H·W passes)."""
        return self.decode_indices(self.encode_indices(x, batch_size), seed=seed, batch_size=batch_size)


def build_mnist_pixelcnn_vqvae(
    latent_dim: int = 16,
    num_embeddings: int = 128,
    filters: int = 32,
    quantizer_options: dict[str, Any] | None = None,
    seed: int | None = None,
    **kwargs: Any,
) -> PixelCNNVQVAE:
    """Chapter 9's VQ encoder and quantizer with chapter 10's PixelCNN decoder, for binarized 28×28 digits.

    Encoder: chapter 9's, Conv2D(32, 3, stride 2, ReLU) → Conv2D(64, 3, stride 2, ReLU) → Conv2D(latent_dim, 1),
    a 7×7 grid; quantizer: ``num_embeddings`` codes, EMA codebook with dead-code restarts by default (as
    :func:`vaebook.models.build_mnist_vqvae`); conditioner: 7×7×latent_dim → 28×28×filters by two stride-2
    transposed convolutions; pixel network: the masked stack of :func:`vaebook.models.build_mnist_pixelcnn_vae`
    with the same ``filters``, ``num_residual_blocks`` and ``first_kernel_size``. Its constant "KL" is
    49 · log(num_embeddings) nats (237.7 for 128 codes).

    Args:
        latent_dim: dimension D of each code.
        num_embeddings: codebook size K.
        filters: channels of the masked layers (and of the conditioning feature map).
        quantizer_options: ``None``, or a dict of the quantizer's other arguments (``beta``, ``ema_decay``,
            ``dead_code_threshold``, ``usage_decay``), as for :func:`vaebook.models.build_mnist_vqvae`.
        seed: seed of the quantizer's restarts.
        **kwargs: the model's own arguments, passed to :class:`PixelCNNVQVAE`: ``num_residual_blocks`` (2),
            ``first_kernel_size`` (7) and ``name`` (here ``"mnist_pixelcnn_vqvae"``).

    Returns:
        An uncompiled :class:`PixelCNNVQVAE`.

    Used in: chapter 10, section "Remedies, measured".
    """
    latent_dim = check_integer("latent_dim", latent_dim)
    filters = check_integer("filters", filters, 2)
    quantizer = build_mnist_quantizer(latent_dim, num_embeddings, seed=seed, **(quantizer_options or {}))
    return PixelCNNVQVAE(
        build_mnist_vq_encoder(latent_dim),
        quantizer,
        build_mnist_grid_conditioner(latent_dim, filters),
        filters=filters,
        **{"name": "mnist_pixelcnn_vqvae", **kwargs},
    )
