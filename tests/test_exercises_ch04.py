"""The chapter-4 checks pass correct KLs, name typical mistakes, and survive code that raises."""

import numpy as np
from keras import ops

from vaebook.exercises import check_discrete_kl, check_gaussian_kl


def good_gaussian_kl(mean, log_var):
    return -0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=-1)


def test_a_correct_gaussian_kl_passes_in_numpy_and_keras_ops():
    assert check_gaussian_kl(good_gaussian_kl)

    def keras_kl(mean, log_var):  # the inputs are NumPy arrays: convert them first (torch cannot mix the two)
        mean, log_var = ops.convert_to_tensor(mean), ops.convert_to_tensor(log_var)
        return -0.5 * ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)

    report = check_gaussian_kl(keras_kl)
    assert report, str(report)


def test_gaussian_kl_mistakes_are_named():
    cases = {
        "one value per example, shape (batch,)": lambda m, lv: -0.5 * (1 + lv - m**2 - np.exp(lv)),
        "factor 1/2 is missing": lambda m, lv: -np.sum(1 + lv - m**2 - np.exp(lv), axis=-1),
        "the sign is flipped": lambda m, lv: 0.5 * np.sum(1 + lv - m**2 - np.exp(lv), axis=-1),
        "the variance is exp(log_var), not log_var": lambda m, lv: -0.5 * np.sum(1 + lv - m**2 - lv, axis=-1),
        "do not square it": lambda m, lv: -0.5 * np.sum(1 + lv - m**2 - np.exp(lv) ** 2, axis=-1),
    }
    for message, fn in cases.items():
        report = check_gaussian_kl(fn)
        assert not report and message in str(report), (message, str(report))


def test_gaussian_kl_that_raises_or_returns_nonsense_is_explained():
    report = check_gaussian_kl(lambda m, lv: m.nope)
    assert not report and "AttributeError" in str(report)
    report = check_gaussian_kl(lambda m, lv: None)
    assert not report and "returned None" in str(report)
    report = check_gaussian_kl(lambda m, lv: np.full(m.shape[0], np.nan))
    assert not report and "NaN" in str(report)


def good_discrete_kl(p, q):
    mask = p > 0
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])))


def test_a_correct_discrete_kl_passes():
    assert check_discrete_kl(good_discrete_kl)
    assert check_discrete_kl(lambda p, q: np.array([good_discrete_kl(p, q)]))  # a 1-element array is fine


def test_discrete_kl_mistakes_are_named():
    cases = {
        "not symmetric": lambda p, q: good_discrete_kl(q, p) if np.all(p > 0) else 0.0,
        "natural logarithm": lambda p, q: good_discrete_kl(p, q) / np.log(2),
        "sign is flipped": lambda p, q: -good_discrete_kl(p, q),
    }
    for message, fn in cases.items():
        report = check_discrete_kl(fn)
        assert not report and message in str(report), (message, str(report))


def test_discrete_kl_without_the_zero_convention_is_explained():
    with np.errstate(all="ignore"):
        report = check_discrete_kl(lambda p, q: np.sum(p * np.log(p / q)))
    assert not report and "0 * log(0 / q) must count as 0" in str(report)


def test_discrete_kl_that_raises_is_explained():
    report = check_discrete_kl(lambda p, q: 1 / 0)
    assert not report and "ZeroDivisionError" in str(report)
