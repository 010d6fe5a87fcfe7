"""vaebook.hardware: Taylor coefficients and bounds from the derivative polynomials, clipping, fixed point."""

import math

import numpy as np
import pytest

from vaebook import hardware


def test_derivative_polynomials_match_finite_differences():
    x = np.linspace(-3, 3, 7)
    h = 1e-4
    polys = hardware.sigmoid_derivative_polynomials(3)
    s = hardware.sigmoid(x)
    first = (hardware.sigmoid(x + h) - hardware.sigmoid(x - h)) / (2 * h)
    second = (hardware.sigmoid(x + h) - 2 * s + hardware.sigmoid(x - h)) / h**2
    np.testing.assert_allclose(np.polynomial.polynomial.polyval(s, polys[1]), first, atol=1e-7)
    np.testing.assert_allclose(np.polynomial.polynomial.polyval(s, polys[2]), second, atol=1e-5)


def test_taylor_coefficients_are_the_known_series():
    np.testing.assert_allclose(hardware.sigmoid_taylor_coefficients(5), [0.5, 0.25, 0, -1 / 48, 0, 1 / 480])
    np.testing.assert_allclose(hardware.sigmoid_taylor_coefficients(7)[7], -17 / 80640)


def test_clip_points_and_clipped_polynomials():
    assert hardware.taylor_clip_point(3) == pytest.approx(2.0)  # turning point of 1/2 + x/4 − x³/48
    r5 = hardware.taylor_clip_point(5)
    np.testing.assert_allclose(hardware.taylor_sigmoid(r5, 5, clip=False), 1.0, atol=1e-9)
    x = np.linspace(-20, 20, 4001)
    for degree in (1, 3, 5, 7):
        y = hardware.taylor_sigmoid(x, degree)
        assert y.min() >= 0 and y.max() <= 1 and np.all(np.diff(y) >= -1e-12)  # in [0, 1], monotone
    unclipped = hardware.taylor_sigmoid(x, 5, clip=False)
    np.testing.assert_allclose(unclipped, np.polynomial.polynomial.polyval(x, hardware.sigmoid_taylor_coefficients(5)))


@pytest.mark.parametrize("degree", [1, 3, 5])
def test_remainder_bound_holds_and_is_tight(degree):
    for radius in (0.5, 1.0, 1.5):
        x = np.linspace(-radius, radius, 20001)
        err = np.max(np.abs(hardware.taylor_sigmoid(x, degree, clip=False) - hardware.sigmoid(x)))
        bound = hardware.taylor_remainder_bound(degree, radius)
        assert err <= bound
        assert bound < 3 * err


def test_hard_sigmoid_matches_keras():
    import keras

    x = np.linspace(-5, 5, 101).astype("float32")
    np.testing.assert_allclose(
        hardware.hard_sigmoid(x), keras.ops.convert_to_numpy(keras.ops.hard_sigmoid(x)), atol=1e-6
    )


def test_fixed_point_round_trip_rounding_and_saturation():
    q = hardware.to_fixed_point([0.5, -1.25, 100.0, -100.0, 2.0**-13 * 1.01])
    np.testing.assert_array_equal(q, [2048, -5120, 32767, -32768, 1])
    np.testing.assert_allclose(hardware.from_fixed_point(q[:2]), [0.5, -1.25])
    a, b = hardware.to_fixed_point([1.5, -2.0, 7.0, 2.0**-12]), hardware.to_fixed_point([2.0, 3.0, 7.0, 0.5])
    np.testing.assert_array_equal(hardware.fixed_point_multiply(a, b), [3 * 4096, -6 * 4096, 32767, 1])
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-2, 2, 1000), rng.uniform(-2, 2, 1000)
    prod = hardware.from_fixed_point(
        hardware.fixed_point_multiply(hardware.to_fixed_point(x), hardware.to_fixed_point(y))
    )
    assert np.max(np.abs(prod - x * y)) < 4 * 2.0**-12


def test_fixed_point_sigmoid_is_close_to_the_float_polynomial():
    x = np.linspace(-8, 8, 20001)
    fixed = hardware.fixed_point_taylor_sigmoid(x, 5)
    floating = hardware.taylor_sigmoid(x, 5)
    coeffs = hardware.sigmoid_taylor_coefficients(5)
    quantized = hardware.from_fixed_point(hardware.to_fixed_point(coeffs))
    r = hardware.taylor_clip_point(5)
    coefficient_error = np.sum(np.abs(coeffs - quantized) * r ** np.arange(6))
    assert np.max(np.abs(fixed - floating)) <= coefficient_error + 8 * 2.0**-12
    # with 24 fractional bits the coefficients are nearly exact and the result follows the float polynomial
    fine = hardware.fixed_point_taylor_sigmoid(x, 5, total_bits=32, frac_bits=24)
    assert np.max(np.abs(fine - floating)) < 1e-5


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: hardware.sigmoid_taylor_coefficients(4), "odd positive"),
        (lambda: hardware.taylor_sigmoid(0.0, 0), "odd positive"),
        (lambda: hardware.taylor_remainder_bound(3, 0.0), "radius"),
        (lambda: hardware.sigmoid_derivative_polynomials(-1), "n must be"),
        (lambda: hardware.to_fixed_point(1.0, total_bits=16, frac_bits=16), "frac_bits"),
        (lambda: hardware.to_fixed_point(np.nan), "finite"),
        (lambda: hardware.fixed_point_multiply(1, 1, total_bits=40), "total_bits"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_factorial_sanity_of_the_bound_formula():
    # degree 1 on [-1, 1]: max |σ'''| = 1/8 at 0, so the bound is 1/8 · 1 / 3! = 1/48
    assert hardware.taylor_remainder_bound(1, 1.0) == pytest.approx(1 / 8 / math.factorial(3), rel=1e-6)
