"""Autograded exercises of chapter 3 (autoencoders)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaebook.exercises._checking import Checker, CheckReport, _to_numpy

__all__ = ["check_reconstruction_loss", "check_pca_encoder_decoder", "PCA_EXAMPLE_POINTS"]

# The five points A–E of the PCA example in the ES 204 lecture slides ("ES 204 – Digital Systems: Variational
# Autoencoders"; references.bib: es204_vae).
PCA_EXAMPLE_POINTS = np.array([[-0.5, -0.4], [-0.4, -0.1], [0.1, 0.0], [0.3, 0.3], [0.5, 0.2]])


def check_reconstruction_loss(reconstruction_loss: Callable) -> CheckReport:
    """Check ``reconstruction_loss(x, x_hat)``: squared error summed over the pixels of each image, mean over batch.

    The student's function receives two float32 NumPy arrays of shape ``(batch, 28, 28, 1)`` and returns a scalar
    (a Python float, a NumPy scalar or a 0-d tensor; ``keras.ops`` is fine).

    Returns:
        A :class:`CheckReport`; never raises because of the student's code.

    Used in: chapter 3, section "Exercises".
    """
    checker = Checker("Exercise: the reconstruction loss (sum over pixels, mean over the batch)")
    rng = np.random.default_rng(11)
    x = rng.uniform(size=(6, 28, 28, 1)).astype("float32")
    x_hat = np.clip(x + rng.normal(scale=0.2, size=x.shape), 0, 1).astype("float32")
    per_example = ((x - x_hat) ** 2).reshape(6, -1).sum(axis=1)
    expected = per_example.mean()
    value = checker.call_array(reconstruction_loss, x.copy(), x_hat.copy())
    if value is None:
        return checker.report()
    if value.shape == (6,):
        checker.fail("you returned one value per example; average them over the batch to get one scalar")
        return checker.report()
    if value.size != 1:
        checker.fail(f"expected a scalar, got an array of shape {value.shape}")
        return checker.report()
    got = float(value.reshape(()))
    hint = ""
    if np.isclose(got, expected / 784, rtol=1e-4):
        hint = "you averaged over the pixels: sum them, so that the loss is the squared error of a whole image"
    elif np.isclose(got, per_example.sum(), rtol=1e-4):
        hint = "you summed over the batch: take the mean, so the loss does not grow with the batch size"
    elif np.isclose(got, np.sqrt(per_example).mean(), rtol=1e-4) or np.isclose(got, np.sqrt(expected), rtol=1e-4):
        hint = "you took a square root: the loss is the squared error ‖x − x'‖², not the distance"
    elif np.isclose(got, np.abs(x - x_hat).reshape(6, -1).sum(axis=1).mean(), rtol=1e-4):
        hint = "you used the absolute error; square the differences"
    checker.close(got, expected, "the loss on a batch of 6 noisy MNIST-sized images", rtol=1e-4, hint=hint)
    same = rng.uniform(size=(3, 28, 28, 1)).astype("float32")
    zero = checker.call(reconstruction_loss, same, same.copy())
    if zero is not None:
        checker.close(zero, 0.0, "the loss of a perfect reconstruction is 0", atol=1e-6)
    return checker.report()


def check_pca_encoder_decoder(pca_encode_decode: Callable) -> CheckReport:
    """Check ``pca_encode_decode(points, k) -> (codes, reconstructions)`` on the lecture's five-point example.

    ``codes`` has shape ``(N, k)`` (coordinates along the leading principal directions of the centred points) and
    ``reconstructions`` shape ``(N, D)``. A principal direction's sign is arbitrary, so codes are accepted up to the
    sign of each column; reconstructions are unique.

    Returns:
        A :class:`CheckReport`; never raises because of the student's code.

    Used in: chapter 3, section "Exercises".
    """
    checker = Checker("Exercise: PCA as an encoder–decoder on points A–E")
    from vaebook.pca import fit_pca

    cases = [(PCA_EXAMPLE_POINTS, 1), (np.random.default_rng(5).normal(size=(40, 5)) * [3, 2, 1, 0.5, 0.1] + 1.0, 2)]
    for points, k in cases:
        what = f"{len(points)} points in {points.shape[1]}-D, k = {k}"
        out = checker.call(pca_encode_decode, points.copy(), k)
        if out is None:
            continue
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            checker.fail(f"{what}: expected a tuple (codes, reconstructions); got {type(out).__name__}")
            continue
        pca = fit_pca(points, k)
        ref_codes, ref_rec = pca.encode(points), pca.decode(pca.encode(points))
        codes = np.asarray(_to_numpy(out[0]), dtype=np.float64) if out[0] is not None else None
        rec_hint = (
            "decode with the transpose of the encoder and add the mean back; did you centre the points "
            "before projecting?"
        )
        if codes is not None and codes.shape == ref_codes.shape:
            signs = np.where(np.sum(codes * ref_codes, axis=0) < 0, -1.0, 1.0)
            code_hint = "project the centred points on the eigenvectors of the largest eigenvalues"
            if np.allclose(codes * signs, (points @ pca.components), atol=1e-6) and not np.allclose(pca.mean, 0):
                code_hint = "centre the points (subtract their mean) before projecting"
            checker.close(
                codes * signs, ref_codes, f"{what}: codes (up to the sign of each direction)", atol=1e-6, hint=code_hint
            )
        else:
            checker.close(codes, ref_codes, f"{what}: codes", hint="one row per point, one column per component")
        checker.close(out[1], ref_rec, f"{what}: reconstructions", atol=1e-6, hint=rec_hint)
    return checker.report()
