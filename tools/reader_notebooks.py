"""Reader notebooks: the chapters as Jupyter and Colab show them, with no raw MyST and the site's numbers.

    python tools/reader_notebooks.py build [--out _build/notebooks] [notebook.ipynb ...]
    python tools/reader_notebooks.py count [notebook.ipynb ...]

`make notebooks` calls `build`: one reader notebook per chapter of _toc.yml, at the chapter's own path under the
output folder (`_build/notebooks/chapters/05_elbo.ipynb`), which is the layout publish.yml pushes to the branch the
Colab buttons open. `count` prints, per notebook, what a reader of the plain notebook would meet: raw MyST roles,
raw directive fences, raw equation labels and targets, formulas with a macro that stock MathJax does not define,
and solutions printed in full.

What a Jupyter or Colab reader gets instead of MyST (the site is Jupyter Book 1; `convert` works on any notebook
written like a chapter, the otter student notebooks of tools/assignments.py included):

* the macros of `_config.yml` (sphinx.config.mathjax3_config.tex.macros) expanded in every formula; an inline
  formula on one line (a line break followed by "- " would start a list in nbconvert's and the site's Markdown);
* {doc} -> the page's title, linked to the site; {cite:p}/{cite:t}/{cite} -> "Kingma & Welling (2014)", linked
  to the site's bibliography; {eq} -> the equation's number as the site prints it; {ref}/{numref} -> the
  exercise's number (or the section's title), linked;
* labelled equations ($$...$$ (label) and {math} with :label:) -> \\tag{n}, numbered as Sphinx numbers them with
  numfig and math_numfig (per page, "chapter.k" in the numbered parts, "k" elsewhere: the chapter number is the
  page's place in _toc.yml's numbered parts, counted across parts as Jupyter Book 1 does);
* {exercise} -> a heading "Exercise 5.1 (title)" with an anchor; {solution} -> a collapsed <details>;
  {bibliography} -> the list of the works this notebook cites; admonitions -> block quotes; {figure} -> the image
  with its numbered caption under it;
* the book's hidden check cells (tag remove-cell) stay, collapsed (Colab: metadata.cellView "form" with a
  `# @title` line saying what the cell checks; Jupyter: metadata.jupyter.source_hidden);
* every other code cell, and every cell that belongs to otter (otter metadata or tags, otter's own cells, raw
  cells), unchanged; the notebook's metadata unchanged.

The site's address is html.baseurl in _config.yml when set; else GitHub Pages of repository.url
(https://OWNER.github.io/REPO/), which is where publish.yml deploys it.
"""

from __future__ import annotations

import argparse
import ast
import codecs
import copy
import io
import json
import posixpath
import re
import sys
import tokenize
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "_build" / "notebooks"
CHECK_TAGS = ("remove-cell", "remove-input")

# A MyST directive in fences (``` or :::), its argument line and body; the closing fence is the opening one.
DIRECTIVE = (
    r"(?P<directive>^(?P<d_indent>[ \t]*)(?P<d_fence>`{3,}|:{3,})\{(?P<d_name>[^}\s]+)\}[ \t]*(?P<d_arg>[^\n]*)\n"
    r"(?P<d_body>.*?)^[ \t]*(?P=d_fence)[ \t]*$)"
)
CODE_FENCE = r"(?P<code>^(?P<c_indent>[ \t]*)(?P<c_fence>`{3,}|~{3,})[^\n]*\n.*?^[ \t]*(?P=c_fence)[ \t]*$)"
DISPLAY_MATH = r"(?P<dmath>\$\$(?P<m_body>.+?)\$\$(?:[ \t]*\((?P<m_label>[^()\s]+)\))?)"
BLOCK_RE = re.compile("|".join([DIRECTIVE, CODE_FENCE, DISPLAY_MATH]), re.MULTILINE | re.DOTALL)
INLINE_RE = re.compile(
    r"(?P<role>\{(?P<r_name>[A-Za-z][\w:+-]*)\}(?P<r_ticks>`+)(?P<r_content>.+?)(?P=r_ticks))"
    r"|(?P<code>(?P<c_ticks>`+).+?(?P=c_ticks))"
    r"|(?P<imath>(?<![\\$])\$(?!\$)(?P<i_body>[^$]+?)(?<!\\)\$(?!\$))"
    r"|(?P<target>^\((?P<t_label>[^()\s]+)\)=[ \t]*$)"
    r"|(?P<comment>^%[^\n]*(?:\n|$))",
    re.MULTILINE | re.DOTALL,
)
OPTION_RE = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
TEX_NAME_RE = re.compile(r"\\([A-Za-z]+)")
ADMONITIONS = {
    "note": "Note",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "error": "Error",
    "seealso": "See also",
    "margin": "",
    "sidebar": "",
    "epigraph": "",
    "admonition": "",
}


# --- the book: configuration, pages, labels, bibliography ----------------------------------------------------------


def cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _set_source(cell: dict, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell.get("source"), list) else text


def read_config(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text()) or {}


def config_macros(config: dict) -> dict[str, tuple[str, int]]:
    """The TeX macros of _config.yml's mathjax3_config, as {name: (body, number of arguments)}."""
    raw = (((config.get("sphinx") or {}).get("config") or {}).get("mathjax3_config") or {}).get("tex", {})
    macros = {}
    for name, value in (raw.get("macros") or {}).items():
        if isinstance(value, str):
            macros[name] = (value, 0)
        elif isinstance(value, list) and value and isinstance(value[0], str):
            macros[name] = (value[0], int(value[1]) if len(value) > 1 else 0)
        else:
            raise ValueError(f"mathjax3_config macro {name!r}: expected a string or [body, nargs], got {value!r}")
    return macros


def site_url(config: dict) -> str:
    """The published site's address (ends with '/'): html.baseurl, else GitHub Pages of repository.url."""
    base = (config.get("html") or {}).get("baseurl")
    if base:
        return base.rstrip("/") + "/"
    url = (config.get("repository") or {}).get("url", "")
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)/?", url)
    if not match:
        raise ValueError(f"_config.yml: need html.baseurl or a GitHub repository.url; got {url!r}")
    owner, repo = match.groups()
    return f"https://{owner.lower()}.github.io/{repo}/"


def launch_branch(config: dict) -> str:
    """The branch the site's Colab buttons open: sphinx.config.html_theme_options.repository_branch (the reader
    notebooks' branch), else repository.branch, as sphinx-book-theme builds the link."""
    theme = ((config.get("sphinx") or {}).get("config") or {}).get("html_theme_options") or {}
    return theme.get("repository_branch") or (config.get("repository") or {}).get("branch", "main")


def toc_chapters(toc: dict) -> list[tuple[str, str | None]]:
    """(docname, chapter number or None) for every file of _toc.yml, in order.

    Jupyter Book 1 numbers the chapters of all `numbered` parts in one sequence (use_multitoc_numbering, on by
    default); pages in other parts, and the root, have no number.
    """
    out = [(toc["root"], None)] if "root" in toc else []
    number = 0
    for part in toc.get("parts") or [{"chapters": toc.get("chapters") or []}]:
        for chapter in part.get("chapters") or []:
            if "file" not in chapter:
                continue
            if part.get("numbered"):
                number += 1
                out.append((chapter["file"], str(number)))
            else:
                out.append((chapter["file"], None))
    return out


def _latex_to_text(text: str) -> str:
    import latexcodec  # noqa: F401  (registers the "ulatex" codec; pybtex depends on it)

    text = codecs.decode(text, "ulatex") if "\\" in text else text
    return text.replace("{", "").replace("}", "").replace("--", "–")


@dataclass
class Reference:
    key: str
    short: str  # "Kingma & Welling", "Blei et al."
    year: str
    full: str  # one line of markdown


def _names(person) -> str:
    return _latex_to_text(" ".join(person.prelast_names + person.last_names))


def load_bibliography(path: Path) -> dict[str, Reference]:
    from pybtex.database import parse_file

    refs = {}
    for key, entry in parse_file(str(path)).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        lasts = [_names(p) for p in people]
        if not lasts:
            short = _latex_to_text(entry.fields.get("organization", entry.fields.get("title", key)))
        elif len(lasts) == 1:
            short = lasts[0]
        elif len(lasts) == 2:
            short = f"{lasts[0]} & {lasts[1]}"
        else:
            short = f"{lasts[0]} et al."
        year = entry.fields.get("year", "n.d.")
        authors = [
            _latex_to_text(" ".join(p.first_names + p.middle_names + p.prelast_names + p.last_names)) for p in people
        ]
        author_text = ", ".join(authors[:-1]) + (" and " if len(authors) > 1 else "") + (authors[-1] if authors else "")
        title = _latex_to_text(entry.fields.get("title", ""))
        venue = next(
            (
                _latex_to_text(entry.fields[f])
                for f in ("journal", "booktitle", "publisher", "howpublished", "institution", "school")
                if f in entry.fields
            ),
            "",
        )
        link = entry.fields.get("url") or (f"https://doi.org/{entry.fields['doi']}" if "doi" in entry.fields else "")
        title_md = f"[{title}]({link})" if link else title
        full = f"{author_text or short} ({year}). {title_md}." + (f" *{venue}*." if venue else "")
        refs[key] = Reference(key, short, year, full)
    return refs


@dataclass
class Label:
    kind: str  # "equation", "exercise", "section", "figure"
    docname: str
    number: str = ""
    title: str = ""


@dataclass
class _Doc:
    """The running state of one notebook's conversion."""

    docname: str
    chapter: str | None
    equations: int = 0
    exercises: int = 0
    figures: int = 0
    heading_level: int = 1
    exercise_titles: dict = field(default_factory=dict)
    cited: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    def number(self, k: int) -> str:
        return f"{self.chapter}.{k}" if self.chapter else str(k)


class Book:
    """What the conversion needs to know about the book: macros, site, page titles, labels, bibliography."""

    def __init__(self, root: Path = ROOT):
        self.root = Path(root)
        self.config = read_config(self.root / "_config.yml")
        self.macros = config_macros(self.config)
        self.site = site_url(self.config)
        import yaml

        self.toc = toc_chapters(yaml.safe_load((self.root / "_toc.yml").read_text()))
        self.chapter_numbers = dict(self.toc)
        bib = (self.config.get("bibtex_bibfiles") or ["references.bib"])[0]
        self.references = load_bibliography(self.root / bib) if (self.root / bib).exists() else {}
        self.bibliography_page = next(
            (d for d, _ in self.toc if Path(d).name == "bibliography"), "bibliography"
        )  # the page that prints every reference
        self.titles: dict[str, str] = {}
        self.labels: dict[str, Label] = {}
        self.cited: dict[str, list[str]] = {}
        for docname, _ in self.toc:
            path = self._page_path(docname)
            if path is None:
                continue
            if path.suffix == ".ipynb":
                nb = json.loads(path.read_text())
                self.index(nb, docname)
            else:
                self.titles[docname] = _first_heading(path.read_text()) or docname

    def _page_path(self, docname: str) -> Path | None:
        for ext in (".ipynb", ".md"):
            if (self.root / f"{docname}{ext}").exists():
                return self.root / f"{docname}{ext}"
        return None

    def index(self, nb: dict, docname: str) -> None:
        """Record the title, labels and citations of a notebook (a first pass of the conversion)."""
        doc = _Doc(docname, self.chapter_numbers.get(docname))
        self.titles[docname] = (
            next(
                (_first_heading(cell_source(c)) for c in nb.get("cells", []) if c.get("cell_type") == "markdown"), None
            )
            or docname
        )
        _Converter(self, doc, indexing=True).convert_cells(copy.deepcopy(nb.get("cells", [])))
        self.cited[docname] = doc.cited

    def url(self, docname: str, anchor: str = "") -> str:
        return f"{self.site}{docname}.html" + (f"#{anchor}" if anchor else "")


def _first_heading(text: str) -> str | None:
    match = re.search(r"^#[ \t]+(.+?)[ \t]*$", text, re.MULTILINE)
    return match.group(1) if match else None


# --- the conversion ------------------------------------------------------------------------------------------------


def expand_macros(tex: str, macros: dict[str, tuple[str, int]]) -> str:
    """Replace every use of a configured macro by its body (arguments substituted), as MathJax would."""
    if not macros:
        return tex
    pattern = re.compile(r"\\(" + "|".join(sorted(map(re.escape, macros), key=len, reverse=True)) + r")(?![A-Za-z])")
    for _ in range(10):  # macros that use macros
        out, pos = [], 0
        for match in pattern.finditer(tex):
            if match.start() < pos:
                continue
            body, nargs = macros[match.group(1)]
            end = match.end()
            for k in range(1, nargs + 1):
                arg, end = _tex_argument(tex, end)
                body = body.replace(f"#{k}", arg)
            out.append(tex[pos : match.start()] + body)
            pos = end
        new = "".join(out) + tex[pos:]
        if new == tex:
            return new
        tex = new
    return tex


def _tex_argument(tex: str, i: int) -> tuple[str, int]:
    while i < len(tex) and tex[i] in " \t\n":
        i += 1
    if i < len(tex) and tex[i] == "{":
        depth = 0
        for j in range(i, len(tex)):
            depth += {"{": 1, "}": -1}.get(tex[j], 0)
            if depth == 0:
                return tex[i + 1 : j], j + 1
    return tex[i : i + 1], i + 1


def _sphinx_display(body: str) -> str:
    """Wrap display math as Sphinx's MathJax writer does: blank-line separated parts are aligned, a part with a
    line break (\\\\) goes into a split environment."""
    parts = [p for p in body.split("\n\n") if p.strip()]
    if len(parts) > 1:
        return r"\begin{align}\begin{aligned}" + r"\\".join(_split(p) for p in parts) + r"\end{aligned}\end{align}"
    return _split(body)


def _split(part: str) -> str:
    if r"\\" in part and not part.strip().startswith(r"\begin"):
        return r"\begin{split}" + part.strip("\n") + r"\end{split}"
    return part


def _options(body: str) -> tuple[dict, str]:
    lines = body.split("\n")
    options = {}
    if lines and lines[0].strip() == "---":  # YAML front matter of a directive
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is not None:
            import yaml

            options = yaml.safe_load("\n".join(lines[1:end])) or {}
            return {k: str(v) for k, v in options.items()}, "\n".join(lines[end + 1 :])
    while lines and (match := OPTION_RE.match(lines[0].strip())):
        options[match.group("key")] = match.group("value").strip()
        lines.pop(0)
    return options, "\n".join(lines).strip("\n")


def _blockquote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in text.split("\n"))


class _Converter:
    def __init__(self, book: Book, doc: _Doc, indexing: bool = False):
        self.book, self.doc, self.indexing = book, doc, indexing

    # cells

    def convert_cells(self, cells: list[dict]) -> list[dict]:
        out = []
        for cell in cells:
            if _is_otter(cell):
                out.append(cell)
            elif cell.get("cell_type") == "markdown":
                _set_source(cell, self.markdown(cell_source(cell)))
                out.append(cell)
            elif cell.get("cell_type") == "code":
                out.append(self.code(cell))
                caption = ((cell.get("metadata") or {}).get("mystnb") or {}).get("figure") or {}
                if caption.get("caption"):
                    self.doc.figures += 1
                    number = self.doc.number(self.doc.figures)
                    if caption.get("name"):
                        self._label(caption["name"], Label("figure", self.doc.docname, number, caption["caption"]))
                    anchor = f'<a id="{caption["name"]}"></a>\n\n' if caption.get("name") else ""
                    text = f"{anchor}*Figure {number}: {self.inline(caption['caption'])}*"
                    new = {"cell_type": "markdown", "metadata": {}, "source": text}
                    if "id" in cell:  # nbformat 4.5: every cell has an id
                        new["id"] = f"{cell['id']}-caption"[:64]
                    out.append(new)
            else:
                out.append(cell)
        return out

    def code(self, cell: dict) -> dict:
        tags = (cell.get("metadata") or {}).get("tags") or []
        if not any(t in CHECK_TAGS for t in tags):
            return cell
        source = cell_source(cell)
        if not re.match(r"#\s*@title", source):
            _set_source(cell, f"# @title {check_summary(source)}\n{source}")
        metadata = cell.setdefault("metadata", {})
        metadata["cellView"] = "form"  # Colab: the code hides behind its title
        metadata.setdefault("jupyter", {})["source_hidden"] = True  # JupyterLab, Notebook 7, nbconvert
        return cell

    # markdown

    def markdown(self, text: str) -> str:
        out, pos = [], 0
        for match in BLOCK_RE.finditer(text):
            out.append(self.inline(text[pos : match.start()]))
            if match.group("directive"):
                out.append(self.directive(match))
            elif match.group("code"):
                out.append(match.group(0))
            else:
                out.append(self.display_math(match.group("m_body"), match.group("m_label")))
            pos = match.end()
        out.append(self.inline(text[pos:]))
        return "".join(out)

    def inline(self, text: str) -> str:
        for heading in HEADING_RE.finditer(text):
            self.doc.heading_level = len(heading.group(1))
        out, pos = [], 0
        for match in INLINE_RE.finditer(text):
            out.append(text[pos : match.start()])
            if match.group("role"):
                out.append(self.role(match.group("r_name"), match.group("r_content")))
            elif match.group("code"):
                out.append(match.group(0))
            elif match.group("imath"):
                # One line: a line of a formula that starts with "- " or "1. " would start a list in Markdown
                # renderers that parse Markdown before they find the math (nbconvert's, and the site's).
                body = re.sub(r"[ \t]*\n[ \t]*", " ", match.group("i_body"))
                out.append("$" + expand_macros(body, self.book.macros) + "$")
            elif match.group("target"):
                label = match.group("t_label")
                following = HEADING_RE.search(text, match.end())
                title = following.group(2) if following else label
                self._label(label, Label("section", self.doc.docname, "", title))
                out.append(f'<a id="{label}"></a>')
            # a comment (% ...) is dropped
            pos = match.end()
        out.append(text[pos:])
        return "".join(out)

    def display_math(self, body: str, label: str | None) -> str:
        tex = _sphinx_display(expand_macros(body, self.book.macros))
        if label:
            number = self._equation(label)
            lead = body[: len(body) - len(body.lstrip())]
            trail = body[len(body.rstrip()) :]
            tex = f"{lead}{tex.strip()} \\tag{{{number}}}{trail}"
        return f"$${tex}$$"

    def _equation(self, label: str) -> str:
        self.doc.equations += 1
        number = self.doc.number(self.doc.equations)
        self._label(label, Label("equation", self.doc.docname, number))
        return number

    def _label(self, label: str, value: Label) -> None:
        if self.indexing:
            self.book.labels[label] = value

    # directives

    def directive(self, match: re.Match) -> str:
        name, arg = match.group("d_name"), match.group("d_arg").strip()
        options, body = _options(match.group("d_body"))
        indent = match.group("d_indent")
        if name == "math":
            if "nowrap" in options:
                return f"$${expand_macros(body, self.book.macros)}$$"
            return self.display_math("\n" + body + "\n", options.get("label"))
        if name in ("exercise", "prf:exercise"):
            return self.exercise(arg, options, body)
        if name in ("solution", "prf:solution"):
            return self.solution(arg, body)
        if name == "bibliography":
            return self.bibliography()
        if name in ("figure", "image"):
            return self.figure(arg, options, body if name == "figure" else "")
        if name in ("code-block", "code", "code-cell", "sourcecode"):
            return f"{indent}```{arg}\n{body}\n{indent}```"
        if name in ADMONITIONS:
            title = arg if name == "admonition" or not ADMONITIONS[name] else ADMONITIONS[name]
            inner = self.markdown(body)
            return _blockquote((f"**{self.inline(title)}.** " if title else "") + inner)
        inner = self.markdown(body)  # any other directive: its content, as text
        return (f"**{self.inline(arg)}**\n\n" if arg else "") + inner

    def exercise(self, title: str, options: dict, body: str) -> str:
        numbered = "nonumber" not in options
        if numbered:
            self.doc.exercises += 1
        name = f"Exercise {self.doc.number(self.doc.exercises)}" if numbered else "Exercise"
        heading = name + (f" ({self.inline(title)})" if title else "")
        label = options.get("label")
        anchor = ""
        if label:
            self._label(label, Label("exercise", self.doc.docname, name if numbered else "", heading))
            self.doc.exercise_titles[label] = heading
            anchor = f'<a id="{label}"></a>\n\n'
        level = "#" * min(self.doc.heading_level + 1, 6)
        return f"{anchor}{level} {heading}\n\n{self.markdown(body)}"

    def solution(self, label: str, body: str) -> str:
        target = self.book.labels.get(label)
        summary = f"Solution to {target.title}" if target and target.title else "Solution"
        # A blank line after <summary> and before </details>: Markdown resumes inside the HTML block.
        return f"<details>\n<summary>{summary}</summary>\n\n{self.markdown(body)}\n\n</details>"

    def figure(self, path: str, options: dict, caption: str) -> str:
        if not re.match(r"https?://", path):
            repo = (self.book.config.get("repository") or {}).get("url", "").rstrip("/")
            branch = (self.book.config.get("repository") or {}).get("branch", "main")
            folder = posixpath.dirname(self.doc.docname)
            full = posixpath.normpath(posixpath.join(folder, path)).lstrip("/")
            path = f"{repo.replace('github.com', 'raw.githubusercontent.com')}/{branch}/{full}"
        alt = options.get("alt", "")
        image = f"![{alt}]({path})"
        if not caption.strip():
            return image
        self.doc.figures += 1
        number = self.doc.number(self.doc.figures)
        anchor = ""
        if options.get("name"):
            self._label(options["name"], Label("figure", self.doc.docname, number, caption.strip()))
            anchor = f'<a id="{options["name"]}"></a>\n\n'
        return f"{anchor}{image}\n\n*Figure {number}: {self.markdown(caption.strip())}*"

    def bibliography(self) -> str:
        keys = self.book.cited.get(self.doc.docname) or self.doc.cited
        refs = sorted(
            (self.book.references[k] for k in dict.fromkeys(keys) if k in self.book.references),
            key=lambda r: (r.short.lower(), r.year),
        )
        lines = [f"- {r.full}" for r in refs]
        lines.append(f"\nEvery work the book cites: [the bibliography]({self.book.url(self.book.bibliography_page)}).")
        return "\n".join(lines)

    # roles

    def role(self, name: str, content: str) -> str:
        title, target = _title_target(content)
        if name == "doc":
            docname = self._resolve_doc(target)
            text = title or self.book.titles.get(docname)
            if text is None:
                self.doc.problems.append(f"{{doc}} to an unknown page: {target}")
                text = target
            return f"[{text}]({self.book.url(docname)})"
        if name in ("eq",):
            label = self.book.labels.get(target)
            if label is None or label.kind != "equation":
                return self._unresolved(name, target, f"({target})")
            text = f"({label.number})"
            if label.docname == self.doc.docname:
                return text
            return f"[{text}]({self.book.url(label.docname, 'equation-' + target)})"
        if name in ("ref", "numref"):
            label = self.book.labels.get(target)
            if label is None:
                return self._unresolved(name, target, title or target)
            if title:
                text = title.replace("%s", label.number).replace("{number}", label.number)
            elif label.kind == "exercise":
                text = label.number or label.title
            elif label.kind == "figure":
                text = f"Fig. {label.number}" if name == "numref" or not label.title else label.title
            elif label.kind == "equation":
                text = f"({label.number})"
            else:
                text = label.title
            if label.docname == self.doc.docname:
                return f"[{self.inline(text)}](#{target})"
            return f"[{self.inline(text)}]({self.book.url(label.docname, target)})"
        if name.startswith("cite"):
            return self.cite(name, content)
        if name == "math":
            return f"${expand_macros(content, self.book.macros)}$"
        if name in ("code", "literal", "samp", "file", "kbd", "command"):
            return f"`{content}`"
        return title or target  # {term}, {abbr}, {sub}, {fa} ...: the text

    def cite(self, name: str, content: str) -> str:
        keys = [k.strip() for k in content.split(",") if k.strip()]
        self.doc.cited.extend(keys)
        link = self.book.url(self.book.bibliography_page)
        parts = []
        for key in keys:
            ref = self.book.references.get(key)
            if ref is None:
                self.doc.problems.append(f"citation of an unknown key: {key}")
                parts.append(key)
            elif name in ("cite:t", "cite:ts", "cite:author"):
                parts.append(f"[{ref.short} ({ref.year})]({link})")
            else:
                parts.append(f"[{ref.short}, {ref.year}]({link})")
        if name in ("cite:t", "cite:ts", "cite:author"):
            return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
        return "(" + "; ".join(parts) + ")"

    def _resolve_doc(self, target: str) -> str:
        target = re.sub(r"\.(ipynb|md)$", "", target)
        if target.startswith("/"):
            return target.lstrip("/")
        return posixpath.normpath(posixpath.join(posixpath.dirname(self.doc.docname), target))

    def _unresolved(self, name: str, target: str, text: str) -> str:
        if not self.indexing:
            self.doc.problems.append(f"{{{name}}} to an unknown label: {target}")
        return text


def _title_target(content: str) -> tuple[str, str]:
    match = re.fullmatch(r"(?s)(.*?)\s*<([^<>]+)>", content.strip())
    return (match.group(1), match.group(2)) if match and match.group(1) else ("", content.strip())


def _is_otter(cell: dict) -> bool:
    """A cell that belongs to otter-grader (a raw cell, otter metadata or an otter tag): left exactly as it is."""
    metadata = cell.get("metadata") or {}
    if cell.get("cell_type") == "raw" or "otter" in metadata:
        return True
    return any(str(t).startswith("otter") for t in metadata.get("tags") or [])


def check_summary(source: str) -> str:
    """One line that says what a hidden check cell checks: its leading comment, else the comments on its
    assertions, else the names it asserts on."""
    comments: list[tuple[int, str, bool]] = []  # (line, text, whole line)
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                whole = not tok.line[: tok.start[1]].strip()
                comments.append((tok.start[0], tok.string.lstrip("#").strip(), whole))
    except (tokenize.TokenError, SyntaxError):
        comments = []
    first_code = next(
        (i + 1 for i, line in enumerate(source.splitlines()) if line.strip() and not line.lstrip().startswith("#")), 0
    )
    leading = [text for line, text, whole in comments if whole and line < first_code and text]
    inline = [text for _, text, whole in comments if not whole and text]
    if leading:
        text = " ".join(leading)
    elif inline:
        text = "; ".join(inline[:2])
    else:
        names: list[str] = []
        try:
            tree = ast.parse(source)
        except SyntaxError:
            tree = None
        for node in ast.walk(tree) if tree else []:
            if isinstance(node, ast.Assert) or (
                isinstance(node, ast.Call) and "assert" in ast.unparse(node.func).lower()
            ):
                target = node.test if isinstance(node, ast.Assert) else node
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name) and sub.id not in names and sub.id not in ("np", "ops", "abs"):
                        names.append(sub.id)
        text = "the results above (asserts on " + ", ".join(names[:4]) + ")" if names else "the results above"
    text = re.sub(r"\s+", " ", text)
    if len(text) > 110:
        text = text[:107].rsplit(" ", 1)[0] + " ..."
    return f"Check: {text}"


def convert(nb: dict, book: Book | None = None, docname: str | None = None, problems: list | None = None) -> dict:
    """The reader's notebook of a chapter-like notebook (a new dict; `nb` is not changed).

    Args:
        nb: a notebook (nbformat 4 JSON as a dict), a chapter or a student notebook made from one.
        book: the book it belongs to (labels, macros, bibliography); by default the book at the repository root.
        docname: its page in _toc.yml ("chapters/05_elbo"): sets the chapter number of its equations and
            exercises and resolves relative {doc} links. A student notebook passes its chapter's.
        problems: if given, a list to which every reference that could not be resolved is appended.

    Raises:
        ValueError: if `nb` is not a notebook or `docname` is not a page of the book.
    """
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"expected a notebook (a dict with a 'cells' list), got {type(nb).__name__}")
    book = book or Book()
    if docname is None:
        raise ValueError("convert needs the notebook's docname (its page in _toc.yml, e.g. 'chapters/05_elbo')")
    if docname not in book.chapter_numbers:
        raise ValueError(f"docname {docname!r} is not a page of _toc.yml: {sorted(book.chapter_numbers)}")
    out = copy.deepcopy(nb)
    doc = _Doc(docname, book.chapter_numbers[docname])
    out["cells"] = _Converter(book, doc).convert_cells(out["cells"])
    if problems is not None:
        problems.extend(doc.problems)
    return out


# --- what a reader of a plain notebook meets ------------------------------------------------------------------------

COUNT_ROLE_RE = re.compile(r"\{[A-Za-z][\w:+-]*\}`")
COUNT_FENCE_RE = re.compile(r"^[ \t]*(`{3,}|:{3,})[ \t]*\{[^}\s]+\}", re.MULTILINE)
COUNT_LABEL_RE = re.compile(r"\$\$[ \t]*\([^()\s]+\)|^\([^()\s]+\)=[ \t]*$", re.MULTILINE)
SOLUTION_FENCE_RE = re.compile(r"^[ \t]*(`{3,}|:{3,})[ \t]*\{(prf:)?solution\}", re.MULTILINE)
DETAILS_RE = re.compile(r"<details(\s[^>]*)?>\s*<summary>\s*Solution", re.IGNORECASE)
OPEN_DETAILS_RE = re.compile(r"<details\s[^>]*\bopen\b", re.IGNORECASE)
MATH_SEGMENT_RE = re.compile(
    r"\$\$(?P<d>.+?)\$\$|(?<![\\$])\$(?!\$)(?P<i>[^$]+?)(?<!\\)\$(?!\$)"
    r"|(?P<e>\\begin\{(?P<env>[A-Za-z*]+)\}.*?\\end\{(?P=env)\})",
    re.DOTALL,
)
# Code blocks and code spans; a role ({name}`content`) is matched first, so that its content is not a code span.
# A directive's fence (```{name}) is a code block to Jupyter too: its formulas are not typeset, but its roles and
# fences are in plain view.
CODE_RE = re.compile(
    r"^[ \t]*(?P<fence>`{3,}|~{3,})(?P<directive>[ \t]*\{)?[^\n]*\n.*?^[ \t]*(?P=fence)[ \t]*$"
    r"|(?P<role>\{[A-Za-z][\w:+-]*\}(?P<rt>`+).+?(?P=rt))"
    r"|(?P<ct>`+).+?(?P=ct)",
    re.MULTILINE | re.DOTALL,
)


def strip_code(text: str, keep_directives: bool = False) -> str:
    """Markdown with its code blocks and code spans blanked out (roles kept; directive blocks kept if asked)."""

    def blank(m: re.Match) -> str:
        return m.group(0) if m.group("role") or (keep_directives and m.group("directive")) else " "

    return CODE_RE.sub(blank, text)


@cache
def mathjax_macros(bundle: str | None = None) -> frozenset[str]:
    """The TeX macro names stock MathJax 3 knows: those of tex-chtml.js (base, ams, newcommand, ...) and of the
    extensions its autoload component loads on first use (\\boldsymbol, \\cancel, \\color ...).

    Read from the MathJax that sphinx-mathjax-offline ships (the site's MathJax).
    """
    path = Path(bundle) if bundle else _mathjax_dir() / "tex-chtml.js"
    js = path.read_text(encoding="utf-8")
    names: set[str] = set()
    for match in re.finditer(r'Map\("([\w-]+)",(?:[\w.$]+,)?\{', js):
        kind = match.group(1)
        if kind in ("special", "letter", "digit", "remap") or "environment" in kind or "character" in kind:
            continue
        keys, _ = _js_object_keys(js, match.end() - 1)
        names.update(k.lstrip("\\") for k in keys)
    auto = re.search(r"autoload:\(0,[\w$]+\.expandable\)\(\{", js)
    if auto is None:
        raise ValueError(f"{path}: no autoload table (is this MathJax 3's tex-chtml.js?)")
    _, end = _js_object_keys(js, auto.end() - 1)
    table = json.loads(re.sub(r"([{,])([\w$]+):", r'\1"\2":', js[auto.end() - 1 : end + 1]))
    for value in table.values():
        names.update(value[0] if value and isinstance(value[0], list) else value)
    if not {"frac", "mathbb", "alpha", "begin"} <= names:
        raise ValueError(f"{path}: could not read MathJax's macro tables")
    return frozenset(n for n in names if re.fullmatch(r"[A-Za-z]+", n))


def _mathjax_dir() -> Path:
    from importlib.metadata import distribution

    return Path(distribution("sphinx-mathjax-offline").locate_file("sphinx-mathjax-offline/static/mathjax"))


def _js_object_keys(js: str, i: int) -> tuple[list[str], int]:
    """The top-level keys of the JavaScript object literal that starts at js[i] == '{', and where it ends."""
    keys, depth, expect_key, j = [], 0, True, i
    while j < len(js):
        c = js[j]
        if c in "\"'":
            k = j + 1
            while js[k] != c:
                k += 2 if js[k] == "\\" else 1
            if depth == 1 and expect_key:
                raw = js[j + 1 : k]
                keys.append(re.sub(r"\\(u[0-9a-fA-F]{4}|.)", lambda m: _js_escape(m.group(1)), raw))
                expect_key = False
            j = k + 1
            continue
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
            if depth == 0:
                return keys, j
        elif depth == 1 and c == ",":
            expect_key = True
        elif depth == 1 and expect_key and (c.isalpha() or c in "_$"):
            name = re.match(r"[\w$]+", js[j:]).group(0)
            keys.append(name)
            expect_key = False
            j += len(name)
            continue
        j += 1
    raise ValueError("unterminated JavaScript object")


def _js_escape(seq: str) -> str:
    return chr(int(seq[1:], 16)) if len(seq) == 5 and seq[0] == "u" else seq


def math_segments(text: str) -> list[str]:
    """The formulas Jupyter's MathJax typesets in a markdown cell ($$...$$, $...$, \\begin{env}...\\end{env}),
    code blocks and code spans left out."""
    text = strip_code(text)
    return [m.group(0) for m in MATH_SEGMENT_RE.finditer(text)]


def static_counts(nb: dict, known: frozenset[str] | None = None) -> dict[str, int]:
    """What a reader of the plain notebook meets: raw roles, raw directive fences, raw equation labels or targets,
    formulas with a macro stock MathJax does not define (\\newcommand/\\def in the notebook count as defined),
    and solutions not collapsed."""
    known = mathjax_macros() if known is None else known
    markdown = [cell_source(c) for c in nb.get("cells", []) if c.get("cell_type") == "markdown"]
    prose = [strip_code(text, keep_directives=True) for text in markdown]
    segments = [s for text in markdown for s in math_segments(text)]
    defined = set(known)
    for s in segments:
        defined.update(re.findall(r"\\(?:newcommand|renewcommand|def)\s*\{?\\([A-Za-z]+)", s))
    undefined = [s for s in segments if any(n not in defined for n in TEX_NAME_RE.findall(s))]
    fences_raw = sum(len(COUNT_FENCE_RE.findall(text)) for text in markdown)
    solutions_raw = sum(len(SOLUTION_FENCE_RE.findall(text)) for text in markdown)
    return {
        "raw roles": sum(len(COUNT_ROLE_RE.findall(text)) for text in prose),
        "raw fences": fences_raw,
        "raw labels": sum(len(COUNT_LABEL_RE.findall(text)) for text in prose),
        "undefined macros": len(undefined),
        "visible solutions": solutions_raw + sum(len(OPEN_DETAILS_RE.findall(text)) for text in markdown),
    }


def undefined_macros(nb: dict, known: frozenset[str] | None = None) -> list[str]:
    """The macro names (without backslash) used in the notebook's formulas that stock MathJax does not define."""
    known = mathjax_macros() if known is None else known
    names = {
        n
        for c in nb.get("cells", [])
        if c.get("cell_type") == "markdown"
        for s in math_segments(cell_source(c))
        for n in TEX_NAME_RE.findall(s)
    }
    return sorted(names - known)


def collapsed_solutions(nb: dict) -> int:
    return sum(len(DETAILS_RE.findall(cell_source(c))) for c in nb.get("cells", []) if c.get("cell_type") == "markdown")


# --- command line --------------------------------------------------------------------------------------------------


def chapter_paths(book: Book) -> list[tuple[str, Path]]:
    return [(d, book.root / f"{d}.ipynb") for d, _ in book.toc if (book.root / f"{d}.ipynb").exists()]


def build(out: Path = DEFAULT_OUT, paths: list[Path] | None = None, book: Book | None = None) -> list[Path]:
    """Write the reader notebook of every chapter (or of `paths`) under `out`, at the chapter's own path."""
    book = book or Book()
    if paths:
        targets = []
        for p in paths:
            p = Path(p).resolve()
            docname = p.relative_to(book.root).with_suffix("").as_posix()
            targets.append((docname, p))
    else:
        targets = chapter_paths(book)
    written, problems = [], []
    for docname, path in targets:
        found: list[str] = []
        reader = convert(json.loads(path.read_text()), book, docname, found)
        problems += [f"{docname}: {p}" for p in found]
        target = Path(out) / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(reader, indent=1, ensure_ascii=False) + "\n")
        written.append(target)
    if problems:
        raise ValueError("unresolved references:\n" + "\n".join(problems))
    if not paths:  # the whole set, as publish.yml pushes it to the launch buttons' branch
        repo = (book.config.get("repository") or {}).get("url", "")
        branch = (book.config.get("repository") or {}).get("branch", "main")
        (Path(out) / "README.md").write_text(
            f"# Reader notebooks\n\nThe chapters of {book.config.get('title', 'the book')} as Jupyter and Colab show "
            f"them, written by `make notebooks` (tools/reader_notebooks.py) from the branch `{branch}` of {repo}, "
            f"where the chapters are edited. The book: {book.site}\n"
        )
    return written


def _table(rows: list[tuple[str, dict]]) -> str:
    keys = list(rows[0][1]) if rows else []
    lines = ["| notebook | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for name, counts in rows:
        lines.append(f"| {name} | " + " | ".join(str(counts[k]) for k in keys) + " |")
    total = {k: sum(c[k] for _, c in rows) for k in keys}
    lines.append("| **total** | " + " | ".join(str(total[k]) for k in keys) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the reader notebooks")
    b.add_argument("--out", type=Path, default=DEFAULT_OUT)
    b.add_argument("notebooks", nargs="*", type=Path)
    c = sub.add_parser("count", help="print what a reader of each plain notebook meets")
    c.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if args.command == "build":
        written = build(args.out, args.notebooks)
        print(f"{len(written)} reader notebooks in {args.out}")
        return 0
    paths = args.notebooks or [p for _, p in chapter_paths(Book())]
    rows = [(Path(p).stem, static_counts(json.loads(Path(p).read_text()))) for p in paths]
    print(_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
