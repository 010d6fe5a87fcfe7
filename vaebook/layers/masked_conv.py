"""Masked convolutions for autoregressive models over 2-D grids (PixelCNN, van den Oord et al., 2016).

Pixels are ordered in raster order (row by row, left to right). A masked convolution zeroes the kernel weights
that would let output ``(i, j)`` see input pixels that come *later* in that order:

* mask **A** (first layer) also hides the centre pixel ``(i, j)`` itself: the output at ``(i, j)`` depends only on
  pixels strictly before it;
* mask **B** (every later layer) keeps the centre: the layer's input at ``(i, j)`` already depends only on earlier
  pixels, so passing it on is safe.

Stacking A then any number of B layers (and 1×1 convolutions, which see only the centre) keeps the whole network
causal.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from vaebook._serialization import DeclaredConfig
from vaebook._validation import check_integer

__all__ = ["MaskedConv2D", "MaskedResidualBlock", "causal_mask"]


def causal_mask(kernel_size: tuple[int, int], mask_type: str) -> np.ndarray:
    """The 0/1 mask of a masked convolution kernel, shape ``(kh, kw)``.

    Args:
        kernel_size: odd height and width of the kernel.
        mask_type: ``"A"`` (hide the centre) or ``"B"`` (keep the centre).

    Returns:
        float32 array with ones at the rows above the centre and at the centre row left of (A) or up to (B) the
        centre, zeros elsewhere.

    Raises:
        ValueError: for an even kernel size or an unknown mask type.
    """
    kh, kw = (int(k) for k in kernel_size)
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"a masked convolution needs an odd kernel size (a centre pixel); got {(kh, kw)}.")
    if mask_type not in ("A", "B"):
        raise ValueError(f"mask_type must be 'A' or 'B'; got {mask_type!r}.")
    mask = np.zeros((kh, kw), dtype="float32")
    mask[: kh // 2, :] = 1.0
    mask[kh // 2, : kw // 2 + (1 if mask_type == "B" else 0)] = 1.0
    return mask


@keras.saving.register_keras_serializable(package="vaebook")
class MaskedConv2D(keras.layers.Conv2D):
    """A ``Conv2D`` whose kernel is multiplied by a causal mask (type ``"A"`` or ``"B"``) at every call.

    Padding is always ``"same"`` and strides 1, so the output grid is the input grid and output ``(i, j)`` is
    the prediction for pixel ``(i, j)``. Takes every other ``keras.layers.Conv2D`` argument (activation, ...).

    Args:
        mask_type: ``"A"`` for the first layer (hides the centre pixel), ``"B"`` for later layers.
        filters: number of output channels.
        kernel_size: odd int or pair of odd ints.
        **kwargs: passed to ``keras.layers.Conv2D`` (``padding`` and ``strides`` are fixed).
    """

    def __init__(self, mask_type: str, filters: int, kernel_size: int | tuple[int, int], **kwargs):
        if kwargs.pop("padding", "same") != "same":
            raise ValueError("MaskedConv2D keeps the grid: padding must be 'same'.")
        if kwargs.pop("strides", 1) not in (1, (1, 1), [1, 1]):
            raise ValueError("MaskedConv2D keeps the grid: strides must be 1.")
        if kwargs.get("data_format", "channels_last") not in (None, "channels_last"):
            raise ValueError("MaskedConv2D supports data_format='channels_last' only.")
        super().__init__(filters, kernel_size, padding="same", **kwargs)
        self.mask_type = mask_type
        self._mask = causal_mask(self.kernel_size, mask_type)[:, :, None, None]

    def convolution_op(self, inputs, kernel):
        return super().convolution_op(inputs, kernel * ops.convert_to_tensor(self._mask, dtype=kernel.dtype))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("padding", None)
        config.pop("strides", None)
        config["mask_type"] = self.mask_type
        return config


@keras.saving.register_keras_serializable(package="vaebook")
class MaskedResidualBlock(DeclaredConfig, keras.layers.Layer):
    """PixelCNN residual block: 1×1 conv → masked 3×3 conv (type B) → 1×1 conv, each with its activation, plus
    the input.

    ``x + conv1x1(maskedB(conv1x1(x)))`` with ReLU after each convolution (He et al., 2016; van den Oord et al.,
    2016). Every part sees only the centre or earlier pixels, so the block is causal.

    Args:
        filters: channels of the input and output (the middle layer has ``filters // 2``).
        kernel_size: odd size of the masked convolution.
        activation: activation after each convolution.
    """

    def __init__(self, filters: int, kernel_size: int = 3, activation: str = "relu", **kwargs):
        super().__init__(**kwargs)
        filters = check_integer("filters", filters, minimum=2)
        self.filters, self.kernel_size, self.activation = int(filters), int(kernel_size), activation
        # The sublayers take the block's dtype policy: under mixed_float16 they compute in float16 like the block
        # (with their own default policy they would return float32 and the residual sum would mix dtypes).
        policy = self.dtype_policy
        self.reduce = keras.layers.Conv2D(self.filters // 2, 1, activation=activation, dtype=policy)
        self.masked = MaskedConv2D("B", self.filters // 2, self.kernel_size, activation=activation, dtype=policy)
        self.expand = keras.layers.Conv2D(self.filters, 1, activation=activation, dtype=policy)

    def build(self, input_shape):
        if input_shape[-1] != self.filters:
            raise ValueError(f"MaskedResidualBlock expects (..., {self.filters}) inputs; got {tuple(input_shape)}.")
        self.reduce.build(input_shape)
        mid = tuple(input_shape[:-1]) + (self.filters // 2,)
        self.masked.build(mid)
        self.expand.build(mid)

    def call(self, inputs):
        return inputs + self.expand(self.masked(self.reduce(inputs)))

    def compute_output_shape(self, input_shape):
        return input_shape
