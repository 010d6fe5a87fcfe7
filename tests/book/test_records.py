"""Measurement records (tools/records.py) and the status page rendered from them (tools/status_page.py)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools import nbval_times, records, status_page

ROOT = Path(__file__).resolve().parents[2]


def _notebook(tmp_path, name, seconds, profile="quick", backend="tensorflow", status="ok", **extra):
    return records.write_record(
        "notebook", name, {"seconds": seconds, "status": status}, out_dir=tmp_path, profile=profile, backend=backend,
        **extra,
    )  # fmt: skip


def test_write_record_round_trip(tmp_path):
    start = [0.5, 0.25, 0.125]
    path = records.write_record(
        "command",
        "make test",
        {"seconds": 12.5, "status": "ok", "parts": {"lint": 2.0, "unit tests": 10.5}},
        out_dir=tmp_path,
        load_start=start,
        load_end=[1.0, 0.5, 0.25],
        jobs=2,
    )
    assert path.parent == tmp_path / "command"
    assert path.name.endswith("-make-test.json") and path.name[:8].isdigit()
    (loaded,) = records.load_records(records_dir=tmp_path)
    assert loaded == json.loads(path.read_text(encoding="utf-8"))
    assert loaded["figures"] == {"seconds": 12.5, "status": "ok", "parts": {"lint": 2.0, "unit tests": 10.5}}
    assert loaded["context"] == {"jobs": 2}
    assert loaded["load"] == {"start": start, "end": [1.0, 0.5, 0.25]}
    assert loaded["kind"] == "command" and loaded["name"] == "make test"
    assert records.parse_when(loaded["when"]).tzinfo is not None
    # where and versions describe this machine and the installed packages, without a host name
    import platform
    from importlib import metadata

    assert loaded["where"]["cpus"] >= 1 and isinstance(loaded["where"]["gpu"], bool)
    assert platform.node() not in json.dumps(loaded["where"])
    assert loaded["versions"]["python"] == platform.python_version()
    assert loaded["versions"]["numpy"] == metadata.version("numpy")


def test_figures_become_plain_json(tmp_path):
    np = pytest.importorskip("numpy")
    path = records.write_record(
        "benchmark",
        "tiny",
        {"nll": np.float32(1.5), "counts": np.arange(3), "se": float("nan"), "rows": {"a": {"x": np.int64(4)}}},
        out_dir=tmp_path,
    )
    figures = json.loads(path.read_text(encoding="utf-8"))["figures"]
    assert figures == {"nll": 1.5, "counts": [0, 1, 2], "se": None, "rows": {"a": {"x": 4}}}
    with pytest.raises(ValueError, match=r"figures\['bad'\]"):
        records.write_record("benchmark", "tiny", {"bad": object()}, out_dir=tmp_path)


def test_two_runs_in_one_second_get_two_files_in_order(tmp_path):
    when = "2026-12-06T10:00:00Z"
    first = _notebook(tmp_path, "07_vae_mnist", 1.0, when=when)
    second = _notebook(tmp_path, "07_vae_mnist", 2.0, when=when)
    assert first != second and second.name.endswith("+2.json")
    assert [r["figures"]["seconds"] for r in records.load_records("notebook", records_dir=tmp_path)] == [1.0, 2.0]


def test_the_latest_record_wins_whatever_the_file_names(tmp_path):
    _notebook(tmp_path, "07_vae_mnist", 100.0, when="2026-12-06T10:00:00Z")
    _notebook(tmp_path, "07_vae_mnist", 50.0, when="2026-12-01")
    page = status_page.render(records.load_records(records_dir=tmp_path))
    assert "| `07_vae_mnist` | 100 |" in page and "| 50 |" not in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("figures"), "missing field 'figures'"),
        (lambda r: r.pop("when"), "missing field 'when'"),
        (lambda r: r["figures"].pop("seconds"), "missing field 'figures.seconds'"),
        (lambda r: r["figures"].pop("status"), "missing field 'figures.status'"),
        (lambda r: r["context"].pop("profile"), "missing field 'context.profile'"),
        (lambda r: r.update(when="yesterday"), "'when' must be"),
        (lambda r: r.update(figures=[1, 2]), "field 'figures' must be a JSON object"),
        (lambda r: r.update(kind="benchmark"), "field 'kind' is 'benchmark' but the file is in records/notebook/"),
        (lambda r: r["figures"].update(seconds="12"), "field 'figures.seconds' must be a number"),
        (lambda r: r.update(load={"start": "high"}), "field 'load.start'"),
    ],
)
def test_a_malformed_record_names_what_is_wrong(tmp_path, change, message):
    path = _notebook(tmp_path, "05_elbo", 3.0)
    record = json.loads(path.read_text(encoding="utf-8"))
    change(record)
    path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(ValueError, match=message) as err:
        records.load_records(records_dir=tmp_path)
    assert str(path) in str(err.value)
    # the command line and the status page refuse it too
    assert records.main(["--dir", str(tmp_path), "check"]) == 1
    assert status_page.main(["--records", str(tmp_path), "--out", str(tmp_path / "status.md")]) == 1


def test_write_record_refuses_a_bad_record_and_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="figures.status"):
        records.write_record("notebook", "05_elbo", {"seconds": 3.0}, out_dir=tmp_path, profile="quick", backend="jax")
    with pytest.raises(ValueError, match="context.backend"):
        records.write_record("notebook", "05_elbo", {"seconds": 3.0, "status": "ok"}, out_dir=tmp_path, profile="q")
    with pytest.raises(ValueError, match="field 'kind'"):
        records.write_record("Not A Kind", "x", {}, out_dir=tmp_path)
    assert not list(tmp_path.rglob("*.json"))


def test_status_page_renders_tables_from_records(tmp_path):
    _notebook(tmp_path, "01_representation_learning", 29.4, when="2026-12-02", load_start=[0.2, 0.1, 0.1])
    _notebook(tmp_path, "01_representation_learning", 28.0, profile="smoke", when="2026-12-03")
    _notebook(tmp_path, "07_vae_mnist", 147.0, when="2026-12-02", load_start=[1.6, 1.0, 0.5])
    _notebook(tmp_path, "07_vae_mnist", 12.0, profile="smoke", backend="jax", status="FAILED: AssertionError")
    records.write_record(
        "command", "make test", {"seconds": 1706, "status": "ok", "parts": {"set-up": 83, "book": 1533}},
        out_dir=tmp_path, when="2026-12-02",
    )  # fmt: skip
    rows = {"ref": {"codes used": 0.055}, "ours": {"codes used": 0.977}}
    records.write_record(
        "benchmark", "vqvae_mnist", {"rows": rows, "seconds": 9},
        out_dir=tmp_path, when="2026-11-20", args="--epochs 5", backend="tensorflow",
    )  # fmt: skip
    page = status_page.render(records.load_records(records_dir=tmp_path))
    assert page.startswith(status_page.HEADER)
    lines = page.splitlines()
    header = "| chapter | smoke, TensorFlow (s) | smoke, JAX (s) | quick, TensorFlow (s) |"
    assert header in lines
    assert "| `01_representation_learning` | 28 | — | 29 |" in lines
    assert "| `07_vae_mnist` | — | 12 (FAILED: AssertionError) | 147 |" in lines
    quick_note = [line for line in lines if line.startswith("- quick, TensorFlow: 2026-12-02; ")]
    assert len(quick_note) == 1 and "load" not in quick_note[0]  # the load stays in the records, off the page
    assert "| `make test` | ok | 1,706 | set-up 83; book 1,533 |" in lines
    assert "### `benchmarks/vqvae_mnist.py --epochs 5`" in lines
    assert "| ours | 0.977 |" in lines and "- seconds: 9" in lines
    # the page says nothing the records do not: no host name, no commit
    assert "commit" not in page.lower()


def test_status_page_check_flags_a_stale_page(tmp_path):
    _notebook(tmp_path, "05_elbo", 31.0, when="2026-12-02")
    out = tmp_path / "status.md"
    args = ["--records", str(tmp_path), "--out", str(out)]
    assert status_page.main(args) == 0
    assert status_page.main([*args, "--check"]) == 0
    _notebook(tmp_path, "05_elbo", 35.0)  # a newer measurement: the page is stale until rendered again
    assert status_page.main([*args, "--check"]) == 1
    assert status_page.main(args) == 0 and "| `05_elbo` | 35 |" in out.read_text(encoding="utf-8")


def test_the_committed_records_are_valid_and_status_md_is_what_they_render():
    found = records.load_records(records_dir=records.RECORDS_DIR)
    assert {r["kind"] for r in found} >= {"notebook", "command", "benchmark"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "status_page.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_nbval_times_writes_one_record_per_notebook(tmp_path):
    xml = tmp_path / "nbval.xml"
    xml.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="chapters.05_elbo" file="chapters/05_elbo.ipynb" name="Cell 0" time="1.5"/>'
        '<testcase classname="chapters.05_elbo" file="chapters/05_elbo.ipynb" name="Cell 1" time="2.25"/>'
        '<testcase classname="chapters.07_vae_mnist" file="chapters/07_vae_mnist.ipynb" name="Cell 0" time="4">'
        '<failure message="boom"/></testcase>'
        '<testcase classname="chapters.12_outlook" name="Cell 0" time="7"/>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    times = nbval_times.notebook_times(str(xml))
    nbval_times.write_records(times, "smoke", "jax", out_dir=tmp_path / "records")
    found = {r["name"]: r for r in records.load_records(records_dir=tmp_path / "records")}
    assert found["05_elbo"]["figures"] == {"seconds": 3.8, "status": "ok", "cells": 2}
    assert found["07_vae_mnist"]["figures"]["status"] == "FAILED: 1 of 1 cells"
    assert found["12_outlook"]["figures"]["seconds"] == 7
    assert found["05_elbo"]["context"]["backend"] == "jax" and found["05_elbo"]["context"]["profile"] == "smoke"


def test_a_benchmark_record_carries_its_command_line_without_no_record(tmp_path, monkeypatch, capsys):
    import argparse

    monkeypatch.setenv("VAEBOOK_RECORDS", str(tmp_path))
    args = argparse.Namespace(epochs=3, no_record=False)
    path = records.write_benchmark("toy", {"seconds": 1.5}, args, backend="jax", load_start=[1.0, 1.0, 1.0])
    record = records.read_record(path)
    assert record["kind"] == "benchmark" and record["name"] == "toy"
    assert record["context"]["args"] == "--epochs 3" and record["context"]["backend"] == "jax"
    assert record["load"]["start"] == [1.0, 1.0, 1.0] and f"record: {path}" in capsys.readouterr().out
