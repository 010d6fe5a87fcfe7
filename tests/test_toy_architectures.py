"""vaebook.models.toy_architectures: the toy models' networks, their layers and names, and bad arguments."""

import numpy as np
import pytest

from vaebook.models import build_toy_denoiser, build_toy_gan, build_toy_mlp


def test_mlp_layers_names_and_shapes():
    mlp = build_toy_mlp(3, 2, hidden=(8, 4), activation="tanh", name="net")
    assert mlp.name == "net"
    assert [layer.name for layer in mlp.layers] == ["net_input", "net_dense_0", "net_dense_1", "net_out"]
    assert [layer.units for layer in mlp.layers[1:]] == [8, 4, 2]
    assert [layer.activation.__name__ for layer in mlp.layers[1:]] == ["tanh", "tanh", "linear"]
    assert mlp.predict(np.zeros((5, 3), "float32"), verbose=0).shape == (5, 2)


def test_denoiser_takes_the_point_and_the_time_features():
    net = build_toy_denoiser(data_dim=3, embedding_dim=4, hidden=(8,))
    assert net.name == "denoiser" and [tuple(t.shape) for t in net.inputs] == [(None, 3), (None, 4)]
    assert [layer.name for layer in net.layers] == [
        "x_t",
        "time_features",
        "concat",
        "denoiser_dense_0",
        "predicted_noise",
    ]
    out = net.predict([np.zeros((2, 3), "float32"), np.zeros((2, 4), "float32")], verbose=0)
    assert out.shape == (2, 3)


def test_the_gan_is_two_toy_mlps():
    gan = build_toy_gan(data_dim=3, latent_dim=2, hidden=(4,))
    assert [layer.name for layer in gan.generator.layers] == [
        "generator_input",
        "generator_dense_0",
        "generator_out",
    ]
    assert gan.discriminator.layers[1].activation.__name__ == "leaky_relu" and gan.discriminator.layers[-1].units == 1


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="input_dim"):
        build_toy_mlp(0, 2)
    with pytest.raises(ValueError, match="output_dim"):
        build_toy_mlp(2, 0)
    with pytest.raises(ValueError, match="each entry of hidden"):
        build_toy_mlp(2, 2, hidden=(4, -1))
    with pytest.raises(ValueError, match="embedding_dim must be even; got 5"):
        build_toy_denoiser(embedding_dim=5)
    with pytest.raises(ValueError, match="data_dim"):
        build_toy_denoiser(data_dim=0)
