"""Build the assignments of tools/assignments.py: per chapter, otter's master notebook, `otter assign`, and the
notebooks a teacher hands out and keeps.

    public/NN_chapter.ipynb                      the student notebook: a reader notebook (tools/reader_notebooks.py)
                                                 without solutions, vaebook pinned, the three rules under the title
    private/NN_chapter/autograder/NN_chapter.ipynb   the reference notebook (the solutions in the answer cells)
    private/NN_chapter/grader-NN_chapter.zip     make grade's grader for this assignment (tools/grading/archive.py)
    private/assignments.json, private/_master/   what the grader reads; what otter made the notebooks from

Both notebooks go through the reader conversion after `otter assign`; before it, the markdown cell of every exercise
is split off and marked (grading/marks.py: `{"vaebook": {"exercise": label, "question": q, "points": p}}`), which is
how the grader finds the exercises once their directives have become headings. Otter's cells (the answer cells and
their metadata) pass through the conversion unchanged.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from tools.assignment_exercises import (
    EXERCISE_RE,
    HIDDEN_TAG,
    LABEL_RE,
    ROOT,
    Exercise,
    exercise_label,
    find_bootstrap,
    parse_exercises,
    reference_answer,
    strip_solutions,
)
from tools.grading.archive import write_archive
from tools.grading.marks import mark
from tools.notebooks import cell_source

VAEBOOK_GIT = "git+https://github.com/vaebook/vaebook"
PIN_RE = re.compile(re.escape(VAEBOOK_GIT) + r"@[\w.+/-]+")
# What grading imports (vaebook's own dependencies, the notebook runner, the kernel), pinned at the build's versions.
# TensorFlow is the chapters' backend; the judge's is Keras's NumPy backend, which imports JAX (for its FFT).
STACK = (
    "keras",
    "tensorflow",
    "jax",
    "jaxlib",
    "numpy",
    "scipy",
    "scikit-learn",
    "matplotlib",
    "mlxtend",
    "nbformat",
    "nbclient",
    "jupyter_client",
    "ipykernel",
)
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


# --- otter's master notebook -----------------------------------------------------------------------------------


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


def _md(source: str, metadata: dict | None = None) -> dict:
    return {"cell_type": "markdown", "metadata": metadata or {}, "source": source}


def master_notebook(nb: dict, name: str) -> dict:
    """The otter-assign master notebook of a chapter (see tools/assignments.py's docstring for the rules)."""
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
            test = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": []}
            test["source"] = _test_cell_source(ex)
            cells += [_raw("# BEGIN SOLUTION"), cell, _raw("# END SOLUTION")]
            cells += [_raw("# BEGIN TESTS"), test, _raw("# END TESTS"), _raw("# END QUESTION")]
            continue
        cells.append(cell)
    master = copy.deepcopy(nb)
    master["cells"] = cells
    for cell in master["cells"]:
        cell.pop("id", None)
    master["nbformat_minor"] = 4  # no cell ids: otter and nbformat then agree without warnings
    return master


# --- the pinned vaebook ------------------------------------------------------------------------------------------


def default_pin() -> str:
    """The commit the student notebooks and autograders install vaebook at: this checkout's HEAD."""
    result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError("not a git checkout: pass --pin TAG_OR_COMMIT")
    return result.stdout.strip()


def check_pin(pin: str) -> str:
    """``pin`` if it names a commit (7 to 40 hex digits) or a tag of this checkout; ValueError for a branch or
    anything else, whose checks could change during a term."""
    if re.fullmatch(r"[0-9a-f]{7,40}", pin):
        return pin
    tags = subprocess.run(["git", "tag", "--list", pin], capture_output=True, text=True, cwd=ROOT).stdout.split()
    if pin in tags:
        return pin
    raise ValueError(f"--pin {pin!r} is neither a commit nor a tag of this repository: pin a tag or a commit")


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


# --- the handed-out notebooks: reader notebooks, exercises marked -------------------------------------------------


def _docname(book, path: Path, nb: dict) -> str:
    """The chapter's page in the book; a notebook that is no page of it (a course's own, a test's) becomes an
    unnumbered page of its own, indexed for its labels."""
    try:
        docname = Path(path).resolve().relative_to(book.root.resolve()).with_suffix("").as_posix()
    except ValueError:
        docname = f"chapters/{Path(path).stem}"
    if docname not in book.chapter_numbers:
        book.chapter_numbers[docname] = None
        book.index(nb, docname)
    return docname


def mark_exercises(nb: dict, exercises: list[Exercise]) -> None:
    """Give every exercise its own markdown cell (text before it stays in a cell of its own) and mark it."""
    by_label = {ex.label: ex for ex in exercises}
    cells = []
    for cell in nb["cells"]:
        source = cell_source(cell)
        starts = [m.start() for m in EXERCISE_RE.finditer(source)] if cell["cell_type"] == "markdown" else []
        if not starts:
            cells.append(cell)
            continue
        if source[: starts[0]].strip():
            cells.append(_md(source[: starts[0]].strip("\n")))
        for k, start in enumerate(starts):
            piece = copy.deepcopy(cell)
            piece.pop("id", None)
            piece["source"] = source[start : starts[k + 1] if k + 1 < len(starts) else len(source)].strip("\n")
            ex = by_label[exercise_label(EXERCISE_RE.search(piece["source"]))]
            mark(piece, ex.label, *((ex.question, ex.points) if ex.graded else ()))
            cells.append(piece)
    marked = [c["metadata"]["vaebook"]["exercise"] for c in cells if "exercise" in c["metadata"].get("vaebook", {})]
    if marked != [ex.label for ex in exercises]:
        raise ValueError(f"exercises marked {marked}, expected {[ex.label for ex in exercises]}")
    if nb.get("nbformat_minor", 4) >= 5:  # cell ids: the split cells need their own
        for k, cell in enumerate(cells):
            cell.setdefault("id", f"vaebook-cell-{k}")
    nb["cells"] = cells


def pin_bootstrap(nb: dict, pin: str) -> None:
    """The bootstrap cell installs vaebook at ``pin`` (the version the checks were built from), not a branch."""
    boot = nb["cells"][find_bootstrap(nb["cells"])]
    source = cell_source(boot)
    if not PIN_RE.search(source):
        raise ValueError(f"the bootstrap cell does not install '{VAEBOOK_GIT}@REF': it cannot be pinned")
    boot["source"] = PIN_RE.sub(f"{VAEBOOK_GIT}@{pin}", source)


def handed_out(path: Path, pin: str, exercises: list[Exercise], book, docname: str, rules: bool) -> None:
    """Rewrite otter's notebook at ``path`` as a reader notebook: empty cells out, vaebook pinned, the rules under
    the title (``rules``), every exercise marked, then tools/reader_notebooks.py's conversion."""
    from tools.reader_notebooks import convert

    nb = json.loads(path.read_text())
    nb["cells"] = [c for c in nb["cells"] if cell_source(c).strip()]
    pin_bootstrap(nb, pin)
    if rules:
        title = next((i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"), -1)
        nb["cells"].insert(title + 1, _md(STUDENT_RULES, {"tags": ["vaebook-rules"]}))
    mark_exercises(nb, exercises)
    problems: list[str] = []
    nb = convert(nb, book, docname, problems)
    if problems:
        raise ValueError(f"{path.name}: unresolved references: {problems}")
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


# --- the build ---------------------------------------------------------------------------------------------------


def build(chapters: list[Path], out: Path, colab_base: str = "", pin: str | None = None) -> list[dict]:
    """Run `otter assign` on every chapter's master notebook; return one summary row per chapter.

    ``out/public`` holds what a teacher hands out (the student notebooks and an index); ``out/private`` what must
    stay with the teacher (autograders, reference notebooks, assignments.json, the master notebooks).
    """
    from tools.reader_notebooks import Book

    out = Path(out).resolve()
    pin = check_pin(pin or default_pin())
    public, private = out / "public", out / "private"
    public.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    book = Book(ROOT)
    rows = []
    for path in chapters:
        nb = json.loads(path.read_text())
        name = path.stem
        exercises = parse_exercises(nb)
        docname = _docname(book, path, nb)
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
        handed_out(student, pin, exercises, book, docname, rules=True)
        handed_out(dist / "autograder" / f"{name}.ipynb", pin, exercises, book, docname, rules=False)
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
