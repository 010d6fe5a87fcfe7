"""Grading (tools/grading): a batch of submissions of a small synthetic chapter, one notebook per kind of trouble.

Each notebook is run in its own kernel and judged out of its reach; the table below is the teacher's table of
cases, with the points each exercise must get (2 points each; 0 on the exercise that is broken or tampered with,
full marks on the others). One real chapter (6, one of the lightest) is graded as the reference and untouched.
The synthetic chapter imports no Keras, so each of its notebooks costs a kernel start and a few calls.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from tools import assignment_build as B, assignment_exercises as E
from tools.grading import batch, written
from tools.grading.aliases import AliasFinder
from tools.grading.judge import Opaque, decode

ROOT = Path(__file__).resolve().parents[2]

JOBS = int(os.environ.get("VAEBOOK_GRADE_JOBS", "2"))
LIGHT_CHAPTER = ROOT / "chapters" / "06_reparameterization.ipynb"


def _cell(kind, source, **meta):
    cell = {"cell_type": kind, "metadata": meta, "source": source}
    if kind == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


EXERCISES = [  # label, function, check, arguments, reference body
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
Q = [E.Exercise(label, "", 0).question for label, *_ in EXERCISES]
GOOD = {E.Exercise(label, "", 0).question: f"def {fn}{args}:\n    {body}" for label, fn, _, args, body in EXERCISES}
CHAPTER_HELPER = (
    "def nearest_reference(z, codebook):\n    return np.argmin(((z[:, None, :] - codebook[None]) ** 2).sum(-1), axis=1)"
)


def synthetic_chapter() -> dict:
    cells = [
        _cell("markdown", "# A synthetic chapter"),
        _cell(
            "code",
            "# Set-up: in Colab, install vaebook (stand-in; Keras's NumPy backend: no TensorFlow import)\n"
            "import os\nimport sys\n\nif 'google.colab' in sys.modules:\n    import subprocess\n\n"
            "    subprocess.run([sys.executable, '-m', 'pip', 'install', "
            "'vaebook @ git+https://github.com/vaebook/vaebook@main'])\n"
            "os.environ['KERAS_BACKEND'] = 'numpy'\nimport numpy as np\nimport vaebook.exercises",
        ),
        _cell("code", CHAPTER_HELPER),
        _cell("markdown", "## Exercises"),
        _cell("markdown", "```{exercise} A written one\n:label: syn-written\n\nShow that KL is not negative.\n```"),
    ]
    for label, fn, check, args, body in EXERCISES:
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
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    return {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 4}


def answer(student: dict, answers: dict[str, str], below: dict[str, str] | None = None) -> dict:
    """A submission: the answer cells' skeletons replaced (answers) or left, with a new cell added below (below)."""
    nb = json.loads(json.dumps(student))
    cells = []
    for cell in nb["cells"]:
        cells.append(cell)
        tests = cell.get("metadata", {}).get("otter", {}).get("tests")
        if tests and tests[0] in answers:
            check_line = E.cell_source(cell).split("\n\n\n", 1)[1]
            cell["source"] = answers[tests[0]] + "\n\n\n" + check_line
        if tests and below and tests[0] in below:
            cells.append(_cell("code", below[tests[0]]))
    nb["cells"] = cells
    return nb


TAMPER_CHECKS = (
    "import vaebook.exercises, vaebook.exercises.ch09_vq\n"
    "vaebook.exercises.check_code_perplexity = lambda fn: True\n"
    "vaebook.exercises.ch09_vq.check_code_perplexity = lambda fn: True\n"
    "def code_perplexity(indices, num_codes):\n    return 0.0\n"
)
TAMPER_DISK_AND_MODULES = (
    "import sys, types, vaebook.exercises.ch09_vq as m\n"
    "open(m.__file__, 'a').write('\\ncheck_nearest_code = lambda fn: True\\n')\n"
    "fake = types.ModuleType('vaebook.exercises')\nfake.check_nearest_code = lambda fn: True\n"
    "sys.modules['vaebook.exercises'] = fake\nsys.modules['vaebook.exercises.ch09_vq'] = fake\n"
    "def nearest_code(z, codebook):\n    return 0\n"
)
TAMPER_REPORT = (
    "import vaebook.exercises._checking as c\n"
    "c.CheckReport.__bool__ = lambda self: True\n"
    "c.CheckReport.passed = property(lambda self: True)\n"
    "class Truthy:\n    def __bool__(self):\n        return True\n    lines = [(True, 'ok')]\n"
    "c.Checker.report = lambda self: Truthy()\n"
    "def my_kl(mean, log_var):\n    return mean.sum(-1)\n"
)
SWALLOW_LOOP = (
    "import time\n\nwhile True:\n    try:\n        time.sleep(0.05)\n    except:  # noqa: E722\n        pass\n"
)

# name → (answers, cells added below, expected points per exercise, words the feedback must contain)
CASES = {
    "raises_none_ok": (
        {
            Q[0]: "def code_perplexity(indices, num_codes):\n    return 1 / 0",
            Q[1]: "def nearest_code(z, codebook):\n    pass",
            Q[2]: GOOD[Q[2]],
        },
        None,
        [0, 0, 2],
        ["ZeroDivisionError", "returned None"],
    ),
    "nan_shape_loop": (
        {
            Q[0]: "def code_perplexity(indices, num_codes):\n    return float('nan')",
            Q[1]: "def nearest_code(z, codebook):\n    return np.zeros((2, 2), dtype=int)",
            Q[2]: "def my_kl(mean, log_var):\n    while True:\n        pass",
        },
        None,
        [0, 0, 0],
        ["NaN", "shape", "did not finish within 1 s"],
    ),
    "del_np_and_a_cell_that_swallows_the_interrupt": (
        {
            Q[0]: "def code_perplexity(indices, num_codes):\n    import numpy\n"
            "    p = numpy.bincount(numpy.ravel(indices), minlength=num_codes) / numpy.size(indices)\n"
            "    p = p[p > 0]\n    return float(numpy.exp(-numpy.sum(p * numpy.log(p))))\n\n\ndel np",
            Q[1]: GOOD[Q[1]],
            Q[2]: SWALLOW_LOOP + "\n\n" + GOOD[Q[2]],
        },
        None,
        [2, 0, 0],
        ["name 'np' is not defined", "`my_kl` is not defined", "ran too long"],
    ),
    "tamper_monkeypatched_check": ({Q[0]: TAMPER_CHECKS, Q[1]: GOOD[Q[1]], Q[2]: GOOD[Q[2]]}, None, [0, 2, 2], []),
    "tamper_disk_sys_modules_and_report": (
        {Q[0]: GOOD[Q[0]], Q[1]: TAMPER_DISK_AND_MODULES, Q[2]: TAMPER_REPORT},
        None,
        [2, 0, 0],
        [],
    ),
    "aliases": (
        {
            Q[0]: GOOD[Q[0]],
            Q[1]: "nearest_code = nearest_reference",
            Q[2]: "import vaebook.losses\n\n\ndef my_kl(mean, log_var):\n"
            "    return vaebook.losses.gaussian_kl(mean, log_var)",
        },
        None,
        [2, 0, 0],
        ["`nearest_code` is `nearest_reference`", "only calls `vaebook.losses.gaussian_kl`"],
    ),
    # Answers in new cells below untouched skeletons (graded: the last definition before the next exercise); the
    # second one loops in a bare `except:` that swallows the grader's interrupt, so the kernel is restarted.
    "answer_below_and_a_function_that_swallows_the_interrupt": (
        {Q[2]: GOOD[Q[2]]},
        {
            Q[0]: GOOD[Q[0]],
            Q[1]: "import time\n\n\ndef nearest_code(z, codebook):\n"
            + "\n".join("    " + x for x in SWALLOW_LOOP.split("\n")[2:]),
        },
        [2, 0, 2],
        ["did not finish within 1 s"],
    ),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The synthetic chapter and chapter 6, built: (folder, {chapter: row of assignments.json})."""
    tmp = tmp_path_factory.mktemp("built")
    (tmp / "chapters").mkdir()
    chapter = tmp / "chapters" / "syn.ipynb"
    chapter.write_text(json.dumps(synthetic_chapter()))
    rows = {row["chapter"]: row for row in B.build([chapter, LIGHT_CHAPTER], tmp / "assignments")}
    return tmp / "assignments", rows


@pytest.fixture(scope="module")
def graded(built, tmp_path_factory):
    """Grade one batch of every case; (out, rows, feedback, built)."""
    tmp = tmp_path_factory.mktemp("grading")
    assignments, rows = built
    student = json.loads((assignments / "public" / "syn.ipynb").read_text())
    reference = json.loads((assignments / rows["syn"]["reference"]).read_text())
    subs = tmp / "submissions"
    subs.mkdir()
    for name, (answers, below, _, _) in CASES.items():
        (subs / f"{name}.ipynb").write_text(json.dumps(answer(student, answers, below)))
    bare = json.loads(json.dumps(reference))  # a reference that lost every bit of metadata (another editor)
    bare.pop("metadata")
    for cell in bare["cells"]:
        cell["metadata"] = {}
    (subs / "no_metadata.ipynb").write_text(json.dumps(bare))
    (subs / "invalid_json.ipynb").write_text('{"cells": [')
    (subs / "empty_object.ipynb").write_text("{}")
    shutil.copy(assignments / "public" / f"{LIGHT_CHAPTER.stem}.ipynb", subs / "another_chapter.ipynb")
    (subs / "lms" / "jane_doe").mkdir(parents=True)  # an LMS export: one folder per student
    (subs / "lms" / "jane_doe" / "syn (1).ipynb").write_text(json.dumps(reference))
    out = tmp / "grades"
    roster = tmp / "roster.csv"
    roster.write_text("student_id,file\nS001,raises_none_ok\nS002,jane_doe\nS999,never_handed_in\n")
    lines = []
    batch.grade_batch(
        subs,
        assignments,
        "syn",
        out,
        jobs=JOBS,
        roster=roster,
        cell_limit=20,
        check_limit=1,
        timeout=300,
        log=lines.append,
    )
    with (out / "grades.csv").open() as f:
        table = list(csv.DictReader(f))
    return {
        "out": out,
        "subs": subs,
        "assignments": assignments,
        "rows": table,
        "log": lines,
        "roster": roster,
        "built": rows,
    }


def _by_file(graded):
    return {row["file"]: row for row in graded["rows"]}


@pytest.mark.parametrize("name", list(CASES))
def test_each_case_gets_the_points_of_the_table(graded, name):
    row = _by_file(graded)[f"{name}.ipynb"]
    feedback = (graded["out"] / "feedback" / f"{batch._safe(row['student_id'])}.md").read_text()
    expected = CASES[name][2]
    assert [float(row[q]) for q in Q] == expected, feedback
    assert row["status"] == "graded", row
    assert float(row["total"]) == sum(expected) and float(row["max"]) == 6
    assert row["percent"] == f"{100 * sum(expected) / 6:.1f}"
    for words in CASES[name][3]:
        assert words in feedback, (words, feedback)
    assert (graded["out"] / "executed" / f"{batch._safe(row['student_id'])}.ipynb").exists()


def test_the_tampered_files_were_the_kernels_own_copy(graded):
    source = (ROOT / "vaebook" / "exercises" / "ch09_vq.py").read_text()
    assert "lambda fn: True" not in source


def test_every_file_gets_one_row_with_a_clear_status(graded):
    rows = _by_file(graded)
    assert (
        rows["invalid_json.ipynb"]["status"] == "corrupt" and "not valid JSON" in rows["invalid_json.ipynb"]["message"]
    )
    assert rows["empty_object.ipynb"]["status"] == "corrupt"
    assert rows["another_chapter.ipynb"]["status"] == "wrong-chapter"
    assert (
        rows["another_chapter.ipynb"]["chapter"] == LIGHT_CHAPTER.stem and rows["another_chapter.ipynb"]["total"] == "0"
    )
    assert [float(rows["no_metadata.ipynb"][q]) for q in Q] == [2, 2, 2]
    # IDs: the roster's where a roster entry matches, else the LMS folder or the file name; the roster's missing one.
    assert rows["raises_none_ok.ipynb"]["student_id"] == "S001"
    assert rows["lms/jane_doe/syn (1).ipynb"]["student_id"] == "S002"
    assert float(rows["lms/jane_doe/syn (1).ipynb"]["total"]) == 6
    assert rows["aliases.ipynb"]["student_id"] == "aliases"
    missing = [r for r in graded["rows"] if r["status"] == "missing"]
    assert [r["student_id"] for r in missing] == ["S999"]
    files = batch.submissions_of(graded["subs"])
    assert len(graded["rows"]) == len(files) + 1
    for name in ("invalid_json", "empty_object", "another_chapter"):
        assert (graded["out"] / "feedback" / f"{name}.md").exists()
    log = (graded["out"] / "grading.log").read_text().splitlines()
    assert len(log) == len(files) and all("points" in line for line in log)


def test_a_rerun_resumes_and_manual_points_merge_into_the_gradebook(graded):
    out = graded["out"]
    message = written.export_written(graded["subs"], graded["assignments"], "syn", out, graded["roster"], points=3)
    assert "1 written exercises" in message
    page = (out / "written" / "syn-written.md").read_text()
    assert "## S001" in page and "no answer" in page
    with (out / "manual.csv").open() as f:
        manual = list(csv.DictReader(f))
    assert manual[0] == {"student_id": "MAX", "syn-written": "3"}
    manual[1]["syn-written"] = "2.5"
    with (out / "manual.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["student_id", "syn-written"])
        writer.writeheader()
        writer.writerows(manual)
    lines = []
    rows = batch.grade_batch(
        graded["subs"],
        graded["assignments"],
        "syn",
        out,
        jobs=1,
        roster=graded["roster"],
        manual=out / "manual.csv",
        log=lines.append,
    )
    assert "0 to grade" in lines[0]  # every result reused: nothing ran again
    row = next(r for r in rows if r["student_id"] == manual[1]["student_id"])
    before = next(r for r in graded["rows"] if r["student_id"] == manual[1]["student_id"])
    assert row["syn-written"] == "2.5" and float(row["total"]) == float(before["total"]) + 2.5
    assert row["max"] == "9"


def test_chapter_6_reference_gets_full_marks_and_untouched_zero(graded, tmp_path):
    assignments, built = graded["assignments"], graded["built"]
    name = LIGHT_CHAPTER.stem
    (tmp_path / "subs").mkdir()
    shutil.copy(assignments / built[name]["reference"], tmp_path / "subs" / "reference.ipynb")
    shutil.copy(assignments / built[name]["student"], tmp_path / "subs" / "untouched.ipynb")
    rows = {
        r["student_id"]: r
        for r in batch.grade_batch(
            tmp_path / "subs", assignments, "06", tmp_path / "out", jobs=JOBS, log=lambda line: None
        )
    }
    questions = built[name]["questions"]
    assert all(float(rows["reference"][q]) == p for q, p in questions.items()), rows
    assert rows["reference"]["percent"] == "100.0" and rows["untouched"]["total"] == "0"
    assert "NotImplementedError" in (tmp_path / "out" / "feedback" / "untouched.md").read_text()


# --- pieces, without a kernel ------------------------------------------------------------------------------------


def test_alias_finder():
    chapter = [
        "import numpy as np\nfrom vaebook.losses import gaussian_kl",
        CHAPTER_HELPER,
        "def f(x):\n    raise NotImplementedError",
    ]
    finder = AliasFinder(chapter, {"f"})
    own = "def f(z, codebook):\n    d = ((z[:, None] - codebook[None]) ** 2).sum(-1)\n    return np.argmin(d, axis=1)"
    cases = {
        "f = nearest_reference": True,
        "f = gaussian_kl": True,
        "from vaebook.losses import gaussian_kl as f": True,
        "import vaebook\nf = vaebook.losses.gaussian_kl": True,
        "f = lambda z, c: nearest_reference(z, c)": True,
        "import functools\nf = functools.partial(nearest_reference)": True,
        "def f(z, c):\n    '''doc'''\n    return nearest_reference(z, c)": True,
        "def f(m, v):\n    from vaebook.losses import gaussian_kl as g\n    out = g(m, v)\n    return out": True,
        "def helper(z, c):\n    return nearest_reference(z, c)\n\n\ndef f(z, c):\n    return helper(z, c)": True,
        "f = np.argmin": True,  # not reference code, but not the student's either
        own: False,
        own.replace("def f", "def mine") + "\n\n\nf = mine": False,
        "def f(z, c):\n    return np.argmin(((z[:, None] - c[None]) ** 2).sum(-1), axis=1)": False,
        "def helper(z, c):\n    return np.argmin(((z[:, None] - c[None]) ** 2).sum(-1), axis=1)\n\n\n"
        "def f(z, c):\n    return helper(z, c)": False,
    }
    for source, is_alias in cases.items():
        assert bool(finder.verdict("f", [*chapter, source])) == is_alias, source
    # What the kernel reports catches bindings the source hides (globals()[...] = ..., exec).
    hidden = [*chapter, "globals()['f'] = nearest_reference"]
    assert finder.verdict("f", hidden, {"callable": True, "module": "__main__", "name": "nearest_reference"})
    assert finder.verdict("f", hidden, {"callable": True, "module": "vaebook.losses", "name": "gaussian_kl"})
    assert not finder.verdict("f", [*chapter, own], {"callable": True, "module": "__main__", "name": "f"})


def test_the_exercises_are_found_with_or_without_the_builds_marks(built):
    """The handed-out notebook is a reader notebook (no directives): the build marks each exercise's cell; a
    notebook whose metadata was lost still shows the converted heading's anchor, a chapter its directive."""
    from tools.grading.marks import exercise_labels

    assignments, _ = built
    student = json.loads((assignments / "public" / "syn.ipynb").read_text())
    assert "{exercise}" not in json.dumps(student)
    labels = ["syn-written", *[label for label, *_ in EXERCISES]]
    bare = json.loads(json.dumps(student))
    for cell in bare["cells"]:
        cell["metadata"] = {}
    for nb in (student, bare, synthetic_chapter()):
        assert [label for c in nb["cells"] for label in exercise_labels(c)] == labels
    assert exercise_labels({"cell_type": "markdown", "metadata": {}, "source": "## Exercise 1.1 (no anchor)"}) == []
    assert exercise_labels({"cell_type": "code", "metadata": {"vaebook": {"exercise": "x"}}, "source": ""}) == []
    # A written answer: the cells a student adds below the exercise's cell, up to the next cell handed out.
    at = next(i for i, c in enumerate(student["cells"]) if exercise_labels(c) == ["syn-written"])
    for nb in (student, bare):
        submission = json.loads(json.dumps(nb))
        submission["cells"].insert(at + 1, _cell("markdown", "By Jensen's inequality, KL >= 0."))
        found = written.answers(submission, student, labels[:1])
        assert found == {"syn-written": [{"type": "markdown", "source": "By Jensen's inequality, KL >= 0."}]}


def test_results_from_the_kernel_are_plain_data():
    import base64

    array = np.arange(6.0).reshape(2, 3)
    encoded = {"nd": base64.b64encode(array.tobytes()).decode(), "dtype": array.dtype.str, "shape": [2, 3]}
    np.testing.assert_array_equal(decode(encoded), array)
    assert decode({"tuple": [{"py": 1.5}, {"py": None}]}) == (1.5, None)
    assert isinstance(decode({"opaque": "Model"}), Opaque)
    for bad in (
        {"nd": "", "dtype": "|O", "shape": [0]},
        {"py": [1]},
        {"pickle": "gASV"},
        [1],
        {"nd": "AA==", "dtype": "<f8", "shape": [3]},
    ):
        with pytest.raises((ValueError, TypeError)):
            decode(bad)


def _archive(assignments: Path, row: dict, where: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(assignments / row["grader"]) as z:
        z.extractall(where)
    return where


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}


def _vaebook_wheel(tmp_path: Path, env: dict) -> Path:
    """A wheel of this checkout's vaebook, built from a copy (no build/ left in the checkout)."""
    import subprocess

    wheel_dir, source = tmp_path / "wheel", tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "vaebook", source / "vaebook", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheel_dir), source],
        check=True,
        env=env,
    )
    (wheel,) = wheel_dir.glob("vaebook-*.whl")
    return wheel


def _grade_with_archive(python: Path, grader: Path, subs: Path, out: Path, env: dict) -> dict[str, dict]:
    """Run the archive's grade.py with ``python``; the gradebook's rows by student ID."""
    import subprocess

    run = subprocess.run(
        [str(python), "grade.py", str(subs), "--out", str(out), "-j", "1"],
        cwd=grader,
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    with (out / "grades.csv").open() as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


def test_the_grader_archive_grades_outside_the_repository(built, tmp_path):
    """The archive, unpacked outside the repository, grades with a venv whose vaebook is a wheel built from here.

    The venv sees the Keras stack of the environment running the tests (a .pth file): installing TensorFlow afresh
    takes minutes, which test_the_grader_archive_grades_in_a_clean_virtual_environment (opt-in) spends. Its own
    vaebook (the wheel) comes before any other on its path.
    """
    import subprocess
    import sysconfig
    import venv

    assignments, rows = built
    grader = _archive(assignments, rows["syn"], tmp_path / "grader")
    assert "vaebook @ git+" in (grader / "requirements.txt").read_text()
    venv.create(tmp_path / "venv", system_site_packages=True, with_pip=False)
    python = tmp_path / "venv" / "bin" / "python"
    env = _clean_env()
    wheel = _vaebook_wheel(tmp_path, env)
    venv_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tmp_path,
    ).stdout.strip()
    Path(venv_site, "zz_stack.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # after the venv's own
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        check=True,
        env=env,
    )
    where = subprocess.run(
        [str(python), "-c", "import vaebook; print(vaebook.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # not the checkout, whose vaebook/ would come first
    )
    assert str(tmp_path / "venv") in where.stdout, where
    (tmp_path / "subs").mkdir()
    shutil.copy(assignments / rows["syn"]["reference"], tmp_path / "subs" / "reference.ipynb")
    (row,) = _grade_with_archive(python, grader, tmp_path / "subs", tmp_path / "out", env).values()
    assert row["status"] == "graded" and row["percent"] == "100.0", row


CLEAN_ENV = os.environ.get("VAEBOOK_CLEAN_ENV") == "1"


@pytest.mark.skipif(not CLEAN_ENV, reason="opt-in (installs the Keras stack): make test-grader-archive")
def test_the_grader_archive_grades_in_a_clean_virtual_environment(built, tmp_path):
    """What a teacher does with the archive, in a virtual environment made here (python -m venv) that sees nothing
    of this one: pip install -r requirements.txt, then grade.py. Every requirement comes from the package registry
    at the archive's pinned version, except vaebook: its line pins a commit on GitHub, which this machine cannot
    reach (and which need not be pushed yet), so it is replaced by a wheel of the same checkout; the test asserts
    that the line it replaces is the build's pin.
    """
    import subprocess
    import time

    assignments, rows = built
    row = rows["syn"]
    grader = _archive(assignments, row, tmp_path / "grader")
    pinned = f"vaebook @ {B.VAEBOOK_GIT}@{row['pin']}"
    requirements = (grader / "requirements.txt").read_text().splitlines()
    assert requirements[0] == pinned and B.check_pin(row["pin"]) == row["pin"]
    stack = dict(line.split("==") for line in requirements[1:])
    assert {"keras", "tensorflow", "numpy", "nbclient", "ipykernel"} <= set(stack), stack
    env = _clean_env()
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True, env=env)
    python = tmp_path / "venv" / "bin" / "python"
    local = tmp_path / "requirements-here.txt"
    local.write_text("\n".join([f"vaebook @ {_vaebook_wheel(tmp_path, env).as_uri()}", *requirements[1:]]) + "\n")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(local)], capture_output=True, text=True, env=env
    )
    assert install.returncode == 0, install.stdout + install.stderr
    print(f"\nclean venv: pip install -r requirements.txt took {time.monotonic() - t0:.0f} s")
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import sys, importlib.metadata as m, vaebook\n"
            "import json\nprint(vaebook.__file__)\nprint(json.dumps(sys.path))\n"
            "for name in sys.argv[1:]:\n    print(name, m.version(name))",
            *stack,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert probe.returncode == 0, probe.stderr
    lines = probe.stdout.splitlines()
    assert lines[0].startswith(str(tmp_path / "venv")), lines[0]
    path = [p for p in json.loads(lines[1]) if p]  # nothing of the checkout, no site-packages but the venv's
    assert not [p for p in path if p.startswith(str(ROOT))], path
    packages = [p for p in path if "-packages" in p]
    assert packages and all(p.startswith(str(tmp_path / "venv")) for p in packages), path
    assert dict(line.split(" ") for line in lines[2:]) == stack  # the archive's versions, as pinned
    (tmp_path / "subs").mkdir()
    shutil.copy(assignments / row["reference"], tmp_path / "subs" / "reference.ipynb")
    shutil.copy(assignments / row["student"], tmp_path / "subs" / "untouched.ipynb")
    t1 = time.monotonic()
    graded = _grade_with_archive(python, grader, tmp_path / "subs", tmp_path / "out", env)
    print(f"clean venv: grading 2 notebooks took {time.monotonic() - t1:.0f} s")
    said = {sid: (r["status"], r["total"], r["message"]) for sid, r in graded.items()}
    assert graded["reference"]["status"] == "graded" and graded["reference"]["percent"] == "100.0", said
    assert graded["untouched"]["status"] == "graded" and graded["untouched"]["total"] == "0", said
    assert "NotImplementedError" in (tmp_path / "out" / "feedback" / "untouched.md").read_text()
