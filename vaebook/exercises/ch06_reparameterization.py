"""Checks for chapter 6 (the reparameterization trick): a student's reparameterized samplers.

from vaebook.exercises import check_gumbel_softmax, check_reparameterized_sample
check_reparameterized_sample(my_sample)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaebook.exercises._checking import Checker, CheckReport, _which

__all__ = ["check_gumbel_softmax", "check_reparameterized_sample"]


def _reparameterized_sample_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, str]]:
    """(mean, log_var, eps, what) of each case: z = eps, one sample by hand, a random batch."""
    rng = np.random.default_rng(6)
    return [
        (np.zeros((2, 3)), np.zeros((2, 3)), rng.normal(size=(2, 3)), "mean 0, log_var 0: z = eps"),
        (
            np.full((1, 2), 3.0),
            np.full((1, 2), np.log(4.0)),
            np.ones((1, 2)),
            "mean 3, variance 4, eps = 1: z = 3 + 2 * 1 = 5",
        ),
        (rng.normal(size=(4, 2)), rng.normal(size=(4, 2)), rng.normal(size=(4, 2)), "a random batch"),
    ]


def check_reparameterized_sample(fn: Callable) -> CheckReport:
    """Check ``fn(mean, log_var, eps)``: the sample ``z = mean + exp(log_var / 2) * eps`` of N(mean, exp(log_var)).

    Args:
        fn: the student's function; takes three float32 NumPy arrays of shape ``(batch, d)`` and returns ``z`` of
            the same shape. It must use the given noise ``eps`` (that is what makes ``z`` differentiable in
            ``mean`` and ``log_var``), not draw its own.

    Returns:
        A :class:`CheckReport`: truthy if every case matched; ✗ lines say what went wrong.

    Used in: chapter 6, section "Exercises".
    """
    checker = Checker("Exercise: a reparameterized Gaussian sample")
    for mean, log_var, eps, what in _reparameterized_sample_cases():
        expected = mean + np.exp(0.5 * log_var) * eps
        variants = {
            "exp(log_var) is the variance; the standard deviation is exp(log_var / 2)": mean + np.exp(log_var) * eps,
            "multiply the noise by the standard deviation exp(log_var / 2), not by log_var": mean + log_var * eps,
            "the noise is scaled by sqrt(exp(log_var)) = exp(log_var / 2), and the mean is added, not multiplied": mean
            * np.exp(0.5 * log_var)
            * eps,
            "the mean is missing: z = mean + std * eps": np.exp(0.5 * log_var) * eps,
        }
        out = checker.call(fn, mean.astype("float32"), log_var.astype("float32"), eps.astype("float32"))
        if out is None:
            break
        checker.close(
            out,
            expected,
            what,
            rtol=1e-4,
            atol=1e-5,
            hint=_which(out, variants) or "use the eps you are given; do not draw new noise",
        )
    return checker.report()


def _softmax(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def check_gumbel_softmax(fn: Callable) -> CheckReport:
    """Check ``fn(logits, uniform, temperature)``: the Gumbel-softmax sample softmax((logits + g) / temperature).

    The Gumbel noise is ``g = -log(-log(uniform))`` for the given uniform numbers in (0, 1).

    Args:
        fn: the student's function; ``logits`` and ``uniform`` are float32 NumPy arrays of shape ``(batch, K)``,
            ``temperature`` a positive float. Returns the relaxed one-hot sample of shape ``(batch, K)``.

    Returns:
        A :class:`CheckReport`: truthy if every case matched; ✗ lines say what went wrong.

    Used in: chapter 6, section "Exercises".
    """
    checker = Checker("Exercise: a Gumbel-softmax sample")
    rng = np.random.default_rng(8)
    logits = rng.normal(size=(3, 4))
    uniform = rng.uniform(0.05, 0.95, size=(3, 4))
    g = -np.log(-np.log(uniform))
    for temperature, what in [
        (1.0, "temperature 1"),
        (0.3, "temperature 0.3 (sharper)"),
        (5.0, "temperature 5 (flatter)"),
    ]:
        expected = _softmax((logits + g) / temperature)
        variants = {
            "divide logits + noise by the temperature before the softmax": _softmax(logits + g),
            "the Gumbel noise is -log(-log(u)), not log(u) or -log(u)": _softmax(
                (logits - np.log(uniform)) / temperature
            ),
            "the noise is missing: add g = -log(-log(u)) to the logits": _softmax(logits / temperature),
            "divide by the temperature; do not multiply": _softmax((logits + g) * temperature),
            "the softmax is over the categories, the last axis": np.exp((logits + g) / temperature)
            / np.exp((logits + g) / temperature).sum(axis=0, keepdims=True),
        }
        out = checker.call(fn, logits.astype("float32"), uniform.astype("float32"), temperature)
        if out is None:
            break
        checker.close(out, expected, what, rtol=1e-4, atol=1e-5, hint=_which(out, variants))
    return checker.report()
