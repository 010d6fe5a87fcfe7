"""A VAE whose decoder is a PixelCNN conditioned on z: the powerful decoder of posterior collapse.

The decoder factorizes the likelihood of a binary image in raster order, each pixel a Bernoulli given the pixels
before it *and* the code z (van den Oord et al., 2016; Chen et al., 2017; Gulrajani et al., 2017):

    p(x | z) = Π_{i} p(x_i | x_1, ..., x_{i−1}, z).

A *conditioner* network maps z to a feature map of the image's height and width; the masked-convolution stack
(:class:`vaebook.layers.MaskedConv2D`, :class:`vaebook.layers.MaskedResidualBlock`) reads the image, and the
conditioning map is added (through a 1×1 convolution) after every masked layer. Because the decoder sees the
earlier pixels it can model digits without z, which is what makes the KL term's pull towards the prior win:
posterior collapse. The receptive field (``first_kernel_size``, ``num_residual_blocks``) sets how much the
decoder can do without z.

Training is teacher-forced (one pass computes every conditional from the true image), so ``log p(x|z)`` is exact
and cheap; sampling costs one pass per pixel.
"""

from __future__ import annotations

from typing import Any, ClassVar

import keras
import numpy as np
from keras import ops

from vaebook import losses
from vaebook.layers.pixelcnn_decoder import PixelCNNDecoder
from vaebook.models.base import BATCH_SIZE, LatentGaussianModel, PixelCNNDecoded, batched, check_model
from vaebook.models.mnist_architectures import build_mnist_conditioner, build_mnist_encoder

__all__ = ["PixelCNNVAE", "build_mnist_pixelcnn_vae"]


@keras.saving.register_keras_serializable(package="vaebook")
class PixelCNNVAE(PixelCNNDecoded, LatentGaussianModel):
    """A VAE with an autoregressive decoder: a PixelCNN over binary pixels, conditioned on z.

    The loss is the VAE's negative ELBO (see :class:`vaebook.models.VAE`),

        loss = (1/N) Σ_n [ −log p(x_n | z_n) + β · KL(q(z|x_n) ‖ N(0, I)) ],

    with −log p(x|z) = −Σ_i log p(x_i | x_<i, z) summed over every pixel (Bernoulli, so binarize the data) and the
    KL summed over latent dimensions; the mean is over the batch. ``beta`` (a variable that
    :class:`vaebook.callbacks.KLAnnealing` can change) and ``free_bits`` work as for the VAE. ``fit`` reports
    ``loss``, ``reconstruction`` and ``kl`` in nats per example. It offers the evaluation interface of
    :mod:`vaebook.metrics` (``encode``, ``log_likelihood``, ``latent_dim``), so the ELBO, the importance-sampled
    NLL, active units and KL per dimension work unchanged.

    Decoder: ``c = conditioner(z)`` of shape (H, W, C), then the masked-convolution stack
    :class:`vaebook.layers.PixelCNNDecoder` ``[image, c] → logits`` (the decoder of
    :class:`vaebook.models.PixelCNNVQVAE` too), stored as ``pixel_decoder``.

    Args:
        encoder: a built Keras model x → [mean, log_var], each of shape (batch, latent_dim).
        conditioner: a built Keras model z → feature map of shape (batch, H, W, C), H×W the image size.
        filters: channels of the masked layers.
        num_residual_blocks: masked residual blocks (3×3, mask B) after the first layer; 0 is allowed.
        first_kernel_size: odd kernel size of the first (mask A) layer.
        beta: weight β ≥ 0 of the KL term.
        free_bits: ``None``, or λ nats per latent dimension (:func:`vaebook.losses.free_bits_kl`).
        seed: seed of the reparameterization noise.

    Calling ``model(x)`` returns a dict with the pixel ``"outputs"`` (logits, teacher-forced on x), and q's
    ``"mean"``, ``"log_var"`` and the sample ``"z"``.

    Example:
        >>> model = build_mnist_pixelcnn_vae(latent_dim=16, seed=0)
        >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> model.fit(x_binary, epochs=5, batch_size=128)
        >>> images = model.sample(8, seed=0)          # 784 passes, one per pixel

    Used in: chapter 10, section "Collapse, measured".
    """

    submodels: ClassVar[tuple[str, ...]] = ("encoder", "conditioner")
    config_keys: ClassVar[tuple[str, ...]] = (
        "filters",
        "num_residual_blocks",
        "first_kernel_size",
        *LatentGaussianModel.config_keys,
    )

    def __init__(
        self,
        encoder: keras.Model,
        conditioner: keras.Model,
        filters: int = 32,
        num_residual_blocks: int = 2,
        first_kernel_size: int = 7,
        beta: float = 1.0,
        free_bits: float | None = None,
        seed: int | None = None,
        **kwargs,
    ):
        check_model("encoder", encoder)
        check_model("conditioner", conditioner)
        out_shape = tuple(conditioner.outputs[0].shape) if conditioner.outputs else ()
        if len(out_shape) != 4 or None in out_shape[1:]:
            raise ValueError(f"conditioner must map z to a feature map (batch, H, W, C); got output shape {out_shape}.")
        self.image_shape = (int(out_shape[1]), int(out_shape[2]), 1)
        enc_in = tuple(encoder.inputs[0].shape[1:])
        if enc_in != self.image_shape:
            raise ValueError(
                f"encoder input shape {enc_in} and conditioner output grid {self.image_shape} differ: "
                "the conditioner must produce one feature vector per pixel."
            )
        super().__init__(beta=beta, free_bits=free_bits, seed=seed, **kwargs)
        self.encoder, self.conditioner = encoder, conditioner
        self.latent_dim = self.encoder_latent_dim()
        self.pixel_decoder = PixelCNNDecoder(filters, num_residual_blocks, first_kernel_size, name="pixel_decoder")
        self.pixel_decoder.build([(None, *self.image_shape), out_shape])
        self.built = True

    def call(self, inputs, training=None):
        mean, log_var = self.posterior(inputs, training=training)
        z = self.sampling([mean, log_var])
        outputs = self.pixel_logits(inputs, self.conditioner(z, training=training))
        return {"outputs": outputs, "mean": mean, "log_var": log_var, "z": z}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The negative ELBO (β-weighted): per-example sums over pixels and latent dims, mean over the batch."""
        y_pred = self.forward_for_loss(x, y_pred, sample_weight, training)
        nll = losses.bernoulli_nll(ops.cast(x, y_pred["outputs"].dtype), y_pred["outputs"])
        return self.negative_elbo(nll, y_pred["mean"], y_pred["log_var"])

    def log_likelihood(self, x: Any, z: Any, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """log p(x_n | z_n) = Σ_i log p(x_{n,i} | x_{n,<i}, z_n), exact, in nats: NumPy array of shape (N,)."""
        x, z = self.check_pairs(x, z)
        return batched(
            lambda xb, zb: -losses.bernoulli_nll(xb, self.pixel_logits(xb, self.conditioner(zb, training=False))),
            x,
            z,
            batch_size=batch_size,
        )

    def decode(self, z: Any, seed: int | None = None, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Binary images drawn from p(x | z), one pixel at a time in raster order (H·W network passes).

        An autoregressive decoder has no one-pass mean (unlike :meth:`vaebook.models.VAE.decode`): pixel (i, j) is
        drawn from its Bernoulli given z and the pixels already drawn (:meth:`vaebook.layers.PixelCNNDecoder.draw`).

        Args:
            z: latent codes of shape (N, latent_dim).
            seed: seed of the NumPy generator for the pixel draws.
            batch_size: images per pass.

        Returns:
            float32 array of shape (N, H, W, 1) with values 0 and 1.
        """
        return self.draw_pixels(lambda zb: self.conditioner(zb, training=False), self.check_codes(z), seed, batch_size)

    def sample(self, num_samples: int, seed: int | None = None, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """``num_samples`` new binary images: z ~ N(0, I), then :meth:`decode` (both with ``seed``)."""
        return self.decode(self.prior_sample(num_samples, seed), seed=seed, batch_size=batch_size)

    def reconstruct(self, x: Any, seed: int | None = 0, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """A binary image drawn from p(x | z = posterior mean): what the model keeps of x (H·W passes)."""
        return self.decode(self.encode(x, batch_size)[0], seed=seed, batch_size=batch_size)


def build_mnist_pixelcnn_vae(latent_dim: int = 16, filters: int = 32, **kwargs: Any) -> PixelCNNVAE:
    """Chapter 7's convolutional encoder with a PixelCNN decoder conditioned on z, for binarized 28×28 digits.

    The conditioner (:func:`build_mnist_conditioner`) makes a feature map of ``filters`` channels, the width of the
    masked layers. ``**kwargs`` are the model's own arguments, passed to :class:`PixelCNNVAE`:
    ``num_residual_blocks`` (2), ``first_kernel_size`` (7), ``beta`` (1.0), ``free_bits`` (None), ``seed`` (None)
    and ``name`` (here ``"mnist_pixelcnn_vae"``).

    ``first_kernel_size`` and ``num_residual_blocks`` set the decoder's receptive field: the default (7×7 then two
    3×3 blocks) sees a wide window of earlier pixels and can draw digit strokes without z; ``first_kernel_size=3,
    num_residual_blocks=0`` sees only the adjacent earlier pixels (a weaker decoder; whether it then uses z is
    what chapter 10 measures, and a short run cannot settle it).

    Returns:
        An uncompiled :class:`PixelCNNVAE`.

    Used in: chapter 10, section "Collapse, measured".
    """
    encoder = build_mnist_encoder(latent_dim)
    conditioner = build_mnist_conditioner(latent_dim, filters)
    return PixelCNNVAE(encoder, conditioner, filters=filters, **{"name": "mnist_pixelcnn_vae", **kwargs})
