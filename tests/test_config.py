import pytest

from vaebook import config


def test_profile_from_environment(monkeypatch):
    for name in config.PROFILES:
        monkeypatch.setenv("VAEBOOK_PROFILE", name)
        assert config.profile() == name
    monkeypatch.setenv("VAEBOOK_PROFILE", " Smoke ")
    assert config.profile() == "smoke"


def test_profile_default_follows_gpu(monkeypatch):
    monkeypatch.delenv("VAEBOOK_PROFILE", raising=False)
    monkeypatch.setattr(config, "gpu_available", lambda: False)
    assert config.profile() == "quick"
    monkeypatch.setattr(config, "gpu_available", lambda: True)
    assert config.profile() == "full"


def test_bad_profile_names_the_choices(monkeypatch):
    monkeypatch.setenv("VAEBOOK_PROFILE", "fast")
    with pytest.raises(ValueError, match="smoke, quick, full.*'fast'"):
        config.profile()


def test_budget_picks_the_active_profile(monkeypatch):
    for name, expected in [("smoke", 1), ("quick", 10), ("full", 50)]:
        monkeypatch.setenv("VAEBOOK_PROFILE", name)
        assert config.budget(smoke=1, quick=10, full=50) == expected


def test_budget_requires_every_profile():
    with pytest.raises(TypeError):
        config.budget(smoke=1, quick=2)  # full missing: keyword-only and required


def test_set_seed_repeats_numpy_and_keras():
    import keras
    import numpy as np

    config.set_seed(3)
    a = (np.random.rand(3), keras.ops.convert_to_numpy(keras.random.normal((3,))))
    config.set_seed(3)
    b = (np.random.rand(3), keras.ops.convert_to_numpy(keras.random.normal((3,))))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True, None])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="non-negative integer"):
        config.set_seed(bad)


def test_environment_report(monkeypatch, backend):
    monkeypatch.setenv("VAEBOOK_PROFILE", "smoke")
    config.set_seed(7)
    report = config.environment_report()
    assert report.backend == backend
    assert report.profile == "smoke" and report.seed == 7
    text = str(report)
    for key in ("python", "keras", "device", "profile", "seed", "data"):
        assert key in text
    assert report.as_dict()["backend"] == backend


def test_bootstrap_is_quiet_on_stderr(backend):
    """The notebooks' set-up prints its report and nothing on stderr (TensorFlow's C++ notices are silenced)."""
    import os
    import subprocess
    import sys

    code = (
        "import vaebook; vaebook.config.set_seed(0); print(vaebook.config.environment_report()); "
        "import keras; keras.ops.sum(keras.random.normal((3,)))"
    )
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "VAEBOOK_PROFILE": "smoke"}
    env.pop("TF_ENABLE_ONEDNN_OPTS", None)  # as in a notebook: oneDNN on, and its notice must not reach stderr
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"backend: {backend}" in result.stdout
    assert "absl" not in result.stderr and "cuda" not in result.stderr.lower(), result.stderr
    assert "onednn" not in result.stderr.lower(), result.stderr


@pytest.mark.backend_independent  # each case starts a Python with its own backend
@pytest.mark.parametrize("other", ["jax", "torch"])
def test_start_up_does_not_import_tensorflow_on_other_backends(other):
    import os
    import subprocess
    import sys

    code = "from vaebook import config; config.import_keras_quietly(); import sys; print('tensorflow' in sys.modules)"
    env = {**os.environ, "KERAS_BACKEND": other, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr
