"""Chapter 9's exercise check: passes a correct nearest-code lookup, explains typical mistakes, survives errors."""

import numpy as np

from vaebook.exercises import check_nearest_code, nearest_code_reference


def _brute_force(z, codebook):  # correct by definition, independent of the reference's expanded form
    return np.argmin(((z[:, None] - codebook[None]) ** 2).sum(-1), axis=1)


def test_an_independent_correct_solution_passes():
    assert check_nearest_code(_brute_force)


def test_reference_agrees_with_brute_force():
    rng = np.random.default_rng(3)
    z, codebook = rng.normal(size=(200, 5)), rng.normal(size=(17, 5)) * rng.uniform(0.2, 3.0, (17, 1))
    np.testing.assert_array_equal(nearest_code_reference(z, codebook), _brute_force(z, codebook))


def test_argmax_is_explained():
    report = check_nearest_code(lambda z, e: np.argmax(((z[:, None] - e[None]) ** 2).sum(-1), axis=1))
    assert not report and "argmin" in str(report)


def test_dot_product_is_explained():
    report = check_nearest_code(lambda z, e: np.argmax(z @ e.T, axis=1))
    assert not report and "‖e‖²" in str(report)


def test_vectors_instead_of_indices_are_explained():
    report = check_nearest_code(lambda z, e: e[nearest_code_reference(z, e)])
    assert not report and "indices" in str(report)


def test_code_that_raises_is_reported_without_a_traceback():
    def broken(z, e):
        raise NotImplementedError("write nearest_code")

    report = check_nearest_code(broken)
    assert not report and "NotImplementedError" in str(report)
    assert not check_nearest_code(lambda z, e: None)
    assert not check_nearest_code(lambda z, e: "abc")
    assert not check_nearest_code(42)


def _perplexity(indices, k, skip_zeros=True):
    p = np.bincount(np.ravel(indices), minlength=k) / np.size(indices)
    if skip_zeros:
        p = p[p > 0]
    with np.errstate(all="ignore"):
        return float(np.exp(-np.sum(p * np.log(p))))


def test_code_perplexity_accepts_a_correct_answer_and_explains_mistakes():
    from vaebook.exercises import check_code_perplexity
    from vaebook.layers.vector_quantizer import code_perplexity

    assert check_code_perplexity(_perplexity)
    assert check_code_perplexity(lambda i, k: code_perplexity(i, k))  # the package's own version agrees
    nan = check_code_perplexity(lambda i, k: _perplexity(i, k, skip_zeros=False))
    assert not nan and "0 log 0" in str(nan)
    entropy = check_code_perplexity(lambda i, k: np.log(_perplexity(i, k)))
    assert not entropy and "that is the entropy" in str(entropy)
