"""Where a handed-out notebook's exercises are: the mark the build puts on each exercise's cell, and what the cell
says when an editor dropped the mark.

The student notebooks are reader notebooks (tools/reader_notebooks.py): an exercise is a heading there, not a
```{exercise}``` fence. The build marks the markdown cell that starts each exercise with

    "metadata": {"vaebook": {"exercise": "ch06-sampler", "question": "ch06_sampler", "points": 2}}

(question and points for graded exercises only). Without the mark (a notebook whose metadata was lost), a cell
starts an exercise if it holds the converted heading's anchor (`<a id="LABEL"></a>` followed by an "Exercise"
heading) or, in a notebook made from the chapter's raw MyST, the directive with its `:label:`.
"""

from __future__ import annotations

import re

KEY = "vaebook"
_ANCHOR_RE = re.compile(r'<a id="(?P<label>[^"]+)"></a>\s*\n\s*#{1,6}[ \t]+Exercise\b')
_FENCE_RE = re.compile(
    r"^[ \t]*(?P<fence>`{3,}|:{3,})\{(?:prf:)?exercise\}[^\n]*\n(?P<body>.*?)^[ \t]*(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_LABEL_RE = re.compile(r"^[ \t]*:label:[ \t]*(\S+)", re.MULTILINE)


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def mark(cell: dict, label: str, question: str | None = None, points: float | None = None) -> None:
    """Mark ``cell`` as the start of exercise ``label`` (graded: its otter question and points)."""
    value: dict = {"exercise": label}
    if question is not None:
        value.update(question=question, points=points)
    metadata = cell.setdefault("metadata", {})
    metadata[KEY] = {**(metadata.get(KEY) or {}), **value}


def exercise_labels(cell: dict) -> list[str]:
    """The labels of the exercises that start in ``cell`` (a dict or a NotebookNode); [] for any other cell."""
    if cell.get("cell_type") != "markdown":
        return []
    meta = (cell.get("metadata") or {}).get(KEY) or {}
    if isinstance(meta, dict) and isinstance(meta.get("exercise"), str):
        return [meta["exercise"]]
    text = _source(cell)
    labels = [m.group("label") for m in _ANCHOR_RE.finditer(text)]
    for m in _FENCE_RE.finditer(text):
        label = _LABEL_RE.search(m.group("body"))
        if label:
            labels.append(label.group(1))
    return labels
