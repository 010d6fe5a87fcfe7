"""Optimizers written out in NumPy on a small parameter vector, keeping the whole trajectory for plotting.

Keras's optimizers update model weights in place and keep no history. To *draw* what gradient descent, momentum
and Adam do on a loss surface, the book needs every iterate: :func:`gradient_descent` runs the update rules on a
NumPy vector and returns the path.
"""

from __future__ import annotations

import numpy as np

from vaebook._validation import check_integer

__all__ = ["gradient_descent"]


def gradient_descent(
    grad_fn,
    theta0,
    learning_rate: float,
    steps: int,
    method: str = "gd",
    momentum: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
):
    """Run an optimizer on a small parameter vector and keep the whole trajectory (for plotting).

    Updates, with ``g_t = grad_fn(θ_t, t)``:

    * ``"gd"``: ``θ ← θ − η g`` (stochastic when ``grad_fn`` uses a mini-batch chosen by ``t``);
    * ``"momentum"``: ``v ← μ v + g``, ``θ ← θ − η v`` (heavy ball);
    * ``"adam"``: ``m ← β1 m + (1−β1) g``, ``s ← β2 s + (1−β2) g²``, ``θ ← θ − η m̂ / (√ŝ + ε)`` with the bias
      corrections ``m̂ = m / (1−β1^t)``, ``ŝ = s / (1−β2^t)`` (Kingma & Ba, 2015).

    Args:
        grad_fn: ``grad_fn(theta, step) -> gradient`` (NumPy arrays).
        theta0: the starting point.
        learning_rate: η > 0.
        steps: number of updates.
        method: ``"gd"``, ``"momentum"`` or ``"adam"``.

    Returns:
        Array of shape ``(steps + 1, *theta0.shape)``: the starting point and every iterate. Iterates that overflow
        stay ``inf``/``nan`` (a diverging run is shown, not hidden).

    Used in: chapter 2, section "Gradient descent on a loss surface we can draw".
    """
    if method not in ("gd", "momentum", "adam"):
        raise ValueError(f"method must be 'gd', 'momentum' or 'adam'; got {method!r}.")
    if learning_rate <= 0:
        raise ValueError(f"learning_rate must be positive; got {learning_rate}.")
    steps = check_integer("steps", steps, minimum=0)
    theta = np.array(theta0, dtype=np.float64)
    v = np.zeros_like(theta)
    s = np.zeros_like(theta)
    path = [theta.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            g = np.asarray(grad_fn(theta, t - 1), dtype=np.float64)
            if method == "gd":
                theta = theta - learning_rate * g
            elif method == "momentum":
                v = momentum * v + g
                theta = theta - learning_rate * v
            else:
                v = beta1 * v + (1 - beta1) * g
                s = beta2 * s + (1 - beta2) * g**2
                theta = theta - learning_rate * (v / (1 - beta1**t)) / (np.sqrt(s / (1 - beta2**t)) + eps)
            path.append(theta.copy())
    return np.array(path)
