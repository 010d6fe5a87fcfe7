"""The chapter-6 checks pass correct samplers, name typical mistakes, and survive code that raises."""

import numpy as np
from keras import ops

from vaebook.exercises import check_gumbel_softmax, check_reparameterized_sample


def test_a_correct_sampler_passes_in_numpy_and_keras_ops():
    assert check_reparameterized_sample(lambda m, lv, e: m + np.exp(0.5 * lv) * e)
    t = ops.convert_to_tensor  # the inputs are NumPy arrays: convert them first (torch cannot mix the two)
    report = check_reparameterized_sample(lambda m, lv, e: t(m) + ops.exp(0.5 * t(lv)) * t(e))
    assert report, str(report)


def test_sampler_mistakes_are_named():
    cases = {
        "the standard deviation is exp(log_var / 2)": lambda m, lv, e: m + np.exp(lv) * e,
        "not by log_var": lambda m, lv, e: m + lv * e,
        "the mean is missing": lambda m, lv, e: np.exp(0.5 * lv) * e,
        "do not draw new noise": lambda m, lv, e: m + np.exp(0.5 * lv) * np.random.default_rng(0).normal(size=e.shape),
    }
    for message, fn in cases.items():
        report = check_reparameterized_sample(fn)
        assert not report and message in str(report), (message, str(report))


def test_sampler_that_raises_is_explained():
    report = check_reparameterized_sample(lambda m, lv, e: undefined_name)  # noqa: F821
    assert not report and "NameError" in str(report)


def softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_a_correct_gumbel_softmax_passes():
    assert check_gumbel_softmax(lambda logits, u, t: softmax((logits - np.log(-np.log(u))) / t))
    c = ops.convert_to_tensor
    report = check_gumbel_softmax(lambda logits, u, t: ops.softmax((c(logits) - ops.log(-ops.log(c(u)))) / t, axis=-1))
    assert report, str(report)


def test_gumbel_softmax_mistakes_are_named():
    cases = {
        "divide logits + noise by the temperature": lambda lg, u, t: softmax(lg - np.log(-np.log(u))),
        "not log(u) or -log(u)": lambda lg, u, t: softmax((lg - np.log(u)) / t),
        "the noise is missing": lambda lg, u, t: softmax(lg / t),
        "do not multiply": lambda lg, u, t: softmax((lg - np.log(-np.log(u))) * t),
    }
    for message, fn in cases.items():
        report = check_gumbel_softmax(fn)
        assert not report and message in str(report), (message, str(report))


def test_gumbel_softmax_that_raises_is_explained():
    report = check_gumbel_softmax(lambda lg, u, t: lg.reshape(7))
    assert not report and "ValueError" in str(report)
