"""Build the whole book as one PDF from the executed notebooks the site uses.

    python tools/pdf.py                         # make pdf: quick profile, _build/pdf/vaebook.pdf
    python tools/pdf.py --no-execute            # fail, naming them, if a notebook is not in the cache
    python tools/pdf.py --site _build/html      # also copy the PDF into the site (the landing page links it)
    python tools/pdf.py --preflight             # only check (or install, as root) the TeX packages

1. **System packages.** Debian's XeTeX, LaTeX packages, latexmk, the FreeFont fonts and poppler-utils (for the
   test). Run as root with apt-get, missing ones are installed; otherwise the script stops at once with the
   ``apt-get install`` command.
2. **Notebooks.** The same execution cache as the site (tools/build.py, ``_build/cache/PROFILE-BACKEND``): a notebook
   whose key is unchanged is not executed again. One that is missing or stale is executed through
   ``build.execute`` (so ``make pdf`` works from a fresh clone), or, with ``--no-execute``, named in an error.
3. **Staging.** ``build.stage`` lays out the sources with the executed notebooks in ``_build/pdf/src/...``; then,
   for paper: the bootstrap cell is removed (hidden check cells, tag ``remove-cell``, already are), inputs the site
   hides (``hide-input``) are removed, a JavaScript animation becomes a strip of its frames, and each chapter's
   exercise solutions move from the exercises to a section "Solutions to the exercises" at the chapter's end
   (before its references); an inline formula that a wrapped line starting with ``- `` turned into a list item is
   joined back (join_broken_math). The configuration gets XeTeX (the chapters hold Unicode such as ≥ × σ) and a LaTeX
   preamble with the site's MathJax macros (``\\KL``, ``\\E``...), generated from ``_config.yml``.
4. **LaTeX.** Jupyter Book's LaTeX builder, then latexmk with XeTeX. The PDF is ``_build/pdf/vaebook.pdf`` with
   its LaTeX log beside it (``vaebook.log``); tests/pdf/test_pdf.py checks them.
"""

from __future__ import annotations

import argparse
import base64
import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools import build  # noqa: E402  (the path above makes tools importable when run as a script)
from tools.notebooks import _is_bootstrap_cell  # noqa: E402

ROOT = build.ROOT
OUT = build.BUILD / "pdf"
NAME = "vaebook"
# Debian packages, each with a file or program that tells whether it is installed: Sphinx's documented minimum for
# XeTeX (the first six; no xindy, the book has no index), DejaVu Sans Mono for code (FreeMono lacks glyphs the
# outputs print), and poppler-utils (pdftotext, pdfimages, pdftoppm) for the test.
APT_PACKAGES = {
    "texlive-xetex": ("program", "xelatex"),
    "latexmk": ("program", "latexmk"),
    "texlive-latex-recommended": ("tex", "fancyvrb.sty"),
    "texlive-latex-extra": ("tex", "capt-of.sty"),
    "texlive-fonts-recommended": ("tex", "ptmr8t.tfm"),
    "fonts-freefont-otf": ("font", "FreeSerif"),
    "fonts-dejavu-core": ("font", "DejaVu Sans Mono"),
    "poppler-utils": ("program", "pdftotext"),
}
BBM_STANDIN = (
    "\\NeedsTeXFormat{LaTeX2e}\\ProvidesPackage{bbm}[2024/01/01 vaebook stand-in: mathbb for mathbbm]\n"
    "\\RequirePackage{amssymb}\\newcommand{\\mathbbm}[1]{\\mathbb{#1}}\n"
)
MONO_FALLBACK = {"ℓ": "\\ell"}  # character: its math-mode command
SOLUTIONS_HEADING = "## Solutions to the exercises"
FENCE = re.compile(r"^[ \t]*(`{3,}|:{3,})\{solution\}")


# ---------------------------------------------------------------------------------------------------------------
# System packages


def _installed(kind: str, name: str) -> bool:
    if kind == "program":
        return shutil.which(name) is not None
    if kind == "tex":
        if not shutil.which("kpsewhich"):
            return False
        return bool(subprocess.run(["kpsewhich", name], capture_output=True, text=True).stdout.strip())
    if kind == "font":
        if not shutil.which("fc-list"):
            return False
        return bool(subprocess.run(["fc-list", name], capture_output=True, text=True).stdout.strip())
    raise ValueError(f"expected kind 'program', 'tex' or 'font', got {kind!r}")


def missing_packages() -> list[str]:
    return [pkg for pkg, (kind, name) in APT_PACKAGES.items() if not _installed(kind, name)]


def preflight() -> None:
    """Install the missing TeX packages (root with apt-get), or stop with the command that installs them."""
    missing = missing_packages()
    if not missing:
        return
    command = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"pdf: installing {' '.join(missing)} with apt-get (about 115 MB download, 370 MB on disk)", flush=True)
        start = time.perf_counter()
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run([*command[:2], "-qq", *command[2:]], check=True, env=env, stdout=subprocess.DEVNULL)
        print(f"pdf: installed in {time.perf_counter() - start:.0f} s", flush=True)
        missing = missing_packages()
    if missing:
        sys.exit(
            "pdf: the PDF needs Debian's TeX packages. Install them with\n"
            f"    sudo apt-get install --no-install-recommends {' '.join(missing)}"
        )


# ---------------------------------------------------------------------------------------------------------------
# Staging for paper


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def split_solutions(markdown: str) -> tuple[str, list[str]]:
    """``markdown`` without its ``{solution}`` blocks, and the blocks (without ``:class: dropdown``), in order.

    A block opens with a fence of three or more backticks or colons followed by ``{solution}`` and closes at a line
    of at least as many of the same character (MyST's rule, so shorter fences nested inside stay inside).
    """
    lines = markdown.split("\n")
    kept, blocks = [], []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            kept.append(lines[i])
            i += 1
            continue
        fence = match.group(1)
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        end = next((j for j in range(i + 1, len(lines)) if closing.match(lines[j])), None)
        if end is None:
            raise ValueError(f"a {{solution}} block opened with {fence!r} is never closed: {lines[i]!r}")
        body = [line for line in lines[i : end + 1] if not re.match(r"^[ \t]*:class:\s*dropdown\s*$", line)]
        blocks.append("\n".join(body))
        i = end + 1
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
    return text, blocks


LIST_MARKER = re.compile(r"^[ \t]*(?:[-+*]|\d+[.)])[ \t]")
CODE_SPAN = re.compile(r"`+[^`]*`+")


def join_broken_math(markdown: str) -> str:
    """Join a line that starts like a list item (``- ``, ``+ ``, ``1. ``) to the line before when it continues an
    inline ``$...$`` formula; Markdown would otherwise start a list there and leave the formula as raw text.

    A chapter that wraps ``$a\\n- b$`` shows the raw TeX on the site too: this is a repair for paper only, and
    tests/book/test_pdf_staging.py names the chapters that need it.
    """
    lines = markdown.split("\n")
    out: list[str] = []
    dollars = 0  # single dollars seen so far in the current paragraph
    fences: list[tuple[str, bool]] = []  # open fences: (its characters, whether it holds code)
    for line in lines:
        marker = re.match(r"^[ \t]*(`{3,}|:{3,})[ \t]*(.*)$", line)
        if marker:
            chars, info = marker.groups()
            top = fences[-1][0] if fences else None
            if not info and top and chars[0] == top[0] and len(chars) >= len(top):
                fences.pop()
            else:
                fences.append((chars, not info.startswith("{")))
            dollars = 0
            out.append(line)
            continue
        if (fences and fences[-1][1]) or not line.strip():
            dollars = 0
            out.append(line)
            continue
        if dollars % 2 == 1 and LIST_MARKER.match(line) and out:
            out[-1] = out[-1] + " " + line.strip()
        else:
            out.append(line)
        plain = CODE_SPAN.sub("", line).replace("\\$", "").replace("$$", "")
        dollars += plain.count("$")
    return "\n".join(out)


def animation_strip(html: str, frames: int = 4) -> bytes | None:
    """A PNG of ``frames`` evenly spaced frames of a matplotlib JavaScript animation, side by side; None if the
    HTML holds no frames."""
    found = re.findall(r"data:image/png;base64,([^\"]+)", html)
    if not found:
        return None
    from PIL import Image

    picks = sorted({round(k * (len(found) - 1) / (frames - 1)) for k in range(frames)})
    images = [Image.open(io.BytesIO(base64.b64decode(re.sub(r"[\\\s]", "", found[k])))).convert("RGB") for k in picks]
    width, height = sum(im.width for im in images), max(im.height for im in images)
    strip = Image.new("RGB", (width, height), "white")
    x = 0
    for im in images:
        strip.paste(im, (x, 0))
        x += im.width
    out = io.BytesIO()
    strip.save(out, format="PNG")
    return out.getvalue()


def for_paper(nb: dict) -> dict:
    """The staged notebook as the PDF shows it (see the module's docstring, step 3)."""
    nb = copy.deepcopy(nb)
    cells, solutions = [], []
    for cell in nb["cells"]:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if cell["cell_type"] == "code":
            if _is_bootstrap_cell(cell) or "remove-cell" in tags:
                continue
            if "hide-input" in tags:
                tags.append("remove-input")
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "text/html" in data and "image/png" not in data:
                    strip = animation_strip(_text(data["text/html"]))
                    if strip is not None:
                        output["data"] = {"image/png": base64.b64encode(strip).decode(), "text/plain": "animation"}
        elif cell["cell_type"] == "markdown":
            source = join_broken_math(_text(cell["source"]))
            text, blocks = split_solutions(source)
            solutions.extend(blocks)
            if blocks and not text.strip():
                continue
            cell["source"] = text if blocks else source
        cells.append(cell)
    if solutions:
        section = {
            "cell_type": "markdown",
            "metadata": {},
            "source": SOLUTIONS_HEADING + "\n\n" + "\n\n".join(solutions),
        }
        cells = _before_references(cells, section)
    nb["cells"] = cells
    return nb


def _before_references(cells: list[dict], section: dict) -> list[dict]:
    """``cells`` with ``section`` inserted before the chapter's "## References" heading (at the end if none)."""
    heading = re.compile(r"^## References\s*$", re.MULTILINE)
    for i in range(len(cells) - 1, -1, -1):
        match = heading.search(_text(cells[i]["source"])) if cells[i]["cell_type"] == "markdown" else None
        if match:
            text = _text(cells[i]["source"])
            before, after = text[: match.start()].rstrip("\n"), text[match.start() :]
            head = [{**cells[i], "source": before}] if before.strip() else []
            return cells[:i] + head + [section, {**cells[i], "source": after}] + cells[i + 1 :]
    return [*cells, section]


def latex_macros(config: dict) -> str:
    """``\\newcommand``s for the MathJax macros of the configuration (``"E": "\\\\mathbb{E}"`` or ``[body, n]``)."""
    macros = config.get("sphinx", {}).get("config", {}).get("mathjax3_config", {}).get("tex", {}).get("macros", {})
    lines = []
    for name, body in macros.items():
        if not re.fullmatch(r"[A-Za-z]+", name):
            raise ValueError(f"_config.yml: expected MathJax macro names of letters only, got {name!r}")
        nargs = ""
        if isinstance(body, list):
            body, nargs = body[0], f"[{int(body[1])}]"
        # \providecommand then \renewcommand: defines the macro whether or not a package already has one.
        lines.append(f"\\providecommand{{\\{name}}}{{}}\\renewcommand{{\\{name}}}{nargs}{{{body}}}")
    return "\n".join(lines) + "\n"


def _fontpkg() -> str:
    """Sphinx's XeTeX fonts (FreeFont) with DejaVu Sans Mono for code: outputs print ✗ and ᵀ, which FreeMono lacks."""
    from sphinx.builders.latex.constants import XELATEX_DEFAULT_FONTPKG

    fonts, count = re.subn(r"\\setmonofont\{FreeMono\}\[[^\]]*\]", "", XELATEX_DEFAULT_FONTPKG)
    if count != 1:
        raise ValueError("Sphinx's XeTeX font set-up no longer sets FreeMono as \\setmonofont; update tools/pdf.py")
    fonts += "\\setmonofont{DejaVu Sans Mono}[Scale=MatchLowercase]\n\\usepackage{newunicodechar}\n"
    # Characters code cells print that DejaVu Sans Mono lacks: from DejaVu Sans in text, as themselves in math.
    for char in MONO_FALLBACK:
        fonts += f"\\newunicodechar{{{char}}}{{\\ifmmode{MONO_FALLBACK[char]}\\else{{\\fontspec{{DejaVu Sans}}"
        fonts += f"\\symbol{{\"{ord(char):X}}}}}\\fi}}\n"
    return fonts


def configure(src: Path) -> None:
    """The staged ``_config.yml`` for LaTeX: XeTeX, the MathJax macros in the preamble, no index."""
    import yaml

    path = src / "_config.yml"
    config = yaml.safe_load(path.read_text())
    latex = config.setdefault("latex", {})
    latex.setdefault("latex_engine", "xelatex")
    latex.setdefault("latex_documents", {})["targetname"] = f"{NAME}.tex"
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {})
    elements = sphinx_config.setdefault("latex_elements", {})
    elements["preamble"] = latex_macros(config) + elements.get("preamble", "")
    elements.setdefault("printindex", "")
    elements.setdefault("fontpkg", _fontpkg())
    sphinx_config.setdefault("latex_use_xindy", False)
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


def appendix(tex: Path, toc: Path) -> None:
    """Letter the chapters from the first unnumbered part of ``_toc.yml`` on, as the site does ("A"): ``\\appendix``
    before that part's ``\\part``."""
    import yaml

    parts = yaml.safe_load(toc.read_text()).get("parts", [])
    first = next((part["caption"] for part in parts if not part.get("numbered")), None)
    if first is None:
        return
    text = tex.read_text()
    marker = f"\\part{{{first}}}"
    if text.count(marker) != 1:
        found = text.count(marker)
        raise ValueError(f"{tex}: expected one {marker!r} (the first unnumbered part of {toc}), found {found}")
    tex.write_text(text.replace(marker, "\\appendix\n" + marker))


# ---------------------------------------------------------------------------------------------------------------


def _timed(label: str, timings: dict, command: list[str], cwd: Path) -> int:
    print("pdf: " + " ".join(command), flush=True)
    start = time.perf_counter()
    code = subprocess.run(command, cwd=cwd).returncode
    timings[label] = round(time.perf_counter() - start, 1)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default=os.environ.get("VAEBOOK_PROFILE", "quick"), choices=build.PROFILES)
    parser.add_argument("--backend", default=None, help="KERAS_BACKEND the notebooks ran under (default: their own)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")), help="notebooks at a time")
    parser.add_argument("--no-execute", action="store_true", help="fail if a notebook is not in the cache")
    parser.add_argument("--site", type=Path, help="copy the PDF into this built site folder (e.g. _build/html)")
    parser.add_argument("--preflight", action="store_true", help="only check (or install) the system packages")
    args = parser.parse_args(argv)
    preflight()
    if args.preflight:
        return 0

    start = time.perf_counter()
    timings: dict[str, float] = {}
    notebooks = build.toc_notebooks()
    package, versions = build.package_hash(), build.stack_versions()
    cache = build.cache_dir(args.profile, args.backend)
    backend = args.backend or "default"
    keys = {
        path: build.notebook_key(json.loads(path.read_text()), args.profile, backend, package, versions)
        for path in notebooks
    }
    stale = [path for path in notebooks if build.cached(cache / path.name, keys[path]) is None]
    if stale and args.no_execute:
        names = ", ".join(build._rel(p) for p in stale)
        sys.exit(f"pdf: not in the {cache.name} cache (or stale): {names}. Run make book, or drop --no-execute.")
    results = build.execute(notebooks, args.profile, args.backend, args.jobs)
    failed = [r.notebook for r in results if r.status == "failed"]
    if failed:
        sys.exit(f"pdf: these notebooks failed to execute: {', '.join(failed)}")
    timings["execute"] = round(time.perf_counter() - start, 1)

    t = time.perf_counter()
    work = OUT / f"{args.profile}-{args.backend or 'default'}"
    src = build.stage(args.profile, args.backend, results, src=work / "src")
    for path in build.toc_notebooks(src):
        path.write_text(json.dumps(for_paper(json.loads(path.read_text())), indent=1, ensure_ascii=False) + "\n")
    configure(src)
    timings["stage"] = round(time.perf_counter() - t, 1)

    jb = Path(sys.executable).with_name("jupyter-book")
    command = [str(jb), "build", str(src), "--builder", "latex", "--path-output", str(work), "--keep-going"]
    if _timed("sphinx", timings, command, ROOT):
        sys.exit("pdf: Jupyter Book's LaTeX build failed (see above)")
    latex_dir = work / "_build" / "latex"
    appendix(latex_dir / f"{NAME}.tex", src / "_toc.yml")
    if not _installed("tex", "bbm.sty"):
        # Jupyter Book's LaTeX class loads bbm (blackboard-bold digits) for shorthands the book does not use; it
        # lives in Debian's texlive-fonts-extra (1.4 GB installed). amssymb's \mathbb stands in for it.
        (latex_dir / "bbm.sty").write_text(BBM_STANDIN)
    latexmk = ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", f"{NAME}.tex"]
    code = _timed("latex", timings, latexmk, latex_dir)
    pdf, log = latex_dir / f"{NAME}.pdf", latex_dir / f"{NAME}.log"
    if log.is_file():
        shutil.copy2(log, OUT / f"{NAME}.log")
    if code or not pdf.is_file():
        sys.exit(f"pdf: LaTeX failed (exit {code}); its log: {log}")
    shutil.copy2(pdf, OUT / f"{NAME}.pdf")
    if args.site:
        if not (args.site / "index.html").is_file():
            sys.exit(f"pdf: --site {args.site}: expected a built site (index.html), found none")
        shutil.copy2(pdf, args.site / f"{NAME}.pdf")
    timings["total"] = round(time.perf_counter() - start, 1)
    manifest = {"pdf": f"{NAME}.pdf", "log": f"{NAME}.log", "profile": args.profile, "backend": args.backend}
    (OUT / f"{NAME}.json").write_text(json.dumps({**manifest, "seconds": timings}, indent=1) + "\n")
    print(f"pdf: {OUT / (NAME + '.pdf')} ({pdf.stat().st_size / 1e6:.1f} MB); seconds: {timings}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
