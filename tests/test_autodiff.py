"""The backend-dispatching gradient helper against closed forms and finite differences."""

import keras
import numpy as np
import pytest

from vaebook import autodiff


def test_gradient_of_a_quadratic_form():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    w = np.array([0.5, -1.0])
    a32 = a.astype("float32")
    value, (grad,) = autodiff.value_and_gradient(lambda t: keras.ops.sum(t * keras.ops.matmul(a32, t)), w)
    np.testing.assert_allclose(value, w @ a @ w, rtol=1e-6)
    np.testing.assert_allclose(grad, 2 * a @ w, rtol=1e-6)


def test_several_arguments_and_an_unused_one():
    grads = autodiff.gradient(
        lambda x, y, unused: keras.ops.sum(x * y) + keras.ops.sum(x**2),
        np.array([1.0, 2.0]),
        np.array([3.0, 4.0]),
        np.array([5.0]),
    )
    np.testing.assert_allclose(grads[0], [3.0 + 2.0, 4.0 + 4.0])
    np.testing.assert_allclose(grads[1], [1.0, 2.0])
    np.testing.assert_allclose(grads[2], [0.0])


def test_autodiff_equals_finite_differences():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(3, 2))
    (auto,) = autodiff.gradient(lambda t: keras.ops.sum(keras.ops.tanh(t) ** 3), w)
    (fd,) = autodiff.finite_difference_gradient(lambda t: np.sum(np.tanh(t) ** 3), w)
    np.testing.assert_allclose(auto, fd, rtol=1e-4, atol=1e-6)


def test_finite_differences_are_second_order():
    # f(x) = x^3 at x=1: the central difference errs by eps^2 exactly
    for eps in (1e-2, 1e-3):
        (g,) = autodiff.finite_difference_gradient(lambda t: float(t[0] ** 3), np.array([1.0]), eps=eps)
        np.testing.assert_allclose(g[0] - 3.0, eps**2, rtol=1e-3)


def test_jacobian_of_a_linear_map():
    m = np.arange(6.0).reshape(2, 3).astype("float32")
    jac = autodiff.jacobian(lambda t: keras.ops.matmul(m, t), np.ones(3))
    np.testing.assert_allclose(jac, m)


def test_bad_input():
    with pytest.raises(ValueError, match="scalar"):
        autodiff.gradient(lambda t: t * 2.0, np.ones(3))
    with pytest.raises(ValueError, match="at least one argument"):
        autodiff.gradient(lambda: 1.0)
    with pytest.raises(ValueError, match="eps"):
        autodiff.finite_difference_gradient(lambda t: 0.0, np.ones(2), eps=0.0)
