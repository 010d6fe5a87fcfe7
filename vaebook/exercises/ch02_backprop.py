"""Autograded exercises of chapter 2 (gradient descent and backpropagation)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaebook.exercises._checking import Checker, CheckReport

__all__ = ["check_dense_backward", "check_sigmoid_backward"]


def _reference_dense_backward(delta, a_prev, w):
    return delta @ w.T, a_prev.T @ delta, delta.sum(axis=0)


def check_dense_backward(dense_backward: Callable) -> CheckReport:
    """Check a student's backward pass of a dense layer ``z = a_prev @ W + b``.

    The student's function has the signature ``dense_backward(delta, a_prev, W) -> (d_a_prev, d_W, d_b)`` where
    ``delta = ∂C/∂z`` has shape ``(batch, n_out)``, ``a_prev`` shape ``(batch, n_in)`` and ``W`` shape
    ``(n_in, n_out)``; it returns ``∂C/∂a_prev`` ``(batch, n_in)``, ``∂C/∂W`` ``(n_in, n_out)`` and ``∂C/∂b``
    ``(n_out,)``.

    Returns:
        A :class:`CheckReport` (print it); never raises because of the student's code.

    Used in: chapter 2, section "Exercises".
    """
    checker = Checker("Exercise: the backward pass of a dense layer z = a_prev @ W + b")
    rng = np.random.default_rng(7)
    delta, a_prev, w = rng.normal(size=(5, 3)), rng.normal(size=(5, 4)), rng.normal(size=(4, 3))
    out = checker.call(dense_backward, delta.copy(), a_prev.copy(), w.copy())
    if out is None:
        return checker.report()
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        checker.fail(
            f"expected a tuple (d_a_prev, d_W, d_b); got {type(out).__name__}"
            + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
        )
        return checker.report()
    d_a, d_w, d_b = out
    ref_a, ref_w, ref_b = _reference_dense_backward(delta, a_prev, w)

    def _shape(x):
        try:
            return np.shape(np.asarray(x, dtype=float))
        except Exception:
            return None

    hints = {
        "a": (
            "∂C/∂a_prev = delta @ W.T: each input feeds every output through its weight"
            + (" — you returned its transpose" if _shape(d_a) == ref_a.T.shape else "")
        ),
        "w": (
            "∂C/∂W = a_prev.T @ delta: the sum over the batch of outer products a_prev_b delta_b"
            + (" — you returned its transpose" if _shape(d_w) == ref_w.T.shape else "")
            + (
                " — did you average over the batch? delta already carries the 1/B of the loss"
                if _shape(d_w) == ref_w.shape and np.allclose(np.asarray(d_w, float), ref_w / 5)
                else ""
            )
        ),
        "b": (
            "∂C/∂b = delta.sum(axis=0): the bias is added to every example, so its gradient sums over the batch"
            + (
                " — you averaged instead of summing"
                if _shape(d_b) == ref_b.shape and np.allclose(np.asarray(d_b, float), ref_b / 5)
                else ""
            )
        ),
    }
    checker.close(d_a, ref_a, "∂C/∂a_prev, shape (batch, n_in)", hint=hints["a"])
    checker.close(d_w, ref_w, "∂C/∂W, shape (n_in, n_out)", hint=hints["w"])
    checker.close(d_b, ref_b, "∂C/∂b, shape (n_out,)", hint=hints["b"])
    return checker.report()


def check_sigmoid_backward(sigmoid_backward: Callable) -> CheckReport:
    """Check ``sigmoid_backward(grad_a, z) -> grad_z`` for ``a = σ(z)``: ``grad_z = grad_a · σ(z)(1 − σ(z))``.

    Returns:
        A :class:`CheckReport`; never raises because of the student's code.

    Used in: chapter 2, section "Exercises".
    """
    checker = Checker("Exercise: the backward pass of the sigmoid a = σ(z)")
    rng = np.random.default_rng(3)
    z = np.concatenate([rng.normal(size=(4, 3)) * 2.0, [[0.0, 30.0, -30.0]]])
    grad_a = rng.normal(size=z.shape)
    s = 1.0 / (1.0 + np.exp(-z))
    expected = grad_a * s * (1.0 - s)
    out = checker.call(sigmoid_backward, grad_a.copy(), z.copy())
    if out is None:
        return checker.report()
    hint = "σ'(z) = σ(z)(1 − σ(z)); multiply it element-wise with the incoming gradient"
    try:
        got = np.asarray(out, dtype=float)
    except Exception:  # not numbers: checker.close below explains
        got = None
    if got is not None and got.shape == expected.shape:
        if np.allclose(got, grad_a * s):
            hint = "you multiplied by σ(z) only; the derivative is σ(z)(1 − σ(z))"
        elif np.allclose(got, s * (1.0 - s)):
            hint = "you returned σ'(z) alone; the chain rule multiplies it by the incoming gradient grad_a"
    checker.close(out, expected, "∂C/∂z at 15 points (including z = 0 and z = ±30)", rtol=1e-6, atol=1e-9, hint=hint)
    return checker.report()
