import numpy as np

from vaebook.exercises import Checker, CheckReport


def test_a_correct_function_passes():
    checker = Checker("square")
    checker.close(checker.call(lambda x: x**2, np.arange(3.0)), [0.0, 1.0, 4.0], "squares")
    report = checker.report()
    assert isinstance(report, CheckReport) and report and "All checks passed" in str(report)


def test_broken_code_is_explained_not_raised():
    checker = Checker("square")
    checker.close(checker.call(lambda x: x.nope, np.arange(3.0)), [0.0, 1.0, 4.0], "squares")
    report = checker.report()
    assert not report
    assert "AttributeError" in str(report) and "no result" in str(report)


def test_wrong_shape_and_value_are_named():
    checker = Checker("square")
    checker.close(np.zeros(2), np.zeros(3), "shape case")
    checker.close(np.array([0.0, 1.0, 5.0]), [0.0, 1.0, 4.0], "value case", hint="square, don't add")
    checker.close(np.array([np.nan]), [1.0], "nan case")
    checker.close("text", [1.0], "type case")
    text = str(checker.report())
    assert "shape (2,), expected (3,)" in text
    assert "got 5 where 4 was expected — square, don't add" in text
    assert "NaN" in text and "not an array" in text


def test_not_callable():
    checker = Checker("x")
    assert checker.call(3) is None and "expected a function" in str(checker.report())


def test_empty_report_is_not_a_pass():
    assert not Checker("nothing checked").report()


def test_call_array_converts_or_explains():
    checker = Checker("arrays")
    np.testing.assert_array_equal(checker.call_array(lambda: [1, 2]), [1.0, 2.0])
    assert checker.call_array(lambda: {"a": 1}) is None
    assert checker.call_array(lambda: 1 / 0) is None
    text = str(checker.report())
    assert "dict, not an array of numbers" in text and "ZeroDivisionError" in text
