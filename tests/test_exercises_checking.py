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


def _skeleton(x):
    raise NotImplementedError("write square")


def _divides(x):
    return x / 0


def test_a_raise_names_its_line_and_says_the_message_once():
    checker = Checker("square")
    checker.call(_skeleton, 1.0)
    checker.call(_divides, 1)
    checker.call(lambda x: x.nope, 1.0)
    (_, skeleton), (_, divides), (_, attribute) = checker.report().lines
    line = _skeleton.__code__.co_firstlineno + 1
    # The skeleton's own raise: its source line would only repeat the message.
    assert skeleton == f"your function raised NotImplementedError at line {line}: write square"
    # Any other failing line is shown, after the message.
    line = _divides.__code__.co_firstlineno + 1
    assert divides == f"your function raised ZeroDivisionError: division by zero (line {line}: return x / 0)"
    assert attribute.startswith("your function raised AttributeError: 'float' object has no attribute 'nope' (line ")


def test_a_raise_in_another_process_is_reported_the_same_way():
    # tools/grading runs the function in the student's kernel and sends back where it failed
    checker = Checker("square")
    for where in ('line 6: raise NotImplementedError("write square")', ""):
        err = NotImplementedError("write square")
        err.student_where = where
        checker.call(lambda e=err: (_ for _ in ()).throw(e))
    (_, remote), (_, nowhere) = checker.report().lines
    assert remote == "your function raised NotImplementedError at line 6: write square"
    assert nowhere == "your function raised NotImplementedError: write square"


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


# Every check_* function of the package, so that a new one is covered without editing this file.
import time  # noqa: E402

import pytest  # noqa: E402

import vaebook.exercises as _exercises  # noqa: E402

CHECKS = sorted(name for name in dir(_exercises) if name.startswith("check_"))


def _returns_none(*args, **kwargs):
    return None


def _raises(*args, **kwargs):
    raise RuntimeError("student bug")


def _loops_forever(*args, **kwargs):
    while True:
        time.sleep(0.01)


def _returns_nan(*args, **kwargs):
    return np.full((4, 3), np.nan)


def _assert_explained(report, *needles):
    """The report fails, and its text has a ✗ line containing one of ``needles``."""
    assert not report
    text = str(report)
    crosses = [line for line in text.splitlines() if line.strip().startswith("✗")]
    assert crosses, f"a failing report must have a ✗ line:\n{text}"
    assert any(n in line for line in crosses for n in needles), text


def test_every_chapter_has_checks():
    assert len(CHECKS) >= 15


@pytest.mark.parametrize("name", CHECKS)
def test_a_function_that_returns_none_gets_a_cross_line(name):
    _assert_explained(getattr(_exercises, name)(_returns_none), "returned None")


@pytest.mark.parametrize("name", CHECKS)
def test_a_function_that_raises_gets_a_cross_line(name):
    line = _raises.__code__.co_firstlineno + 1
    _assert_explained(getattr(_exercises, name)(_raises), f"raised RuntimeError at line {line}: student bug")


@pytest.mark.parametrize("name", CHECKS)
def test_nan_or_a_wrong_shape_gets_a_cross_line(name):
    report = getattr(_exercises, name)(_returns_nan)
    assert not report and any(line.strip().startswith("✗") for line in str(report).splitlines())


@pytest.mark.parametrize("name", CHECKS)
def test_not_a_function_gets_a_cross_line(name):
    _assert_explained(getattr(_exercises, name)(None), "expected a function")


@pytest.mark.parametrize("name", CHECKS)
def test_an_endless_loop_is_stopped_once(name, monkeypatch):
    monkeypatch.setenv("VAEBOOK_CHECK_TIME_LIMIT", "0.3")
    calls = []

    def loops_forever(*args, **kwargs):
        calls.append(1)
        _loops_forever()

    report = getattr(_exercises, name)(loops_forever)
    _assert_explained(report, "did not finish within 0.3 s")
    assert len(calls) == 1  # the later cases are skipped, not each run into the limit


def test_the_time_limit_restores_an_outer_timer(monkeypatch):
    import signal

    monkeypatch.setenv("VAEBOOK_CHECK_TIME_LIMIT", "0.2")
    fired = []
    old = signal.signal(signal.SIGALRM, lambda *a: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 2.0)
        checker = Checker("outer timer")
        assert checker.call(lambda: 1) == 1
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0  # the outer timer still runs...
        for _ in range(300):
            if fired:
                break
            time.sleep(0.05)
        assert fired == [True]  # ...and fires, once
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_an_empty_report_says_why():
    assert "✗ nothing was checked" in str(Checker("nothing").report())
