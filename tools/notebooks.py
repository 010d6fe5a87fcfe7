"""Notebook housekeeping for the book: the shared bootstrap cell, output stripping and the structure rules.

    python tools/notebooks.py sync     # put the bootstrap cell (from _config.yml's repository) after each title cell
                                       # (plus os.environ.setdefault lines from metadata.vaebook.environment)
    python tools/notebooks.py strip    # remove outputs and execution counts from every chapter
    python tools/notebooks.py check    # print every structure problem (exit 1 if any)

tests/book/test_book_structure.py runs the same checks.

A chapter opens with its title: the first cell is a markdown cell whose first line is the chapter's '# ' heading
(with the hook below it), and the second cell is the bootstrap cell, collapsed on the site (tag 'hide-cell' hides
its input and its printed environment report behind one toggle; Colab ignores the tag and runs it as usual).
`sync` converts a notebook in the older layout (bootstrap cell first, title second) by moving the bootstrap cell.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
BOOTSTRAP_TEMPLATE = ROOT / "tools" / "bootstrap_cell.py"
HIDE_TAG = "hide-cell"  # input and output collapsed on the site
BOOTSTRAP_ID = "bootstrap"
# Among the first two cells, a code cell with id 'bootstrap', or one that installs vaebook in Colab and prints the
# environment report, is the bootstrap cell (older versions of it included).
BOOTSTRAP_MARKERS = ("google.colab", "environment_report")
CHECK_TAG = "remove-cell"
MIN_EXERCISES = 3
EXERCISE_RE = re.compile(r"^\s*(```+|:::+)\{exercise\}", re.MULTILINE)
SOLUTION_RE = re.compile(r"^\s*(```+|:::+)\{solution\}", re.MULTILINE)
BACKEND_LINE = 'os.environ.setdefault("KERAS_BACKEND"'
ENV_NAME_RE = re.compile(r"[A-Z_][A-Z0-9_]*")


def _yaml_value(text: str, section: str, key: str) -> str:
    """A scalar from a two-level YAML block (enough for _config.yml's repository section; no YAML dependency)."""
    block = re.search(rf"^{section}:\s*\n((?:[ \t]+.*\n?)+)", text, re.MULTILINE)
    if not block:
        raise ValueError(f"_config.yml has no '{section}:' section")
    match = re.search(rf"^[ \t]+{key}:[ \t]*(\S*)", block.group(1), re.MULTILINE)
    if not match:
        raise ValueError(f"_config.yml's '{section}' has no '{key}'")
    return match.group(1).strip("\"'")


def bootstrap_source(config_path: Path = ROOT / "_config.yml", environment: dict | None = None) -> str:
    """The bootstrap cell's source, with the repository URL and branch taken from _config.yml.

    ``environment`` (a notebook's ``metadata.vaebook.environment``) adds one ``os.environ.setdefault`` line per
    variable, just before the default backend is chosen: a notebook can default to another backend or set
    variables that must exist before the backend is imported (``XLA_FLAGS``), and a reader's own setting still wins.
    """
    text = config_path.read_text()
    source = (
        BOOTSTRAP_TEMPLATE.read_text()
        .format(repository_url=_yaml_value(text, "repository", "url"), branch=_yaml_value(text, "repository", "branch"))
        .rstrip("\n")
    )
    if not environment:
        return source
    lines = source.splitlines()
    anchor = next((i for i, line in enumerate(lines) if line.startswith(BACKEND_LINE)), None)
    if anchor is None:
        raise ValueError(f"tools/bootstrap_cell.py has no line starting with {BACKEND_LINE!r}")
    extra = [
        f"os.environ.setdefault({json.dumps(k)}, {json.dumps(v)})  # metadata vaebook.environment"
        for k, v in environment.items()
    ]
    return "\n".join(lines[:anchor] + extra + lines[anchor:])


def notebook_environment(nb: dict) -> dict[str, str]:
    """A notebook's ``metadata.vaebook.environment``: environment variables its bootstrap cell sets if unset.

    Raises:
        ValueError: if it is not a mapping of environment-variable names to strings.
    """
    environment = nb.get("metadata", {}).get("vaebook", {}).get("environment", {})
    if not isinstance(environment, dict) or not all(
        isinstance(k, str) and ENV_NAME_RE.fullmatch(k) and isinstance(v, str) for k, v in environment.items()
    ):
        raise ValueError(
            f"metadata.vaebook.environment must map variable names (A-Z, 0-9, _) to strings; got {environment!r}"
        )
    return environment


def cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def toc_files(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every `file:` (and the root) named in _toc.yml, without extension."""
    text = toc_path.read_text()
    files = re.findall(r"^\s*-?\s*file:\s*(\S+)", text, re.MULTILINE)
    root = re.search(r"^root:\s*(\S+)", text, re.MULTILINE)
    return ([root.group(1)] if root else []) + files


def _is_title_cell(cell: dict) -> bool:
    return cell.get("cell_type") == "markdown" and cell_source(cell).lstrip().startswith("# ")


def _is_bootstrap_cell(cell: dict) -> bool:
    return cell.get("cell_type") == "code" and (
        cell.get("id") == BOOTSTRAP_ID or all(m in cell_source(cell) for m in BOOTSTRAP_MARKERS)
    )


def check_notebook(path: Path, bootstrap: str | None = None, config_path: Path = ROOT / "_config.yml") -> list[str]:
    """Every way a chapter notebook breaks the book's rules (an empty list when it follows them).

    ``bootstrap`` is the shared cell; a notebook with ``metadata.vaebook.environment`` must carry the cell that
    :func:`bootstrap_source` makes from it (``config_path`` gives the repository).
    """
    problems: list[str] = []
    try:
        nb = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        return [f"{path}: not a readable notebook ({err})"]
    cells = nb.get("cells", [])
    code = [c for c in cells if c.get("cell_type") == "code"]
    if bootstrap is not None:
        try:
            environment = notebook_environment(nb)
        except ValueError as err:
            problems.append(f"{path}: {err}")
            environment = {}
        if environment:
            bootstrap = bootstrap_source(config_path, environment)
    with_output = [
        i
        for i, c in enumerate(cells)
        if c.get("cell_type") == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    if with_output:
        problems.append(f"{path}: outputs are not stripped (cells {with_output[:5]}); run tools/notebooks.py strip")
    if not _is_title_cell(cells[0] if cells else {}):
        problems.append(f"{path}: the first cell must be the chapter's title (a markdown cell starting with '# ')")
    bootstrap_at = [i for i, c in enumerate(cells[:2]) if _is_bootstrap_cell(c)]
    if bootstrap_at != [1]:
        problems.append(
            f"{path}: the second cell must be the bootstrap code cell, right after the title cell; "
            f"run tools/notebooks.py sync"
        )
    else:
        second = cells[1]
        if bootstrap is not None and cell_source(second).rstrip("\n") != bootstrap:
            problems.append(
                f"{path}: the bootstrap cell differs from tools/bootstrap_cell.py; run tools/notebooks.py sync"
            )
        if HIDE_TAG not in second.get("metadata", {}).get("tags", []):
            problems.append(
                f"{path}: the bootstrap cell needs the tag '{HIDE_TAG}' (input and output collapsed on "
                f"the site); run tools/notebooks.py sync"
            )
    checks = [c for c in code if CHECK_TAG in c.get("metadata", {}).get("tags", [])]
    if not checks:
        problems.append(f"{path}: no hidden check cell (a code cell tagged '{CHECK_TAG}')")
    elif not any("assert" in cell_source(c) or "raise" in cell_source(c) for c in checks):
        problems.append(f"{path}: the hidden check cells assert nothing")
    markdown = "\n".join(cell_source(c) for c in cells if c.get("cell_type") == "markdown")
    n_ex, n_sol = len(EXERCISE_RE.findall(markdown)), len(SOLUTION_RE.findall(markdown))
    if n_ex < MIN_EXERCISES:
        problems.append(f"{path}: {n_ex} exercises; at least {MIN_EXERCISES} are required")
    if n_sol < n_ex:
        problems.append(f"{path}: {n_ex} exercises but only {n_sol} solutions")
    return problems


def check_book(root: Path = ROOT) -> list[str]:
    """Structure problems of the whole book: the table of contents against chapters/, then each notebook."""
    problems: list[str] = []
    listed = toc_files(root / "_toc.yml")
    for name in listed:
        if not any((root / f"{name}{ext}").is_file() for ext in (".ipynb", ".md")):
            problems.append(f"_toc.yml lists {name}, which does not exist")
    notebooks = sorted(p for p in (root / "chapters").glob("*.ipynb"))
    for nb in notebooks:
        rel = nb.relative_to(root).with_suffix("").as_posix()
        if rel not in listed:
            problems.append(f"{rel}.ipynb is not in _toc.yml")
    bootstrap = bootstrap_source(root / "_config.yml")
    for nb in notebooks:
        problems.extend(check_notebook(nb, bootstrap, root / "_config.yml"))
    return problems


def _notebooks() -> list[Path]:
    return sorted(CHAPTERS.glob("*.ipynb"))


def strip(path: Path) -> bool:
    """Remove outputs and execution counts; True if the file changed."""
    text = path.read_text()
    nb = json.loads(text)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    nb.get("metadata", {}).pop("widgets", None)
    new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if new != text:
        path.write_text(new)
        return True
    return False


def sync(path: Path) -> bool:
    """Put the current bootstrap cell right after the title cell; True if the file changed.

    Handles every layout the book has had: the bootstrap cell first and the title second (the older layout), the
    bootstrap cell after the title (the current one), or no bootstrap cell at all. A bootstrap cell is recognised
    among the first two cells (id 'bootstrap', or a code cell that imports vaebook); nothing else is touched.
    """
    text = path.read_text()
    nb = json.loads(text)
    cells = nb.setdefault("cells", [])
    bootstrap = {
        "cell_type": "code",
        "execution_count": None,
        "id": BOOTSTRAP_ID,
        "metadata": {"tags": [HIDE_TAG]},
        "outputs": [],
        "source": bootstrap_source(environment=notebook_environment(nb)).splitlines(keepends=True),
    }
    old = [i for i, c in enumerate(cells[:2]) if _is_bootstrap_cell(c)]
    for i in reversed(old):
        del cells[i]
    cells.insert(1 if cells and _is_title_cell(cells[0]) else 0, bootstrap)
    new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if new == text:
        return False
    path.write_text(new)
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in ("sync", "strip", "check"):
        print(__doc__)
        return 2
    if argv[1] == "check":
        problems = check_book()
        print("\n".join(problems) or "book structure: ok")
        return 1 if problems else 0
    action = sync if argv[1] == "sync" else strip
    for nb in _notebooks():
        if action(nb):
            print(f"{argv[1]}: {nb.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
