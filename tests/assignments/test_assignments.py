"""Assignments generated from the chapters (tools/assignments.py, otter-grader): structure, reference solutions,
unanswered exercises, and grading of reference, untouched and broken submissions.

What runs a notebook: the student notebook of chapter 6 (one of the two lightest, about 6 s of smoke-profile cells)
is executed top to bottom and graded untouched and as the reference; broken submissions are graded on a small
synthetic chapter of three graded exercises, built by the same generator. Everything else is checked without
executing a notebook (the graded exercises of every chapter run in-process), so the module takes a few minutes.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from tools import assignment_build as B, assignment_exercises as E, reader_notebooks as rn

ROOT = Path(__file__).resolve().parents[2]

CHAPTERS = E.chapter_notebooks()
BOOK = rn.Book(ROOT)
LIGHT_CHAPTER = ROOT / "chapters" / "06_reparameterization.ipynb"


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _graded(path: Path):
    return [ex for ex in E.parse_exercises(_load(path)) if ex.graded]


GRADED = [(path, ex) for path in CHAPTERS for ex in _graded(path)]


# --- every chapter, without running notebooks ------------------------------------------------------------------


def test_the_toc_lists_chapters():
    assert len(CHAPTERS) >= 9


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_has_two_graded_exercises_that_show_their_points(path):
    graded = _graded(path)
    assert len(graded) >= 2, f"{path.name}: {len(graded)} graded exercises; at least 2 are required"
    for ex in graded:
        shown = E.POINTS_RE.search(ex.title)
        assert shown and shown.group("points"), (
            f"{path.name}: the title of graded exercise {ex.label!r} must show its points, e.g. "
            f"'{ex.title} (graded, 2 points)'"
        )
        assert ex.solution_code, f"{path.name}: the solution of {ex.label} has no code block defining a function"


@pytest.mark.parametrize("path,ex", GRADED, ids=[ex.label for _, ex in GRADED])
def test_reference_solution_passes_and_the_skeleton_says_not_yet(path, ex):
    import vaebook.exercises as exercises

    check = getattr(exercises, ex.check)
    namespace = {"np": np}
    exec(compile(E.reference_answer(ex), f"<solution {ex.label}>", "exec"), namespace)
    report = check(namespace[ex.function])
    assert report, f"the book's solution of {ex.label} fails its own check:\n{report}"
    # The answer cell as students get it runs without an error and reports "Not yet".
    skeleton = E.cell_source(_load(path)["cells"][ex.answer_cell])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(skeleton, f"<skeleton {ex.label}>", "exec"), {"np": np, "vaebook": __import__("vaebook")})
    assert "Not yet" in out.getvalue() and "NotImplementedError" in out.getvalue(), out.getvalue()


def test_the_bootstrap_cell_is_found_wherever_it_is():
    nb = _load(LIGHT_CHAPTER)
    index = E.find_bootstrap(nb["cells"])
    nb["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": "# A title cell"})
    assert E.find_bootstrap(nb["cells"]) == index + 1
    for cell in nb["cells"]:
        cell.pop("id", None)  # found by its first line too
    assert E.find_bootstrap(nb["cells"]) == index + 1


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("assignments")
    rows = B.build(CHAPTERS, out)
    return out, {row["chapter"]: row for row in rows}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_notebook_has_no_solutions_outputs_or_hidden_checks(built, path):
    out, rows = built
    student = _load(out / "public" / f"{path.stem}.ipynb")
    text = json.dumps(student)
    cells = student["cells"]
    assert "{solution}" not in text and "BEGIN SOLUTION" not in text and "remove-cell" not in text
    # A line the chapter itself shows in a visible code cell (e.g. chapter 4 computes a discrete KL in its text)
    # is part of the chapter, not a leaked solution.
    shown = {
        line.strip()
        for c in _load(path)["cells"]
        if c["cell_type"] == "code" and "remove-cell" not in c.get("metadata", {}).get("tags", [])
        for line in E.cell_source(c).splitlines()
    }
    for ex in _graded(path):
        body = [
            line.strip()
            for line in ex.solution_code.splitlines()
            if line.strip() and not line.strip().startswith("def ") and line.strip() not in shown
        ]
        leaked = [line for line in body if any(line in E.cell_source(c) for c in cells)]
        assert not leaked, f"{path.name}: solution lines of {ex.label} in the student notebook: {leaked}"
        answer = [c for c in cells if c.get("metadata", {}).get("otter", {}).get("tests") == [ex.question]]
        assert len(answer) == 1 and "NotImplementedError" in E.cell_source(answer[0])
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in cells if c["cell_type"] == "code")
    code = [c for c in cells if c["cell_type"] == "code"]
    assert E.cell_source(code[0]).startswith(E.BOOTSTRAP_FIRST_LINE)  # self-checks run after the bootstrap cell
    # Students install the vaebook the checks were built from, not the moving main branch.
    pin = rows[path.stem]["pin"]
    assert f"{B.VAEBOOK_GIT}@{pin}" in E.cell_source(code[0]) and "@main" not in E.cell_source(code[0])
    assert "import otter" not in text  # nothing to install in Colab but vaebook
    assert "Three rules for graded exercises" in E.cell_source(cells[1])  # right below the title
    # Every exercise starts a markdown cell of its own, marked for the grader (graded ones with question and points).
    exercises = E.parse_exercises(_load(path))
    marks = [c["metadata"]["vaebook"] for c in cells if "exercise" in c.get("metadata", {}).get("vaebook", {})]
    assert marks == [
        {"exercise": ex.label, "question": ex.question, "points": ex.points} if ex.graded else {"exercise": ex.label}
        for ex in exercises
    ]
    # The autograder holds one hidden test per graded exercise, with its points.
    row = rows[path.stem]
    assert row["points"] == sum(ex.points for ex in _graded(path)) and row["graded"] == len(_graded(path))
    import zipfile

    with zipfile.ZipFile(out / row["autograder"]) as z:
        tests = {n for n in z.namelist() if n.startswith("tests/")}
        assert tests == {f"tests/{ex.question}.py" for ex in _graded(path)}
        for ex in _graded(path):
            source = z.read(f"tests/{ex.question}.py").decode()
            assert f"points = {ex.points:g}" in source and "hidden=True" in source


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_and_reference_notebooks_read_like_the_reader_notebooks(built, path):
    """The handed-out notebooks went through tools/reader_notebooks.py: no raw MyST role or fence, no raw equation
    label, no macro stock MathJax lacks, no solution at all (not even collapsed); exercise numbers as on the site."""
    import nbformat

    out, rows = built
    docname = path.relative_to(ROOT).with_suffix("").as_posix()
    reader = rn.convert(_load(path), BOOK, docname)
    reader_md = "\n".join(rn.cell_source(c) for c in reader["cells"] if c["cell_type"] == "markdown")
    outside_solutions = re.sub(r"<details>.*?</details>", "", reader_md, flags=re.DOTALL)
    reader_tags = re.findall(r"\\tag\{([^}]*)\}", outside_solutions)
    for notebook in (out / rows[path.stem]["student"], out / rows[path.stem]["reference"]):
        nb = _load(notebook)
        nbformat.validate(nbformat.from_dict(nb))
        counts = rn.static_counts(nb)
        assert counts == dict.fromkeys(counts, 0), f"{notebook.name}: {counts}; undefined: {rn.undefined_macros(nb)}"
        assert rn.collapsed_solutions(nb) == 0, f"{notebook.name}: a solution, even collapsed, must not be there"
        markdown = "\n".join(rn.cell_source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
        headings = re.findall(r"^#+ (Exercise \S+) ", markdown, re.MULTILINE)
        assert headings == re.findall(r"^#+ (Exercise \S+) ", reader_md, re.MULTILINE), notebook.name
        tags = re.findall(r"\\tag\{([^}]*)\}", markdown)
        assert tags == reader_tags, (notebook.name, tags)  # the site's equation numbers


def test_a_branch_is_not_a_pin():
    assert B.check_pin(B.default_pin()) == B.default_pin()
    for branch in ("main", "HEAD", "feature/x"):
        with pytest.raises(ValueError, match="tag or a commit"):
            B.check_pin(branch)
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": E.BOOTSTRAP_FIRST_LINE + "\nimport vaebook"}]}
    with pytest.raises(ValueError, match="cannot be pinned"):  # a bootstrap that installs no pinnable vaebook
        B.pin_bootstrap(nb, "abc1234")


# --- running notebooks: one light chapter end to end -------------------------------------------------------------


def test_light_student_notebook_runs_top_to_bottom_and_says_not_yet(built):
    import nbformat
    from nbclient import NotebookClient

    out, _ = built
    nb = nbformat.read(out / "public" / f"{LIGHT_CHAPTER.stem}.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(out)}}).execute()
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert printed.count("Not yet") == len(_graded(LIGHT_CHAPTER))
