"""The conditional VAE (Sohn et al., 2015): encoder and decoder both see the class label."""

from __future__ import annotations

from typing import Any, ClassVar

import keras
import numpy as np
from keras import ops

from vaebook._validation import check_integer
from vaebook.models.base import BATCH_SIZE, batched
from vaebook.models.vae import _VAEBase

__all__ = ["ConditionalVAE"]


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
    """

    config_keys: ClassVar[tuple[str, ...]] = ("num_classes", *_VAEBase.config_keys)

    def __init__(self, encoder: keras.Model, decoder: keras.Model, num_classes: int = 10, **kwargs):
        self.num_classes = check_integer("num_classes", num_classes, minimum=2)
        super().__init__(encoder, decoder, **kwargs)

    def _one_hot(self, labels):
        labels = ops.convert_to_tensor(labels)
        if len(labels.shape) == 2 and labels.shape[-1] == 1:
            labels = ops.reshape(labels, (-1,))
        return ops.one_hot(ops.cast(labels, "int32"), self.num_classes)

    def _forward(self, x, labels, training=None):
        y = self._one_hot(labels)
        mean, log_var = self.posterior([x, y], training=training)
        z = self.sampling([mean, log_var])
        outputs = self.decoder([z, ops.cast(y, z.dtype)], training=training)
        return {"outputs": outputs, "mean": mean, "log_var": log_var, "z": z}

    def call(self, inputs, training=None):
        if isinstance(inputs, (list, tuple)) and len(inputs) == 2:
            return self._forward(inputs[0], inputs[1], training=training)
        return inputs  # images alone: fit(x, labels) — compute_loss receives the labels as y and runs the model

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The conditional negative ELBO: per-example sums over pixels and latent dims, mean over the batch."""
        self.check_no_sample_weight(sample_weight)
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
            raise ValueError(
                f"labels must be integers in [0, {self.num_classes}); got values in [{labels.min()}, {labels.max()}]."
            )
        return labels.astype(np.int32)

    def encode(self, x: Any, labels: Any, batch_size: int = BATCH_SIZE) -> tuple[np.ndarray, np.ndarray]:
        """Parameters of q(z | x, y): ``(mean, log_var)``, NumPy arrays of shape (N, latent_dim)."""
        x = np.asarray(x, dtype=np.float32)
        labels = self._labels(labels, len(x))

        def posterior(xb, yb):
            images = ops.convert_to_tensor(xb)
            return self.posterior([images, ops.cast(self._one_hot(yb), images.dtype)])

        return batched(posterior, x, labels, batch_size=batch_size)

    def _decoder_outputs(self, z, labels):
        z = ops.convert_to_tensor(np.asarray(z, dtype=np.float32))
        return self.decoder([z, ops.cast(self._one_hot(labels), z.dtype)], training=False)

    def decode(self, z: Any, labels: Any, seed: int | None = None, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """The mean of p(x | z, y): pixel probabilities (Bernoulli) or means (Gaussian); ``seed`` is unused."""
        z = self.check_codes(z)
        labels = self._labels(labels, len(z))
        return batched(lambda zb, yb: self._display(self._decoder_outputs(zb, yb)), z, labels, batch_size=batch_size)

    def log_likelihood(self, x: Any, z: Any, labels: Any, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """log p(x_n | z_n, y_n) per example, full normalized density in nats, shape (N,)."""
        x, z = self.check_pairs(x, z)
        labels = self._labels(labels, len(x))
        return batched(
            lambda xb, zb, yb: -self.decoder_nll(ops.convert_to_tensor(xb), self._decoder_outputs(zb, yb)),
            x,
            z,
            labels,
            batch_size=batch_size,
        )

    def sample(
        self, num_samples: int, labels: Any, seed: int | None = None, batch_size: int = BATCH_SIZE
    ) -> np.ndarray:
        """``num_samples`` images of the given class(es): ``labels`` is one integer or one per sample; z ~ N(0, I)."""
        return self.decode(self.prior_sample(num_samples, seed), labels, batch_size=batch_size)

    def reconstruct(self, x: Any, labels: Any, seed: int | None = None, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Decode the posterior mean given the true labels, for display."""
        return self.decode(self.encode(x, labels, batch_size)[0], labels, batch_size=batch_size)
