import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from vaebook import plotting  # noqa: E402


def teardown_function():
    plt.close("all")


def test_image_grid_tiles_row_by_row():
    images = np.zeros((6, 3, 3, 1), dtype=np.float32)
    images[4] = 1.0  # the fifth image: row 1, column 1 with ncols=3
    ax = plotting.image_grid(images, ncols=3, titles=["a", "b"], pad=1)
    canvas = ax.get_images()[0].get_array()
    assert canvas.shape == (2 * 4 - 1, 3 * 4 - 1)
    assert canvas[4:7, 4:7].min() == 1.0 and canvas[0:3, 0:3].max() == 0.0
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3, 2), (0, 3, 3)])
def test_image_grid_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        plotting.image_grid(np.zeros(shape))


def test_latent_scatter():
    z = np.random.default_rng(0).normal(size=(50, 2))
    ax = plotting.latent_scatter(z, labels=np.arange(50) % 10, title="codes")
    assert ax.get_title() == "codes" and len(ax.collections) == 1
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plotting.latent_scatter(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="labels must have shape"):
        plotting.latent_scatter(z, labels=np.arange(3))


def test_training_curves_from_dict_and_history():
    hist = {"loss": [3.0, 2.0, 1.0], "val_loss": [3.5, 2.5, 2.0], "kl": [1, 2, 3]}
    ax = plotting.training_curves(hist, keys=["loss"])
    assert len(ax.lines) == 2  # the val_ twin is drawn too

    class History:
        history = hist

    ax = plotting.training_curves(History())
    assert len(ax.lines) == 3
    with pytest.raises(ValueError, match="no \\['recon'\\]"):
        plotting.training_curves(hist, keys=["recon"])


def test_book_style_sets_viridis():
    plotting.use_book_style()
    assert matplotlib.rcParams["image.cmap"] == "viridis"


def test_autoencoder_diagram_labels():
    ax = plotting.autoencoder_diagram(code_label="$y$", encoder_label="PCA $W^T$", title="PCA")
    texts = [t.get_text() for t in ax.texts]
    assert "$y$" in texts and "PCA $W^T$" in texts and ax.get_title() == "PCA"
    assert len(ax.patches) >= 3
