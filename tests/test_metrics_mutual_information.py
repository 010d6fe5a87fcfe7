"""latent_mutual_information: against a closed form, its bounds, and the ELBO-surgery identity."""

import numpy as np
import pytest

from vaebook.metrics import kl_per_dimension, latent_mutual_information


class _FixedEncoder:
    """A stand-in exposing the metrics interface: q(z|x) = N(mean[x], exp(log_var)), x an index."""

    def __init__(self, mean, log_var):
        self.mean, self.log_var = np.asarray(mean, np.float32), np.asarray(log_var, np.float32)
        self.latent_dim = self.mean.shape[1]

    def encode(self, x):
        idx = np.asarray(x, int)[:, 0]
        return self.mean[idx], self.log_var[idx]


def _indices(n):
    return np.arange(n, dtype=np.float32)[:, None]


def test_collapsed_encoder_has_zero_information():
    model = _FixedEncoder(np.zeros((200, 3)), np.zeros((200, 3)))
    assert abs(latent_mutual_information(model, _indices(200))) < 1e-9


def test_well_separated_posteriors_reach_log_n():
    n = 50
    model = _FixedEncoder(np.arange(n)[:, None] * 100.0, np.zeros((n, 1)))
    assert np.isclose(latent_mutual_information(model, _indices(n)), np.log(n), atol=1e-6)


def test_gaussian_channel_matches_its_closed_form():
    """x ~ N(0, s²) (many examples), q(z|x) = N(x, t²): I = ½ log(1 + s²/t²); the mixture estimate is biased
    low by O(1/N) only."""
    rng = np.random.default_rng(0)
    s, t, n = 2.0, 0.5, 3000
    means = rng.normal(0, s, (n, 1))
    model = _FixedEncoder(means, np.full((n, 1), np.log(t**2)))
    estimate = latent_mutual_information(model, _indices(n), seed=1)
    assert abs(estimate - 0.5 * np.log(1 + s**2 / t**2)) < 0.05
    # ELBO surgery: the average KL is I + KL(q(z) ‖ p(z)) >= I
    assert kl_per_dimension(model, _indices(n)).sum() > estimate


def test_bad_input():
    model = _FixedEncoder(np.zeros((1, 2)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="at least 2"):
        latent_mutual_information(model, _indices(1))
