"""Gradient estimators for expectations under a distribution that depends on the parameters.

The variational objective contains an expectation whose distribution depends on what we differentiate:

    grad_{mu, sigma} E_{z ~ N(mu, sigma^2)}[ f(z) ].

Two unbiased Monte Carlo estimators of this gradient exist for a diagonal Gaussian (chapter "The
reparameterization trick"):

- the **score-function** (REINFORCE, likelihood-ratio) estimator, which needs only values of ``f``:
  ``mean_s f(z_s) * grad log q(z_s)``;
- the **pathwise** (reparameterization) estimator, which writes ``z = mu + sigma * eps`` with ``eps ~ N(0, I)``
  and differentiates through ``f``: ``mean_s f'(z_s) * dz_s/d(mu, sigma)``.

And for discrete (categorical) latents, which have no pathwise estimator, a continuous relaxation:
:func:`gumbel_softmax_sample` (with an optional straight-through hard sample).

Everything here uses ``keras.ops`` and ``keras.random`` only, so it runs on TensorFlow, JAX and PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
from keras import ops

from vaebook._validation import check_integer

__all__ = ["score_function_gradient", "pathwise_gradient", "gumbel_softmax_sample"]


def _noise(mean, num_samples: int | None, eps, seed):
    """Standard normal noise of shape ``(..., num_samples, d)``: the given ``eps`` or a fresh draw."""
    if eps is not None:
        eps = ops.convert_to_tensor(eps, dtype=mean.dtype)
        if eps.ndim < 2 or eps.shape[-1] != mean.shape[-1]:
            raise ValueError(
                f"eps must have shape (..., num_samples, {mean.shape[-1]}) to match mean; got {tuple(eps.shape)}."
            )
        return eps
    num_samples = check_integer("num_samples", num_samples, hint=" (or pass eps)")
    return keras.random.normal((num_samples, mean.shape[-1]), dtype=mean.dtype, seed=seed)


def _check_params(mean, std):
    mean = ops.convert_to_tensor(mean, dtype="float32")
    std = ops.convert_to_tensor(std, dtype="float32")
    if mean.ndim != 1 or tuple(std.shape) != tuple(mean.shape):
        raise ValueError(
            f"mean and std must be vectors of the same shape (d,); got {tuple(mean.shape)} and {tuple(std.shape)}."
        )
    return mean, std


def _samples(mean, std, num_samples: int | None, eps, seed):
    """The checked ``mean`` and ``std``, the noise ``eps`` and the samples ``z = mean + std * eps``."""
    mean, std = _check_params(mean, std)
    eps = _noise(mean, num_samples, eps, seed)
    return mean, std, eps, mean + std * eps


def score_function_gradient(
    f: Callable, mean, std, *, num_samples: int | None = None, eps=None, seed=None, baseline: float = 0.0
):
    """Score-function (REINFORCE) estimate of the gradient of ``E_{z ~ N(mean, std^2)}[f(z)]``.

    With ``z = mean + std * eps`` the score of the diagonal Gaussian is
        d log q / d mean = (z - mean) / std^2 = eps / std,
        d log q / d std  = (z - mean)^2 / std^3 - 1 / std = (eps^2 - 1) / std,
    and the estimator averages ``(f(z_s) - baseline) * score(z_s)`` over the samples. Any constant ``baseline``
    leaves it unbiased (the score has mean zero) and can reduce its variance.

    Args:
        f: the objective; maps samples of shape ``(..., S, d)`` to values of shape ``(..., S)``. Only its values
            are used: it need not be differentiable.
        mean: vector of shape ``(d,)``.
        std: vector of shape ``(d,)``, positive.
        num_samples: ``S``, the number of Monte Carlo samples (when ``eps`` is not given).
        eps: optional standard normal noise of shape ``(..., S, d)``; leading axes give independent repeats.
        seed: an int or a ``keras.random.SeedGenerator`` for drawing ``eps``.
        baseline: a constant subtracted from ``f`` (a control variate).

    Returns:
        A pair ``(grad_mean, grad_std)``, each of shape ``(..., d)``.

    Used in: chapter 6, section "The experiment".
    """
    mean, std, eps, z = _samples(mean, std, num_samples, eps, seed)
    values = ops.convert_to_tensor(f(z), dtype=mean.dtype)
    if tuple(values.shape) != tuple(z.shape[:-1]):
        raise ValueError(
            f"f must map samples of shape {tuple(z.shape)} to values of shape {tuple(z.shape[:-1])}; "
            f"it returned shape {tuple(values.shape)}."
        )
    weight = ops.expand_dims(values - baseline, -1)
    grad_mean = ops.mean(weight * eps / std, axis=-2)
    grad_std = ops.mean(weight * (ops.square(eps) - 1.0) / std, axis=-2)
    return grad_mean, grad_std


def pathwise_gradient(df: Callable, mean, std, *, num_samples: int | None = None, eps=None, seed=None):
    """Pathwise (reparameterization) estimate of the gradient of ``E_{z ~ N(mean, std^2)}[f(z)]``.

    With ``z = mean + std * eps`` the chain rule gives, sample by sample,
        d f(z) / d mean = f'(z),      d f(z) / d std = f'(z) * eps,
    and the estimator averages these over the samples. In a VAE, automatic differentiation computes ``f'``;
    here it is passed in so that both estimators can be compared on one objective without a backend's autodiff.

    Args:
        df: the gradient of the objective; maps samples of shape ``(..., S, d)`` to gradients of the same shape.
        mean, std, num_samples, eps, seed: as in :func:`score_function_gradient`.

    Returns:
        A pair ``(grad_mean, grad_std)``, each of shape ``(..., d)``.

    Used in: chapter 6, section "The experiment".
    """
    mean, std, eps, z = _samples(mean, std, num_samples, eps, seed)
    grads = ops.convert_to_tensor(df(z), dtype=mean.dtype)
    if tuple(grads.shape) != tuple(z.shape):
        raise ValueError(
            f"df must map samples of shape {tuple(z.shape)} to gradients of the same shape; "
            f"it returned shape {tuple(grads.shape)}."
        )
    return ops.mean(grads, axis=-2), ops.mean(grads * eps, axis=-2)


def gumbel_softmax_sample(logits, temperature: float, *, hard: bool = False, seed=None):
    """A relaxed one-hot sample from the categorical distribution ``softmax(logits)`` (Gumbel-softmax, Concrete).

    ``y = softmax((logits + g) / temperature)`` with ``g_k = -log(-log u_k)``, ``u_k ~ U(0, 1)``. As the temperature
    goes to 0, ``y`` tends to the one-hot vector of ``argmax(logits + g)``, which is an exact categorical sample
    (the Gumbel-max trick). With ``hard=True`` the forward pass returns that one-hot vector while gradients flow
    through the relaxed ``y`` (the straight-through Gumbel-softmax estimator):
    ``one_hot + y - stop_gradient(y)``.

    Args:
        logits: tensor of shape ``(..., K)``, unnormalized log-probabilities of ``K`` categories.
        temperature: a positive float; small values give nearly one-hot samples and high-variance gradients.
        hard: return one-hot samples with straight-through gradients.
        seed: an int or a ``keras.random.SeedGenerator``.

    Returns:
        Tensor of the shape of ``logits``: rows on the probability simplex (one-hot rows if ``hard``).

    Used in: chapter 6, section "Discrete latents: straight-through and Gumbel-softmax".
    """
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or temperature <= 0:
        raise ValueError(f"temperature must be a positive number; got {temperature!r}.")
    logits = ops.convert_to_tensor(logits, dtype="float32")
    if logits.ndim < 1 or logits.shape[-1] is None or logits.shape[-1] < 2:
        raise ValueError(f"logits must have shape (..., K) with K >= 2 categories; got {tuple(logits.shape)}.")
    tiny = 1e-10
    u = keras.random.uniform(ops.shape(logits), minval=tiny, maxval=1.0, dtype=logits.dtype, seed=seed)
    gumbel = -ops.log(-ops.log(u) + tiny)
    y = ops.softmax((logits + gumbel) / float(temperature), axis=-1)
    if not hard:
        return y
    one_hot = ops.one_hot(ops.argmax(y, axis=-1), logits.shape[-1], dtype=y.dtype)
    return one_hot + y - ops.stop_gradient(y)
