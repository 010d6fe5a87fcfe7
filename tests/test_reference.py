"""vaebook.reference: validation, module hashes and staleness of reference-run results."""

import copy
import hashlib

import numpy as np
import pytest

from vaebook import reference


def result(**changes):
    runs = [{"seed": s, "NLL": 90.0 + s, "KL": 5.0} for s in (0, 1, 2)]
    r = {
        "name": "toy",
        "description": "d",
        "criterion": "c",
        "settings": {"seeds": [0, 1, 2]},
        "models": {"a": runs},
        "provenance": {k: "x" for k in reference.PROVENANCE},
    }
    r["provenance"]["modules"] = reference.module_hashes(["vaebook.losses"])
    r.update(changes)
    return r


def test_module_hashes_name_files_and_leave_out_non_numeric_modules():
    hashes = reference.module_hashes(["vaebook", "vaebook.losses", "vaebook.plotting", "vaebook.models", "numpy"])
    assert set(hashes) == {"vaebook/losses.py", "vaebook/models/__init__.py"}
    path = reference.PACKAGE_ROOT / "vaebook" / "losses.py"
    assert hashes["vaebook/losses.py"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_validate_accepts_a_good_result_and_names_what_is_wrong():
    reference.validate_results(result())
    with pytest.raises(ValueError, match="provenance lacks"):
        bad = result()
        del bad["provenance"]["commit"]
        reference.validate_results(bad)
    with pytest.raises(ValueError, match="at least 3 seeds"):
        reference.validate_results(result(settings={"seeds": [0, 1]}))
    with pytest.raises(ValueError, match="one run per seed"):
        bad = result()
        bad["models"]["a"] = bad["models"]["a"][:2]
        reference.validate_results(bad)
    with pytest.raises(ValueError, match="non-finite"):
        bad = result()
        bad["models"]["a"][0]["NLL"] = float("nan")
        reference.validate_results(bad)
    with pytest.raises(ValueError, match="JSON object"):
        reference.validate_results([1, 2])


def test_stale_modules_catches_a_changed_hash():
    good = result()
    assert reference.stale_modules(good) == []
    stale = copy.deepcopy(good)
    stale["provenance"]["modules"]["vaebook/losses.py"] = "0" * 64
    stale["provenance"]["modules"]["vaebook/gone.py"] = "0" * 64
    assert reference.stale_modules(stale) == ["vaebook/losses.py", "vaebook/gone.py"]


def test_seed_values_and_spread():
    r = result()
    np.testing.assert_allclose(reference.seed_values(r, "a", "NLL"), [90, 91, 92])
    assert reference.mean_and_spread([90, 91, 92]) == pytest.approx((91.0, 1.0))
    with pytest.raises(ValueError, match="not in this result"):
        reference.seed_values(r, "b", "NLL")
    with pytest.raises(ValueError, match="no value"):
        reference.seed_values(r, "a", "ELBO")
    with pytest.raises(ValueError, match="at least 2"):
        reference.mean_and_spread([1.0])


def test_load_results_names_the_known_results():
    with pytest.raises(ValueError, match="no reference result 'nope'"):
        reference.load_results("nope")
