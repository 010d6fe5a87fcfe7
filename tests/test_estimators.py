"""Score-function and pathwise gradient estimators, and the Gumbel-softmax sample (run on every backend)."""

import numpy as np
import pytest
from keras import ops

from vaebook.estimators import gumbel_softmax_sample, pathwise_gradient, score_function_gradient

MEAN = np.array([0.5, -1.0, 2.0], dtype="float32")
STD = np.array([1.0, 0.5, 1.5], dtype="float32")


def square(z):
    return ops.sum(ops.square(z), axis=-1)


def d_square(z):
    return 2.0 * z


def _eps(repeats, samples, seed=0):
    return np.random.default_rng(seed).standard_normal((repeats, samples, MEAN.size)).astype("float32")


def _unbiased(estimates, exact):
    """Mean over repeats within 5 standard errors of the exact gradient (and the standard error is not zero)."""
    est = np.asarray(ops.convert_to_numpy(estimates), dtype=np.float64)
    se = est.std(axis=0, ddof=1) / np.sqrt(est.shape[0])
    assert np.all(se > 0)
    assert np.all(np.abs(est.mean(axis=0) - exact) < 5 * se + 1e-6), (est.mean(axis=0), exact, se)


def test_both_estimators_are_unbiased_for_a_quadratic():
    # E[sum z^2] = sum(mean^2 + std^2): d/dmean = 2 mean, d/dstd = 2 std.
    eps = _eps(2000, 8)
    sf_mean, sf_std = score_function_gradient(square, MEAN, STD, eps=eps)
    pw_mean, pw_std = pathwise_gradient(d_square, MEAN, STD, eps=eps)
    for est, exact in [(sf_mean, 2 * MEAN), (sf_std, 2 * STD), (pw_mean, 2 * MEAN), (pw_std, 2 * STD)]:
        assert tuple(est.shape) == (2000, 3)
        _unbiased(est, exact)


def test_pathwise_has_lower_variance_than_score_function_here():
    eps = _eps(500, 4)
    sf = np.asarray(ops.convert_to_numpy(score_function_gradient(square, MEAN, STD, eps=eps)[0]))
    pw = np.asarray(ops.convert_to_numpy(pathwise_gradient(d_square, MEAN, STD, eps=eps)[0]))
    assert np.all(sf.var(axis=0) > 5 * pw.var(axis=0))


def test_pathwise_is_exact_for_a_linear_objective_in_the_mean():
    c = np.array([1.0, -2.0, 3.0], dtype="float32")
    grad_mean, _ = pathwise_gradient(lambda z: ops.ones_like(z) * c, MEAN, STD, num_samples=5, seed=1)
    np.testing.assert_allclose(ops.convert_to_numpy(grad_mean), c, rtol=1e-6)


def test_a_constant_baseline_keeps_the_mean_and_lowers_the_variance():
    eps = _eps(2000, 4, seed=3)
    plain = np.asarray(ops.convert_to_numpy(score_function_gradient(square, MEAN, STD, eps=eps)[0]))
    based = np.asarray(
        ops.convert_to_numpy(
            score_function_gradient(square, MEAN, STD, eps=eps, baseline=float(np.sum(MEAN**2 + STD**2)))[0]
        )
    )
    _unbiased(based, 2 * MEAN)
    assert np.all(based.var(axis=0) < plain.var(axis=0))


def test_fresh_noise_is_drawn_with_num_samples_and_seed():
    a = score_function_gradient(square, MEAN, STD, num_samples=16, seed=7)[0]
    b = score_function_gradient(square, MEAN, STD, num_samples=16, seed=7)[0]
    assert tuple(a.shape) == (3,)
    np.testing.assert_allclose(ops.convert_to_numpy(a), ops.convert_to_numpy(b))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(num_samples=0), "num_samples must be a positive integer"),
        (dict(), "num_samples must be a positive integer"),
        (dict(eps=np.zeros((4, 2), "float32")), "eps must have shape"),
    ],
)
def test_bad_noise_is_a_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        score_function_gradient(square, MEAN, STD, **kwargs)


def test_bad_shapes_are_value_errors():
    with pytest.raises(ValueError, match="same shape"):
        pathwise_gradient(d_square, MEAN, STD[:2], num_samples=3)
    with pytest.raises(ValueError, match="values of shape"):
        score_function_gradient(lambda z: z, MEAN, STD, num_samples=3)
    with pytest.raises(ValueError, match="gradients of the same shape"):
        pathwise_gradient(square, MEAN, STD, num_samples=3)


def test_gumbel_softmax_rows_lie_on_the_simplex_and_sharpen_with_low_temperature():
    logits = np.log(np.array([[0.2, 0.3, 0.5]] * 256, dtype="float32"))
    warm = ops.convert_to_numpy(gumbel_softmax_sample(logits, 5.0, seed=0))
    cold = ops.convert_to_numpy(gumbel_softmax_sample(logits, 0.05, seed=0))
    for y in (warm, cold):
        assert y.shape == (256, 3) and np.all(y >= 0)
        np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-5)
    assert cold.max(axis=-1).mean() > 0.95 > warm.max(axis=-1).mean()


def test_gumbel_max_frequencies_match_the_probabilities():
    probs = np.array([0.2, 0.3, 0.5])
    n = 20000
    logits = np.tile(np.log(probs), (n, 1)).astype("float32")
    hard = ops.convert_to_numpy(gumbel_softmax_sample(logits, 0.5, hard=True, seed=1))
    # one_hot + y - stop_gradient(y) equals one_hot up to float rounding
    assert np.allclose(hard, np.round(hard), atol=1e-6) and np.allclose(hard.sum(axis=-1), 1.0)
    freq = np.round(hard).mean(axis=0)
    se = np.sqrt(probs * (1 - probs) / n)
    assert np.all(np.abs(freq - probs) < 5 * se), (freq, probs)


def test_hard_sample_is_the_argmax_of_the_soft_one():
    logits = np.random.default_rng(0).standard_normal((50, 4)).astype("float32")
    soft = ops.convert_to_numpy(gumbel_softmax_sample(logits, 1.0, seed=5))
    hard = ops.convert_to_numpy(gumbel_softmax_sample(logits, 1.0, hard=True, seed=5))
    np.testing.assert_array_equal(np.round(hard).argmax(-1), soft.argmax(-1))
    assert np.allclose(hard, np.round(hard), atol=1e-6)


@pytest.mark.parametrize("temperature", [0.0, -1.0, True])
def test_bad_temperature_is_a_value_error(temperature):
    with pytest.raises(ValueError, match="temperature must be a positive number"):
        gumbel_softmax_sample(np.zeros((2, 3), "float32"), temperature)


def test_one_category_is_a_value_error():
    with pytest.raises(ValueError, match="K >= 2"):
        gumbel_softmax_sample(np.zeros((2, 1), "float32"), 1.0)
