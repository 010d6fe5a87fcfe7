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

from typing import Any, ClassVar

import keras
import numpy as np
from keras import ops

from vaebook import losses
from vaebook.models.base import BATCH_SIZE, LatentGaussianModel, batched, check_model

__all__ = ["VAE"]

LIKELIHOODS = ("bernoulli", "gaussian")
LOG_SIGMA_RANGE = (-7.0, 5.0)  # a learned decoder σ stays in [exp(−7), exp(5)] ≈ [9e−4, 148]


class _VAEBase(LatentGaussianModel):
    """What VAE and ConditionalVAE share: an encoder and a decoder model, the likelihood and its σ."""

    submodels: ClassVar[tuple[str, ...]] = ("encoder", "decoder")
    config_keys: ClassVar[tuple[str, ...]] = ("likelihood", "decoder_sigma", *LatentGaussianModel.config_keys)

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
        check_model("encoder", encoder)
        check_model("decoder", decoder)
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be 'bernoulli' or 'gaussian'; got {likelihood!r}.")
        if isinstance(decoder_sigma, str):
            if decoder_sigma != "learned":
                raise ValueError(f"decoder_sigma must be a positive number or 'learned'; got {decoder_sigma!r}.")
        elif isinstance(decoder_sigma, bool) or not float(decoder_sigma) > 0:
            raise ValueError(f"decoder_sigma must be a positive number or 'learned'; got {decoder_sigma!r}.")
        super().__init__(beta=beta, free_bits=free_bits, seed=seed, **kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = likelihood
        self.decoder_sigma = decoder_sigma if isinstance(decoder_sigma, str) else float(decoder_sigma)
        self.log_decoder_sigma = None
        if self.decoder_sigma == "learned":
            self.log_decoder_sigma = self.add_weight(
                shape=(), initializer="zeros", trainable=True, name="log_decoder_sigma"
            )
        self.latent_dim = self.encoder_latent_dim()
        self.built = True  # encoder and decoder arrive built: the model can be saved before its first call

    # ---- pieces -------------------------------------------------------------------------------------------
    def sigma(self):
        """The decoder's σ for the Gaussian likelihood: the fixed value, or exp of the learned log σ (clipped)."""
        if self.log_decoder_sigma is None:
            return ops.convert_to_tensor(self.decoder_sigma if self.likelihood == "gaussian" else 1.0)
        return ops.exp(ops.clip(self.log_decoder_sigma, *LOG_SIGMA_RANGE))

    def decoder_nll(self, x, outputs):
        """Per-example −log p(x|z) from the decoder's raw outputs (logits or means), shape (batch,)."""
        x = ops.cast(x, outputs.dtype)
        if self.likelihood == "bernoulli":
            return losses.bernoulli_nll(x, outputs)
        return losses.gaussian_nll(x, outputs, self.sigma())

    def _loss_from_parts(self, x, outputs, mean, log_var):
        return self.negative_elbo(self.decoder_nll(x, outputs), mean, log_var)

    def _display(self, outputs):
        return ops.sigmoid(outputs) if self.likelihood == "bernoulli" else outputs


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
        mean, log_var = self.posterior(inputs, training=training)
        z = self.sampling([mean, log_var])
        outputs = self.decoder(z, training=training)
        return {"outputs": outputs, "mean": mean, "log_var": log_var, "z": z}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The negative ELBO (β-weighted): per-example sums over pixels and latent dims, mean over the batch.

        ``y`` is ignored (a VAE reconstructs its input); ``sample_weight`` is not supported.
        """
        y_pred = self.forward_for_loss(x, y_pred, sample_weight, training)
        return self._loss_from_parts(x, y_pred["outputs"], y_pred["mean"], y_pred["log_var"])

    # ---- NumPy conveniences for evaluation and display ------------------------------------------------------
    def decode(self, z: Any, seed: int | None = None, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """The mean of p(x|z) for latent codes z: pixel probabilities sigmoid(logits) (Bernoulli) or the Gaussian
        means, NumPy array of shape (N, *data_shape). ``seed`` is unused: one decoder pass gives the mean."""
        z = self.check_codes(z)
        return batched(lambda zb: self._display(self.decoder(zb, training=False)), z, batch_size=batch_size)

    def log_likelihood(self, x: Any, z: Any, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """log p(x_n | z_n) for each pair, full normalized density in nats: NumPy array of shape (N,)."""
        x, z = self.check_pairs(x, z)
        return batched(
            lambda xb, zb: -self.decoder_nll(ops.convert_to_tensor(xb), self.decoder(zb, training=False)),
            x,
            z,
            batch_size=batch_size,
        )

    def sample(self, num_samples: int, seed: int | None = None, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """``num_samples`` new images: z ~ N(0, I) (NumPy generator with ``seed``), then :meth:`decode`."""
        return self.decode(self.prior_sample(num_samples, seed), batch_size=batch_size)

    def reconstruct(self, x: Any, seed: int | None = None, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Deterministic reconstruction for display: decode the posterior mean, ``decode(encode(x)[0])``."""
        return self.decode(self.encode(x, batch_size)[0], seed=seed, batch_size=batch_size)
