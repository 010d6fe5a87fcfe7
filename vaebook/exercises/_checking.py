"""The machinery behind every exercise check: run student code safely, compare, explain."""

from __future__ import annotations

import dataclasses
import traceback
from typing import Any, Callable

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
        body = "\n".join(f"  {'✓' if ok else '✗'} {msg}" for ok, msg in self.lines)
        verdict = "All checks passed." if self.passed else "Not yet: see the ✗ lines above."
        return f"{self.title}\n{body}\n{verdict}"

    def _repr_pretty_(self, printer, cycle):  # IPython shows the report, not a dataclass repr
        printer.text(str(self))


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

    def ok(self, message: str) -> None:
        self._report.lines.append((True, message))

    def fail(self, message: str) -> None:
        self._report.lines.append((False, message))

    def check(self, condition: bool, message: str, hint: str = "") -> bool:
        self._report.lines.append((bool(condition), message if condition or not hint else f"{message} — {hint}"))
        return bool(condition)

    def call(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """Call student code; on an exception, record a ✗ line with the error's last line and return None."""
        if not callable(fn):
            self.fail(f"expected a function, got {type(fn).__name__}")
            return None
        try:
            return fn(*args, **kwargs)
        except Exception as err:  # student code may fail in any way; explain, don't crash
            where = traceback.extract_tb(err.__traceback__)[-1]
            self.fail(f"your function raised {type(err).__name__}: {err} (line {where.lineno}: {where.line})")
            return None

    def call_array(self, fn: Callable, *args: Any, **kwargs: Any) -> np.ndarray | None:
        """Call student code and return its result as a float64 NumPy array.

        On an exception, or a result that is not numeric, record a ✗ line that says so and return None.
        """
        out = self.call(fn, *args, **kwargs)
        if out is None:
            return None
        try:
            return np.asarray(_to_numpy(out), dtype=np.float64)
        except Exception:
            self.fail(f"the result is a {type(out).__name__}, not an array of numbers")
            return None

    def close(self, actual: Any, expected: Any, what: str, rtol: float = 1e-5, atol: float = 1e-6,
              hint: str = "") -> bool:
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
        return self.check(False, f"{what}: got {a.ravel()[worst]:.6g} where {e.ravel()[worst]:.6g} was expected",
                          hint)

    def report(self) -> CheckReport:
        return self._report


def _to_numpy(x: Any) -> Any:
    try:
        import keras

        return keras.ops.convert_to_numpy(x)
    except Exception:
        return np.asarray(x)
