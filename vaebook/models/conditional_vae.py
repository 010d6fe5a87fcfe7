"""The conditional VAE (Sohn et al., 2015): encoder and decoder both see the class label."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from vaebook._validation import check_integer
from vaebook.models.vae import _batches, _to_numpy, _VAEBase

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
            raise ValueError(
                f"labels must be integers in [0, {self.num_classes}); got values in [{labels.min()}, {labels.max()}]."
            )
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
        return np.concatenate(
            [self._display(self._decoder_outputs(z[s], labels[s])) for s in _batches(len(z), batch_size)]
        )

    def log_likelihood(self, x: Any, z: Any, labels: Any) -> np.ndarray:
        """log p(x_n | z_n, y_n) per example, full normalized density in nats, shape (N,)."""
        x = np.asarray(x, dtype=np.float32)
        if len(x) != len(z):
            raise ValueError(f"log_likelihood needs one z per x; got {len(x)} x and {len(z)} z.")
        labels = self._labels(labels, len(x))
        return self._log_likelihood_from_outputs(x, self._decoder_outputs(z, labels))

    def sample(self, n: int, labels: Any, seed: int | None = None) -> np.ndarray:
        """``n`` images of the given class(es): ``labels`` is one integer or ``n`` of them; z ~ N(0, I)."""
        n = check_integer("n", n, where="sample")
        z = np.random.default_rng(seed).standard_normal((int(n), self.latent_dim)).astype(np.float32)
        return self.decode(z, labels)

    def reconstruct(self, x: Any, labels: Any) -> np.ndarray:
        """Decode the posterior mean given the true labels, for display."""
        return self.decode(self.encode(x, labels)[0], labels)

    def get_config(self) -> dict:
        config = super().get_config()
        config["num_classes"] = self.num_classes
        return config
