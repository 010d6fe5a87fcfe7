"""Exercise checks for chapter 8 (conditional VAE and β-VAE): the attribute vector and the conditioned decoder input."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaebook.attributes import attribute_vector as _reference_attribute_vector
from vaebook.exercises._checking import Checker, CheckReport

__all__ = ["check_attribute_vector", "check_conditional_input"]


def check_attribute_vector(fn: Callable) -> CheckReport:
    """Check ``fn(codes, values, fraction)``: mean code of the top ``fraction`` minus mean code of the bottom one.

    Args:
        fn: the student's function, taking codes ``(N, d)``, attribute values ``(N,)`` and a fraction in (0, 0.5].

    Returns:
        A :class:`CheckReport`.
    """
    checker = Checker("Exercise 8: the attribute vector (Herzog and Sonrel's 'smile vector', for digits)")
    rng = np.random.default_rng(2)
    codes = rng.normal(size=(40, 3))
    values = 2.0 * codes[:, 0] - codes[:, 2] + 0.3 * rng.normal(size=40)
    expected = _reference_attribute_vector(codes, values, 0.25)
    got = checker.call_array(fn, codes, values, 0.25)
    if got is None:
        return checker.report()
    order = np.argsort(values)
    above = codes[values > np.median(values)].mean(0) - codes[values <= np.median(values)].mean(0)
    wrong = [
        (-expected, "the sign is flipped: high minus low, so that adding the vector increases the attribute"),
        (above, "you split at the median; use only the top and bottom `fraction` of the examples"),
        (codes[order[-10:]].mean(0), "you returned the mean of the high group; subtract the mean of the low group"),
    ]
    if checker.known_mistake(got, expected, wrong, "the attribute vector"):
        return checker.report()
    checker.close(
        got,
        expected,
        "the vector for 40 codes in 3 dimensions, fraction 0.25",
        rtol=1e-6,
        atol=1e-9,
        hint="sort by value; mean of the last 10 codes minus mean of the first 10",
    )
    out2 = checker.call(fn, codes, values, 0.1)
    if out2 is not None:
        checker.close(
            out2,
            _reference_attribute_vector(codes, values, 0.1),
            "respects the fraction argument (0.1)",
            rtol=1e-6,
            atol=1e-9,
        )
    return checker.report()


def check_conditional_input(fn: Callable) -> CheckReport:
    """Check ``fn(z, labels, num_classes)``: the decoder input of a conditional VAE, ``[z, one_hot(labels)]``.

    Args:
        fn: the student's function, taking codes ``(N, d)``, integer labels ``(N,)`` and the number of classes.

    Returns:
        A :class:`CheckReport`.
    """
    checker = Checker("Exercise 8: the decoder input of a conditional VAE")
    rng = np.random.default_rng(3)
    z = rng.normal(size=(6, 2)).astype(np.float32)
    labels = np.array([0, 3, 9, 3, 1, 7])
    expected = np.concatenate([z, np.eye(10)[labels]], axis=1)
    got = checker.call_array(fn, z, labels, 10)
    if got is None:
        return checker.report()
    if got.shape == (6, 3):
        checker.check(
            False,
            "the label is one-hot encoded",
            "you appended the label as one number; a number imposes an order (9 is 'more' than 1) that "
            "digit classes do not have: append a one-hot vector of length num_classes",
        )
        return checker.report()
    if got.shape == expected.shape and np.allclose(got, np.concatenate([np.eye(10)[labels], z], axis=1)):
        checker.check(
            False, "the order of the parts", "put z first and the one-hot label after it, so that column j < d is z_j"
        )
        return checker.report()
    checker.close(got, expected, "z followed by one_hot(label) for 6 codes", rtol=1e-6, atol=1e-6)
    return checker.report()
