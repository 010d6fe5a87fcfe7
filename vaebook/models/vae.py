"""The variational autoencoder (Kingma & Welling, 2014) and the base class it shares with its conditional variant.

A VAE here is an ``encoder`` (any built Keras model x → [mean, log_var] of the diagonal Gaussian q(z|x)), a
``decoder`` (any built Keras model z → logits of Bernoulli pixels, or means of Gaussian pixels), the prior
p(z) = N(0, I) and the reparameterized :class:`vaebook.layers.Sampling` between them. Training minimizes the
negative ELBO

    loss = mean over the batch of [ −log p(x | z) + β · KL(q(z|x) ‖ p(z)) ],     z ~ q(z|x) (one draw),

with ``compile(optimizer)`` and ``fit(x)``: no targets, no custom train step.

The evaluation interface that :mod:`vaebook.metrics` relies on (any model offering it can be evaluated):

- ``encode(x) → (mean, log_var)``: the parameters of q(z|x), NumPy arrays of shape (N, latent_dim), the
  log-variance clamped as in training;
- ``log_likelihood(x, z) → log p(x|z)``: NumPy array of shape (N,), the full normalized log density of each
  x_n given its z_n, in nats;
- ``latent_dim``: the number of latent dimensions.

:class:`vaebook.models.ConditionalVAE` (:mod:`vaebook.models.conditional_vae`) offers the same methods with an
extra ``labels`` argument; the MNIST builders are in :mod:`vaebook.models.mnist_vae`.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from vaebook import losses
from vaebook._validation import check_integer
from vaebook.layers.sampling import Sampling, clamp_log_var

__all__ = ["VAE"]

LIKELIHOODS = ("bernoulli", "gaussian")
LOG_SIGMA_RANGE = (-7.0, 5.0)  # a learned decoder σ stays in [exp(−7), exp(5)] ≈ [9e−4, 148]


def _check_model(name: str, model: Any) -> None:
    if not isinstance(model, keras.Model):
        raise ValueError(f"{name} must be a keras.Model; got {type(model).__name__}.")
    if not model.built:
        raise ValueError(
            f"{name} must be built (a functional model, or a Sequential that starts with keras.Input); "
            f"got an unbuilt {type(model).__name__} named {model.name!r}."
        )


def _to_numpy(t: Any) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(t))


def _batches(n: int, batch_size: int):
    for start in range(0, n, batch_size):
        yield slice(start, min(n, start + batch_size))


class _VAEBase(keras.Model):
    """What VAE and ConditionalVAE share: the likelihood, β, free bits, trackers and the loss."""

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        likelihood: str = "bernoulli",
        decoder_sigma: float | str = 1.0,
        beta: float = 1.0,
        free_bits: float | None = None,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_model("encoder", encoder)
        _check_model("decoder", decoder)
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be 'bernoulli' or 'gaussian'; got {likelihood!r}.")
        if isinstance(decoder_sigma, str):
            if decoder_sigma != "learned":
                raise ValueError(f"decoder_sigma must be a positive number or 'learned'; got {decoder_sigma!r}.")
        elif isinstance(decoder_sigma, bool) or not float(decoder_sigma) > 0:
            raise ValueError(f"decoder_sigma must be a positive number or 'learned'; got {decoder_sigma!r}.")
        if isinstance(beta, bool) or not float(beta) >= 0:
            raise ValueError(f"beta must be a number >= 0; got {beta!r}.")
        if free_bits is not None and not float(free_bits) >= 0:
            raise ValueError(f"free_bits must be None or a number of nats >= 0; got {free_bits!r}.")
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = likelihood
        self.decoder_sigma = decoder_sigma if isinstance(decoder_sigma, str) else float(decoder_sigma)
        self.free_bits = None if free_bits is None else float(free_bits)
        self.seed = seed
        self.sampling = Sampling(seed=seed, name="sampling")
        self.beta = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(float(beta)), trainable=False, name="beta"
        )
        self.log_decoder_sigma = None
        if self.decoder_sigma == "learned":
            self.log_decoder_sigma = self.add_weight(
                shape=(), initializer="zeros", trainable=True, name="log_decoder_sigma"
            )
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.latent_dim = int(self._encoder_outputs()[0].shape[-1])
        self.sampling.built = True  # no weights to create; its SeedGenerator state exists already
        self.built = True  # encoder and decoder arrive built: the model can be saved before its first call

    def build(self, input_shape=None):
        """Nothing to create: the encoder and decoder arrive built, Sampling has no weights."""
        self.built = True

    # ---- pieces -------------------------------------------------------------------------------------------
    def _encoder_outputs(self):
        outputs = self.encoder.outputs
        if outputs is None or len(outputs) != 2:
            raise ValueError(
                f"encoder must output [mean, log_var] (two tensors); got "
                f"{'no symbolic outputs' if outputs is None else f'{len(outputs)} output(s)'}."
            )
        return outputs

    def _split_encoder_output(self, out):
        if not isinstance(out, (list, tuple)) or len(out) != 2:
            raise ValueError(f"encoder must return [mean, log_var]; got {type(out).__name__}.")
        mean, log_var = out
        return mean, clamp_log_var(log_var)

    def sigma(self):
        """The decoder's σ for the Gaussian likelihood: the fixed value, or exp of the learned log σ (clipped)."""
        if self.log_decoder_sigma is None:
            return ops.convert_to_tensor(self.decoder_sigma if self.likelihood == "gaussian" else 1.0)
        return ops.exp(ops.clip(self.log_decoder_sigma, *LOG_SIGMA_RANGE))

    def _nll(self, x, outputs):
        """Per-example −log p(x|z) from the decoder's raw outputs (logits or means), shape (batch,)."""
        x = ops.cast(x, outputs.dtype)
        if self.likelihood == "bernoulli":
            return losses.bernoulli_nll(x, outputs)
        return losses.gaussian_nll(x, outputs, self.sigma())

    def _loss_from_parts(self, x, outputs, mean, log_var):
        reconstruction = ops.mean(self._nll(x, outputs))
        kl = ops.mean(losses.gaussian_kl(mean, log_var))
        kl_term = kl if self.free_bits is None else losses.free_bits_kl(mean, log_var, self.free_bits)
        loss = reconstruction + ops.cast(self.beta, kl_term.dtype) * kl_term
        if self.losses:
            loss = loss + ops.sum(self.losses)
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return loss

    def _display(self, outputs) -> np.ndarray:
        if self.likelihood == "bernoulli":
            return _to_numpy(ops.sigmoid(outputs))
        return _to_numpy(outputs)

    def _log_likelihood_from_outputs(self, x, outputs) -> np.ndarray:
        return -_to_numpy(self._nll(ops.convert_to_tensor(x), outputs))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
                "likelihood": self.likelihood,
                "decoder_sigma": self.decoder_sigma,
                "beta": float(_to_numpy(self.beta)),
                "free_bits": self.free_bits,
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        for key in ("encoder", "decoder"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


@keras.saving.register_keras_serializable(package="vaebook")
class VAE(_VAEBase):
    """A variational autoencoder trained with ``compile(optimizer)`` and ``fit(x)``.

    The loss (:meth:`compute_loss`) is the negative ELBO with one reparameterized sample per example,

        loss = (1/N) Σ_n [ −log p(x_n | z_n) + β · KL(q(z|x_n) ‖ N(0, I)) ],   z_n = μ_n + σ_n ⊙ ε_n,

    where −log p(x|z) is summed over every pixel (:func:`vaebook.losses.bernoulli_nll` or
    :func:`vaebook.losses.gaussian_nll`, normalized, constants included) and the KL is summed over the latent
    dimensions (:func:`vaebook.losses.gaussian_kl`); the mean is over the batch. With ``free_bits=λ`` the β-weighted
    KL term is :func:`vaebook.losses.free_bits_kl` instead. ``fit`` reports ``loss``, ``reconstruction`` (batch mean
    of −log p(x|z)) and ``kl`` (batch mean of the KL, never clamped), all in nats per example.

    Args:
        encoder: a built Keras model x → [mean, log_var], each of shape (batch, latent_dim).
        decoder: a built Keras model z → logits (``likelihood="bernoulli"``) or means (``"gaussian"``), shaped
            like x.
        likelihood: ``"bernoulli"`` (binary data only: binarize grey levels first) or ``"gaussian"``.
        decoder_sigma: σ of the Gaussian likelihood: a positive number, or ``"learned"`` (one trainable scalar
            log σ, clipped to [−7, 5]). Ignored for Bernoulli.
        beta: weight β ≥ 0 of the KL term (β-VAE; 1 is the ELBO). Stored as a non-trainable variable
            ``vae.beta``, so :class:`vaebook.callbacks.KLAnnealing` can change it between steps of a compiled
            ``fit``.
        free_bits: ``None``, or λ nats per latent dimension for the free-bits KL.
        seed: seed of the model's :class:`vaebook.layers.Sampling` layer.

    Calling the model, ``vae(x)``, returns a dict with the decoder's raw ``"outputs"`` (logits or means) for one
    sample ``"z"`` from q(z|x), and q's ``"mean"`` and ``"log_var"`` (clamped to [−30, 20]).

    Example:
        >>> vae = build_mnist_vae(latent_dim=16, seed=0)
        >>> vae.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> vae.fit(x_binary, epochs=10, batch_size=128, verbose=0)
        >>> images = vae.sample(16)
    """

    def call(self, inputs, training=None):
        mean, log_var = self._split_encoder_output(self.encoder(inputs, training=training))
        z = self.sampling([mean, log_var])
        outputs = self.decoder(z, training=training)
        return {"outputs": outputs, "mean": mean, "log_var": log_var, "z": z}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The negative ELBO (β-weighted): per-example sums over pixels and latent dims, mean over the batch.

        ``y`` is ignored (a VAE reconstructs its input); ``sample_weight`` is not supported.
        """
        if sample_weight is not None:
            raise ValueError("VAE.compute_loss does not support sample_weight; got one.")
        if y_pred is None:
            y_pred = self(x, training=training)
        return self._loss_from_parts(x, y_pred["outputs"], y_pred["mean"], y_pred["log_var"])

    # ---- NumPy conveniences for evaluation and display ------------------------------------------------------
    def encode(self, x: Any, batch_size: int = 512) -> tuple[np.ndarray, np.ndarray]:
        """Parameters of q(z|x): ``(mean, log_var)``, NumPy arrays of shape (N, latent_dim), log_var clamped."""
        x = np.asarray(x, dtype=np.float32)
        means, log_vars = [], []
        for s in _batches(len(x), batch_size):
            mean, log_var = self._split_encoder_output(self.encoder(x[s], training=False))
            means.append(_to_numpy(mean))
            log_vars.append(_to_numpy(log_var))
        if not means:
            return np.zeros((0, self.latent_dim), np.float32), np.zeros((0, self.latent_dim), np.float32)
        return np.concatenate(means), np.concatenate(log_vars)

    def decode(self, z: Any, batch_size: int = 512) -> np.ndarray:
        """What to display for latent codes z: pixel probabilities sigmoid(logits) (Bernoulli) or means (Gaussian)."""
        z = np.asarray(z, dtype=np.float32)
        return np.concatenate([self._display(self.decoder(z[s], training=False)) for s in _batches(len(z), batch_size)])

    def log_likelihood(self, x: Any, z: Any) -> np.ndarray:
        """log p(x_n | z_n) for each pair, full normalized density in nats: NumPy array of shape (N,).

        One decoder call on the whole input: callers batch (as :mod:`vaebook.metrics` does).
        """
        x = np.asarray(x, dtype=np.float32)
        z = np.asarray(z, dtype=np.float32)
        if len(x) != len(z):
            raise ValueError(f"log_likelihood needs one z per x; got {len(x)} x and {len(z)} z.")
        return self._log_likelihood_from_outputs(x, self.decoder(z, training=False))

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` new images: z ~ N(0, I) (NumPy generator with ``seed``), then :meth:`decode`."""
        n = check_integer("n", n, where="sample")
        z = np.random.default_rng(seed).standard_normal((int(n), self.latent_dim)).astype(np.float32)
        return self.decode(z)

    def reconstruct(self, x: Any) -> np.ndarray:
        """Deterministic reconstruction for display: decode the posterior mean, ``decode(encode(x)[0])``."""
        return self.decode(self.encode(x)[0])
