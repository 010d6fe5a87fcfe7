"""PCA as an encoder-decoder, and principal angles."""

import numpy as np
import pytest

from vaebook.pca import fit_pca, principal_angles


def test_pca_on_points_with_a_known_direction():
    t = np.linspace(-1, 1, 11)
    x = np.stack([3 * t, 4 * t], axis=1) / 5 + 2.0  # on the line through (2, 2) with direction (0.6, 0.8)
    pca = fit_pca(x, 1)
    np.testing.assert_allclose(pca.components[:, 0], [0.6, 0.8], atol=1e-12)
    np.testing.assert_allclose(pca.reconstruct(x), x, atol=1e-12)
    np.testing.assert_allclose(pca.mean, [2.0, 2.0])
    np.testing.assert_allclose(pca.eigenvalues[0], np.mean(t**2))


def test_pca_error_is_the_sum_of_the_dropped_eigenvalues_and_beats_random_subspaces():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6)) * np.array([5, 3, 2, 1, 0.5, 0.2])
    pca = fit_pca(x, 2)
    np.testing.assert_allclose(pca.components.T @ pca.components, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(pca.reconstruction_error(x).mean(), pca.eigenvalues[2:].sum(), rtol=1e-10)
    xc = x - x.mean(0)
    for seed in range(5):
        q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(6, 2)))
        assert ((xc - xc @ q @ q.T) ** 2).sum(1).mean() > pca.reconstruction_error(x).mean()


def test_principal_angles():
    e = np.eye(4)
    np.testing.assert_allclose(
        principal_angles(e[:, :2], e[:, :2] @ np.array([[1.0, 2.0], [3.0, -1.0]])), 0, atol=1e-7
    )  # same span, different basis
    np.testing.assert_allclose(principal_angles(e[:, :2], e[:, 2:]), [np.pi / 2] * 2)
    tilted = np.stack([np.array([np.cos(0.3), 0, np.sin(0.3), 0]), e[:, 1]], axis=1)
    np.testing.assert_allclose(principal_angles(e[:, :2], tilted), [0.0, 0.3], atol=1e-7)


def test_bad_input():
    with pytest.raises(ValueError, match="k must be"):
        fit_pca(np.zeros((5, 3)), 4)
    with pytest.raises(ValueError, match="same number of rows"):
        principal_angles(np.zeros((3, 1)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="linearly dependent"):
        principal_angles(np.ones((3, 2)), np.eye(3)[:, :1])


def test_truncated_equals_refit():
    x = np.random.default_rng(1).normal(size=(50, 7)) * np.arange(1, 8)
    np.testing.assert_allclose(fit_pca(x, 5).truncated(2).reconstruct(x), fit_pca(x, 2).reconstruct(x), atol=1e-10)
    with pytest.raises(ValueError, match="k must be"):
        fit_pca(x, 2).truncated(3)
