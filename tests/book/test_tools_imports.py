"""The tools are one package, imported from the repository root (pytest's ``pythonpath = ["."]``): a test writes
``from tools import build`` or ``from tools.grading import judge``, and no test edits Python's module path; a tool
imports another one as ``tools.x`` or ``tools.grading.x``, never by its bare name with tools/ on the path.
"""

import re
from pathlib import Path

from tools import grading

ROOT = Path(__file__).resolve().parents[2]

# An edit of the module path: a call of its insert, append or extend, or an assignment to it or to a slice of it.
PATH_EDIT = re.compile(rb"\bsys\.path\s*(?:\.\s*(?:insert|append|extend)\s*\(|(?:\[[^\]\n]*\])?\s*\+?=(?!=))")
# The bare names a tool used to be imported by, with tools/ (or tools/grading/) on sys.path.
BARE_NAMES = sorted(
    [p.stem for p in (ROOT / "tools").glob("*.py") if p.stem != "__init__"]
    + ["grading"]
    + [p.stem for p in Path(grading.__file__).parent.glob("*.py") if p.stem != "__init__"]
)
BARE_IMPORT = re.compile(rf"^\s*(?:from|import)\s+(?:{'|'.join(BARE_NAMES)})\b", re.MULTILINE)


def path_edits(path: Path) -> list[str]:
    """``path``'s lines that edit sys.path, as "file:line: text"."""
    data = path.read_bytes()
    lines = []
    for m in PATH_EDIT.finditer(data):
        number = data.count(b"\n", 0, m.start()) + 1
        text = data[m.start() :].split(b"\n", 1)[0].decode(errors="replace")
        lines.append(f"{path}:{number}: {text}")
    return lines


def bare_imports(path: Path) -> list[str]:
    """``path``'s imports of a tool by its bare name (``import reader_notebooks``, ``from grading.judge ...``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    text = "\n".join(lines)
    numbers = [text.count("\n", 0, m.start()) + 1 for m in BARE_IMPORT.finditer(text)]
    return [f"{path}:{n}: {lines[n - 1].strip()}" for n in numbers]


def _files(folder: Path, pattern: str = "*") -> list[Path]:
    return sorted(p for p in folder.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts)


def test_no_test_edits_sys_path():
    files = _files(ROOT / "tests")
    assert len(files) > 50 and Path(__file__) in files
    problems = [line for path in files for line in path_edits(path)]
    assert not problems, "import the tools as `from tools import x` instead:\n" + "\n".join(problems)


def test_tests_and_tools_import_the_tools_as_a_package():
    files = [*_files(ROOT / "tests", "*.py"), *_files(ROOT / "tools", "*.py")]
    assert {"assignments", "grading", "judge", "reader_notebooks"} <= set(BARE_NAMES)
    problems = [line for path in files for line in bare_imports(path)]
    assert not problems, "write `from tools import x` / `from tools.grading import x`:\n" + "\n".join(problems)


def test_the_scans_find_a_planted_line(tmp_path):
    """Both scans catch what they look for, in the forms it takes; the lines that only read sys.path pass."""
    edits = {
        "import sys\nsys.path" + ".insert(0, 'tools')\n": 1,
        "sys.path" + ".append(str(ROOT))\n": 1,
        "if True:\n    sys.path" + " .extend([x])\n": 1,
        "sys.path" + "[:0] = ['tools']\nsys.path" + " += ['x']\nsys.path" + " = ['x']\n": 3,
        "print(sys.path)\nif sys.path" + " == []:\n    pass\nx = sys.path[0]\n": 0,
    }
    for k, (text, count) in enumerate(edits.items()):
        planted = tmp_path / f"test_{k}.py"
        planted.write_text(text)
        assert len(path_edits(planted)) == count, text
        assert all(line.startswith(f"{planted}:") for line in path_edits(planted))
    assert path_edits(tmp_path / "test_0.py") == [f"{tmp_path / 'test_0.py'}:2: sys.path" + ".insert(0, 'tools')"]
    imports = {
        "import reader_notebooks as rn\n": 1,
        "from grading.judge import decode\n": 1,
        "def f():\n    from grading import batch\n    import assignment_build\n": 2,
        "from tools import reader_notebooks\nfrom tools.grading.judge import decode\nimport gradingx\n": 0,
    }
    for text, count in imports.items():
        (tmp_path / "tool.py").write_text(text)
        assert len(bare_imports(tmp_path / "tool.py")) == count, text
