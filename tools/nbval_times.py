"""Per-notebook wall-clock times from an nbval run's JUnit XML (pytest --nbval-lax --junitxml=FILE).

    python tools/nbval_times.py nbval.xml      # prints a Markdown table: notebook, cells, failures, seconds
    python tools/nbval_times.py nbval.xml --record --profile smoke --backend jax

nbval reports one test case per cell; this sums them per notebook (the `file` attribute, else the classname).
``--record`` also writes one ``notebook`` record per notebook (tools/records.py; seconds = the summed cell times,
status "ok" or how many cells failed), for the status page.
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def notebook_times(path: str) -> dict[str, tuple[int, int, float]]:
    cells, failures, seconds = defaultdict(int), defaultdict(int), defaultdict(float)
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("file") or case.get("classname", "?")
        cells[name] += 1
        seconds[name] += float(case.get("time", 0) or 0)
        failures[name] += any(child.tag in ("failure", "error") for child in case)
    return {name: (cells[name], failures[name], seconds[name]) for name in sorted(cells)}


def write_records(times: dict[str, tuple[int, int, float]], profile: str, backend: str, out_dir=None) -> list[Path]:
    """One notebook record per notebook of an nbval run: the summed cell times and whether every cell passed."""
    from tools import records

    written = []
    for name, (n, failed, seconds) in times.items():
        # "chapters/07_vae_mnist.ipynb" (file) or "chapters.07_vae_mnist" (classname) -> "07_vae_mnist"
        stem = re.split(r"[/\\.]", name.removesuffix(".ipynb"))[-1]
        status = "ok" if not failed else f"FAILED: {failed} of {n} cells"
        written.append(
            records.write_record(
                "notebook",
                stem,
                {"seconds": round(seconds, 1), "status": status, "cells": n},
                out_dir=out_dir,
                profile=profile,
                backend=backend,
                tool="nbval (cell times summed)",
            )
        )
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("junit_xml")
    parser.add_argument("--record", action="store_true", help="write one notebook record per notebook")
    parser.add_argument("--profile", default="smoke", help="the run's VAEBOOK_PROFILE (default smoke)")
    parser.add_argument("--backend", default="tensorflow", help="the run's KERAS_BACKEND (default tensorflow)")
    args = parser.parse_args(argv[1:])
    times = notebook_times(args.junit_xml)
    print("| notebook | cells | failed | seconds |\n|---|---|---|---|")
    for name, (n, failed, s) in times.items():
        print(f"| {name} | {n} | {failed} | {s:.0f} |")
    print(
        f"| **all** | {sum(t[0] for t in times.values())} | {sum(t[1] for t in times.values())} | "
        f"{sum(t[2] for t in times.values()):.0f} |"
    )
    if args.record:
        written = write_records(times, args.profile, args.backend)
        print(f"{len(written)} records in {written[0].parent if written else '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
