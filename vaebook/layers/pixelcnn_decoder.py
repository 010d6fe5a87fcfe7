"""The conditioned PixelCNN decoder: masked convolutions over an image plus a conditioning feature map.

A PixelCNN decoder models a binary image in raster order, each pixel a Bernoulli given the pixels before it and a
conditioning map ``c`` with one feature vector per pixel (van den Oord et al., 2016):

    p(x | c) = Π_i p(x_i | x_1, ..., x_{i−1}, c).

The PixelCNN-decoder VAE (``c`` from a latent vector z) and the PixelCNN-decoder VQ-VAE (``c`` from a quantized code
grid) both compose this one layer; they differ only in how they make ``c``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from vaebook._serialization import DeclaredConfig
from vaebook._validation import check_integer
from vaebook.layers.masked_conv import MaskedConv2D, MaskedResidualBlock

__all__ = ["PixelCNNDecoder"]


@keras.saving.register_keras_serializable(package="vaebook")
class PixelCNNDecoder(DeclaredConfig, keras.layers.Layer):
    """Masked-convolution stack ``[image, condition] → one logit per pixel``, the condition added after each layer.

    ``h = maskA(x) + 1×1(c)``; for each residual block ``h = block(h) + 1×1(c)``; then a 1×1 mask-B convolution
    (ReLU) and a 1×1 convolution to the logits of p(x_i = 1 | x_<i, c). Both inputs may have any number of rows
    (the width is fixed when the layer is built), so :meth:`draw` can crop to the rows that reach the next pixel.

    Args:
        filters: channels of the masked layers, ≥ 2.
        num_residual_blocks: masked residual blocks (3×3, mask B) after the first layer; 0 is allowed.
        first_kernel_size: odd kernel size of the first (mask A) layer.

    Call it on ``[images, condition]`` of shapes (batch, H, W, 1) and (batch, H, W, C).
    """

    def __init__(self, filters: int = 32, num_residual_blocks: int = 2, first_kernel_size: int = 7, **kwargs):
        super().__init__(**kwargs)
        self.filters = check_integer("filters", filters, 2)
        self.num_residual_blocks = check_integer("num_residual_blocks", num_residual_blocks, 0)
        self.first_kernel_size = check_integer("first_kernel_size", first_kernel_size, 1)
        if self.first_kernel_size % 2 == 0:
            raise ValueError(f"first_kernel_size must be odd (a centre pixel); got {self.first_kernel_size}.")
        policy = self.dtype_policy
        # Created in the order of the forward pass (an unseeded initializer takes its seed when it is created, so
        # under keras.utils.set_random_seed this order fixes the initial weights).
        mask_a = MaskedConv2D("A", self.filters, self.first_kernel_size, activation="relu", dtype=policy)
        projections, blocks = [keras.layers.Conv2D(self.filters, 1, dtype=policy)], []
        for _ in range(self.num_residual_blocks):
            blocks.append(MaskedResidualBlock(self.filters, dtype=policy))
            projections.append(keras.layers.Conv2D(self.filters, 1, dtype=policy))
        self.mask_a, self.blocks, self.projections = mask_a, blocks, projections
        self.mask_b = MaskedConv2D("B", self.filters, 1, activation="relu", dtype=policy)
        self.to_logits = keras.layers.Conv2D(1, 1, dtype=policy)

    def build(self, input_shape):
        image_shape, condition_shape = input_shape
        if len(image_shape) != 4 or image_shape[-1] != 1 or len(condition_shape) != 4:
            raise ValueError(
                f"PixelCNNDecoder takes [images (batch, H, W, 1), condition (batch, H, W, C)]; got shapes "
                f"{tuple(image_shape)} and {tuple(condition_shape)}."
            )
        hidden = (*tuple(image_shape)[:3], self.filters)
        self.mask_a.build(image_shape)
        for block in self.blocks:
            block.build(hidden)
        for projection in self.projections:
            projection.build(condition_shape)
        self.mask_b.build(hidden)
        self.to_logits.build(hidden)
        self.height = None if image_shape[1] is None else int(image_shape[1])
        self.width, self.condition_channels = int(image_shape[2]), int(condition_shape[3])
        self._sampler = None

    @property
    def receptive_rows(self) -> int:
        """How many rows above a pixel the decoder can see: (first_kernel_size − 1)/2 plus one per block."""
        return self.first_kernel_size // 2 + self.num_residual_blocks

    def call(self, inputs):
        image, condition = inputs
        image = ops.cast(image, self.compute_dtype)
        condition = ops.cast(condition, self.compute_dtype)
        hidden = self.mask_a(image) + self.projections[0](condition)
        for block, projection in zip(self.blocks, self.projections[1:], strict=True):
            hidden = block(hidden) + projection(condition)
        return self.to_logits(self.mask_b(hidden))

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape[0])[:3], 1)

    def draw(self, conditions: list[np.ndarray], seed: int | None = None) -> np.ndarray:
        """Binary images drawn one pixel at a time in raster order, one batch per conditioning map in ``conditions``.

        Pixel (i, j) is drawn from its Bernoulli given the pixels already drawn; each pass is a compiled
        ``predict_on_batch`` on the rows that can reach row i (:attr:`receptive_rows` above it: convolutions with
        "same" padding give the same value there). One NumPy generator seeded with ``seed`` draws every pixel.

        Args:
            conditions: NumPy arrays of shape (n_b, H, W, C), the conditioning maps of each batch.
            seed: seed of the NumPy generator.

        Returns:
            float32 array of shape (Σ n_b, H, W, 1) with values 0 and 1.
        """
        rng = np.random.default_rng(seed)
        sampler = self._compiled_sampler()
        out = []
        for condition in conditions:
            h, w = condition.shape[1:3]
            x = np.zeros((len(condition), h, w, 1), np.float32)
            for i in range(h):
                top = max(0, i - self.receptive_rows)  # rows above `top` cannot reach row i
                for j in range(w):
                    logits = sampler.predict_on_batch([x[:, top : i + 1], condition[:, top : i + 1]])
                    logits = np.asarray(ops.convert_to_numpy(logits[:, i - top, j, 0]), np.float64)
                    x[:, i, j, 0] = (rng.uniform(size=len(condition)) < 1.0 / (1.0 + np.exp(-logits))).astype(
                        np.float32
                    )
            out.append(x)
        return np.concatenate(out) if out else np.zeros((0, self.height or 0, self.width, 1), np.float32)

    def _compiled_sampler(self) -> keras.Model:
        """A functional model around this layer (same weights) whose ``predict_on_batch`` compiles the pass."""
        if getattr(self, "_sampler", None) is None:
            image = keras.Input((None, self.width, 1))
            condition = keras.Input((None, self.width, self.condition_channels))
            # Not tracked as a sublayer: it only wraps this layer, whose weights are saved once.
            object.__setattr__(self, "_sampler", keras.Model([image, condition], self([image, condition])))
        return self._sampler
