"""Exercise checks of the appendix "Scaling up" (many devices, sharded files)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaebook.exercises._checking import Checker, CheckReport

__all__ = ["check_merge_log_mean_exp", "merge_log_mean_exp_reference", "check_shard_ranges", "shard_ranges_reference"]


def _call(checker: Checker, fn: Callable, *args) -> np.ndarray | None:
    """Student code's result as a float64 array, or None after a ✗ line (raised, returned None, not numbers)."""
    before = len(checker.report().lines)
    out = checker.call_array(fn, *args)
    if out is None and len(checker.report().lines) == before:
        checker.fail("your function returned None — does it end with `return ...`?")
    return out


# --- Exercise A.1: merging per-device log-mean-exps -----------------------------------------------------------


def merge_log_mean_exp_reference(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """log( Σ_d n_d exp(v_d) / Σ_d n_d ) over devices d, stably: the log-mean-exp of all samples together.

    Args:
        values: (D, N) array, device d's log-mean-exp over its own n_d samples, for each of N examples.
        counts: (D,) array of the numbers of samples n_d.

    Returns:
        (N,) array.
    """
    values = np.asarray(values, np.float64)
    counts = np.asarray(counts, np.float64)
    m = np.max(values, axis=0)
    m = np.where(np.isfinite(m), m, 0.0)
    return m + np.log(np.sum(counts[:, None] * np.exp(values - m), axis=0)) - np.log(np.sum(counts))


def _lme(a: np.ndarray) -> np.ndarray:
    m = a.max(axis=1, keepdims=True)
    return (m + np.log(np.mean(np.exp(a - m), axis=1, keepdims=True)))[:, 0]


def _merge_cases():
    """(description, values, counts, expected); expected is the log-mean-exp of all samples, computed directly."""
    rng = np.random.default_rng(16)
    for what, counts, offset, spread in [
        ("2 devices, 50 samples each", [50, 50], -95.0, 3.0),
        ("3 devices with 10, 30 and 60 samples", [10, 30, 60], -95.0, 3.0),
        ("log-weights near -3000 nats (a large image)", [20, 20, 40], -3000.0, 4.0),
        ("one device", [25], -60.0, 2.0),
    ]:
        log_w = offset + spread * rng.standard_normal((5, sum(counts)))  # 5 examples, all their samples
        bounds = np.cumsum([0] + counts)
        values = np.stack([_lme(log_w[:, a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)])  # (D, 5)
        yield what, values, np.array(counts), _lme(log_w)


def check_merge_log_mean_exp(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> CheckReport:
    """Check a student's ``merge_log_mean_exp(values, counts)``: per-device log-mean-exps → the overall one.

    ``values`` has shape (D, N): device d's log-mean-exp of its own n_d importance weights, for N examples;
    ``counts`` has shape (D,). The answer, shape (N,), must equal the log-mean-exp of all Σ n_d weights, which the
    check computes directly from the samples. Explains the usual mistakes: averaging the logs (Jensen), ignoring
    the counts, exponentiating without subtracting the maximum (underflow to −inf), the wrong shape, and code that
    raises or returns nothing.

    Used in: appendix "Scaling up", exercise "Merging log-mean-exps across devices".
    """
    checker = Checker("Exercise A.1: merging log-mean-exps across devices")
    for what, values, counts, expected in _merge_cases():
        got = _call(checker, fn, values.copy(), counts.copy())
        if got is None:
            return checker.report()
        if got.shape != expected.shape:
            checker.fail(
                f"{what}: shape {got.shape}, expected {expected.shape} (one value per example: reduce over "
                "the device axis 0)"
            )
            continue
        if not np.all(np.isfinite(got)):
            checker.fail(
                f"{what}: the result contains NaN or inf — exp of numbers near {values.max():.0f} "
                "underflows to 0; subtract the maximum over devices before exponentiating"
            )
            continue
        if np.allclose(got, expected, rtol=1e-9, atol=1e-6):
            checker.ok(f"{what}: equals the log-mean-exp of all samples")
        elif np.allclose(got, values.mean(axis=0), atol=1e-6):
            checker.fail(
                f"{what}: you averaged the logs; by Jensen's inequality that is lower than the log of the "
                "average — average the weights exp(v_d), then take the log"
            )
        elif len(counts) > 1 and np.allclose(
            got, merge_log_mean_exp_reference(values, np.ones_like(counts)), atol=1e-6
        ):
            checker.fail(
                f"{what}: every device counts the same, but they hold {counts.tolist()} samples — weight "
                "device d by its number of samples n_d"
            )
        else:
            worst = int(np.argmax(np.abs(got - expected)))
            checker.fail(f"{what}: example {worst} got {got[worst]:.6f}, expected {expected[worst]:.6f}")
    return checker.report()


# --- Exercise A.2: splitting N examples into balanced shards --------------------------------------------------


def shard_ranges_reference(n: int, num_shards: int) -> list[tuple[int, int]]:
    """Contiguous ``(start, stop)`` ranges (stop exclusive) that split ``range(n)`` into ``num_shards`` shards whose
    sizes differ by at most one: the first ``n % num_shards`` shards hold one example more."""
    sizes = [n // num_shards + (i < n % num_shards) for i in range(num_shards)]
    stops = np.cumsum(sizes)
    return [(int(stop - size), int(stop)) for size, stop in zip(sizes, stops, strict=True)]


def check_shard_ranges(fn: Callable[[int, int], list]) -> CheckReport:
    """Check a student's ``shard_ranges(n, num_shards)``: ``num_shards`` pairs ``(start, stop)``, stop exclusive, that
    cover ``range(n)`` in order without gaps or overlaps, with sizes that differ by at most one.

    Explains the usual mistakes: dropping the remainder ``n % num_shards``, giving the whole remainder to the last
    shard, inclusive stops, the wrong number of shards, and code that raises or returns nothing.

    Used in: appendix "Scaling up", exercise "Balanced shards".
    """
    checker = Checker("Exercise A.2: balanced shards")
    for n, num_shards in [(12, 4), (10, 3), (60000, 7), (1000, 16), (5, 5)]:
        what = f"n={n}, {num_shards} shards"
        got = _call(checker, fn, n, num_shards)
        if got is None:
            return checker.report()
        if got.shape != (num_shards, 2):
            checker.fail(f"{what}: shape {got.shape}, expected ({num_shards}, 2): one (start, stop) pair per shard")
            continue
        if not np.all(np.isfinite(got)) or not np.all(got == np.round(got)):
            checker.fail(f"{what}: starts and stops must be whole numbers")
            continue
        starts, stops = got[:, 0].astype(int), got[:, 1].astype(int)
        sizes = stops - starts
        if np.all(starts[1:] == stops[:-1] + 1):
            checker.fail(
                f"{what}: shard {1} starts at {starts[1]}, one after the previous stop {stops[0]} — stops "
                "are exclusive, as in x[start:stop]; the next shard starts at the previous stop"
            )
        elif starts[0] != 0 or not np.all(starts[1:] == stops[:-1]):
            bad = 0 if starts[0] != 0 else 1 + int(np.argmax(starts[1:] != stops[:-1]))
            checker.fail(
                f"{what}: shard {bad} starts at {starts[bad]}; the shards must follow each other from 0, "
                "each starting where the previous one stops"
            )
        elif stops[-1] < n:
            checker.fail(
                f"{what}: the shards stop at {stops[-1]}, so the last {n - stops[-1]} examples are in no "
                f"shard — the remainder n % num_shards = {n % num_shards} must be spread over the shards"
            )
        elif stops[-1] > n:
            checker.fail(f"{what}: the last shard stops at {stops[-1]}, past n = {n}")
        elif sizes.max() - sizes.min() > 1:
            checker.fail(
                f"{what}: sizes from {sizes.min()} to {sizes.max()} — give one extra example to each of "
                f"the first {n % num_shards} shards instead of all to one, so every reader has equal work"
            )
        else:
            checker.ok(f"{what}: contiguous, complete, sizes {sizes.min()}–{sizes.max()}")
    return checker.report()
