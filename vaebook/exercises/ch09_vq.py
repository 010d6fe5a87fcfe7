"""Exercise checks of chapter 9 (Discrete latents: VQ-VAE)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from vaebook.exercises._checking import Checker, CheckReport, _to_numpy

__all__ = ["check_nearest_code", "nearest_code_reference"]


def nearest_code_reference(z: np.ndarray, codebook: np.ndarray) -> np.ndarray:
    """Index of the nearest code for each row of ``z`` (a reference for tests; the notebook does not show it)."""
    d = (z**2).sum(1, keepdims=True) - 2 * z @ codebook.T + (codebook**2).sum(1)[None, :]
    return d.argmin(1)


def _cases():
    rng = np.random.default_rng(9)
    codebook = rng.normal(size=(6, 3)) * np.array([[0.2], [3.0], [1.0], [0.5], [2.0], [1.5]])  # unequal norms
    z = rng.normal(size=(40, 3))
    yield "40 vectors, 6 codes of unequal length", z, codebook
    yield "a vector equal to a code", codebook[[3, 1]], codebook
    yield "one-dimensional vectors", np.array([[0.1], [0.9], [2.4]]), np.array([[0.0], [1.0], [2.0], [3.0]])


def check_nearest_code(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> CheckReport:
    """Check a student's ``nearest_code(z, codebook)``: ``(N, D)`` vectors, ``(K, D)`` codes → ``(N,)`` indices.

    Explains the usual mistakes: argmax instead of argmin, a dot-product similarity that forgets ``‖e_k‖²``,
    returning the code vectors instead of their indices, and code that raises.

    Used in: chapter 9, section "Exercises".
    """
    checker = Checker("Exercise 9.1: nearest-code lookup")
    for what, z, codebook in _cases():
        out = checker.call(fn, z.copy(), codebook.copy())
        if out is None:
            return checker.report()
        try:
            got = np.asarray(_to_numpy(out))
        except Exception:
            checker.fail(f"{what}: the result is a {type(out).__name__}, not an array of indices")
            return checker.report()
        expected = nearest_code_reference(z, codebook)
        if got.shape == (len(z), z.shape[1]) and got.shape != expected.shape:
            checker.fail(f"{what}: shape {got.shape} — you returned the code vectors; return their indices (N,)")
            continue
        if got.shape != expected.shape:
            checker.fail(f"{what}: shape {got.shape}, expected {expected.shape} (one index per row of z)")
            continue
        if not np.issubdtype(got.dtype, np.integer) and not np.all(got == np.round(got)):
            checker.fail(f"{what}: indices must be whole numbers; got {got.dtype} values such as {got.ravel()[0]}")
            continue
        distances = ((z[:, None, :] - codebook[None]) ** 2).sum(-1)
        if np.array_equal(got, expected):
            checker.ok(f"{what}: every index is the nearest code")
        elif np.array_equal(got, distances.argmax(1)):
            checker.fail(f"{what}: you picked the farthest code — use argmin of the distance, not argmax")
        elif np.array_equal(got, (z @ codebook.T).argmax(1)):
            checker.fail(
                f"{what}: the largest dot product z·e is not the nearest code when codes differ in "
                "length — the squared distance is ‖z‖² − 2 z·e + ‖e‖²; keep the ‖e‖² term"
            )
        else:
            wrong = int(np.argmax(got != expected))
            checker.fail(
                f"{what}: row {wrong} got code {got[wrong]}, but code {expected[wrong]} is nearer "
                f"(squared distances {distances[wrong, int(got[wrong]) % len(codebook)]:.3f} vs "
                f"{distances[wrong, expected[wrong]]:.3f})"
            )
    return checker.report()
