"""A grader archive per assignment that runs outside the book's repository.

    private/NN_chapter/grader-NN_chapter.zip
        grade.py               python grade.py SUBMISSIONS [-j N] [--roster CSV] [--out DIR] ...
        requirements.txt       vaebook at the pinned commit and the stack the build ran with
        tools/grading/         this package (tools/__init__.py only makes tools/ a package, as in the repository)
        private/assignments.json, public/NN_chapter.ipynb   what the grader reads

Unpack it anywhere, ``pip install -r requirements.txt`` into a virtual environment, and run ``grade.py`` with that
environment's Python: the trusted checks are the installed vaebook's.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

GRADE_PY = '''\\
"""Grade submissions of {chapter} (vaebook's grader, from its archive). See README.md."""

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the grader is tools/grading/ here, imported as in the book's repository

from tools.grading.batch import grade_batch  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("submissions", type=Path)
parser.add_argument("--out", type=Path, default=Path("grades-{chapter}"))
parser.add_argument("-j", "--jobs", type=int, default=None)
parser.add_argument("--roster", type=Path, default=None)
parser.add_argument("--manual", type=Path, default=None)
parser.add_argument("--cell-limit", type=float, default=300)
parser.add_argument("--check-limit", type=float, default=20)
parser.add_argument("--timeout", type=float, default=1800)
parser.add_argument("--profile", default="smoke")
args = parser.parse_args()
grade_batch(args.submissions, HERE, "{chapter}", args.out, jobs=args.jobs, roster=args.roster, manual=args.manual,
            cell_limit=args.cell_limit, check_limit=args.check_limit, timeout=args.timeout, profile=args.profile)
'''

README = """\\
# Grader for {chapter}

    python -m venv venv && venv/bin/pip install -r requirements.txt
    venv/bin/python grade.py path/to/submissions -j 4 [--roster roster.csv] [--out grades-{chapter}]

Writes grades.csv (one row per submission), feedback/, executed/ and grading.log into the output folder.
Keep this archive private: it holds the exercises' checks and where the points are.
"""

TOOLS_INIT = '''"""vaebook's grader, as its archive ships it: grade.py imports tools/grading as tools.grading."""
'''


def write_archive(out: Path, row: dict, requirements: str) -> Path:
    """Write private/CHAPTER/grader-CHAPTER.zip for one built assignment (``row`` of assignments.json)."""
    out = Path(out)
    chapter = row["chapter"]
    path = out / "private" / chapter / f"grader-{chapter}.zip"
    here = Path(__file__).resolve().parent
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("grade.py", GRADE_PY.format(chapter=chapter))
        z.writestr("README.md", README.format(chapter=chapter))
        z.writestr("requirements.txt", requirements)
        z.writestr("tools/__init__.py", TOOLS_INIT)
        for module in sorted(here.glob("*.py")):
            z.write(module, f"tools/grading/{module.name}")
        z.writestr("private/assignments.json", json.dumps([row], indent=1))
        z.write(out / row["student"], row["student"])
    return path
