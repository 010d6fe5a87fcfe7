"""Checks for chapter 12 (Outlook: VAEs, GANs and diffusion): a student's energy distance and forward diffusion.

from vaebook.exercises import check_energy_distance, check_forward_diffusion
check_energy_distance(my_energy_distance)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaebook.exercises._checking import Checker, CheckReport, _as_array, _which

__all__ = [
    "check_energy_distance",
    "check_forward_diffusion",
    "energy_distance_reference",
    "forward_diffusion_reference",
]


def _mean_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.sqrt(np.sum((a[:, None, :] - b[None, :, :]) ** 2, axis=-1))))


def energy_distance_reference(x: np.ndarray, y: np.ndarray) -> float:
    """sqrt(2 E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖) over all pairs (a reference for tests; the notebook does not
    show it)."""
    return float(np.sqrt(max(2 * _mean_distance(x, y) - _mean_distance(x, x) - _mean_distance(y, y), 0.0)))


def _scalar(out):
    arr = _as_array(out)
    if arr is not None and arr.size == 1:  # a float, a 0-d or a 1-element array: all fine
        return arr.reshape(())
    return arr if arr is not None else out


def _energy_distance_cases() -> list[tuple[np.ndarray, np.ndarray, str]]:
    """(x, y, what) of each case: one point each, a sample against itself, then samples that differ."""
    rng = np.random.default_rng(12)
    base = rng.normal(size=(30, 2))
    return [
        (np.array([[0.0]]), np.array([[3.0]]), "one point each, 3 apart: sqrt(2 · 3 − 0 − 0) = sqrt(6)"),
        (base, base.copy(), "a sample against itself: 0"),
        (base, rng.normal(size=(20, 2)) + [1.0, 0.0], "30 and 20 points in 2-D, shifted by (1, 0)"),
        (rng.normal(size=(25, 3)), rng.normal(size=(40, 3)) * 2.0, "samples of different sizes and spreads in 3-D"),
    ]


def check_energy_distance(fn: Callable) -> CheckReport:
    """Check ``fn(x, y)``: the energy distance sqrt(2 E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖) of two point clouds.

    Every expectation is the mean over all pairs of points, pairs of a point with itself included.

    Args:
        fn: the student's function; takes two float64 NumPy arrays of shapes (N, D) and (M, D), returns a number.

    Returns:
        A :class:`CheckReport`: truthy if every case matched; ✗ lines say what went wrong.

    Used in: chapter 12, exercise "The energy distance by hand".
    """
    checker = Checker("Exercise: the energy distance between two samples")
    for x, y, what in _energy_distance_cases():
        expected = np.asarray(energy_distance_reference(x, y))
        cross, within_x, within_y = _mean_distance(x, y), _mean_distance(x, x), _mean_distance(y, y)

        def sq(a, b):
            return np.sqrt(np.mean(np.sum((a[:, None] - b[None]) ** 2, -1)))

        with np.errstate(all="ignore"):
            variants = {
                "that is the squared energy distance: take the square root at the end": np.asarray(expected**2),
                "the cross term E‖X − Y‖ counts twice: 2 E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖": np.asarray(
                    np.sqrt(max(cross - within_x - within_y, 0.0))
                ),
                "use distances ‖a − b‖, not squared distances ‖a − b‖²": np.asarray(
                    np.sqrt(max(2 * sq(x, y) ** 2 - sq(x, x) ** 2 - sq(y, y) ** 2, 0.0))
                ),
                "subtract the within-sample terms E‖X − X'‖ and E‖Y − Y'‖; do not add them": np.asarray(
                    np.sqrt(2 * cross + within_x + within_y)
                ),
            }
        out = checker.call(fn, x.copy(), y.copy())
        if out is None:
            break
        checker.close(_scalar(out), expected, what, rtol=1e-5, atol=1e-7, hint=_which(_scalar(out), variants))
    return checker.report()


def forward_diffusion_reference(x0: np.ndarray, t: np.ndarray, eps: np.ndarray, betas: np.ndarray) -> np.ndarray:
    """x_t = sqrt(ᾱ_t) x0 + sqrt(1 − ᾱ_t) ε with ᾱ_t = Π_{s ≤ t} (1 − β_s), t 0-based (a reference for tests)."""
    alpha_bar = np.cumprod(1.0 - np.asarray(betas, dtype=np.float64))[np.asarray(t)]
    return np.sqrt(alpha_bar)[:, None] * x0 + np.sqrt(1.0 - alpha_bar)[:, None] * eps


def check_forward_diffusion(fn: Callable) -> CheckReport:
    """Check ``fn(x0, t, eps, betas)``: the closed-form sample x_t = sqrt(ᾱ_t) x_0 + sqrt(1 − ᾱ_t) ε of q(x_t | x_0).

    ᾱ_t = (1 − β_0)(1 − β_1) ⋯ (1 − β_t), with the time steps ``t`` 0-based indices into ``betas``.

    Args:
        fn: the student's function; ``x0`` and ``eps`` are float64 arrays of shape (N, D), ``t`` an integer array
            of shape (N,) (one step per row), ``betas`` a float64 array of shape (T,). Returns x_t, shape (N, D).

    Returns:
        A :class:`CheckReport`: truthy if every case matched; ✗ lines say what went wrong.

    Used in: chapter 12, exercise "Jumping to step t".
    """
    checker = Checker("Exercise: a sample of q(x_t | x_0) in one jump")
    rng = np.random.default_rng(21)
    betas = np.linspace(0.01, 0.2, 10)
    cases = [
        (np.array([[1.0, -2.0]]), np.array([0]), np.zeros((1, 2)), "t = 0, no noise: x_0 · sqrt(1 − β_0)"),
        (np.array([[2.0]]), np.array([9]), np.array([[1.0]]), "the last step, ε = 1"),
        (
            rng.normal(size=(6, 2)),
            rng.integers(0, 10, size=6),
            rng.normal(size=(6, 2)),
            "a batch of 6 points, each with its own step",
        ),
    ]
    for x0, t, eps, what in cases:
        expected = forward_diffusion_reference(x0, t, eps, betas)
        alphas = 1.0 - betas
        ab = np.cumprod(alphas)
        ab_before = np.concatenate([[1.0], ab[:-1]])[t]
        variants = {
            "ᾱ_t is the product of all (1 − β_s) up to step t, not the single step's α_t": np.sqrt(alphas[t])[:, None]
            * x0
            + np.sqrt(1 - alphas[t])[:, None] * eps,
            "the product runs up to and including step t (cumprod(1 − betas)[t])": np.sqrt(ab_before)[:, None] * x0
            + np.sqrt(1 - ab_before)[:, None] * eps,
            "x_0 and ε are scaled by the square roots sqrt(ᾱ_t) and sqrt(1 − ᾱ_t)": ab[t][:, None] * x0
            + (1 - ab[t])[:, None] * eps,
            "ᾱ_t multiplies (1 − β), not β": np.sqrt(np.cumprod(betas)[t])[:, None] * x0
            + np.sqrt(1 - np.cumprod(betas)[t])[:, None] * eps,
        }
        out = checker.call(fn, x0.copy(), t.copy(), eps.copy(), betas.copy())
        if out is None:
            break
        checker.close(out, expected, what, rtol=1e-4, atol=1e-5, hint=_which(out, variants))
    return checker.report()
