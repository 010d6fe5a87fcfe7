"""Exercise checks of chapter 9 (Discrete latents: VQ-VAE)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaebook.exercises._checking import Checker, CheckReport, _to_numpy, _which

__all__ = ["check_code_perplexity", "check_nearest_code", "nearest_code_reference"]


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


def _reference_perplexity(indices: np.ndarray, num_codes: int) -> float:
    p = np.bincount(np.ravel(indices), minlength=num_codes) / np.size(indices)
    p = p[p > 0]
    return float(np.exp(-np.sum(p * np.log(p))))


def check_code_perplexity(fn: Callable[[np.ndarray, int], float]) -> CheckReport:
    """Check a student's ``code_perplexity(indices, num_codes)``: ``exp(-Σ_k p_k log p_k)`` of the code histogram.

    ``indices`` is an integer array of any shape with values in ``[0, num_codes)``; ``p_k`` is the fraction of its
    entries equal to ``k``. The result is 1 when one code is used and ``num_codes`` when all are used equally.
    Explains the usual mistakes: returning the entropy, mixing bases (``exp`` of bits), and ``0 log 0`` giving NaN.

    Used in: chapter 9, exercise "Perplexity of code usage".
    """
    checker = Checker("Exercise: the perplexity of code usage")
    rng = np.random.default_rng(4)
    skewed = rng.choice(8, size=(16, 7, 7), p=[0.4, 0.2, 0.15, 0.1, 0.1, 0.05, 0.0, 0.0])
    cases = [
        ("every code used equally (8 codes): perplexity 8", np.tile(np.arange(8), 10), 8),
        ("a single code used: perplexity 1", np.full((4, 7, 7), 3), 8),
        ("a skewed grid of codes (16 x 7 x 7), two codes unused", skewed, 8),
    ]
    for what, indices, k in cases:
        expected = np.asarray(_reference_perplexity(indices, k))
        p = np.bincount(np.ravel(indices), minlength=k) / np.size(indices)
        entropy = float(-np.sum(p[p > 0] * np.log(p[p > 0])))
        variants = {
            "that is the entropy H; the perplexity is exp(H)": np.asarray(entropy),
            "you mixed bases: exp of an entropy in bits (log2); use np.log with exp, or np.log2 with 2**": np.asarray(
                np.exp(entropy / np.log(2.0))
            ),
            "that is the number of codes used, not the perplexity": np.asarray(float(np.count_nonzero(p))),
        }
        got = checker.call_array(fn, indices.copy(), k)
        if got is None:
            continue
        if got.size == 1:
            got = got.reshape(())
        hint = _which(got, variants) if not np.isclose(float(expected), float(np.count_nonzero(p))) else ""
        if got.shape == () and not np.isfinite(got):
            hint = "unused codes give 0 log 0: skip them (their term is 0), do not compute log 0"
        checker.close(got, expected, what, rtol=1e-6, atol=1e-9, hint=hint)
    return checker.report()
