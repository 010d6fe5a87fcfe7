"""The reparameterization trick as a Keras layer: z = μ + σ · ε with ε ~ N(0, I)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from vaebook._serialization import DeclaredConfig
from vaebook._validation import check_seed

__all__ = ["Sampling", "LOG_VAR_MIN", "LOG_VAR_MAX", "clamp_log_var"]

LOG_VAR_MIN = -30.0
"""Smallest log-variance :class:`Sampling` uses: σ = exp(−15) ≈ 3e−7, far below any useful posterior width."""
LOG_VAR_MAX = 20.0
"""Largest log-variance :class:`Sampling` uses: σ = exp(10) ≈ 2.2e4, far above the prior's σ = 1; keeps exp finite."""


def clamp_log_var(log_var: Any):
    """Clip a log-variance to [LOG_VAR_MIN, LOG_VAR_MAX] = [−30, 20].

    Inside the range the clamp is the identity (and its gradient is 1); it only stops ``exp(log_var)`` from
    overflowing to ``inf`` or underflowing to 0 when an untrained encoder emits extreme values, which would
    otherwise turn the loss into NaN silently.

    Args:
        log_var: tensor of log-variances.

    Returns:
        The clipped tensor, same shape and dtype.
    """
    return ops.clip(log_var, LOG_VAR_MIN, LOG_VAR_MAX)


@keras.saving.register_keras_serializable(package="vaebook")
class Sampling(DeclaredConfig, keras.layers.Layer):
    """Draw z ~ N(μ, diag σ²) by reparameterization: z = μ + exp(½ log σ²) · ε, ε ~ N(0, I).

    Called on ``[mean, log_var]``. Because ε is the only random quantity and z is a smooth function of μ and
    log σ², gradients flow from z back into the encoder (Kingma & Welling, 2014). The log-variance is first
    clamped to [−30, 20] (:func:`clamp_log_var`). The layer owns a ``keras.random.SeedGenerator``, so it draws
    fresh ε on every call, works under ``jit`` on TensorFlow, JAX and PyTorch, and two layers built with the
    same ``seed`` produce the same sequence of draws.

    The layer samples in training *and* inference: an ELBO estimate needs samples at evaluation time too. Use
    the mean (``vaebook.models.VAE.reconstruct``) for a deterministic reconstruction.

    Args:
        seed: integer seed of the layer's SeedGenerator, or ``None`` for a seed drawn from the global state
            (set it with :func:`vaebook.config.set_seed`).
        **kwargs: passed to ``keras.layers.Layer`` (``name``, ``dtype``...).

    Example:
        >>> z = Sampling(seed=0)([mean, log_var])   # shape of mean

    Used in: chapter 6, section "The `Sampling` layer: gradients reach $\\boldsymbol{\\mu}$ and
    $\\boldsymbol{\\sigma}$".
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = check_seed(seed, where="Sampling")
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                f"Sampling expects a list [mean, log_var] of two tensors; got {type(inputs).__name__}"
                + (f" of length {len(inputs)}" if isinstance(inputs, (list, tuple)) else "")
                + "."
            )
        mean, log_var = inputs
        if tuple(mean.shape) != tuple(log_var.shape):
            raise ValueError(
                f"Sampling: mean and log_var must have the same shape; got mean.shape={tuple(mean.shape)} and "
                f"log_var.shape={tuple(log_var.shape)}."
            )
        log_var = clamp_log_var(log_var)
        epsilon = keras.random.normal(ops.shape(mean), dtype=mean.dtype, seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * epsilon

    def compute_output_shape(self, input_shape):
        return input_shape[0]
