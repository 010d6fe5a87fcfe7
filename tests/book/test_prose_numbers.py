"""The claims check (tools/claims.py): every number in a chapter's prose is a registered claim or definitional.

Static: reads the chapters' JSON and parses their hidden cells; executes nothing (the quick book build asserts
the claims themselves).
"""

import copy
import json

import pytest

from tools import claims

# Chapters whose prose has not yet been accounted for (issue 22, section 1): the one list of exceptions, empty since
# every chapter passes. A chapter added to it must fail the check (the test below says so when a listed chapter
# already passes), and an unlisted chapter must pass.
NOT_YET_CONVERTED: list[str] = []
CHAPTERS = claims.chapter_paths()
CONVERTED = [p for p in CHAPTERS if p.stem not in NOT_YET_CONVERTED]


def test_the_list_of_chapters_not_yet_converted_names_real_chapters():
    assert set(NOT_YET_CONVERTED) <= {p.stem for p in CHAPTERS}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_number_in_the_prose_is_a_claim_or_definitional(path):
    result = claims.check_notebook(path)
    lines = result.problems + [f"cell {n.cell}: {n.text!r} in: {n.context[:100]}" for n in result.unaccounted]
    if path.stem in NOT_YET_CONVERTED:
        assert lines, f"{path.stem} passes the claims check: remove it from NOT_YET_CONVERTED"
    else:
        assert not lines, f"{path.name}: numbers neither registered nor definitional:\n" + "\n".join(lines)


def _notebook(markdown, hidden, definitional=None):
    nb = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    for text in markdown:
        nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": text})
    for code in hidden:
        nb["cells"].append({"cell_type": "code", "metadata": {"tags": ["remove-cell"]}, "source": code, "outputs": []})
    if definitional is not None:
        nb["metadata"]["vaebook"] = {"definitional": definitional}
    return nb


def _check(tmp_path, nb):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    return claims.check_notebook(path)


def test_a_small_notebook_is_accounted_for(tmp_path):
    nb = _notebook(
        ["Trained on 28 × 28 digits, the bound is 105 nats against 209 (quick profile), the best in the table."],
        [
            'claim("105 nats against 209", nll, None, profile="quick")\nclaim("against 209", conv)\n'
            'claim_that("the best in the table", ok)'
        ],
        definitional=["28 × 28"],
    )
    result = _check(tmp_path, nb)
    assert not result.problems and not result.unaccounted
    assert (len(result.numbers), result.count("claim"), result.count("definitional")) == (4, 2, 2)


@pytest.mark.parametrize("path", CONVERTED or CHAPTERS[:1], ids=lambda p: p.stem)
def test_a_number_planted_in_a_copy_of_a_chapter_is_caught(tmp_path, path):
    nb = json.loads(path.read_text())
    before = {(n.cell, n.text) for n in claims.check_notebook(path).unaccounted}
    planted = copy.deepcopy(nb)
    cell = max(i for i, c in enumerate(planted["cells"]) if c["cell_type"] == "markdown")
    source = planted["cells"][cell]["source"]
    planted["cells"][cell]["source"] = (
        ["The held-out bound is 123.4 nats.\n", *source]
        if isinstance(source, list)
        else "The held-out bound is 123.4 nats.\n" + source
    )
    after = {(n.cell, n.text) for n in _check(tmp_path, planted).unaccounted}
    assert after - before == {(cell, "123.4")}


@pytest.mark.parametrize(
    "prose",
    [
        "in a table | 4.46 | 11 |",
        "a solution's text:\n\n```{solution} ex-1\n:class: dropdown\n\nIt is 135.9 nats.\n```",
        "in math, $\\log 500 = 6.21$",
        "an exercise title:\n\n```{exercise} Twelve (graded, 2 points)\n:label: x\n\ntext\n```",
    ],
)
def test_numbers_in_tables_solutions_math_and_titles_count(tmp_path, prose):
    assert _check(tmp_path, _notebook([prose], [])).unaccounted


@pytest.mark.parametrize(
    "prose",
    [
        "inline `EPOCHS = 15` and a role {cite}`kingma2014auto`, {eq}`ch10-surgery`",
        "a fence:\n\n```python\nx = 3.5\n```\n",
        "an indented solution code block:\n\n    x = np.ones(784)\n",
        "a link [page](https://example.org/2019/a.html) and https://x.org/12",
        "chapter 7, chapters 10 and 11, eq. 3, Figure 10.3, section 2",
        "Kingma et al. (2016) and He et al. 2019",
        "formula constants $\\frac{1}{2}\\sigma^2 + x_{10} - 1$",
        "a math directive:\n\n```{math}\n:label: eq-1\nq = \\N(\\mu, \\sigma^2 + 1)\n```\n",
        ":label: ch10-free-bits\n(ch10-target)=\n<!-- 12 -->",
        "1. first item\n2. second item",
    ],
)
def test_what_is_not_prose_is_not_counted(tmp_path, prose):
    assert not _check(tmp_path, _notebook([prose], [])).numbers


def test_stale_and_malformed_registrations_are_problems(tmp_path):
    nb = _notebook(
        ["The bound is 105 nats."],
        ['claim("104 nats", nll)\nclaim(TEXT, nll)\nclaim("105 nats against 209", nll)\nclaim("105 nats", *v)'],
        definitional=["784 pixels"],
    )
    problems = "\n".join(_check(tmp_path, nb).problems)
    assert "'104 nats' does not occur" in problems
    assert "string literal" in problems
    assert "2 number(s) but 1 value(s)" in problems
    assert "'784 pixels' does not occur" in problems


def test_a_starred_list_registers_the_numbers_from_its_position_on(tmp_path):
    nb = _notebook(["KL 33.0, 13.3 and 3.0 nats at 0.2, 0.5, 1.0"], ['claim("KL 33.0, 13.3 and 3.0 nats", *kls)'])
    assert [n.text for n in _check(tmp_path, nb).unaccounted] == ["0.2", "0.5", "1.0"]
    nb = _notebook(["0 of 16 units, 3.0"], ['claim("0 of 16 units, 3.0", None, *rest)'])
    assert [n.text for n in _check(tmp_path, nb).unaccounted] == ["0"]


def test_a_chapter_may_not_turn_its_claims_into_warnings(tmp_path):
    nb = _notebook(["The bound is 105 nats."], ['os.environ["VAEBOOK_CLAIMS"] = "warn"\nclaim("105 nats", nll)'])
    assert any("VAEBOOK_CLAIMS" in p for p in _check(tmp_path, nb).problems)


def test_a_none_value_does_not_register_its_number(tmp_path):
    nb = _notebook(["0 of 16 units active"], ['claim("0 of 16 units active", active, None)'])
    assert [n.text for n in _check(tmp_path, nb).unaccounted] == ["16"]


def test_a_bare_definitional_numeral_covers_it_everywhere_but_not_inside_a_longer_one(tmp_path):
    nb = _notebook(["784 pixels, 7840 values, again 784"], [], definitional=["784"])
    assert [n.text for n in _check(tmp_path, nb).unaccounted] == ["7840"]
