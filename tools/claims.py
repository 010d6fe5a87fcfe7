"""The claims check: every number in a chapter's prose is registered as a claim or declared definitional.

    python tools/claims.py check [NOTEBOOK ...]   # print every unaccounted number (exit 1 if any)
    python tools/claims.py report                 # the per-chapter table of status.md (Markdown)
    python tools/claims.py report --write status.md   # replace the table between its markers in status.md

Static: it reads the notebooks' JSON and parses the hidden cells' code; it executes nothing. What counts:

- **Numbers in prose**: every numeral (``vaebook.claims.numbers_in``) in a markdown cell, tables, exercises and
  solutions included, except where it is not prose: code (fenced, indented or inline), roles and their targets
  (``{cite}`...```, ``{eq}`...```), link targets and URLs, directive option lines (``:label: ...``), MyST targets,
  HTML comments, numbered-list markers; references to the book's own structure ("chapter 7", "eq. 3",
  "section 2", "Figure 10.3", "exercise 2"); citation years ("Kingma et al. (2016)"); and, inside LaTeX math, sub-
  and superscripts and the integers below 100 (the constants of formulas: $\\frac12$, $x^2$, $1 - \\alpha$). In math
  a numeral with a decimal point or three or more digits ($\\log 500 = 6.21$) is a number like any other.
- **Registered**: a numeral inside an occurrence of the text of a ``claim(...)`` call in a hidden check cell (tag
  ``remove-cell``) whose value for it is not ``None``. ``claim_that(...)`` texts must occur in the prose too.
- **Definitional**: a numeral inside an occurrence of a passage listed in the notebook's metadata,
  ``metadata["vaebook"]["definitional"]`` (a list of passages, or a mapping from passage to the reason): image sizes,
  hyperparameters the text sets, budgets of a profile, years. A passage that is one bare numeral ("784") covers that
  numeral everywhere in the chapter.

A claim or definitional passage that no longer occurs in the prose is an error too (the text changed under it).
"""

from __future__ import annotations

import ast
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
sys.path.insert(0, str(ROOT))
from vaebook.claims import numbers_in  # noqa: E402

CHECK_TAG = "remove-cell"
CLAIM_FUNCTIONS = ("claim", "claim_that")

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
_OPTION = re.compile(r"^\s*:[\w-]+:.*$", re.MULTILINE)
_TARGET = re.compile(r"^\(\S+\)=\s*$", re.MULTILINE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_INLINE_CODE = re.compile(r"(\{[\w:-]+\})?(`+)((?:(?!\n\s*\n).)+?)\2", re.DOTALL)
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_LIST_MARKER = re.compile(r"^\s*\d+[.)](?=\s)", re.MULTILINE)
_HEADING = re.compile(r"^#+ .*$", re.MULTILINE)
_STRUCTURE = re.compile(
    r"\b(?:[Cc]hapters?|[Ss]ections?|[Ff]igures?|[Ff]igs?\.|[Tt]ables?|[Ee]xercises?|[Ee]qs?\.|[Ee]quations?|"
    r"[Pp]arts?|[Aa]ppendix|[Ll]ectures?|[Ss]lides?)\s+"
    r"(\d+(?:\.\d+)*(?:\s*(?:,|and|or|to|–|-)\s*\d+(?:\.\d+)*)*)"
)
_YEAR = re.compile(r"et al\.,?\s*\(?((?:19|20)\d\d)[a-z]?(?!\d)|\(((?:19|20)\d\d)[a-z]?\)")
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+?\$", re.DOTALL)
_MATH_DIRECTIVE = re.compile(r"^([`:]{3,})\{math\}[^\n]*\n(.*?)^\1", re.MULTILINE | re.DOTALL)


def _mask(text: str, spans, mask: list[bool]) -> None:
    for start, end in spans:
        for i in range(start, end):
            mask[i] = True


def _code_blocks(text: str) -> list[tuple[int, int]]:
    """Fenced code (not MyST directives: ```{exercise} keeps its body) and indented code blocks."""
    spans, offset, fence, fence_start, previous_blank = [], 0, None, 0, True
    directives: list[str] = []  # the fences of the open directives
    in_indented = False
    for line in text.splitlines(keepends=True):
        match = _FENCE.match(line)
        if fence is not None:
            if match and match.group(2)[0] == fence[0] and len(match.group(2)) >= len(fence):
                spans.append((fence_start, offset + len(line)))
                fence = None
        elif match and match.group(3).strip().startswith("{"):  # a directive: its name is not prose
            directives.append(match.group(2))
            name_end = len(match.group(1)) + len(match.group(2)) + len(match.group(3).split()[0])
            spans.append((offset, offset + name_end))
        elif match and not match.group(3).strip() and directives and match.group(2)[0] == directives[-1][0]:
            directives.pop()
        elif match:
            fence, fence_start = match.group(2), offset
        else:
            indented = line.startswith("    ") and line.strip() != ""
            if indented and (previous_blank or in_indented):
                spans.append((offset, offset + len(line)))
                in_indented = True
            elif line.strip():
                in_indented = False
        previous_blank = line.strip() == ""
        offset += len(line)
    if fence is not None:
        spans.append((fence_start, len(text)))
    return spans


def _math_parts(body: str, base: int) -> list[tuple[int, int]]:
    """Sub- and superscript spans of a LaTeX body (offsets from ``base``)."""
    scripts, i = [], 0
    while i < len(body):
        if body[i] in "_^":
            j = i + 1
            while j < len(body) and body[j] == " ":
                j += 1
            if j < len(body) and body[j] == "{":
                depth, k = 0, j
                while k < len(body):
                    depth += {"{": 1, "}": -1}.get(body[k], 0)
                    if depth == 0:
                        break
                    k += 1
                end = k + 1
            elif j < len(body) and body[j] == "\\":
                m = re.match(r"\\[A-Za-z]+", body[j:])
                end = j + (len(m.group(0)) if m else 1)
            else:
                end = j + 1
            scripts.append((base + i, base + end))
            i = end
        else:
            i += 1
    return scripts


@dataclass
class ProseNumber:
    cell: int
    start: int
    text: str
    context: str
    covered_by: str = ""  # "", "claim" or "definitional"


def prose_numbers(markdown: str, cell: int = 0) -> list[ProseNumber]:
    """The numbers of one markdown cell that the check accounts for (see the module docstring)."""
    ignore = [False] * len(markdown)
    _mask(markdown, _code_blocks(markdown), ignore)
    for regex in (_OPTION, _TARGET, _COMMENT, _LINK_TARGET, _URL, _LIST_MARKER):
        _mask(markdown, (m.span() for m in regex.finditer(markdown)), ignore)
    fences_blanked = re.sub(r"^(\s*)(`{3,}|~{3,})", lambda m: m.group(1) + " " * len(m.group(2)), markdown, flags=re.M)
    for m in _INLINE_CODE.finditer(fences_blanked):
        _mask(markdown, [m.span()], ignore)
    for m in _HEADING.finditer(markdown):  # heading numbers ("## 3. The ELBO") are structure
        lead = re.match(r"#+ [\d.]+\s", m.group(0))
        if lead:
            _mask(markdown, [(m.start(), m.start() + lead.end())], ignore)
    for m in _STRUCTURE.finditer(markdown):
        _mask(markdown, [m.span(1)], ignore)
    for m in _YEAR.finditer(markdown):
        _mask(markdown, [m.span(1) if m.group(1) else m.span(2)], ignore)
    in_math = [False] * len(markdown)
    for m in _MATH.finditer(markdown):
        if all(ignore[m.start() : m.end()]):
            continue
        _mask(markdown, [m.span()], in_math)
        _mask(markdown, _math_parts(m.group(0), m.start()), ignore)
    for m in _MATH_DIRECTIVE.finditer(markdown):  # ```{math} blocks: math like $$ ... $$
        _mask(markdown, [m.span(2)], in_math)
        _mask(markdown, _math_parts(m.group(2), m.start(2)), ignore)
    found = []
    for number in numbers_in(markdown):
        end = number.start + len(number.text)
        if ignore[number.start]:  # (a power of ten's exponent is masked as a superscript; its mantissa is not)
            continue
        if in_math[number.start] and not number.decimal and len(number.text.lstrip("−-").replace(",", "")) < 3:
            continue
        line_start = markdown.rfind("\n", 0, number.start) + 1
        line_end = markdown.find("\n", end)
        context = markdown[line_start : line_end if line_end >= 0 else len(markdown)].strip()
        found.append(ProseNumber(cell, number.start, number.text, context))
    return found


@dataclass
class Registered:
    kind: str  # "claim", "claim_that" or "definitional"
    text: str
    asserts: list[bool] = field(default_factory=list)  # per numeral of the text: does this entry cover it
    profile: str = ""


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def registrations(nb: dict) -> tuple[list[Registered], list[str]]:
    """The claims of a notebook's hidden cells and its definitional passages, and the problems found reading them."""
    found, problems = [], []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or CHECK_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        code = "\n".join(line for line in _source(cell).splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError as error:
            problems.append(f"cell {index}: hidden cell does not parse ({error})")
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in CLAIM_FUNCTIONS:
                continue
            if not node.args or not (isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                problems.append(f"cell {index}, line {node.lineno}: {name}(...) needs its text as a string literal")
                continue
            text = node.args[0].value
            profile = next((ast.unparse(k.value) for k in node.keywords if k.arg == "profile"), "None")
            if name == "claim_that":
                found.append(Registered("claim_that", text, [False] * len(numbers_in(text)), profile))
                continue
            values = node.args[1:]
            numerals = numbers_in(text)
            starred = next((k for k, v in enumerate(values) if isinstance(v, ast.Starred)), None)
            if starred is None and len(values) != len(numerals):
                problems.append(
                    f"cell {index}, line {node.lineno}: claim({text!r}) has {len(numerals)} number(s) "
                    f"but {len(values)} value(s)"
                )
                continue
            # One value per numeral; None leaves a numeral unasserted. A starred list (claim(text, *kls)) counts
            # as asserting every numeral from its position on (claim() checks the count when it runs).
            explicit = values if starred is None else values[:starred]
            asserts = [not (isinstance(v, ast.Constant) and v.value is None) for v in explicit]
            asserts += [True] * (len(numerals) - len(asserts))
            found.append(Registered("claim", text, asserts, profile))
    if any("VAEBOOK_CLAIMS" in _source(cell) for cell in nb["cells"]):
        problems.append("a cell mentions VAEBOOK_CLAIMS: a chapter must not switch its own claims to warnings")
    declared = nb.get("metadata", {}).get("vaebook", {}).get("definitional", [])
    if not isinstance(declared, (list, dict)) or not all(isinstance(p, str) for p in declared):
        problems.append("metadata vaebook.definitional must be a list of passages or a mapping passage -> reason")
        declared = []
    for passage in declared:
        if not numbers_in(passage):
            problems.append(f"definitional passage {passage!r} holds no number")
            continue
        found.append(Registered("definitional", passage, [True] * len(numbers_in(passage))))
    return found, problems


@dataclass
class ChapterClaims:
    path: Path
    numbers: list[ProseNumber]
    registered: list[Registered]
    problems: list[str]

    def count(self, kind: str) -> int:
        return sum(1 for n in self.numbers if n.covered_by == kind)

    @property
    def unaccounted(self) -> list[ProseNumber]:
        return [n for n in self.numbers if not n.covered_by]


def check_notebook(path: Path | str) -> ChapterClaims:
    """Account for every number in one notebook's prose; see the module docstring."""
    path = Path(path)
    nb = json.loads(path.read_text())
    registered, problems = registrations(nb)
    cells = {i: _source(c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"}
    numbers = [n for i, text in cells.items() for n in prose_numbers(text, i)]
    by_position = {(n.cell, n.start): n for n in numbers}
    for entry in registered:
        numerals = numbers_in(entry.text)
        occurrences = 0
        for i, text in cells.items():
            start = text.find(entry.text)
            while start >= 0:
                whole = not numerals or _standalone(text, start, entry.text)
                if whole:
                    occurrences += 1
                    for numeral, asserted in zip(numerals, entry.asserts, strict=True):
                        n = by_position.get((i, start + numeral.start))
                        if asserted and n is not None and n.text == numeral.text and n.covered_by != "claim":
                            n.covered_by = "claim" if entry.kind == "claim" else "definitional"
                start = text.find(entry.text, start + 1)
        if not occurrences:
            what = "definitional passage" if entry.kind == "definitional" else f"{entry.kind}(...) text"
            problems.append(f"{what} {entry.text!r} does not occur in the prose")
    return ChapterClaims(path, numbers, registered, problems)


def _standalone(text: str, start: int, passage: str) -> bool:
    """A passage that starts or ends with a digit must not continue a longer numeral ("16" inside "160")."""
    before = text[start - 1] if start > 0 else " "
    after = text[start + len(passage)] if start + len(passage) < len(text) else " "
    if passage[0].isdigit() and (before.isdigit() or (before in ".," and start > 1 and text[start - 2].isdigit())):
        return False
    if passage[-1].isdigit() and (
        after.isdigit() or (after in ".," and text[start + len(passage) + 1 :][:1].isdigit())
    ):
        return False
    return True


def chapter_paths() -> list[Path]:
    return sorted(CHAPTERS.glob("*.ipynb"))


def report(paths=None) -> str:
    """The status page's table: per chapter, numbers in prose, registered as claims, declared definitional."""
    rows = [
        "| chapter | numbers in prose | registered (claims) | definitional | unaccounted |",
        "|---|---|---|---|---|",
    ]
    for path in paths or chapter_paths():
        result = check_notebook(path)
        rows.append(
            f"| {path.stem} | {len(result.numbers)} | {result.count('claim')} | {result.count('definitional')} "
            f"| {len(result.unaccounted)} |"
        )
    return "\n".join(rows)


TABLE_START = "<!-- claims table: python tools/claims.py report --write status.md -->"
TABLE_END = "<!-- end of claims table -->"


def write_report(path: Path) -> None:
    """Replace the table between TABLE_START and TABLE_END in ``path`` (status.md) with :func:`report`."""
    text = path.read_text()
    if TABLE_START not in text or TABLE_END not in text:
        raise ValueError(f"{path} has no claims table markers ({TABLE_START!r} ... {TABLE_END!r})")
    head, rest = text.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    path.write_text(f"{head}{TABLE_START}\n{report()}\n{TABLE_END}{tail}")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("check", "report"):
        print(__doc__)
        return 2
    if argv[0] == "report":
        if argv[1:2] == ["--write"] and len(argv) == 3:
            write_report(Path(argv[2]))
        else:
            print(report())
        return 0
    paths = [Path(p) for p in argv[1:]] or chapter_paths()
    failed = False
    for path in paths:
        result = check_notebook(path)
        for problem in result.problems:
            print(f"{path.name}: {problem}")
        for n in result.unaccounted:
            print(f"{path.name}: cell {n.cell}: {n.text!r} is neither a claim nor definitional: {n.context[:110]}")
        failed = failed or bool(result.problems or result.unaccounted)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
