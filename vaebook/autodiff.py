"""Gradients of a scalar function of tensors on the active Keras backend, and by finite differences.

Keras 3 trains models through ``fit``, which differentiates ``compute_loss`` for us. To *look at* a gradient —
check a hand-written backward pass, draw a gradient field — we need the backend's automatic differentiation
directly. This module is the one place in vaebook that calls it, dispatching on ``keras.backend.backend()``:
``tf.GradientTape`` on TensorFlow, ``jax.grad`` on JAX, ``torch.autograd.grad`` on PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np

__all__ = ["value_and_gradient", "gradient", "jacobian", "finite_difference_gradient"]


def _as_arrays(args: Sequence) -> list[np.ndarray]:
    if not args:
        raise ValueError("expected at least one argument to differentiate with respect to; got none.")
    return [np.asarray(keras.ops.convert_to_numpy(a)) for a in args]


def value_and_gradient(fn: Callable, *args, dtype: str | None = None) -> tuple[float, list[np.ndarray]]:
    """The value of a scalar function and its gradient with respect to every argument, by the backend's autodiff.

    Args:
        fn: a function of ``len(args)`` tensors written with ``keras.ops`` that returns a scalar tensor.
        *args: the points at which to differentiate (NumPy arrays, Python numbers or tensors).
        dtype: the float dtype the arguments are converted to (default ``keras.config.floatx()``, i.e.
            float32; JAX keeps float32 unless 64-bit mode is enabled).

    Returns:
        ``(value, grads)``: ``value`` a Python float, ``grads`` a list of NumPy arrays shaped like ``args``.

    Raises:
        ValueError: if no argument is given or ``fn`` does not return a scalar.

    Example:
        >>> value_and_gradient(lambda w: keras.ops.sum(w ** 2), np.array([1.0, 2.0]))
        (5.0, [array([2., 4.], dtype=float32)])
    """
    arrays = _as_arrays(args)
    dtype = dtype or keras.config.floatx()
    backend = keras.backend.backend()

    def _check_scalar(y):
        if tuple(keras.ops.shape(y)) not in ((), (1,)):
            raise ValueError(f"fn must return a scalar; got a tensor of shape {tuple(keras.ops.shape(y))}.")
        return keras.ops.reshape(y, ())

    if backend == "tensorflow":
        import tensorflow as tf

        tensors = [tf.convert_to_tensor(a, dtype=dtype) for a in arrays]
        with tf.GradientTape() as tape:  # the one GradientTape in vaebook: reading gradients, not training
            for t in tensors:
                tape.watch(t)
            value = _check_scalar(fn(*tensors))
        grads = tape.gradient(value, tensors, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    elif backend == "jax":
        import jax

        tensors = [jax.numpy.asarray(a, dtype=dtype) for a in arrays]
        value, grads = jax.value_and_grad(lambda *ts: _check_scalar(fn(*ts)), argnums=tuple(range(len(tensors))))(
            *tensors
        )
    elif backend == "torch":
        import torch

        tensors = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in arrays]
        value = _check_scalar(fn(*tensors))
        grads = torch.autograd.grad(value, tensors, allow_unused=True)
        grads = [torch.zeros_like(t) if g is None else g for t, g in zip(tensors, grads, strict=True)]
        grads = [g.detach() for g in grads]
        value = value.detach()
    else:
        raise ValueError(f"value_and_gradient supports the tensorflow, jax and torch backends; got {backend!r}.")
    return float(keras.ops.convert_to_numpy(value)), [np.asarray(keras.ops.convert_to_numpy(g)) for g in grads]


def gradient(fn: Callable, *args, dtype: str | None = None) -> list[np.ndarray]:
    """The gradient of a scalar function with respect to every argument (see :func:`value_and_gradient`).

    Returns:
        A list of NumPy arrays, one per argument, shaped like it.
    """
    return value_and_gradient(fn, *args, dtype=dtype)[1]


def jacobian(fn: Callable, x, dtype: str | None = None) -> np.ndarray:
    """The Jacobian of a vector function of one tensor, one backward pass per output entry.

    Args:
        fn: maps a tensor shaped like ``x`` to a tensor of any shape (written with ``keras.ops``).
        x: the point.
        dtype: see :func:`value_and_gradient`.

    Returns:
        NumPy array of shape ``fn(x).shape + x.shape``. Meant for small outputs (a check, not a training step).
    """
    x = _as_arrays([x])[0]
    out_shape = tuple(keras.ops.shape(fn(keras.ops.convert_to_tensor(x, dtype=dtype or keras.config.floatx()))))
    rows = []
    for index in np.ndindex(*out_shape):
        flat = int(np.ravel_multi_index(index, out_shape)) if out_shape else 0
        rows.append(gradient(lambda t, k=flat: keras.ops.reshape(fn(t), (-1,))[k], x, dtype=dtype)[0])
    return np.stack(rows).reshape(out_shape + x.shape)


def finite_difference_gradient(fn: Callable, *args, eps: float = 1e-6) -> list[np.ndarray]:
    """Central finite differences ``(f(θ + ε e_k) − f(θ − ε e_k)) / 2ε`` for every entry of every argument.

    Args:
        fn: a function of NumPy arrays returning a scalar (evaluated in float64).
        *args: the point (NumPy arrays).
        eps: the step ε. The error is O(ε²) from truncation plus O(machine epsilon / ε) from rounding, so
            ε ≈ 1e-6 suits float64.

    Returns:
        A list of float64 arrays shaped like ``args``. Costs ``2 × (number of entries)`` calls of ``fn``.
    """
    if eps <= 0:
        raise ValueError(f"eps must be positive; got {eps}.")
    points = [np.array(a, dtype=np.float64) for a in _as_arrays(args)]
    grads = []
    for p in points:
        g = np.zeros_like(p)
        for k in np.ndindex(*p.shape):
            saved = p[k]
            p[k] = saved + eps
            up = float(fn(*points))
            p[k] = saved - eps
            down = float(fn(*points))
            p[k] = saved
            g[k] = (up - down) / (2 * eps)
        grads.append(g)
    return grads
