"""Exercise checks of chapter 10 (Posterior collapse)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaebook.exercises._checking import Checker, CheckReport

__all__ = [
    "check_predicted_active_units",
    "predicted_active_units_reference",
    "check_free_bits_kl",
    "free_bits_kl_reference",
]


def predicted_active_units_reference(eigenvalues: np.ndarray, sigma: float, latent_dim: int) -> int:
    """Active latent dimensions at the optimum of a linear VAE with decoder σ: eigenvalues above σ², at most d.

    Used in: chapter 10, exercise "How many units survive?".
    """
    return int(min(latent_dim, np.sum(np.asarray(eigenvalues) > sigma**2)))


def _active_cases():
    spectrum = np.array([0.01, 4.0, 0.6, 1.8, 0.12, 3.2, 0.45, 1.5, 0.02, 0.08])  # unsorted on purpose
    yield "σ = 0.5 (σ² = 0.25), d = 10", spectrum, 0.5, 10, 6
    yield "σ = 1.5 (σ² = 2.25), d = 10", spectrum, 1.5, 10, 2
    yield "σ = 0.2 (σ² = 0.04), d = 5", spectrum, 0.2, 5, 5
    yield "σ = 3, nothing above σ²", spectrum, 3.0, 10, 0


def check_predicted_active_units(fn: Callable[[np.ndarray, float, int], int]) -> CheckReport:
    """Check a student's ``predicted_active_units(eigenvalues, sigma, latent_dim)``.

    The linear VAE with a Gaussian decoder of fixed σ keeps latent dimension i active exactly when the data
    covariance's i-th largest eigenvalue exceeds σ², and has only ``latent_dim`` dimensions. Explains comparing
    with σ instead of σ², forgetting the cap at ``latent_dim``, and code that raises or returns nothing.

    Used in: chapter 10, exercise "How many units survive?".
    """
    checker = Checker("Exercise 10.1: predicted active units of a linear VAE")
    for what, eigenvalues, sigma, d, expected in _active_cases():
        out = checker.call_array(fn, eigenvalues.copy(), sigma, d)
        if out is None:
            return checker.report()
        if out.shape != ():
            checker.fail(f"{what}: got an array of shape {out.shape}; return one number, the count")
            continue
        if not np.isfinite(out):
            checker.fail(f"{what}: the result is NaN or inf")
            continue
        got = float(out)
        if got == expected:
            checker.ok(f"{what}: {expected} active units")
        elif got == min(d, int(np.sum(eigenvalues > sigma))):
            checker.fail(
                f"{what}: got {got:g}, expected {expected} — compare the eigenvalues (variances) with σ², not with σ"
            )
        elif got == int(np.sum(eigenvalues > sigma**2)):
            checker.fail(
                f"{what}: got {got:g}, expected {expected} — a model with d latent dimensions has at "
                "most d active units"
            )
        else:
            checker.fail(f"{what}: got {got:g}, expected {expected}")
    return checker.report()


def free_bits_kl_reference(mean: np.ndarray, log_var: np.ndarray, free_bits: float) -> float:
    """Σ_d max(λ, (1/N) Σ_n KL_{n,d}): the free-bits KL term (NumPy reference for tests).

    Used in: chapter 10, exercise "Free bits by hand".
    """
    per = 0.5 * (np.exp(log_var) + mean**2 - 1.0 - log_var)
    return float(np.sum(np.maximum(free_bits, per.mean(0))))


def _free_bits_cases():
    rng = np.random.default_rng(10)
    mean = rng.normal(size=(64, 4)) * np.array([2.0, 0.8, 0.05, 0.0])  # one strong, two weak, one dead
    log_var = rng.normal(0.0, 0.1, size=(64, 4)) * np.array([1.0, 1.0, 0.2, 0.0]) - np.array([3.0, 0.0, 0.0, 0.0])
    yield "64 codes, 4 dimensions (one strong, two weak, one collapsed), λ = 0.5", mean, log_var, 0.5
    yield "the same with λ = 0 (the plain KL)", mean, log_var, 0.0
    yield "one example, λ = 0.1", mean[:1], log_var[:1], 0.1


def check_free_bits_kl(fn: Callable[[np.ndarray, np.ndarray, float], float]) -> CheckReport:
    """Check a student's ``free_bits_kl(mean, log_var, free_bits)``: ``(N, d)`` arrays and λ → one number.

    Explains clamping each example before averaging (max inside the mean), clamping the total KL instead of each
    dimension, summing over the batch instead of averaging, and code that raises or returns nothing.

    Used in: chapter 10, exercise "Free bits by hand".
    """
    checker = Checker("Exercise 10.2: the free-bits KL term")
    for what, mean, log_var, lam in _free_bits_cases():
        out = checker.call_array(fn, mean.copy(), log_var.copy(), lam)
        if out is None:
            return checker.report()
        if out.size != 1:
            checker.fail(
                f"{what}: got an array of shape {out.shape}; return one number (already averaged over "
                "the batch and summed over dimensions)"
            )
            continue
        got = float(out.reshape(()))
        if not np.isfinite(got):
            checker.fail(f"{what}: the result is NaN or inf")
            continue
        expected = free_bits_kl_reference(mean, log_var, lam)
        per = 0.5 * (np.exp(log_var) + mean**2 - 1.0 - log_var)
        if np.isclose(got, expected, rtol=1e-5, atol=1e-6):
            checker.ok(f"{what}: {expected:.4f} nats")
        elif np.isclose(got, np.maximum(lam, per).sum(1).mean(), rtol=1e-5):
            checker.fail(
                f"{what}: got {got:.4f}, expected {expected:.4f} — average the KL over the batch first, "
                "then clamp each dimension at λ (you clamped every example)"
            )
        elif np.isclose(got, max(lam, per.mean(0).sum()), rtol=1e-5):
            checker.fail(
                f"{what}: got {got:.4f}, expected {expected:.4f} — clamp each latent dimension at λ, not the total KL"
            )
        elif np.isclose(got, np.maximum(lam, per.sum(0)).sum(), rtol=1e-5):
            checker.fail(f"{what}: got {got:.4f}, expected {expected:.4f} — average over the batch, don't sum")
        else:
            checker.fail(f"{what}: got {got:.4f}, expected {expected:.4f}")
    return checker.report()
