"""Grade one submitted notebook: ``python tools/grading/worker.py JOB.json`` writes the result JSON the job names.

This process is the judge. Before any student code runs it imports the trusted ``vaebook.exercises`` (from the
folder the job names), checks that those files are the ones the batch started with, then starts the student's own
kernel, with a private copy of ``vaebook`` on its path, runs the notebook there cell by cell, and judges each graded
exercise right after its cells (the answer cell and any cells the student added below it, up to the next
exercise), so that the last definition of the function before the next exercise is the one graded.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import pkgutil
import secrets
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the folder that holds tools/ (the repository, or a grader archive)
ORIGINAL_ENV = dict(os.environ)  # for the student's kernel (the judge changes its own environment)
if str(ROOT) not in sys.path:  # run as a script: tools/grading/ is on sys.path, the folder above tools/ may not be
    sys.path.insert(0, str(ROOT))
# Imported here, so that tools.grading is this folder's before import_trusted puts the trusted root first on sys.path.
# check_call is the build's own rule for an answer cell.
from tools.grading.aliases import AliasFinder, check_call as _check_call  # noqa: E402
from tools.grading.marks import exercise_labels  # noqa: E402


def package_digest(package_dir: Path) -> str:
    """SHA-256 over the package's .py files (names and contents)."""
    h = hashlib.sha256()
    for path in sorted(Path(package_dir).rglob("*.py")):
        h.update(path.relative_to(package_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def import_trusted(root: Path):
    """Import vaebook.exercises (every module) from ``root``; return the package's folder."""
    sys.path.insert(0, str(root))
    os.environ["VAEBOOK_CHECK_TIME_LIMIT"] = "0"  # the judge keeps the limit itself (StudentFunction)
    # The judge only sees NumPy data (the kernel converts tensors), so Keras's NumPy backend is enough here.
    os.environ["KERAS_BACKEND"] = "numpy"
    import keras  # noqa: F401  (checks convert results with keras.ops; import it before any student code runs)

    import vaebook
    import vaebook.exercises

    for info in pkgutil.walk_packages(vaebook.exercises.__path__, "vaebook.exercises."):
        importlib.import_module(info.name)
    return Path(vaebook.__file__).resolve().parent


def load_notebook(path: Path):
    """The submission as a NotebookNode, or ValueError with a sentence a teacher can act on."""
    import nbformat

    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ValueError(f"not a text file ({err.reason})") from err
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}): a damaged file?") from err
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise ValueError("valid JSON but not a notebook (no list of cells)")
    if not raw["cells"]:
        raise ValueError("a notebook without cells")
    raw.setdefault("metadata", {})
    raw.setdefault("nbformat", 4)
    raw.setdefault("nbformat_minor", 4)
    if raw["nbformat"] != 4:
        raise ValueError(f"notebook format {raw['nbformat']}, expected 4")
    for i, cell in enumerate(raw["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise ValueError(f"cell {i} is not a notebook cell")
        cell.setdefault("metadata", {})
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
        cell.setdefault("source", "")
        cell.pop("id", None)
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    raw["nbformat_minor"] = 4
    raw["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.from_dict(raw)


def locate(nb, exercises: list[dict]) -> dict[str, tuple[int, int]]:
    """question → (answer cell, end of its region): the cells up to the next exercise belong to it."""
    starts = [i for i, c in enumerate(nb.cells) if exercise_labels(c)]
    out = {}
    for ex in exercises:
        q = ex["question"]
        answer = next(
            (i for i, c in enumerate(nb.cells) if q in (c.metadata.get("otter", {}).get("tests") or [])), None
        )
        if answer is None:
            answer = next(
                (
                    i
                    for i, c in enumerate(nb.cells)
                    if c.cell_type == "code" and (_check_call(c.source) or ("",))[0] == ex["check"]
                ),
                None,
            )
        if answer is None:
            continue
        answers = {i for i, c in enumerate(nb.cells) if c.metadata.get("otter", {}).get("tests")}
        end = next((i for i in range(answer + 1, len(nb.cells)) if i in starts or i in answers), len(nb.cells))
        out[q] = (answer, end)
    return out


def identify(nb, path: Path, assignments: dict[str, dict]) -> str | None:
    """The assignment a notebook belongs to: its metadata, else its answer cells, else its file name."""
    name = nb.metadata.get("otter", {}).get("assignment_name") if isinstance(nb.metadata, dict) else None
    if name in assignments:
        return name
    tests = {q for c in nb.cells for q in (c.metadata.get("otter", {}).get("tests") or [])}
    for chapter, row in assignments.items():
        if tests and tests <= {ex["question"] for ex in row["exercises_graded"]}:
            return chapter
    checks = {c.source for c in nb.cells if c.cell_type == "code"}
    for chapter, row in assignments.items():
        if row["exercises_graded"] and all(any(ex["check"] in s for s in checks) for ex in row["exercises_graded"]):
            return chapter
    stem = Path(path).stem
    return next((k for k in assignments if k in stem or stem.startswith(k[:2] + "_")), None)


def grade_notebook(job: dict) -> dict:
    """The result of one submission (see tools/grading/batch.py for the fields)."""
    start = time.monotonic()
    result = {"file": job["file"], "status": "", "message": "", "scores": {}, "feedback": {}, "cells": {}}
    assignments = job["assignments"]
    try:
        nb = load_notebook(Path(job["path"]))
    except ValueError as err:
        result.update(status="corrupt", message=f"the file cannot be graded: {err}")
        return result
    chapter = identify(nb, Path(job["path"]), assignments)
    result["chapter"] = chapter or ""
    if chapter is None:
        result.update(status="unknown-chapter", message="not a notebook of any assignment (no exercises of one)")
        return result
    if job.get("chapter") and chapter != job["chapter"]:
        result.update(status="wrong-chapter", message=f"this is the notebook of {chapter}, not of {job['chapter']}")
        return result
    # The trusted checks are imported here, before the student's kernel starts, and must be the batch's files.
    trusted_dir = import_trusted(Path(job["trusted_root"]))
    if package_digest(trusted_dir) != job["digest"]:
        result.update(status="grader-error", message="vaebook's files changed on disk since the batch started")
        return result
    import vaebook.exercises as trusted
    from tools.grading.judge import StudentFunction, describe, run_check

    row = assignments[chapter]
    exercises = row["exercises_graded"]
    regions = locate(nb, exercises)
    finder = AliasFinder(row["chapter_sources"], {ex["function"] for ex in exercises})
    due = {}  # cell index after which an exercise is judged → exercises
    for ex in exercises:
        if ex["question"] in regions:
            due.setdefault(regions[ex["question"]][1] - 1, []).append(ex)
        else:
            due.setdefault(len(nb.cells) - 1, []).append(ex)
            result["feedback"][ex["question"]] = (
                f"The answer cell of this exercise is missing (it calls `{ex['check']}({ex['function']})`); the "
                "function was looked for at the end of the notebook.\n"
            )
    work = Path(tempfile.mkdtemp(prefix="vaebook-grade-"))
    shutil.copytree(trusted_dir, work / "site" / "vaebook", ignore=shutil.ignore_patterns("__pycache__"))
    (work / "run").mkdir()
    env = {k: v for k, v in ORIGINAL_ENV.items() if k not in ("PYTHONPATH", "VAEBOOK_CHECK_TIME_LIMIT")}
    env.update(
        PYTHONPATH=str(work / "site"),
        VAEBOOK_PROFILE=job.get("profile", "smoke"),
        VAEBOOK_CHECK_TIME_LIMIT=f"{job['check_limit']:g}",  # the student's own self-checks: the same limit
        MPLBACKEND="Agg",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    snap = "_vaebook_graded_" + secrets.token_hex(8)
    from tools.grading.kernel import KernelLost, KernelSession

    session = KernelSession(nb, work / "run", env, job["cell_limit"], pid_file=job.get("kernel_pid_file"))
    deadline = start + job["timeout"]
    statuses: dict[int, str] = {}
    lost = ""
    try:
        session.start()
        for index in range(len(nb.cells)):
            if nb.cells[index].cell_type == "code" and not lost:
                if time.monotonic() > deadline:
                    lost = f"the notebook ran past {job['timeout']:g} s; cells {index} and later were not run"
                else:
                    try:
                        statuses[index] = session.run_cell(index)
                    except KernelLost as err:
                        lost = str(err)
            for ex in due.get(index, []):
                q = ex["question"]
                if lost:
                    result["scores"][q] = 0.0
                    result["feedback"][q] = result["feedback"].get(q, "") + f"Not graded: {lost}.\n"
                    continue
                score, text = judge_one(
                    ex,
                    nb,
                    index,
                    regions.get(q),
                    statuses,
                    session,
                    finder,
                    trusted,
                    snap,
                    work,
                    job["check_limit"],
                    StudentFunction,
                    describe,
                    run_check,
                )
                result["scores"][q] = score
                result["feedback"][q] = result["feedback"].get(q, "") + text
    except Exception as err:  # the grader's own failure: say so, keep what was graded
        lost = lost or f"grading stopped: {type(err).__name__}: {err}"
        result["grader_traceback"] = traceback.format_exc()[-3000:]
    finally:
        session.close()
        if job.get("executed"):
            import nbformat

            Path(job["executed"]).parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, job["executed"])
        shutil.rmtree(work, ignore_errors=True)
    for ex in exercises:
        result["scores"].setdefault(ex["question"], 0.0)
    result["cells"] = {
        "run": len(statuses),
        "errors": sum(s == "error" for s in statuses.values()),
        "timeouts": sum(s in ("timeout", "dead") for s in statuses.values()),
        "restarts": session.restarts,
    }
    if package_digest(trusted_dir) != job["digest"]:
        result["scores"] = {q: 0.0 for q in result["scores"]}
        result.update(status="tampered", message="the notebook changed vaebook's files on the grading machine")
    elif lost:
        result.update(status="partial", message=lost)
    else:
        result.update(status="graded")
    result["seconds"] = round(time.monotonic() - start, 1)
    return result


def judge_one(
    ex, nb, index, region, statuses, session, finder, trusted, snap, work, limit, StudentFunction, describe, run_check
) -> tuple[float, str]:
    """(points, feedback) of one graded exercise, judged now, after the cells of its region ran."""
    q, name = ex["question"], ex["function"]
    info = describe(session, q, name, work, snap)
    notes = []
    if region is not None:
        broken = [i for i in range(region[0], region[1]) if statuses.get(i) in ("error", "timeout", "dead")]
        for i in broken:
            what = "ran too long and was stopped" if statuses[i] != "error" else "raised an error"
            notes.append(f"cell {i} (in this exercise's cells) {what}")
    if not info.get("defined"):
        return 0.0, _text(
            notes, f"`{name}` is not defined: did its cell raise an error, or did a later cell delete it?"
        )
    if not info.get("callable"):
        return 0.0, _text(notes, f"`{name}` is a {info.get('type')}, not a function")
    sources = [c.source for c in nb.cells[: index + 1] if c.cell_type == "code"]
    alias = finder.verdict(name, sources, info)
    if alias:
        return 0.0, _text(notes, f"Not graded as your work: {alias}.")
    check = getattr(trusted, ex["check"])
    fn = StudentFunction(session, q, work, snap, limit)
    passed, report = run_check(check, fn)
    if not passed and "NotImplementedError" in report:
        notes.append(
            f"`{name}` still raises NotImplementedError after this exercise's cells: write your answer in the answer "
            "cell (replace the skeleton), or in a new cell right below it, before the next exercise"
        )
    return (float(ex["points"]) if passed else 0.0), _text(notes, report)


def _text(notes: list[str], body: str) -> str:
    return "".join(f"Note: {n}.\n" for n in notes) + body + "\n"


def main() -> int:
    job = json.loads(Path(sys.argv[1]).read_text())
    try:
        result = grade_notebook(job)
    except Exception as err:
        result = {
            "file": job["file"],
            "status": "grader-error",
            "message": f"{type(err).__name__}: {err}",
            "scores": {},
            "feedback": {},
            "grader_traceback": traceback.format_exc()[-3000:],
        }
    tmp = Path(job["result"]).with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(job["result"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
