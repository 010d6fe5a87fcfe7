"""Exercise checks for chapter 7 (a VAE for MNIST): the negative ELBO with its reduction, and the IWAE bound."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaebook.exercises._checking import Checker, CheckReport

__all__ = ["check_negative_elbo", "check_importance_weighted_bound"]


def _softplus(t: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, t)


def reference_negative_elbo(x: np.ndarray, logits: np.ndarray, mean: np.ndarray, log_var: np.ndarray) -> np.ndarray:
    """Per-example negative ELBO (one sample of z): Bernoulli NLL summed over pixels plus the Gaussian KL."""
    x, logits = np.asarray(x, np.float64), np.asarray(logits, np.float64)
    mean, log_var = np.asarray(mean, np.float64), np.asarray(log_var, np.float64)
    axes = tuple(range(1, x.ndim))
    nll = np.sum(_softplus(logits) - x * logits, axis=axes)  # -log Bernoulli(x; sigmoid(logits)), stable
    kl = -0.5 * np.sum(1.0 + log_var - mean**2 - np.exp(log_var), axis=1)
    return nll + kl


def _elbo_inputs(seed: int = 0, batch: int = 5, d: int = 3):
    rng = np.random.default_rng(seed)
    x = (rng.random((batch, 28, 28, 1)) < 0.3).astype(np.float32)
    logits = rng.normal(0.0, 2.0, size=x.shape).astype(np.float32)
    mean = rng.normal(size=(batch, d)).astype(np.float32)
    log_var = rng.normal(0.0, 0.5, size=(batch, d)).astype(np.float32)
    return x, logits, mean, log_var


def check_negative_elbo(fn: Callable) -> CheckReport:
    """Check ``fn(x, logits, mean, log_var)``: the per-example negative ELBO of a Bernoulli VAE, in nats.

    Expected: for each example, ``sum over pixels of -log Bernoulli(x | sigmoid(logits))`` plus
    ``KL(N(mean, exp(log_var)) || N(0, I))`` summed over latent dimensions; shape ``(batch,)``.

    Args:
        fn: the student's function; it may use NumPy or ``keras.ops``.

    Returns:
        A :class:`CheckReport` (truthy when every check passed); printing it explains what is wrong.
    """
    checker = Checker("Exercise 7: the negative ELBO of a Bernoulli VAE, per example")
    x, logits, mean, log_var = _elbo_inputs()
    expected = reference_negative_elbo(x, logits, mean, log_var)
    got = checker.call_array(fn, x, logits, mean, log_var)
    if got is None:
        return checker.report()
    if got.shape == ():
        hint = (
            "you returned one number; return one value per example (shape (batch,)) and let the training loop "
            "average over the batch"
        )
        checker.check(False, "one value per example", hint)
        return checker.report()
    nll_only = reference_negative_elbo(x, logits, np.zeros_like(mean), np.zeros_like(log_var))
    kl = expected - nll_only
    hints = [
        (
            nll_only / 784 + kl,
            "your reconstruction term is a mean over the 784 pixels; sum it (a mean is the sum "
            "divided by 784, which is the same as weighting the KL by β = 784)",
        ),
        (nll_only, "the KL term is missing"),
        (nll_only - kl, "the KL term has the wrong sign: the loss adds KL(q || p) ≥ 0"),
        (-expected, "the sign is flipped: return the negative ELBO, a loss to minimize"),
        (nll_only + kl / mean.shape[1], "the KL is averaged over latent dimensions; sum it"),
    ]
    if checker.known_mistake(got, expected, hints, "the value of the negative ELBO", 1e-4, 1e-3, 1e-3):
        return checker.report()
    checker.close(
        got,
        expected,
        "the negative ELBO on a batch of 5 random binary images",
        rtol=1e-4,
        atol=1e-3,
        hint="reconstruction: -sum[x log σ(l) + (1 - x) log(1 - σ(l))] over pixels; "
        "KL: -1/2 sum(1 + log_var - mean² - exp(log_var))",
    )
    # Stability: very confident logits must not give inf or NaN (use softplus, not log(sigmoid)).
    x2 = np.zeros((2, 28, 28, 1), np.float32)
    x2[:, :14] = 1.0
    logits2 = np.where(x2 > 0, -60.0, 60.0).astype(np.float32)  # confidently wrong everywhere
    out2 = checker.call(fn, x2, logits2, np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32))
    if out2 is not None:
        checker.close(
            out2,
            reference_negative_elbo(x2, logits2, np.zeros((2, 2)), np.zeros((2, 2))),
            "stays finite and exact for confident logits (±60)",
            rtol=1e-4,
            atol=1e-2,
            hint="compute -log σ(l) as softplus(-l) and -log(1 - σ(l)) as softplus(l), from the logits",
        )
    return checker.report()


def reference_importance_weighted_bound(log_w: np.ndarray) -> np.ndarray:
    """log (1/k) sum_k exp(log_w[k]) per example, computed stably; ``log_w`` has shape (k, batch)."""
    log_w = np.asarray(log_w, np.float64)
    m = log_w.max(axis=0)
    return m + np.log(np.mean(np.exp(log_w - m), axis=0))


def check_importance_weighted_bound(fn: Callable) -> CheckReport:
    """Check ``fn(log_w)``: the importance-weighted bound log (1/k) Σ_k w_k from log-weights of shape (k, batch).

    ``log_w[k, i] = log p(x_i | z_k) + log p(z_k) - log q(z_k | x_i)`` for ``z_k ~ q(z | x_i)``. The result has
    shape ``(batch,)`` and must be computed stably (log-weights of MNIST digits are around -100 nats, and
    ``exp(-100)`` is still representable but ``exp(-800)`` is 0 in float64).

    Args:
        fn: the student's function; it may use NumPy or ``keras.ops``.

    Returns:
        A :class:`CheckReport`.
    """
    checker = Checker("Exercise 7: the importance-weighted bound from log-weights")
    rng = np.random.default_rng(1)
    log_w = rng.normal(-3.0, 1.5, size=(50, 4))
    expected = reference_importance_weighted_bound(log_w)
    got = checker.call_array(fn, log_w)
    if got is None:
        return checker.report()
    wrong = [
        (
            log_w.mean(axis=0),
            "you averaged the log-weights: that is the ELBO estimate, not the k-sample bound; "
            "average the weights, then take the log",
        ),
        (expected + np.log(50), "you computed log Σ w_k; subtract log k to get the log of the mean"),
    ]
    if got.shape == (50,):
        checker.check(False, "one value per example", "average over axis 0 (the k samples), not axis 1 (the batch)")
        return checker.report()
    if checker.known_mistake(got, expected, wrong, "the value of the bound"):
        return checker.report()
    checker.close(got, expected, "the bound for k = 50 samples and 4 examples", rtol=1e-6, atol=1e-6)
    # Jensen: the bound is at least the mean log-weight.
    if got.shape == expected.shape:
        checker.check(bool(np.all(got >= log_w.mean(axis=0) - 1e-9)), "it is ≥ the ELBO estimate (Jensen)")
    # Stability: digit-sized log-weights.
    big = log_w * 20.0 - 800.0
    out2 = checker.call(fn, big)
    if out2 is not None:
        checker.close(
            out2,
            reference_importance_weighted_bound(big),
            "stays finite for log-weights near -800 nats (real digits)",
            rtol=1e-6,
            atol=1e-6,
            hint="subtract the maximum log-weight before exponentiating (the log-sum-exp trick)",
        )
    return checker.report()
