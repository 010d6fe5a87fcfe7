"""The book's PDF as a reader meets it (``make pdf`` builds it into _build/pdf; these tests read it).

Every chapter, in the order of _toc.yml, starts with its title followed by its first words; no reference is left
unresolved ("??") and LaTeX met no undefined control sequence; every figure the site shows is in the PDF (the same
images, matched by their pixel sizes); the exercise solutions sit in each chapter's "Solutions" section, after the
exercises; and one formula-heavy page is rendered to a PNG (tests/pdf/page.png under _build/pdf) for a person to
look at. Needs poppler-utils (pdftotext, pdfimages, pdftoppm), which tools/pdf.py installs.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import unicodedata
from base64 import b64decode
from collections import Counter

import pytest

from tools import build
from tools.notebooks import _is_bootstrap_cell

OUT = build.BUILD / "pdf"
MANIFEST = OUT / "vaebook.json"
POPPLER = ("pdftotext", "pdfimages", "pdftoppm")


@pytest.fixture(scope="module")
def book() -> dict:
    missing = [tool for tool in POPPLER if not shutil.which(tool)]
    if missing:
        pytest.fail(f"poppler-utils missing ({', '.join(missing)}): run python tools/pdf.py --preflight")
    if not MANIFEST.is_file():
        pytest.fail(f"{MANIFEST} not found: build the PDF first (make pdf)")
    manifest = json.loads(MANIFEST.read_text())
    pdf = OUT / manifest["pdf"]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return {**manifest, "path": pdf, "pages": text.split("\f"), "log": (OUT / manifest["log"]).read_text("latin-1")}


def normalize(text: str) -> str:
    """Letters and digits only, lower case: survives line breaks, hyphenation, ligatures and spacing."""
    return re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", text).lower())


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def chapters() -> list[tuple[str, str]]:
    """(title, first plain words of the hook) of every chapter notebook, in the order of _toc.yml."""
    found = []
    for path in build.toc_notebooks():
        first = _source(json.loads(path.read_text())["cells"][0])
        title, _, rest = first.partition("\n")
        words = []
        for word in rest.split():
            if re.search(r"[$*{`\[]", word):
                break
            words.append(word)
        found.append((title.lstrip("# ").strip(), " ".join(words[:10])))
    return found


def test_every_chapter_in_order(book):
    text = normalize("".join(book["pages"]))
    at = []
    for title, words in chapters():
        assert len(normalize(words)) > 20, f"too few plain words after {title!r} to anchor it"
        position = text.find(normalize(title) + normalize(words))
        assert position >= 0, f"chapter {title!r} followed by {words!r} not found in the PDF's text"
        at.append(position)
    assert at == sorted(at), f"chapters out of order: {at}"


def test_no_unresolved_references_or_undefined_macros(book):
    pages = [i + 1 for i, page in enumerate(book["pages"]) if "??" in page]
    assert not pages, f"unresolved references ('??') on pages {pages}"
    for failure in ("Undefined control sequence", "LaTeX Error", "Missing character"):
        assert failure not in book["log"], f"LaTeX log: {failure!r}"
    assert not re.search(r"LaTeX Warning: (Reference|Citation) .* undefined", book["log"])


def test_equations_are_numbered_and_referenced(book):
    """Labelled equations get numbers like (7.3), and the text's {eq} references print those numbers."""
    text = "".join(book["pages"])
    numbers = set(re.findall(r"\((\d+\.\d+)\)", text))
    assert len(numbers) > 50, f"expected many numbered equations, found {len(numbers)}"
    labels = sum(_source(c).count("{eq}`") for p in build.toc_notebooks() for c in json.loads(p.read_text())["cells"])
    assert labels > 50, labels


def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("expected a PNG")
    return struct.unpack(">II", data[16:24])


def site_figures() -> tuple[Counter, list[int]]:
    """The sizes of the images the site shows (cell outputs of the executed notebooks it renders), and the frame
    heights of its animations (the PDF shows each as one strip of frames)."""
    cache = build.cache_dir(book_profile(), book_backend())
    sizes, animations = Counter(), []
    for path in build.toc_notebooks():
        nb = json.loads((cache / path.name).read_text())
        for cell in build.code_cells(nb):
            tags = cell.get("metadata", {}).get("tags", [])
            if _is_bootstrap_cell(cell) or {"remove-cell", "remove-output"} & set(tags):
                continue
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "image/png" in data:
                    sizes[png_size(b64decode(data["image/png"]))] += 1
                elif "text/html" in data:
                    frames = re.findall(r"data:image/png;base64,([^\"]+)", "".join(data["text/html"]))
                    if frames:
                        animations.append(png_size(b64decode(re.sub(r"[\\\s]", "", frames[0])))[1])
    return sizes, animations


def book_profile() -> str:
    return json.loads(MANIFEST.read_text())["profile"]


def book_backend() -> str | None:
    return json.loads(MANIFEST.read_text())["backend"]


def test_every_site_figure_is_in_the_pdf(book):
    listing = subprocess.run(["pdfimages", "-list", str(book["path"])], capture_output=True, text=True, check=True)
    rows = [line.split() for line in listing.stdout.splitlines()[2:]]
    images = Counter((int(r[3]), int(r[4])) for r in rows if r[2] == "image")
    sizes, animations = site_figures()
    assert sum(sizes.values()) > 50, f"expected the site's many figures, found {sum(sizes.values())}"
    missing = sizes - images
    assert not missing, f"site figures (width, height) not in the PDF: {dict(missing)}"
    extra = images - sizes
    strips = [size for size in extra if size[1] in animations]
    assert len(strips) == len(animations), f"animations {animations}, strips in the PDF: {strips}"
    assert sum(images.values()) == sum(sizes.values()) + len(animations), (images, sizes)


def test_solutions_follow_the_exercises(book):
    """Each chapter's solutions are in its "Solutions to the exercises" section, not under the exercise."""
    text = normalize("".join(book["pages"]))
    heading = normalize("Solutions to the exercises")
    count = text.count(heading)
    assert count >= len(chapters()), f"{count} solution sections for {len(chapters())} chapters"
    exercises = [m.start() for m in re.finditer(normalize("Solution to Exercise"), text)]
    sections = [m.start() for m in re.finditer(heading, text)]
    # the first solution comes after the first chapter's solutions heading, not among its exercises
    assert exercises and sections and exercises[0] > sections[0]


def test_hidden_cells_absent(book):
    """Neither the bootstrap cell nor a hidden check cell reaches the PDF."""
    text = "".join(book["pages"])
    assert "environment_report" not in text and "google.colab" not in text
    checks = []  # of each hidden cell, its longest line that no visible code cell of its chapter has
    for path in build.toc_notebooks():
        cells = build.code_cells(json.loads(path.read_text()))
        hidden = [c for c in cells if "remove-cell" in c.get("metadata", {}).get("tags", [])]
        visible = "\n".join(_source(c) for c in cells if c not in hidden)
        for cell in hidden:
            lines = [line.strip() for line in _source(cell).splitlines()]
            lines = [line for line in lines if line and line not in visible]
            if lines:
                checks.append(max(lines, key=len))
    shown = [line for line in checks if len(normalize(line)) > 20 and normalize(line) in normalize(text)]
    assert len(checks) > 50 and not shown, shown[:5]


def test_render_a_formula_page(book):
    """Render the page with the most numbered equations to a PNG for a person to look at."""
    counts = [len(re.findall(r"\(\d+\.\d+\)\s*$", page, re.MULTILINE)) for page in book["pages"]]
    page = counts.index(max(counts)) + 1
    target = OUT / "formula-page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "110", "-f", str(page), "-l", str(page), "-singlefile", str(book["path"]), target],
        check=True,
    )
    png = target.with_suffix(".png")
    width, height = png_size(png.read_bytes()[:24])
    assert width > 500 and height > 700, (width, height)
    print(f"page {page} with {max(counts)} numbered equations: {png}")
