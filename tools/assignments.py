"""Course assignments from the chapters: built with otter-grader (https://otter-grader.readthedocs.io), graded by
tools/grading (each notebook in its own kernel, the checks out of the student's reach).

    python tools/assignments.py build [--out _build/assignments] [--colab-base URL] [--pin REF] [chapter.ipynb ...]
    python tools/assignments.py grade CHAPTER SUBMISSIONS [-j N] [--roster CSV] [--out DIR] [--manual CSV] ...
    python tools/assignments.py export-written CHAPTER SUBMISSIONS [--roster CSV] [--out DIR]
    python tools/assignments.py table                # exercises, graded exercises and points per chapter

Run it with the book's virtual environment (.venv/bin/python); `make assignments`, `make grade CHAPTER=NN
SUBMISSIONS=dir` and `make export-written CHAPTER=NN SUBMISSIONS=dir` call it (teaching.md has the details).
Nothing is written by hand per chapter:
the exercises, which of them are graded, their points and their reference solutions are read from each chapter
notebook listed in _toc.yml, by these rules (the teacher's page, teaching.md, states them for authors):

* An exercise is a ```{exercise} Title``` directive with a `:label:` in a markdown cell; its solution is the
  ```{solution} label``` directive. Student notebooks keep the exercise and drop every solution; they are reader
  notebooks (tools/reader_notebooks.py: no raw MyST), with each exercise's cell marked for the grader.
* An exercise is *graded* when a code cell after it (before the next exercise) calls a `vaebook.exercises`
  check on a function: `print(check_xxx(my_fn))`. That cell is the answer cell: the student notebook keeps it as it
  is (the skeleton raises NotImplementedError, and the check prints "Not yet"); the autograder runs
  `check_xxx(my_fn)` again, hidden, and gives the points only if every line of the check passes.
* Points: "(graded, N points)" in the exercise's title (which is how the book shows them), else the answer cell's
  metadata `{"vaebook": {"points": N}}`, else 1.
* The reference solution is the code block (indented or fenced) of the solution that defines a function; the
  autograder notebook defines it under the skeleton's name. `make test` checks that it gets full marks.
* Cells tagged `remove-cell` (the book's own hidden checks) are left out of both notebooks; the bootstrap cell (found
  by its id or first line, wherever it is) stays first among the code cells, so the self-checks run in Colab after
  it without a restart.

Where it is: tools/assignment_exercises.py reads the exercises from a chapter, tools/assignment_build.py builds the
notebooks and the grader archives, tools/grading/ grades; this file is the command line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the repository root makes tools importable
    sys.path.insert(0, str(ROOT))
from tools.assignment_build import build  # noqa: E402
from tools.assignment_exercises import chapter_notebooks, parse_exercises  # noqa: E402

DEFAULT_OUT = ROOT / "_build" / "assignments"


def table(chapters: list[Path]) -> str:
    """A markdown table: per chapter, its exercises, graded exercises and points."""
    lines = ["| Chapter | Exercises | Graded | Points |", "|---|---|---|---|"]
    for path in chapters:
        exercises = parse_exercises(json.loads(path.read_text()))
        graded = [ex for ex in exercises if ex.graded]
        lines.append(f"| {path.stem} | {len(exercises)} | {len(graded)} | {sum(ex.points for ex in graded):g} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="student notebooks and otter autograders for every chapter")
    b.add_argument("chapters", nargs="*", type=Path)
    b.add_argument("--out", type=Path, default=DEFAULT_OUT)
    b.add_argument(
        "--colab-base",
        default="",
        help="URL of the folder that will hold the student notebooks, e.g. "
        "https://colab.research.google.com/github/ORG/REPO/blob/main/student",
    )
    b.add_argument("--pin", default=None, help="tag or commit of vaebook to install (default: this checkout's HEAD)")
    g = sub.add_parser("grade", help="grade one assignment's submissions into one gradebook CSV")
    g.add_argument("chapter", help="the assignment: a chapter's name or number, e.g. 04 or 04_probability_kl")
    g.add_argument("submissions", type=Path, help="a folder of .ipynb files (subfolders too) or one file")
    g.add_argument("--assignments", type=Path, default=DEFAULT_OUT, help="what `build` wrote")
    g.add_argument("--out", type=Path, default=None, help="output folder (default: _build/grades/CHAPTER)")
    g.add_argument("-j", "--jobs", type=int, default=None, help="notebooks graded at once (default: the CPU cores)")
    g.add_argument("--roster", type=Path, default=None, help="CSV with student_id (and file) columns")
    g.add_argument("--manual", type=Path, default=None, help="manual points of written exercises (export-written)")
    g.add_argument("--cell-limit", type=float, default=300, help="seconds any cell may run")
    g.add_argument("--check-limit", type=float, default=20, help="seconds one call of a student function may run")
    g.add_argument("--timeout", type=float, default=1800, help="seconds the grading of one notebook may take")
    g.add_argument("--profile", default="smoke", help="VAEBOOK_PROFILE for the chapter code (default: smoke)")
    w = sub.add_parser("export-written", help="pages of every student's answer to each written exercise")
    w.add_argument("chapter")
    w.add_argument("submissions", type=Path)
    w.add_argument("--assignments", type=Path, default=DEFAULT_OUT)
    w.add_argument("--out", type=Path, default=None, help="output folder (default: _build/grades/CHAPTER)")
    w.add_argument("--roster", type=Path, default=None)
    w.add_argument("--points", type=float, default=2, help="maximum points of each written exercise (MAX row)")
    sub.add_parser("table", help="print exercises, graded exercises and points per chapter")
    args = parser.parse_args(argv)
    if args.command == "build":
        rows = build(args.chapters or chapter_notebooks(), args.out, args.colab_base, args.pin)
        for row in rows:
            print(f"{row['chapter']}: {row['exercises']} exercises, {row['graded']} graded, {row['points']:g} points")
        print(f"To hand out: {args.out / 'public'}; keep private: {args.out / 'private'} (autograders, references)")
    elif args.command in ("grade", "export-written"):
        from tools.grading.batch import grade_batch, load_assignment
        from tools.grading.written import export_written

        chapter = load_assignment(args.assignments, args.chapter)["chapter"]
        out = args.out or ROOT / "_build" / "grades" / chapter
        if args.command == "export-written":
            print(export_written(args.submissions, args.assignments, chapter, out, args.roster, args.points))
            return 0
        manual = args.manual or (out / "manual.csv" if (out / "manual.csv").exists() else None)
        grade_batch(
            args.submissions,
            args.assignments,
            chapter,
            out,
            jobs=args.jobs,
            roster=args.roster,
            cell_limit=args.cell_limit,
            check_limit=args.check_limit,
            timeout=args.timeout,
            profile=args.profile,
            manual=manual,
        )
    else:
        print(table(chapter_notebooks()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
