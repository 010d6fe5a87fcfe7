"""Written exercises ("Show that ...", "Explain ..."): every student's answer, one page per exercise, for grading
by hand, and a CSV of points to fill in that ``grade --manual`` merges into the gradebook.

A student's answer to a written exercise is every cell the student added below the exercise's cell, up to the
next cell of the notebook as it was handed out (the cells a student adds are the ones not in the handed-out copy).
The exercise a cell starts is read from the build's mark on it (grading/marks.py); when one cell holds several
exercises (a notebook made from raw MyST), their answers are shown together under each of them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tools.grading.marks import exercise_labels


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell.get("source"), list) else cell.get("source", "")


def answers(nb: dict, handed_out: dict, labels: list[str]) -> dict[str, list[dict]]:
    """label → the cells the student added after the cell that holds that exercise."""
    original = {(c["cell_type"], _source(c).strip()) for c in handed_out["cells"]}
    out: dict[str, list[dict]] = {label: [] for label in labels}
    current: list[str] = []
    for cell in nb.get("cells", []):
        text = _source(cell)
        if (cell.get("cell_type"), text.strip()) in original:
            current = [label for label in exercise_labels(cell) if label in labels]
            continue
        for label in current:
            out[label].append({"type": cell.get("cell_type", ""), "source": text})
    return out


def export_written(
    submissions: Path, assignments: Path, chapter: str, out: Path, roster: Path | None = None, points: float = 2
) -> str:
    """Write out/written/LABEL.md (every student's answer) and out/manual.csv (points to fill in); say where."""
    from tools.grading.batch import load_assignment, read_roster, student_id, submissions_of

    spec = load_assignment(assignments, chapter)
    row = spec["assignments"][spec["chapter"]]
    handed_out = json.loads((Path(assignments) / row["student"]).read_text())
    labels = [ex["label"] for ex in row["written"]]
    titles = {ex["label"]: ex["title"] for ex in row["written"]}
    roster_rows = read_roster(roster)
    folder = Path(submissions)
    per_student: dict[str, dict[str, list[dict]]] = {}
    for path in submissions_of(folder):
        sid = student_id(path, folder, roster_rows)
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
                raise ValueError
        except (ValueError, UnicodeDecodeError):
            per_student[sid] = {
                label: [{"type": "note", "source": "(the file is not a readable notebook)"}] for label in labels
            }
            continue
        if nb.get("metadata", {}).get("otter", {}).get("assignment_name") not in (None, spec["chapter"]):
            continue  # another assignment's notebook: grade says so
        per_student[sid] = answers(nb, handed_out, labels)
    out = Path(out)
    (out / "written").mkdir(parents=True, exist_ok=True)
    for label in labels:
        lines = [f"# {titles[label]} ({label})", ""]
        for sid in sorted(per_student):
            cells = per_student[sid][label]
            lines += [f"## {sid}", ""]
            if not cells:
                lines += ["*(no answer: no cell was added below this exercise)*", ""]
            for cell in cells:
                if cell["type"] == "code":
                    lines += ["```python", cell["source"].rstrip(), "```", ""]
                else:
                    lines += [cell["source"].rstrip(), ""]
        (out / "written" / f"{label}.md").write_text("\n".join(lines) + "\n")
    manual = out / "manual.csv"
    existing = {}
    if manual.exists():  # keep points already entered
        with manual.open(newline="", encoding="utf-8-sig") as f:
            existing = {r["student_id"]: r for r in csv.DictReader(f)}
    with manual.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["student_id", *labels], restval="")
        writer.writeheader()
        writer.writerow(existing.get("MAX") or {"student_id": "MAX", **{label: f"{points:g}" for label in labels}})
        for sid in sorted(per_student):
            old = existing.get(sid, {})
            writer.writerow({"student_id": sid, **{label: old.get(label, "") for label in labels}})
    return (
        f"{len(labels)} written exercises, {len(per_student)} students: answers in {out / 'written'}/*.md; "
        f"enter points in {manual} (the MAX row holds each exercise's maximum), then run grade again"
    )
