"""A PixelCNN prior over the code-index maps of a VQ-VAE (van den Oord et al., 2016; 2017).

A trained VQ-VAE turns each image into a grid of code indices ``c`` (e.g. 7×7 integers in ``[0, K)``). The
prior factorizes the probability of a grid in raster order,

    p(c) = Π_{i} p(c_i | c_1, ..., c_{i−1}),

each factor a categorical distribution over the ``K`` codes whose logits a masked-convolution network computes for
all positions at once (causality from the masks). Training maximizes ``log p(c)`` of the training set's grids;
sampling draws the codes one position at a time from those categoricals.
"""

from __future__ import annotations

from typing import Any, ClassVar

import keras
import numpy as np
from keras import ops

from vaebook._validation import check_integer
from vaebook.layers.masked_conv import MaskedConv2D, MaskedResidualBlock
from vaebook.models.base import BATCH_SIZE, GenerativeModel, batched

__all__ = ["PixelCNN"]


@keras.saving.register_keras_serializable(package="vaebook")
class PixelCNN(GenerativeModel):
    """Autoregressive prior over integer grids: one-hot → masked conv A → residual blocks (mask B) → logits.

    Input: integer code maps of shape ``(B, H, W)``; output: logits of shape ``(B, H, W, K)``. ``fit(codes)``
    (no targets needed) minimizes the cross-entropy of each code given the codes before it, a mean over positions
    and the batch, in nats per code. Every convolution keeps its ReLU (the first and the hidden ones); only the
    last 1×1 convolution, which produces logits, is linear.

    Args:
        num_embeddings: number of codes ``K``.
        grid_shape: ``(H, W)`` of the code maps.
        filters: channels of the hidden layers.
        num_residual_blocks: masked residual blocks after the first (mask A) layer.
        first_kernel_size: odd kernel size of the mask-A layer.
        seed: seed of the model's generator for :meth:`sample` (when ``sample`` gets no seed of its own).

    Example:
        >>> prior = PixelCNN(num_embeddings=128, grid_shape=(7, 7))
        >>> prior.compile(optimizer="adam"); prior.fit(train_codes, epochs=10)
        >>> codes = prior.sample(16)             # (16, 7, 7) int32, drawn from the categoricals

    Used in: chapter 9, section "Static prior or learned prior".
    """

    config_keys: ClassVar[tuple[str, ...]] = (
        "num_embeddings",
        "grid_shape",
        "filters",
        "num_residual_blocks",
        "first_kernel_size",
        "seed",
    )

    def __init__(
        self,
        num_embeddings: int,
        grid_shape: tuple[int, int],
        filters: int = 64,
        num_residual_blocks: int = 2,
        first_kernel_size: int = 5,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_integer("num_embeddings", num_embeddings, minimum=2)
        grid_shape = tuple(int(g) for g in grid_shape)
        if len(grid_shape) != 2 or min(grid_shape) < 1:
            raise ValueError(f"grid_shape must be (height, width) with positive sizes; got {grid_shape!r}.")
        self.num_embeddings = int(num_embeddings)
        self.grid_shape = grid_shape
        self.filters = int(filters)
        self.num_residual_blocks = int(num_residual_blocks)
        self.first_kernel_size = int(first_kernel_size)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        policy = self.dtype_policy  # every layer computes in the model's dtype (e.g. float16 under mixed precision)
        self.first = MaskedConv2D(
            "A", self.filters, self.first_kernel_size, activation="relu", name="mask_a", dtype=policy
        )
        self.blocks = [
            MaskedResidualBlock(self.filters, name=f"residual_{i}", dtype=policy)
            for i in range(self.num_residual_blocks)
        ]
        self.hidden = MaskedConv2D("B", self.filters, 1, activation="relu", name="mask_b_1x1", dtype=policy)
        self.logits = keras.layers.Conv2D(self.num_embeddings, 1, name="logits", dtype=policy)

    def build(self, input_shape=None):
        shape = (None,) + self.grid_shape + (self.num_embeddings,)
        hidden = (None,) + self.grid_shape + (self.filters,)
        self.first.build(shape)
        for block in self.blocks:
            block.build(hidden)
        self.hidden.build(hidden)
        self.logits.build(hidden)
        self.built = True

    def _check(self, codes):
        shape = tuple(ops.shape(codes))
        if len(shape) != 3 or shape[1:] != self.grid_shape:
            raise ValueError(
                f"PixelCNN expects code maps of shape (batch, {self.grid_shape[0]}, {self.grid_shape[1]}); got {shape}."
            )

    def call(self, codes, training=None):
        self._check(codes)
        h = ops.one_hot(ops.cast(codes, "int32"), self.num_embeddings, dtype=self.compute_dtype)
        h = self.first(h)
        for block in self.blocks:
            h = block(h)
        return self.logits(self.hidden(h))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Cross-entropy of each code given the earlier ones: mean over positions and batch (nats per code)."""
        targets = x if y is None else y
        loss = ops.mean(
            keras.losses.sparse_categorical_crossentropy(ops.cast(targets, "int32"), y_pred, from_logits=True)
        )
        return loss

    def log_likelihood(self, codes: Any, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """``log p(c)`` of each code map, summed over positions, in nats.

        Args:
            codes: integer array of shape ``(B, H, W)``.
            batch_size: code maps per forward pass.

        Returns:
            float array of shape ``(B,)``.
        """

        def log_p(cb):
            nll = keras.losses.sparse_categorical_crossentropy(cb, self(cb, training=False), from_logits=True)
            return -ops.sum(nll, axis=(1, 2))

        return batched(log_p, np.asarray(codes, dtype="int32"), batch_size=batch_size)

    def sample(self, num_samples: int, seed: int | None = None, temperature: float = 1.0) -> np.ndarray:
        """Draw code maps from the prior, one position at a time in raster order.

        At each position the network's logits (divided by ``temperature``) define a categorical distribution, and
        the code is *drawn* from it (``keras.random.categorical``), not taken as the argmax: the argmax would
        give one near-deterministic map, not samples from ``p(c)``.

        Args:
            num_samples: number of maps.
            seed: ``None`` to continue the model's own random stream (seeded by the constructor's ``seed``), or
                a seed for this call alone.
            temperature: > 0; 1 samples the learned distribution, lower values sharpen it.

        Returns:
            int32 array of shape ``(num_samples, H, W)``. Costs ``H·W`` forward passes.
        """
        num_samples = check_integer("num_samples", num_samples)
        if not temperature > 0:
            raise ValueError(f"temperature must be positive; got {temperature!r}.")
        generator = self.seed_generator if seed is None else keras.random.SeedGenerator(seed)
        h, w = self.grid_shape
        codes = np.zeros((int(num_samples), h, w), dtype="int32")
        for i in range(h):
            for j in range(w):
                logits = self(codes, training=False)[:, i, j, :] / temperature
                draw = keras.random.categorical(logits, 1, seed=generator, dtype="int32")
                codes[:, i, j] = ops.convert_to_numpy(draw)[:, 0]
        return codes
