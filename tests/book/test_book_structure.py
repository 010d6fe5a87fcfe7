"""The book's structure rules (tools/notebooks.py), on the real book and on notebooks built to break them."""

import copy
import json
from pathlib import Path

import pytest

from tools import notebooks

ROOT = Path(__file__).resolve().parents[2]

BOOTSTRAP = notebooks.bootstrap_source()


def test_the_book_follows_the_rules():
    problems = notebooks.check_book()
    assert not problems, "\n".join(problems)


def test_every_chapter_is_in_the_toc_and_every_toc_entry_exists():
    listed = notebooks.toc_files()
    chapters = sorted(p.relative_to(ROOT).with_suffix("").as_posix() for p in (ROOT / "chapters").glob("*.ipynb"))
    assert chapters, "no chapters"
    assert set(chapters) <= set(listed)
    for name in listed:
        assert (ROOT / f"{name}.ipynb").exists() or (ROOT / f"{name}.md").exists(), name


def test_bootstrap_takes_the_repository_from_config():
    url = notebooks._yaml_value((ROOT / "_config.yml").read_text(), "repository", "url")
    assert f"git+{url}@" in BOOTSTRAP
    assert 'os.environ.setdefault("KERAS_BACKEND", "tensorflow")' in BOOTSTRAP
    assert 'os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"' in BOOTSTRAP


# --- The rules really fail: a good notebook passes, and each kind of damage is caught. ---------------------------


def _good_notebook() -> dict:
    def md(text):
        return {"cell_type": "markdown", "metadata": {}, "source": text}

    def code(text, tags=()):
        return {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {"tags": list(tags)},
            "outputs": [],
            "source": text,
        }

    exercises = "\n\n".join(
        f"```{{exercise}}\n:label: ex-{i}\nDo {i}.\n```\n\n```{{solution}} ex-{i}\n:class: dropdown\nDone.\n```"
        for i in range(3)
    )
    return {
        "cells": [
            md("# A chapter\n\nHook."),
            code(BOOTSTRAP, ["hide-cell"]),
            code("x = 1"),
            code("assert x == 1", ["remove-cell"]),
            md("## Exercises\n\n" + exercises),
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _problems(tmp_path, nb) -> list[str]:
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    return notebooks.check_notebook(path, BOOTSTRAP)


def test_a_good_notebook_passes(tmp_path):
    assert _problems(tmp_path, _good_notebook()) == []


def _with_outputs(nb):
    nb["cells"][2]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    nb["cells"][2]["execution_count"] = 1


def _no_bootstrap(nb):
    del nb["cells"][1]


def _edited_bootstrap(nb):
    nb["cells"][1]["source"] = BOOTSTRAP.replace("SEED = 0", "SEED = 1")


def _visible_bootstrap(nb):
    nb["cells"][1]["metadata"]["tags"] = []


def _only_input_collapsed(nb):
    nb["cells"][1]["metadata"]["tags"] = ["hide-input"]  # the environment report would still show


def _bootstrap_first(nb):  # the older layout: set-up above the title
    nb["cells"][0], nb["cells"][1] = nb["cells"][1], nb["cells"][0]


def _no_check(nb):
    nb["cells"][3]["metadata"]["tags"] = []


def _check_asserts_nothing(nb):
    nb["cells"][3]["source"] = "print(x)"


def _two_exercises(nb):
    text = nb["cells"][4]["source"]
    nb["cells"][4]["source"] = text[: text.rfind("```{exercise}")]


def _missing_solution(nb):
    nb["cells"][4]["source"] = nb["cells"][4]["source"].replace("```{solution} ex-2", "```{note}")


@pytest.mark.parametrize(
    "damage, message",
    [
        (_with_outputs, "outputs are not stripped"),
        (_no_bootstrap, "second cell must be the bootstrap"),
        (_edited_bootstrap, "differs from tools/bootstrap_cell.py"),
        (_visible_bootstrap, "hide-cell"),
        (_only_input_collapsed, "hide-cell"),
        (_bootstrap_first, "first cell must be the chapter's title"),
        (_no_check, "no hidden check cell"),
        (_check_asserts_nothing, "assert nothing"),
        (_two_exercises, "2 exercises"),
        (_missing_solution, "only 2 solutions"),
    ],
)
def test_each_kind_of_damage_is_caught(tmp_path, damage, message):
    nb = copy.deepcopy(_good_notebook())
    damage(nb)
    problems = _problems(tmp_path, nb)
    assert any(message in p for p in problems), problems


def test_toc_mismatch_is_caught(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "bootstrap_cell.py").write_text(notebooks.BOOTSTRAP_TEMPLATE.read_text())
    (tmp_path / "_config.yml").write_text((ROOT / "_config.yml").read_text())
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: chapters/listed\n")
    (tmp_path / "intro.md").write_text("# Intro\n")
    (tmp_path / "chapters" / "unlisted.ipynb").write_text(json.dumps(_good_notebook()))
    problems = notebooks.check_book(tmp_path)
    assert any("lists chapters/listed, which does not exist" in p for p in problems), problems
    assert any("chapters/unlisted.ipynb is not in _toc.yml" in p for p in problems), problems


def test_strip_and_sync_repair_a_notebook(tmp_path, monkeypatch):
    nb = _good_notebook()
    _with_outputs(nb)
    _edited_bootstrap(nb)
    path = tmp_path / "repair.ipynb"
    path.write_text(json.dumps(nb))
    assert notebooks.strip(path) and notebooks.sync(path)
    assert _problems(tmp_path, json.loads(path.read_text())) == []
    assert not notebooks.strip(path) and not notebooks.sync(path)  # idempotent


def test_untitled_notebook_is_caught(tmp_path):
    nb = _good_notebook()
    nb["cells"][0]["source"] = "Hook without a title."
    assert any("first cell must be the chapter's title" in p for p in _problems(tmp_path, nb))


def _old_layout(nb) -> dict:
    """A chapter as written before titles came first: the bootstrap cell (tag hide-input) above the title."""
    nb["cells"][0], nb["cells"][1] = nb["cells"][1], nb["cells"][0]
    nb["cells"][0]["metadata"]["tags"] = ["hide-input"]
    return nb


def test_sync_converts_the_old_layout(tmp_path):
    nb = _old_layout(_good_notebook())
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(nb))
    assert _problems(tmp_path, nb)  # the old layout breaks the rules ...
    assert notebooks.sync(path)  # ... and sync repairs it
    new = json.loads(path.read_text())
    assert _problems(tmp_path, new) == []
    assert notebooks.cell_source(new["cells"][0]).startswith("# A chapter")
    assert new["cells"][1]["metadata"]["tags"] == ["hide-cell"]
    assert [notebooks.cell_source(c) for c in new["cells"][2:]] == [
        notebooks.cell_source(c) for c in _good_notebook()["cells"][2:]
    ]  # the rest untouched
    assert not notebooks.sync(path)


def test_sync_inserts_a_missing_bootstrap_after_the_title(tmp_path):
    nb = _good_notebook()
    del nb["cells"][1]
    path = tmp_path / "nobootstrap.ipynb"
    path.write_text(json.dumps(nb))
    assert notebooks.sync(path)
    assert _problems(tmp_path, json.loads(path.read_text())) == []


def test_every_chapter_opens_with_its_title_then_the_collapsed_bootstrap():
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        assert cells[0]["cell_type"] == "markdown", path
        assert notebooks.cell_source(cells[0]).startswith("# "), path
        assert cells[1]["id"] == "bootstrap" and "hide-cell" in cells[1]["metadata"]["tags"], path


def test_references_parse_and_every_citation_exists():
    """references.bib is valid BibTeX without duplicate keys, and every {cite} key in the book is in it."""
    import re

    from pybtex.database import parse_file

    bib = parse_file(str(ROOT / "references.bib"))  # raises on broken syntax or duplicate keys
    keys = set(bib.entries)
    cited = set()
    sources = [p for p in (ROOT / "chapters").glob("*.ipynb")] + list(ROOT.glob("*.md"))
    for path in sources:
        text = path.read_text()
        for group in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]+)`", text):
            cited.update(k.strip() for k in group.split(","))
    missing = sorted(cited - keys)
    assert not missing, f"cited but not in references.bib: {missing}"


# --- Per-notebook environment (metadata.vaebook.environment): extra setdefault lines in the bootstrap cell. -------

ENV = {"KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=4"}


def _notebook_with_environment() -> dict:
    nb = _good_notebook()
    nb["metadata"]["vaebook"] = {"environment": dict(ENV)}
    nb["cells"][1]["source"] = notebooks.bootstrap_source(environment=ENV)
    return nb


def test_environment_lines_come_before_the_default_backend():
    lines = notebooks.bootstrap_source(environment=ENV).splitlines()
    jax_line = lines.index('os.environ.setdefault("KERAS_BACKEND", "jax")  # metadata vaebook.environment')
    xla_line = next(i for i, line in enumerate(lines) if line.startswith('os.environ.setdefault("XLA_FLAGS", '))
    default = next(i for i, line in enumerate(lines) if line.startswith(notebooks.BACKEND_LINE + ', "tensorflow")'))
    assert jax_line < xla_line < default < lines.index("import vaebook")
    assert notebooks.bootstrap_source(environment={}) == BOOTSTRAP


def test_a_notebook_with_its_environment_passes(tmp_path):
    assert _problems(tmp_path, _notebook_with_environment()) == []


def test_environment_and_bootstrap_cell_must_agree(tmp_path):
    stale = _good_notebook()  # metadata asks for lines the cell lacks
    stale["metadata"]["vaebook"] = {"environment": dict(ENV)}
    assert any("differs from tools/bootstrap_cell.py" in p for p in _problems(tmp_path, stale))
    orphan = _notebook_with_environment()  # the cell has lines the metadata no longer asks for
    del orphan["metadata"]["vaebook"]
    assert any("differs from tools/bootstrap_cell.py" in p for p in _problems(tmp_path, orphan))
    bad = _notebook_with_environment()
    bad["metadata"]["vaebook"]["environment"] = {"keras backend": 3}
    assert any("metadata.vaebook.environment must map" in p for p in _problems(tmp_path, bad))


def test_sync_writes_the_environment_lines(tmp_path):
    nb = _good_notebook()
    nb["metadata"]["vaebook"] = {"environment": dict(ENV)}
    path = tmp_path / "env.ipynb"
    path.write_text(json.dumps(nb))
    assert notebooks.sync(path)
    assert _problems(tmp_path, json.loads(path.read_text())) == []
    assert not notebooks.sync(path)
