"""Reference runs: results of experiments trained to convergence, with their provenance, for the chapters to cite.

A chapter's live cells train small models for a few minutes, which shows early training. A statement about what a
method *does* rests on a reference run: a script under ``reference/`` in the book's repository trains every model to
a stated criterion with several seeds and writes a small JSON file into ``vaebook/reference_runs/``, installed with
the package, so that a chapter can load it in Colab as on the site. Each file records its provenance (command,
commit, date, wall time, machine, data) and a SHA-256 of every ``vaebook`` module the run loaded; a test fails when
a module has changed since, so a result cannot silently outlive the code that produced it.

Example:
    >>> from vaebook import reference
    >>> runs = reference.load_results("ch10_collapse")
    >>> reference.seed_values(runs, "free bits 0.5", "KL")      # one value per seed
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "RESULTS_DIR",
    "load_results",
    "mean_and_spread",
    "module_hashes",
    "seed_values",
    "stale_modules",
    "validate_results",
]

RESULTS_DIR = Path(__file__).resolve().parent / "reference_runs"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
# Modules whose code cannot change a result: plotting, exercise checkers, claims, this module and the lazy
# import table of the package. They are left out of the provenance hash.
NOT_HASHED = ("vaebook", "vaebook.plotting", "vaebook.exercises", "vaebook.claims", "vaebook.reference")
REQUIRED = {
    "name": str,
    "description": str,
    "criterion": str,
    "settings": dict,
    "models": dict,
    "provenance": dict,
}
PROVENANCE = ("command", "commit", "date", "wall_time_s", "machine", "data", "backend", "versions", "modules")


def module_hashes(module_names) -> dict[str, str]:
    """SHA-256 of the source file of each ``vaebook`` module named (package roots and NOT_HASHED left out).

    Args:
        module_names: dotted module names, e.g. ``sys.modules`` keys; names outside ``vaebook`` are ignored.

    Returns:
        ``{"vaebook/models/vae.py": "<hex digest>", ...}``, paths relative to the repository, sorted.
    """
    out = {}
    for name in sorted(set(module_names)):
        if not (name == "vaebook" or name.startswith("vaebook.")) or name in NOT_HASHED:
            continue
        if any(name == m or name.startswith(m + ".") for m in NOT_HASHED if m != "vaebook"):
            continue
        parts = name.split(".")
        path = PACKAGE_ROOT.joinpath(*parts).with_suffix(".py")
        if not path.exists():
            path = PACKAGE_ROOT.joinpath(*parts, "__init__.py")
        if not path.exists():
            raise ValueError(f"module {name!r} has no source file under {PACKAGE_ROOT}.")
        out[path.relative_to(PACKAGE_ROOT).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def validate_results(results: Any, name: str = "results") -> dict:
    """Check the structure of a reference-run result; raise ``ValueError`` naming what is missing or malformed."""
    if not isinstance(results, dict):
        raise ValueError(f"{name}: expected a JSON object, got {type(results).__name__}.")
    for key, kind in REQUIRED.items():
        if not isinstance(results.get(key), kind):
            raise ValueError(f"{name}: expected key {key!r} of type {kind.__name__}.")
    missing = [k for k in PROVENANCE if k not in results["provenance"]]
    if missing:
        raise ValueError(f"{name}: provenance lacks {missing}.")
    if not results["provenance"]["modules"]:
        raise ValueError(f"{name}: provenance names no vaebook module.")
    seeds = results["settings"].get("seeds")
    if not isinstance(seeds, list) or len(seeds) < 3:
        raise ValueError(f"{name}: expected settings.seeds to list at least 3 seeds, got {seeds!r}.")
    for model, runs in results["models"].items():
        if not isinstance(runs, list) or sorted(r.get("seed") for r in runs) != sorted(seeds):
            raise ValueError(f"{name}: model {model!r} must have one run per seed {seeds}.")
        for run in runs:
            bad = [k for k, v in run.items() if isinstance(v, float) and not np.isfinite(v)]
            if bad:
                raise ValueError(f"{name}: model {model!r}, seed {run['seed']}: non-finite {bad}.")
    return results


def load_results(name: str) -> dict:
    """The reference-run result ``name`` (e.g. ``"ch10_collapse"``), validated.

    Raises:
        ValueError: if no such result exists or it is malformed.
    """
    path = RESULTS_DIR / f"{name}.json"
    if not path.exists():
        known = sorted(p.stem for p in RESULTS_DIR.glob("*.json"))
        raise ValueError(f"no reference result {name!r} in {RESULTS_DIR}; expected one of {known}.")
    return validate_results(json.loads(path.read_text()), name)


def stale_modules(results: dict) -> list[str]:
    """The modules named in a result's provenance whose source has changed (or vanished) since the run."""
    recorded = results["provenance"]["modules"]
    stale = []
    for rel, digest in recorded.items():
        path = PACKAGE_ROOT / rel
        if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            stale.append(rel)
    return stale


def seed_values(results: dict, model: str, key: str) -> np.ndarray:
    """One value of ``key`` per seed for ``model``, as a float array (ordered by seed)."""
    if model not in results["models"]:
        raise ValueError(f"model {model!r} not in this result; expected one of {sorted(results['models'])}.")
    runs = sorted(results["models"][model], key=lambda r: r["seed"])
    if any(key not in r for r in runs):
        raise ValueError(f"model {model!r} has no value {key!r}; expected one of {sorted(runs[0])}.")
    return np.array([np.nan if r[key] is None else r[key] for r in runs], dtype=float)


def mean_and_spread(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof = 1) over seeds."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"expected a 1-D array of at least 2 values, got shape {values.shape}.")
    return float(values.mean()), float(values.std(ddof=1))
