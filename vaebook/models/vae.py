"""The variational autoencoder (Kingma & Welling, 2014), its conditional variant, and the MNIST builders.

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

:class:`ConditionalVAE` offers the same methods with an extra ``labels`` argument.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from vaebook import losses
from vaebook.layers.sampling import Sampling, clamp_log_var

__all__ = [
    "VAE",
    "ConditionalVAE",
    "build_mnist_vae",
    "build_mnist_mlp_vae",
    "build_mnist_cvae",
    "build_mnist_encoder",
    "build_mnist_decoder",
]

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

    def __init__(self, encoder: keras.Model, decoder: keras.Model, likelihood: str = "bernoulli",
                 decoder_sigma: float | str = 1.0, beta: float = 1.0, free_bits: float | None = None,
                 seed: int | None = None, **kwargs):
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
        self.beta = self.add_weight(shape=(), initializer=keras.initializers.Constant(float(beta)),
                                    trainable=False, name="beta")
        self.log_decoder_sigma = None
        if self.decoder_sigma == "learned":
            self.log_decoder_sigma = self.add_weight(shape=(), initializer="zeros", trainable=True,
                                                     name="log_decoder_sigma")
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
        return {
            "name": self.name,
            "trainable": self.trainable,
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "likelihood": self.likelihood,
            "decoder_sigma": self.decoder_sigma,
            "beta": float(_to_numpy(self.beta)),
            "free_bits": self.free_bits,
            "seed": self.seed,
        }

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

    Used in: chapter 7 (the VAE on MNIST), chapter 8 (β-VAE, free bits, posterior collapse); chapter 5 through
    :func:`vaebook.models.build_linear_gaussian_vae`.
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
        return np.concatenate([self._display(self.decoder(z[s], training=False))
                               for s in _batches(len(z), batch_size)])

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
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"sample: n must be a positive integer; got {n!r}.")
        z = np.random.default_rng(seed).standard_normal((int(n), self.latent_dim)).astype(np.float32)
        return self.decode(z)

    def reconstruct(self, x: Any) -> np.ndarray:
        """Deterministic reconstruction for display: decode the posterior mean, ``decode(encode(x)[0])``."""
        return self.decode(self.encode(x)[0])


@keras.saving.register_keras_serializable(package="vaebook")
class ConditionalVAE(_VAEBase):
    """A VAE whose encoder and decoder both see the class label: q(z | x, y) and p(x | z, y) (Sohn et al., 2015).

    The labels are integers in [0, num_classes); the model one-hot encodes them. The encoder is a built Keras
    model [x, y_onehot] → [mean, log_var]; the decoder a built Keras model [z, y_onehot] → logits or means.
    Train with ``fit(x, labels)`` (labels in the place of targets; ``vaebook.data.DynamicBinarization(x, y=labels)``
    works too) or ``fit([x, labels])``. The loss is the VAE's (see :class:`VAE`): per-example sums over pixels
    and latent dimensions, mean over the batch, β-weighted KL, tracked as ``reconstruction`` and ``kl``.

    Calling ``cvae([x, labels])`` returns the same dict as :class:`VAE`. (Called on images alone, as ``fit`` does
    when the labels come as targets, it returns them unchanged and :meth:`compute_loss` runs the model.)

    Args:
        encoder, decoder: see above.
        num_classes: number of classes.
        likelihood, decoder_sigma, beta, free_bits, seed: as for :class:`VAE`.

    Used in: chapter 8 (conditional generation: one digit class at a time).
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, num_classes: int = 10, **kwargs):
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
            raise ValueError(f"num_classes must be an integer >= 2; got {num_classes!r}.")
        self.num_classes = int(num_classes)
        super().__init__(encoder, decoder, **kwargs)

    def _one_hot(self, labels):
        labels = ops.convert_to_tensor(labels)
        if len(labels.shape) == 2 and labels.shape[-1] == 1:
            labels = ops.reshape(labels, (-1,))
        return ops.one_hot(ops.cast(labels, "int32"), self.num_classes)

    def _forward(self, x, labels, training=None):
        y = self._one_hot(labels)
        mean, log_var = self._split_encoder_output(self.encoder([x, y], training=training))
        z = self.sampling([mean, log_var])
        outputs = self.decoder([z, ops.cast(y, z.dtype)], training=training)
        return {"outputs": outputs, "mean": mean, "log_var": log_var, "z": z}

    def call(self, inputs, training=None):
        if isinstance(inputs, (list, tuple)) and len(inputs) == 2:
            return self._forward(inputs[0], inputs[1], training=training)
        return inputs  # images alone: fit(x, labels) — compute_loss receives the labels as y and runs the model

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The conditional negative ELBO: per-example sums over pixels and latent dims, mean over the batch."""
        if sample_weight is not None:
            raise ValueError("ConditionalVAE.compute_loss does not support sample_weight; got one.")
        if isinstance(x, (list, tuple)) and len(x) == 2:
            images = x[0]
        else:
            if y is None:
                raise ValueError("ConditionalVAE needs labels: fit(x, labels) or fit([x, labels]); got none.")
            images = x
            y_pred = self._forward(x, y, training=training)
        if y_pred is None or not isinstance(y_pred, dict):
            y_pred = self._forward(x[0], x[1], training=training)
        return self._loss_from_parts(images, y_pred["outputs"], y_pred["mean"], y_pred["log_var"])

    def _labels(self, labels: Any, n: int) -> np.ndarray:
        labels = np.asarray(labels).reshape(-1) if np.ndim(labels) else np.full(n, int(labels))
        if len(labels) != n:
            raise ValueError(f"need one label per example: {n} examples, got {len(labels)} labels.")
        if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise ValueError(f"labels must be integers in [0, {self.num_classes}); got values in "
                             f"[{labels.min()}, {labels.max()}].")
        return labels.astype(np.int32)

    def encode(self, x: Any, labels: Any, batch_size: int = 512) -> tuple[np.ndarray, np.ndarray]:
        """Parameters of q(z | x, y): ``(mean, log_var)``, NumPy arrays of shape (N, latent_dim)."""
        x = np.asarray(x, dtype=np.float32)
        labels = self._labels(labels, len(x))
        means, log_vars = [], []
        for s in _batches(len(x), batch_size):
            images = ops.convert_to_tensor(x[s])
            out = self.encoder([images, ops.cast(self._one_hot(labels[s]), images.dtype)], training=False)
            mean, log_var = self._split_encoder_output(out)
            means.append(_to_numpy(mean))
            log_vars.append(_to_numpy(log_var))
        return np.concatenate(means), np.concatenate(log_vars)

    def _decoder_outputs(self, z, labels):
        z = ops.convert_to_tensor(np.asarray(z, dtype=np.float32))
        return self.decoder([z, ops.cast(self._one_hot(labels), z.dtype)], training=False)

    def decode(self, z: Any, labels: Any, batch_size: int = 512) -> np.ndarray:
        """Pixel probabilities (Bernoulli) or means (Gaussian) of p(x | z, y), for display."""
        z = np.asarray(z, dtype=np.float32)
        labels = self._labels(labels, len(z))
        return np.concatenate([self._display(self._decoder_outputs(z[s], labels[s]))
                               for s in _batches(len(z), batch_size)])

    def log_likelihood(self, x: Any, z: Any, labels: Any) -> np.ndarray:
        """log p(x_n | z_n, y_n) per example, full normalized density in nats, shape (N,)."""
        x = np.asarray(x, dtype=np.float32)
        if len(x) != len(z):
            raise ValueError(f"log_likelihood needs one z per x; got {len(x)} x and {len(z)} z.")
        labels = self._labels(labels, len(x))
        return self._log_likelihood_from_outputs(x, self._decoder_outputs(z, labels))

    def sample(self, n: int, labels: Any, seed: int | None = None) -> np.ndarray:
        """``n`` images of the given class(es): ``labels`` is one integer or ``n`` of them; z ~ N(0, I)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"sample: n must be a positive integer; got {n!r}.")
        z = np.random.default_rng(seed).standard_normal((int(n), self.latent_dim)).astype(np.float32)
        return self.decode(z, labels)

    def reconstruct(self, x: Any, labels: Any) -> np.ndarray:
        """Decode the posterior mean given the true labels, for display."""
        return self.decode(self.encode(x, labels)[0], labels)

    def get_config(self) -> dict:
        config = super().get_config()
        config["num_classes"] = self.num_classes
        return config


# ---- builders ------------------------------------------------------------------------------------------------

def _check_latent_dim(latent_dim: int) -> int:
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, (int, np.integer)) or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive integer; got {latent_dim!r}.")
    return int(latent_dim)


def build_mnist_encoder(latent_dim: int = 16, filters: tuple[int, int] = (32, 64), dense_units: int = 256,
                        num_classes: int | None = None, name: str = "encoder") -> keras.Model:
    """The convolutional MNIST encoder of the TU Dortmund lecture slides (Korzhylova et al., 2024): convolution, pooling, flattening and dense layers.

    (28, 28, 1) → Conv2D(f₁, 3×3, relu) → MaxPooling 2×2 → Conv2D(f₂, 3×3, relu) → MaxPooling 2×2 → Flatten
    → Dense(dense_units, relu) → two Dense(latent_dim) heads: mean and log-variance. With ``num_classes``, a
    second input (the one-hot label) is concatenated to the flattened features (conditional encoder).
    """
    latent_dim = _check_latent_dim(latent_dim)
    images = keras.Input((28, 28, 1), name="images")
    h = keras.layers.Conv2D(filters[0], 3, padding="same", activation="relu")(images)
    h = keras.layers.MaxPooling2D(2)(h)
    h = keras.layers.Conv2D(filters[1], 3, padding="same", activation="relu")(h)
    h = keras.layers.MaxPooling2D(2)(h)
    h = keras.layers.Flatten()(h)
    inputs = images
    if num_classes is not None:
        label = keras.Input((num_classes,), name="label_onehot")
        h = keras.layers.Concatenate()([h, label])
        inputs = [images, label]
    h = keras.layers.Dense(dense_units, activation="relu")(h)
    mean = keras.layers.Dense(latent_dim, name="mean")(h)
    log_var = keras.layers.Dense(latent_dim, name="log_var")(h)
    return keras.Model(inputs, [mean, log_var], name=name)


def build_mnist_decoder(latent_dim: int = 16, filters: tuple[int, int] = (64, 32), num_classes: int | None = None,
                        name: str = "decoder") -> keras.Model:
    """The convolutional MNIST decoder of the TU Dortmund lecture slides (Korzhylova et al., 2024): dense, reshape and transposed convolutions, to logits.

    z → Dense(7·7·f₁, relu) → Reshape(7, 7, f₁) → Conv2DTranspose(f₁, 3×3, stride 2, relu) → 14×14
    → Conv2DTranspose(f₂, 3×3, stride 2, relu) → 28×28 → Conv2DTranspose(1, 3×3) → logits of shape (28, 28, 1).
    With ``num_classes``, the one-hot label is concatenated to z.
    """
    latent_dim = _check_latent_dim(latent_dim)
    z = keras.Input((latent_dim,), name="z")
    h, inputs = z, z
    if num_classes is not None:
        label = keras.Input((num_classes,), name="label_onehot")
        h = keras.layers.Concatenate()([z, label])
        inputs = [z, label]
    h = keras.layers.Dense(7 * 7 * filters[0], activation="relu")(h)
    h = keras.layers.Reshape((7, 7, filters[0]))(h)
    h = keras.layers.Conv2DTranspose(filters[0], 3, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.Conv2DTranspose(filters[1], 3, strides=2, padding="same", activation="relu")(h)
    logits = keras.layers.Conv2DTranspose(1, 3, padding="same", name="logits")(h)
    return keras.Model(inputs, logits, name=name)


def build_mnist_vae(latent_dim: int = 16, filters: tuple[int, int] = (32, 64), dense_units: int = 256,
                    beta: float = 1.0, free_bits: float | None = None, seed: int | None = None,
                    name: str = "mnist_vae") -> VAE:
    """The convolutional VAE of the MNIST chapters: Bernoulli likelihood on binarized 28×28 digits.

    Encoder: :func:`build_mnist_encoder` (Conv2D 32 → max-pool → Conv2D 64 → max-pool → Flatten → Dense 256 →
    mean, log-variance); decoder: :func:`build_mnist_decoder` (Dense 7·7·64 → Reshape → Conv2DTranspose 64, 32
    with stride 2 → Conv2DTranspose 1 → logits), the architecture of the TU Dortmund lecture slides (Korzhylova et al., 2024).

    Args:
        latent_dim: number of latent dimensions.
        filters: channels of the two encoder convolutions (the decoder mirrors them).
        dense_units: width of the encoder's dense layer.
        beta, free_bits, seed: see :class:`VAE`.
        name: model name.

    Returns:
        An uncompiled :class:`VAE`; ``compile(optimizer=...)`` then ``fit(x_binary)``.

    Used in: chapter 7, chapter 8.
    """
    encoder = build_mnist_encoder(latent_dim, filters, dense_units)
    decoder = build_mnist_decoder(latent_dim, filters[::-1])
    return VAE(encoder, decoder, likelihood="bernoulli", beta=beta, free_bits=free_bits, seed=seed, name=name)


def build_mnist_mlp_vae(latent_dim: int = 16, hidden: tuple[int, ...] = (512, 256), beta: float = 1.0,
                        free_bits: float | None = None, seed: int | None = None,
                        name: str = "mnist_mlp_vae") -> VAE:
    """A fully connected MNIST VAE: Flatten → Dense(hidden…, relu) → mean, log-variance; the mirror image back to
    784 logits reshaped to (28, 28, 1). Bernoulli likelihood on binarized digits.

    Used in: chapter 7 (comparison with the convolutional VAE), chapter 8 (quick experiments).
    """
    latent_dim = _check_latent_dim(latent_dim)
    x = keras.Input((28, 28, 1), name="images")
    h = keras.layers.Flatten()(x)
    for units in hidden:
        h = keras.layers.Dense(units, activation="relu")(h)
    encoder = keras.Model(x, [keras.layers.Dense(latent_dim, name="mean")(h),
                              keras.layers.Dense(latent_dim, name="log_var")(h)], name="encoder")
    z = keras.Input((latent_dim,), name="z")
    h = z
    for units in hidden[::-1]:
        h = keras.layers.Dense(units, activation="relu")(h)
    logits = keras.layers.Reshape((28, 28, 1), name="logits")(keras.layers.Dense(28 * 28)(h))
    decoder = keras.Model(z, logits, name="decoder")
    return VAE(encoder, decoder, likelihood="bernoulli", beta=beta, free_bits=free_bits, seed=seed, name=name)


def build_mnist_cvae(latent_dim: int = 16, num_classes: int = 10, filters: tuple[int, int] = (32, 64),
                     dense_units: int = 256, beta: float = 1.0, free_bits: float | None = None,
                     seed: int | None = None, name: str = "mnist_cvae") -> ConditionalVAE:
    """The conditional version of :func:`build_mnist_vae`: the one-hot label enters the encoder after the
    convolutions and the decoder next to z. Bernoulli likelihood on binarized digits.

    Used in: chapter 8 (conditional VAE).
    """
    encoder = build_mnist_encoder(latent_dim, filters, dense_units, num_classes=num_classes)
    decoder = build_mnist_decoder(latent_dim, filters[::-1], num_classes=num_classes)
    return ConditionalVAE(encoder, decoder, num_classes=num_classes, likelihood="bernoulli", beta=beta,
                          free_bits=free_bits, seed=seed, name=name)
