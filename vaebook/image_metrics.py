"""Measures of images: the squared error of a reconstruction, the PSNR, and the classifier score of a set of samples.

They compare images (with a target, or through a classifier) and need no latent model; the evaluation of latent
models (ELBO, log-likelihood, active units) is :mod:`vaebook.metrics`, which imports these names too.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from vaebook._validation import as_digit_images

__all__ = ["squared_reconstruction_error", "peak_signal_to_noise_ratio", "classifier_score"]


def squared_reconstruction_error(x, x_hat):
    """Squared error of each example, summed over all its non-batch axes.

    Args:
        x: tensor of shape ``(batch, ...)``, the target.
        x_hat: tensor of the same shape, the reconstruction.

    Returns:
        Tensor of shape ``(batch,)``: ``sum_i (x_i - x_hat_i)**2`` for each example.

    Raises:
        ValueError: if the shapes differ (when both are known).
    """
    x = ops.convert_to_tensor(x)
    x_hat = ops.convert_to_tensor(x_hat)
    if tuple(x.shape) != tuple(x_hat.shape) and None not in tuple(x.shape) + tuple(x_hat.shape):
        raise ValueError(f"x and x_hat must have the same shape; got {tuple(x.shape)} and {tuple(x_hat.shape)}.")
    x_hat = ops.cast(x_hat, x.dtype)
    diff = ops.reshape(x - x_hat, (ops.shape(x)[0], -1))
    return ops.sum(ops.square(diff), axis=-1)


def peak_signal_to_noise_ratio(x, x_hat, data_range: float = 1.0) -> float:
    """PSNR in decibels, ``10 log10(range² / MSE)``, with the mean squared error over every pixel of every example.

    Args:
        x: the clean images (NumPy array or tensor).
        x_hat: images of the same shape (noisy, or reconstructed).
        data_range: the largest possible pixel value minus the smallest (1 for images in [0, 1]).

    Returns:
        The PSNR as a Python float (``inf`` for identical images). Higher is better; +6 dB halves the RMS error.

    Raises:
        ValueError: if the shapes differ.

    Used in: chapter 3, section "Denoising autoencoders".
    """
    x = np.asarray(ops.convert_to_numpy(x), dtype=np.float64)
    x_hat = np.asarray(ops.convert_to_numpy(x_hat), dtype=np.float64)
    if x.shape != x_hat.shape:
        raise ValueError(f"x and x_hat must have the same shape; got {x.shape} and {x_hat.shape}.")
    mse = float(np.mean((x - x_hat) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range**2 / mse))


def classifier_score(classifier, images, batch_size: int = 256) -> float:
    """How confidently *and* how diversely a classifier labels a set of generated images, between 1 and K.

    The "Inception score" of Salimans et al. (2016) with an MNIST classifier in place of the Inception network:
    ``exp( mean over images of KL(p(y | x) || p(y)) )`` with ``p(y)`` the average of ``p(y | x)`` over the set.
    It is K (the number of classes) when every image is classified with certainty and every class occurs equally
    often, and 1 when every image gets the same class distribution, however confident (a generator that always
    produces the same blob scores 1, while its mean confidence can still be high).

    Args:
        classifier: a model mapping ``(batch, 28, 28, 1)`` images to class probabilities.
        images: intensities in [0, 1], shape ``(N, 28, 28, 1)`` or ``(N, 28, 28)``.
        batch_size: images per forward pass.

    Returns:
        The score, a float in [1, K].

    Raises:
        ValueError: if ``images`` is not a batch of 28×28 grey images in [0, 1].

    Used in: chapter 7, section "Autoencoder versus VAE: completeness, measured";
    chapter 10, section "Collapse, measured".
    """
    x = as_digit_images(images)
    probs = np.asarray(classifier.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    probs = np.clip(probs, 1e-12, 1.0)
    marginal = probs.mean(axis=0, keepdims=True)
    kl = np.sum(probs * (np.log(probs) - np.log(marginal)), axis=1)
    return float(np.exp(kl.mean()))
