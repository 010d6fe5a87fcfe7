"""A multilayer perceptron with its forward and backward passes written by hand in NumPy.

Small enough to read in one sitting: it is the chapter on backpropagation in code. Layer ``l`` computes

    z^(l) = a^(l-1) W^(l) + b^(l)        (batch, n_l) = (batch, n_{l-1}) (n_{l-1}, n_l) + (n_l,)
    a^(l) = φ(z^(l))                      hidden layers; the last layer is a softmax

and the loss is the cross-entropy ``C = -1/B Σ_b log p_b[y_b]`` (mean over the batch of ``B`` examples). The
backward pass runs the chain rule from the loss back to the input, one layer at a time:

    δ^(L)   = ∂C/∂z^(L) = (p − onehot(y)) / B
    ∂C/∂W^(l) = a^(l-1)ᵀ δ^(l),   ∂C/∂b^(l) = Σ_b δ^(l)_b
    ∂C/∂a^(l-1) = δ^(l) W^(l)ᵀ,   δ^(l-1) = ∂C/∂a^(l-1) ⊙ φ'(z^(l-1))

:func:`keras_mlp_loss` computes the same loss with ``keras.ops`` so that the backend's automatic differentiation
(:mod:`vaebook.autodiff`) can check the hand-written gradients.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["NumpyMLP", "keras_mlp_loss", "ACTIVATIONS"]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# name -> (φ(z), φ'(z) written with φ(z) where that is cheaper)
ACTIVATIONS = {
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z))),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(z.dtype)),
}


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)  # stable: softmax is unchanged by a shift
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class NumpyMLP:
    """A fully connected classifier with hand-written forward and backward passes.

    Args:
        sizes: layer widths from input to output, e.g. ``(64, 32, 10)``.
        activation: hidden activation, one of ``"tanh"``, ``"sigmoid"``, ``"relu"``.
        seed: seed of the weight initialisation (Glorot-uniform weights, zero biases).

    Attributes:
        params: list of ``[W, b]`` pairs, float64; ``W`` of shape ``(n_in, n_out)``.

    Raises:
        ValueError: on fewer than two sizes, a non-positive size or an unknown activation.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "tanh", seed: int = 0):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or any(s < 1 for s in sizes):
            raise ValueError(f"sizes must list at least two positive layer widths; got {sizes}.")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}.")
        self.sizes = sizes
        self.activation = activation
        rng = np.random.default_rng(seed)
        self.params = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            limit = np.sqrt(6.0 / (n_in + n_out))
            self.params.append([rng.uniform(-limit, limit, size=(n_in, n_out)), np.zeros(n_out)])

    def _check(self, x, y=None):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"x must have shape (batch, {self.sizes[0]}); got {x.shape}.")
        if y is None:
            return x, None
        y = np.asarray(y)
        if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= self.sizes[-1]:
            raise ValueError(
                f"y must be integer labels in [0, {self.sizes[-1]}) of shape ({len(x)},); "
                f"got dtype {y.dtype} and shape {y.shape}."
            )
        return x, y

    def forward(self, x):
        """The forward pass.

        Returns:
            ``(p, cache)``: class probabilities of shape ``(batch, n_classes)`` and the list of
            ``(a^(l-1), z^(l))`` pairs the backward pass needs.
        """
        x, _ = self._check(x)
        phi = ACTIVATIONS[self.activation][0]
        a, cache = x, []
        for i, (w, b) in enumerate(self.params):
            z = a @ w + b
            cache.append((a, z))
            a = _softmax(z) if i == len(self.params) - 1 else phi(z)
        return a, cache

    def loss(self, x, y) -> float:
        """Mean cross-entropy over the batch, in nats."""
        x, y = self._check(x, y)
        p, _ = self.forward(x)
        return float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-300)))

    def backward(self, p, cache, y):
        """The backward pass: the chain rule from the loss to every weight and bias.

        Args:
            p: the probabilities returned by :meth:`forward`.
            cache: the cache returned by :meth:`forward`.
            y: integer labels of shape ``(batch,)``.

        Returns:
            ``grads``: a list of ``[dC/dW, dC/db]`` pairs shaped like :attr:`params`.
        """
        dphi = ACTIVATIONS[self.activation][1]
        delta = p.copy()
        delta[np.arange(len(y)), y] -= 1.0
        delta /= len(y)  # δ^(L) = (p − onehot(y)) / B
        grads = [None] * len(self.params)
        for i in reversed(range(len(self.params))):
            a_prev, _ = cache[i]
            w = self.params[i][0]
            grads[i] = [a_prev.T @ delta, delta.sum(axis=0)]  # ∂C/∂W^(l), ∂C/∂b^(l)
            if i > 0:
                da_prev = delta @ w.T  # ∂C/∂a^(l-1)
                delta = da_prev * dphi(cache[i - 1][1])  # δ^(l-1) = ∂C/∂a^(l-1) ⊙ φ'(z^(l-1))
        return grads

    def loss_and_gradients(self, x, y):
        """``(loss, grads)`` at the current parameters."""
        x, y = self._check(x, y)
        p, cache = self.forward(x)
        loss = float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-300)))
        return loss, self.backward(p, cache, y)

    def flat_params(self) -> list[np.ndarray]:
        """``[W1, b1, W2, b2, ...]`` (the same arrays, not copies)."""
        return [t for pair in self.params for t in pair]

    def predict(self, x) -> np.ndarray:
        """Most probable class of each row of ``x``."""
        return self.forward(x)[0].argmax(axis=1)

    def fit(self, x, y, epochs: int = 10, learning_rate: float = 0.1, batch_size: int = 32, seed: int = 0):
        """Mini-batch stochastic gradient descent, ``θ ← θ − η ∂C/∂θ`` on each batch.

        Returns:
            The training loss (mean over all examples) after each epoch, with the initial loss first.
        """
        x, y = self._check(x, y)
        rng = np.random.default_rng(seed)
        history = [self.loss(x, y)]
        for _ in range(int(epochs)):
            order = rng.permutation(len(x))
            for start in range(0, len(x), batch_size):
                idx = order[start : start + batch_size]
                _, grads = self.loss_and_gradients(x[idx], y[idx])
                for (w, b), (dw, db) in zip(self.params, grads, strict=True):
                    w -= learning_rate * dw
                    b -= learning_rate * db
            history.append(self.loss(x, y))
        return history


def keras_mlp_loss(x, y, *params, activation: str = "tanh"):
    """The loss of :class:`NumpyMLP` written with ``keras.ops`` (for automatic differentiation).

    Args:
        x: inputs of shape ``(batch, n_in)``.
        y: integer labels of shape ``(batch,)``.
        *params: ``W1, b1, W2, b2, ...`` as tensors.
        activation: the hidden activation.

    Returns:
        Scalar tensor: the mean cross-entropy over the batch.
    """
    from keras import ops

    if len(params) % 2 or not params:
        raise ValueError(f"params must be W1, b1, W2, b2, ...; got {len(params)} tensors.")
    phi = {"tanh": ops.tanh, "sigmoid": ops.sigmoid, "relu": ops.relu}[activation]
    a = ops.convert_to_tensor(x, dtype=params[0].dtype)
    n = len(params) // 2
    for i in range(n):
        z = ops.matmul(a, params[2 * i]) + params[2 * i + 1]
        a = z if i == n - 1 else phi(z)
    log_p = ops.log_softmax(a, axis=-1)
    onehot = ops.one_hot(ops.convert_to_tensor(y, dtype="int32"), ops.shape(a)[-1], dtype=log_p.dtype)
    return -ops.mean(ops.sum(onehot * log_p, axis=-1))
