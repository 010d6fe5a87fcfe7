"""Execute the book's notebooks as parallel jobs, cache what executed, and build the site from it.

    python tools/build.py                          # make book: quick profile, site in _build/html
    python tools/build.py --profile smoke --backend jax --no-site      # execute only (a test tier)
    python tools/build.py --strict --out _build/quick/_build/html      # make test: -W, no retry, fail on any failure
    python tools/build.py chapters/07_vae_mnist.ipynb                  # some notebooks only (no site)

Why not Jupyter Book's own execution: it executes one notebook after another and aborts the whole build when a
kernel dies, and its cache ignores the environment, so a smoke run's outputs were published as quick ones. Here:

1. **Execution.** Every notebook of `_toc.yml` runs in its own fresh kernel, ``--jobs`` at a time (default 2), with
   ``VAEBOOK_PROFILE`` set and ``KERAS_BACKEND`` set when ``--backend`` is given (otherwise each notebook's own
   default applies). A notebook that fails (a cell raised, its kernel died, it timed out) is run once more unless
   ``--strict``; if it fails again it is reported by name with its error at the end.
2. **Cache.** An executed notebook is kept in ``_build/cache/PROFILE-BACKEND/`` under a key that hashes its code
   cells, the profile, the backend, the ``vaebook`` package's source and the versions of the numerical stack. A
   notebook whose key is unchanged is not executed again, so ``make book`` after ``make test`` executes nothing, and
   a smoke run can never be published as a quick one (different folder and key).
3. **Site.** The sources (markdown pages, configuration, bibliography) and, for each notebook, its current markdown
   with the cached outputs are laid out in ``_build/src/PROFILE-BACKEND/``, and Jupyter Book builds that with
   execution off. A notebook that did not execute appears without outputs, under a note that says so; the command
   then exits 1 naming it.

Each run writes one ``command`` record and one ``notebook`` record per executed notebook (tools/records.py) when
``--record`` is given.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script (python tools/build.py), the tools package must still import
    sys.path.insert(0, str(ROOT))
BUILD = ROOT / "_build"
PROFILES = ("smoke", "quick", "full")
# The numerical stack whose versions enter the cache key (a different TensorFlow can change every number).
STACK = (
    "keras",
    "tensorflow",
    "jax",
    "jaxlib",
    "torch",
    "numpy",
    "scipy",
    "scikit-learn",
    "matplotlib",
    "mlxtend",
)
# Files and folders of the book besides the notebooks (copied into the staging source).
BOOK_FILES = ("_config.yml", "_toc.yml", "references.bib", "_static")
KEY_FIELD = "vaebook_build"
NOT_EXECUTED_NOTE = (
    "```{{warning}}\nThis page is shown without its outputs: executing it failed in this build ({error}).\n```"
)


# ---------------------------------------------------------------------------------------------------------------
# What the book holds


def toc_documents(root: Path = ROOT) -> list[str]:
    """The documents of ``_toc.yml`` in reading order, as paths without suffix (``chapters/07_vae_mnist``)."""
    text = (root / "_toc.yml").read_text()
    docs = re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)", text, re.MULTILINE)
    if not docs:
        raise ValueError(f"{root / '_toc.yml'}: expected 'root:' and '- file:' entries, found none")
    return docs


def toc_notebooks(root: Path = ROOT) -> list[Path]:
    """The notebooks the table of contents lists, in reading order."""
    return [root / f"{doc}.ipynb" for doc in toc_documents(root) if (root / f"{doc}.ipynb").is_file()]


def _rel(path: Path, root: Path = ROOT) -> str:
    """``path`` relative to the book's root where it lies inside it (posix), else as given."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _sha256(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def package_hash(root: Path = ROOT) -> str:
    """A hash of the ``vaebook`` package's source (every ``.py`` and data file under ``vaebook/``)."""
    files = sorted(p for p in (root / "vaebook").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return _sha256(*(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() for p in files))


def stack_versions() -> dict[str, str]:
    """Installed versions of the numerical stack (``"-"`` for a package that is not installed)."""
    versions = {}
    for name in STACK:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "-"
    return versions


def code_cells(nb: dict) -> list[dict]:
    return [cell for cell in nb["cells"] if cell["cell_type"] == "code"]


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def notebook_key(nb: dict, profile: str, backend: str, package: str, versions: dict[str, str]) -> str:
    """The cache key of one notebook's execution: its code, the profile, backend, package source and stack."""
    code = json.dumps([_source(cell) for cell in code_cells(nb)]).encode()
    context = json.dumps({"profile": profile, "backend": backend, "package": package, "versions": versions})
    return _sha256(code, context.encode())


def cache_dir(profile: str, backend: str | None, build: Path = BUILD) -> Path:
    return build / "cache" / f"{profile}-{backend or 'default'}"


def cached(path: Path, key: str) -> dict | None:
    """The cached executed notebook at ``path`` if it was executed under ``key``, else None."""
    if not path.is_file():
        return None
    try:
        nb = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if nb.get("metadata", {}).get(KEY_FIELD, {}).get("key") != key:
        return None
    return nb


# ---------------------------------------------------------------------------------------------------------------
# Execution


@dataclass
class Result:
    notebook: str  # path relative to the root, e.g. chapters/07_vae_mnist.ipynb
    status: str  # "cached", "executed", "failed"
    seconds: float = 0.0
    attempts: int = 0
    error: str = ""
    errors: list[str] = field(default_factory=list)


def kernel_environment(profile: str, backend: str | None, jobs: int) -> dict[str, str]:
    env = dict(os.environ)
    env["VAEBOOK_PROFILE"] = profile
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    if backend:
        env["KERAS_BACKEND"] = backend
    else:
        env.pop("KERAS_BACKEND", None)
    # With several kernels at once, PyTorch's default threads spin against each other (2 cores: one GAN step of
    # chapter 12 took 7.3 ms alone and 45.6 ms each for two kernels); one OpenMP thread each avoids that.
    if backend == "torch" and jobs > 1:
        env.setdefault("OMP_NUM_THREADS", "1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _error_summary(err: BaseException) -> str:
    text = ANSI.sub("", str(err)).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    # nbclient's CellExecutionError ends with the exception line; a dead kernel or timeout is one line.
    tail = lines[-1] if lines else type(err).__name__
    return f"{type(err).__name__}: {tail}"[:300]


def execute_once(path: Path, out: Path, env: dict[str, str], timeout: int) -> tuple[bool, float, str]:
    """Execute ``path`` in a fresh kernel (child process); write the executed notebook to ``out``.

    Returns (succeeded, seconds, error summary). Runs the kernel client in a subprocess so that the kernel's
    environment is exactly ``env`` and several notebooks can run at once.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "_execute", str(path), str(out), str(timeout)],
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if proc.returncode == 0:
        return True, seconds, ""
    printed = [line for line in proc.stdout.strip().splitlines() if line.strip()]
    error = printed[-1] if printed else ""
    if len(printed) > 1:  # the child printed the traceback's end before its one-line summary
        error = "\n".join(printed[-12:])
    if not error:
        stderr = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        error = stderr[-1] if stderr else f"exit status {proc.returncode}"
    return False, seconds, "\n".join(line[:300] for line in error.splitlines())


def _execute_child(path: str, out: str, timeout: str) -> int:
    """In the child process: execute one notebook with nbclient and write it; print the error's summary."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=int(timeout),
        kernel_name="python3",
        resources={"metadata": {"path": str(Path(path).parent)}},
    )
    try:
        client.execute()
    except Exception as err:  # a failing cell, a dead kernel, a timeout: all are this notebook's failure
        context = [line for line in ANSI.sub("", str(err)).splitlines() if line.strip()]
        print("\n".join(context[-11:-1]))  # where it failed: the cell's end and the traceback's last frames
        print(_error_summary(err))
        # Keep what executed, for the reader of the log (not cached: the caller only caches successes).
        nbformat.write(nb, out + ".failed")
        return 1
    nbformat.write(nb, out)
    return 0


def kernel_died(error: str) -> bool:
    """Whether a notebook failed because its kernel died (killed, aborted), not because a cell raised."""
    return "DeadKernelError" in error


def run_notebook(
    path: Path,
    profile: str,
    backend: str | None,
    key: str,
    jobs: int,
    retries: int,
    timeout: int,
    build: Path,
    retry_if=None,
) -> Result:
    """Execute one notebook into the cache; a failure is tried again up to ``retries`` times (only the failures
    ``retry_if(error)`` accepts, when it is given: the gate retries a dead kernel, never a failed assertion)."""
    rel = _rel(path)
    out = cache_dir(profile, backend, build) / path.name
    env = kernel_environment(profile, backend, jobs)
    result = Result(rel, "failed")
    tmp = out.with_suffix(".running.ipynb")
    for attempt in range(1, retries + 2):
        result.attempts = attempt
        ok, seconds, error = execute_once(path, tmp, env, timeout)
        result.seconds += seconds
        if ok:
            nb = json.loads(tmp.read_text())
            nb["metadata"][KEY_FIELD] = {"key": key, "seconds": round(seconds, 1), "profile": profile}
            out.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
            tmp.unlink()
            result.status = "executed"
            result.seconds = seconds
            return result
        result.errors.append(error)
        result.error = error
        print(f"  {rel}: attempt {attempt} failed after {seconds:.0f} s: {error}", flush=True)
        if retry_if is not None and not retry_if(error):
            break
    return result


def execute(
    notebooks: list[Path],
    profile: str,
    backend: str | None,
    jobs: int = 2,
    retries: int = 1,
    timeout: int = 3600,
    build: Path = BUILD,
) -> list[Result]:
    """Execute the notebooks whose cache entry is missing or stale, ``jobs`` at a time, longest-known first."""
    package, versions = package_hash(), stack_versions()
    cache = cache_dir(profile, backend, build)
    cache.mkdir(parents=True, exist_ok=True)
    results: dict[Path, Result] = {}
    todo = []
    for path in notebooks:
        key = notebook_key(json.loads(path.read_text()), profile, backend or "default", package, versions)
        if cached(cache / path.name, key) is not None:
            results[path] = Result(_rel(path), "cached")
        else:
            todo.append((path, key))
    print(
        f"build: {len(notebooks)} notebooks, profile {profile}, backend {backend or 'each notebook default'}: "
        f"{len(notebooks) - len(todo)} cached, {len(todo)} to execute, {jobs} at a time",
        flush=True,
    )
    # Longest first (known from the last cached run of the same notebook) keeps both cores busy to the end.
    todo.sort(key=lambda item: -_last_seconds(cache / item[0].name))
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {
            pool.submit(run_notebook, path, profile, backend, key, jobs, retries, timeout, build): path
            for path, key in todo
        }
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            path = futures[future]
            try:
                result = future.result()
            except Exception:  # a bug here must not lose the other notebooks' results
                result = Result(_rel(path), "failed", error=traceback.format_exc(limit=1))
            results[path] = result
            retried = f" after {result.attempts} attempts" if result.attempts > 1 else ""
            print(
                f"  [{done}/{len(todo)}] {result.notebook}: {result.status}{retried} in {result.seconds:.0f} s "
                f"({time.perf_counter() - start:.0f} s since start)",
                flush=True,
            )
    return [results[path] for path in notebooks]


def _last_seconds(path: Path) -> float:
    try:
        return float(json.loads(path.read_text())["metadata"][KEY_FIELD]["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


# ---------------------------------------------------------------------------------------------------------------
# The site


def merge_outputs(source: dict, executed: dict) -> dict:
    """The source notebook (its current markdown and metadata) with the outputs of its executed twin.

    The two have the same code cells (the cache key says so); markdown cells may have changed since.
    """
    merged = copy.deepcopy(source)
    ran = code_cells(executed)
    mine = code_cells(merged)
    if [_source(c) for c in ran] != [_source(c) for c in mine]:
        raise ValueError("the executed notebook's code cells differ from the source's: its cache entry is stale")
    for cell, twin in zip(mine, ran, strict=True):
        cell["outputs"] = twin.get("outputs", [])
        cell["execution_count"] = twin.get("execution_count")
    merged["metadata"] = copy.deepcopy(source["metadata"])
    return merged


def unexecuted_page(source: dict, error: str) -> dict:
    """The source notebook without outputs, under a note that it did not execute."""
    nb = copy.deepcopy(source)
    note = {"cell_type": "markdown", "metadata": {}, "source": NOT_EXECUTED_NOTE.format(error=error or "see log")}
    nb["cells"].insert(1, note)
    return nb


def stage(
    profile: str,
    backend: str | None,
    results: list[Result],
    build: Path = BUILD,
    root: Path = ROOT,
    src: Path | None = None,
) -> Path:
    """Lay out the book's sources with executed notebooks in ``src`` and return it.

    ``src`` defaults to ``_build/src/PROFILE-BACKEND`` (the site's); tools/pdf.py stages its own copy elsewhere.
    """
    src = src or build / "src" / f"{profile}-{backend or 'default'}"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    for name in BOOK_FILES:
        item = root / name
        if item.is_dir():
            shutil.copytree(item, src / name)
        elif item.is_file():
            shutil.copy2(item, src / name)
    config = (src / "_config.yml").read_text()
    config, count = re.subn(r"^(\s*execute_notebooks:\s*)\S+", r"\1off", config, flags=re.MULTILINE)
    if count != 1:
        raise ValueError("_config.yml: expected one 'execute_notebooks:' line under 'execute:'")
    (src / "_config.yml").write_text(config)
    by_name = {Path(r.notebook).name: r for r in results}
    cache = cache_dir(profile, backend, build)
    for doc in toc_documents(root):
        for suffix in (".md", ".ipynb"):
            path = root / f"{doc}{suffix}"
            if not path.is_file():
                continue
            target = src / f"{doc}{suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            if suffix == ".md":
                shutil.copy2(path, target)
                continue
            source = json.loads(path.read_text())
            result = by_name.get(path.name)
            executed = _read(cache / path.name)
            if result is not None and result.status != "failed" and executed is not None:
                nb = merge_outputs(source, executed)
            else:
                error = result.error.splitlines()[-1] if result and result.error else "not executed"
                nb = unexecuted_page(source, error)
            target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return src


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def build_site(src: Path, out: Path, strict: bool, log: Path | None = None) -> int:
    """Run Jupyter Book on the staged sources; the HTML lands in ``out`` (a ``.../_build/html`` folder).

    Jupyter Book's output goes to ``log`` when given (the gate's task log), else to this process's output.
    """
    if out.name != "html" or out.parent.name != "_build":
        raise ValueError(f"--out must end in _build/html (Jupyter Book's layout), got {out}")
    jb = Path(sys.executable).with_name("jupyter-book")
    command = [str(jb), "build", str(src), "--path-output", str(out.parent.parent), "--keep-going"]
    if strict:
        command += ["-W", "-n"]
    print("build: " + " ".join(command), flush=True)
    if log is None:
        return subprocess.run(command, cwd=ROOT).returncode
    with log.open("w") as handle:
        return subprocess.run(command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT).returncode


# ---------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_execute"]:
        return _execute_child(*argv[1:4])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="only these (default: every notebook of _toc.yml)")
    parser.add_argument("--profile", default=os.environ.get("VAEBOOK_PROFILE", "quick"), choices=PROFILES)
    parser.add_argument("--backend", default=None, help="KERAS_BACKEND for every notebook (default: its own)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")), help="notebooks at a time")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    parser.add_argument("--strict", action="store_true", help="no retry; Sphinx warnings are errors (-W -n)")
    parser.add_argument("--no-site", action="store_true", help="execute only")
    parser.add_argument("--out", type=Path, default=BUILD / "html", help="the site's folder (…/_build/html)")
    parser.add_argument("--record", action="store_true", help="write records (tools/records.py)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")

    start = time.perf_counter()
    notebooks = [p.resolve() for p in args.notebooks] or toc_notebooks()
    for path in notebooks:
        if not path.is_file() or path.suffix != ".ipynb":
            parser.error(f"expected notebook files (.ipynb), got {path}")
    retries = 0 if args.strict else 1
    results = execute(notebooks, args.profile, args.backend, args.jobs, retries, args.timeout)
    failed = [r for r in results if r.status == "failed"]
    site_status = 0
    if not args.no_site and not args.notebooks:
        src = stage(args.profile, args.backend, results)
        site_status = build_site(src, args.out.resolve(), args.strict)
    seconds = time.perf_counter() - start
    if args.record:
        _record(args, results, seconds, site_status)
    executed = [r for r in results if r.status == "executed"]
    print(
        f"build: {len(executed)} executed, {sum(r.status == 'cached' for r in results)} from the cache, "
        f"{len(failed)} failed; {seconds:.0f} s"
        + ("" if args.no_site or args.notebooks else f"; site in {args.out} (Jupyter Book exit {site_status})"),
        flush=True,
    )
    if failed:
        print("build: these notebooks failed:", file=sys.stderr)
        for r in failed:
            print(f"  {r.notebook}: {r.error}", file=sys.stderr)
    return 1 if failed or site_status else 0


def notebook_backend(path: Path, backend: str | None) -> str:
    """The Keras backend a notebook ran on: ``backend`` if given, else its own default (metadata, else TensorFlow)."""
    if backend:
        return backend
    nb = _read(path) or {}
    environment = nb.get("metadata", {}).get("vaebook", {}).get("environment", {})
    return environment.get("KERAS_BACKEND", "tensorflow")


def write_records(results: list[Result], profile: str, backend: str | None, **context) -> int:
    """One ``notebook`` record per executed notebook (tools/records.py); returns how many were written."""
    from tools.records import write_record

    written = 0
    for r in results:
        if r.status != "executed":
            continue
        status = "ok"
        if r.attempts > 1:  # the time is the attempt that passed; the status says what the others did
            first = r.errors[0].splitlines()[-1] if r.errors else "failed"
            status = f"ok on attempt {r.attempts} (attempt 1: {first[:80]})"
        write_record(
            "notebook",
            Path(r.notebook).stem,
            {"seconds": round(r.seconds, 1), "status": status},
            profile=profile,
            backend=notebook_backend(ROOT / r.notebook, backend),
            **context,
        )
        written += 1
    return written


def _record(args, results: list[Result], seconds: float, site_status: int) -> None:
    from tools.records import write_record

    context = {"jobs": args.jobs}
    write_records(results, args.profile, args.backend, **context)
    write_record(
        "command",
        f"build {args.profile}",
        {
            "seconds": round(seconds, 1),
            "status": "ok" if not site_status and all(r.status != "failed" for r in results) else "failed",
            "parts": {Path(r.notebook).stem: round(r.seconds, 1) for r in results if r.status == "executed"},
        },
        profile=args.profile,
        backend=args.backend or "default",
        **context,
    )


if __name__ == "__main__":
    sys.exit(main())
