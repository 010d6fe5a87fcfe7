"""vaebook.sample_metrics: energy distance against SciPy, MMD against its Gaussian closed form, mode scores."""

import numpy as np
import pytest
from scipy import stats

from vaebook import data
from vaebook.sample_metrics import energy_distance, fraction_near, mmd, mode_counts, modes_covered


def test_energy_distance_equals_scipy_in_one_dimension():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=300), rng.standard_t(3, size=200) + 0.5
    assert energy_distance(x, y) == pytest.approx(stats.energy_distance(x, y), rel=1e-9)
    assert energy_distance(x[:, None], y[:, None]) == pytest.approx(stats.energy_distance(x, y), rel=1e-9)


def test_energy_distance_is_zero_for_equal_samples_and_grows_with_a_shift():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 2))
    assert energy_distance(x, x) == pytest.approx(0.0, abs=1e-6)
    near, far = energy_distance(x, x + [0.2, 0.0]), energy_distance(x, x + [1.0, 0.0])
    assert 0 < near < far


def test_mmd_matches_the_gaussian_closed_form():
    # X ~ N(0, s^2 I), Y ~ N(m, s^2 I), RBF kernel of width h in d dimensions:
    # MMD^2 = 2 (h^2 / (h^2 + 2 s^2))^(d/2) (1 - exp(-|m|^2 / (2 (h^2 + 2 s^2))))
    rng = np.random.default_rng(2)
    s, h, d, m = 1.0, 1.0, 2, np.array([1.0, 0.5])
    x = rng.normal(size=(3000, d)) * s
    y = rng.normal(size=(3000, d)) * s + m
    c = (h**2 / (h**2 + 2 * s**2)) ** (d / 2)
    expected = 2 * c * (1 - np.exp(-m @ m / (2 * (h**2 + 2 * s**2))))
    # the V-statistic adds about 2 (1 - c) / n of bias; 3000 points keep it below the tolerance
    assert mmd(x, y, bandwidth=h) == pytest.approx(expected, rel=0.1)
    assert mmd(x, x, bandwidth=h) == pytest.approx(0.0, abs=1e-9)


def test_mode_scores_on_a_constructed_example():
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    samples = np.array([[0.1, 0.0], [0.0, -0.2], [9.8, 0.1], [5.0, 5.0], [0.05, 0.05], [10.0, 0.3]])
    np.testing.assert_array_equal(mode_counts(samples, centers, radius=0.5), [3, 2, 0])
    assert fraction_near(samples, centers, radius=0.5) == pytest.approx(5 / 6)
    # fair share 6 / 3 = 2 samples per mode: with min_share 1 a mode needs 2 samples, with 0.25 half a sample
    assert modes_covered(samples, centers, radius=0.5, min_share=1.0) == 2
    assert modes_covered(samples, centers, radius=0.5, min_share=0.25) == 2
    assert modes_covered(samples, centers, radius=8.0, min_share=0.25) == 2  # (5, 5) is nearest to no centre < 8


def test_the_ring_data_scores_as_expected():
    x, modes = data.make_ring_of_gaussians(4000, radius=2.0, std=0.1, seed=0)
    centers = data.ring_centers(radius=2.0)
    assert fraction_near(x, centers, radius=0.3) > 0.98  # 3 sigma in 2-D holds 1 - exp(-4.5) = 98.9%
    assert modes_covered(x, centers, radius=0.3) == 8
    assert modes_covered(x[modes < 3], centers, radius=0.3) == 3


def test_bad_inputs_raise_clear_errors():
    x = np.zeros((4, 2))
    with pytest.raises(ValueError, match="same dimension"):
        energy_distance(x, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="non-empty"):
        energy_distance(np.zeros((0, 2)), x)
    with pytest.raises(ValueError, match="NaN"):
        mmd(x, np.full((2, 2), np.nan), bandwidth=1.0)
    with pytest.raises(ValueError, match="bandwidth"):
        mmd(x, x, bandwidth=0.0)
    with pytest.raises(ValueError, match="radius"):
        fraction_near(x, x, radius=-1)
    with pytest.raises(ValueError, match="min_share"):
        modes_covered(x, x, radius=1.0, min_share=0)
