"""The committed reference runs: present for every chapter that loads one, well formed, and not older than the
vaebook modules they used (a changed module means: run the script again, see reference/README.md)."""

import json
import re
from pathlib import Path

import pytest

from vaebook import reference

ROOT = Path(__file__).resolve().parents[2]
LOADS = re.compile(r"""load_results\(\s*["']([\w-]+)["']\s*\)""")


def chapters_loading():
    out = {}
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code":
                for name in LOADS.findall("".join(cell["source"])):
                    out.setdefault(name, []).append(nb.stem)
    return out


RESULTS = sorted(p.stem for p in reference.RESULTS_DIR.glob("*.json"))


def test_every_result_a_chapter_loads_exists():
    missing = {name: chs for name, chs in chapters_loading().items() if name not in RESULTS}
    assert not missing, f"chapters load reference results that do not exist: {missing}"


def test_every_result_has_its_script():
    for name in RESULTS:
        assert (ROOT / "reference" / f"{name}.py").exists(), f"no script reference/{name}.py for {name}.json"


@pytest.mark.parametrize("name", RESULTS)
def test_result_is_valid_and_current(name):
    results = reference.load_results(name)  # raises ValueError when malformed
    stale = reference.stale_modules(results)
    assert not stale, (
        f"{name}: these vaebook modules changed since the reference run: {stale}; "
        f"run `{results['provenance']['command']}` again and commit the new result"
    )
