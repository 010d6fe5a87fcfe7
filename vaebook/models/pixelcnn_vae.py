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

from typing import Any

import keras
import numpy as np
from keras import ops

from vaebook import losses
from vaebook.layers.masked_conv import MaskedConv2D, MaskedResidualBlock
from vaebook._validation import check_integer
from vaebook.models.mnist_vae import build_mnist_encoder
from vaebook.models.vae import VAE, _check_model

__all__ = ["PixelCNNVAE", "build_mnist_pixelcnn_vae", "build_mnist_conditioner"]


@keras.saving.register_keras_serializable(package="vaebook")
class PixelCNNVAE(VAE):
    """A VAE with an autoregressive decoder: a PixelCNN over binary pixels, conditioned on z.

    The loss is the VAE's negative ELBO (see :class:`vaebook.models.VAE`),

        loss = (1/N) Σ_n [ −log p(x_n | z_n) + β · KL(q(z|x_n) ‖ N(0, I)) ],

    with −log p(x|z) = −Σ_i log p(x_i | x_<i, z) summed over every pixel (Bernoulli, so binarize the data) and the
    KL summed over latent dimensions; the mean is over the batch. ``beta`` (a variable that
    :class:`vaebook.callbacks.KLAnnealing` can change) and ``free_bits`` work as for the VAE. ``fit`` reports
    ``loss``, ``reconstruction`` and ``kl`` in nats per example. It offers the evaluation interface of
    :mod:`vaebook.metrics` (``encode``, ``log_likelihood``, ``latent_dim``), so the ELBO, the importance-sampled
    NLL, active units and KL per dimension work unchanged.

    Decoder: ``c = conditioner(z)`` of shape (H, W, C); ``h = maskA(x) + 1×1(c)``, then for each residual block
    ``h = block(h) + 1×1(c)``, then a 1×1 mask-B convolution (ReLU) and a 1×1 convolution to one logit per pixel.
    These masked layers form the functional model ``pixel_network``: [image, c] → logits.

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
        kwargs.pop("likelihood", None)
        kwargs.pop("decoder_sigma", None)
        _check_model("conditioner", conditioner)
        out_shape = tuple(conditioner.outputs[0].shape) if conditioner.outputs else ()
        if len(out_shape) != 4 or None in out_shape[1:]:
            raise ValueError(f"conditioner must map z to a feature map (batch, H, W, C); got output shape {out_shape}.")
        self.filters, self.num_residual_blocks, self.first_kernel_size = _check_pixel_arguments(
            filters, num_residual_blocks, first_kernel_size
        )
        self.image_shape = (int(out_shape[1]), int(out_shape[2]), 1)
        super().__init__(
            encoder, conditioner, likelihood="bernoulli", beta=beta, free_bits=free_bits, seed=seed, **kwargs
        )
        enc_in = tuple(encoder.inputs[0].shape[1:])
        if enc_in != self.image_shape:
            raise ValueError(
                f"encoder input shape {enc_in} and conditioner output grid {self.image_shape} differ: "
                "the conditioner must produce one feature vector per pixel."
            )
        self.pixel_network = _pixel_network(
            self.image_shape[1], int(out_shape[3]), self.filters, self.num_residual_blocks, self.first_kernel_size
        )

    @property
    def receptive_rows(self) -> int:
        """How many rows above a pixel the decoder can see: (first_kernel_size − 1)/2 plus one per block."""
        return self.first_kernel_size // 2 + self.num_residual_blocks

    @property
    def conditioner(self) -> keras.Model:
        """The network z → conditioning feature map (stored as ``decoder`` by the VAE base class)."""
        return self.decoder

    def pixel_logits(self, x, condition):
        """Logits of p(x_i = 1 | x_<i, z) for every pixel at once, from images and the conditioning map."""
        return self.pixel_network(
            [
                ops.cast(ops.convert_to_tensor(x), self.compute_dtype),
                ops.cast(ops.convert_to_tensor(condition), self.compute_dtype),
            ]
        )

    def call(self, inputs, training=None):
        mean, log_var = self._split_encoder_output(self.encoder(inputs, training=training))
        z = self.sampling([mean, log_var])
        outputs = self.pixel_logits(inputs, self.decoder(z, training=training))
        return {"outputs": outputs, "mean": mean, "log_var": log_var, "z": z}

    def log_likelihood(self, x: Any, z: Any) -> np.ndarray:
        """log p(x_n | z_n) = Σ_i log p(x_{n,i} | x_{n,<i}, z_n), exact, in nats: NumPy array of shape (N,)."""
        x = np.asarray(x, dtype=np.float32)
        z = np.asarray(z, dtype=np.float32)
        if len(x) != len(z):
            raise ValueError(f"log_likelihood needs one z per x; got {len(x)} x and {len(z)} z.")
        logits = self.pixel_logits(x, self.decoder(z, training=False))
        return -np.asarray(ops.convert_to_numpy(losses.bernoulli_nll(x, logits)))

    def decode(self, z: Any, seed: int | None = None, batch_size: int = 512) -> np.ndarray:
        """Binary images drawn from p(x | z), one pixel at a time in raster order (H·W network passes).

        Pixel (i, j) is drawn from its Bernoulli given z and the pixels already drawn; each pass is a compiled
        ``predict_on_batch`` of the masked-convolution network on the rows that can reach row i
        (:attr:`receptive_rows` above it: convolutions with "same" padding give the same value there).

        Args:
            z: latent codes of shape (N, latent_dim).
            seed: seed of the NumPy generator for the pixel draws.

        Returns:
            float32 array of shape (N, H, W, 1) with values 0 and 1.
        """
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}); got {z.shape}.")
        condition = [
            ops.convert_to_numpy(self.decoder(z[i : i + batch_size], training=False))
            for i in range(0, len(z), batch_size)
        ]
        return _draw_pixels(self.pixel_network, condition, self.image_shape, self.receptive_rows, seed)

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` new binary images: z ~ N(0, I), then :meth:`decode` (both with ``seed``)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"sample: n must be a positive integer; got {n!r}.")
        z = np.random.default_rng(seed).standard_normal((int(n), self.latent_dim)).astype(np.float32)
        return self.decode(z, seed=seed)

    def reconstruct(self, x: Any, seed: int | None = 0) -> np.ndarray:
        """A binary image drawn from p(x | z = posterior mean): what the model keeps of x (H·W passes)."""
        return self.decode(self.encode(x)[0], seed=seed)

    def get_config(self) -> dict:
        config = super().get_config()
        config["conditioner"] = config.pop("decoder")
        for key in ("likelihood", "decoder_sigma"):
            config.pop(key, None)
        config.update(
            filters=self.filters, num_residual_blocks=self.num_residual_blocks, first_kernel_size=self.first_kernel_size
        )
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        for key in ("encoder", "conditioner"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def _check_pixel_arguments(filters: Any, num_residual_blocks: Any, first_kernel_size: Any) -> tuple[int, int, int]:
    """The masked stack's hyperparameters, checked: filters ≥ 2, blocks ≥ 0, an odd first kernel size."""
    filters = check_integer("filters", filters, 2)
    num_residual_blocks = check_integer("num_residual_blocks", num_residual_blocks, 0)
    first_kernel_size = check_integer("first_kernel_size", first_kernel_size, 1)
    if first_kernel_size % 2 == 0:
        raise ValueError(f"first_kernel_size must be odd (a centre pixel); got {first_kernel_size}.")
    return filters, num_residual_blocks, first_kernel_size


def _pixel_network(
    width: int, condition_channels: int, filters: int, num_residual_blocks: int, first_kernel_size: int
) -> keras.Model:
    """The conditioned masked-convolution stack [image, condition] → one logit per pixel (shared by the PixelCNN
    decoders of :class:`PixelCNNVAE` and :class:`vaebook.models.PixelCNNVQVAE`).

    ``h = maskA(x) + 1×1(c)``; for each residual block ``h = block(h) + 1×1(c)``; then a 1×1 mask-B convolution
    (ReLU) and a 1×1 convolution to the logits. Both inputs take any number of rows, so sampling can crop.
    """
    image = keras.Input((None, width, 1), name="image")
    condition = keras.Input((None, width, condition_channels), name="condition")
    hidden = keras.layers.Add()(
        [
            MaskedConv2D("A", filters, first_kernel_size, activation="relu", name="mask_a")(image),
            keras.layers.Conv2D(filters, 1, name="condition_0")(condition),
        ]
    )
    for i in range(num_residual_blocks):
        hidden = keras.layers.Add()(
            [
                MaskedResidualBlock(filters, name=f"residual_{i}")(hidden),
                keras.layers.Conv2D(filters, 1, name=f"condition_{i + 1}")(condition),
            ]
        )
    hidden = MaskedConv2D("B", filters, 1, activation="relu", name="mask_b_1x1")(hidden)
    logits = keras.layers.Conv2D(1, 1, name="logits")(hidden)
    return keras.Model([image, condition], logits, name="pixel_network")


def _draw_pixels(
    pixel_network: keras.Model,
    conditions: list[np.ndarray],
    image_shape: tuple[int, int, int],
    receptive_rows: int,
    seed: int | None,
) -> np.ndarray:
    """Binary images drawn one pixel at a time in raster order, one batch per conditioning map in ``conditions``.

    Pixel (i, j) is drawn from its Bernoulli given the pixels already drawn; each pass is a compiled
    ``predict_on_batch`` on the rows that can reach row i (``receptive_rows`` above it: convolutions with "same"
    padding give the same value there). One NumPy generator seeded with ``seed`` draws every pixel.
    """
    rng = np.random.default_rng(seed)
    h, w, _ = image_shape
    out = []
    for condition in conditions:
        x = np.zeros((len(condition), h, w, 1), np.float32)
        for i in range(h):
            top = max(0, i - receptive_rows)  # rows above `top` cannot reach row i
            for j in range(w):
                logits = pixel_network.predict_on_batch([x[:, top : i + 1], condition[:, top : i + 1]])
                logits = logits[:, i - top, j, 0]
                p = 1.0 / (1.0 + np.exp(-np.asarray(ops.convert_to_numpy(logits), np.float64)))
                x[:, i, j, 0] = (rng.uniform(size=len(condition)) < p).astype(np.float32)
        out.append(x)
    return np.concatenate(out) if out else np.zeros((0, h, w, 1), np.float32)


def build_mnist_conditioner(latent_dim: int = 16, channels: int = 32, name: str = "conditioner") -> keras.Model:
    """z → (28, 28, channels) feature map: Dense(7·7·32, relu) → Reshape → two stride-2 Conv2DTranspose (relu)
    → Conv2D(channels, 1). The upsampling path of chapter 7's decoder, ending in features instead of logits.
    """
    latent_dim = check_integer("latent_dim", latent_dim)
    channels = check_integer("channels", channels)
    z = keras.Input((latent_dim,), name="z")
    h = keras.layers.Dense(7 * 7 * 32, activation="relu")(z)
    h = keras.layers.Reshape((7, 7, 32))(h)
    h = keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(h)
    return keras.Model(z, keras.layers.Conv2D(channels, 1, name="features")(h), name=name)


def build_mnist_pixelcnn_vae(
    latent_dim: int = 16,
    filters: int = 32,
    num_residual_blocks: int = 2,
    first_kernel_size: int = 7,
    beta: float = 1.0,
    free_bits: float | None = None,
    seed: int | None = None,
    name: str = "mnist_pixelcnn_vae",
) -> PixelCNNVAE:
    """Chapter 7's convolutional encoder with a PixelCNN decoder conditioned on z, for binarized 28×28 digits.

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
    return PixelCNNVAE(
        encoder,
        conditioner,
        filters=filters,
        num_residual_blocks=num_residual_blocks,
        first_kernel_size=first_kernel_size,
        beta=beta,
        free_bits=free_bits,
        seed=seed,
        name=name,
    )
