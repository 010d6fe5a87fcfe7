"""Printed output a page can hold: no line a chapter prints is wider than MAX_WIDTH characters.

On the website a wider line scrolls sideways inside its output box, and in the PDF it wraps in the middle of a
table row. The check reads the quick build's executed chapters (_build/cache/quick-default/), as
test_figures.py does, and skips a chapter whose executed copy is missing or was made from other code.

What counts is what the reader sees: the text outputs (streams and plain-text results) of code cells that are not
hidden. Left out are the lines of an exercise report ("  ✓ ..." / "  ✗ ..."), which quote the student's own error
message, whose length the book does not choose.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
CACHE = ROOT / "_build" / "cache" / "quick-default"
MAX_WIDTH = 90
HIDDEN_TAGS = {"remove-cell", "remove-output"}
REPORT_MARKS = ("  ✓ ", "  ✗ ")
RICH_MIMES = {"image/png", "image/svg+xml", "text/html"}  # a plain-text fallback beside these is never shown


def output_text(output: dict) -> str:
    """The text a reader sees for one output of a code cell ('' for images, HTML and errors)."""
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    data = output.get("data", {})
    if output.get("output_type") in ("execute_result", "display_data") and not RICH_MIMES & set(data):
        return "".join(data.get("text/plain", ""))
    return ""


def wide_lines(executed: dict, max_width: int = MAX_WIDTH) -> list[str]:
    """'cell N: W characters: line' for each shown output line wider than ``max_width``."""
    wide = []
    for i, cell in enumerate(executed["cells"]):
        if cell["cell_type"] != "code" or HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        for output in cell.get("outputs", []):
            for line in output_text(output).splitlines():
                if len(line) > max_width and not line.startswith(REPORT_MARKS):
                    wide.append(f"cell {i}: {len(line)} characters: {line}")
    return wide


def test_wide_lines_are_found_where_a_reader_sees_them():
    def cell(text, tags=(), kind="stream"):
        out = {"output_type": "stream", "name": "stdout", "text": text}
        if kind == "result":
            out = {"output_type": "execute_result", "data": {"text/plain": text}, "metadata": {}}
        if kind == "figure":
            out = {"output_type": "display_data", "data": {"text/plain": text, "image/png": ""}, "metadata": {}}
        return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": "", "outputs": [out]}

    long, short = "x" * (MAX_WIDTH + 1), "x" * MAX_WIDTH
    notebook = {
        "cells": [
            cell(f"{short}\n{long}\n"),  # found: cell 0
            cell(long, kind="result"),  # found: cell 1
            cell(long, tags=["remove-cell"]),
            cell(long, tags=["remove-output"]),
            cell(long, kind="figure"),
            cell(f"Exercise\n  ✗ your function raised ValueError: {long}\nNot yet: see the ✗ lines above."),
            {"cell_type": "markdown", "metadata": {}, "source": long},
        ]
    }
    assert [w.split(":")[0] for w in wide_lines(notebook)] == ["cell 0", "cell 1"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_printed_line_is_wider_than_a_page(path):
    from tools import build

    source = json.loads(path.read_text())
    key = build.notebook_key(source, "quick", "default", build.package_hash(), build.stack_versions())
    executed = build.cached(CACHE / path.name, key)
    if executed is None:  # none, or one executed from other code
        pytest.skip(f"no current executed copy in {CACHE.relative_to(ROOT)} (run the quick build to check it)")
    wide = wide_lines(executed)
    assert not wide, f"{path.name}: lines over {MAX_WIDTH} characters (split them, or narrow the table):\n" + "\n".join(
        wide
    )
