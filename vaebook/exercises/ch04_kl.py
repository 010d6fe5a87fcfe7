"""Checks for chapter 4 (latent variables, likelihood and KL divergence): a student's KL divergences.

from vaebook.exercises import check_discrete_kl, check_gaussian_kl
check_gaussian_kl(my_gaussian_kl)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaebook.exercises._checking import Checker, CheckReport, _as_array, _which

__all__ = ["check_discrete_kl", "check_gaussian_kl"]


def _reference_discrete_kl(p: np.ndarray, q: np.ndarray) -> float:
    mask = p > 0
    return float(np.sum(p[mask] * (np.log(p[mask]) - np.log(q[mask]))))


def check_discrete_kl(fn: Callable) -> CheckReport:
    """Check ``fn(p, q)``: KL(p || q) = sum_k p_k log(p_k / q_k) in nats, for probability vectors ``p``, ``q``.

    Args:
        fn: the student's function; takes two 1-D NumPy arrays of probabilities, returns a scalar.

    Returns:
        A :class:`CheckReport`: truthy if every case matched; ✗ lines say what went wrong.

    Used in: chapter 4, section "Exercises".
    """
    checker = Checker("Exercise: KL(p || q) for discrete distributions")
    p = np.array([0.5, 0.3, 0.2])
    q = np.array([0.25, 0.25, 0.5])
    cases = [
        (p, p, "KL(p || p) = 0"),
        (p, q, "KL(p || q) for p = (0.5, 0.3, 0.2), q = (0.25, 0.25, 0.5)"),
        (np.array([0.0, 0.4, 0.6]), q, "a zero in p contributes nothing (0 log 0 = 0)"),
    ]
    for a, b, what in cases:
        expected = np.asarray(_reference_discrete_kl(a, b))
        with np.errstate(all="ignore"):
            variants = {
                "this is KL(q || p): the divergence is not symmetric, the first argument weights the sum": np.asarray(
                    _reference_discrete_kl(b, a)
                ),
                "these are bits: use the natural logarithm (nats), np.log": expected / np.log(2.0),
                "the sign is flipped: KL = sum p log(p / q), not log(q / p)": -expected,
            }
        out = checker.call(fn, a.copy(), b.copy())
        if out is None:
            break
        arr = _as_array(out)
        if arr is not None and arr.size == 1:  # a float, a 0-d or a 1-element array: all fine
            arr = arr.reshape(())
        checker.close(
            arr if arr is not None else out,
            expected,
            what,
            rtol=1e-5,
            atol=1e-7,
            hint=_which(arr, variants) or ("a term 0 * log(0 / q) must count as 0, not NaN" if "zero" in what else ""),
        )
    return checker.report()


def _reference_gaussian_kl(mean: np.ndarray, log_var: np.ndarray) -> np.ndarray:
    return -0.5 * np.sum(1.0 + log_var - mean**2 - np.exp(log_var), axis=-1)


def _gaussian_kl_cases() -> list[tuple[np.ndarray, np.ndarray, str]]:
    """(mean, log_var, what) of each case: two closed forms by hand, then a random batch."""
    rng = np.random.default_rng(4)
    return [
        (np.zeros((1, 2)), np.zeros((1, 2)), "q equal to the prior: KL = 0"),
        (np.array([[1.0]]), np.array([[0.0]]), "mean 1, variance 1: KL = 0.5 nats"),
        (np.array([[0.0]]), np.array([[np.log(4.0)]]), "mean 0, variance 4: KL = (4 - 1 - log 4) / 2"),
        (rng.normal(size=(5, 3)), rng.normal(scale=0.7, size=(5, 3)), "a batch of 5 examples, 3 latent dims"),
    ]


def check_gaussian_kl(fn: Callable) -> CheckReport:
    """Check ``fn(mean, log_var)``: KL(N(mean, diag exp(log_var)) || N(0, I)) per example, in nats.

    The reference is the closed form, summed over the latent axis:
        KL = -1/2 * sum_j (1 + log_var_j - mean_j^2 - exp(log_var_j)),
    which is also what ``vaebook.losses.gaussian_kl`` computes.

    Args:
        fn: the student's function; takes two float32 NumPy arrays of shape ``(batch, d)``, returns shape ``(batch,)``.

    Returns:
        A :class:`CheckReport`: truthy if every case matched; ✗ lines say what went wrong.

    Used in: chapter 4, section "Exercises".
    """
    checker = Checker("Exercise: KL(N(mean, exp(log_var)) || N(0, I))")
    for mean, log_var, what in _gaussian_kl_cases():
        expected = _reference_gaussian_kl(mean, log_var)
        per_dim = -0.5 * (1.0 + log_var - mean**2 - np.exp(log_var))
        variants = {
            "sum over the latent axis only: the result needs one value per example, shape (batch,)": per_dim,
            "the factor 1/2 is missing": 2 * expected,
            "the sign is flipped: KL = -1/2 sum(1 + log_var - mean^2 - exp(log_var)) is >= 0": -expected,
            "log_var is the log of the variance: the variance is exp(log_var), not log_var": -0.5
            * np.sum(1.0 + log_var - mean**2 - log_var, axis=-1),
            "exp(log_var) is already the variance: do not square it": -0.5
            * np.sum(1.0 + log_var - mean**2 - np.exp(2 * log_var), axis=-1),
            "that is the mean over the batch: return one KL per example": np.asarray(expected.mean()),
        }
        out = checker.call(fn, mean.astype("float32"), log_var.astype("float32"))
        if out is None:
            break
        checker.close(out, expected, what, rtol=1e-4, atol=1e-5, hint=_which(out, variants))
    return checker.report()
