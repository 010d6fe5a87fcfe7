"""Saved models of earlier releases: .keras files written by the code of commit 9ac9334 (before the models shared
one base class and one PixelCNN decoder), loaded by today's classes, give the outputs the old code computed before
saving (tests/data/legacy_models/make_legacy_models.py wrote them). The two PixelCNN-decoder models are the
exception: their masked stack moved into the layer :class:`vaebook.layers.PixelCNNDecoder`, so the old files store
its weights under paths today's model does not have, and loading them fails loudly (CONTRIBUTING.md says why)."""

from pathlib import Path

import keras
import numpy as np
import pytest
from keras import ops

import vaebook.models  # noqa: F401  (registers the classes the files name)

LEGACY = Path(__file__).parent / "data" / "legacy_models"


def _load(name):
    return keras.saving.load_model(LEGACY / f"{name}.keras"), dict(np.load(LEGACY / f"{name}.npz"))


@pytest.mark.parametrize("name", ["vae", "tabular_vae"])
def test_gaussian_latent_models_load_with_their_weights(name):
    model, saved = _load(name)
    np.testing.assert_allclose(model.encode(saved["x"])[0], saved["mean"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        model.log_likelihood(saved["x"], saved["z"]), saved["log_likelihood"], rtol=1e-5, atol=1e-4
    )


def test_vq_models_load_with_their_weights():
    model, saved = _load("vqvae")
    np.testing.assert_array_equal(model.encode_indices(saved["x"]), saved["codes"])
    np.testing.assert_allclose(model.decode_indices(saved["codes"]), saved["decoded"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["pixelcnn_vae", "pixelcnn_vqvae"])
def test_pixelcnn_decoder_models_of_the_old_layout_fail_loudly(name):
    with pytest.raises(ValueError, match="could not be loaded"):
        _load(name)


def test_gan_ddpm_and_prior_load_with_their_weights():
    model, saved = _load("gan")
    np.testing.assert_allclose(model.generate(saved["z"]), saved["generated"], rtol=1e-5, atol=1e-5)
    model, saved = _load("ddpm")
    predicted = ops.convert_to_numpy(model.predict_noise(saved["x"], saved["t"]))
    np.testing.assert_allclose(predicted, saved["predicted_noise"], rtol=1e-5, atol=1e-5)
    model, saved = _load("pixelcnn")
    np.testing.assert_allclose(model.log_likelihood(saved["codes"]), saved["log_likelihood"], rtol=1e-5, atol=1e-4)
