"""The reader notebooks (tools/reader_notebooks.py, `make notebooks`): what a reader of a chapter in Jupyter or
Colab meets. Static: the markdown as Jupyter's MathJax and Markdown see it, no browser (tests/site/test_reader.py
renders the same notebooks in chromium).

On every chapter's reader notebook: no raw MyST role, no raw directive fence, no raw equation label or target, no
formula with a macro that stock MathJax 3 does not define (its own macro tables, read from the MathJax the site
ships), no solution in plain view; and the same counts on today's chapter sources are not zero.
"""

from __future__ import annotations

import copy
import json
import re
import textwrap
from pathlib import Path

import pytest

from tools import reader_notebooks as rn

ROOT = Path(__file__).resolve().parents[2]

BOOK = rn.Book(ROOT)
CHAPTERS = rn.chapter_paths(BOOK)
COUNTS = ("raw roles", "raw fences", "raw labels", "undefined macros", "visible solutions")


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """`make notebooks`' own function, into a fresh folder: {docname: reader notebook}."""
    out = tmp_path_factory.mktemp("notebooks")
    written = rn.build(out, book=BOOK)
    assert len(written) == len(CHAPTERS)
    return {d: _load(out / f"{d}.ipynb") for d, _ in CHAPTERS}


@pytest.mark.parametrize("docname", [d for d, _ in CHAPTERS])
def test_reader_notebook_has_no_raw_myst_broken_macro_or_visible_solution(built, docname):
    import nbformat

    reader = built[docname]
    nbformat.validate(nbformat.from_dict(reader))  # a notebook Jupyter and Colab open
    counts = rn.static_counts(reader)
    assert counts == dict.fromkeys(COUNTS, 0), f"{docname}: {counts}; undefined: {rn.undefined_macros(reader)}"
    source = _load(ROOT / f"{docname}.ipynb")
    solutions = sum(
        len(rn.SOLUTION_FENCE_RE.findall(rn.cell_source(c))) for c in source["cells"] if c["cell_type"] == "markdown"
    )
    assert rn.collapsed_solutions(reader) == solutions, f"{docname}: every solution, collapsed"


def test_the_chapter_sources_show_what_a_reader_would_meet():
    """The same counts on the chapters as written: each kind of damage is there today, so the test above can fail."""
    totals = dict.fromkeys(COUNTS, 0)
    for _, path in CHAPTERS:
        for key, value in rn.static_counts(_load(path)).items():
            totals[key] += value
    assert all(totals[k] > 0 for k in COUNTS), totals
    undefined = {n for _, p in CHAPTERS for n in rn.undefined_macros(_load(p))}
    assert set(BOOK.macros) <= undefined, (sorted(BOOK.macros), sorted(undefined))


@pytest.mark.parametrize("docname", [d for d, _ in CHAPTERS])
def test_code_cells_are_the_chapters_own_and_checks_are_collapsed(built, docname):
    source, reader = _load(ROOT / f"{docname}.ipynb"), built[docname]
    assert reader["metadata"] == source["metadata"]
    source_code = [c for c in source["cells"] if c["cell_type"] == "code"]
    reader_code = [c for c in reader["cells"] if c["cell_type"] == "code"]
    assert len(source_code) == len(reader_code)
    for before, after in zip(source_code, reader_code, strict=True):
        tags = before.get("metadata", {}).get("tags", [])
        if "remove-cell" in tags:
            first, rest = rn.cell_source(after).split("\n", 1)
            assert rest == rn.cell_source(before), f"{docname}: a check cell's code changed"
            assert re.fullmatch(r"# @title Check: \S.*", first), first
            assert after["metadata"]["cellView"] == "form" and after["metadata"]["jupyter"]["source_hidden"]
        else:
            assert after == before, f"{docname}: a code cell changed"


def test_equation_and_exercise_numbers_follow_the_chapter_numbers():
    """Chapter NN_... numbers its labelled equations NN.1, NN.2, ... and its exercises Exercise NN.k (the chapter
    files are named by their place in the book); the appendix, in an unnumbered part, 1, 2, ..."""
    for docname, path in CHAPTERS:
        reader = rn.convert(_load(path), BOOK, docname)
        markdown = "\n".join(rn.cell_source(c) for c in reader["cells"] if c["cell_type"] == "markdown")
        prefix = re.match(r"(\d+)_", Path(docname).name)
        expect = (lambda k, p=prefix: f"{int(p.group(1))}.{k}") if prefix else str
        tags = re.findall(r"\\tag\{([^}]*)\}", markdown)
        assert tags == [expect(k) for k in range(1, len(tags) + 1)], (docname, tags)
        exercises = re.findall(r"^#+ Exercise (\S+) ", markdown, re.MULTILINE)
        assert len(exercises) >= 3 and exercises == [expect(k) for k in range(1, len(exercises) + 1)], exercises


def test_every_reference_resolves():
    problems: list[str] = []
    for docname, path in CHAPTERS:
        rn.convert(_load(path), BOOK, docname, problems)
    assert not problems, problems


def test_the_colab_buttons_open_the_branch_publish_pushes_the_reader_notebooks_to():
    config = rn.read_config(ROOT / "_config.yml")
    workflow = (ROOT / ".github" / "workflows" / "publish.yml").read_text()
    assert "make notebooks" in workflow
    assert re.findall(r"refs/heads/([\w.-]+)", workflow) == [rn.launch_branch(config)]
    assert rn.launch_branch(config) != config["repository"]["branch"]  # not the chapters' own branch


def test_stock_mathjax_macros_are_read_from_mathjax():
    known = rn.mathjax_macros()
    assert {"frac", "mathbb", "mathcal", "operatorname", "boldsymbol", "tfrac", "lVert", "underbrace"} <= known
    assert not {"KL", "E", "N", "R", "argmin"} & known  # the book's own macros, and one MathJax does not have


# --- a small book built to show each conversion ------------------------------------------------------------------


CONFIG = """\
title: A test book
repository:
  url: https://github.com/Owner/repo
  branch: main
bibtex_bibfiles:
  - references.bib
sphinx:
  config:
    mathjax3_config:
      tex:
        macros:
          "KL": "\\\\mathrm{KL}"
          "pair": ["\\\\langle #1, #2 \\\\rangle", 2]
"""
TOC = """\
format: jb-book
root: intro
parts:
  - caption: One
    numbered: true
    chapters:
      - file: chapters/a
  - caption: Two
    numbered: true
    chapters:
      - file: chapters/b
  - caption: Back
    chapters:
      - file: bibliography
"""
BIB = """\
@inproceedings{kingma2014auto,
  author = {Kingma, Diederik P. and Welling, Max},
  title = {Auto-Encoding Variational {B}ayes},
  booktitle = {ICLR},
  year = {2014},
}
@article{three,
  author = {One, A. and Two, B. and Three, C.},
  title = {Three},
  journal = {J},
  year = {2001},
}
"""
MD_A = """\
# Chapter A

Text with $\\KL(q \\Vert p)$ and

$$
\\pair{x}{y} = 1
$$ (a-first)

(a-section)=
## A section
"""
MD_B = textwrap.dedent("""\
    # Chapter B

    See {doc}`a`, {eq}`a-first`, {eq}`b-second`, {ref}`a-section`, {cite:t}`kingma2014auto` and
    {cite:p}`kingma2014auto,three`.

    ```{math}
    :label: b-second
    a \\\\
    b
    ```

    ## Exercises

    ````{exercise} Hard
    :label: b-ex

    Compute $\\KL$.
    ````

    ````{solution} b-ex
    :class: dropdown

    It is $0$; see {ref}`b-ex`.
    ````

    :::{note}
    A note.
    :::

    ```{bibliography}
    :filter: docname in docnames
    ```
    """)


def _nb(cells, metadata=None):
    return {
        "cells": cells,
        "metadata": metadata or {"kernelspec": {"name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _md(text, **meta):
    return {"cell_type": "markdown", "metadata": meta, "source": text}


def _code(text, **meta):
    return {"cell_type": "code", "metadata": meta, "source": text, "outputs": [], "execution_count": None}


@pytest.fixture
def small_book(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "_config.yml").write_text(CONFIG)
    (tmp_path / "_toc.yml").write_text(TOC)
    (tmp_path / "references.bib").write_text(BIB)
    (tmp_path / "intro.md").write_text("# Intro\n")
    (tmp_path / "bibliography.md").write_text("# Bibliography\n")
    (tmp_path / "chapters" / "a.ipynb").write_text(json.dumps(_nb([_md(MD_A)])))
    check = _code("assert x == 1\n", tags=["remove-cell"])
    (tmp_path / "chapters" / "b.ipynb").write_text(json.dumps(_nb([_md(MD_B), _code("x = 1\n"), check])))
    return tmp_path


def test_small_book_converts_as_the_site_numbers_and_links(small_book):
    book = rn.Book(small_book)
    site = "https://owner.github.io/repo/"
    assert book.site == site
    a = rn.convert(_load(small_book / "chapters/a.ipynb"), book, "chapters/a")
    text_a = rn.cell_source(a["cells"][0])
    assert "$\\mathrm{KL}(q \\Vert p)$" in text_a  # the config's macro, not a hard-coded one
    assert "\\langle x, y \\rangle = 1 \\tag{1.1}" in text_a  # a macro with arguments; chapter 1, equation 1
    assert '<a id="a-section"></a>' in text_a and "(a-section)=" not in text_a

    b = rn.convert(_load(small_book / "chapters/b.ipynb"), book, "chapters/b")
    text_b = rn.cell_source(b["cells"][0])
    assert f"See [Chapter A]({site}chapters/a.html)" in text_b
    assert f"[(1.1)]({site}chapters/a.html#equation-a-first)" in text_b  # another page: linked
    assert ", (2.1), " in text_b  # numbered in the second numbered part: parts count on
    assert f"[A section]({site}chapters/a.html#a-section)" in text_b
    assert f"[Kingma & Welling (2014)]({site}bibliography.html)" in text_b
    assert f"([Kingma & Welling, 2014]({site}bibliography.html); [One et al., 2001]({site}bibliography.html))" in text_b
    assert "$$\n\\begin{split}a \\\\\nb\\end{split} \\tag{2.1}\n$$" in text_b  # Sphinx's split for a line break
    assert '<a id="b-ex"></a>\n\n### Exercise 2.1 (Hard)\n\nCompute $\\mathrm{KL}$.' in text_b
    assert "<details>\n<summary>Solution to Exercise 2.1 (Hard)</summary>\n\nIt is $0$; see [Exercise 2.1](#b-ex)." in (
        text_b
    )
    assert "> **Note.** A note." in text_b
    assert "- Diederik P. Kingma and Max Welling (2014). Auto-Encoding Variational Bayes. *ICLR*." in text_b
    assert rn.static_counts(b) == dict.fromkeys(COUNTS, 0)
    assert rn.static_counts(_load(small_book / "chapters/b.ipynb")) == {
        "raw roles": 7,
        "raw fences": 5,
        "raw labels": 0,
        "undefined macros": 0,  # $\KL$ is inside the exercise's fence: Jupyter shows it as code
        "visible solutions": 1,
    }
    assert rn.static_counts(_load(small_book / "chapters/a.ipynb"))["undefined macros"] == 2
    assert rn.static_counts(_load(small_book / "chapters/a.ipynb"))["raw labels"] == 2
    code, check = b["cells"][1], b["cells"][2]
    assert code == _code("x = 1\n")
    assert check["source"] == "# @title Check: the results above (asserts on x)\n" + ("assert x == 1\n")
    assert check["metadata"] == {"tags": ["remove-cell"], "cellView": "form", "jupyter": {"source_hidden": True}}


def test_a_figure_caption_stays_under_its_figure(small_book):
    book = rn.Book(small_book)
    figure = _code("plot()", mystnb={"figure": {"caption": "Samples of $\\KL$.", "name": "fig-samples"}})
    figure["id"] = "plot"
    text = "See {numref}`fig-samples`.\n\n```{figure} ../img/a.png\n:name: fig-b\n\nA drawn figure.\n```"
    nb = _nb([figure, _md(text)])
    book.index(nb, "chapters/b")  # the first pass: labels
    reader = rn.convert(nb, book, "chapters/b")
    assert [c["cell_type"] for c in reader["cells"]] == ["code", "markdown", "markdown"]
    assert reader["cells"][1] == {
        "cell_type": "markdown",
        "metadata": {},
        "source": '<a id="fig-samples"></a>\n\n*Figure 2.1: Samples of $\\mathrm{KL}$.*',
        "id": "plot-caption",
    }
    assert rn.cell_source(reader["cells"][2]) == (
        'See [Fig. 2.1](#fig-samples).\n\n<a id="fig-b"></a>\n\n'
        "![](https://raw.githubusercontent.com/Owner/repo/main/img/a.png)\n\n"
        "*Figure 2.2: A drawn figure.*"
    )


def test_otter_cells_and_notebook_metadata_pass_through_unchanged(small_book):
    book = rn.Book(small_book)
    otter_md = _md("Exercise {eq}`a-first` as otter wrote it", otter={"question": "q1"})
    cells = [
        {"cell_type": "raw", "metadata": {}, "source": "# BEGIN QUESTION\nname: q1"},
        otter_md,
        _md("{doc}`a` tagged", tags=["otter_answer_cell"]),
        _code('grader.check("q1")'),
        _code("def f():\n    ...", otter={"tests": ["q1"]}, tags=["otter_assign_solution_cell"]),
        _md("{doc}`a` is converted"),
    ]
    metadata = {"otter": {"assignment_name": "b", "OK_FORMAT": False}, "kernelspec": {"name": "python3"}}
    student = _nb(copy.deepcopy(cells), copy.deepcopy(metadata))
    reader = rn.convert(student, book, "chapters/b")
    assert reader["metadata"] == metadata
    assert reader["cells"][:5] == cells[:5]
    assert (
        rn.cell_source(reader["cells"][5]) == "[Chapter A](https://owner.github.io/repo/chapters/a.html) is converted"
    )
    assert student["cells"] == cells  # the input is not changed


def test_bad_input_says_what_was_expected(small_book):
    book = rn.Book(small_book)
    with pytest.raises(ValueError, match="expected a notebook"):
        rn.convert(["not", "a", "notebook"], book, "chapters/a")
    with pytest.raises(ValueError, match="not a page of _toc.yml"):
        rn.convert(_nb([]), book, "chapters/zzz")
    with pytest.raises(ValueError, match="needs the notebook's docname"):
        rn.convert(_nb([]), book)


def test_static_counts_catch_each_kind_of_damage():
    def counts(text):
        return rn.static_counts(_nb([_md(text)]))

    assert counts("{doc}`x`")["raw roles"] == 1
    assert counts("`{doc}` in code is fine, and so is\n\n```python\n{doc}`x`\n```\n")["raw roles"] == 0
    assert counts(":::{note}\nx\n:::")["raw fences"] == 1
    assert counts("$$x$$ (eq-x)")["raw labels"] == 1
    assert counts("$\\KL$ and $\\foo$, $\\frac12$")["undefined macros"] == 2
    assert counts("$\\newcommand{\\foo}{1}$ $\\foo$")["undefined macros"] == 0
    assert counts("```{solution} x\ny\n```")["visible solutions"] == 1
    assert counts("<details open>\n<summary>Solution</summary>\n\ny\n</details>")["visible solutions"] == 1
