"""The hand-written NumPy MLP: its backward pass against autodiff and finite differences, and it learns."""

import numpy as np
import pytest

from vaebook import autodiff
from vaebook.models import NumpyMLP, keras_mlp_loss
from vaebook.optimization import gradient_descent


def _data(n=20, d=5, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, k, size=n)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_backward_equals_finite_differences(activation):
    x, y = _data()
    mlp = NumpyMLP((5, 4, 3), activation=activation, seed=1)
    _, grads = mlp.loss_and_gradients(x, y)

    def loss_of(*flat):
        saved = mlp.flat_params()
        mlp.params = [[flat[i], flat[i + 1]] for i in range(0, len(flat), 2)]
        try:
            return mlp.loss(x, y)
        finally:
            mlp.params = [[saved[i], saved[i + 1]] for i in range(0, len(saved), 2)]

    fd = autodiff.finite_difference_gradient(loss_of, *mlp.flat_params())
    for hand, numeric in zip([g for pair in grads for g in pair], fd, strict=True):
        np.testing.assert_allclose(hand, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_backward_equals_backend_autodiff(activation):
    x, y = _data()
    mlp = NumpyMLP((5, 6, 4, 3), activation=activation, seed=2)
    loss, grads = mlp.loss_and_gradients(x, y)
    value, auto = autodiff.value_and_gradient(
        lambda *p: keras_mlp_loss(x, y, *p, activation=activation), *mlp.flat_params()
    )
    np.testing.assert_allclose(value, loss, rtol=1e-5)
    for hand, a in zip([g for pair in grads for g in pair], auto, strict=True):
        np.testing.assert_allclose(a, hand, rtol=1e-3, atol=1e-6)  # float32 autodiff vs float64 by hand


def test_training_lowers_the_loss_and_classifies():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 4)) * 3
    y = rng.integers(0, 3, size=300)
    x = centres[y] + rng.normal(size=(300, 4))
    mlp = NumpyMLP((4, 16, 3), seed=0)
    history = mlp.fit(x, y, epochs=20, learning_rate=0.1, batch_size=32)
    assert history[-1] < 0.3 * history[0]
    assert (mlp.predict(x) == y).mean() > 0.9


def test_bad_input():
    with pytest.raises(ValueError, match="at least two"):
        NumpyMLP((5,))
    with pytest.raises(ValueError, match="activation"):
        NumpyMLP((5, 3), activation="swish")
    mlp = NumpyMLP((5, 3))
    with pytest.raises(ValueError, match=r"shape \(batch, 5\)"):
        mlp.forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="integer labels"):
        mlp.loss(np.zeros((2, 5)), np.array([0, 3]))
    with pytest.raises(ValueError, match="W1, b1"):
        keras_mlp_loss(np.zeros((2, 5)), np.zeros(2), np.zeros((5, 3)))


def test_gradient_descent_on_a_quadratic():
    h = np.diag([1.0, 10.0])
    grad = lambda th, t: h @ th  # noqa: E731
    start = np.array([1.0, 1.0])
    # GD on a quadratic converges iff lr < 2 / lambda_max = 0.2
    assert np.linalg.norm(gradient_descent(grad, start, 0.19, 200)[-1]) < 1e-3
    assert np.linalg.norm(gradient_descent(grad, start, 0.21, 200)[-1]) > 1e3
    for method in ("momentum", "adam"):
        path = gradient_descent(grad, start, 0.05, 300, method=method)
        assert path.shape == (301, 2) and np.linalg.norm(path[-1]) < 1e-2, method
    # Adam's first step moves every coordinate by about lr, whatever the gradient's scale
    np.testing.assert_allclose(gradient_descent(grad, start, 0.05, 1, method="adam")[1], [0.95, 0.95], rtol=1e-6)
    with pytest.raises(ValueError, match="method"):
        gradient_descent(grad, start, 0.1, 2, method="lbfgs")
