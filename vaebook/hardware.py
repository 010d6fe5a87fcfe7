"""The sigmoid on cheap hardware: Taylor polynomials, a piecewise-linear hard sigmoid, and fixed-point arithmetic.

A logistic sigmoid costs an exponential and a division. On a microcontroller or an FPGA one replaces it by a few
multiplications and additions. This module provides

- :func:`sigmoid_derivative_polynomials`: the n-th derivative of σ as a polynomial in σ itself (σ' = σ(1 − σ)),
  which gives the Taylor coefficients at 0 and exact bounds on the Taylor remainder;
- :func:`sigmoid_taylor_coefficients`, :func:`taylor_sigmoid`: the Taylor polynomial of odd degree, evaluated by
  Horner's rule in x² and made safe far from 0 by clipping;
- :func:`hard_sigmoid`: Keras's piecewise-linear ``relu6(x + 3) / 6``;
- :func:`to_fixed_point`, :func:`from_fixed_point`, :func:`fixed_point_multiply`, :func:`fixed_point_taylor_sigmoid`:
  two's-complement fixed point (default Q4.12: 16 bits, 12 of them after the binary point) with rounding and
  saturation, the arithmetic of a small integer unit.

All functions are NumPy: they model the arithmetic, they are not Keras layers.

Used in: chapter 11, section "The sigmoid on a small chip".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.polynomial import polynomial as P

__all__ = [
    "sigmoid",
    "sigmoid_derivative_polynomials",
    "sigmoid_taylor_coefficients",
    "taylor_clip_point",
    "taylor_sigmoid",
    "taylor_remainder_bound",
    "hard_sigmoid",
    "to_fixed_point",
    "from_fixed_point",
    "fixed_point_multiply",
    "fixed_point_taylor_sigmoid",
]


def sigmoid(x: Any) -> np.ndarray:
    """The logistic function 1 / (1 + e^(−x)), computed without overflow, float64."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _check_degree(degree: Any) -> int:
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 1 or degree % 2 == 0:
        raise ValueError(
            f"degree must be an odd positive integer (the sigmoid's Taylor series has only odd "
            f"powers besides the constant 1/2); got {degree!r}."
        )
    return int(degree)


def sigmoid_derivative_polynomials(n: int) -> list[np.ndarray]:
    """Coefficients (lowest power first) of the polynomials P_0 … P_n with σ^(k)(x) = P_k(σ(x)).

    From σ' = σ(1 − σ) and the chain rule, P_{k+1}(s) = P_k'(s) · s(1 − s), starting at P_0(s) = s.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be an integer >= 0; got {n!r}.")
    polys = [np.array([0.0, 1.0])]
    for _ in range(int(n)):
        polys.append(P.polymul(P.polyder(polys[-1]), [0.0, 1.0, -1.0]))
    return polys


def sigmoid_taylor_coefficients(degree: int) -> np.ndarray:
    """Coefficients c_0 … c_degree of the Taylor polynomial of σ at 0 (c_k = σ^(k)(0) / k!, P_k at s = 1/2).

    For degree 5: [1/2, 1/4, 0, −1/48, 0, 1/480].
    """
    degree = _check_degree(degree)
    polys = sigmoid_derivative_polynomials(degree)
    coeffs = np.array([P.polyval(0.5, p) / math.factorial(k) for k, p in enumerate(polys)])
    coeffs[2::2] = 0.0  # exactly zero (σ − 1/2 is odd); removes rounding noise
    return coeffs


def taylor_clip_point(degree: int) -> float:
    """The input r > 0 beyond which the clipped Taylor polynomial is held constant.

    The smaller of (a) the first positive turning point of the polynomial and (b) the point where it reaches 1.
    Holding the input at [−r, r] and clipping the output to [0, 1] keeps the approximation monotone and in [0, 1].
    Degree 1: r = 2 (reaches 1); degree 3: r = 2 (turning point, value 5/6); degree 5: r ≈ 2.49 (reaches 1).
    """
    coeffs = sigmoid_taylor_coefficients(degree)
    candidates = []
    for poly in (P.polyder(coeffs), P.polysub(coeffs, [1.0])):
        roots = P.polyroots(poly) if np.any(poly[1:] != 0) else np.array([])
        real = roots[np.abs(roots.imag) < 1e-9].real
        candidates.extend(real[real > 1e-9])
    return float(min(candidates))


def taylor_sigmoid(x: Any, degree: int = 5, clip: bool = True) -> np.ndarray:
    """The Taylor polynomial of σ at 0, evaluated by Horner's rule in x²: 1/2 + x·(c_1 + x²·(c_3 + x²·(…))).

    With ``clip=True`` the input is held to [−r, r] (:func:`taylor_clip_point`) and the output clipped to [0, 1].
    Multiplications per evaluation: one for x², one per odd coefficient beyond c_1, one for the final ·x, i.e.
    (degree + 3) / 2 (3 for degree 3, 4 for degree 5).
    """
    coeffs = sigmoid_taylor_coefficients(degree)
    x = np.asarray(x, dtype=np.float64)
    if clip:
        r = taylor_clip_point(degree)
        x = np.clip(x, -r, r)
    x2 = x * x
    acc = np.full_like(x, coeffs[-1])
    for c in coeffs[-3:0:-2]:  # c_{degree-2}, ..., c_1
        acc = c + x2 * acc
    out = 0.5 + x * acc
    return np.clip(out, 0.0, 1.0) if clip else out


def taylor_remainder_bound(degree: int, radius: float, grid: int = 20001) -> float:
    """Lagrange bound on |σ(x) − T_degree(x)| for |x| ≤ radius: max |σ^(degree+1)| · radius^(degree+1) / (degree+1)!.

    Because the even-order coefficients vanish, T_degree = T_{degree+1}, so the bound uses the derivative of order
    degree + 2: max_{|t| ≤ r} |σ^(degree+2)(t)| · r^(degree+2) / (degree+2)!. The maximum is taken over a fine grid
    of s = σ(t) values through the derivative polynomial of :func:`sigmoid_derivative_polynomials`.
    """
    degree = _check_degree(degree)
    if not float(radius) > 0:
        raise ValueError(f"radius must be positive; got {radius!r}.")
    order = degree + 2
    poly = sigmoid_derivative_polynomials(order)[order]
    s = sigmoid(np.linspace(-radius, radius, grid))
    # σ^(order) is a polynomial in s; on the interval s ∈ [σ(−r), σ(r)], also check its interior extrema exactly
    crit = P.polyroots(P.polyder(poly))
    crit = crit[np.abs(crit.imag) < 1e-12].real
    crit = crit[(crit >= s.min()) & (crit <= s.max())]
    peak = np.max(np.abs(P.polyval(np.r_[s, crit], poly)))
    return float(peak * radius**order / math.factorial(order))


def hard_sigmoid(x: Any) -> np.ndarray:
    """Keras's piecewise-linear sigmoid ``relu6(x + 3) / 6 = clip(x/6 + 1/2, 0, 1)``: one multiplication."""
    x = np.asarray(x, dtype=np.float64)
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def _check_format(total_bits: int, frac_bits: int) -> None:
    if not (
        isinstance(total_bits, (int, np.integer))
        and isinstance(frac_bits, (int, np.integer))
        and 2 <= total_bits <= 32
        and 0 <= frac_bits < total_bits
    ):
        raise ValueError(
            f"need 2 <= total_bits <= 32 and 0 <= frac_bits < total_bits; got total_bits="
            f"{total_bits!r}, frac_bits={frac_bits!r}."
        )


def _saturate(q: np.ndarray, total_bits: int) -> np.ndarray:
    return np.clip(q, -(2 ** (total_bits - 1)), 2 ** (total_bits - 1) - 1).astype(np.int64)


def to_fixed_point(x: Any, total_bits: int = 16, frac_bits: int = 12) -> np.ndarray:
    """Round real numbers to signed fixed point: the integer round(x · 2^frac_bits), saturated to total_bits.

    Q4.12 (the default) represents [−8, 8 − 2⁻¹²] in steps of 2⁻¹² ≈ 0.000244.

    Returns:
        int64 array of the stored integers.
    """
    _check_format(total_bits, frac_bits)
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("to_fixed_point needs finite numbers.")
    return _saturate(np.round(x * 2.0**frac_bits), total_bits)


def from_fixed_point(q: Any, frac_bits: int = 12) -> np.ndarray:
    """The real value q · 2^(−frac_bits) of stored fixed-point integers, float64."""
    return np.asarray(q, dtype=np.float64) / 2.0**frac_bits


def fixed_point_multiply(a: Any, b: Any, total_bits: int = 16, frac_bits: int = 12) -> np.ndarray:
    """Product of two fixed-point numbers: the double-width integer product, rounded back by an arithmetic shift
    of frac_bits (adding half a unit first: round half up), saturated to total_bits.

    Args:
        a, b: stored integers (from :func:`to_fixed_point`), broadcastable.
        total_bits, frac_bits: the format of a, b and the result.

    Returns:
        int64 array: the stored integer of a·b.

    Used in: chapter 11, section "The sigmoid on a small chip".
    """
    _check_format(total_bits, frac_bits)
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    wide = a * b
    rounded = (wide + (1 << (frac_bits - 1))) >> frac_bits if frac_bits > 0 else wide
    return _saturate(rounded, total_bits)


def fixed_point_taylor_sigmoid(x: Any, degree: int = 5, total_bits: int = 16, frac_bits: int = 12) -> np.ndarray:
    """:func:`taylor_sigmoid` (clipped) computed entirely in fixed point: input, coefficients, every product.

    The input is clipped to [−r, r] and quantized; Horner's rule in x² keeps every intermediate small (for degree
    5 and |x| ≤ 2.49 all of them stay below 7 in magnitude), so Q4.12 does not overflow.

    Returns:
        float64 array: the real value of the fixed-point result, clipped to [0, 1].
    """
    coeffs = sigmoid_taylor_coefficients(degree)
    r = taylor_clip_point(degree)
    xq = to_fixed_point(np.clip(np.asarray(x, dtype=np.float64), -r, r), total_bits, frac_bits)
    cq = to_fixed_point(coeffs, total_bits, frac_bits)
    x2 = fixed_point_multiply(xq, xq, total_bits, frac_bits)
    acc = np.full_like(xq, cq[-1])
    for c in cq[-3:0:-2]:
        acc = _saturate(c + fixed_point_multiply(x2, acc, total_bits, frac_bits), total_bits)
    out = _saturate(cq[0] + fixed_point_multiply(xq, acc, total_bits, frac_bits), total_bits)
    return np.clip(from_fixed_point(out, frac_bits), 0.0, 1.0)
