"""colab-pins.txt and tools/colab_env.py (make test-colab): the parts that need no install."""

from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

from tools import colab_env

ROOT = Path(__file__).resolve().parents[2]

PINS = colab_env.read_pins()


def test_pins_cover_colabs_numerical_stack():
    for name in (
        "numpy",
        "keras",
        "tensorflow",
        "jax",
        "jaxlib",
        "torch",
        "scikit-learn",
        "scipy",
        "matplotlib",
        "mlxtend",
        "tensorflow-datasets",
    ):
        assert name in PINS, f"colab-pins.txt has no pin for {name}"
    text = colab_env.PINS.read_text()
    assert "Source:" in text and "2026" in text, "colab-pins.txt must say where its versions come from, and when"


def test_vaebooks_dependencies_accept_colabs_versions():
    """pip could only keep Colab's packages if every dependency range of vaebook admits Colab's version."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for line in project["dependencies"]:
        req = Requirement(line)
        name = colab_env.canonical(req.name)
        if name in PINS:
            assert req.specifier.contains(PINS[name], prereleases=True), (
                f"pyproject.toml requires {line}, Colab ships {name} {PINS[name]}: pip would upgrade it in Colab"
            )


def test_bad_pin_lines_are_rejected(tmp_path):
    bad = tmp_path / "pins.txt"
    bad.write_text("# comment\nnumpy>=2.1\n")
    with pytest.raises(ValueError, match="name==version"):
        colab_env.read_pins(bad)
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(ValueError, match="no pins"):
        colab_env.read_pins(tmp_path / "empty.txt")


def test_the_install_command_is_the_bootstrap_cells():
    command = colab_env.bootstrap_pip_command("/venv/bin/python", "file:///repo", "abc123")
    assert command == ["/venv/bin/python", "-m", "pip", "install", "-q", "vaebook @ git+file:///repo@abc123"]
