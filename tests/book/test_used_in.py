"""Traceability that cannot drift: every "Used in:" line of a vaebook docstring names a chapter that uses the name.

The one format, on one docstring line (or wrapped over the next lines of the same paragraph):

    Used in: chapter 7, section "Training".
    Used in: chapter 7, section "Training"; chapter 10, section "Anomaly detection".
    Used in: appendix "Scaling up", section "Mixed precision".
    Used in: chapter 9, exercise "Nearest-code lookup".

For each public function or class (the ``__all__`` of every vaebook module) whose docstring has such a line, the
test checks that ``chapters/NN_*.ipynb`` exists, that a code cell of it uses the name (a Python name token, so
not in a comment or a string; the bootstrap cell does not count), and that the section is a heading of that
notebook (an exercise: the title of one of its exercises, without the "(graded, N points)" mark). An appendix is
the notebook in ``chapters/``
whose title (first ``# `` heading) is ``Appendix: <name>`` or ``<name>`` (or ``<name>: subtitle``), with a file
name starting ``appendix``.
"""

import importlib
import inspect
import io
import json
import pkgutil
import re
import tokenize
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ROOT / "chapters"
ENTRY = re.compile(
    r'(?:chapter (?P<chapter>\d+)|appendix "(?P<appendix>[^"]+)"), (?P<kind>section|exercise) "(?P<section>[^"]+)"'
)
EXERCISE_TITLE = re.compile(r"^`{3,}\{exercise\}\s*(.+?)\s*(?:\(graded, \d+ points?\))?\s*$", re.M)


def _public_objects():
    import vaebook

    seen = set()
    for info in pkgutil.walk_packages(vaebook.__path__, "vaebook."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        module = importlib.import_module(info.name)
        names = getattr(module, "__all__", None)
        if names is None:  # a module without __all__: the public names it defines
            names = [
                n
                for n, v in vars(module).items()
                if not n.startswith("_") and getattr(v, "__module__", None) == module.__name__
            ]
        for name in names:
            obj = getattr(module, name)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and id(obj) not in seen:
                seen.add(id(obj))
                yield f"{info.name}.{name}", name, obj


def used_in_text(doc: str | None) -> str | None:
    """The text after ``Used in:`` up to the end of its paragraph, on one line; None without such a line."""
    if not doc:
        return None
    lines = inspect.cleandoc(doc).splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("Used in:"):
            paragraph = [line.strip()[len("Used in:") :].strip()]
            for follow in lines[i + 1 :]:
                if not follow.strip():
                    break
                paragraph.append(follow.strip())
            return " ".join(paragraph)
    return None


def parse_used_in(text: str) -> list[tuple[str, str]]:
    """``[(notebook key, section), ...]`` from the text of a Used-in line; ValueError if it breaks the format.

    The key is ``"chapter N"`` or ``"appendix <name>"``.
    """
    if not text.endswith("."):
        raise ValueError(f"a Used-in line ends with a full stop: {text!r}")
    entries = []
    for part in text[:-1].split("; "):
        match = ENTRY.fullmatch(part)
        if not match:
            raise ValueError(f'not of the form chapter N, section "Title" (or exercise "Title"): {part!r}')
        key = f"chapter {int(match['chapter'])}" if match["chapter"] else f"appendix {match['appendix']}"
        entries.append((key, match["section"] if match["kind"] == "section" else f"exercise: {match['section']}"))
    return entries


@cache
def _notebooks() -> dict[str, Path]:
    found = {}
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        number = re.match(r"(\d+)_", path.name)
        if number:
            found[f"chapter {int(number.group(1))}"] = path
        elif path.name.startswith("appendix"):
            title = re.sub(r"^Appendix:\s*", "", _read(path)[0])
            found[f"appendix {title.split(':')[0].strip()}"] = path  # "Scaling up: many devices" → "Scaling up"
    return found


def _names(code: str) -> set[str]:
    """The Python names a code cell mentions (comments and strings excluded; magics fall back to words)."""
    try:
        return {t.string for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type == tokenize.NAME}
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return set(re.findall(r"\w+", code))


@cache
def _read(path: Path) -> tuple[str, tuple[str, ...], frozenset[str]]:
    """(title, section headings, names used by the code cells but the bootstrap cell) of a notebook."""
    cells = json.loads(path.read_text())["cells"]
    headings, code = [], []
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            headings += [m.group(1).strip() for m in re.finditer(r"^#{1,4} (.+)$", source, re.M)]
            headings += [f"exercise: {m.group(1)}" for m in EXERCISE_TITLE.finditer(source)]
        elif cell["cell_type"] == "code" and cell.get("id") != "bootstrap" and "import vaebook\n" not in source:
            code.append(source)
    title = headings[0] if headings else ""
    return title, tuple(headings), frozenset().union(*map(_names, code))


def problems_of(qualified: str, name: str, doc: str | None) -> list[str]:
    text = used_in_text(doc)
    if text is None:
        return []
    try:
        entries = parse_used_in(text)
    except ValueError as error:
        return [f"{qualified}: {error}"]
    found = []
    for key, section in entries:
        path = _notebooks().get(key)
        if path is None:
            found.append(f"{qualified}: 'Used in' names {key}, which has no notebook in chapters/")
            continue
        _, headings, names = _read(path)
        if name not in names:
            found.append(f"{qualified}: 'Used in' names {key} ({path.name}), whose code never uses {name}")
        if section not in headings:
            what = (
                f"exercise {section[len('exercise: ') :]!r}"
                if section.startswith("exercise: ")
                else f"section {section!r}"
            )
            found.append(f"{qualified}: {path.name} has no {what}")
    return found


def test_every_used_in_line_names_a_chapter_that_uses_the_name():
    problems = [p for qualified, name, obj in _public_objects() for p in problems_of(qualified, name, obj.__doc__)]
    assert not problems, "\n".join(problems)


def test_used_in_lines_are_many():
    # The check above passes vacuously if the lines stop being found: most public names carry one.
    with_line = [q for q, _, obj in _public_objects() if used_in_text(obj.__doc__)]
    assert len(with_line) >= 40, with_line


@pytest.mark.parametrize(
    "text, message",
    [
        ("chapter 7 (the VAE).", "not of the form"),
        ('chapter 7, section "Training"', "full stop"),
        ('chapter 7, section "Training", chapter 8, section "The β-VAE".', "not of the form"),
    ],
)
def test_a_malformed_line_is_caught(text, message):
    with pytest.raises(ValueError, match=message):
        parse_used_in(text)


def test_a_wrong_chapter_or_section_is_caught():
    doc = 'Something.\n\n    Used in: chapter 1, section "MNIST"; chapter 99, section "Nowhere".\n'
    problems = problems_of("vaebook.x.build_mnist_vqvae", "build_mnist_vqvae", doc)
    assert any("never uses build_mnist_vqvae" in p for p in problems), problems  # chapter 1 has no VQ-VAE
    assert any("chapter 99" in p for p in problems), problems
    doc = 'Used in: chapter 9, section "No such section".'
    assert any("no section" in p for p in problems_of("vaebook.x.build_mnist_vqvae", "build_mnist_vqvae", doc))


def test_several_entries_parse():
    assert parse_used_in('chapter 7, section "A"; appendix "Scaling up", section "B"; chapter 9, exercise "C".') == [
        ("chapter 7", "A"),
        ("appendix Scaling up", "B"),
        ("chapter 9", "exercise: C"),
    ]


def test_a_wrong_exercise_is_caught():
    doc = 'Used in: chapter 9, exercise "No such exercise".'
    assert any("no exercise" in p for p in problems_of("vaebook.x.check_nearest_code", "check_nearest_code", doc))
