"""The public API is explicit: each package exports exactly the ``__all__`` of its modules, by explicit imports."""

import importlib
import pkgutil
import types

import pytest

# Names a package exports from a private module on purpose (the exercise machinery students call directly).
EXTRA = {"vaebook.exercises": {"CheckReport", "Checker"}}
PACKAGES = ["vaebook.models", "vaebook.layers", "vaebook.exercises"]


def _module_names(package) -> dict[str, str]:
    """name -> module for every name in the ``__all__`` of every public module of ``package``."""
    owners: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        assert hasattr(module, "__all__"), f"{module.__name__} has no __all__: list its public names"
        for name in module.__all__:
            assert name not in owners, f"{name!r} is exported by both {owners[name]} and {module.__name__}"
            owners[name] = module.__name__
    return owners


def _import_lines(missing: dict[str, list[str]]) -> str:
    return "\n".join(
        f"from {module} import " + ", ".join(f"{n} as {n}" for n in names) for module, names in sorted(missing.items())
    )


@pytest.mark.parametrize("package_name", PACKAGES)
def test_package_exports_exactly_its_modules_all(package_name):
    package = importlib.import_module(package_name)
    owners = _module_names(package)
    exported = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    expected = set(owners) | EXTRA.get(package_name, set())

    missing: dict[str, list[str]] = {}
    for name in sorted(set(owners) - exported):
        missing.setdefault(owners[name], []).append(name)
    assert not missing, f"{package_name}/__init__.py lacks these imports; add the lines:\n" + _import_lines(missing)
    extra = exported - expected
    assert not extra, f"{package_name} exports names no module lists in its __all__: {sorted(extra)}"
    assert sorted(package.__all__) == sorted(expected), f"{package_name}.__all__ differs from its modules' names"
    for name, module in owners.items():
        assert getattr(package, name) is getattr(importlib.import_module(module), name), (
            f"{package_name}.{name} is not {module}.{name}"
        )


def test_every_public_module_lists_only_names_it_has():
    import vaebook

    for name in vaebook.__all__:
        if name == "__version__":
            continue
        module = getattr(vaebook, name)
        for public in getattr(module, "__all__", []):
            assert hasattr(module, public), f"vaebook.{name}.__all__ lists {public!r}, which it does not define"


def test_the_import_lines_name_the_module_and_every_missing_name():
    lines = _import_lines({"vaebook.models.tabular_vae": ["TabularVAE", "build_tabular_vae"]})
    assert lines == (
        "from vaebook.models.tabular_vae import TabularVAE as TabularVAE, build_tabular_vae as build_tabular_vae"
    )
