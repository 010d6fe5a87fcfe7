"""Checks for chapter 5 (the evidence lower bound): a student's Monte Carlo ELBO estimate.

from vaebook.exercises import check_elbo_estimate
check_elbo_estimate(my_elbo_estimate)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaebook.exercises._checking import Checker, CheckReport, _as_array, _to_numpy, _which
from vaebook.linear_gaussian import linear_gaussian_log_marginal, linear_gaussian_posterior

__all__ = ["check_elbo_1d", "check_elbo_estimate"]

_LOG_2PI = np.log(2.0 * np.pi)


class _LinearGaussian:
    """z ~ N(0, I_d), x | z ~ N(W z + b, s^2 I_D): one data point, its log joint, exact log p(x) and posterior."""

    def __init__(self, seed: int, latent_dim: int = 2, data_dim: int = 3, noise_std: float = 0.5):
        rng = np.random.default_rng(seed)
        self.w = rng.normal(size=(data_dim, latent_dim))
        self.b = rng.normal(size=data_dim)
        self.s2 = noise_std**2
        self.x = self.w @ rng.normal(size=latent_dim) + self.b + noise_std * rng.normal(size=data_dim)

    def log_joint(self, z) -> np.ndarray:
        """log p(x, z) for samples ``z`` of shape (S, d); returns shape (S,)."""
        z = np.asarray(_to_numpy(z), dtype=np.float64)
        resid = self.x - z @ self.w.T - self.b
        d_x = self.x.size
        log_lik = -0.5 * (d_x * (_LOG_2PI + np.log(self.s2)) + np.sum(resid**2, axis=-1) / self.s2)
        log_prior = -0.5 * np.sum(_LOG_2PI + z**2, axis=-1)
        return log_lik + log_prior

    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        """The exact posterior's mean (d,) and covariance (d, d), from :mod:`vaebook.linear_gaussian`."""
        mean, cov = linear_gaussian_posterior(self.x[None], self.w, self.b, np.sqrt(self.s2))
        return mean[0], cov

    def log_evidence(self) -> float:
        """log p(x) = log N(x; b, W W^T + s^2 I), from :mod:`vaebook.linear_gaussian`."""
        return float(linear_gaussian_log_marginal(self.x[None], self.w, self.b, np.sqrt(self.s2))[0])


def _reference(log_joint, mean, log_var, eps) -> float:
    z = mean + np.exp(0.5 * log_var) * eps
    log_q = -0.5 * np.sum(_LOG_2PI + log_var + eps**2, axis=-1)
    return float(np.mean(log_joint(z) - log_q))


def check_elbo_estimate(fn: Callable) -> CheckReport:
    """Check ``fn(log_joint, mean, log_var, eps)``: the Monte Carlo ELBO estimate of one data point.

    The reference, with ``z_s = mean + exp(log_var / 2) * eps_s`` for the ``S`` rows of ``eps``:
        ELBO_hat = 1/S sum_s [ log p(x, z_s) - log q(z_s) ],
        log q(z_s) = -1/2 sum_j [ log(2 pi) + log_var_j + eps_sj^2 ].

    It is checked on a linear-Gaussian model (whose ``log p(x)`` and posterior are known exactly): against the
    reference on random ``q``, and with ``q`` equal to the exact posterior (diagonal case), where every sample
    gives exactly ``log p(x)``.

    Args:
        fn: the student's function. ``log_joint(z)`` maps samples of shape ``(S, d)`` to ``log p(x, z)`` of shape
            ``(S,)``; ``mean``, ``log_var`` have shape ``(d,)``; ``eps`` has shape ``(S, d)``. Returns a scalar.

    Returns:
        A :class:`CheckReport`: truthy if every case matched; ✗ lines say what went wrong.

    Used in: chapter 5, section "Exercises".
    """
    checker = Checker("Exercise: a Monte Carlo estimate of the ELBO")
    rng = np.random.default_rng(11)
    cases = []
    for seed in (1, 2):
        model = _LinearGaussian(seed)
        mean = rng.normal(size=2)
        log_var = rng.normal(scale=0.5, size=2)
        cases.append((model, mean, log_var, rng.normal(size=(7, 2)), f"random q, 7 samples (model {seed})"))
    # A model whose exact posterior is diagonal (orthogonal columns of W), so q can equal it.
    model = _LinearGaussian(3)
    u, _, _ = np.linalg.svd(model.w, full_matrices=False)
    model.w = u * np.array([1.5, 0.7])
    post_mean, post_cov = model.posterior()
    cases.append(
        (
            model,
            post_mean,
            np.log(np.diag(post_cov)),
            rng.normal(size=(5, 2)),
            "q = the exact posterior: every sample gives log p(x) exactly",
        )
    )

    for model, mean, log_var, eps, what in cases:
        expected = np.asarray(_reference(model.log_joint, mean, log_var, eps))
        if "exact posterior" in what:
            expected = np.asarray(model.log_evidence())
        z = mean + np.exp(0.5 * log_var) * eps
        log_q = -0.5 * np.sum(_LOG_2PI + log_var + eps**2, axis=-1)
        variants = {
            "this is only E_q[log p(x, z)]: subtract log q(z) (the entropy term)": np.asarray(
                np.mean(model.log_joint(z))
            ),
            "the standard deviation is exp(log_var / 2), not exp(log_var)": np.asarray(
                _reference(model.log_joint, mean, 2 * log_var, eps) - 0.5 * np.sum(log_var)
            ),
            "return the average over the samples (a scalar), not one value per sample": model.log_joint(z) - log_q,
            "the sign of log q is flipped: ELBO = E_q[log p(x, z) - log q(z)]": np.asarray(
                np.mean(model.log_joint(z) + log_q)
            ),
        }
        out = checker.call(fn, model.log_joint, mean.copy(), log_var.copy(), eps.copy())
        if out is None:
            break
        arr = _as_array(out)
        if arr is not None and arr.size == 1:
            arr = arr.reshape(())
        checker.close(arr if arr is not None else out, expected, what, rtol=1e-6, atol=1e-6, hint=_which(arr, variants))
    return checker.report()


def _reference_elbo_1d(x, w, s, m, v):
    return (
        -0.5 * np.log(2 * np.pi * s**2)
        - ((x - w * m) ** 2 + w**2 * v) / (2 * s**2)
        - 0.5 * (m**2 + v - 1.0 - np.log(v))
    )


def check_elbo_1d(fn: Callable) -> CheckReport:
    """Check ``fn(x, w, s, m, v)``: the ELBO of the one-dimensional model in closed form.

    The model is ``z ~ N(0, 1)``, ``x | z ~ N(w z, s²)`` and ``q = N(m, v)``; the reference is
        L = -1/2 log(2π s²) - ((x - w m)² + w² v) / (2 s²) - 1/2 (m² + v - 1 - log v).
    The check compares it with the reference on several settings, and checks that it equals ``log p(x)`` when
    ``q`` is the exact posterior.

    Args:
        fn: the student's function; takes five floats (``s`` a standard deviation, ``v`` a variance), returns a
            float.

    Returns:
        A :class:`CheckReport`: truthy if every case matched; ✗ lines say what went wrong.

    Used in: chapter 5, exercise "The one-dimensional ELBO in code".
    """
    checker = Checker("Exercise: the ELBO of the one-dimensional model, in closed form")
    cases = [
        (1.3, 0.8, 0.5, 0.2, 0.6, "x = 1.3, w = 0.8, s = 0.5, q = N(0.2, 0.6)"),
        (-2.0, 1.5, 1.0, 0.0, 1.0, "x = -2, w = 1.5, s = 1, q = the prior N(0, 1)"),
    ]
    x, w, s = 0.7, 2.0, 0.3
    post_m, post_v = w * x / (w**2 + s**2), s**2 / (w**2 + s**2)
    cases.append((x, w, s, post_m, post_v, "q = the exact posterior: the ELBO equals log p(x)"))
    for x, w, s, m, v, what in cases:
        expected = np.asarray(_reference_elbo_1d(x, w, s, m, v))
        if "posterior" in what:
            expected = np.asarray(-0.5 * np.log(2 * np.pi * (w**2 + s**2)) - x**2 / (2 * (w**2 + s**2)))
        variants = {
            "the KL term has the wrong sign: the ELBO subtracts KL(q || p(z))": np.asarray(
                _reference_elbo_1d(x, w, s, m, v) + (m**2 + v - 1.0 - np.log(v))
            ),
            "the expected reconstruction misses w² v / (2 s²): E_q[(x - w z)²] = (x - w m)² + w² v": np.asarray(
                _reference_elbo_1d(x, w, s, m, v) + w**2 * v / (2 * s**2)
            ),
            "s is a standard deviation: the Gaussian's normalizer is -1/2 log(2π s²)": np.asarray(
                _reference_elbo_1d(x, w, np.sqrt(s), m, v)
            ),
        }
        got = checker.call_array(fn, x, w, s, m, v)
        if got is None:
            continue
        if got.size == 1:
            got = got.reshape(())
        checker.close(got, expected, what, rtol=1e-6, atol=1e-8, hint=_which(got, variants))
    return checker.report()
