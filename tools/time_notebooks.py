"""Execute every chapter in one profile, one at a time, and print a Markdown table of wall-clock times.

    python tools/time_notebooks.py smoke [chapters/01_*.ipynb ...]

Used to fill the status page (status.md). Each notebook runs in a fresh kernel with VAEBOOK_PROFILE set; a
notebook that fails is reported with the error's last line instead of a time.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent


def run(path: Path, profile: str, timeout: int = 3600) -> tuple[float, str]:
    nb = nbformat.read(path, as_version=4)
    os.environ["VAEBOOK_PROFILE"] = profile
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    try:
        client.execute()
        status = "ok"
    except CellExecutionError as err:
        status = "FAILED: " + str(err).strip().splitlines()[-1][:120]
    return time.perf_counter() - start, status


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in ("smoke", "quick", "full"):
        print(__doc__)
        return 2
    profile = argv[1]
    paths = [Path(p) for p in argv[2:]] or sorted((ROOT / "chapters").glob("*.ipynb"))
    print("| notebook | profile | wall time (s) | status |\n|---|---|---|---|", flush=True)
    failed = 0
    for path in paths:
        seconds, status = run(path.resolve(), profile)
        failed += status != "ok"
        print(f"| {path.name} | {profile} | {seconds:.0f} | {status} |", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
