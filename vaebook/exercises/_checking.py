"""The machinery behind every exercise check: run student code safely, compare, explain."""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np


@dataclasses.dataclass
class CheckReport:
    """The outcome of one exercise check: a list of (passed, message) lines; truthy when all passed."""

    title: str
    lines: list[tuple[bool, str]] = dataclasses.field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.lines) and all(ok for ok, _ in self.lines)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        if not self.lines:  # a check that recorded nothing must still say why it did not pass
            return f"{self.title}\n  ✗ nothing was checked\nNot yet: see the ✗ lines above."
        body = "\n".join(f"  {'✓' if ok else '✗'} {msg}" for ok, msg in self.lines)
        verdict = "All checks passed." if self.passed else "Not yet: see the ✗ lines above."
        return f"{self.title}\n{body}\n{verdict}"

    def _repr_pretty_(self, printer, cycle):  # IPython shows the report, not a dataclass repr
        printer.text(str(self))


def _raised_message(err: Exception, where: str) -> str:
    """The ✗ line for student code that raised ``err`` at ``where`` ("line N: source line", or "").

    The source line is left out when it only repeats the message (the skeleton's own
    ``raise NotImplementedError("write …")``), so an unwritten exercise reads
    "your function raised NotImplementedError at line 6: write …".
    """
    raised = f"your function raised {type(err).__name__}"
    message = str(err)
    line, _, source = where.partition(": ")
    if message and line.startswith("line ") and message in source:
        return f"{raised} at {line}: {message}"
    return raised + (f": {message}" if message else "") + (f" ({where})" if where else "")


class Checker:
    """Collects the lines of one :class:`CheckReport`.

    Example:
        >>> checker = Checker("Exercise 4.2: the Gaussian KL")
        >>> out = checker.call(student_fn, mean, log_var)   # None, with a ✗ line, if it raised
        >>> checker.close(out, expected, "KL of N(1, 1) from N(0, 1) is 0.5 nats")
        >>> report = checker.report()
    """

    def __init__(self, title: str):
        self._report = CheckReport(title)
        self._timed_out = False

    def ok(self, message: str) -> None:
        self._report.lines.append((True, message))

    def fail(self, message: str) -> None:
        self._report.lines.append((False, message))

    def check(self, condition: bool, message: str, hint: str = "") -> bool:
        self._report.lines.append((bool(condition), message if condition or not hint else f"{message} — {hint}"))
        return bool(condition)

    def call(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """Call student code and return its result.

        Returns None, after recording a ✗ line that says why, when ``fn`` is not callable, raises, runs longer
        than :func:`time_limit` seconds (an endless loop?), or itself returns ``None`` (a missing ``return``).
        After a call that ran out of time, later calls are skipped, so a check with an endless loop ends quickly.
        """
        if not callable(fn):
            self.fail(f"expected a function, got {type(fn).__name__}")
            return None
        if self._timed_out:
            return None
        limit = time_limit()
        try:
            with _deadline(limit):
                out = fn(*args, **kwargs)
        except _StudentTimeout as err:
            self._timed_out = True
            shown = err.args[0] if err.args else limit  # a grader that runs the function elsewhere names its limit
            self.fail(f"your function did not finish within {shown:g} s: an endless loop? (later cases skipped)")
            return None
        except Exception as err:  # student code may fail in any way; explain, don't crash
            # A grader that runs the function in another process says where it failed in `student_where`.
            where = getattr(err, "student_where", None)
            if where is None:
                frame = traceback.extract_tb(err.__traceback__)[-1]
                where = f"line {frame.lineno}: {frame.line}"
            self.fail(_raised_message(err, where))
            return None
        if out is None:
            self.fail("your function returned None: is a `return` missing?")
        return out

    def call_array(self, fn: Callable, *args: Any, **kwargs: Any) -> np.ndarray | None:
        """Call student code and return its result as a float64 NumPy array.

        On an exception, or a result that is not numeric, record a ✗ line that says so and return None.
        """
        out = self.call(fn, *args, **kwargs)
        if out is None:
            return None
        try:
            with np.errstate(all="ignore"):
                return np.asarray(_to_numpy(out), dtype=np.float64)
        except Exception:
            self.fail(f"the result is a {type(out).__name__}, not an array of numbers")
            return None

    def close(
        self, actual: Any, expected: Any, what: str, rtol: float = 1e-5, atol: float = 1e-6, hint: str = ""
    ) -> bool:
        """Record whether ``actual`` matches ``expected`` in shape and value, explaining any difference."""
        if actual is None:
            return self.check(False, f"{what}: no result", hint)
        try:
            a = np.asarray(_to_numpy(actual), dtype=np.float64)
        except Exception:
            return self.check(False, f"{what}: the result is a {type(actual).__name__}, not an array", hint)
        e = np.asarray(expected, dtype=np.float64)
        if a.shape != e.shape:
            return self.check(False, f"{what}: shape {a.shape}, expected {e.shape}", hint)
        if not np.all(np.isfinite(a)):
            return self.check(False, f"{what}: the result contains NaN or inf", hint)
        if np.allclose(a, e, rtol=rtol, atol=atol):
            return self.check(True, what)
        worst = int(np.argmax(np.abs(a - e)))
        return self.check(False, f"{what}: got {a.ravel()[worst]:.6g} where {e.ravel()[worst]:.6g} was expected", hint)

    def known_mistake(
        self,
        actual: np.ndarray,
        expected: np.ndarray,
        mistakes: list[tuple[Any, str]],
        what: str,
        rtol: float = 1e-6,
        mistake_rtol: float | None = None,
        mistake_atol: float = 1e-8,
    ) -> bool:
        """Record a ✗ line ``what — hint`` when ``actual`` misses ``expected`` (``rtol``) but matches the wrong value
        of one of ``mistakes``, pairs ``(wrong value, hint)`` tried in order; return whether it did.

        Only finite results of the right shape are compared; a wrong value matches with ``mistake_rtol`` (``rtol``
        when None) and ``mistake_atol``. The caller returns the report at once after a match.
        """
        if actual.shape != expected.shape or not np.all(np.isfinite(actual)):
            return False
        if np.allclose(actual, expected, rtol=rtol):
            return False
        match_rtol = rtol if mistake_rtol is None else mistake_rtol
        for wrong, hint in mistakes:
            if np.allclose(actual, wrong, rtol=match_rtol, atol=mistake_atol):
                return not self.check(False, what, hint)
        return False

    def report(self) -> CheckReport:
        return self._report


def _to_numpy(x: Any) -> Any:
    try:
        import keras

        return keras.ops.convert_to_numpy(x)
    except Exception:
        return np.asarray(x)


# --- helpers shared by the chapter modules -------------------------------------------------------------------------


def _as_array(value: Any) -> np.ndarray | None:
    """``value`` as a float64 array, or None if it is not numeric."""
    try:
        return np.asarray(_to_numpy(value), dtype=np.float64)
    except Exception:
        return None


def _which(actual: Any, variants: dict[str, np.ndarray]) -> str:
    """The hint of the first known mistake whose output ``actual`` reproduces ('' if none)."""
    a = _as_array(actual)
    if a is None:
        return ""
    for hint, value in variants.items():
        if a.shape == value.shape and np.allclose(a, value, rtol=1e-4, atol=1e-6):
            return hint
    return ""


# --- a time limit on student code ----------------------------------------------------------------------------------

DEFAULT_TIME_LIMIT_S = 20.0


def time_limit() -> float:
    """Seconds one call of student code may run: ``VAEBOOK_CHECK_TIME_LIMIT`` if set, else 20 (0 disables it)."""
    try:
        return max(0.0, float(os.environ.get("VAEBOOK_CHECK_TIME_LIMIT", DEFAULT_TIME_LIMIT_S)))
    except ValueError:
        return DEFAULT_TIME_LIMIT_S


class _StudentTimeout(BaseException):
    """Raised inside student code when its time is up (a BaseException, so that `except Exception` can't eat it)."""


class _deadline:
    """Interrupt the body after ``seconds`` with :class:`_StudentTimeout` (SIGALRM: Unix, main thread only).

    An outer timer that was running (a grader's per-cell limit) is restored, minus the time spent, on exit.
    Elsewhere (Windows, a worker thread) there is no limit.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.active = (
            seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
        )

    def __enter__(self):
        if self.active:
            self.start = time.monotonic()
            self.old_handler = signal.signal(signal.SIGALRM, self._expire)
            self.old_timer = signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def _expire(self, signum, frame):
        raise _StudentTimeout()

    def __exit__(self, *exc):
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old_handler)
            remaining = self.old_timer[0]
            if remaining > 0:  # give the outer timer back what is left of it (at least a moment)
                signal.setitimer(signal.ITIMER_REAL, max(1e-3, remaining - (time.monotonic() - self.start)))
        return False
