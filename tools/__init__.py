"""The book's maintenance tools (build, gate, notebooks, claims, records, reader notebooks, PDF, assignments).

Each module is a script, run from the repository root as ``python tools/build.py ...`` (its docstring gives the
commands), and, because this folder is a package, a module that the tests import with the repository root on
``sys.path`` (pytest's ``pythonpath = ["."]``): ``from tools import build``. A tool that imports another one puts
the repository root on ``sys.path`` when it runs as a script and writes ``from tools import x``; ``tools/grading``
and ``tools/assignments.py`` still import each other as ``grading.x``, with ``tools/`` on ``sys.path``. None of this
is part of the installed ``vaebook`` package.
"""
