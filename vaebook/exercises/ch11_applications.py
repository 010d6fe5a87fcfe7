"""Autograded exercises of chapter 11 (applications): recall at a false-positive budget, fixed-point products."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaebook.exercises._checking import Checker, CheckReport, _to_numpy

__all__ = ["check_recall_at_false_positive_rate", "check_fixed_point_multiply"]


def _scalar(checker: Checker, value, what: str) -> float | None:
    if value is None:
        return None
    try:
        arr = np.asarray(_to_numpy(value), dtype=np.float64)
    except Exception:
        checker.fail(f"{what}: the result is a {type(value).__name__}, not a number")
        return None
    if arr.size != 1:
        checker.fail(f"{what}: expected one number, got an array of shape {arr.shape}")
        return None
    out = float(arr.reshape(()))
    if not np.isfinite(out):
        checker.fail(f"{what}: the result is NaN or inf")
        return None
    return out


def check_recall_at_false_positive_rate(recall_at_fpr: Callable) -> CheckReport:
    """Check ``recall_at_fpr(labels, scores, false_positive_rate) -> float``.

    The student's function receives ``labels`` (int array of 0 = normal, 1 = anomaly), ``scores`` (float array,
    larger = more anomalous) and α, and returns the share of anomalies whose score is strictly above the threshold
    that flags at most a share α of the normal examples, as :func:`vaebook.anomaly.recall_at_false_positive_rate`.

    Returns:
        A :class:`CheckReport`; never raises because of the student's code.

    Used in: chapter 11, exercise "Recall at a fixed false-positive rate".
    """
    from vaebook.anomaly import recall_at_false_positive_rate as reference

    checker = Checker("Exercise: recall at a fixed false-positive rate")
    rng = np.random.default_rng(11)
    labels = np.r_[np.zeros(1000, int), np.ones(40, int)]
    scores = np.r_[rng.normal(0, 1, 1000), rng.normal(2.0, 1, 40)]
    order = rng.permutation(len(labels))
    labels, scores = labels[order], scores[order]
    cases = [
        (labels, scores, 0.01, "1,000 normals and 40 anomalies, α = 1%"),
        (labels, scores, 0.05, "the same data, α = 5%"),
        (labels, scores, 0.0, "α = 0: no normal example may be flagged"),
        (
            np.array([0, 0, 0, 0, 1, 1, 1]),
            np.array([0.1, 0.4, 0.35, 0.8, 0.9, 0.3, 0.4]),
            0.25,
            "seven examples, α = 25% (one normal may be flagged; an anomaly ties with a normal)",
        ),
    ]
    for lab, sc, alpha, what in cases:
        expected = reference(lab, sc, alpha)
        before = len(checker.report().lines)
        out = checker.call(recall_at_fpr, lab.copy(), sc.copy(), alpha)
        if out is None and len(checker.report().lines) == before:
            checker.fail(f"{what}: your function returned None; return the recall as a number")
        got = _scalar(checker, out, what)
        if got is None:
            continue
        hint = ""
        if np.isclose(got, 100 * expected):
            hint = "return a share in [0, 1], not a percentage"
        elif np.isclose(
            got, float(np.mean(sc[lab == 1] >= np.sort(sc[lab == 0])[::-1][int(alpha * (lab == 0).sum())]))
        ):
            hint = "flag scores strictly above the threshold: with >= the normal at the threshold is flagged too"
        elif got > expected:
            hint = (
                "your threshold lets more than α of the normals through: take the threshold from the scores of "
                "the normal examples only, sorted from the largest"
            )
        elif got < expected:
            hint = "your threshold is too strict: at most ⌊α·n₀⌋ normals may lie above it, and that many may"
        checker.close(got, expected, what, rtol=0, atol=1e-6, hint=hint)
    return checker.report()


def check_fixed_point_multiply(fixed_point_multiply: Callable) -> CheckReport:
    """Check ``fixed_point_multiply(a, b) -> int array`` for Q4.12 (16 bits, 12 fractional).

    The student's function receives two int64 NumPy arrays of stored integers and returns the stored integers of
    the products: the full product, plus 2¹¹ (round half up), shifted right by 12, saturated to [−32768, 32767],
    as :func:`vaebook.hardware.fixed_point_multiply`.

    Returns:
        A :class:`CheckReport`; never raises because of the student's code.

    Used in: chapter 11, exercise "A fixed-point multiplier".
    """
    from vaebook.hardware import fixed_point_multiply as reference, to_fixed_point

    checker = Checker("Exercise: a Q4.12 fixed-point multiplier")
    rng = np.random.default_rng(12)
    small_a = to_fixed_point(rng.uniform(-2, 2, 200))
    small_b = to_fixed_point(rng.uniform(-2, 2, 200))
    big_a = to_fixed_point(np.array([7.5, -7.9, 3.0, -4.0, 0.5]))
    big_b = to_fixed_point(np.array([7.5, 3.0, -3.0, 2.5, 2.0**-12]))
    cases = [
        (small_a, small_b, "200 products of numbers in [-2, 2]"),
        (big_a, big_b, "products that overflow Q4.12 (must saturate) and one that rounds"),
    ]
    for a, b, what in cases:
        expected = reference(a, b)
        before = len(checker.report().lines)
        got = checker.call_array(fixed_point_multiply, a.copy(), b.copy())
        if got is None:
            if len(checker.report().lines) == before:
                checker.fail(f"{what}: your function returned None; return the array of stored integers")
            continue
        if got.shape != expected.shape:
            checker.fail(f"{what}: shape {got.shape}, expected {expected.shape} (one product per pair)")
            continue
        if not np.all(np.isfinite(got)):
            checker.fail(f"{what}: the result contains NaN or inf")
            continue
        wide = a.astype(np.int64) * b.astype(np.int64)
        hint = ""
        if np.array_equal(got, wide):
            hint = "the product of two Q4.12 numbers has 24 fractional bits: shift it right by 12"
        elif np.allclose(got, wide / 4096.0) and not np.allclose(got, np.round(got)):
            hint = "return integers: use an integer shift (>>) or np.floor/np.round, not a float division"
        elif np.array_equal(got, np.clip(wide >> 12, -32768, 32767)):
            hint = "add half a unit (2**11) before shifting, so that the result is rounded, not truncated"
        elif np.array_equal(got, (wide + 2048) >> 12):
            hint = "saturate: clip the result to [-32768, 32767], the range of 16 bits"
        checker.close(got, expected, what, rtol=0, atol=0.5, hint=hint)
    return checker.report()
