"""Chapter 10's exercise checks: pass correct solutions, explain typical mistakes, survive broken code."""

import numpy as np

from vaebook.exercises import (
    check_free_bits_kl,
    check_predicted_active_units,
    free_bits_kl_reference,
    predicted_active_units_reference,
)


def test_active_units_correct_solutions_pass():
    assert check_predicted_active_units(predicted_active_units_reference)
    assert check_predicted_active_units(lambda lam, s, d: np.minimum(d, (np.sort(lam)[::-1] > s * s).sum()))


def test_active_units_mistakes_are_explained():
    report = check_predicted_active_units(lambda lam, s, d: min(d, int(np.sum(lam > s))))
    assert not report and "σ²" in str(report)
    report = check_predicted_active_units(lambda lam, s, d: int(np.sum(lam > s**2)))
    assert not report and "at most d" in str(report)
    report = check_predicted_active_units(lambda lam, s, d: lam > s**2)
    assert not report and "one number" in str(report)


def test_active_units_broken_code_gets_a_cross_line():
    def skeleton(lam, s, d):
        raise NotImplementedError("write predicted_active_units")

    for fn in (skeleton, lambda lam, s, d: None, lambda lam, s, d: float("nan"), 42):
        report = check_predicted_active_units(fn)
        assert not report and "✗" in str(report)
    assert "NotImplementedError" in str(check_predicted_active_units(skeleton))
    assert "NaN" in str(check_predicted_active_units(lambda lam, s, d: float("nan")))


def test_free_bits_correct_solutions_pass():
    assert check_free_bits_kl(free_bits_kl_reference)

    def with_keras(mean, log_var, lam):
        from vaebook.losses import free_bits_kl

        return free_bits_kl(mean.astype("float32"), log_var.astype("float32"), lam)

    assert check_free_bits_kl(with_keras)


def _per(m, v):
    return 0.5 * (np.exp(v) + m**2 - 1 - v)


def test_free_bits_mistakes_are_explained():
    report = check_free_bits_kl(lambda m, v, lam: np.maximum(lam, _per(m, v)).sum(1).mean())
    assert not report and "clamped every example" in str(report)
    report = check_free_bits_kl(lambda m, v, lam: max(lam, _per(m, v).mean(0).sum()))
    assert not report and "not the total" in str(report)
    report = check_free_bits_kl(lambda m, v, lam: np.maximum(lam, _per(m, v).sum(0)).sum())
    assert not report and "don't sum" in str(report)
    report = check_free_bits_kl(lambda m, v, lam: np.maximum(lam, _per(m, v).mean(0)))
    assert not report and "one number" in str(report)


def test_free_bits_broken_code_gets_a_cross_line():
    for fn in (lambda m, v, lam: 1 / 0, lambda m, v, lam: None, lambda m, v, lam: np.nan, lambda m, v, lam: "x"):
        report = check_free_bits_kl(fn)
        assert not report and "✗" in str(report)
    assert "ZeroDivisionError" in str(check_free_bits_kl(lambda m, v, lam: 1 / 0))
    assert "NaN" in str(check_free_bits_kl(lambda m, v, lam: np.nan))
