"""Figures a reader can cite (issue 22, section 4): every figure is numbered, captioned and referred to by number.

A code cell that draws a figure carries MyST-NB's figure options in its metadata,

    "metadata": {"mystnb": {"figure": {"caption": "What is shown and what to look for.", "name": "fig-ch03-slug"}}}

and its chapter's prose refers to it with {numref}`fig-ch03-slug` ("Fig. 3.2" on the site; tools/reader_notebooks.py
writes the same number for Colab). Static and fast: reads the chapters' JSON and parses their code; executes
nothing. When the quick build's executed notebooks exist (_build/cache/quick-default/), it also checks that every
image they show comes from a cell with figure options, and that each such cell shows exactly one output.

"Draws a figure" is decided from the code, by its calls (outside function definitions, plus calls of the chapter's
own functions that draw): matplotlib.pyplot calls that open or show a figure (plt.subplots, plt.figure, plt.show,
plt.imshow, ...), `.imshow` / `.matshow` on any axes, and the drawing functions of vaebook.plotting (the list below is
checked against the vaebook/plotting package, so a new drawing function there must be added here).

One more static check of the prose (the same renderers): a wrapped line inside an inline formula must not begin
with "- ", "+ " or "* ", which Markdown (MyST on the site, nbconvert in Jupyter) reads as a list item, leaving raw TeX.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
CACHE = ROOT / "_build" / "cache" / "quick-default"

# Chapters whose figures are being captioned on other branches (issue 22, section 4): the one list of exceptions,
# emptied as they are merged. For a listed chapter only the options it already has are checked (a caption, a name
# of the book's form, unique); an unlisted chapter must pass everything, and a listed chapter that already passes
# everything must leave the list (the test below says so).
PENDING: set[str] = set()

# pyplot functions that open, fill or show a figure; methods that draw an image on any axes.
PYPLOT_DRAWING = {
    "figure", "subplots", "subplot", "subplot_mosaic", "show", "imshow", "matshow", "plot", "scatter", "hist",
    "bar", "barh", "contour", "contourf", "pcolormesh", "semilogy", "semilogx", "loglog", "errorbar", "fill_between",
}  # fmt: skip
PYPLOT_NEW_FIGURE = {"figure", "subplots", "subplot_mosaic"}
AXES_IMAGE_METHODS = {"imshow", "matshow"}
# vaebook.plotting: the functions that draw (each opens a figure unless given ax=), and those that do not.
PLOTTING_DRAWING = {
    "image_grid", "latent_scatter", "training_curves", "autoencoder_diagram", "draw_architecture", "animate_latents",
}  # fmt: skip
PLOTTING_NOT_DRAWING = {"use_book_style", "layer_rows", "axes_or_new"}
# Objects whose display is a figure of their own (vaebook.explorer.LatentExplorer renders as HTML).
HTML_FIGURES = {"LatentExplorer"}
HIDDEN_TAGS = {"remove-cell", "remove-output"}
NUMREF_RE = re.compile(r"\{numref\}`(?P<content>[^`]+)`")


def chapter_id(stem: str) -> str:
    """The figure-name prefix of a chapter: "03_autoencoders" -> "ch03"; "appendix_scaling" -> "appendix"."""
    if stem[:2].isdigit():
        return f"ch{stem[:2]}"
    if stem.startswith("appendix"):
        return "appendix"
    raise ValueError(f"no chapter id for {stem!r}")


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _tags(cell: dict) -> set[str]:
    return set((cell.get("metadata") or {}).get("tags") or [])


def figure_options(cell: dict) -> dict | None:
    return ((cell.get("metadata") or {}).get("mystnb") or {}).get("figure")


def _parse(code: str) -> ast.Module:
    try:
        return ast.parse(code)
    except SyntaxError:  # IPython magics and shell escapes (%matplotlib, !pip) are not Python
        return ast.parse("\n".join("" if re.match(r"[%!]\w", line) else line for line in code.splitlines()))


def _callee(node: ast.Call) -> tuple[str | None, str | None]:
    """("plt", "subplots") for plt.subplots(...), ("plotting", "image_grid") for vaebook.plotting.image_grid(...),
    (None, "imshow") for ax.imshow(...), (None, "name") for name(...)."""
    func = node.func
    if isinstance(func, ast.Name):
        return None, func.id
    if isinstance(func, ast.Attribute):
        owner = func.value
        if isinstance(owner, ast.Name):
            return owner.id, func.attr
        if isinstance(owner, ast.Attribute):
            return owner.attr, func.attr
        return None, func.attr
    return None, None


def _calls(tree: ast.AST, in_loop: bool = False):
    """(call, inside a loop) for every call outside function and class definitions."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        loop = in_loop or isinstance(child, (ast.For, ast.While, ast.comprehension))
        if isinstance(child, ast.Call):
            yield child, in_loop
        yield from _calls(child, loop)


def _draws(call: ast.Call, local_drawing: set[str]) -> bool:
    owner, name = _callee(call)
    if owner in ("plt", "pyplot") and name in PYPLOT_DRAWING:
        return True
    if name in HTML_FIGURES:  # an interactive figure: its HTML output is the figure
        return True
    if owner == "plotting" and name in PLOTTING_DRAWING:
        return True
    if name in AXES_IMAGE_METHODS:
        return True
    return owner is None and name in local_drawing


def _new_figures(call: ast.Call) -> int:
    owner, name = _callee(call)
    if owner in ("plt", "pyplot") and name in PYPLOT_NEW_FIGURE:
        return 1
    if owner == "plotting" and name in PLOTTING_DRAWING and not any(k.arg == "ax" for k in call.keywords):
        return 1
    return 0


def drawing_functions(nb: dict) -> set[str]:
    """Names of the functions a notebook defines whose bodies draw (directly or through each other)."""
    bodies = {}
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code":
            for node in ast.walk(_parse(_source(cell))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    bodies[node.name] = node
    drawing: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, node in bodies.items():
            if name not in drawing and any(
                isinstance(c, ast.Call) and _draws(c, drawing) for stmt in node.body for c in ast.walk(stmt)
            ):
                drawing.add(name)
                changed = True
    return drawing


def draws_figure(code: str, local_drawing: set[str] = frozenset()) -> bool:
    """Whether a code cell draws a figure (a call outside function definitions that draws)."""
    return any(_draws(call, local_drawing) for call, _ in _calls(_parse(code)))


def new_figures(code: str) -> int:
    """How many figures a cell opens (a call in a loop counts as two): more than one needs a split."""
    return sum(_new_figures(call) * (2 if loop else 1) for call, loop in _calls(_parse(code)))


def numref_targets(text: str) -> list[str]:
    out = []
    for match in NUMREF_RE.finditer(text):
        content = match.group("content")
        explicit = re.search(r"<([^<>]+)>\s*$", content)
        out.append((explicit.group(1) if explicit else content).strip())
    return out


def _markdown(nb: dict) -> str:
    return "\n".join(_source(c) for c in nb["cells"] if c.get("cell_type") == "markdown")


def _labels(nb: dict) -> set[str]:
    """Labels a {numref} may also point to: equations, directive labels and (label)= targets."""
    text = _markdown(nb)
    return (
        set(re.findall(r"\$\$[ \t]*\(([^()\s]+)\)", text))
        | set(re.findall(r"^[ \t]*:label:[ \t]*(\S+)", text, re.MULTILINE))
        | set(re.findall(r"^\(([^()\s]+)\)=[ \t]*$", text, re.MULTILINE))
    )


def figure_problems(nb: dict, stem: str, complete: bool = True) -> list[str]:
    """What is wrong with one chapter's figures. With `complete=False` (a chapter still being captioned) only the
    options already there are checked, not whether every figure has them and is referred to."""
    problems = []
    prefix = f"fig-{chapter_id(stem)}-"
    local = drawing_functions(nb)
    names = []
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        options = figure_options(cell)
        code = _source(cell)
        if options is None:
            if complete and draws_figure(code, local) and not (_tags(cell) & HIDDEN_TAGS):
                problems.append(f"{stem}, cell {i}: draws a figure but has no mystnb.figure options")
            continue
        caption, name = options.get("caption"), options.get("name")
        if not isinstance(caption, str) or not caption.strip():
            problems.append(f"{stem}, cell {i}: the figure has no caption")
        if not isinstance(name, str) or not re.fullmatch(re.escape(prefix) + r"[a-z0-9]+(-[a-z0-9]+)*", name):
            problems.append(f"{stem}, cell {i}: figure name {name!r} is not of the form {prefix}<slug>")
        else:
            names.append(name)
        if _tags(cell) & HIDDEN_TAGS:
            problems.append(f"{stem}, cell {i}: figure options on a cell whose output is removed")
        if not draws_figure(code, local):
            problems.append(f"{stem}, cell {i}: figure options on a cell that draws no figure")
        if new_figures(code) > 1:
            problems.append(f"{stem}, cell {i}: one cell opens several figures; split it (one figure per cell)")
    if complete:
        referred = set(numref_targets(_markdown(nb)))
        problems += [f"{stem}: figure {n} is never referred to by {{numref}}" for n in names if n not in referred]
    return problems


def list_lines_in_math(text: str) -> list[str]:
    """Lines of Markdown that begin with "- ", "+ " or "* " while an inline formula ($...$) is open: Markdown starts
    a list there and the formula is broken. Code blocks and display math ($$...$$) are skipped; a directive's body
    ({solution}, {exercise}) is Markdown and is checked."""
    bad, fence, display, inline = [], None, False, False
    for line in text.split("\n"):
        stripped = line.strip()
        opener = re.match(r"(`{3,}|~{3,}|:{3,})(.*)$", stripped)
        if fence:
            if stripped == fence:
                fence = None
            continue
        if opener and not display:
            inline = False
            if not opener.group(2).startswith("{") and opener.group(2) != "":
                fence = opener.group(1)  # a code block: skip to its closing fence
            elif opener.group(2) == "" and not opener.group(1).startswith(":"):
                pass  # the closing fence of a directive (or a bare code fence, rare in the chapters)
            continue
        if not stripped:
            inline = False
            continue
        if inline and not display and re.match(r"[-+*] ", stripped):
            bad.append(line)
        for token in re.split(r"(\$\$)", re.sub(r"`[^`]*`|\\\$", "", line)):
            if token == "$$":
                display, inline = not display, False
            elif not display:
                inline ^= token.count("$") % 2 == 1
    return bad


@cache
def _book() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in CHAPTERS}


def book_figure_names(book: dict[str, dict]) -> list[tuple[str, str]]:
    return [
        (stem, opts["name"])
        for stem, nb in book.items()
        for cell in nb["cells"]
        if cell.get("cell_type") == "code" and (opts := figure_options(cell)) and isinstance(opts.get("name"), str)
    ]


def image_outputs_without_figure(executed: dict, source: dict) -> list[str]:
    """Cells of an executed notebook that show an image without figure options in the source (matched by cell id),
    and figure cells that do not show exactly one output. MyST-NB wraps *every* displayed output of a figure cell
    (display_data, execute_result) in a figure with the cell's name: two outputs would be two numbered figures with
    one label, and none leaves the {numref} unresolved; the reader notebooks count one figure per cell. Cells whose
    id the source lacks are skipped (a cache older than the chapter)."""
    by_id = {c.get("id"): c for c in source["cells"] if c.get("id")}
    problems = []
    for i, cell in enumerate(executed["cells"]):
        if cell.get("cell_type") != "code" or cell.get("id") not in by_id:
            continue
        shown = [o for o in cell.get("outputs") or [] if o.get("output_type") in ("display_data", "execute_result")]
        images = sum(1 for out in shown if any(k.startswith("image/") for k in (out.get("data") or {})))
        if figure_options(by_id[cell["id"]]) is None:
            if images:
                problems.append(f"cell {i} (id {cell['id']}) shows {images} image(s) without figure options")
        elif len(shown) != 1:
            problems.append(f"cell {i} (id {cell['id']}) has figure options and shows {len(shown)} outputs, not 1")
    return problems


# --- the book -------------------------------------------------------------------------------------------------------


def test_the_book_has_its_chapters_and_the_pending_list_names_real_ones():
    stems = {p.stem for p in CHAPTERS}
    assert len(stems) == 13, sorted(stems)
    assert PENDING <= stems, PENDING - stems


def test_the_drawing_functions_listed_here_are_those_of_vaebook_plotting():
    public = set()
    for path in sorted((ROOT / "vaebook" / "plotting").glob("*.py")):
        tree = ast.parse(path.read_text())
        public |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}
    listed = PLOTTING_DRAWING | PLOTTING_NOT_DRAWING
    assert public == listed, (
        f"vaebook.plotting's public functions changed: sort {sorted(public ^ listed)} into PLOTTING_DRAWING or "
        "PLOTTING_NOT_DRAWING"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_figure_is_captioned_named_and_referred_to(path):
    problems = figure_problems(_book()[path.stem], path.stem, complete=path.stem not in PENDING)
    assert not problems, "\n".join(problems)
    if path.stem in PENDING:
        assert figure_problems(_book()[path.stem], path.stem), (
            f"{path.stem} passes every figure check: remove it from PENDING"
        )


def test_figure_names_are_unique_in_the_book():
    names = [name for _, name in book_figure_names(_book())]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, duplicates


def test_every_numref_target_exists():
    book = _book()
    figures = {name for _, name in book_figure_names(book)}
    labels = set().union(*(_labels(nb) for nb in book.values()))
    missing = [
        f"{stem}: {{numref}}`{target}`"
        for stem, nb in book.items()
        for target in numref_targets(_markdown(nb))
        if target not in figures and (target.startswith("fig-") or target not in labels)
    ]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_image_in_the_executed_chapter_has_figure_options(path):
    from tools import build

    source = json.loads(path.read_text())
    key = build.notebook_key(source, "quick", "default", build.package_hash(), build.stack_versions())
    executed = build.cached(CACHE / path.name, key)
    if executed is None:  # none, or one executed from other code: its cells are not this source's
        pytest.skip(f"no current executed copy in {CACHE.relative_to(ROOT)} (run the quick build to check it)")
    if path.stem in PENDING:
        pytest.skip(f"{path.stem} is still being captioned (PENDING)")
    problems = image_outputs_without_figure(executed, _book()[path.stem])
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_the_reader_notebook_numbers_figures_as_the_site_does():
    """Sphinx numfig with the numbered parts of _toc.yml: per chapter, "chapter.k" in the order of the page."""
    from tools import reader_notebooks

    book = reader_notebooks.Book(ROOT)
    stem = "03_autoencoders"
    nb = _book()[stem]
    out = reader_notebooks.convert(nb, book, f"chapters/{stem}")
    captions = [_source(c) for c in out["cells"] if c.get("cell_type") == "markdown" and "*Figure " in _source(c)]
    names = [opts["name"] for c in nb["cells"] if (opts := figure_options(c))]
    assert len(captions) == len(names) > 1
    for k, (text, name) in enumerate(zip(captions, names, strict=True), start=1):
        assert f'<a id="{name}"></a>' in text and f"*Figure 3.{k}: " in text, text
    prose = "\n".join(_source(c) for c in out["cells"] if c.get("cell_type") == "markdown")
    assert f"[Fig. 3.2](#{names[1]})" in prose


# --- the checks can fail --------------------------------------------------------------------------------------------

MINE = "03_autoencoders"  # a chapter outside PENDING, to plant faults in


def _planted(change) -> list[str]:
    nb = copy.deepcopy(_book()[MINE])
    change(nb)
    return figure_problems(nb, MINE)


def _figure_cells(nb):
    return [c for c in nb["cells"] if figure_options(c)]


def test_the_chapter_to_plant_faults_in_passes_as_it_is():
    assert MINE not in PENDING and not figure_problems(_book()[MINE], MINE)


def test_a_missing_caption_is_caught():
    def drop_caption(nb):
        _figure_cells(nb)[2]["metadata"]["mystnb"]["figure"]["caption"] = "  "

    assert any("no caption" in p for p in _planted(drop_caption))


def test_a_drawing_cell_without_figure_options_is_caught():
    def drop_options(nb):
        del _figure_cells(nb)[0]["metadata"]["mystnb"]

    problems = _planted(drop_options)
    assert any("draws a figure but has no mystnb.figure options" in p for p in problems), problems


def test_a_figure_never_referred_to_is_caught():
    def drop_reference(nb):
        name = _figure_cells(nb)[1]["metadata"]["mystnb"]["figure"]["name"]
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown":
                cell["source"] = _source(cell).replace(f"{{numref}}`{name}`", "the figure")

    assert any("never referred to" in p for p in _planted(drop_reference))


def test_a_badly_named_or_doubled_figure_is_caught():
    def rename(nb):
        _figure_cells(nb)[0]["metadata"]["mystnb"]["figure"]["name"] = "fig-ch01-pca-five-points"

    assert any("is not of the form fig-ch03-" in p for p in _planted(rename))
    doubled = {"a": {"cells": [_figure_cells(_book()[MINE])[0]] * 2}}
    names = [n for _, n in book_figure_names(doubled)]
    assert len(names) == 2 and len(set(names)) == 1


@pytest.mark.parametrize(
    "code, draws, figures",
    [
        ("fig, ax = plt.subplots()\nax.plot(x)", True, 1),
        ("plotting.image_grid(x, ncols=10);", True, 1),
        ("vaebook.plotting.latent_scatter(z, y, title='codes')", True, 1),
        ("fig, axes = plt.subplots(1, 2)\nplotting.image_grid(x, ax=axes[0])", True, 1),
        ("ax.imshow(img)", True, 0),
        ("plt.show()", True, 0),
        ("for d in ds:\n    fig, ax = plt.subplots()", True, 2),
        ("plt.figure()\nplt.plot(a)\nplt.figure()\nplt.plot(b)", True, 2),
        ("def draw(ax):\n    ax.imshow(x)\n    plt.show()", False, 0),
        ("print(plt.cm.viridis(0.2))\nx = np.ones(3)", False, 0),
        ("%matplotlib inline\nplotting.use_book_style()", False, 0),
    ],
)
def test_what_counts_as_drawing_a_figure(code, draws, figures):
    assert draws_figure(code) is draws
    assert new_figures(code) == figures


def test_a_call_of_the_chapters_own_drawing_function_draws():
    nb = {
        "cells": [
            {"cell_type": "code", "source": "def show(ax):\n    ax.imshow(x)\n\ndef outer():\n    show(None)\n"},
            {"cell_type": "code", "source": "outer()"},
        ]
    }
    assert drawing_functions(nb) == {"show", "outer"}
    assert draws_figure("outer()", drawing_functions(nb)) and not draws_figure("outer()")


def test_an_image_without_figure_options_in_an_executed_notebook_is_caught():
    png = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}, "metadata": {}}
    text = {"output_type": "execute_result", "data": {"text/plain": "<Axes>"}, "metadata": {}, "execution_count": 1}
    fig = {"mystnb": {"figure": {"caption": "c", "name": "fig-ch03-a"}}}
    source = {
        "cells": [
            {"cell_type": "code", "id": "a", "metadata": fig, "source": "plt.show()"},
            {"cell_type": "code", "id": "b", "metadata": {}, "source": "plt.show()"},
            {"cell_type": "code", "id": "c", "metadata": fig, "source": "plt.show()"},
            {"cell_type": "code", "id": "d", "metadata": fig, "source": "ax.plot(x)"},
            {"cell_type": "code", "id": "e", "metadata": fig, "source": "plt.close()"},
        ]
    }
    executed = copy.deepcopy(source)
    for cell, outputs in zip(executed["cells"], ([png], [png], [png, png], [text, png], []), strict=True):
        cell["outputs"] = outputs
    executed["cells"].append({"cell_type": "code", "id": "stale", "metadata": {}, "outputs": [png]})
    problems = image_outputs_without_figure(executed, source)
    assert [p.split(")")[0] for p in problems] == ["cell 1 (id b", "cell 2 (id c", "cell 3 (id d", "cell 4 (id e"]
    assert "shows 2 outputs" in problems[1] and "shows 0 outputs" in problems[3]
