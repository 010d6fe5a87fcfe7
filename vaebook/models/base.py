"""The skeleton every generative model of vaebook shares, so that a new model copies one pattern.

:class:`GenerativeModel` gives a Keras model

- *declared sub-models*: the class attribute ``submodels`` names the constructor arguments that are Keras objects
  (``("encoder", "decoder")``); ``get_config`` serializes them and ``from_config`` rebuilds them, generically;
- *a config through* ``super().get_config()``: the class attribute ``config_keys`` names the other constructor
  arguments, stored under the same attribute names (a ``keras.Variable`` such as ``beta`` is stored as its value);
  name, trainable and the dtype policy come from Keras;
- *one trackers pattern*: the class attribute ``tracked`` names the ``keras.metrics.Mean`` trackers, kept in the
  dict ``self.trackers`` and updated with :meth:`GenerativeModel.track`; the total ``loss`` is Keras's own tracker;
- *the compute_loss preamble* (:meth:`GenerativeModel.forward_for_loss`) and the sub-models' own losses
  (:meth:`GenerativeModel.add_layer_losses`);
- NumPy conveniences in batches of :data:`BATCH_SIZE` (:func:`batched`).

:class:`LatentGaussianModel` adds what the models with a Gaussian q(z|x) and a N(0, I) prior share: the
reparameterized :class:`vaebook.layers.Sampling`, β as a variable that :class:`vaebook.callbacks.KLAnnealing`
anneals, free bits, and the negative ELBO with its ``reconstruction`` and ``kl`` trackers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import keras
import numpy as np
from keras import ops

from vaebook import losses
from vaebook._serialization import DeclaredConfig
from vaebook._validation import check_integer
from vaebook.layers.sampling import Sampling, clamp_log_var

# The helpers check_model, to_numpy and batched are public for model modules; the package exports the classes.
__all__ = ["BATCH_SIZE", "GenerativeModel", "LatentGaussianModel", "PixelCNNDecoded"]

BATCH_SIZE = 512  # examples per forward pass of every NumPy convenience (encode, decode, sample, log_likelihood ...)


def check_model(name: str, model: Any, num_inputs: int | None = None) -> None:
    """Raise a ``ValueError`` unless ``model`` is a built ``keras.Model`` (with ``num_inputs`` inputs, if given)."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"{name} must be a keras.Model; got {type(model).__name__}.")
    if not model.built or (num_inputs is not None and (model.inputs is None or len(model.inputs) != num_inputs)):
        what = "" if num_inputs is None else f" with {num_inputs} input{'s' if num_inputs > 1 else ''}"
        raise ValueError(
            f"{name} must be a built model{what} (a functional model, or a Sequential that starts with keras.Input); "
            f"got {'an unbuilt ' if not model.built else ''}{type(model).__name__} named {model.name!r}."
        )


def to_numpy(t: Any) -> np.ndarray:
    """A tensor of any backend as a NumPy array."""
    return np.asarray(ops.convert_to_numpy(t))


def batched(fn: Callable, *arrays: np.ndarray, batch_size: int = BATCH_SIZE) -> Any:
    """``fn`` on consecutive slices of ``arrays`` (``batch_size`` rows each), the NumPy results concatenated.

    ``fn`` returns a tensor or a tuple of tensors; the result is a NumPy array or a tuple of them. With no rows,
    ``fn`` runs once on the empty arrays, so the result has the right trailing shape.
    """
    batch_size = check_integer("batch_size", batch_size)
    n = len(arrays[0])
    parts = [fn(*(a[start : start + batch_size] for a in arrays)) for start in range(0, max(n, 1), batch_size)]
    if isinstance(parts[0], (tuple, list)):
        return tuple(np.concatenate([to_numpy(p[k]) for p in parts]) for k in range(len(parts[0])))
    return np.concatenate([to_numpy(p) for p in parts])


class GenerativeModel(DeclaredConfig, keras.Model):
    """The base of vaebook's generative models: declared sub-models, a generic config, trackers, NumPy batching.

    Subclasses set three class attributes (see the module docstring): ``submodels``, ``config_keys`` and
    ``tracked``, and store each constructor argument named there under the same attribute name.
    """

    submodels: ClassVar[tuple[str, ...]] = ()
    config_keys: ClassVar[tuple[str, ...]] = ()
    tracked: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracked}

    def build(self, input_shape=None):
        """Nothing to create: the sub-models arrive built."""
        self.built = True

    def track(self, **values) -> None:
        """Update the trackers named by the keywords with the batch's values."""
        for name, value in values.items():
            self.trackers[name].update_state(value)

    def check_no_sample_weight(self, sample_weight) -> None:
        """Raise a ``ValueError`` if Keras passed a ``sample_weight``: the losses here weigh every example alike."""
        if sample_weight is not None:
            raise ValueError(f"{type(self).__name__}.compute_loss does not support sample_weight; got one.")

    def forward_for_loss(self, x, y_pred, sample_weight, training):
        """The ``compute_loss`` preamble: refuse ``sample_weight``; run the model if Keras passed no ``y_pred``."""
        self.check_no_sample_weight(sample_weight)
        return self(x, training=training) if y_pred is None else y_pred

    def add_layer_losses(self, loss):
        """``loss`` plus the losses the sub-models' layers added (activity regularizers, a quantizer's terms)."""
        return loss + sum(self.losses) if self.losses else loss  # Python's sum: ops.sum of a list fails under jit

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()  # Keras's, and the config_keys (vaebook._serialization.DeclaredConfig)
        config.update({name: keras.saving.serialize_keras_object(getattr(self, name)) for name in self.submodels})
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        config = dict(config)
        for name in cls.submodels:
            config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)


def _from_pixel_decoder(name: str, doc: str) -> property:
    return property(lambda self: getattr(self.pixel_decoder, name), doc=doc)


class PixelCNNDecoded:
    """What a model whose decoder is a :class:`vaebook.layers.PixelCNNDecoder` (``self.pixel_decoder``) offers:
    its hyperparameters and the teacher-forced logits. Mixed into the PixelCNN-decoder VAE and VQ-VAE."""

    filters = _from_pixel_decoder("filters", "Channels of the masked layers.")
    num_residual_blocks = _from_pixel_decoder("num_residual_blocks", "Masked residual blocks after the first layer.")
    first_kernel_size = _from_pixel_decoder("first_kernel_size", "Kernel size of the mask-A layer.")
    receptive_rows = _from_pixel_decoder(
        "receptive_rows",
        "How many rows above a pixel the decoder can see: (first_kernel_size − 1)/2 plus one per block.",
    )

    def pixel_logits(self, x, condition):
        """Logits of p(x_i = 1 | x_<i, c) for every pixel at once, from images and the conditioning map."""
        return self.pixel_decoder([ops.convert_to_tensor(x), ops.convert_to_tensor(condition)])

    def draw_pixels(self, condition: Callable, inputs: np.ndarray, seed: int | None, batch_size: int) -> np.ndarray:
        """Binary images drawn pixel by pixel (:meth:`vaebook.layers.PixelCNNDecoder.draw`), the conditioning maps
        computed by ``condition`` on ``batch_size`` of the ``inputs`` (codes) at a time."""
        batch_size = check_integer("batch_size", batch_size)
        maps = [to_numpy(condition(inputs[i : i + batch_size])) for i in range(0, len(inputs), batch_size)]
        return self.pixel_decoder.draw(maps, seed)


class LatentGaussianModel(GenerativeModel):
    """A generative model with a diagonal Gaussian q(z|x), the prior N(0, I) and a β-weighted negative ELBO.

    Args:
        beta: weight β ≥ 0 of the KL term, stored as the non-trainable variable ``self.beta`` (so
            :class:`vaebook.callbacks.KLAnnealing` can change it between steps of a compiled ``fit``).
        free_bits: ``None``, or λ nats per latent dimension for :func:`vaebook.losses.free_bits_kl`.
        seed: seed of the model's :class:`vaebook.layers.Sampling` layer.

    Subclasses set ``self.encoder`` and ``self.latent_dim`` and call :meth:`negative_elbo` in ``compute_loss``. The
    encoder is a model x → [mean, log_var] (:meth:`posterior`; a model whose encoder differs overrides it).
    """

    config_keys: ClassVar[tuple[str, ...]] = ("beta", "free_bits", "seed")
    tracked: ClassVar[tuple[str, ...]] = ("reconstruction", "kl")

    def __init__(self, beta: float = 1.0, free_bits: float | None = None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(beta, bool) or not float(beta) >= 0:
            raise ValueError(f"beta must be a number >= 0; got {beta!r}.")
        if free_bits is not None and not float(free_bits) >= 0:
            raise ValueError(f"free_bits must be None or a number of nats >= 0; got {free_bits!r}.")
        self.free_bits = None if free_bits is None else float(free_bits)
        self.seed = seed
        self.sampling = Sampling(seed=seed, name="sampling")
        self.sampling.built = True  # no weights to create; its SeedGenerator state exists already
        self.beta = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(float(beta)), trainable=False, name="beta"
        )

    def encoder_latent_dim(self) -> int:
        """The latent dimension of an encoder x → [mean, log_var], read from its symbolic outputs."""
        outputs = self.encoder.outputs
        if outputs is None or len(outputs) != 2:
            raise ValueError(
                f"encoder must output [mean, log_var] (two tensors); got "
                f"{'no symbolic outputs' if outputs is None else f'{len(outputs)} output(s)'}."
            )
        return int(outputs[0].shape[-1])

    def posterior(self, x, training=False):
        """q's ``(mean, log_var)`` for a batch of inputs, the log-variance clamped as in training."""
        out = self.encoder(x, training=training)
        if not isinstance(out, (list, tuple)) or len(out) != 2:
            raise ValueError(f"encoder must return [mean, log_var]; got {type(out).__name__}.")
        mean, log_var = out
        return mean, clamp_log_var(log_var)

    def encode(self, x: Any, batch_size: int = BATCH_SIZE) -> tuple[np.ndarray, np.ndarray]:
        """Parameters of q(z|x): ``(mean, log_var)``, NumPy arrays of shape (N, latent_dim), log_var clamped."""
        return batched(self.posterior, np.asarray(x, dtype=np.float32), batch_size=batch_size)

    def negative_elbo(self, nll, mean, log_var):
        """β-weighted negative ELBO from the per-example −log p(x|z) (shape (batch,)) and q's parameters.

        ``mean(nll) + β · mean(KL)`` (or β times the free-bits KL), plus the layers' losses: per-example sums over
        pixels and latent dimensions, mean over the batch. Updates the ``reconstruction`` and ``kl`` trackers (the
        KL is reported unclamped).
        """
        reconstruction = ops.mean(nll)
        kl = ops.mean(losses.gaussian_kl(mean, log_var))
        kl_term = kl if self.free_bits is None else losses.free_bits_kl(mean, log_var, self.free_bits)
        self.track(reconstruction=reconstruction, kl=kl)
        return self.add_layer_losses(reconstruction + ops.cast(self.beta, kl_term.dtype) * kl_term)

    def prior_sample(self, num_samples: int, seed: int | None = None) -> np.ndarray:
        """``num_samples`` codes z ~ N(0, I) from a NumPy generator seeded with ``seed``: float32 (N, latent_dim)."""
        num_samples = check_integer("num_samples", num_samples, where="sample")
        return np.random.default_rng(seed).standard_normal((num_samples, self.latent_dim)).astype(np.float32)

    def check_codes(self, z: Any) -> np.ndarray:
        """``z`` as float32 of shape (N, latent_dim), or a ``ValueError``."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}); got {z.shape}.")
        return z

    def check_pairs(self, x: Any, z: Any) -> tuple[np.ndarray, np.ndarray]:
        """``x`` and ``z`` as float32 arrays with one code per example, or a ``ValueError``."""
        x, z = np.asarray(x, dtype=np.float32), self.check_codes(z)
        if len(x) != len(z):
            raise ValueError(f"log_likelihood needs one z per x; got {len(x)} x and {len(z)} z.")
        return x, z
