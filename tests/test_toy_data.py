"""vaebook.data's two-dimensional toy distributions: ring of Gaussians and two moons."""

import numpy as np
import pytest

from vaebook import data


def test_ring_centers_lie_on_the_circle_evenly_spaced():
    c = data.ring_centers(6, radius=3.0)
    assert c.shape == (6, 2) and c.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(c, axis=1), 3.0, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(np.diff(np.r_[c, c[:1]], axis=0), axis=1), 3.0, rtol=1e-5)  # hexagon


def test_ring_of_gaussians_components_have_the_stated_mean_and_std():
    x, modes = data.make_ring_of_gaussians(16000, num_modes=4, radius=2.0, std=0.2, seed=3)
    assert x.shape == (16000, 2) and x.dtype == np.float32 and set(np.unique(modes)) == {0, 1, 2, 3}
    centers = data.ring_centers(4, 2.0)
    for k in range(4):
        np.testing.assert_allclose(x[modes == k].mean(0), centers[k], atol=0.02)
        np.testing.assert_allclose(x[modes == k].std(0), 0.2, rtol=0.05)
    assert np.array_equal(x, data.make_ring_of_gaussians(16000, num_modes=4, radius=2.0, std=0.2, seed=3)[0])


def test_two_moons_without_noise_lie_on_the_half_circles():
    x, moon = data.make_two_moons(500, noise=0.0, seed=1)
    upper, lower = x[moon == 0], x[moon == 1]
    np.testing.assert_allclose(np.linalg.norm(upper, axis=1), 1.0, rtol=1e-5)
    assert np.all(upper[:, 1] >= -1e-6)
    np.testing.assert_allclose(np.linalg.norm(lower - [1.0, 0.5], axis=1), 1.0, rtol=1e-5)
    assert np.all(lower[:, 1] <= 0.5 + 1e-6)
    noisy, _ = data.make_two_moons(500, noise=0.1, seed=1)
    assert 0.05 < np.std(noisy - x) < 0.15


def test_bad_arguments():
    with pytest.raises(ValueError, match="n must be a positive integer"):
        data.make_ring_of_gaussians(0)
    with pytest.raises(ValueError, match="std"):
        data.make_ring_of_gaussians(10, std=0)
    with pytest.raises(ValueError, match="num_modes"):
        data.ring_centers(0)
    with pytest.raises(ValueError, match="radius"):
        data.ring_centers(3, radius=-1)
    with pytest.raises(ValueError, match="noise"):
        data.make_two_moons(10, noise=-0.1)
