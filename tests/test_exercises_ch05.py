"""The chapter-5 check passes a correct ELBO estimator, names typical mistakes, and survives code that raises."""

import numpy as np

from vaebook.exercises import check_elbo_estimate
from vaebook.exercises.ch05_elbo import _LinearGaussian

LOG_2PI = np.log(2 * np.pi)


def good(log_joint, mean, log_var, eps):
    z = mean + np.exp(0.5 * log_var) * eps
    log_q = -0.5 * np.sum(LOG_2PI + log_var + eps**2, axis=-1)
    return np.mean(log_joint(z) - log_q)


def test_a_correct_estimator_passes():
    report = check_elbo_estimate(good)
    assert report, str(report)


def test_the_posterior_case_uses_the_exact_evidence():
    # The reference model's ELBO with q = exact posterior equals log p(x), for any noise.
    model = _LinearGaussian(3)
    u, _, _ = np.linalg.svd(model.w, full_matrices=False)
    model.w = u * np.array([1.5, 0.7])
    mean, cov = model.posterior()
    assert np.allclose(cov, np.diag(np.diag(cov)))
    eps = np.random.default_rng(0).normal(size=(10, 2))
    np.testing.assert_allclose(good(model.log_joint, mean, np.log(np.diag(cov)), eps), model.log_evidence())


def test_estimator_mistakes_are_named():
    def no_entropy(log_joint, mean, log_var, eps):
        return np.mean(log_joint(mean + np.exp(0.5 * log_var) * eps))

    def variance_as_std(log_joint, mean, log_var, eps):
        z = mean + np.exp(log_var) * eps
        return np.mean(log_joint(z) + 0.5 * np.sum(LOG_2PI + log_var + eps**2, axis=-1))

    def per_sample(log_joint, mean, log_var, eps):
        z = mean + np.exp(0.5 * log_var) * eps
        return log_joint(z) + 0.5 * np.sum(LOG_2PI + log_var + eps**2, axis=-1)

    def plus_log_q(log_joint, mean, log_var, eps):
        z = mean + np.exp(0.5 * log_var) * eps
        return np.mean(log_joint(z) - 0.5 * np.sum(LOG_2PI + log_var + eps**2, axis=-1))

    for fn, message in [
        (no_entropy, "subtract log q(z)"),
        (variance_as_std, "exp(log_var / 2), not exp(log_var)"),
        (per_sample, "not one value per sample"),
        (plus_log_q, "sign of log q is flipped"),
    ]:
        report = check_elbo_estimate(fn)
        assert not report and message in str(report), (message, str(report))


def test_code_that_raises_is_explained():
    report = check_elbo_estimate(lambda log_joint, mean, log_var, eps: log_joint("z"))
    assert not report and "your function raised" in str(report)


def _elbo_1d(x, w, s, m, v, reconstruction_variance=True):
    spread = w**2 * v if reconstruction_variance else 0.0
    return -0.5 * np.log(2 * np.pi * s**2) - ((x - w * m) ** 2 + spread) / (2 * s**2) - 0.5 * (m**2 + v - 1 - np.log(v))


def test_elbo_1d_accepts_the_closed_form_and_explains_mistakes():
    from vaebook.exercises import check_elbo_1d

    assert check_elbo_1d(_elbo_1d)
    missing = check_elbo_1d(lambda *a: _elbo_1d(*a, reconstruction_variance=False))
    assert not missing and "w² v" in str(missing)
    assert not check_elbo_1d(lambda x, w, s, m, v: _elbo_1d(x, w, s, m, v) + 0.01)
