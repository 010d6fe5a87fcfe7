"""A small convolutional MNIST digit classifier: the book's measuring instrument for generated digits.

A generative model is hard to judge by eye. A classifier trained on real digits turns "does this decoded image
look like a digit, and which one?" into numbers: the predicted class (are conditional samples the digit we asked
for?) and the confidence, the largest softmax probability (does a decoded prior sample look like *some* digit?).
"""

from __future__ import annotations

import keras
import numpy as np

from vaebook._validation import as_digit_images, check_integer

__all__ = ["build_mnist_classifier", "train_mnist_classifier", "classify"]


def build_mnist_classifier(
    num_classes: int = 10,
    filters: tuple[int, int] = (16, 32),
    dropout: float = 0.25,
    learning_rate: float = 1e-3,
    seed: int | None = 0,
) -> keras.Sequential:
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
    """
    check_integer("num_classes", num_classes, minimum=2)
    if len(filters) != 2:
        raise ValueError(f"filters must be two positive integers; got {filters!r}.")
    for f in filters:
        check_integer("each of filters", f)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1); got {dropout!r}.")

    def init(offset: int):
        return keras.initializers.GlorotUniform(seed=None if seed is None else seed + offset)

    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(int(filters[0]), 3, activation="relu", padding="same", kernel_initializer=init(0)),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(int(filters[1]), 3, activation="relu", padding="same", kernel_initializer=init(1)),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dropout(dropout, seed=seed),
            keras.layers.Dense(int(num_classes), activation="softmax", kernel_initializer=init(2)),
        ],
        name="mnist_classifier",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def train_mnist_classifier(
    x: np.ndarray,
    y: np.ndarray,
    epochs: int = 5,
    batch_size: int = 64,
    seed: int | None = 0,
    validation_data=None,
    **kwargs,
) -> keras.Sequential:
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
    x = as_digit_images(x)
    y = np.asarray(y)
    if y.shape != (len(x),):
        raise ValueError(f"y must have shape ({len(x)},) to match x; got {y.shape}.")
    model = build_mnist_classifier(seed=seed, **kwargs)
    model.fit(
        x, y, epochs=int(epochs), batch_size=int(batch_size), verbose=0, shuffle=True, validation_data=validation_data
    )
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
    x = as_digit_images(images)
    probs = np.asarray(classifier.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    return probs.argmax(axis=1).astype(np.int64), probs.max(axis=1)
