"""A generative adversarial network (Goodfellow et al., 2014) trained with ``compile(optimizer)`` and ``fit(x)``.

A GAN is a ``generator`` G (noise z ~ N(0, I) → a data point) and a ``discriminator`` D (a data point → one logit,
the log-odds that the point is real). D minimizes the logistic loss of telling real from generated points; G
minimizes the *non-saturating* loss −log σ(D(G(z))) (it wants its points called real):

    L_D = mean over the batch of [ softplus(−D(x)) + softplus(D(G(z))) ]        (= −log σ(D(x)) − log(1 − σ(D(G(z)))))
    L_G = mean over the batch of   softplus(−D(G(z)))                           (= −log σ(D(G(z))))

Two objectives, two sets of weights. The usual implementation alternates two optimizers in a hand-written
``train_step``, which Keras 3 needs once per backend (a ``GradientTape`` for TensorFlow, ``backward()`` for PyTorch,
a stateless function for JAX). :class:`GAN` instead writes one scalar whose gradient *is* the pair of gradients,

    loss = L_D(D; sg[G(z)]) + L_G(D(G(z))) − L_G(D(sg[G(z)])),

with sg the stop-gradient. The first term reaches only D (the generated points are constants in it). The last
two terms have the same value, so they cancel in the loss; their gradients with respect to D's weights are equal
too (D sees the same input), so they cancel as well, while the third term has no gradient with respect to G's
weights. What is left: ∂loss/∂θ_D = ∂L_D/∂θ_D and ∂loss/∂θ_G = ∂L_G/∂θ_G, exactly. One optimizer then takes
*simultaneous* steps on both players through Keras's own ``train_step``, identical on TensorFlow, JAX and PyTorch.
(Adam scales each weight's step by its own gradient history, so the two players' losses need no relative weight.)
"""

from __future__ import annotations

from typing import Any, ClassVar

import keras
import numpy as np
from keras import ops

from vaebook._validation import check_integer, check_seed
from vaebook.models.base import BATCH_SIZE, GenerativeModel, batched, check_model
from vaebook.models.toy_architectures import build_toy_mlp

__all__ = ["GAN", "build_toy_gan"]


@keras.saving.register_keras_serializable(package="vaebook")
class GAN(GenerativeModel):
    """A GAN: generator and discriminator trained together by one optimizer on one stop-gradient loss.

    ``compute_loss`` returns L_D + L_G − sg-copy of L_G (see the module docstring), whose gradient with respect
    to the discriminator's weights is ∇L_D and with respect to the generator's is ∇L_G (non-saturating loss).
    Each batch of ``fit(x)`` draws as many noise vectors as there are real points. ``fit`` reports
    ``discriminator_loss`` (L_D, nats per pair of points), ``generator_loss`` (L_G) and ``d_real`` / ``d_fake``
    (the discriminator's mean probability that a real / generated point is real; at D's optimum for a perfect
    generator both are 1/2). The reported ``loss`` equals L_D (the two copies of L_G cancel).

    Args:
        generator: a built Keras model z → x, input shape (latent_dim,), output shaped like the data.
        discriminator: a built Keras model x → one logit per point, output shape (1,).
        seed: seed of the model's ``keras.random.SeedGenerator`` (the training noise).

    Calling ``gan(x)`` returns a dict with ``"real_logits"`` D(x), ``"fake"`` G(z) for fresh noise z (one per
    row of x), and ``"fake_logits"`` D(G(z)).

    Example:
        >>> gan = build_toy_gan(data_dim=2, latent_dim=2, seed=0)
        >>> gan.compile(optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5))
        >>> gan.fit(x, batch_size=256, epochs=50, verbose=0)
        >>> points = gan.sample(1000, seed=0)
    """

    submodels: ClassVar[tuple[str, ...]] = ("generator", "discriminator")
    config_keys: ClassVar[tuple[str, ...]] = ("seed",)
    tracked: ClassVar[tuple[str, ...]] = ("discriminator_loss", "generator_loss", "d_real", "d_fake")

    def __init__(self, generator: keras.Model, discriminator: keras.Model, seed: int | None = None, **kwargs):
        check_model("generator", generator, num_inputs=1)
        check_model("discriminator", discriminator, num_inputs=1)
        super().__init__(**kwargs)
        data_shape = tuple(generator.outputs[0].shape[1:])
        if tuple(discriminator.inputs[0].shape[1:]) != data_shape:
            raise ValueError(
                f"the discriminator's input shape {tuple(discriminator.inputs[0].shape[1:])} must be "
                f"the generator's output shape {data_shape}."
            )
        if tuple(discriminator.outputs[0].shape[1:]) != (1,):
            raise ValueError(
                f"the discriminator must output one logit per point, shape (batch, 1); got "
                f"{tuple(discriminator.outputs[0].shape)}."
            )
        if len(generator.inputs[0].shape) != 2:
            raise ValueError(
                f"the generator's input must be a noise vector, shape (batch, latent_dim); got "
                f"{tuple(generator.inputs[0].shape)}."
            )
        seed = check_seed(seed)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(generator.inputs[0].shape[-1])
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    def call(self, inputs, training=None):
        batch = ops.shape(inputs)[0]
        z = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        fake = self.generator(z, training=training)
        return {
            "real_logits": self.discriminator(inputs, training=training),
            "fake": fake,
            "fake_logits": self.discriminator(fake, training=training),
        }

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """L_D + L_G − L_G(sg): gradient ∇L_D for the discriminator, ∇L_G for the generator (module docstring).

        ``y`` is ignored; ``sample_weight`` is not supported.
        """
        y_pred = self.forward_for_loss(x, y_pred, sample_weight, training)
        real_logits, fake_logits = y_pred["real_logits"], y_pred["fake_logits"]
        frozen_fake_logits = self.discriminator(ops.stop_gradient(y_pred["fake"]), training=training)
        d_loss = ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(frozen_fake_logits))
        g_loss = ops.mean(ops.softplus(-fake_logits))
        g_loss_without_generator = ops.mean(ops.softplus(-frozen_fake_logits))
        self.track(
            discriminator_loss=d_loss,
            generator_loss=g_loss,
            d_real=ops.mean(ops.sigmoid(real_logits)),
            d_fake=ops.mean(ops.sigmoid(frozen_fake_logits)),
        )
        return self.add_layer_losses(d_loss + (g_loss - g_loss_without_generator))

    # ---- NumPy conveniences --------------------------------------------------------------------------------
    def generate(self, z: Any, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """G(z) for given noise vectors ``z`` of shape (N, latent_dim): NumPy array shaped like the data."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"generate: z must have shape (N, {self.latent_dim}); got {z.shape}.")
        return batched(lambda zb: self.generator(zb, training=False), z, batch_size=batch_size)

    def sample(self, num_samples: int, seed: int | None = None, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """``num_samples`` new points: z ~ N(0, I) from a NumPy generator seeded by ``seed``, then the generator."""
        num_samples = check_integer("num_samples", num_samples, where="sample")
        z = np.random.default_rng(seed).standard_normal((num_samples, self.latent_dim))
        return self.generate(z, batch_size=batch_size)

    def discriminate(self, x: Any, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """σ(D(x)): the discriminator's probability that each point is real, NumPy array of shape (N,)."""
        x = np.asarray(x, dtype=np.float32)
        return batched(lambda xb: ops.sigmoid(self.discriminator(xb, training=False))[:, 0], x, batch_size=batch_size)


def build_toy_gan(
    data_dim: int = 2, latent_dim: int = 2, hidden: tuple[int, ...] = (128, 128), seed: int | None = None
) -> GAN:
    """A GAN of two small MLPs for low-dimensional data.

    Generator: (latent_dim,) → Dense(h, relu) per entry of ``hidden`` → Dense(data_dim), linear output.
    Discriminator: (data_dim,) → Dense(h, leaky relu) per entry of ``hidden`` → Dense(1), one logit. Both are
    :func:`vaebook.models.build_toy_mlp`.

    Args:
        data_dim: dimension of a data point.
        latent_dim: dimension of the generator's noise.
        hidden: widths of the hidden layers of both networks.
        seed: seed of the GAN's training noise.

    Returns:
        An uncompiled :class:`GAN`.

    Used in: chapter 12, section "A GAN: a generator and a critic".
    """
    data_dim = check_integer("data_dim", data_dim)
    latent_dim = check_integer("latent_dim", latent_dim)
    hidden = tuple(hidden)  # used twice
    generator = build_toy_mlp(latent_dim, data_dim, hidden, activation="relu", name="generator")
    discriminator = build_toy_mlp(data_dim, 1, hidden, activation="leaky_relu", name="discriminator")
    return GAN(generator, discriminator, seed=seed)
