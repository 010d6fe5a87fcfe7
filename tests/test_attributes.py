"""Pixel attributes on synthetic strokes whose thickness and slant are known by construction."""

import numpy as np
import pytest

from vaebook import attributes


def _bar(width: int, shear: float = 0.0, length: int = 20, size: int = 28) -> np.ndarray:
    """A vertical bar `width` pixels wide and `length` tall, sheared so it moves `shear` px right per px up."""
    img = np.zeros((size, size))
    top = (size - length) // 2
    for r in range(top, top + length):
        offset = shear * ((size - 1) / 2 - r)  # rows above the centre move right when shear > 0
        left = int(round(size / 2 - width / 2 + offset))
        img[r, left : left + width] = 1.0
    return img


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_thickness_of_a_bar_is_its_width(width):
    t = attributes.stroke_thickness(_bar(width)[None])
    # 2 * area / outline = 2 w L / (2 L + 2 w) = w L / (L + w): within L / (L + w) of w for L = 20
    assert t.shape == (1,)
    np.testing.assert_allclose(t[0], width * 20 / (20 + width), rtol=1e-9)


def test_thickness_grows_with_width_and_accepts_channel_axis():
    bars = np.stack([_bar(w) for w in (1, 2, 3, 4, 5)])[..., None]
    t = attributes.stroke_thickness(bars)
    assert np.all(np.diff(t) > 0.5)


def test_thickness_of_empty_image_is_zero():
    assert attributes.stroke_thickness(np.zeros((2, 5, 5)))[0] == 0.0


@pytest.mark.parametrize("shear", [-0.4, -0.2, 0.0, 0.25, 0.5])
def test_slant_recovers_the_shear(shear):
    s = attributes.slant(_bar(2, shear=shear, length=22)[None])[0]
    assert s == pytest.approx(shear, abs=0.03)  # rounding to whole pixels costs a little


def test_slant_sign_right_lean_is_positive_and_mirror_flips_it():
    img = _bar(2, shear=0.3)
    s, s_mirror = attributes.slant(np.stack([img, img[:, ::-1]]))
    assert s > 0.2 and s_mirror == pytest.approx(-s)


def test_slant_ignores_translation_and_scale_of_intensity():
    img = _bar(2, shear=0.3)
    shifted = np.roll(img, 3, axis=1)
    out = attributes.slant(np.stack([img, shifted, 0.5 * img]))
    np.testing.assert_allclose(out, out[0], atol=1e-12)


def test_slant_of_empty_image_is_zero():
    assert attributes.slant(np.zeros((1, 6, 6)))[0] == 0.0


@pytest.mark.parametrize("fn", [attributes.stroke_thickness, attributes.slant])
@pytest.mark.parametrize(
    "bad, match",
    [
        (np.zeros((28, 28)), "single image"),
        (np.zeros((2, 28, 28, 3)), r"\(N, H, W\)"),
        (np.full((1, 4, 4), 2.0), r"\[0, 1\]"),
        (np.full((1, 4, 4), np.nan), r"\[0, 1\]"),
    ],
)
def test_bad_images_raise(fn, bad, match):
    with pytest.raises(ValueError, match=match):
        fn(bad)


def test_attribute_vector_is_mean_high_minus_mean_low():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(100, 3))
    values = z[:, 1] + 0.01 * rng.normal(size=100)
    v = attributes.attribute_vector(z, values, fraction=0.2)
    order = np.argsort(values)
    np.testing.assert_allclose(v, z[order[-20:]].mean(0) - z[order[:20]].mean(0))
    assert np.argmax(np.abs(v)) == 1 and v[1] > 0


@pytest.mark.parametrize(
    "codes, values, fraction, match",
    [
        (np.zeros(5), np.zeros(5), 0.2, r"\(N, d\)"),
        (np.zeros((5, 2)), np.zeros(4), 0.2, "must have shape"),
        (np.zeros((5, 2)), np.zeros(5), 0.7, r"\(0, 0.5\]"),
        (np.zeros((3, 2)), np.zeros(3), 0.2, "no example"),
    ],
)
def test_attribute_vector_rejects_bad_input(codes, values, fraction, match):
    with pytest.raises(ValueError, match=match):
        attributes.attribute_vector(codes, values, fraction)
