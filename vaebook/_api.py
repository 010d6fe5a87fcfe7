"""The one rule for a subpackage's ``__all__`` (vaebook.models, vaebook.layers, vaebook.exercises, vaebook.plotting)."""

import types


def public_names(namespace: dict) -> list[str]:
    """The sorted names of ``namespace`` (a module's ``globals()``) that are public and not modules.

    A subpackage imports every public name of its modules explicitly and ends with
    ``__all__ = _public_names(globals())``, so that a new import is exported without a second list to keep.
    """
    return sorted(name for name, value in namespace.items() if not (name.startswith("_") or _is_module(value)))


def _is_module(value) -> bool:
    return isinstance(value, types.ModuleType)
