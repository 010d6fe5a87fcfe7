"""The reader notebooks read as a student reads them: each chapter's reader notebook (tools/reader_notebooks.py,
converted here from the chapters, as `make notebooks` does) is rendered as Jupyter renders a notebook (nbconvert's
lab HTML, its Markdown and stock MathJax 3 with Jupyter's delimiters and no book configuration, served from the
MathJax that sphinx-mathjax-offline ships: no network) and read in Debian's chromium, one browser for all pages.

Fails on: a formula MathJax could not typeset (an undefined macro, which MathJax shows in red, or any other
merror); TeX left in the text (a formula the Markdown broke apart); a raw MyST role, directive fence or equation
label in the visible text; a solution in plain view, or fewer collapsed solutions than the chapter has; fewer
typeset formulas than the site's page has (the built site named by VAEBOOK_SITE when it is there, else the formulas
of the converted Markdown). The chapter sources go through the same reading, and every one of these counts must be
non-zero there (that is how we know the test can fail).
A screenshot of one reader notebook goes to _build/screenshots/reader_05_elbo.png.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, SCREENSHOTS, SITE

from tools import reader_notebooks as rn

BOOK = rn.Book(ROOT)
CHAPTERS = rn.chapter_paths(BOOK)
SCREENSHOT_OF = "chapters/05_elbo"
COUNTS = ("undefined macros", "raw roles", "untypeset TeX", "raw fences", "raw labels", "visible solutions")

# nbconvert's lab page, with stock MathJax 3 configured as JupyterLab configures it (its delimiters, nothing else:
# no macros) instead of nbconvert's MathJax 2 from a CDN; no require.js or mermaid from a CDN either. An input
# that Jupyter shows collapsed (metadata.jupyter.source_hidden) is collapsed here too.
TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
                        processEscapes: true, processEnvironments: true}};
</script>
<script src="/mathjax/tex-chtml.js"></script>
{%- endblock html_head_js_mathjax -%}
{% block input_group -%}
{%- if cell.metadata.get("jupyter", {}).get("source_hidden") -%}
<div class="jp-Cell-inputWrapper jp-mod-collapsed"><div class="jp-Placeholder">&hellip;</div></div>
{%- else -%}{{ super() }}{%- endif -%}
{% endblock input_group %}
"""

READ_JS = r"""async (labels) => {
  await MathJax.startup.promise;
  const items = [...MathJax.startup.document.math];
  const broken = [];
  for (const item of items) {
    let bad = null;
    item.root.walkTree((node) => {
      if (node.isKind('merror')) bad = bad || 'merror';
      if (node.isKind('mtext') && node.attributes.get('mathcolor') === 'red') bad = bad || 'red';
    });
    if (bad) broken.push(item.math.slice(0, 80));
  }
  const cells = [...document.querySelectorAll('.jp-RenderedMarkdown')];
  const skip = (el) => el.closest('mjx-container, pre, code, script, style');
  let prose = [];
  for (const cell of cells) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const el = walker.currentNode.parentElement;
      if (!skip(el) && el.checkVisibility()) prose.push(walker.currentNode.nodeValue);
    }
  }
  prose = prose.join('');
  const blocks = [...document.querySelectorAll('.jp-RenderedMarkdown pre code')].filter(c => c.checkVisibility());
  const directiveBlocks = blocks.filter(c => /language-\{/.test(c.className));
  // A role's content is a code span, left out above: "{doc}" stays. TeX braces ({x} in \\mathbf{x}) follow a
  // letter, a brace, ^ or _; untypeset TeX is counted by its control words.
  const roles = (prose.match(/(?<![\w\\}^_])\{[A-Za-z][\w+-]*(:[\w+-]+)?\}/g) || []).length;
  const rawTex = (prose.match(/\\[A-Za-z]+/g) || []).length;
  const colonFences = (prose.match(/^\s*:{3,}\s*\{/gm) || []).length;
  const rawLabels = labels.filter(l => prose.includes('(' + l + ')')).length;
  const summaries = [...document.querySelectorAll('.jp-RenderedMarkdown details > summary')]
    .filter(s => /^\s*Solution/.test(s.textContent));
  const openSolutions = summaries.filter(s => s.parentElement.open).length;
  const shownSolutionBlocks = directiveBlocks.filter(c => /language-\{solution\}/.test(c.className)).length;
  return {formulas: items.length, broken, roles, rawTex, fences: directiveBlocks.length + colonFences, rawLabels,
          collapsed: summaries.length - openSolutions, visible: openSolutions + shownSolutionBlocks,
          mathjaxErrors: document.querySelectorAll('mjx-merror').length};
}"""


def _site_formulas(docname: str) -> int | None:
    """Formulas on the site's page (its article, not the page's table of contents), if a built site is there."""
    page = SITE / f"{docname}.html"
    if not page.is_file():
        return None
    html = page.read_text()
    start, end = html.find('<article class="bd-article">'), html.find("</article>")
    return len(re.findall(r'class="math notranslate nohighlight"', html[start:end] if start >= 0 else html))


def _markdown_formulas(nb: dict) -> int:
    return sum(len(rn.math_segments(rn.cell_source(c))) for c in nb["cells"] if c["cell_type"] == "markdown")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def readings(browser, tmp_path_factory):
    """{("reader" | "source", docname): what the browser read}, every page of both kinds in one browser."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    start = time.perf_counter()
    root = tmp_path_factory.mktemp("reader_html")
    (root / "mathjax").symlink_to(rn._mathjax_dir(), target_is_directory=True)
    exporter = HTMLExporter(extra_loaders=[DictLoader({"reader.html.j2": TEMPLATE})], template_file="reader.html.j2")
    pages, expected = [], {}
    for docname, path in CHAPTERS:
        source = json.loads(path.read_text())
        reader = rn.convert(source, BOOK, docname)
        site = _site_formulas(docname)
        expected[docname] = {
            "formulas": site if site is not None else _markdown_formulas(reader),
            "from": "site" if site is not None else "converted markdown",
            "solutions": rn.collapsed_solutions(reader),
        }
        for kind, nb in (("reader", reader), ("source", source)):
            html, _ = exporter.from_notebook_node(_nbformat(nb))
            target = root / kind / f"{Path(docname).name}.html"
            target.parent.mkdir(exist_ok=True)
            target.write_text(html)
            pages.append((kind, docname, target.relative_to(root).as_posix()))
    converted = time.perf_counter() - start

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    labels = sorted(BOOK.labels)
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    # Nothing leaves the machine: a page that needs the network fails here as it would offline.
    context.route(re.compile(r"^(?!http://127\.0\.0\.1:).*"), lambda route: route.abort())
    page = context.new_page()
    out = {}
    for kind, docname, url in pages:
        page.goto(f"{base}/{url}", wait_until="load")
        out[(kind, docname)] = page.evaluate(READ_JS, labels)
        if kind == "reader" and docname == SCREENSHOT_OF:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "reader_05_elbo.png"))
            exercises = page.locator("h3", has_text="Exercise 5.3").first
            exercises.scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / "reader_05_elbo_exercises.png"))
    context.close()
    server.shutdown()
    read = time.perf_counter() - start - converted
    print(f"\nreader notebooks: converted and rendered {len(pages)} pages in {converted:.1f} s, read in {read:.1f} s")
    counts = {k: _counts(v, expected[k[1]]) for k, v in out.items()}
    summary = ROOT / "_build" / "reader_counts.json"
    summary.parent.mkdir(exist_ok=True)
    summary.write_text(json.dumps({f"{k[0]} {k[1]}": v for k, v in counts.items()}, indent=1) + "\n")
    return {"raw": out, "counts": counts, "expected": expected}


def _nbformat(nb: dict):
    import nbformat

    return nbformat.reads(json.dumps(nb), as_version=4)


def _counts(reading: dict, expected: dict) -> dict:
    return {
        "undefined macros": len(reading["broken"]),
        "raw roles": reading["roles"],
        "untypeset TeX": reading["rawTex"],
        "raw fences": reading["fences"],
        "raw labels": reading["rawLabels"],
        # shown (open, or a raw directive block), or missing from the collapsed ones: the larger of the two
        "visible solutions": max(reading["visible"], expected["solutions"] - reading["collapsed"]),
        "formulas": reading["formulas"],
        "formulas missing": max(0, expected["formulas"] - reading["formulas"]),
    }


@pytest.mark.parametrize("docname", [d for d, _ in CHAPTERS])
def test_reader_notebook_renders_clean_in_a_browser(readings, docname):
    reading = readings["raw"][("reader", docname)]
    counts = readings["counts"][("reader", docname)]
    expected = readings["expected"][docname]
    assert not reading["broken"] and not reading["mathjaxErrors"], f"{docname}: not typeset: {reading['broken'][:5]}"
    assert counts["raw roles"] == counts["raw fences"] == counts["raw labels"] == 0, f"{docname}: {counts}"
    assert counts["untypeset TeX"] == 0, f"{docname}: {counts}"
    assert counts["visible solutions"] == 0, f"{docname}: {counts}; {expected['solutions']} solutions expected"
    assert reading["formulas"] >= expected["formulas"], (
        f"{docname}: {reading['formulas']} formulas typeset, {expected['formulas']} on the {expected['from']}"
    )


def test_the_same_reading_of_the_chapter_sources_fails(readings):
    totals = dict.fromkeys((*COUNTS, "formulas missing"), 0)
    for (kind, _), counts in readings["counts"].items():
        if kind == "source":
            for key in totals:
                totals[key] += counts[key]
    # Untypeset TeX (formula lines that Markdown read as list items) was a fault of the sources themselves, fixed
    # there and kept out by tests/book/test_figures.py; every other count is what only the conversion removes.
    assert totals.pop("untypeset TeX") == 0, totals
    assert all(v > 0 for v in totals.values()), totals
