"""Per-notebook wall-clock times from an nbval run's JUnit XML (pytest --nbval-lax --junitxml=FILE).

    python tools/nbval_times.py nbval.xml      # prints a Markdown table: notebook, cells, failures, seconds

nbval reports one test case per cell; this sums them per notebook (the `file` attribute, else the classname).
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict


def notebook_times(path: str) -> dict[str, tuple[int, int, float]]:
    cells, failures, seconds = defaultdict(int), defaultdict(int), defaultdict(float)
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("file") or case.get("classname", "?")
        cells[name] += 1
        seconds[name] += float(case.get("time", 0) or 0)
        failures[name] += any(child.tag in ("failure", "error") for child in case)
    return {name: (cells[name], failures[name], seconds[name]) for name in sorted(cells)}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    times = notebook_times(argv[1])
    print("| notebook | cells | failed | seconds |\n|---|---|---|---|")
    for name, (n, failed, s) in times.items():
        print(f"| {name} | {n} | {failed} | {s:.0f} |")
    print(
        f"| **all** | {sum(t[0] for t in times.values())} | {sum(t[1] for t in times.values())} | "
        f"{sum(t[2] for t in times.values()):.0f} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
