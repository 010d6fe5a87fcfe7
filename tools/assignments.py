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
  ```{solution} label``` directive. Student notebooks keep the exercise and drop every solution.
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
"""

from __future__ import annotations

import argparse
import ast
import copy
import dataclasses
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from grading.aliases import check_call as _check_call  # noqa: E402
from grading.archive import write_archive  # noqa: E402
from notebooks import cell_source, toc_files  # noqa: E402

DEFAULT_OUT = ROOT / "_build" / "assignments"
BOOTSTRAP_FIRST_LINE = "# Set-up: in Colab, install vaebook"
VAEBOOK_GIT = "git+https://github.com/vaebook/vaebook"
HIDDEN_TAG = "remove-cell"
EXERCISE_RE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{exercise\}[ \t]*(?P<title>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
SOLUTION_RE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{solution\}[ \t]*(?P<label>\S+)[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
POINTS_RE = re.compile(r"\((?:auto)?graded(?:\s*,\s*(?P<points>\d+(?:\.\d+)?)\s*points?)?\)", re.IGNORECASE)
LABEL_RE = re.compile(r"^:label:\s*(\S+)", re.MULTILINE)
DEFAULT_POINTS = 1


@dataclasses.dataclass
class Exercise:
    """One exercise of a chapter, as the generator reads it from the notebook."""

    label: str
    title: str
    cell: int  # index of the markdown cell that holds the directive
    graded: bool = False
    points: float = 0
    check: str = ""  # the vaebook.exercises check the answer cell calls
    function: str = ""  # the student's function it checks
    answer_cell: int = -1
    solution_code: str = ""  # code of the reference solution ('' if the solution shows none)

    @property
    def question(self) -> str:
        """The otter question name (an identifier)."""
        return re.sub(r"\W", "_", self.label)


def chapter_notebooks(root: Path = ROOT) -> list[Path]:
    """Every chapter notebook listed in _toc.yml, in book order."""
    return [root / f"{f}.ipynb" for f in toc_files(root / "_toc.yml") if (root / f"{f}.ipynb").exists()]


def find_bootstrap(cells: list[dict]) -> int:
    """Index of the bootstrap cell (by id 'bootstrap' or by its first line); ValueError if there is none."""
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code" and (
            cell.get("id") == "bootstrap" or cell_source(cell).lstrip().startswith(BOOTSTRAP_FIRST_LINE)
        ):
            return i
    raise ValueError("no bootstrap cell (id 'bootstrap' or first line '# Set-up: in Colab, install vaebook')")


def solution_texts(cells: list[dict]) -> dict[str, str]:
    """Label → body of its solution directive, over every markdown cell."""
    out = {}
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for m in SOLUTION_RE.finditer(cell_source(cell)):
                out[m.group("label")] = m.group("body")
    return out


def solution_code(body: str) -> str:
    """The code block of a solution (fenced or indented) that defines a function; '' if there is none."""
    blocks = [
        m.group(1)
        for m in re.finditer(
            r"^```+\s*(?:\{code-block\}|\{code\})?\s*python[^\n]*\n(.*?)^```+\s*$", body, re.MULTILINE | re.DOTALL
        )
    ]
    block: list[str] = []
    for line in body.splitlines() + ["<end>"]:  # a non-code line that closes a final block
        if line.startswith("    ") or (block and not line.strip()):
            block.append(line)
        else:
            if block:
                blocks.append(textwrap.dedent("\n".join(block)))
            block = []
    for code in blocks:
        if re.search(r"^def \w+\(", code, re.MULTILINE):
            return code.strip("\n") + "\n"
    return ""


def parse_exercises(nb: dict) -> list[Exercise]:
    """Every exercise of a chapter notebook, with the graded ones' check, function, points and solution code."""
    cells = nb["cells"]
    solutions = solution_texts(cells)
    exercises: list[Exercise] = []
    for i, cell in enumerate(cells):
        source = cell_source(cell)
        if cell["cell_type"] == "markdown":
            for m in EXERCISE_RE.finditer(source):
                label = LABEL_RE.search(m.group("body"))
                if not label:
                    raise ValueError(f"cell {i}: exercise {m.group('title')!r} has no :label:")
                exercises.append(Exercise(label.group(1), m.group("title").strip(), i))
        elif cell["cell_type"] == "code" and HIDDEN_TAG not in cell.get("metadata", {}).get("tags", []):
            call = _check_call(source)
            if call is None or not exercises:
                continue
            ex = exercises[-1]
            if ex.graded:
                raise ValueError(f"cell {i}: exercise {ex.label} already has an answer cell (cell {ex.answer_cell})")
            points = POINTS_RE.search(ex.title)
            meta_points = cell.get("metadata", {}).get("vaebook", {}).get("points")
            ex.graded, ex.check, ex.function, ex.answer_cell = True, call[0], call[1], i
            ex.points = (
                float(points.group("points"))
                if points and points.group("points")
                else (float(meta_points) if meta_points is not None else DEFAULT_POINTS)
            )
            ex.solution_code = solution_code(solutions.get(ex.label, ""))
    return exercises


def strip_solutions(markdown: str) -> str:
    """Markdown without its solution directives (and the blank lines they leave)."""
    return re.sub(r"\n{3,}", "\n\n", SOLUTION_RE.sub("", markdown)).strip("\n")


def reference_answer(ex: Exercise) -> str:
    """The reference solution's code, defining the student's function name."""
    if not ex.solution_code:
        raise ValueError(f"graded exercise {ex.label}: its solution has no code block that defines a function")
    defined = re.search(r"^def (\w+)\(", ex.solution_code, re.MULTILINE).group(1)
    alias = f"{ex.function} = {defined}\n" if defined != ex.function else ""
    return ex.solution_code + alias


def _answer_cell_source(ex: Exercise, skeleton: str) -> str:
    """The master notebook's answer cell: otter keeps the skeleton for students, the solution for the autograder."""
    tree = ast.parse(skeleton)
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == ex.function]
    lines = skeleton.split("\n")
    if defs:
        start = min([defs[0].lineno] + [d.lineno for d in defs[0].decorator_list]) - 1
        before, prompt, after = lines[:start], lines[start : defs[0].end_lineno], lines[defs[0].end_lineno :]
    else:  # the function is defined elsewhere (e.g. an earlier cell): the solution is added before the check
        before, prompt, after = [], [], lines
    quote = "'''" if '"""' in "\n".join(prompt) else '"""'
    out = before + ["# BEGIN SOLUTION NO PROMPT", *reference_answer(ex).rstrip("\n").split("\n"), "# END SOLUTION"]
    if prompt:
        out += [f"{quote} # BEGIN PROMPT", *prompt, f"{quote} # END PROMPT"]
    return "\n".join(out + after).strip("\n")


def _test_cell_source(ex: Exercise) -> str:
    return textwrap.dedent(f'''\
        """ # BEGIN TEST CONFIG
        hidden: true
        points: {ex.points:g}
        """ # END TEST CONFIG
        def test_{ex.question}(env):
            from vaebook.exercises import {ex.check}
            fn = env.get("{ex.function}")
            assert callable(fn), ("{ex.function} is not defined: did its cell raise an error, or did a later cell "
                                  "delete or overwrite it?")
            report = {ex.check}(fn)
            assert report, "\\n" + str(report)
        ''').strip("\n")


def _raw(source: str) -> dict:
    return {"cell_type": "raw", "metadata": {}, "source": source}


def _md(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def master_notebook(nb: dict, name: str) -> dict:
    """The otter-assign master notebook of a chapter (see the module docstring for the rules)."""
    find_bootstrap(nb["cells"])
    exercises = parse_exercises(nb)
    graded = {ex.answer_cell: ex for ex in exercises if ex.graded}
    question_start = {}  # markdown cell index → exercises whose question starts there
    for ex in graded.values():
        question_start.setdefault(ex.cell, []).append(ex)
    config = textwrap.dedent(f"""\
        # ASSIGNMENT CONFIG
        name: {name}
        init_cell: false
        check_all_cell: false
        export_cell: false
        run_tests: false
        solutions_pdf: false
        template_pdf: false
        show_question_points: false
        requirements: requirements.txt
        overwrite_requirements: false
        python_version: "{sys.version_info.major}.{sys.version_info.minor}"
        generate: true
        tests:
          ok_format: false
        """)
    cells = [_raw(config)]
    for i, cell in enumerate(nb["cells"]):
        meta = cell.get("metadata", {})
        if HIDDEN_TAG in meta.get("tags", []):
            continue
        cell = copy.deepcopy(cell)
        source = cell_source(cell)
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        if cell["cell_type"] == "markdown" and i in question_start:
            # A question block starts at the graded exercise's directive (text before it stays outside).
            ex = question_start[i][-1]
            start = [m for m in EXERCISE_RE.finditer(source) if LABEL_RE.search(m.group("body")).group(1) == ex.label]
            head, tail = source[: start[0].start()], source[start[0].start() :]
            if strip_solutions(head):
                cells.append(_md(strip_solutions(head)))
            cells.append(_raw(f"# BEGIN QUESTION\nname: {ex.question}\npoints: {ex.points:g}\ncheck_cell: false"))
            cells.append(_md(strip_solutions(tail)))
            continue
        if cell["cell_type"] == "markdown":
            stripped = strip_solutions(source)
            if not stripped:
                continue
            cell["source"] = stripped
        if i in graded:
            ex = graded[i]
            if ex.cell not in question_start or question_start[ex.cell][-1] is not ex:
                raise ValueError(f"exercise {ex.label}: its answer cell must follow its directive's markdown cell")
            cell["source"] = _answer_cell_source(ex, source)
            cells += [
                _raw("# BEGIN SOLUTION"),
                cell,
                _raw("# END SOLUTION"),
                _raw("# BEGIN TESTS"),
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "metadata": {},
                    "outputs": [],
                    "source": _test_cell_source(ex),
                },
                _raw("# END TESTS"),
                _raw("# END QUESTION"),
            ]
            continue
        cells.append(cell)
    master = copy.deepcopy(nb)
    master["cells"] = cells
    for cell in master["cells"]:
        cell.pop("id", None)
    master["nbformat_minor"] = 4  # no cell ids: otter and nbformat then agree without warnings
    return master


def default_pin() -> str:
    """The commit the student notebooks and autograders install vaebook at: this checkout's HEAD."""
    result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError("not a git checkout: pass --pin TAG_OR_COMMIT")
    return result.stdout.strip()


STACK = ("keras", "tensorflow", "numpy", "scipy", "matplotlib", "nbformat", "nbclient", "jupyter_client", "ipykernel")


def requirements(pin: str) -> str:
    """What grading needs, pinned: vaebook at ``pin`` and the versions of the stack this build ran with."""
    from importlib.metadata import PackageNotFoundError, version

    lines = [f"vaebook @ {VAEBOOK_GIT}@{pin}"]
    for name in STACK:
        try:
            lines.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            lines.append(name)
    return "\n".join(lines) + "\n"


def build(chapters: list[Path], out: Path, colab_base: str = "", pin: str | None = None) -> list[dict]:
    """Run `otter assign` on every chapter's master notebook; return one summary row per chapter.

    ``out/public`` holds what a teacher hands out (the student notebooks and an index); ``out/private`` what must
    stay with the teacher (autograders, reference notebooks, assignments.json, the master notebooks).
    """
    out = Path(out).resolve()
    pin = pin or default_pin()
    public, private = out / "public", out / "private"
    public.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    rows = []
    for path in chapters:
        nb = json.loads(path.read_text())
        name = path.stem
        exercises = parse_exercises(nb)
        work = private / "_master" / name
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        master = work / f"{name}.ipynb"
        master.write_text(json.dumps(master_notebook(nb, name), indent=1, ensure_ascii=False))
        (work / "requirements.txt").write_text(requirements(pin))
        dist = private / name
        shutil.rmtree(dist, ignore_errors=True)
        result = subprocess.run(
            [sys.executable, "-m", "otter", "assign", "--no-pdfs", str(master), str(dist)],
            capture_output=True,
            text=True,
            cwd=work,
        )
        if result.returncode != 0:
            raise RuntimeError(f"otter assign failed for {path.name}:\n{result.stdout}\n{result.stderr}")
        student = dist / "student" / f"{name}.ipynb"
        _tidy_student(student, pin)
        shutil.copy(student, public / f"{name}.ipynb")
        shutil.rmtree(dist / "student")  # the public copy is the one to hand out
        graded = [ex for ex in exercises if ex.graded]
        rows.append(
            {
                "chapter": name,
                "exercises": len(exercises),
                "graded": len(graded),
                "points": sum(ex.points for ex in graded),
                "questions": {ex.question: ex.points for ex in graded},
                "pin": pin,
                "student": f"public/{name}.ipynb",
                "reference": f"private/{name}/autograder/{name}.ipynb",
                "autograder": str(next((dist / "autograder").glob("*.zip")).relative_to(out)),
                "exercises_graded": [
                    {
                        "question": ex.question,
                        "label": ex.label,
                        "title": ex.title,
                        "check": ex.check,
                        "function": ex.function,
                        "points": ex.points,
                    }
                    for ex in graded
                ],
                "written": [{"label": ex.label, "title": ex.title} for ex in exercises if not ex.graded],
            }
        )
    for row in rows:
        row["grader"] = str(write_archive(out, row, requirements(pin)).relative_to(out))
    (private / "assignments.json").write_text(json.dumps(rows, indent=1))
    _write_index(public, rows, colab_base)
    return rows


STUDENT_RULES = """\
**Three rules for graded exercises** (the grader runs your notebook again, on its own, and calls your functions
with its own inputs; only what your functions return counts):

1. **Answer in the answer cell**: replace the skeleton (`raise NotImplementedError`) in the cell that ends with
   `print(check_...(...))`, or define the function again in a new cell right below it, before the next exercise.
   Keep the function's name and arguments.
2. **Write the function yourself**: a function that is, or only calls, the chapter's or `vaebook`'s own version
   gets 0 points. Do not change `vaebook` or its checks; that changes nothing in grading.
3. **Hand in a notebook that runs top to bottom**: *Runtime → Restart and run all*, then *File → Download →
   .ipynb*; hand in that file as it is (any file name; the grader finds the chapter inside it).
"""


def _tidy_student(path: Path, pin: str) -> None:
    """Strip what otter leaves in a student notebook that a student should not see (empty cells); state the rules."""
    nb = json.loads(path.read_text())
    nb["cells"] = [c for c in nb["cells"] if cell_source(c).strip()]
    boot = nb["cells"][find_bootstrap(nb["cells"])]
    source = cell_source(boot)
    if f"{VAEBOOK_GIT}@main" in source:  # the version the checks were built from, not a moving branch
        boot["source"] = source.replace(f"{VAEBOOK_GIT}@main", f"{VAEBOOK_GIT}@{pin}")
    title = next((i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"), -1)
    nb["cells"].insert(
        title + 1, {"cell_type": "markdown", "metadata": {"tags": ["vaebook-rules"]}, "source": STUDENT_RULES}
    )
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def _write_index(out: Path, rows: list[dict], colab_base: str) -> None:
    lines = [
        "# Assignments",
        "",
        "| Chapter | Exercises | Graded | Points | Student notebook |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        link = (
            f"[Open in Colab]({colab_base.rstrip('/')}/{row['chapter']}.ipynb)"
            if colab_base
            else f"{row['chapter']}.ipynb"
        )
        lines.append(f"| {row['chapter']} | {row['exercises']} | {row['graded']} | {row['points']:g} | {link} |")
    (out / "README.md").write_text("\n".join(lines) + "\n")


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
        sys.path.insert(0, str(ROOT / "tools"))
        from grading.batch import grade_batch, load_assignment
        from grading.written import export_written

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
