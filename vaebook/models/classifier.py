"""A small convolutional MNIST digit classifier: the book's measuring instrument for generated digits.

A generative model is hard to judge by eye. A classifier trained on real digits turns "does this decoded image
look like a digit, and which one?" into numbers: the predicted class (are conditional samples the digit we asked
for?) and the confidence, the largest softmax probability (does a decoded prior sample look like *some* digit?).

Used in: chapter "A variational autoencoder for MNIST" (continuity and completeness of the latent space) and
chapter "Conditional VAE and β-VAE" (are class-conditional samples classified as their label?).
"""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["build_mnist_classifier", "train_mnist_classifier", "classify", "classifier_score"]


def build_mnist_classifier(num_classes: int = 10, filters: tuple[int, int] = (16, 32), dropout: float = 0.25,
                           learning_rate: float = 1e-3, seed: int | None = 0) -> keras.Sequential:
    """A compiled convolutional classifier for 28×28 grey digits with intensities in [0, 1].

    Architecture: two blocks of ``Conv2D(3×3, relu)`` + ``MaxPooling2D(2)``, then dropout and a dense softmax
    layer. It has about 25,000 parameters (with the default filters) and reaches about 95% test accuracy on the
    4,000-digit training subset after a few epochs on a CPU. Only built-in Keras layers, so the ``.keras`` format
    saves and loads it without custom objects.

    Args:
        num_classes: number of classes (10 digits).
        filters: filters of the two convolution blocks.
        dropout: dropout rate before the output layer, in [0, 1).
        learning_rate: Adam's learning rate.
        seed: seed of the weight initializers and the dropout layer (None: unseeded).

    Returns:
        A ``keras.Sequential`` compiled with Adam and sparse categorical cross-entropy, accuracy as metric; input
        ``(batch, 28, 28, 1)``, output class probabilities ``(batch, num_classes)``.

    Raises:
        ValueError: on a non-positive ``num_classes`` or filter count, or a ``dropout`` outside [0, 1).

    Used in: chapters "A variational autoencoder for MNIST" and "Conditional VAE and β-VAE".
    """
    if int(num_classes) < 2:
        raise ValueError(f"num_classes must be at least 2; got {num_classes!r}.")
    if len(filters) != 2 or any(int(f) < 1 for f in filters):
        raise ValueError(f"filters must be two positive integers; got {filters!r}.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1); got {dropout!r}.")

    def init(offset: int):
        return keras.initializers.GlorotUniform(seed=None if seed is None else seed + offset)

    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(int(filters[0]), 3, activation="relu", padding="same", kernel_initializer=init(0)),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(int(filters[1]), 3, activation="relu", padding="same", kernel_initializer=init(1)),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dropout(dropout, seed=seed),
        keras.layers.Dense(int(num_classes), activation="softmax", kernel_initializer=init(2)),
    ], name="mnist_classifier")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train_mnist_classifier(x: np.ndarray, y: np.ndarray, epochs: int = 5, batch_size: int = 64,
                           seed: int | None = 0, validation_data=None, **kwargs) -> keras.Sequential:
    """Build :func:`build_mnist_classifier` and fit it quietly on ``(x, y)``.

    Args:
        x: images of shape ``(N, 28, 28, 1)`` (or ``(N, 28, 28)``) with intensities in [0, 1].
        y: integer labels of shape ``(N,)``.
        epochs, batch_size: training budget.
        seed: seed of the initial weights and dropout.
        validation_data: optional ``(x_val, y_val)`` passed to ``fit``.
        **kwargs: passed to :func:`build_mnist_classifier`.

    Returns:
        The trained classifier; its ``history`` attribute holds the Keras ``History``.

    Raises:
        ValueError: if the shapes of ``x`` and ``y`` do not match or ``x`` is outside [0, 1].
    """
    x = _as_digits(x)
    y = np.asarray(y)
    if y.shape != (len(x),):
        raise ValueError(f"y must have shape ({len(x)},) to match x; got {y.shape}.")
    model = build_mnist_classifier(seed=seed, **kwargs)
    model.fit(x, y, epochs=int(epochs), batch_size=int(batch_size), verbose=0, shuffle=True,
              validation_data=validation_data)
    return model


def classify(classifier: keras.Model, images, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Predicted labels and confidences (largest class probability) of a batch of images.

    Args:
        classifier: a model mapping ``(batch, 28, 28, 1)`` images to class probabilities.
        images: intensities in [0, 1], shape ``(N, 28, 28, 1)`` or ``(N, 28, 28)``.
        batch_size: images per forward pass.

    Returns:
        ``(labels, confidence)``: int64 array ``(N,)`` and float64 array ``(N,)`` in [1/num_classes, 1].

    Raises:
        ValueError: if ``images`` is not a batch of 28×28 grey images in [0, 1].
    """
    x = _as_digits(images)
    probs = np.asarray(classifier.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    return probs.argmax(axis=1).astype(np.int64), probs.max(axis=1)


def classifier_score(classifier: keras.Model, images, batch_size: int = 256) -> float:
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

    Used in: chapter "A variational autoencoder for MNIST", section "Autoencoder versus VAE".
    """
    x = _as_digits(images)
    probs = np.asarray(classifier.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    probs = np.clip(probs, 1e-12, 1.0)
    marginal = probs.mean(axis=0, keepdims=True)
    kl = np.sum(probs * (np.log(probs) - np.log(marginal)), axis=1)
    return float(np.exp(kl.mean()))


def _as_digits(images) -> np.ndarray:
    x = np.asarray(keras.ops.convert_to_numpy(images) if not isinstance(images, np.ndarray) else images,
                   dtype=np.float32)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[1:] != (28, 28, 1) or len(x) == 0:
        raise ValueError(f"images must have shape (N, 28, 28, 1) or (N, 28, 28) with N > 0; got {x.shape}.")
    if not np.all(np.isfinite(x)) or x.min() < 0.0 or x.max() > 1.0:
        raise ValueError("images must hold finite intensities in [0, 1] (decoder probabilities, not logits).")
    return x
