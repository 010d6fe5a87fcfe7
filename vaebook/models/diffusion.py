"""A denoising diffusion probabilistic model (DDPM; Ho et al., 2020) trained with ``compile(optimizer)``, ``fit(x)``.

The forward process adds Gaussian noise in T steps with variances β_1 … β_T,

    q(x_t | x_{t−1}) = N(√(1 − β_t) x_{t−1}, β_t I),   so that   q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I),

with α_t = 1 − β_t and ᾱ_t = α_1 ⋯ α_t. A ``denoiser`` network ε_θ(x_t, t) learns to predict the noise ε that
made x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε; the loss is Ho et al.'s "simple" objective

    loss = mean over the batch of ‖ε − ε_θ(x_t, t)‖²   (summed over the data dimensions),  t ~ U{1, …, T}.

Sampling runs the learned reverse process from x_T ~ N(0, I) down to x_0, one denoiser pass per step:

    x_{t−1} = (x_t − β_t / √(1 − ᾱ_t) · ε_θ(x_t, t)) / √α_t + σ_t z,   z ~ N(0, I),  σ_t² = β_t,  no noise at t = 1.

Time steps are numbered 1 … T in the text and stored 0 … T−1 in arrays.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import keras
import numpy as np
from keras import ops

from vaebook import losses
from vaebook._validation import check_integer, check_seed
from vaebook.models.base import GenerativeModel, check_model
from vaebook.models.toy_architectures import build_toy_denoiser

__all__ = ["DDPM", "build_toy_ddpm", "noise_schedule", "timestep_embedding"]

SCHEDULES = ("linear", "cosine")


def noise_schedule(num_steps: int, schedule: str = "linear") -> np.ndarray:
    """The variances β_1 … β_T of the forward process.

    ``"linear"``: Ho et al.'s schedule, β rising linearly from 1e−4 to 0.02 over T = 1000 steps, rescaled by
    1000 / T for other T (Nichol & Dhariwal, 2021). ᾱ_T then depends on T: about 4e−5 for T = 1000, 2e−5 for
    T = 100 and 8e−6 for T = 50 (x_T is practically pure noise for each), far smaller for fewer steps (for T ≤ 20 the
    largest β is clipped at 0.999).
    ``"cosine"``: Nichol & Dhariwal's ᾱ_t = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2), s = 0.008, with
    β_t = 1 − ᾱ_t/ᾱ_{t−1} clipped to at most 0.999.

    Args:
        num_steps: T, a positive integer.
        schedule: ``"linear"`` or ``"cosine"``.

    Returns:
        float64 NumPy array of shape (T,), each β_t in (0, 1).
    """
    num_steps = check_integer("num_steps", num_steps)
    if schedule == "linear":
        scale = 1000.0 / num_steps
        return np.linspace(min(scale * 1e-4, 0.999), min(scale * 0.02, 0.999), num_steps)
    if schedule == "cosine":
        s = 0.008
        f = np.cos((np.arange(num_steps + 1) / num_steps + s) / (1 + s) * np.pi / 2) ** 2
        alpha_bar = f / f[0]
        return np.clip(1.0 - alpha_bar[1:] / alpha_bar[:-1], 1e-8, 0.999)
    raise ValueError(f"schedule must be one of {SCHEDULES}; got {schedule!r}.")


def timestep_embedding(t: Any, dim: int, num_steps: int):
    """Sinusoidal features of the time step (as for positions in a Transformer): the denoiser's clock.

    For t in [0, T) and k = 0 … dim/2 − 1: sin(t̃ ω_k) and cos(t̃ ω_k), with t̃ = t / T · 1000 and frequencies
    ω_k = 10000^(−k / (dim/2)), concatenated to ``dim`` features (sines first).

    Args:
        t: integer or float tensor of shape (batch,), time steps 0 … T−1.
        dim: an even positive number of features.
        num_steps: T.

    Returns:
        float32 tensor of shape (batch, dim).
    """
    dim = check_integer("dim", dim)
    if dim % 2:
        raise ValueError(f"dim must be even (sines and cosines); got {dim}.")
    half = dim // 2
    freqs = ops.convert_to_tensor(np.exp(-math.log(10000.0) * np.arange(half) / half).astype("float32"))
    angles = ops.cast(ops.reshape(t, (-1, 1)), "float32") * (1000.0 / num_steps) * ops.reshape(freqs, (1, half))
    return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)


@keras.saving.register_keras_serializable(package="vaebook")
class DDPM(GenerativeModel):
    """A DDPM: a noise-predicting denoiser ε_θ(x_t, t) and a fixed forward noise schedule.

    The loss (:meth:`compute_loss`) is ‖ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖², summed over the data dimensions,
    mean over the batch, with one t ~ U{1, …, T} and one ε ~ N(0, I) per example (module docstring). ``fit``
    reports it as ``loss``. :meth:`sample` runs T denoiser passes per batch of samples.

    Args:
        denoiser: a built Keras model with two inputs, ``[x_t, time_features]`` of shapes (batch, *data_shape)
            and (batch, E) with E even, and one output shaped like x_t, the predicted noise. The DDPM computes the
            E time features with :func:`timestep_embedding`.
        num_steps: T, the number of noise levels.
        schedule: ``"linear"`` or ``"cosine"`` (:func:`noise_schedule`).
        seed: seed of the model's ``keras.random.SeedGenerator`` (t and ε in training).

    Calling ``ddpm(x0)`` returns a dict with the drawn ``"t"`` (0-based), the ``"noise"`` ε and the denoiser's
    ``"predicted_noise"``.

    Example:
        >>> ddpm = build_toy_ddpm(data_dim=2, num_steps=100, seed=0)
        >>> ddpm.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> ddpm.fit(x, batch_size=256, epochs=100, verbose=0)
        >>> points = ddpm.sample(1000, seed=0)
    """

    submodels: ClassVar[tuple[str, ...]] = ("denoiser",)
    config_keys: ClassVar[tuple[str, ...]] = ("num_steps", "schedule", "seed")

    def __init__(
        self, denoiser: keras.Model, num_steps: int = 100, schedule: str = "linear", seed: int | None = None, **kwargs
    ):
        check_model("denoiser", denoiser, num_inputs=2)
        super().__init__(**kwargs)
        self.data_shape = tuple(int(d) for d in denoiser.inputs[0].shape[1:])
        if tuple(denoiser.outputs[0].shape[1:]) != self.data_shape:
            raise ValueError(
                f"the denoiser's output shape {tuple(denoiser.outputs[0].shape[1:])} must equal its "
                f"x_t input shape {self.data_shape} (it predicts the noise)."
            )
        if len(denoiser.inputs[1].shape) != 2 or denoiser.inputs[1].shape[-1] % 2:
            raise ValueError(
                f"the denoiser's time input must have shape (batch, E) with E even; got "
                f"{tuple(denoiser.inputs[1].shape)}."
            )
        seed = check_seed(seed)
        self.denoiser = denoiser
        self.num_steps = check_integer("num_steps", num_steps)
        self.schedule = schedule
        self.betas = noise_schedule(self.num_steps, schedule)
        self.alphas = 1.0 - self.betas
        self.alpha_bars = np.cumprod(self.alphas)
        self.embedding_dim = int(denoiser.inputs[1].shape[-1])
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    def noisy(self, x0, t, noise):
        """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, the closed-form sample of q(x_t | x_0); t is 0-based, shape (batch,)."""
        t = ops.cast(t, "int32")
        shape = (-1,) + (1,) * len(self.data_shape)
        a = ops.reshape(ops.take(ops.convert_to_tensor(np.sqrt(self.alpha_bars).astype("float32")), t), shape)
        b = ops.reshape(ops.take(ops.convert_to_tensor(np.sqrt(1 - self.alpha_bars).astype("float32")), t), shape)
        return a * ops.cast(x0, "float32") + b * ops.cast(noise, "float32")

    def predict_noise(self, x_t, t, training=None):
        """ε_θ(x_t, t): the denoiser on x_t (shape (batch, *data_shape)) and the time features of the 0-based
        steps t."""
        x_t = ops.cast(ops.convert_to_tensor(x_t), "float32")
        t = ops.convert_to_tensor(t)
        return self.denoiser([x_t, timestep_embedding(t, self.embedding_dim, self.num_steps)], training=training)

    def call(self, inputs, training=None):
        batch = ops.shape(inputs)[0]
        t = keras.random.randint((batch,), 0, self.num_steps, seed=self.seed_generator)
        noise = keras.random.normal(ops.shape(inputs), seed=self.seed_generator)
        return {
            "t": t,
            "noise": noise,
            "predicted_noise": self.predict_noise(self.noisy(inputs, t, noise), t, training=training),
        }

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """‖ε − ε_θ(x_t, t)‖², summed over the data dimensions, mean over the batch. ``y`` is ignored."""
        y_pred = self.forward_for_loss(x, y_pred, sample_weight, training)
        error = ops.square(y_pred["noise"] - y_pred["predicted_noise"])
        return self.add_layer_losses(losses.batch_mean_of_sums(error))

    # ---- NumPy conveniences --------------------------------------------------------------------------------
    def sample(self, num_samples: int, seed: int | None = None, return_trajectory: bool = False):
        """``num_samples`` new points by the reverse process: T denoiser passes from x_T ~ N(0, I) (NumPy noise).

        Args:
            num_samples: number of points.
            seed: seed of the NumPy generator that draws x_T and the noise of every step.
            return_trajectory: also return the list [x_T, x_{T−1}, …, x_0] of NumPy arrays.

        Returns:
            NumPy array of shape (num_samples, *data_shape); with ``return_trajectory``, the pair (samples, trajectory).
        """
        n = check_integer("num_samples", num_samples, where="sample")
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((n,) + self.data_shape).astype(np.float32)
        trajectory = [x]
        for t in range(self.num_steps - 1, -1, -1):
            eps = np.asarray(ops.convert_to_numpy(self.predict_noise(x, np.full((n,), t, np.int32), training=False)))
            beta, alpha, alpha_bar = self.betas[t], self.alphas[t], self.alpha_bars[t]
            x = (x - beta / np.sqrt(1.0 - alpha_bar) * eps) / np.sqrt(alpha)
            if t > 0:
                x = x + np.sqrt(beta) * rng.standard_normal(x.shape)
            x = x.astype(np.float32)
            if return_trajectory:
                trajectory.append(x)
        return (x, trajectory) if return_trajectory else x


def build_toy_ddpm(
    data_dim: int = 2,
    num_steps: int = 100,
    hidden: tuple[int, ...] = (128, 128, 128),
    embedding_dim: int = 32,
    schedule: str = "linear",
    seed: int | None = None,
) -> DDPM:
    """A DDPM whose denoiser is a small MLP for low-dimensional data.

    Denoiser: :func:`vaebook.models.build_toy_denoiser`, [x_t (data_dim,), time features (embedding_dim,)] →
    concatenate → Dense(h, silu) per entry of ``hidden`` → Dense(data_dim), the predicted noise.

    Args:
        data_dim: dimension of a data point.
        num_steps: T.
        hidden: widths of the hidden layers.
        embedding_dim: number of sinusoidal time features (even).
        schedule: ``"linear"`` or ``"cosine"``.
        seed: seed of the DDPM's training noise.

    Returns:
        An uncompiled :class:`DDPM`.

    Used in: chapter 12, section "Diffusion: learning to remove noise".
    """
    denoiser = build_toy_denoiser(data_dim, embedding_dim, hidden)
    return DDPM(denoiser, num_steps=num_steps, schedule=schedule, seed=seed)
