"""Callbacks for training VAEs: a β warm-up schedule and snapshots of the latent space for animations.

Both work during a compiled ``fit`` on TensorFlow, JAX and PyTorch. On JAX, ``fit`` keeps the model's state
outside its variables between steps; Keras writes it back whenever a callback touches ``self.model``, which
costs a copy of the weights, so these callbacks touch the model only on the steps where they act.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from vaebook._validation import check_integer

__all__ = ["KLAnnealing", "LatentSnapshots"]


class KLAnnealing(keras.callbacks.Callback):
    """Warm up the KL weight β linearly from ``start`` to ``end`` over ``warmup_steps`` training steps.

        β(t) = start + (end − start) · min(1, t / warmup_steps),   t = 0, 1, 2, ... (steps since training began)

    Starting near β = 0 lets the decoder learn to use z before the KL term pulls q(z|x) onto the prior, a
    common remedy for posterior collapse (Bowman et al., 2016; Sønderby et al., 2016). The callback assigns the
    model's non-trainable variable ``model.beta`` (see :class:`vaebook.models.VAE`) before each step, so the
    compiled train step sees the new value without retracing; after the warm-up it stops touching the model.
    ``betas`` records the (step, β) pairs it set.

    Args:
        warmup_steps: number of steps to reach ``end`` (> 0).
        start: β at step 0 (≥ 0).
        end: β after the warm-up (≥ 0; 1 gives the ELBO).

    Example:
        >>> vae.fit(x, epochs=10, callbacks=[KLAnnealing(warmup_steps=2000)])

    Used in: chapter 10, section "Remedies, measured".
    """

    def __init__(self, warmup_steps: int, start: float = 0.0, end: float = 1.0):
        super().__init__()
        check_integer("warmup_steps", warmup_steps, where="KLAnnealing")
        if not (float(start) >= 0 and float(end) >= 0):
            raise ValueError(f"KLAnnealing: start and end must be >= 0; got start={start!r}, end={end!r}.")
        self.warmup_steps, self.start, self.end = int(warmup_steps), float(start), float(end)
        self.step = 0
        self.betas: list[tuple[int, float]] = []

    def beta_at(self, step: int) -> float:
        """The scheduled β at training step ``step``."""
        return self.start + (self.end - self.start) * min(1.0, step / self.warmup_steps)

    def on_train_begin(self, logs=None):
        if not hasattr(self.model, "beta"):
            raise ValueError(
                f"KLAnnealing needs a model with a `beta` variable (a vaebook VAE); got {type(self.model).__name__}."
            )

    def on_train_batch_begin(self, batch, logs=None):
        if self.step <= self.warmup_steps:  # the last assignment sets β = end exactly
            value = self.beta_at(self.step)
            self.model.beta.assign(value)
            self.betas.append((self.step, value))
        self.step += 1

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["beta"] = self.beta_at(max(self.step - 1, 0))

    def get_config(self) -> dict:
        """The schedule's arguments (callbacks are not saved with a model; this is for logging)."""
        return {"warmup_steps": self.warmup_steps, "start": self.start, "end": self.end}


class LatentSnapshots(keras.callbacks.Callback):
    """Encode a fixed batch every ``every_n_steps`` training steps and keep the posterior means, for animations.

    After ``fit``, ``steps`` holds the step numbers (0 is before the first update) and ``means`` an array of
    shape (len(steps), N, latent_dim) with the means of q(z|x) for the fixed batch ``x``: frame i of an animation
    scatters ``means[i][:, :2]`` coloured by label.

    Args:
        x: the fixed batch of inputs (a few hundred images is plenty).
        every_n_steps: snapshot interval in training steps (> 0).
        labels: for a :class:`vaebook.models.ConditionalVAE`, the labels of ``x`` (passed to ``encode``).

    Example:
        >>> snaps = LatentSnapshots(x_test[:500], every_n_steps=50)
        >>> vae.fit(x_train, epochs=5, callbacks=[snaps])
        >>> snaps.means.shape   # (frames, 500, latent_dim)

    Used in: chapter 7, section "A two-dimensional latent space".
    """

    def __init__(self, x: Any, every_n_steps: int = 50, labels: Any = None):
        super().__init__()
        check_integer("every_n_steps", every_n_steps, where="LatentSnapshots")
        self.x = np.asarray(x, dtype=np.float32)
        if self.x.ndim < 2 or len(self.x) == 0:
            raise ValueError(f"LatentSnapshots: x must be a non-empty batch (N, ...); got shape {self.x.shape}.")
        self.labels = None if labels is None else np.asarray(labels)
        self.every_n_steps = int(every_n_steps)
        self.step = 0
        self.steps: list[int] = []
        self._means: list[np.ndarray] = []

    @property
    def means(self) -> np.ndarray:
        """Posterior means of the fixed batch, shape (number of snapshots, N, latent_dim)."""
        if not self._means:
            return np.zeros((0, len(self.x), 0), np.float32)
        return np.stack(self._means)

    def _snapshot(self) -> None:
        if self.labels is None:
            mean, _ = self.model.encode(self.x)
        else:
            mean, _ = self.model.encode(self.x, self.labels)
        self.steps.append(self.step)
        self._means.append(np.asarray(mean))

    def on_train_begin(self, logs=None):
        if not hasattr(self.model, "encode"):
            raise ValueError(
                f"LatentSnapshots needs a model with encode(x) (a vaebook VAE); got {type(self.model).__name__}."
            )
        if not self.steps or self.steps[-1] != self.step:
            self._snapshot()

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.every_n_steps == 0:
            self._snapshot()
