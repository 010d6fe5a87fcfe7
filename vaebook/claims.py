"""Claims: the numbers a chapter's prose states, asserted against the values its run computed.

A chapter states a number in its markdown as a reader reads it ("its held-out NLL bound is 105 nats"); a hidden
check cell (tag ``remove-cell``) next to the code that computed the value registers it::

    claim("NLL bound is 105 nats", nll, profile="quick")

The text is matched *literally* against the chapter's prose by the book's static test (``tools/claims.py``), which
fails when a number in the prose is neither registered by a claim nor declared definitional in the notebook's
metadata (``vaebook.definitional``). At run time :func:`claim` parses the numbers in the text and compares each with
its value, within the printed precision: "105" holds for values within 1 of 105, "4.46" within 0.01 of 4.46
(one unit of the last printed digit, so that a value on a rounding boundary does not flip the check). A wider
tolerance is passed explicitly (``tol=``) and says that the text is approximate ("about 40 nats").

While a chapter's numbers are being updated, ``VAEBOOK_CLAIMS=warn`` makes a failed claim print its message (stated
and computed values) instead of raising, so that one run lists every number to change; the book build never sets
it, and there a failed claim fails.

A claim holds in the run profiles it names: ``profile="quick"`` is asserted only when
:func:`vaebook.config.profile` is ``"quick"`` and skipped (returning ``False``) otherwise; ``profile=None`` (a closed
form, a count the code fixes) is asserted in every profile. A failed claim raises :class:`ClaimError`, which fails
the cell, and so the book build that executes it.

Comparative and qualitative sentences ("the best in the table", "above chance") are registered with
:func:`claim_that` and the condition that makes them true.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ClaimError", "Number", "claim", "claim_that", "numbers_in"]

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
# One numeral as the prose writes it: 105, 4.46, −0.3, 3,200 or 3{,}200 (thousands), 2·10⁻⁵ or 2\cdot 10^{-5}.
_NUMERAL = re.compile(
    r"(?<![\w.,\\])"  # not inside a word, a longer number or a LaTeX command
    r"(?P<sign>[−-](?=\d))?"
    r"(?:"
    r"(?P<power>10(?:\^\{?(?P<powexp>[−-]?\d+)\}?|(?P<powsup>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)))"  # 10^{-4}, 10⁻⁴ alone
    r"|"
    r"(?P<mantissa>\d{1,3}(?:(?:,|\{,\})\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s*(?:·|\\cdot|×|\\times)\s*10(?:\^\{?(?P<exp>[−-]?\d+)\}?|(?P<supexp>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)))?"
    r")"
    r"(?![\w])"
)


class ClaimError(AssertionError):
    """A registered claim does not hold: the run computed a value that the text does not state."""


@dataclass(frozen=True)
class Number:
    """One numeral found in a text.

    Attributes:
        text: the numeral as written ("3,200", "4.46", "2·10⁻⁵").
        start: its offset in the text.
        value: its value as a float (3200.0, 4.46, 2e-05).
        unit: one unit of its last printed digit (1.0, 0.01, 1e-05): the default tolerance of a claim.
        decimal: whether it is written with a decimal point or as a power of ten.
    """

    text: str
    start: int
    value: float
    unit: float
    decimal: bool


def numbers_in(text: str) -> list[Number]:
    """Every numeral in ``text``, in order, as :class:`Number` objects.

    Numerals inside words ("ch10", "float32", "T4") are not numbers; a sign counts when it touches the digits
    ("−0.3"); thousands separators and powers of ten written ``a·10⁻ⁿ`` or ``a\\cdot 10^{-n}`` are read.

    Raises:
        ValueError: if ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise ValueError(f"numbers_in expects a string, got {type(text).__name__}")
    found = []
    for match in _NUMERAL.finditer(text):
        if match.group("power"):  # 10^{-4}, 10⁻⁴: a power of ten without a mantissa
            exponent = int((match.group("powexp") or match.group("powsup").translate(_SUPERSCRIPT)).replace("−", "-"))
            sign = -1.0 if match.group("sign") else 1.0
            found.append(Number(match.group(0), match.start(), sign * 10.0**exponent, 10.0**exponent, True))
            continue
        mantissa = match.group("mantissa").replace("{,}", "").replace(",", "")
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        exponent = 0
        if match.group("exp") is not None:
            exponent = int(match.group("exp").replace("−", "-"))
        elif match.group("supexp") is not None:
            exponent = int(match.group("supexp").translate(_SUPERSCRIPT))
        sign = -1.0 if match.group("sign") else 1.0
        value = sign * float(mantissa) * 10.0**exponent
        found.append(
            Number(
                text=match.group(0),
                start=match.start(),
                value=value,
                unit=10.0 ** (exponent - decimals),
                decimal=decimals > 0 or match.group("exp") is not None or match.group("supexp") is not None,
            )
        )
    return found


def _profiles(profile) -> tuple[str, ...] | None:
    from vaebook.config import PROFILES

    if profile is None:
        return None
    names = (profile,) if isinstance(profile, str) else tuple(profile)
    if not names or any(name not in PROFILES for name in names):
        raise ValueError(f"profile must be None, one of {PROFILES} or a tuple of them; got {profile!r}")
    return names


def _active(profile) -> bool:
    from vaebook.config import profile as active_profile

    names = _profiles(profile)
    return names is None or active_profile() in names


def _fail(message: str) -> bool:
    mode = os.environ.get("VAEBOOK_CLAIMS", "").strip().lower()
    if mode not in ("", "raise", "warn"):
        raise ValueError(f"VAEBOOK_CLAIMS must be 'raise' (the default) or 'warn'; got {mode!r}")
    if mode == "warn":
        print(f"CLAIM FAILED: {message}")
        return False
    raise ClaimError(message)


def _as_float(value, what: str) -> float:
    try:
        import numpy as np

        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} must be a number, got {value!r}") from error
    if array.size != 1:
        raise ValueError(f"{what} must be a single number, got an array of shape {array.shape}")
    return float(array.reshape(()))


def claim(
    text: str, *values, tol: float | Sequence[float | None] | None = None, bound: str | None = None, profile=None
) -> bool:
    """Assert that the numbers stated in ``text`` are the values the run computed.

    Args:
        text: a literal passage of the chapter's prose holding the numbers ("105 nats against 209"). The book's
            static test checks that the passage occurs in a markdown cell.
        *values: one value per numeral in ``text``, in order (a float, an int, a NumPy or Keras scalar); ``None``
            for a numeral this claim does not assert (it must then be registered or declared elsewhere). Give a
            percentage in percent.
        tol: the largest allowed ``|value - stated|``; by default one unit of the stated number's last digit. A
            single number applies to every value; a sequence gives one per value (``None``: the default).
        bound: ``None`` when the text states the value ("105 nats"); ``"upper"`` when it states an upper bound
            ("below 0.6", "at most 12 %": each value must be <= its number, + ``tol`` if given); ``"lower"`` for a
            lower bound ("more than 20 nats").
        profile: the run profile(s) the claim holds in: ``"smoke"``, ``"quick"``, ``"full"``, a tuple of them, or
            ``None`` for every profile.

    Returns:
        ``True`` if the claim was asserted (and held), ``False`` if the active profile is not one it names.

    Raises:
        ValueError: if ``text`` is empty or holds no number, if the number of values differs from the number of
            numerals in ``text``, if every value is ``None``, or if a tolerance or profile is malformed.
        ClaimError: if a value differs from its stated number by more than the tolerance (with
            ``VAEBOOK_CLAIMS=warn``: the message is printed and the claim returns ``False``).

    Example:
        >>> claim("KL 0.12 nats against 4.5", 0.118, 4.47)
        True
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"claim text must be a non-empty string, got {text!r}")
    numbers = numbers_in(text)
    if not numbers:
        raise ValueError(f"claim text {text!r} holds no number; use claim_that for a statement without one")
    if len(values) != len(numbers):
        raise ValueError(
            f"claim text {text!r} holds {len(numbers)} number(s) ({', '.join(n.text for n in numbers)}); "
            f"got {len(values)} value(s): give one per number, None for one this claim does not assert"
        )
    if all(value is None for value in values):
        raise ValueError(f"claim {text!r}: every value is None, so it asserts nothing")
    if tol is None or isinstance(tol, (int, float)):
        tols = [tol] * len(values)
    else:
        tols = list(tol)
        if len(tols) != len(values):
            raise ValueError(f"claim {text!r}: {len(values)} value(s) but {len(tols)} tolerance(s)")
    for t in tols:
        if t is not None and not (isinstance(t, (int, float)) and t >= 0 and math.isfinite(t)):
            raise ValueError(f"claim {text!r}: a tolerance must be a finite number >= 0 or None, got {t!r}")
    if bound not in (None, "upper", "lower"):
        raise ValueError(f"claim {text!r}: bound must be None, 'upper' or 'lower'; got {bound!r}")
    if not _active(profile):
        return False
    failures = []
    for number, value, t in zip(numbers, values, tols, strict=True):
        if value is None:
            continue
        computed = _as_float(value, f"the value for {number.text!r} in claim {text!r}")
        if bound is None:
            allowed = number.unit if t is None else t
            holds = abs(computed - number.value) <= allowed * (1 + 1e-9)
            what = f"tolerance {allowed:g}"
        else:
            slack = 0.0 if t is None else t
            holds = computed <= number.value + slack if bound == "upper" else computed >= number.value - slack
            what = f"{bound} bound"
        if not holds:
            failures.append(f"{number.text} stated, {computed:.6g} computed ({what})")
    if failures:
        return _fail(f"claim {text!r} does not hold: " + "; ".join(failures))
    return True


def claim_that(text: str, holds, *, profile=None) -> bool:
    """Assert a comparative or qualitative statement of the prose ("the best in the table", "above chance").

    Args:
        text: a literal passage of the chapter's prose that makes the statement.
        holds: the condition that makes it true, computed from the run (a bool or a NumPy bool).
        profile: as for :func:`claim`.

    Returns:
        ``True`` if asserted (and true), ``False`` if the active profile is not one it names.

    Raises:
        ValueError: if ``text`` is empty or ``holds`` is not a boolean.
        ClaimError: if the condition is false.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"claim text must be a non-empty string, got {text!r}")
    if type(holds).__name__ not in ("bool", "bool_"):
        raise ValueError(f"claim_that({text!r}, ...) needs the condition as a bool, got {type(holds).__name__}")
    if not _active(profile):
        return False
    if not holds:
        return _fail(f"claim {text!r} does not hold")
    return True
