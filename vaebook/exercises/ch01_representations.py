"""Autograded exercises of chapter 1, "Representation learning: why encode, why generate"."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaebook.exercises._checking import Checker, CheckReport

__all__ = ["check_components_for_variance", "check_pca_reconstruction", "pca_reconstruction_reference"]


def pca_reconstruction_reference(x_train: np.ndarray, x: np.ndarray, k: int) -> np.ndarray:
    """PCA with ``k`` components fitted on ``x_train`` (rows are examples), applied to ``x``: x̂ = μ + W Wᵀ (x − μ)."""
    x_train = np.asarray(x_train, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if x_train.ndim != 2 or x.ndim != 2 or x_train.shape[1] != x.shape[1]:
        raise ValueError(
            f"x_train and x must be 2-D with the same number of columns; got {x_train.shape} and {x.shape}."
        )
    if not 1 <= k <= min(x_train.shape):
        raise ValueError(f"k must be between 1 and {min(x_train.shape)}; got {k}.")
    mean = x_train.mean(axis=0)
    _, _, vt = np.linalg.svd(x_train - mean, full_matrices=False)
    w = vt[:k].T  # (D, k): the top-k principal directions as columns
    return mean + (x - mean) @ w @ w.T


def check_pca_reconstruction(pca_reconstruct: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> CheckReport:
    """Check a student's ``pca_reconstruct(x_train, x, k)`` against the reference on three small problems.

    The student's function must centre with the *training* mean, project onto the top ``k`` principal directions
    of the training data, and map back. The check explains the usual mistakes: forgetting to centre, forgetting to
    add the mean back, using the wrong number of components, using the data of ``x`` instead of ``x_train``.

    Returns:
        A :class:`~vaebook.exercises.CheckReport`; print it, or use it as a bool.
    """
    checker = Checker("Exercise: PCA in five lines — pca_reconstruct(x_train, x, k)")
    rng = np.random.default_rng(1)
    # Data with distinct variances along random directions, far from the origin (so centring matters).
    basis = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    x_train = rng.normal(size=(200, 6)) * np.array([5.0, 3.0, 2.0, 1.0, 0.5, 0.2]) @ basis.T + 10.0
    x_new = rng.normal(size=(20, 6)) * np.array([5.0, 3.0, 2.0, 1.0, 0.5, 0.2]) @ basis.T + 10.0
    for k in (1, 3):
        expected = pca_reconstruction_reference(x_train, x_new, k)
        actual = checker.call(pca_reconstruct, x_train.copy(), x_new.copy(), k)
        if actual is not None and np.shape(actual) == expected.shape:
            a = np.asarray(actual, dtype=np.float64)
            if np.allclose(a, expected - x_train.mean(0), atol=1e-4):
                checker.fail(
                    f"k={k}: your reconstruction is off by exactly the mean — add the mean back: x̂ = μ + W Wᵀ (x − μ)"
                )
                continue
            if np.allclose(a, pca_reconstruction_reference(x_new, x_new, k), atol=1e-4):
                checker.fail(f"k={k}: you fitted the principal directions on x, not on x_train")
                continue
            for other in (k - 1, k + 1):
                if 1 <= other <= 6 and np.allclose(a, pca_reconstruction_reference(x_train, x_new, other), atol=1e-4):
                    checker.fail(f"k={k}: your reconstruction uses {other} components instead of {k}")
                    break
            else:
                checker.close(
                    a,
                    expected,
                    f"k={k}: reconstructions of 20 new points match the reference",
                    rtol=1e-4,
                    atol=1e-4,
                    hint="centre with the training mean and use the top-k right singular vectors",
                )
        else:
            checker.close(
                actual,
                expected,
                f"k={k}: reconstructions of 20 new points",
                hint="return an array of shape (n_points, n_features)",
            )
    full = checker.call(pca_reconstruct, x_train.copy(), x_new.copy(), 6)
    checker.close(
        full,
        x_new,
        "k = all 6 components reconstructs exactly",
        rtol=1e-6,
        atol=1e-6,
        hint="with every component, W Wᵀ is the identity",
    )
    return checker.report()


def _reference_components_for_variance(x_train: np.ndarray, fraction: float) -> int:
    centred = x_train - x_train.mean(axis=0)
    eigenvalues = np.linalg.svd(centred, compute_uv=False) ** 2
    explained = np.cumsum(eigenvalues) / eigenvalues.sum()
    return int(np.searchsorted(explained, fraction - 1e-12) + 1)


def check_components_for_variance(components_for_variance: Callable[[np.ndarray, float], int]) -> CheckReport:
    """Check ``components_for_variance(x_train, fraction)``: the smallest ``d`` whose PCA keeps ``fraction`` of the
    variance of ``x_train`` (rows are examples).

    The variance kept by the top ``d`` principal directions is the sum of the ``d`` largest eigenvalues of the
    covariance of the *centred* data; the answer is the smallest ``d`` with kept / total ≥ ``fraction``. The check
    explains the usual mistakes: not centring, an off-by-one (an index instead of a count), eigenvalues in
    ascending order.

    Args:
        components_for_variance: the student's function; takes a 2-D NumPy array and a fraction in (0, 1], returns
            an integer.

    Returns:
        A :class:`CheckReport`; never raises because of the student's code.

    Used in: chapter 1, exercise "How many components keep 90 % of the variance?".
    """
    checker = Checker("Exercise: how many principal components keep a fraction of the variance")
    rng = np.random.default_rng(21)
    basis = np.linalg.qr(rng.normal(size=(8, 8)))[0]
    scales = np.array([6.0, 4.0, 3.0, 2.0, 1.0, 0.7, 0.4, 0.2])
    x_train = rng.normal(size=(300, 8)) * scales @ basis.T + 5.0  # far from the origin: centring matters
    centred = x_train - x_train.mean(axis=0)
    eigenvalues = np.linalg.svd(centred, compute_uv=False) ** 2
    raw = np.linalg.svd(x_train, compute_uv=False) ** 2
    for fraction in (0.5, 0.9, 0.99, 1.0):
        expected = _reference_components_for_variance(x_train, fraction)
        got = checker.call_array(components_for_variance, x_train.copy(), fraction)
        if got is None:
            continue
        if got.size != 1 or not np.isfinite(got).all():
            checker.fail(f"fraction {fraction}: expected one whole number, got an array of shape {got.shape}")
            continue
        value = float(got.reshape(()))
        hint = ""
        if value == int(np.searchsorted(np.cumsum(raw) / raw.sum(), fraction - 1e-12) + 1):
            hint = "centre the data first: the variance is measured around the mean"
        elif value == int(np.searchsorted(np.cumsum(eigenvalues[::-1]) / eigenvalues.sum(), fraction - 1e-12) + 1):
            hint = "sort the eigenvalues from the largest down"
        elif value == expected - 1:
            hint = "off by one: return the number of components (an index + 1)"
        checker.check(
            value == expected,
            f"fraction {fraction}: d = {expected}"
            if value == expected
            else f"fraction {fraction}: got d = {value:g}, expected {expected}",
            hint,
        )
    return checker.report()
