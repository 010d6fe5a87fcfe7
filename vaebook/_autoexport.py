"""Packages that gather their submodules' public names, so that a new module needs no edit elsewhere."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def export_submodules(package_name: str, namespace: dict[str, Any]) -> list[str]:
    """Import every public submodule of a package and copy the names in its ``__all__`` into ``namespace``.

    Returns:
        The exported names, in module order; a name exported twice raises ``ImportError``.
    """
    package = importlib.import_module(package_name)
    exported: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package_name}.{info.name}")
        for name in getattr(module, "__all__", []):
            if name in exported and namespace.get(name) is not getattr(module, name):
                raise ImportError(f"{package_name}: {name!r} is exported by both {exported[name]} and {info.name}")
            namespace[name] = getattr(module, name)
            exported[name] = info.name
    return list(exported)
