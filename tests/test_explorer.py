"""vaebook.explorer: the decoder exported for the page's script, its NumPy forward pass against Keras, the page."""

from __future__ import annotations

import base64
import json
import re

import keras
import numpy as np
import pytest

from vaebook.explorer import LatentExplorer, decode_numpy, decoder_operations, pack_operations
from vaebook.models.mnist_architectures import build_mnist_decoder, build_mnist_mlp_decoder


def _spread_weights(model, seed=0):
    """Untrained decoders draw grey images near 0.5; larger weights and random biases make every pixel count."""
    rng = np.random.default_rng(seed)
    model.set_weights([2 * w if w.ndim > 1 else rng.normal(0, 0.5, w.shape) for w in model.get_weights()])
    return model


def _keras_pixels(decoder, z, labels=None):
    inputs = z if labels is None else [z, np.eye(10, dtype="float32")[labels]]
    return keras.ops.convert_to_numpy(keras.ops.sigmoid(decoder(inputs, training=False))).reshape(len(z), 28, 28)


@pytest.fixture(scope="module")
def codes():
    rng = np.random.default_rng(1)
    return rng.normal(0.0, 1.5, (64, 2)).astype("float32"), rng.integers(0, 10, 64)


@pytest.mark.parametrize(
    "build",
    [
        lambda: build_mnist_decoder(latent_dim=2, filters=(16, 8)),
        lambda: build_mnist_mlp_decoder(latent_dim=2, hidden=(16, 32)),
        lambda: build_mnist_decoder(latent_dim=2, filters=(16, 8), num_classes=10),
    ],
    ids=["conv", "mlp", "conditional-conv"],
)
def test_numpy_forward_pass_equals_the_keras_decoder(build, codes):
    keras.utils.set_random_seed(0)
    decoder = _spread_weights(build())
    z, labels = codes
    conditional = len(decoder.inputs) == 2
    expected = _keras_pixels(decoder, z, labels if conditional else None)
    got = decode_numpy(decoder_operations(decoder), z, labels if conditional else None)
    assert got.shape == (len(z), 28, 28)
    assert expected.std() > 0.05  # the images vary: a comparison of grey fields would prove little
    np.testing.assert_allclose(got, expected, atol=2e-5)


@pytest.mark.parametrize("kernel,stride", [(3, 1), (3, 2), (4, 2), (5, 2), (2, 2)])
def test_transposed_convolution_follows_keras_same_padding(kernel, stride):
    keras.utils.set_random_seed(0)
    z = keras.Input((2,))
    h = keras.layers.Reshape((7, 7, 3))(keras.layers.Dense(7 * 7 * 3)(z))
    h = keras.layers.Conv2DTranspose(5, kernel, strides=stride, padding="same", activation="relu")(h)
    last_stride = 28 // (7 * stride)  # up to 28 × 28
    h = keras.layers.Conv2DTranspose(1, max(kernel, last_stride), strides=last_stride, padding="same")(h)
    decoder = _spread_weights(keras.Model(z, h))
    x = np.random.default_rng(2).normal(size=(5, 2)).astype("float32")
    expected = keras.ops.convert_to_numpy(keras.ops.sigmoid(decoder(x))).reshape(5, 28, 28)
    np.testing.assert_allclose(decode_numpy(decoder_operations(decoder), x), expected, atol=2e-5)


def test_packed_weights_hold_every_array_in_order():
    keras.utils.set_random_seed(0)
    decoder = build_mnist_decoder(latent_dim=2, filters=(4, 2), num_classes=10)
    operations = decoder_operations(decoder)
    spec, buffer = pack_operations(operations)
    assert len(buffer) == 4 * decoder.count_params()
    flat = np.frombuffer(buffer, dtype="<f4")
    for op, entry in zip(operations, spec, strict=True):
        assert entry["op"] == op["op"]
        for key in ("kernel", "bias"):
            if key in op:
                start, shape = entry[key]["offset"], tuple(entry[key]["shape"])
                np.testing.assert_array_equal(flat[start : start + op[key].size].reshape(shape), op[key])
    json.dumps(spec)  # the spec is plain JSON


def test_page_holds_its_data_and_fetches_nothing(codes, tmp_path):
    keras.utils.set_random_seed(0)
    decoder = _spread_weights(build_mnist_decoder(latent_dim=2, filters=(8, 4)))
    z, labels = codes
    explorer = LatentExplorer(decoder, z, labels, check_point=(0.5, -1.0), max_points=50)
    page = explorer.to_html()
    assert explorer._repr_html_() == page
    assert not re.search(r"\b(src|href)=|https?://|import\(|fetch\(|XMLHttpRequest", page)
    data = json.loads(re.search(r'class="vaebook-explorer-data">(.*?)</script>', page).group(1))
    assert len(data["labels"]) == 50 and len(data["codes"]) == 100
    assert len(base64.b64decode(data["weights"])) == explorer.weights_bytes == 4 * decoder.count_params()
    assert explorer.script_bytes < 12_000  # small enough to read in one sitting
    check = json.loads(re.search(r'data-check="([^"]*)"', page).group(1).replace("&quot;", '"'))
    pixels = np.frombuffer(base64.b64decode(check["pixels"]), dtype="<f4").reshape(28, 28)
    np.testing.assert_allclose(pixels, _keras_pixels(decoder, np.array([[0.5, -1.0]], "float32"))[0], atol=1e-6)
    saved = explorer.save(tmp_path / "explorer.html").read_text()
    assert saved.startswith("<!DOCTYPE html>") and page in saved
    assert "unconditional" in repr(explorer)


def test_bad_inputs_fail_with_what_was_expected(codes):
    keras.utils.set_random_seed(0)
    z, labels = codes
    decoder = build_mnist_decoder(latent_dim=2, filters=(4, 2))
    with pytest.raises(ValueError, match="2 dimensions; got latent_dim=16"):
        LatentExplorer(build_mnist_mlp_decoder(latent_dim=16, hidden=(8,)), z, labels)
    with pytest.raises(ValueError, match="keras.Model"):
        LatentExplorer(lambda z: z, z, labels)
    with pytest.raises(ValueError, match=r"codes must have shape \(N, 2\)"):
        LatentExplorer(decoder, np.zeros((5, 3)), labels[:5])
    with pytest.raises(ValueError, match=r"labels must have shape \(64,\)"):
        LatentExplorer(decoder, z, labels[:10])
    with pytest.raises(ValueError, match=r"integers in \[0, 10\)"):
        LatentExplorer(decoder, z, labels + 5)
    with pytest.raises(ValueError, match="codes must be finite"):
        LatentExplorer(decoder, np.full((3, 2), np.nan), labels[:3])
    with pytest.raises(ValueError, match="extent must be a positive number"):
        LatentExplorer(decoder, z, labels, extent=-1.0)
    with pytest.raises(ValueError, match="max_points must be a positive integer"):
        LatentExplorer(decoder, z, labels, max_points=0)
    with pytest.raises(ValueError, match=r"check_label must be in \[0, 10\)"):
        LatentExplorer(build_mnist_decoder(latent_dim=2, filters=(4, 2), num_classes=10), z, labels, check_label=12)
    with pytest.raises(ValueError, match=r"z must have shape \(N, 2\)"):
        decode_numpy(decoder_operations(decoder), np.zeros((3, 4)))


def _one_layer_decoder(layer):
    z = keras.Input((2,))
    h = keras.layers.Reshape((7, 7, 1))(keras.layers.Dense(49)(z))
    return keras.Model(z, layer(h))


@pytest.mark.parametrize(
    "layer,message",
    [
        (keras.layers.Conv2D(1, 3, padding="same"), "knows Dense, Reshape and Conv2DTranspose"),
        (keras.layers.Conv2DTranspose(1, 3, padding="valid"), "padding 'same'"),
        (keras.layers.Conv2DTranspose(1, 3, padding="same", activation="tanh"), "activations"),
    ],
    ids=["conv2d", "valid-padding", "tanh"],
)
def test_layers_the_script_does_not_know_are_refused(layer, message):
    with pytest.raises(ValueError, match=message):
        decoder_operations(_one_layer_decoder(layer))


def test_the_figure_carries_a_still_png_for_renderers_without_scripts():
    decoder = build_mnist_decoder(2)
    codes = np.random.default_rng(0).normal(size=(50, 2)).astype("float32")
    explorer = LatentExplorer(decoder, codes, np.arange(50) % 10)
    bundle = explorer._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png"}
    assert bundle["text/html"] == explorer.to_html()
    assert bundle["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
