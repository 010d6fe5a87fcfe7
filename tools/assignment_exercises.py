"""A chapter's exercises as the assignments read them: which are graded, by which check, for how many points, and
the reference solution's code (the rules are in tools/assignments.py's docstring and teaching.md).

Read from the chapter notebook's raw MyST (```{exercise}``` and ```{solution}``` directives, answer cells that call
a `vaebook.exercises` check); tools/assignment_build.py turns them into student, reference and master notebooks.
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from pathlib import Path

from tools.grading.aliases import check_call as _check_call
from tools.notebooks import cell_source, toc_files

ROOT = Path(__file__).resolve().parent.parent

BOOTSTRAP_FIRST_LINE = "# Set-up: in Colab, install vaebook"
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


def exercise_label(match: re.Match) -> str:
    """The :label: of an EXERCISE_RE match (parse_exercises has checked that it has one)."""
    return LABEL_RE.search(match.group("body")).group(1)


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
