"""The MNIST digit classifier: shapes, learning on real digits, determinism, a .keras round trip, bad input."""

import numpy as np
import pytest

from vaebook.data import load_mnist
from vaebook.metrics import classifier_score
from vaebook.models import build_mnist_classifier, classify, train_mnist_classifier


@pytest.fixture(scope="module")
def digits():
    with pytest.MonkeyPatch.context() as patch:  # the offline subset: no network probe, nothing leaks out
        patch.setenv("VAEBOOK_DATA", "subset")
        x, y = load_mnist("train", verbose=False)
        xt, yt = load_mnist("test", verbose=False)
    return x[:1200], y[:1200], xt[:500], yt[:500]


def test_output_is_a_probability_vector():
    model = build_mnist_classifier()
    p = np.asarray(model.predict(np.zeros((3, 28, 28, 1), np.float32), verbose=0))
    assert p.shape == (3, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


def test_learns_real_digits_far_above_chance(digits):
    x, y, xt, yt = digits
    model = train_mnist_classifier(x, y, epochs=3, seed=0)
    labels, confidence = classify(model, xt)
    accuracy = float(np.mean(labels == yt))
    assert accuracy > 0.75, accuracy  # chance is 0.10
    assert labels.shape == (500,) and confidence.shape == (500,)
    assert np.all((confidence >= 0.1 - 1e-6) & (confidence <= 1 + 1e-6))
    real = classifier_score(model, xt)
    same_digit = classifier_score(model, np.repeat(xt[:1], 100, axis=0))  # one image, repeated
    assert 1.0 - 1e-6 <= same_digit < 1.01 and real > 4.0, (same_digit, real)


class _Fixed:  # a "classifier" with given probabilities, to check the score's formula
    def __init__(self, probs):
        self.probs = np.asarray(probs, np.float32)

    def predict(self, x, batch_size=None, verbose=0):
        return self.probs[: len(x)]


def test_classifier_score_formula():
    x = np.zeros((4, 28, 28, 1), np.float32)
    assert classifier_score(_Fixed(np.eye(4)), x) == pytest.approx(4.0)  # certain and diverse
    assert classifier_score(_Fixed(np.tile([[1, 0, 0, 0]], (4, 1))), x) == pytest.approx(1.0)  # always one class
    p = np.array([[0.7, 0.3], [0.2, 0.8], [0.5, 0.5], [0.9, 0.1]])
    marginal = p.mean(0)
    expected = np.exp(np.mean(np.sum(p * np.log(p / marginal), axis=1)))
    assert classifier_score(_Fixed(p), x) == pytest.approx(expected, rel=1e-5)


def test_same_seed_same_initial_predictions():
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    a = build_mnist_classifier(seed=3).predict(x, verbose=0)
    b = build_mnist_classifier(seed=3).predict(x, verbose=0)
    c = build_mnist_classifier(seed=4).predict(x, verbose=0)
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert not np.allclose(a, c)


def test_keras_round_trip(tmp_path, digits):
    import keras

    x, y, xt, _ = digits
    model = train_mnist_classifier(x[:256], y[:256], epochs=1)
    path = tmp_path / "classifier.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(
        loaded.predict(xt[:16], verbose=0), model.predict(xt[:16], verbose=0), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_classes": 1}, "num_classes"),
        ({"filters": (0, 4)}, "filters"),
        ({"dropout": 1.0}, "dropout"),
    ],
)
def test_bad_build_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_mnist_classifier(**kwargs)


def test_bad_images_and_labels():
    model = build_mnist_classifier()
    with pytest.raises(ValueError, match=r"\(N, 28, 28, 1\)"):
        classify(model, np.zeros((2, 14, 14, 1)))
    with pytest.raises(ValueError, match="logits"):
        classify(model, np.full((2, 28, 28), 3.0))
    with pytest.raises(ValueError, match="y must have shape"):
        train_mnist_classifier(np.zeros((4, 28, 28, 1)), np.zeros(3), epochs=1)
