"""Grade a folder of submissions of one assignment into one gradebook CSV, in parallel, resumably.

Every submission gets exactly one row, whatever it is (a damaged file, another chapter's notebook, a notebook
that hangs). Each is graded by its own process (tools/grading/worker.py), under a time limit this process keeps;
the CSV is rewritten as each finishes, so an interrupted batch has its rows so far, and a re-run grades only the
submissions whose result is missing or whose file changed.

Output folder (``--out``):
    grades.csv          one row per student: student_id, file, chapter, points per exercise, total, max, percent,
                        status, message (see teaching.md for every column and status)
    feedback/ID.md      what each check said, to send back to the student
    executed/ID.ipynb   the notebook as it ran, with its outputs (for disputes)
    results/*.json      one result per submission (what a re-run resumes from)
    grading.log         one line per submission: time, status, points, seconds
"""

from __future__ import annotations

import concurrent.futures
import csv
import datetime
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

WORKER = Path(__file__).resolve().parent / "worker.py"
ROOT = WORKER.parents[2]  # the folder that holds tools/: the book's repository, or an unpacked grader archive

STATUSES = {
    "graded": "every cell ran and every graded exercise was judged",
    "partial": "graded, but part of the notebook could not run (see message); missing exercises got 0",
    "corrupt": "the file is not a readable notebook (damaged, empty, not JSON); nothing graded",
    "wrong-chapter": "a notebook of another assignment; not graded into this one",
    "unknown-chapter": "not a notebook of any assignment",
    "timeout": "the whole notebook ran past --timeout and was stopped",
    "tampered": "the notebook changed the grader's files; every exercise 0",
    "grader-error": "the grader itself failed on this file (a bug to report); re-run to retry",
    "missing": "on the roster, but no submission was found",
}


def default_trusted_root() -> Path:
    """Where the trusted vaebook is: the book's repository if this file is in it, else the installed package's."""
    if (ROOT / "vaebook" / "exercises").is_dir():
        return ROOT
    import importlib.util

    spec = importlib.util.find_spec("vaebook")
    if spec is None or not spec.origin:
        raise RuntimeError("vaebook is not installed: pip install -r requirements.txt")
    return Path(spec.origin).resolve().parent.parent


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "submission"


def submissions_of(folder: Path) -> list[Path]:
    """Every .ipynb under ``folder`` (subfolders too, as LMS exports make them), checkpoints left out."""
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    return sorted(
        p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and not p.name.startswith(".")
    )


def student_id(path: Path, folder: Path, roster: list[dict] | None) -> str:
    """The student's ID: from the roster when a roster entry's `file` matches, else the file's folder or name."""
    rel = path.relative_to(folder) if Path(folder).is_dir() else Path(path.name)
    guess = rel.parent.name if len(rel.parts) > 1 else rel.stem  # an LMS export: one folder per student
    if roster:
        for entry in roster:
            key = entry.get("file", "")
            if key and (key in (rel.as_posix(), path.name, path.stem, guess) or path.stem.startswith(key)):
                return entry["student_id"]
    return guess


def read_roster(path: Path | None) -> list[dict] | None:
    """A roster CSV: a `student_id` column (or `id`) and optionally `file` (its submission's name, or a prefix)."""
    if not path:
        return None
    with Path(path).open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    out = []
    for row in rows:
        sid = (row.get("student_id") or row.get("id") or "").strip()
        if not sid:
            raise ValueError(f"{path}: every row needs a student_id (or id) column")
        out.append({"student_id": sid, "file": (row.get("file") or sid).strip()})
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_assignment(assignments: Path, chapter: str) -> dict:
    """The assignment's description from the build (assignments.json), with the handed-out notebook's code."""
    index = json.loads((Path(assignments) / "private" / "assignments.json").read_text())
    rows = {row["chapter"]: row for row in index}
    if chapter not in rows:
        matches = [k for k in rows if k.split("_")[0] == chapter or k.startswith(chapter)]
        if len(matches) != 1:
            raise ValueError(f"no assignment {chapter!r}; the build has: {', '.join(rows)}")
        chapter = matches[0]
    for row in rows.values():
        student = json.loads((Path(assignments) / row["student"]).read_text())
        row["chapter_sources"] = [
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in student["cells"]
            if c["cell_type"] == "code"
        ]
    return {"chapter": chapter, "assignments": rows}


def grade_batch(
    submissions: Path,
    assignments: Path,
    chapter: str,
    out: Path,
    jobs: int | None = None,
    roster: Path | None = None,
    cell_limit: float = 300,
    check_limit: float = 20,
    timeout: float = 1800,
    profile: str = "smoke",
    trusted_root: Path | None = None,
    manual: Path | None = None,
    log=print,
) -> list[dict]:
    """Grade every submission under ``submissions`` for one assignment; return the CSV's rows."""
    from tools.grading.worker import package_digest

    submissions, out = Path(submissions).resolve(), Path(out).resolve()
    trusted_root = Path(trusted_root or default_trusted_root())
    spec = load_assignment(assignments, chapter)
    chapter = spec["chapter"]
    row = spec["assignments"][chapter]
    roster_rows = read_roster(roster)
    digest = package_digest(Path(trusted_root) / "vaebook")
    for sub in ("results", "feedback", "executed", "work"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    files = submissions_of(submissions)
    ids: dict[Path, str] = {}
    for path in files:
        sid, n = student_id(path, submissions, roster_rows), 2
        base = sid
        while sid in ids.values():  # two files for one ID: both graded, told apart, flagged in the message
            sid, n = f"{base}#{n}", n + 1
        ids[path] = sid
    jobs = jobs or os.cpu_count() or 1
    lock = threading.Lock()
    results: dict[Path, dict] = {}
    todo = []
    for path in files:
        result_path = out / "results" / f"{_safe(ids[path])}.json"
        if result_path.exists():
            try:
                old = json.loads(result_path.read_text())
            except ValueError:
                old = {}
            if old.get("sha256") == _sha(path) and old.get("status") not in ("grader-error", "", None):
                results[path] = old
                continue
        todo.append(path)
    log(f"{chapter}: {len(files)} submissions, {len(results)} already graded, {len(todo)} to grade with -j {jobs}")
    started = time.monotonic()

    def one(path: Path) -> dict:
        sid = ids[path]
        safe = _safe(sid)
        job = {
            "file": path.relative_to(submissions).as_posix() if submissions.is_dir() else path.name,
            "path": str(path),
            "chapter": chapter,
            "assignments": spec["assignments"],
            "trusted_root": str(Path(trusted_root).resolve()),
            "digest": digest,
            "profile": profile,
            "cell_limit": cell_limit,
            "check_limit": check_limit,
            "timeout": timeout,
            "executed": str(out / "executed" / f"{safe}.ipynb"),
            "result": str(out / "work" / f"{safe}.result.json"),
            "kernel_pid_file": str(out / "work" / f"{safe}.kernel.pid"),
        }
        job_path = out / "work" / f"{safe}.job.json"
        job_path.write_text(json.dumps(job))
        Path(job["result"]).unlink(missing_ok=True)
        t0 = time.monotonic()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(Path(trusted_root).resolve())]))
        proc = subprocess.Popen(
            [sys.executable, str(WORKER), str(job_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
            cwd=str(out / "work"),
        )
        try:
            output, _ = proc.communicate(timeout=timeout + 120)
        except subprocess.TimeoutExpired:
            _kill(proc.pid, job["kernel_pid_file"])
            output, _ = proc.communicate()
            result = {"status": "timeout", "message": f"grading ran past {timeout:g} s and was stopped", "scores": {}}
        else:
            _kill(None, job["kernel_pid_file"])
            try:
                result = json.loads(Path(job["result"]).read_text())
            except (OSError, ValueError):
                tail = (output or b"").decode(errors="replace")[-1500:]
                result = {"status": "grader-error", "message": f"the grading process ended without a result: {tail}"}
        result.update(file=job["file"], student_id=sid, sha256=_sha(path), seconds=round(time.monotonic() - t0, 1))
        (out / "results" / f"{safe}.json").write_text(json.dumps(result, indent=1))
        _write_feedback(out / "feedback" / f"{safe}.md", sid, result, row)
        return result

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(one, path): path for path in todo}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            path = futures[future]
            result = future.result()
            with lock:
                results[path] = result
                rows = write_csv(out / "grades.csv", results, row, roster_rows, manual)
                total = sum(result.get("scores", {}).values())
                line = (
                    f"[{done}/{len(todo)}] {result['student_id']} ({result['file']}): {result['status']}, "
                    f"{total:g}/{_max(row):g} points, {result.get('seconds', 0):.0f} s"
                )
                log(line)
                with (out / "grading.log").open("a") as f:
                    f.write(f"{datetime.datetime.now().isoformat(timespec='seconds')} {line}\n")
    rows = write_csv(out / "grades.csv", results, row, roster_rows, manual)
    minutes = (time.monotonic() - started) / 60
    if todo:
        log(f"{len(todo)} notebooks in {minutes:.1f} min ({len(todo) / max(minutes, 1e-9):.1f}/min, -j {jobs})")
    log(f"gradebook: {out / 'grades.csv'}")
    return rows


def _kill(pid: int | None, kernel_pid_file: str) -> None:
    """Stop a worker's process group and the kernel it started (a kernel runs in its own session)."""
    if pid:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        kernel = int(Path(kernel_pid_file).read_text())
        os.killpg(kernel, signal.SIGKILL)
    except (OSError, ValueError):
        pass
    Path(kernel_pid_file).unlink(missing_ok=True)


def _max(row: dict) -> float:
    return sum(ex["points"] for ex in row["exercises_graded"])


def read_manual(path: Path | None) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """The teacher's manual points: ({column: max points}, {student_id: {column: points}}), see export_written."""
    if not path or not Path(path).exists():
        return {}, {}
    with Path(path).open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    columns = [c for c in (rows[0].keys() if rows else []) if c not in ("student_id", "file")]
    maxima, points = {}, {}
    for r in rows:
        sid = (r.get("student_id") or "").strip()
        values = {}
        for c in columns:
            text = (r.get(c) or "").strip()
            if text:
                try:
                    values[c] = float(text)
                except ValueError as err:
                    raise ValueError(f"{path}: {sid}, column {c}: {text!r} is not a number") from err
        if sid == "MAX":
            maxima = values
        elif sid:
            points[sid] = values
    missing = [c for c in columns if c not in maxima]
    if missing:
        raise ValueError(f"{path}: the MAX row needs the maximum points of {', '.join(missing)}")
    return maxima, points


def write_csv(path: Path, results: dict, row: dict, roster: list[dict] | None, manual: Path | None) -> list[dict]:
    """Write the gradebook (atomically) from the results so far; return its rows."""
    questions = [ex["question"] for ex in row["exercises_graded"]]
    maxima, manual_points = read_manual(manual)
    out_rows = []
    for result in sorted(results.values(), key=lambda r: (r["student_id"], r["file"])):
        status = result.get("status", "")
        counted = status in ("graded", "partial", "tampered")
        r = {"student_id": result["student_id"], "file": result["file"], "chapter": result.get("chapter", "")}
        for q in questions:
            r[q] = f"{result.get('scores', {}).get(q, 0.0):g}" if counted else ""
        for c, top in maxima.items():
            value = manual_points.get(result["student_id"], {}).get(c)
            r[c] = "" if value is None else f"{min(value, top):g}"
        total = (sum(result.get("scores", {}).values()) if counted else 0.0) + sum(
            float(r[c]) for c in maxima if r[c] != ""
        )
        top = _max(row) + sum(maxima.values())
        r.update(total=f"{total:g}", max=f"{top:g}", percent=f"{100 * total / top:.1f}" if top else "")
        r.update(status=status, message=result.get("message", ""))
        out_rows.append(r)
    if roster:
        seen = {r["student_id"].split("#")[0] for r in out_rows}
        for entry in roster:
            if entry["student_id"] not in seen:
                top = _max(row) + sum(maxima.values())
                out_rows.append(
                    {
                        "student_id": entry["student_id"],
                        "file": "",
                        "chapter": "",
                        "total": "0",
                        "max": f"{top:g}",
                        "percent": "0.0",
                        "status": "missing",
                        "message": "no submission found",
                    }
                )
    fields = ["student_id", "file", "chapter", *questions, *maxima, "total", "max", "percent", "status", "message"]
    tmp = Path(path).with_suffix(".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, restval="")
        writer.writeheader()
        writer.writerows(out_rows)
    tmp.replace(path)
    return out_rows


def _write_feedback(path: Path, sid: str, result: dict, row: dict) -> None:
    lines = [f"# {sid}: {row['chapter']}", "", f"Status: {result.get('status')}"]
    if result.get("message"):
        lines.append(f"\n{result['message']}")
    for ex in row["exercises_graded"]:
        q = ex["question"]
        if q not in result.get("scores", {}):
            continue
        lines += [
            "",
            f"## {ex['title']}: {result['scores'][q]:g} / {ex['points']:g}",
            "",
            "```text",
            result.get("feedback", {}).get(q, "").rstrip(),
            "```",
        ]
    path.write_text("\n".join(lines) + "\n")
