"""The book's maintenance tools (build, gate, notebooks, claims, records, reader notebooks, PDF, assignments).

Each module is a script, run from the repository root as ``python tools/build.py ...`` (its docstring gives the
commands), and, because this folder is a package, a module that the tests import with the repository root on
``sys.path`` (pytest's ``pythonpath = ["."]``): ``from tools import build``, ``from tools.grading import judge``; no
test edits ``sys.path`` (tests/book/test_tools_imports.py). A tool that imports another one writes ``from tools
import x`` or ``from tools.grading import x`` (never the bare ``import x`` or ``grading.x`` with ``tools/`` on
``sys.path``), and, when it runs as a script, first puts the repository root on ``sys.path`` (one line, as gate.py
does). The grader archive (tools/grading/archive.py) ships ``tools/grading/`` with the same layout, so the same
imports work there. None of this is part of the installed ``vaebook`` package.
"""
