"""tools/pdf.py's staging for paper, without TeX: solutions moved, bootstrap removed, macros, appendix, animation."""

from __future__ import annotations

import base64
import io
import json
import re

import pytest
import yaml

from tools import build, pdf

SOLUTION = """````{solution} ex-one
:class: dropdown

Some text.

```python
x = 1
```

More text.
````"""


def test_split_solutions_keeps_nested_fences_inside():
    text = "## Exercises\n\n```{exercise} One\n:label: ex-one\n\nDo it.\n```\n\n" + SOLUTION + "\n\nAfter."
    kept, blocks = pdf.split_solutions(text)
    assert kept == "## Exercises\n\n```{exercise} One\n:label: ex-one\n\nDo it.\n```\n\nAfter."
    assert len(blocks) == 1
    assert blocks[0].startswith("````{solution} ex-one") and blocks[0].endswith("More text.\n````")
    assert "dropdown" not in blocks[0] and "x = 1" in blocks[0]


def test_split_solutions_colon_fence_and_unclosed():
    kept, blocks = pdf.split_solutions(":::{solution} a\nA.\n:::\ntext\n:::{solution} b\nB.\n:::")
    assert kept == "text" and [b.splitlines()[1] for b in blocks] == ["A.", "B."]
    with pytest.raises(ValueError, match="never closed"):
        pdf.split_solutions("```{solution} a\nA.\n")


def _nb(*cells):
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text, tags=(), outputs=()):
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": text, "outputs": list(outputs)}


def test_for_paper_moves_solutions_before_references_and_drops_hidden_cells():
    nb = _nb(
        _md("# Title\n\nHook."),
        _code("import vaebook\nimport google.colab\nprint(vaebook.config.environment_report())", ["hide-cell"]),
        _code("assert True", ["remove-cell"]),
        _code("plot()", ["hide-input"]),
        _md("## Exercises\n\n```{exercise} One\n:label: ex-one\nDo.\n```\n\n" + SOLUTION),
        _md(SOLUTION.replace("ex-one", "ex-two")),
        _md("## Summary\n\nSo.\n\n## References\n\n```{bibliography}\n```"),
    )
    cells = pdf.for_paper(nb)["cells"]
    sources = [c["source"] for c in cells]
    assert [c["cell_type"] for c in cells] == ["markdown", "code", "markdown", "markdown", "markdown", "markdown"]
    assert cells[1]["source"] == "plot()" and "remove-input" in cells[1]["metadata"]["tags"]
    assert "{solution}" not in sources[2] and "{exercise}" in sources[2]
    assert sources[3] == "## Summary\n\nSo."
    assert sources[4].startswith(pdf.SOLUTIONS_HEADING) and sources[4].count("{solution}") == 2
    assert sources[4].index("ex-one") < sources[4].index("ex-two")
    assert sources[5].startswith("## References")
    assert len(nb["cells"]) == 7  # the input is not changed


def test_for_paper_turns_an_animation_into_a_strip_of_frames():
    from PIL import Image

    def frame(shade):
        out = io.BytesIO()
        Image.new("RGB", (30, 20), (shade, shade, shade)).save(out, format="PNG")
        # matplotlib's to_jshtml breaks the base64 text into lines ending in a backslash
        text = base64.b64encode(out.getvalue()).decode()
        return text[:40] + "\\\n" + text[40:]

    html = "".join(f'frames[{i}] = "data:image/png;base64,{frame(10 * i)}"\n' for i in range(10))
    nb = _nb(_code("anim", outputs=[{"output_type": "execute_result", "data": {"text/html": html, "text/plain": "x"}}]))
    data = pdf.for_paper(nb)["cells"][0]["outputs"][0]["data"]
    strip = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
    assert strip.size == (4 * 30, 20)
    assert [strip.getpixel((30 * k + 5, 5))[0] for k in range(4)] == [0, 30, 60, 90]  # frames 0, 3, 6, 9


def test_latex_macros_from_the_books_config():
    config = yaml.safe_load((build.ROOT / "_config.yml").read_text())
    macros = config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    preamble = pdf.latex_macros(config)
    assert len(preamble.splitlines()) == len(macros) >= 4
    for name, body in macros.items():
        assert f"\\renewcommand{{\\{name}}}{{{body}}}" in preamble
    with_args = pdf.latex_macros({"sphinx": {"config": {"mathjax3_config": {"tex": {"macros": {"b": ["x_{#1}", 1]}}}}}})
    assert "\\renewcommand{\\b}[1]{x_{#1}}" in with_args
    with pytest.raises(ValueError, match="letters only"):
        pdf.latex_macros({"sphinx": {"config": {"mathjax3_config": {"tex": {"macros": {"b2": "x"}}}}}})


def test_appendix_before_the_first_unnumbered_part(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text(
        yaml.safe_dump(
            {"parts": [{"caption": "One", "numbered": True}, {"caption": "Appendix"}, {"caption": "Reference"}]}
        )
    )
    tex = tmp_path / "book.tex"
    body = "\\part{One}\n\\chapter{a}\nAPPENDIX\\part{Appendix}\n\\chapter{b}\n\\part{Reference}\n"
    tex.write_text(body.replace("APPENDIX", ""))
    pdf.appendix(tex, toc)
    assert tex.read_text() == body.replace("APPENDIX", "\\appendix\n")
    tex.write_text("\\part{One}\n")
    with pytest.raises(ValueError, match="expected one"):
        pdf.appendix(tex, toc)


def test_every_chapter_has_its_solutions_moved():
    """On the real chapters: as many solution blocks in the Solutions section as the chapter had."""
    for path in build.toc_notebooks():
        nb = json.loads(path.read_text())
        before = sum(len(pdf.split_solutions(build._source(c))[1]) for c in nb["cells"] if c["cell_type"] == "markdown")
        cells = pdf.for_paper(nb)["cells"]
        sections = [build._source(c) for c in cells if build._source(c).startswith(pdf.SOLUTIONS_HEADING)]
        assert before >= 3 and len(sections) == 1, path.name
        assert sections[0].count("{solution}") == before, path.name


def test_join_broken_math_only_inside_inline_math():
    text = "a $x\n- y$ and\n- item\n\n```python\n$x\n- y\n```\n```{note}\n$p\n+ q$\n```"
    assert pdf.join_broken_math(text) == "a $x - y$ and\n- item\n\n```python\n$x\n- y\n```\n```{note}\n$p + q$\n```"
    assert pdf.join_broken_math("cost `$5`\n- item") == "cost `$5`\n- item"


def _raw_tex_in_text(markdown: str) -> list[str]:
    """Text that MyST (the book's extensions) leaves as plain text but holds TeX commands: a formula that broke."""
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    config = yaml.safe_load((build.ROOT / "_config.yml").read_text())["parse"]
    md = create_md_parser(
        MdParserConfig(
            enable_extensions=set(config["myst_enable_extensions"]) - {"linkify"},
            dmath_double_inline=config.get("myst_dmath_double_inline", False),
        ),
        RendererHTML,
    )
    found = []
    for token in md.parse(markdown):
        if token.type == "inline":
            found += [c.content for c in token.children or [] if c.type == "text" and "\\" in c.content]
        elif token.type in ("fence", "colon_fence") and token.info.startswith("{") and "math" not in token.info:
            found += _raw_tex_in_text(re.sub(r"^:\w+:.*\n", "", token.content, flags=re.MULTILINE))
    return [text for text in found if re.search(r"\\[A-Za-z]{2,}", text)]


def test_no_formula_left_as_raw_tex_on_paper():
    """After staging, every chapter's formulas parse as math (the site's own pages are another matter: see
    join_broken_math)."""
    broken = {}
    for path in build.toc_notebooks():
        cells = pdf.for_paper(json.loads(path.read_text()))["cells"]
        raw = [t for c in cells if c["cell_type"] == "markdown" for t in _raw_tex_in_text(build._source(c))]
        if raw:
            broken[path.name] = raw[:3]
    assert not broken, broken
