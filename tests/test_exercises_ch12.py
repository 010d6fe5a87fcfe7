"""The chapter-12 checks pass correct solutions, name typical mistakes, and explain code that raises or returns junk."""

import numpy as np
from keras import ops

from vaebook.exercises import (
    check_energy_distance,
    check_forward_diffusion,
    energy_distance_reference,
    forward_diffusion_reference,
)
from vaebook.sample_metrics import energy_distance


def dist(a, b):
    return np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1)).mean()


def test_correct_energy_distances_pass():
    assert check_energy_distance(lambda x, y: np.sqrt(2 * dist(x, y) - dist(x, x) - dist(y, y)))
    report = check_energy_distance(energy_distance)  # the package's chunked version, written differently
    assert report, str(report)
    report = check_energy_distance(lambda x, y: np.array([energy_distance_reference(x, y)]))  # a 1-element array
    assert report, str(report)


def test_energy_distance_mistakes_are_named():
    cases = {
        "take the square root": lambda x, y: 2 * dist(x, y) - dist(x, x) - dist(y, y),
        "counts twice": lambda x, y: np.sqrt(max(dist(x, y) - dist(x, x) - dist(y, y), 0)),
        "not squared distances": lambda x, y: np.sqrt(
            max(
                2 * ((x[:, None] - y[None]) ** 2).sum(-1).mean()
                - ((x[:, None] - x[None]) ** 2).sum(-1).mean()
                - ((y[:, None] - y[None]) ** 2).sum(-1).mean(),
                0,
            )
        ),
        "do not add them": lambda x, y: np.sqrt(2 * dist(x, y) + dist(x, x) + dist(y, y)),
    }
    for message, fn in cases.items():
        report = check_energy_distance(fn)
        assert not report and message in str(report), (message, str(report))


def test_energy_distance_junk_is_explained():
    report = check_energy_distance(lambda x, y: undefined_name)  # noqa: F821 (a NameError on purpose)
    assert not report and "NameError" in str(report)

    def forgot_return(x, y):
        np.sqrt(2 * dist(x, y) - dist(x, x) - dist(y, y))

    report = check_energy_distance(forgot_return)
    assert not report and "returned None" in str(report)
    report = check_energy_distance(lambda x, y: np.full(3, np.nan))
    assert not report and "shape (3,)" in str(report)
    report = check_energy_distance(lambda x, y: float("nan"))
    assert not report and "NaN" in str(report)
    assert not check_energy_distance(lambda x, y: "a string")


def test_correct_forward_diffusion_passes_in_numpy_and_keras_ops():
    def numpy_version(x0, t, eps, betas):
        ab = np.cumprod(1 - betas)[t][:, None]
        return np.sqrt(ab) * x0 + np.sqrt(1 - ab) * eps

    assert check_forward_diffusion(numpy_version)

    def ops_version(x0, t, eps, betas):
        ab = ops.expand_dims(ops.take(ops.cumprod(ops.convert_to_tensor(1 - betas)), ops.convert_to_tensor(t)), -1)
        return ops.sqrt(ab) * ops.convert_to_tensor(x0) + ops.sqrt(1 - ab) * ops.convert_to_tensor(eps)

    report = check_forward_diffusion(ops_version)
    assert report, str(report)
    assert check_forward_diffusion(forward_diffusion_reference)


def test_forward_diffusion_mistakes_are_named():
    def single_step(x0, t, eps, b):
        a = (1 - b)[t][:, None]
        return np.sqrt(a) * x0 + np.sqrt(1 - a) * eps

    def off_by_one(x0, t, eps, b):
        ab = np.concatenate([[1.0], np.cumprod(1 - b)[:-1]])[t][:, None]
        return np.sqrt(ab) * x0 + np.sqrt(1 - ab) * eps

    def no_sqrt(x0, t, eps, b):
        ab = np.cumprod(1 - b)[t][:, None]
        return ab * x0 + (1 - ab) * eps

    cases = {"not the single step's": single_step, "up to and including": off_by_one, "square roots": no_sqrt}
    for message, fn in cases.items():
        report = check_forward_diffusion(fn)
        assert not report and message in str(report), (message, str(report))


def test_forward_diffusion_junk_is_explained():
    report = check_forward_diffusion(lambda x0, t, eps, b: x0[:, 0])
    assert not report and "shape" in str(report)
    report = check_forward_diffusion(lambda x0, t, eps, b: None)
    assert not report and "returned None" in str(report)
    report = check_forward_diffusion(lambda x0, t, eps, b: x0 * np.nan)
    assert not report and "NaN" in str(report)
    report = check_forward_diffusion(lambda x0, t, eps, b: 1 / 0)
    assert not report and "ZeroDivisionError" in str(report)
