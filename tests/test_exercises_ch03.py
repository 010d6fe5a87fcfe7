"""Chapter 3's autograded checks pass right answers, explain typical wrong ones and survive broken code."""

import keras
import numpy as np

from vaebook.exercises import PCA_EXAMPLE_POINTS, check_pca_encoder_decoder, check_reconstruction_loss


def test_reconstruction_loss_correct_numpy_and_keras():
    assert check_reconstruction_loss(lambda x, y: ((x - y) ** 2).reshape(len(x), -1).sum(1).mean())
    assert check_reconstruction_loss(
        lambda x, y: keras.ops.mean(keras.ops.sum(keras.ops.square(x - y), axis=(1, 2, 3)))
    )


def test_reconstruction_loss_typical_mistakes():
    assert "averaged over the pixels" in str(check_reconstruction_loss(lambda x, y: ((x - y) ** 2).mean()))
    assert "summed over the batch" in str(check_reconstruction_loss(lambda x, y: ((x - y) ** 2).sum()))
    assert "square root" in str(
        check_reconstruction_loss(lambda x, y: np.sqrt(((x - y) ** 2).reshape(len(x), -1).sum(1)).mean())
    )
    assert "absolute error" in str(
        check_reconstruction_loss(lambda x, y: np.abs(x - y).reshape(len(x), -1).sum(1).mean())
    )
    assert "one value per example" in str(
        check_reconstruction_loss(lambda x, y: ((x - y) ** 2).reshape(len(x), -1).sum(1))
    )


def test_reconstruction_loss_survives_broken_code():
    def broken(x, y):
        raise NotImplementedError

    report = check_reconstruction_loss(broken)
    assert not report and "NotImplementedError" in str(report)
    assert not check_reconstruction_loss(lambda x, y: "three")


def _pca(points, k):
    mean = points.mean(0)
    _, _, vt = np.linalg.svd(points - mean)
    u = vt[:k].T
    codes = (points - mean) @ u
    return -codes, codes @ u.T + mean  # a sign flip of the codes is allowed


def test_pca_correct_and_reproduces_the_lecture_table():
    assert check_pca_encoder_decoder(_pca)
    codes, rec = _pca(PCA_EXAMPLE_POINTS, 1)
    np.testing.assert_allclose(np.round(np.abs(codes.ravel()), 2), [0.63, 0.39, 0.09, 0.41, 0.53])
    np.testing.assert_allclose(
        np.round(rec, 2), [[-0.54, -0.33], [-0.34, -0.20], [0.07, 0.04], [0.35, 0.21], [0.46, 0.27]]
    )


def test_pca_typical_mistakes():
    def uncentred(points, k):
        _, _, vt = np.linalg.svd(points - points.mean(0))
        u = vt[:k].T
        return points @ u, (points @ u) @ u.T

    text = str(check_pca_encoder_decoder(uncentred))
    assert "centre the points" in text and "add the mean back" in text
    assert "expected a tuple" in str(check_pca_encoder_decoder(lambda p, k: p))
    report = check_pca_encoder_decoder(lambda p, k: (_ for _ in ()).throw(NotImplementedError()))
    assert "NotImplementedError" in str(report)
