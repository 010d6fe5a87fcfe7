"""The appendix's exercise checks: correct solutions pass, typical mistakes are explained, broken code is reported."""

import numpy as np

from vaebook.exercises import (
    check_merge_log_mean_exp,
    check_shard_ranges,
    merge_log_mean_exp_reference,
    shard_ranges_reference,
)


def test_correct_merges_pass():
    assert check_merge_log_mean_exp(merge_log_mean_exp_reference)

    def via_logaddexp(values, counts):  # another correct route: log Σ exp(v_d + log n_d) − log Σ n_d
        return np.logaddexp.reduce(values + np.log(counts)[:, None], axis=0) - np.log(np.sum(counts))

    assert check_merge_log_mean_exp(via_logaddexp)


def test_merge_mistakes_are_explained():
    report = check_merge_log_mean_exp(lambda v, n: v.mean(axis=0))
    assert not report and "Jensen" in str(report)
    report = check_merge_log_mean_exp(lambda v, n: merge_log_mean_exp_reference(v, np.ones_like(n)))
    assert not report and "number of samples" in str(report)
    with np.errstate(all="ignore"):
        report = check_merge_log_mean_exp(lambda v, n: np.log((n[:, None] * np.exp(v)).sum(0) / n.sum()))
    assert not report and "subtract the maximum" in str(report)
    report = check_merge_log_mean_exp(lambda v, n: merge_log_mean_exp_reference(v, n)[None])
    assert not report and "shape" in str(report)


def test_broken_merges_are_reported_without_a_traceback():
    def broken(values, counts):
        raise NotImplementedError("write merge_log_mean_exp")

    report = check_merge_log_mean_exp(broken)
    assert not report and "NotImplementedError" in str(report)
    report = check_merge_log_mean_exp(lambda v, n: None)
    assert not report and "returned None" in str(report)
    assert not check_merge_log_mean_exp(lambda v, n: "abc")
    assert not check_merge_log_mean_exp(lambda v, n: np.full(v.shape[1], np.nan))
    assert not check_merge_log_mean_exp(3)


def test_reference_shards_are_balanced_and_complete():
    for n, s in [(12, 4), (10, 3), (7, 7), (60000, 7)]:
        ranges = shard_ranges_reference(n, s)
        covered = np.concatenate([np.arange(a, b) for a, b in ranges])
        assert np.array_equal(covered, np.arange(n))
        sizes = [b - a for a, b in ranges]
        assert max(sizes) - min(sizes) <= 1 and len(ranges) == s


def test_correct_shards_pass():
    assert check_shard_ranges(shard_ranges_reference)

    def via_array_split(n, s):
        return [(int(p[0]), int(p[-1]) + 1) for p in np.array_split(np.arange(n), s)]

    assert check_shard_ranges(via_array_split)


def test_shard_mistakes_are_explained():
    def drops_remainder(n, s):
        size = n // s
        return [(i * size, (i + 1) * size) for i in range(s)]

    report = check_shard_ranges(drops_remainder)
    assert not report and "in no shard" in str(report)

    def remainder_to_last(n, s):
        size = n // s
        return [(i * size, (i + 1) * size if i < s - 1 else n) for i in range(s)]

    report = check_shard_ranges(remainder_to_last)
    assert not report and "extra example" in str(report)

    report = check_shard_ranges(lambda n, s: [(a, b - 1) for a, b in shard_ranges_reference(n, s)])
    assert not report and "exclusive" in str(report)
    report = check_shard_ranges(lambda n, s: [(a, b + 1) for a, b in shard_ranges_reference(n, s)])  # overlapping
    assert not report and "each starting where the previous one stops" in str(report)
    report = check_shard_ranges(lambda n, s: shard_ranges_reference(n, s)[:-1])
    assert not report and "shape" in str(report)


def test_broken_shards_are_reported_without_a_traceback():
    def broken(n, s):
        raise ValueError("write shard_ranges")

    report = check_shard_ranges(broken)
    assert not report and "ValueError" in str(report)
    report = check_shard_ranges(lambda n, s: None)
    assert not report and "returned None" in str(report)
    assert not check_shard_ranges(lambda n, s: [("a", "b")] * s)
