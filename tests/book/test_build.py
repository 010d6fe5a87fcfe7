"""tools/build.py and tools/gate.py: the cache key, the staged site, failure handling and the task pool."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tools import build, gate, records

ROOT = Path(__file__).resolve().parents[2]

VERSIONS = {"keras": "3.0"}


def notebook(*cells: tuple[str, str], metadata: dict | None = None) -> dict:
    return {
        "cells": [
            {"cell_type": kind, "metadata": {}, "source": source}
            | ({"outputs": [], "execution_count": None} if kind == "code" else {})
            for kind, source in cells
        ],
        "metadata": metadata or {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_toc_lists_every_chapter_in_order():
    docs = build.toc_documents()
    assert docs[0] == "intro"
    chapters = [d for d in docs if d.startswith("chapters/")]
    assert chapters == sorted(chapters, key=lambda d: (d.startswith("chapters/appendix"), d))
    assert [p.stem for p in build.toc_notebooks()] == [Path(d).name for d in chapters]


def test_the_key_follows_code_profile_backend_package_and_versions_but_not_markdown():
    nb = notebook(("markdown", "# Title"), ("code", "x = 1"))
    key = build.notebook_key(nb, "quick", "default", "pkg", VERSIONS)
    prose = notebook(("markdown", "# Another title, 2 more numbers"), ("code", "x = 1"))
    assert build.notebook_key(prose, "quick", "default", "pkg", VERSIONS) == key
    code = notebook(("markdown", "# Title"), ("code", "x = 2"))
    changed = [
        build.notebook_key(code, "quick", "default", "pkg", VERSIONS),
        build.notebook_key(nb, "smoke", "default", "pkg", VERSIONS),
        build.notebook_key(nb, "quick", "jax", "pkg", VERSIONS),
        build.notebook_key(nb, "quick", "default", "pkg2", VERSIONS),
        build.notebook_key(nb, "quick", "default", "pkg", {"keras": "3.1"}),
    ]
    assert len(set(changed + [key])) == 6


def test_smoke_and_quick_outputs_live_apart():
    assert build.cache_dir("smoke", None) != build.cache_dir("quick", None)
    assert build.cache_dir("quick", "jax") != build.cache_dir("quick", None)


def test_a_cache_entry_is_used_only_under_its_key(tmp_path):
    nb = notebook(("code", "x = 1"))
    nb["metadata"][build.KEY_FIELD] = {"key": "abc", "seconds": 3.0}
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(nb))
    assert build.cached(path, "abc") is not None
    assert build.cached(path, "abd") is None
    assert build.cached(tmp_path / "missing.ipynb", "abc") is None
    path.write_text("{not json")
    assert build.cached(path, "abc") is None


def test_the_package_hash_changes_with_its_source(tmp_path):
    (tmp_path / "vaebook").mkdir()
    (tmp_path / "vaebook" / "a.py").write_text("x = 1\n")
    before = build.package_hash(tmp_path)
    (tmp_path / "vaebook" / "a.py").write_text("x = 2\n")
    assert build.package_hash(tmp_path) != before


def test_merge_takes_the_new_markdown_and_the_cached_outputs():
    source = notebook(("markdown", "new text"), ("code", "print(1)"))
    executed = notebook(("markdown", "old text"), ("code", "print(1)"))
    executed["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    merged = build.merge_outputs(source, executed)
    assert merged["cells"][0]["source"] == "new text"
    assert merged["cells"][1]["outputs"][0]["text"] == "1\n"
    assert source["cells"][1]["outputs"] == []  # the source itself is not changed
    with pytest.raises(ValueError, match="stale"):
        build.merge_outputs(notebook(("code", "print(2)")), executed)


def _tiny_book(root: Path, notebooks: dict[str, str]) -> None:
    (root / "chapters").mkdir(parents=True)
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n" + "".join(f"  - file: chapters/{n}\n" for n in notebooks)
    )
    (root / "_config.yml").write_text('title: "t"\nexecute:\n  execute_notebooks: cache\n')
    (root / "references.bib").write_text("")
    (root / "intro.md").write_text("# Intro\n")
    for name, code in notebooks.items():
        (root / "chapters" / f"{name}.ipynb").write_text(
            json.dumps(notebook(("markdown", f"# {name}"), ("code", code)))
        )


def test_a_failing_notebook_is_retried_then_reported_and_the_others_are_kept(tmp_path, monkeypatch):
    root = tmp_path / "book"
    _tiny_book(
        root,
        {"good": "print('fine')", "bad": "raise RuntimeError('planted failure')", "dies": "import os; os._exit(1)"},
    )
    monkeypatch.setattr(build, "package_hash", lambda root=None: "p")
    notebooks = build.toc_notebooks(root)
    results = build.execute(notebooks, "smoke", None, jobs=2, retries=1, timeout=60, build=tmp_path / "_build")
    by_name = {Path(r.notebook).stem: r for r in results}
    assert by_name["good"].status == "executed" and by_name["good"].attempts == 1
    assert by_name["bad"].status == "failed" and by_name["bad"].attempts == 2
    assert "planted failure" in by_name["bad"].error
    assert by_name["dies"].status == "failed" and by_name["dies"].attempts == 2
    # The site is staged from what executed; the failed pages say that they have no outputs.
    src = build.stage("smoke", None, results, build=tmp_path / "_build", root=root)
    config = (src / "_config.yml").read_text()
    assert "execute_notebooks: off" in config and "cache" not in config
    good = json.loads((src / "chapters" / "good.ipynb").read_text())
    assert "".join(good["cells"][1]["outputs"][0]["text"]) == "fine\n"
    bad = json.loads((src / "chapters" / "bad.ipynb").read_text())
    note = "".join(bad["cells"][1]["source"])
    assert "without its outputs" in note and "planted failure" in note
    # A second run executes nothing for the good notebook (cached) and tries the others again, strictly once.
    again = build.execute(notebooks, "smoke", None, jobs=2, retries=0, timeout=60, build=tmp_path / "_build")
    assert [r.status for r in again] == ["cached", "failed", "failed"]
    assert all(r.attempts == 1 for r in again if r.status == "failed")


def test_the_gate_retries_a_dead_kernel_but_never_a_failing_cell_and_says_where_it_failed(tmp_path, monkeypatch):
    root = tmp_path / "book"
    planted = "x = 1\nassert x == 2, 'planted assertion'"
    _tiny_book(root, {"bad": planted, "dies": "import os; os._exit(1)"})
    monkeypatch.setattr(build, "package_hash", lambda root=None: "p")
    out = tmp_path / "_build"
    by_name = {}
    for path in build.toc_notebooks(root):
        by_name[path.stem] = build.run_notebook(path, "smoke", None, "k", 1, 1, 60, out, retry_if=build.kernel_died)
    assert by_name["bad"].status == "failed" and by_name["bad"].attempts == 1  # an assertion is not luck
    assert by_name["dies"].status == "failed" and by_name["dies"].attempts == 2  # a killed kernel may be
    assert build.kernel_died(by_name["dies"].error) and not build.kernel_died(by_name["bad"].error)
    lines = by_name["bad"].error.splitlines()
    assert lines[-1].startswith("CellExecutionError") and "planted assertion" in lines[-1]
    assert any("assert x == 2" in line for line in lines[:-1])  # the failing line, not only the exception


def test_the_build_command_names_the_failures_and_exits_1(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text(json.dumps(notebook(("code", "1 / 0"))))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build.py"), "--profile", "smoke", "--strict", str(bad)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1
    assert "bad.ipynb" in proc.stderr and "ZeroDivisionError" in proc.stderr


def test_the_pool_respects_needs_and_runs_at_most_jobs_tasks_at_once(tmp_path):
    running, peak, order = [0], [0], []
    lock = threading.Lock()

    def work(name, seconds=0.05, ok=True):
        def run():
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(seconds)
            with lock:
                running[0] -= 1
                order.append(name)
            return ok, name

        return run

    tasks = [
        gate.Task("a", work("a"), weight=10),
        gate.Task("b", work("b"), weight=1),
        gate.Task("c", work("c"), weight=1),
        gate.Task("site", work("site"), needs=("a", "b"), weight=5),
        gate.Task("browser", work("browser"), needs=("site",), weight=5),
        gate.Task("broken", work("broken", ok=False), weight=1),
        gate.Task("after-broken", work("after-broken"), needs=("broken",), weight=1),
    ]
    done, _ = gate.run_tier(tasks, jobs=2, log_dir=tmp_path)
    assert peak[0] <= 2
    assert order.index("site") > max(order.index("a"), order.index("b"))
    assert order.index("browser") > order.index("site")
    assert done["broken"][0] is False
    assert done["after-broken"] == (False, 0.0, "not run: broken failed")
    assert "after-broken" not in order
    assert all(done[name][0] for name in ("a", "b", "c", "site", "browser"))


def test_an_exclusive_task_runs_with_nothing_beside_it(tmp_path):
    lock, running, beside = threading.Lock(), set(), {}

    def work(name):
        def run():
            with lock:
                running.add(name)
            time.sleep(0.2)
            with lock:
                beside[name] = beside.get(name, set()) | (running - {name})
                running.discard(name)
            return True, name

        return run

    tasks = [gate.Task(n, work(n), weight=w) for n, w in (("a", 9), ("b", 5), ("c", 3), ("d", 1))]
    tasks.append(gate.Task("alone", work("alone"), weight=7, exclusive=True))
    done, _ = gate.run_tier(tasks, jobs=2, log_dir=tmp_path)
    assert all(ok for ok, _, _ in done.values()) and len(done) == 5
    assert beside["alone"] == set(), beside  # nobody ran beside it...
    assert not any("alone" in others for others in beside.values()), beside  # ...nor it beside anybody
    assert any(beside[n] for n in "abcd"), beside  # and the others did share the pool
    tiers = {t.name: t for t in gate.tier("full", jobs=2)}
    assert tiers["nb-quick-default-appendix_scaling"].exclusive and not tiers["nb-smoke-jax-appendix_scaling"].exclusive


def test_a_failed_gate_ends_with_each_failures_reason(tmp_path, monkeypatch, capsys):
    # CI shows the end of the output only: the reasons must come after the progress lines, just before the verdict
    tasks = [
        gate.Task("fine", lambda: (True, "ok")),
        gate.Task("broken", lambda: (False, "Traceback ...\nAssertionError: planted reason")),
        gate.Task("late", lambda: (True, "ok"), weight=-1),
    ]
    monkeypatch.setattr(gate, "tier", lambda name, jobs: tasks)
    monkeypatch.setattr(gate, "preflight", lambda name: None)
    monkeypatch.setattr(gate, "LOGS", tmp_path)
    assert gate.main(["fast", "--jobs", "1"]) == 1
    tail = capsys.readouterr().out.splitlines()[-4:]
    assert tail[:3] == ["--- broken failed:", "Traceback ...", "AssertionError: planted reason"]
    assert tail[3].startswith("gate: tier fast FAILED in") and tail[3].endswith(": broken")


def test_priority_is_the_longest_chain_behind_a_task():
    tasks = [gate.Task("n1", "x", weight=100), gate.Task("site", "x", needs=("n1",), weight=50)]
    tasks += [gate.Task("browser", "x", needs=("site",), weight=20), gate.Task("unit", "x", weight=150)]
    gate.prioritize(tasks)
    by = {t.name: t.priority for t in tasks}
    assert by == {"n1": 170, "site": 70, "browser": 20, "unit": 150}
    with pytest.raises(ValueError, match="needs 'missing'"):
        gate.prioritize([gate.Task("x", "x", needs=("missing",))])


def test_the_tiers_cover_what_the_readme_says():
    fast = {t.name for t in gate.tier("fast", jobs=2)}
    full = {t.name for t in gate.tier("full", jobs=2)}
    stems = [p.stem for p in build.toc_notebooks()]
    assert {"lint", "structure", "unit-tensorflow"} <= fast
    assert {f"nb-smoke-default-{s}" for s in stems} <= fast
    assert {"lint", "structure", "unit-tensorflow", "unit-jax", "unit-torch", "assignments", "site", "browser"} <= full
    assert {"colab-pins"} <= full
    for profile, backend in (("quick", "default"), ("smoke", "jax"), ("smoke", "torch")):
        assert {f"nb-{profile}-{backend}-{s}" for s in stems} <= full
    by_name = {t.name: t for t in gate.tier("full", jobs=2)}  # the figure checks read the executed quick chapters
    assert set(by_name["structure"].needs) == {f"nb-quick-default-{s}" for s in stems}
    with pytest.raises(ValueError, match="expected a tier"):
        gate.tier("slow", jobs=2)


def test_busy_spins_processes_only_inside_its_block():
    with gate.Busy(2) as busy:
        assert len(busy.procs) == 2 and all(p.poll() is None for p in busy.procs)
    assert all(p.poll() is not None for p in busy.procs)
    with gate.Busy(0) as idle:
        assert idle.procs == []


def test_the_appendix_runs_beside_busy_processes_in_the_full_tier():
    assert gate.BUSY_NOTEBOOKS.get("appendix_scaling", 0) >= 2
    assert "appendix_scaling" in {p.stem for p in build.toc_notebooks()}


def test_a_missing_chromium_stops_the_full_tier_at_its_start_with_the_command(monkeypatch, tmp_path):
    monkeypatch.setattr(gate, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setattr(gate, "_apt_install", lambda packages: False)  # not root, or no apt-get
    with pytest.raises(SystemExit, match="sudo apt-get install chromium"):
        gate.preflight("full")
    gate.preflight("fast")  # the fast tier has no browser test


def test_where_it_can_the_gate_installs_what_is_missing(monkeypatch, tmp_path):
    browser = tmp_path / "chromium"
    monkeypatch.setattr(gate, "CHROMIUM", str(browser))
    asked = []

    def install(packages):
        asked.extend(packages)
        browser.write_text("")  # as apt-get would
        return True

    monkeypatch.setattr(gate, "_apt_install", install)
    gate.preflight("full")
    assert "chromium" in asked


def test_executed_notebooks_are_recorded_with_the_backend_they_ran_on(tmp_path, monkeypatch):
    monkeypatch.setenv("VAEBOOK_RECORDS", str(tmp_path / "records"))
    results = [
        build.Result("chapters/appendix_scaling.ipynb", "executed", seconds=12.34),
        build.Result("chapters/07_vae_mnist.ipynb", "executed", seconds=5.0),
        build.Result(
            "chapters/09_vq_vae.ipynb", "executed", seconds=7.0, attempts=2, errors=["a\nDeadKernelError: died"]
        ),
        build.Result("chapters/05_elbo.ipynb", "cached"),
        build.Result("chapters/02_backpropagation.ipynb", "failed", error="x"),
    ]
    assert build.write_records(results, "quick", None) == 3
    written = {r["name"]: r for r in records.load_records("notebook", records_dir=tmp_path / "records")}
    assert set(written) == {"appendix_scaling", "07_vae_mnist", "09_vq_vae"}
    assert written["09_vq_vae"]["figures"]["status"] == "ok on attempt 2 (attempt 1: DeadKernelError: died)"
    assert written["appendix_scaling"]["context"]["backend"] == "jax"  # its own default (metadata)
    assert written["07_vae_mnist"]["context"]["backend"] == "tensorflow"
    assert written["appendix_scaling"]["figures"] == {"seconds": 12.3, "status": "ok"}


def test_run_as_a_script_the_build_can_import_the_tools_package():
    # `python tools/build.py --record` has tools/, not the repository root, on the module path; its records module is
    # imported as tools.records only when it writes them (at the end of a build: a failure there loses the run).
    # -P keeps the working directory off the path, so only build.py's own code can make `tools` importable.
    import os
    import subprocess
    import sys

    code = "import runpy; runpy.run_path('tools/build.py', run_name='build'); from tools.records import write_record"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-P", "-c", code], cwd=build.ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-500:]
