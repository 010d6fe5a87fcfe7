"""Shared test set-up: quiet TensorFlow, a non-interactive matplotlib, and the active Keras backend's name."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")
# On JAX every test compiles its small models once; XLA's optimization passes then cost more CPU time than they save
# (about a quarter of the JAX unit tests' CPU time, measured here). The numbers the tests check do not depend on it.
if os.environ.get("KERAS_BACKEND") == "jax":
    os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def backend() -> str:
    import keras

    return keras.backend.backend()


def pytest_report_header(config):
    return f"KERAS_BACKEND={os.environ.get('KERAS_BACKEND', 'tensorflow (default)')}"
