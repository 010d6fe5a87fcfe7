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


class _Snapshots:  # the interface of vaebook.callbacks.LatentSnapshots: means (T, N, d) and their steps
    def __init__(self, frames, steps):
        self.means, self.steps = frames, steps


@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
def test_animate_latents_plays_every_frame_with_fixed_limits():
    rng = np.random.default_rng(0)
    frames = [rng.normal(scale=scale, size=(30, 2)) for scale in (4.0, 2.0, 1.0)]
    anim = plotting.animate_latents(frames, labels=np.arange(30) % 10, steps=[0, 10, 20], html=False)
    fig = anim._fig
    ax = fig.axes[0]
    lo, hi = np.min(np.concatenate(frames), axis=0), np.max(np.concatenate(frames), axis=0)
    assert ax.get_xlim()[0] < lo[0] and ax.get_xlim()[1] > hi[0]  # every frame fits
    anim._func(2)  # draw the last frame
    np.testing.assert_allclose(ax.collections[0].get_offsets(), frames[2])
    assert ax.get_title() == "latent codes: step 20"


def test_animate_latents_returns_a_javascript_player():
    frames = np.random.default_rng(1).normal(size=(4, 20, 3))  # d = 3: the first two coordinates are shown
    out = plotting.animate_latents(_Snapshots(frames, [1, 2, 3, 4]), interval=100)
    html = out.data
    assert "<script" in html and "frames[3]" in html and "frames[4]" not in html
    small = plotting.animate_latents(_Snapshots(frames, [1, 2, 3, 4]), dpi=36).data
    assert len(small) < len(html)  # the dpi sets the size of the embedded frames


@pytest.mark.parametrize(
    "frames, kwargs, match",
    [
        (np.zeros((3, 5, 3)), {}, r"\(T, N, 2\)"),
        ([np.zeros((5, 2)), np.zeros((4, 2))], {}, "one common shape"),
        (np.zeros((3, 5, 2)), {"steps": [1, 2]}, "one entry per frame"),
        (np.zeros((3, 5, 2)), {"labels": np.arange(4)}, "labels must have shape"),
    ],
)
def test_animate_latents_rejects_bad_input(frames, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plotting.animate_latents(frames, html=False, **kwargs)


def test_layer_rows_and_architecture_of_the_mnist_vae():
    from vaebook.models import build_mnist_vae

    vae = build_mnist_vae(latent_dim=4, filters=(2, 3), dense_units=8)
    encoder, decoder = plotting.layer_rows(vae.encoder), plotting.layer_rows(vae.decoder)
    assert encoder[0] == ("Conv2D", "28×28×2") and encoder[1] == ("MaxPool", "14×14×2")
    assert encoder[-2:] == [("Dense → μ", "4"), ("Dense → log σ²", "4")]
    assert decoder[-1] == ("ConvTranspose", "28×28×1") and ("Reshape", "7×7×3") in decoder
    ax = plotting.draw_architecture(encoder, decoder, latent_dim=4, title="VAE")
    texts = [t.get_text() for t in ax.texts]
    # one box per layer plus input and Sampling, each with its name and shape, and the two part labels
    assert len(ax.patches) == len(encoder) + len(decoder) + 2
    assert "Sampling" in texts and "z: 4" in texts and "Dense → μ" in texts and ax.get_title() == "VAE"
    assert sum("encoder" in t for t in texts) == 1 and sum("decoder" in t for t in texts) == 1
