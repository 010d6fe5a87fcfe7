"""Exercise checks of chapters 7 and 8: pass correct solutions (NumPy and keras.ops), explain typical mistakes,
survive student code that raises."""

import keras
import numpy as np
import pytest

from vaebook.exercises import (
    check_attribute_vector,
    check_conditional_input,
    check_importance_weighted_bound,
    check_negative_elbo,
)

# --- chapter 7: the negative ELBO ---------------------------------------------------------------------------------


def elbo_numpy(x, logits, mean, log_var):
    nll = np.sum(np.logaddexp(0, logits) - x * logits, axis=(1, 2, 3))
    return nll - 0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=1)


def elbo_keras(x, logits, mean, log_var):
    ops = keras.ops
    x, logits, mean, log_var = (ops.convert_to_tensor(t) for t in (x, logits, mean, log_var))
    nll = ops.sum(ops.softplus(logits) - x * logits, axis=(1, 2, 3))
    return nll - 0.5 * ops.sum(1 + log_var - mean**2 - ops.exp(log_var), axis=1)


def _kl(mean, log_var):
    return -0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=1)


def _nll(x, logits):
    return np.sum(np.logaddexp(0, logits) - x * logits, axis=(1, 2, 3))


@pytest.mark.parametrize("fn", [elbo_numpy, elbo_keras])
def test_negative_elbo_passes_correct_solutions(fn):
    report = check_negative_elbo(fn)
    assert report.passed, str(report)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda x, logits, m, v: _nll(x, logits) / 784 + _kl(m, v), "β = 784"),
        (lambda x, logits, m, v: _nll(x, logits), "KL term is missing"),
        (lambda x, logits, m, v: _nll(x, logits) - _kl(m, v), "wrong sign"),
        (lambda x, logits, m, v: -(_nll(x, logits) + _kl(m, v)), "sign is flipped"),
        (lambda x, logits, m, v: np.mean(_nll(x, logits) + _kl(m, v)), "one value per example"),
        (lambda x, logits, m, v: _nll(x, logits) + _kl(m, v) + 1.0, "got"),
    ],
)
def test_negative_elbo_explains_mistakes(wrong, message):
    report = check_negative_elbo(wrong)
    assert not report.passed
    assert message in str(report), str(report)


def test_negative_elbo_catches_unstable_log_sigmoid():
    def unstable(x, logits, mean, log_var):
        p = 1 / (1 + np.exp(-logits.astype(np.float32)))
        with np.errstate(all="ignore"):
            nll = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))
        return nll + _kl(mean, log_var)

    report = check_negative_elbo(unstable)
    assert not report.passed and "softplus" in str(report), str(report)


def test_negative_elbo_survives_code_that_raises():
    def broken(*args):
        raise NotImplementedError("write me")

    report = check_negative_elbo(broken)
    assert not report.passed and "NotImplementedError" in str(report)
    assert not check_negative_elbo(lambda *a: "text").passed
    assert not check_negative_elbo(42).passed


# --- chapter 7: the importance-weighted bound ---------------------------------------------------------------------


def iw_numpy(log_w):
    m = log_w.max(axis=0)
    return m + np.log(np.mean(np.exp(log_w - m), axis=0))


def iw_keras(log_w):
    log_w = keras.ops.convert_to_tensor(log_w)
    k = keras.ops.shape(log_w)[0]
    return keras.ops.logsumexp(log_w, axis=0) - np.log(k)


@pytest.mark.parametrize("fn", [iw_numpy, iw_keras])
def test_iw_bound_passes_correct_solutions(fn):
    report = check_importance_weighted_bound(fn)
    assert report.passed, str(report)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda w: w.mean(axis=0), "that is the ELBO"),
        (lambda w: iw_numpy(w) + np.log(w.shape[0]), "subtract log k"),
        (lambda w: iw_numpy(w.T), "axis 0"),
        (lambda w: np.log(np.mean(np.exp(w), axis=0)), "log-sum-exp"),
    ],
)
def test_iw_bound_explains_mistakes(wrong, message):
    with np.errstate(all="ignore"):
        report = check_importance_weighted_bound(wrong)
    assert not report.passed
    assert message in str(report), str(report)


def test_iw_bound_survives_code_that_raises():
    report = check_importance_weighted_bound(lambda w: 1 / 0)
    assert not report.passed and "ZeroDivisionError" in str(report)


# --- chapter 8 -----------------------------------------------------------------------------------------------------


def attr_numpy(codes, values, fraction):
    order = np.argsort(values)
    k = int(np.floor(fraction * len(values)))
    return codes[order[-k:]].mean(0) - codes[order[:k]].mean(0)


def test_attribute_vector_passes_a_correct_solution():
    report = check_attribute_vector(attr_numpy)
    assert report.passed, str(report)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda c, v, f: -attr_numpy(c, v, f), "sign is flipped"),
        (lambda c, v, f: c[v > np.median(v)].mean(0) - c[v <= np.median(v)].mean(0), "median"),
        (lambda c, v, f: c[np.argsort(v)[-int(f * len(v)) :]].mean(0), "subtract the mean of the low group"),
        (lambda c, v, f: attr_numpy(c, v, 0.25), "fraction argument"),
        (lambda c, v, f: attr_numpy(c, v, f)[:2], "shape"),
    ],
)
def test_attribute_vector_explains_mistakes(wrong, message):
    report = check_attribute_vector(wrong)
    assert not report.passed
    assert message in str(report), str(report)


def test_attribute_vector_survives_code_that_raises():
    def broken(codes, values, fraction):
        raise ValueError("oops")

    report = check_attribute_vector(broken)
    line = broken.__code__.co_firstlineno + 1
    assert not report.passed and f"your function raised ValueError at line {line}: oops" in str(report)


def cond_keras(z, labels, num_classes):
    z = keras.ops.convert_to_tensor(z)
    return keras.ops.concatenate([z, keras.ops.one_hot(labels, num_classes)], axis=1)


def cond_numpy(z, labels, num_classes):
    return np.concatenate([z, np.eye(num_classes)[labels]], axis=1)


@pytest.mark.parametrize("fn", [cond_keras, cond_numpy])
def test_conditional_input_passes_correct_solutions(fn):
    report = check_conditional_input(fn)
    assert report.passed, str(report)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda z, y, n: np.concatenate([z, y[:, None]], axis=1), "one-hot"),
        (lambda z, y, n: np.concatenate([np.eye(n)[y], z], axis=1), "z first"),
        (lambda z, y, n: np.concatenate([z, np.eye(n)[(y + 1) % n]], axis=1), "got"),
        (lambda z, y, n: undefined_name, "NameError"),  # noqa: F821
    ],
)
def test_conditional_input_explains_mistakes(wrong, message):
    report = check_conditional_input(wrong)
    assert not report.passed
    assert message in str(report), str(report)
