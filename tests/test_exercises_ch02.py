"""Chapter 2's autograded checks pass right answers, explain typical wrong ones and survive broken code."""

import numpy as np

from vaebook.exercises import check_dense_backward, check_sigmoid_backward


def test_dense_backward_correct():
    report = check_dense_backward(lambda d, a, w: (d @ w.T, a.T @ d, d.sum(axis=0)))
    assert report and "All checks passed" in str(report)


def test_dense_backward_typical_mistakes():
    text = str(check_dense_backward(lambda d, a, w: ((d @ w.T).T, d.T @ a, d.mean(axis=0))))
    assert "you returned its transpose" in text and "you averaged instead of summing" in text
    assert not check_dense_backward(lambda d, a, w: (d @ w.T, a.T @ d / 5, d.sum(axis=0)))
    assert "did you average" in str(check_dense_backward(lambda d, a, w: (d @ w.T, a.T @ d / 5, d.sum(axis=0))))
    assert "expected a tuple" in str(check_dense_backward(lambda d, a, w: d))


def test_dense_backward_survives_raising_code():
    def broken(d, a, w):
        raise NotImplementedError("write me")

    report = check_dense_backward(broken)
    assert not report and "NotImplementedError" in str(report)


def test_sigmoid_backward():
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    assert check_sigmoid_backward(lambda g, z: g * sig(z) * (1 - sig(z)))
    assert "σ(z) only" in str(check_sigmoid_backward(lambda g, z: g * sig(z)))
    assert "incoming gradient" in str(check_sigmoid_backward(lambda g, z: sig(z) * (1 - sig(z))))
    report = str(check_sigmoid_backward(lambda g, z: 1 / 0))
    assert "ZeroDivisionError" in report and "no result" not in report  # one line for one failure
    assert "not an array" in str(check_sigmoid_backward(lambda g, z: np.full(z.shape, "x")))
