"""Assignments generated from the chapters (tools/assignments.py, otter-grader): structure, reference solutions,
unanswered exercises, and grading of reference, untouched and broken submissions.

What runs a notebook: the student notebook of chapter 6 (one of the two lightest, about 6 s of smoke-profile cells)
is executed top to bottom and graded untouched and as the reference; broken submissions are graded on a small
synthetic chapter of three graded exercises, built by the same generator. Everything else is checked without
executing a notebook (the graded exercises of every chapter run in-process), so the module takes a few minutes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import assignments as A  # noqa: E402

CHAPTERS = A.chapter_notebooks()
LIGHT_CHAPTER = ROOT / "chapters" / "06_reparameterization.ipynb"


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _graded(path: Path):
    return [ex for ex in A.parse_exercises(_load(path)) if ex.graded]


GRADED = [(path, ex) for path in CHAPTERS for ex in _graded(path)]


# --- every chapter, without running notebooks ------------------------------------------------------------------


def test_the_toc_lists_chapters():
    assert len(CHAPTERS) >= 9


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_has_two_graded_exercises_that_show_their_points(path):
    graded = _graded(path)
    assert len(graded) >= 2, f"{path.name}: {len(graded)} graded exercises; at least 2 are required"
    for ex in graded:
        shown = A.POINTS_RE.search(ex.title)
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
    exec(compile(A.reference_answer(ex), f"<solution {ex.label}>", "exec"), namespace)
    report = check(namespace[ex.function])
    assert report, f"the book's solution of {ex.label} fails its own check:\n{report}"
    # The answer cell as students get it runs without an error and reports "Not yet".
    skeleton = A.cell_source(_load(path)["cells"][ex.answer_cell])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(skeleton, f"<skeleton {ex.label}>", "exec"), {"np": np, "vaebook": __import__("vaebook")})
    assert "Not yet" in out.getvalue() and "NotImplementedError" in out.getvalue(), out.getvalue()


def test_the_bootstrap_cell_is_found_wherever_it_is():
    nb = _load(LIGHT_CHAPTER)
    index = A.find_bootstrap(nb["cells"])
    nb["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": "# A title cell"})
    assert A.find_bootstrap(nb["cells"]) == index + 1
    for cell in nb["cells"]:
        cell.pop("id", None)  # found by its first line too
    assert A.find_bootstrap(nb["cells"]) == index + 1


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("assignments")
    rows = A.build(CHAPTERS, out)
    return out, {row["chapter"]: row for row in rows}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_notebook_has_no_solutions_outputs_or_hidden_checks(built, path):
    out, rows = built
    student = _load(out / "student" / f"{path.stem}.ipynb")
    text = json.dumps(student)
    cells = student["cells"]
    assert "{solution}" not in text and "BEGIN SOLUTION" not in text and "remove-cell" not in text
    # A line the chapter itself shows in a visible code cell (e.g. chapter 4 computes a discrete KL in its text)
    # is part of the chapter, not a leaked solution.
    shown = {
        line.strip()
        for c in _load(path)["cells"]
        if c["cell_type"] == "code" and "remove-cell" not in c.get("metadata", {}).get("tags", [])
        for line in A.cell_source(c).splitlines()
    }
    for ex in _graded(path):
        body = [
            line.strip()
            for line in ex.solution_code.splitlines()
            if line.strip() and not line.strip().startswith("def ") and line.strip() not in shown
        ]
        leaked = [line for line in body if any(line in A.cell_source(c) for c in cells)]
        assert not leaked, f"{path.name}: solution lines of {ex.label} in the student notebook: {leaked}"
        answer = [c for c in cells if c.get("metadata", {}).get("otter", {}).get("tests") == [ex.question]]
        assert len(answer) == 1 and "NotImplementedError" in A.cell_source(answer[0])
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in cells if c["cell_type"] == "code")
    code = [c for c in cells if c["cell_type"] == "code"]
    assert A.cell_source(code[0]).startswith(A.BOOTSTRAP_FIRST_LINE)  # self-checks run after the bootstrap cell
    assert "import otter" not in text  # nothing to install in Colab but vaebook
    exercises = A.parse_exercises(_load(path))
    assert len(re.findall(r"\{exercise\}", text)) == len(exercises)
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


# --- running notebooks: one light chapter end to end -------------------------------------------------------------


def test_light_student_notebook_runs_top_to_bottom_and_says_not_yet(built):
    import nbformat
    from nbclient import NotebookClient

    out, _ = built
    nb = nbformat.read(out / "student" / f"{LIGHT_CHAPTER.stem}.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(out)}}).execute()
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert printed.count("Not yet") == len(_graded(LIGHT_CHAPTER))


def _grade(tmp_path, built, notebooks: dict[str, dict], **kwargs):
    out, _ = built
    subs = tmp_path / "submissions"
    subs.mkdir()
    for name, nb in notebooks.items():
        (subs / f"{name}.ipynb").write_text(json.dumps(nb))
    csv_path = tmp_path / "grades.csv"
    A.grade(subs, kwargs.pop("assignments", out), csv_path, **kwargs)
    with csv_path.open() as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    feedback = {name: (tmp_path / "grades-feedback" / f"{name}.txt").read_text() for name in rows}
    return rows, feedback


def test_reference_gets_full_marks_and_untouched_gets_zero(built, tmp_path):
    out, rows = built
    name = LIGHT_CHAPTER.stem
    reference = _load(out / name / "autograder" / f"{name}.ipynb")
    untouched = _load(out / "student" / f"{name}.ipynb")
    grades, feedback = _grade(tmp_path, built, {f"reference_{name}": reference, f"untouched_{name}": untouched})
    questions = rows[name]["questions"]
    ref, zero = grades[f"reference_{name}"], grades[f"untouched_{name}"]
    assert all(float(ref[q]) == points for q, points in questions.items()), (ref, feedback)
    assert float(ref["total"]) == float(ref["max"]) == rows[name]["points"]
    assert all(float(zero[q]) == 0 for q in questions) and float(zero["total"]) == 0
    assert "NotImplementedError" in feedback[f"untouched_{name}"]


# --- broken submissions, on a small synthetic chapter ------------------------------------------------------------


def _cell(kind, source, **meta):
    cell = {"cell_type": kind, "metadata": meta, "source": source}
    if kind == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


SYNTHETIC_EXERCISES = [
    (
        "syn-perplexity",
        "code_perplexity",
        "check_code_perplexity",
        "(indices, num_codes)",
        "p = np.bincount(np.ravel(indices), minlength=num_codes) / np.size(indices)\n    p = p[p > 0]\n"
        "    return float(np.exp(-np.sum(p * np.log(p))))",
    ),
    (
        "syn-nearest",
        "nearest_code",
        "check_nearest_code",
        "(z, codebook)",
        "return np.argmin(((z[:, None, :] - codebook[None]) ** 2).sum(-1), axis=1)",
    ),
    (
        "syn-kl",
        "my_kl",
        "check_gaussian_kl",
        "(mean, log_var)",
        "return -0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=-1)",
    ),
]


def _synthetic_chapter() -> dict:
    cells = [
        _cell("markdown", "# A synthetic chapter"),
        _cell(
            "code",
            "# Set-up: in Colab, install vaebook (a stand-in for the bootstrap cell)\n"
            "import keras\nimport numpy as np\nimport vaebook.exercises",
        ),
        _cell("markdown", "## Exercises"),
    ]
    for label, fn, check, args, body in SYNTHETIC_EXERCISES:
        cells.append(
            _cell(
                "markdown",
                f"```{{exercise}} {fn} (graded, 2 points)\n:label: {label}\n\nWrite {fn}.\n```"
                f"\n\n```{{solution}} {label}\n:class: dropdown\n\n    def {fn}{args}:\n"
                f"        {body.replace(chr(10) + '    ', chr(10) + '        ')}\n```",
            )
        )
        cells.append(
            _cell(
                "code",
                f"def {fn}{args}:\n    raise NotImplementedError\n\n\n"
                f"from vaebook.exercises import {check}\n\nprint({check}({fn}))",
            )
        )
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 4,
    }


def _submission(student: dict, answers: dict[str, str]) -> dict:
    nb = json.loads(json.dumps(student))
    for cell in nb["cells"]:
        tests = cell.get("metadata", {}).get("otter", {}).get("tests")
        if tests and tests[0] in answers:
            check_line = A.cell_source(cell).split("\n\n\n", 1)[1]
            cell["source"] = answers[tests[0]] + "\n\n\n" + check_line
    return nb


def test_broken_submissions_get_zero_on_that_exercise_with_a_message(tmp_path, monkeypatch):
    chapter = tmp_path / "chapters" / "syn.ipynb"
    chapter.parent.mkdir()
    chapter.write_text(json.dumps(_synthetic_chapter()))
    out = tmp_path / "assignments"
    (row,) = A.build([chapter], out)
    assert row["graded"] == 3 and row["points"] == 6
    student = _load(out / "student" / "syn.ipynb")
    q = [A.Exercise(label, "", 0).question for label, *_ in SYNTHETIC_EXERCISES]
    good = {
        A.Exercise(label, "", 0).question: f"def {fn}{args}:\n    {body}"
        for label, fn, _, args, body in SYNTHETIC_EXERCISES
    }
    submissions = {
        # an exception; None; a correct answer
        "s1_raises_none": _submission(
            student,
            {
                q[0]: "def code_perplexity(indices, num_codes):\n    return 1 / 0",
                q[1]: "def nearest_code(z, codebook):\n    pass",
                q[2]: good[q[2]],
            },
        ),
        # NaN; a wrong shape; an endless loop inside the function
        "s2_nan_shape_loop": _submission(
            student,
            {
                q[0]: "def code_perplexity(indices, num_codes):\n    return float('nan')",
                q[1]: "def nearest_code(z, codebook):\n    return np.zeros((2, 2), dtype=int)",
                q[2]: "def my_kl(mean, log_var):\n    while True:\n        pass",
            },
        ),
        # a cell that deletes what the next exercise needs; an endless loop at the top level of a cell
        "s3_del_toplevel_loop": _submission(
            student,
            {
                q[0]: "def code_perplexity(indices, num_codes):\n    import numpy\n"
                "    p = numpy.bincount(numpy.ravel(indices), minlength=num_codes) / numpy.size(indices)\n"
                "    p = p[p > 0]\n    return float(numpy.exp(-numpy.sum(p * numpy.log(p))))\n\n\ndel np",
                q[1]: good[q[1]],
                # (it sleeps, so that the minute it waits for the grader's cell limit leaves the CPU to other jobs)
                q[2]: "import time\n\nwhile True:\n    time.sleep(0.05)\n\n\n" + good[q[2]],
            },
        ),
    }
    grades, feedback = _grade(tmp_path, (out, None), submissions, assignments=out, cell_limit=60, check_limit=1)
    scores = {name: [float(grades[name][x]) for x in q] for name in submissions}
    assert scores == {"s1_raises_none": [0, 0, 2], "s2_nan_shape_loop": [0, 0, 0], "s3_del_toplevel_loop": [2, 0, 0]}, (
        feedback
    )
    assert "ZeroDivisionError" in feedback["s1_raises_none"]
    assert "returned None" in feedback["s1_raises_none"]
    assert "shape" in feedback["s2_nan_shape_loop"] and "NaN" in feedback["s2_nan_shape_loop"]
    assert "did not finish within 1 s" in feedback["s2_nan_shape_loop"]
    assert "name 'np' is not defined" in feedback["s3_del_toplevel_loop"]
    assert "my_kl is not defined" in feedback["s3_del_toplevel_loop"]
    assert all(grades[name]["error"] == "" for name in submissions)


def test_the_teaching_page_lists_every_chapter_with_its_counts():
    text = (ROOT / "teaching.md").read_text()
    for path in CHAPTERS:
        exercises = A.parse_exercises(_load(path))
        graded = [ex for ex in exercises if ex.graded]
        row = re.search(rf"^\| {{doc}}`chapters/{path.stem}` \| (\d+) \| (.*?) \| ([\d.]+) \|", text, re.MULTILINE)
        assert row, f"teaching.md: no row for {path.stem} in the table of assignments"
        assert int(row.group(1)) == len(exercises), f"teaching.md: {path.stem} has {len(exercises)} exercises"
        assert float(row.group(3)) == sum(ex.points for ex in graded), f"teaching.md: {path.stem}'s total points"
        assert [f"({ex.points:g})" for ex in graded] == re.findall(r"\(\d+(?:\.\d+)?\)", row.group(2)), (
            f"teaching.md: {path.stem}'s graded exercises and points"
        )
