"""Run profiles, seeding and the environment report.

Every chapter runs the same code in three *profiles*, chosen by the environment variable ``VAEBOOK_PROFILE``:

``smoke``
    CI on a 2-core CPU: every cell executes and every hidden check holds; each chapter ≤ 90 s.
``quick``
    a student's 2-core CPU (Colab's free runtime, a laptop) with full MNIST available; each chapter ≤ 3 min.
    The default without a GPU. ``make test`` builds the book in this profile, so its hidden checks are CI's too.
``full``
    one GPU of Colab's T4 class; each chapter ≤ 15 min. The default when a GPU is visible.

Only budgets change between profiles (epochs, numbers of training and test examples, Monte Carlo samples), never
the code path. A chapter asks for its budgets through :func:`budget`::

    EPOCHS = vaebook.config.budget(smoke=1, quick=10, full=50)
    N_TRAIN = vaebook.config.budget(smoke=4000, quick=4000, full=60000)  # then x_train = x_train[:N_TRAIN]

Data sizes are budgets like epochs: a profile fixes how many digits a chapter trains and evaluates on, so its run
time and its numbers do not depend on whether MNIST came complete (60,000 / 10,000) or as the 4,000 / 1,000-digit
offline subset. A number the text states is named with its profile ("quick profile: 105 nats") and asserted, with
a tolerance, by a hidden check whose threshold comes from the same call, e.g.
``assert nll < budget(smoke=190, quick=112, full=100)``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import platform
import random
import sys
from typing import Any, TypeVar

import numpy as np

from vaebook._validation import check_integer

PROFILES = ("smoke", "quick", "full")
T = TypeVar("T")


@contextlib.contextmanager
def _quiet_stderr():
    """Silence file descriptor 2 (C-level stderr) inside the block; Python exceptions still propagate."""
    try:
        saved = os.dup(2)
    except OSError:  # no real file descriptor 2 (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_keras_quietly():
    """Import Keras (and with it the backend) with the C-level stderr silenced, and return the module.

    TensorFlow's C++ runtime writes start-up notices ("Could not find cuda drivers", absl's "All log messages
    before absl::InitializeLog()") straight to file descriptor 2, before ``TF_CPP_MIN_LOG_LEVEL`` takes effect.
    They are noise in a notebook; real errors still raise Python exceptions.

    TensorFlow itself is imported only on the TensorFlow backend: on JAX and PyTorch it costs seconds of
    start-up. (Keras's ``set_random_seed`` still loads it when it is installed, to seed ``tf.data`` shuffling;
    :func:`set_seed` does that quietly too.)
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    with _quiet_stderr():
        import keras

        if keras.backend.backend() == "tensorflow":
            try:
                import tensorflow  # noqa: F401
            except ImportError:
                pass
    return keras


@functools.cache
def gpu_available() -> bool:
    """Whether the active Keras backend sees a GPU (cached: the answer does not change within a process)."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            return bool(tf.config.list_physical_devices("GPU"))
        if backend == "jax":
            import jax

            return any(d.platform == "gpu" for d in jax.devices())
        if backend == "torch":
            import torch

            return bool(torch.cuda.is_available())
    except Exception:  # a broken backend install is not a GPU
        return False
    return False


def profile() -> str:
    """The active run profile: ``VAEBOOK_PROFILE`` if set, else ``"full"`` with a GPU and ``"quick"`` without.

    Raises:
        ValueError: if ``VAEBOOK_PROFILE`` is set to something other than smoke, quick or full.
    """
    value = os.environ.get("VAEBOOK_PROFILE", "").strip().lower()
    if not value:
        return "full" if gpu_available() else "quick"
    if value not in PROFILES:
        raise ValueError(
            f"VAEBOOK_PROFILE must be one of {', '.join(PROFILES)}; got {os.environ['VAEBOOK_PROFILE']!r}."
        )
    return value


def budget(*, smoke: T, quick: T, full: T) -> T:
    """Pick the budget for the active profile: the one helper every chapter scales its work with.

    Args:
        smoke: value in the smoke profile (CI, 2 CPU cores: each chapter ≤ 90 s).
        quick: value in the quick profile (2 CPU cores, full MNIST available: each chapter ≤ 3 min).
        full: value in the full profile (one T4-class GPU: each chapter ≤ 15 min).

    Returns:
        The argument named after :func:`profile`.

    Example:
        >>> EPOCHS = budget(smoke=1, quick=10, full=50)
    """
    return {"smoke": smoke, "quick": quick, "full": full}[profile()]


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the active Keras backend, so that a chapter's numbers repeat run after run.

    Args:
        seed: a non-negative integer.

    Raises:
        ValueError: if ``seed`` is not a non-negative integer.
    """
    seed = check_integer("seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed)
    # PYTHONHASHSEED cannot change this process's string hashing (fixed when Python starts); set here, it makes the
    # child processes this one starts (multiprocessing data workers, subprocesses) hash strings alike.
    os.environ["PYTHONHASHSEED"] = str(seed)
    keras = import_keras_quietly()
    with _quiet_stderr():  # Keras seeds TensorFlow too when it is installed (tf.data), loading it on any backend
        keras.utils.set_random_seed(seed)
    _state["seed"] = seed


_state: dict[str, Any] = {"seed": None}


@dataclasses.dataclass(frozen=True)
class EnvironmentReport:
    """What a reader needs to reproduce a notebook's numbers; ``print`` it for a short table."""

    python: str
    platform: str
    keras: str
    backend: str
    backend_version: str
    device: str
    profile: str
    seed: int | None
    data_source: str

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def __str__(self) -> str:
        rows = [
            ("python", self.python),
            ("platform", self.platform),
            ("keras", f"{self.keras} (backend: {self.backend} {self.backend_version})"),
            ("device", self.device),
            ("profile", self.profile),
            ("seed", str(self.seed)),
            ("data", self.data_source),
        ]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}} : {v}" for k, v in rows)


def _backend_version(backend: str) -> str:
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch", "numpy": "numpy"}.get(backend)
    if module is None:
        return "?"
    try:
        return str(__import__(module).__version__)
    except Exception:
        return "not installed"


def environment_report() -> EnvironmentReport:
    """Versions of Python, Keras and its backend, the device, the profile, the seed and the MNIST data source."""
    keras = import_keras_quietly()

    from vaebook import data

    backend = keras.backend.backend()
    return EnvironmentReport(
        python=sys.version.split()[0],
        platform=platform.platform(terse=True),
        keras=keras.__version__,
        backend=backend,
        backend_version=_backend_version(backend),
        device="GPU" if gpu_available() else "CPU",
        profile=profile(),
        seed=_state["seed"],
        data_source=data.data_source() or "MNIST not loaded yet (a chapter prints its source when it loads it)",
    )
