"""Chapter 11's autograded checks pass right answers, explain typical wrong ones and survive broken code."""

import keras
import numpy as np

from vaebook.exercises import check_fixed_point_multiply, check_recall_at_false_positive_rate


def _recall(labels, scores, alpha):
    normal = np.sort(scores[labels == 0])[::-1]
    return float(np.mean(scores[labels == 1] > normal[int(np.floor(alpha * len(normal) + 1e-9))]))


def test_recall_correct_numpy_and_keras():
    assert check_recall_at_false_positive_rate(_recall)
    assert check_recall_at_false_positive_rate(lambda labels, s, a: keras.ops.convert_to_tensor(_recall(labels, s, a)))


def test_recall_typical_mistakes():
    text = str(check_recall_at_false_positive_rate(lambda labels, s, a: 100 * _recall(labels, s, a)))
    assert "not a percentage" in text

    def greater_equal(labels, scores, alpha):
        normal = np.sort(scores[labels == 0])[::-1]
        return float(np.mean(scores[labels == 1] >= normal[int(alpha * len(normal))]))

    assert "strictly above" in str(check_recall_at_false_positive_rate(greater_equal))

    def all_scores_quantile(labels, scores, alpha):  # threshold from every score, not the normals only
        return float(np.mean(scores[labels == 1] > np.quantile(scores, 1 - alpha)))

    assert not check_recall_at_false_positive_rate(all_scores_quantile)


def test_recall_survives_broken_code():
    def broken(labels, scores, alpha):
        raise NotImplementedError("write recall_at_fpr")

    report = check_recall_at_false_positive_rate(broken)
    assert not report and "NotImplementedError" in str(report)
    assert "returned None" in str(check_recall_at_false_positive_rate(lambda labels, s, a: None))
    assert "one number" in str(check_recall_at_false_positive_rate(lambda labels, s, a: s))
    assert "NaN" in str(check_recall_at_false_positive_rate(lambda labels, s, a: float("nan")))
    assert not check_recall_at_false_positive_rate(lambda labels, s, a: "high")


def _multiply(a, b):
    return np.clip((a * b + 2048) >> 12, -32768, 32767)


def test_fixed_point_correct():
    assert check_fixed_point_multiply(_multiply)


def test_fixed_point_typical_mistakes():
    assert "shift it right by 12" in str(check_fixed_point_multiply(lambda a, b: a * b))
    assert "add half a unit" in str(check_fixed_point_multiply(lambda a, b: np.clip((a * b) >> 12, -32768, 32767)))
    assert "saturate" in str(check_fixed_point_multiply(lambda a, b: (a * b + 2048) >> 12))
    assert "return integers" in str(check_fixed_point_multiply(lambda a, b: a * b / 4096.0))


def test_fixed_point_survives_broken_code():
    report = check_fixed_point_multiply(lambda a, b: (_ for _ in ()).throw(NotImplementedError()))
    assert not report and "NotImplementedError" in str(report)
    assert "returned None" in str(check_fixed_point_multiply(lambda a, b: None))
    assert "shape" in str(check_fixed_point_multiply(lambda a, b: _multiply(a, b)[:3]))
    assert "NaN" in str(check_fixed_point_multiply(lambda a, b: np.full(a.shape, np.nan)))
