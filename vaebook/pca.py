"""Principal component analysis as an encoder–decoder pair, and principal angles between subspaces.

PCA with ``k`` components is the linear encoder–decoder with the smallest squared reconstruction error: the encoder
``z = Uᵀ (x − m)`` projects onto the ``k`` leading eigenvectors ``U`` (orthonormal columns) of the data's
covariance matrix, and the decoder ``x' = U z + m`` is its transpose (Pearson, 1901).
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["PCA", "fit_pca", "principal_angles"]


def _as_matrix(x, name: str = "x") -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2 or x.shape[0] < 1:
        raise ValueError(f"{name} must have shape (N, ...) with N >= 1 examples; got {x.shape}.")
    return x.reshape(len(x), -1)


@dataclasses.dataclass
class PCA:
    """A fitted PCA: the mean ``m`` (shape ``(D,)``), the components ``U`` (shape ``(D, k)``, orthonormal columns,
    leading first) and the eigenvalues of the covariance matrix (all ``min(N, D)`` of them, descending)."""

    mean: np.ndarray
    components: np.ndarray
    eigenvalues: np.ndarray

    @property
    def k(self) -> int:
        return self.components.shape[1]

    def truncated(self, k: int) -> PCA:
        """The PCA with only the ``k`` leading components (no refit: the components are nested).

        Raises:
            ValueError: if ``k`` is not in ``[1, self.k]``.
        """
        if isinstance(k, bool) or int(k) != k or not 1 <= k <= self.k:
            raise ValueError(f"k must be an integer in [1, {self.k}]; got {k!r}.")
        return PCA(mean=self.mean, components=self.components[:, : int(k)], eigenvalues=self.eigenvalues)

    def encode(self, x) -> np.ndarray:
        """``z = Uᵀ (x − m)``, shape ``(N, k)``."""
        return (_as_matrix(x) - self.mean) @ self.components

    def decode(self, z) -> np.ndarray:
        """``x' = U z + m``, shape ``(N, D)`` (reshape to images yourself)."""
        return np.asarray(z, dtype=np.float64) @ self.components.T + self.mean

    def reconstruct(self, x) -> np.ndarray:
        """``decode(encode(x))`` in the shape of ``x``."""
        x = np.asarray(x)
        return self.decode(self.encode(x)).reshape(x.shape)

    def reconstruction_error(self, x) -> np.ndarray:
        """Squared error of each example, summed over its entries, shape ``(N,)``."""
        flat = _as_matrix(x)
        return ((flat - self.decode(self.encode(flat))) ** 2).sum(axis=1)


def fit_pca(x, k: int) -> PCA:
    """PCA of the rows of ``x`` (each example flattened), by the SVD of the centred data.

    The covariance is ``C = Xcᵀ Xc / N`` (the maximum-likelihood normalisation, so the eigenvalues are the variances
    along the components). Each component's sign is fixed so that its largest-magnitude entry is positive (the SVD
    leaves it arbitrary).

    Args:
        x: array of shape ``(N, ...)``.
        k: number of components, ``1 <= k <= min(N, D)``.

    Returns:
        A :class:`PCA`.

    Raises:
        ValueError: if ``k`` is out of range.
    """
    flat = _as_matrix(x)
    n, d = flat.shape
    if isinstance(k, bool) or int(k) != k or not 1 <= k <= min(n, d):
        raise ValueError(f"k must be an integer in [1, min(N, D)] = [1, {min(n, d)}]; got {k!r}.")
    mean = flat.mean(axis=0)
    _, s, vt = np.linalg.svd(flat - mean, full_matrices=False)
    components = vt[: int(k)].T
    signs = np.sign(components[np.argmax(np.abs(components), axis=0), np.arange(int(k))])
    return PCA(mean=mean, components=components * signs, eigenvalues=s**2 / n)


def principal_angles(a, b) -> np.ndarray:
    """Principal angles between the column spaces of ``a`` and ``b`` (Björck & Golub, 1973), in radians.

    Both spaces are orthonormalised (QR); the cosines of the angles are the singular values of ``Qaᵀ Qb``. All
    angles are 0 exactly when the two spaces are the same, whatever bases span them.

    Args:
        a: array of shape ``(D, k)``, columns spanning the first subspace.
        b: array of shape ``(D, l)``.

    Returns:
        ``min(k, l)`` angles in ``[0, π/2]``, ascending.

    Raises:
        ValueError: if the arrays are not 2-D with the same number of rows, or a basis is rank-deficient.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must be 2-D with the same number of rows; got {a.shape} and {b.shape}.")
    bases = []
    for name, m in (("a", a), ("b", b)):
        q, r = np.linalg.qr(m)
        diag = np.abs(np.diag(r))
        if diag.min() <= 1e-10 * max(diag.max(), 1e-300):
            raise ValueError(f"the columns of {name} are linearly dependent; they do not span a {m.shape[1]}-D space.")
        bases.append(q)
    cosines = np.clip(np.linalg.svd(bases[0].T @ bases[1], compute_uv=False), -1.0, 1.0)
    return np.sort(np.arccos(cosines))
