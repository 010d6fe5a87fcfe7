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


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "backend_independent: the test's result does not depend on the Keras backend of the session (it runs "
        "subprocesses with a backend of its own, or reads data without Keras); with VAEBOOK_ONCE_BACKEND set, it runs "
        "only in that backend's session",
    )


def pytest_collection_modifyitems(config, items):
    """With VAEBOOK_ONCE_BACKEND=<name> (make test sets tensorflow), backend-independent tests run in one session.

    `make test` runs the unit tests once per backend; a test marked ``backend_independent`` would check the same thing
    three times. They are deselected (pytest's summary counts them) in the other sessions. Unset, as in
    `make test-colab` and a plain `pytest`, every test runs.
    """
    once = os.environ.get("VAEBOOK_ONCE_BACKEND")
    if not once or os.environ.get("KERAS_BACKEND", "tensorflow") == once:
        return
    dropped = [item for item in items if item.get_closest_marker("backend_independent")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not item.get_closest_marker("backend_independent")]


def pytest_report_header(config):
    once = os.environ.get("VAEBOOK_ONCE_BACKEND")
    extra = f"; backend-independent tests only when KERAS_BACKEND={once}" if once else ""
    return f"KERAS_BACKEND={os.environ.get('KERAS_BACKEND', 'tensorflow (default)')}{extra}"
