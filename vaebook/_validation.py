"""Argument checks shared by the package: one definition of "a positive integer", one of "a batch of digits".

Every public function that takes a count (samples, epochs, classes, filters...) checks it here, so that all of
them accept the same things (a Python ``int`` or a NumPy integer, never a ``bool`` or a float) and word the error
the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def check_integer(name: str, value: Any, minimum: int = 1, where: str = "", hint: str = "") -> int:
    """``value`` as a Python int if it is an integer (``int`` or ``np.integer``, not ``bool``) ``>= minimum``.

    Args:
        name: the argument's name, for the message.
        value: the value to check.
        minimum: the smallest allowed value (1: "a positive integer", 0: "a non-negative integer").
        where: an optional prefix naming the caller, e.g. ``"KLAnnealing"``.
        hint: text after "a positive integer" in the message, e.g. ``" (or pass eps)"``.

    Returns:
        ``int(value)``.

    Raises:
        ValueError: ``"<where>: <name> must be a positive integer; got <value>."`` (or "an integer >= m").
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        what = {1: "a positive integer", 0: "a non-negative integer"}.get(minimum, f"an integer >= {minimum}")
        prefix = f"{where}: " if where else ""
        raise ValueError(f"{prefix}{name} must be {what}{hint}; got {value!r}.")
    return int(value)


def check_seed(seed: Any, where: str = "") -> int | None:
    """``seed`` as a Python int if it is a non-negative integer, or ``None`` (a seed drawn from the global state).

    Raises:
        ValueError: ``"<where>: seed must be a non-negative integer or None; got <value>."``
    """
    return None if seed is None else check_integer("seed", seed, minimum=0, where=where, hint=" or None")


def as_digit_images(images: Any) -> np.ndarray:
    """A non-empty batch of 28×28 grey images in [0, 1] as float32 of shape ``(N, 28, 28, 1)``.

    Raises:
        ValueError: if ``images`` is not of shape ``(N, 28, 28, 1)`` or ``(N, 28, 28)`` with finite values in
            [0, 1].
    """
    import keras

    x = np.asarray(
        keras.ops.convert_to_numpy(images) if not isinstance(images, np.ndarray) else images, dtype=np.float32
    )
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[1:] != (28, 28, 1) or len(x) == 0:
        raise ValueError(f"images must have shape (N, 28, 28, 1) or (N, 28, 28) with N > 0; got {x.shape}.")
    if not np.all(np.isfinite(x)) or x.min() < 0.0 or x.max() > 1.0:
        raise ValueError("images must hold finite intensities in [0, 1] (decoder probabilities, not logits).")
    return x
