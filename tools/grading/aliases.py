"""Is a graded function the student's own code, or a one-line alias of a function the chapter or vaebook provides?

Read from the notebook's source (which the student cannot change after handing it in), not from the kernel:
``my_kl = kl_discrete``, ``my_gaussian_kl = vaebook.losses.gaussian_kl``, ``from vaebook.losses import
gaussian_kl as my_gaussian_kl``, a lambda, ``functools.partial(...)``, or a ``def`` whose body only returns a
call of such a function, all count as aliases. A function that calls the student's own helpers is followed into
them. What the kernel says the function object is (its ``__module__`` and ``__name__``) is checked too, for
bindings the source does not show (``globals()[...] = ...``, ``exec``).
"""

from __future__ import annotations

import ast
import re

MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)


def parse_cell(source: str) -> ast.Module | None:
    """A code cell's AST, with IPython magics and shell lines blanked; None if it does not parse."""
    try:
        return ast.parse(MAGIC.sub("", source))
    except (SyntaxError, ValueError):
        return None


def _top_level(tree: ast.Module):
    """Top-level statements in order, looking into if/try/with/for blocks (they still bind at module level)."""
    for node in tree.body:
        yield from _flatten(node)


def _flatten(node):
    yield node
    for field in ("body", "orelse", "finalbody", "handlers"):
        for child in getattr(node, field, []) or []:
            if isinstance(child, (ast.stmt, ast.ExceptHandler)) and not isinstance(
                node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            ):
                yield from _flatten(child)


def bindings(sources: list[str]) -> dict[str, tuple]:
    """name → its last top-level binding over ``sources`` (cells in order)."""
    out: dict[str, tuple] = {}
    for source in sources:
        tree = parse_cell(source)
        if tree is None:
            continue
        for node in _top_level(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out[node.name] = ("def", node)
            elif isinstance(node, ast.ClassDef):
                out[node.name] = ("class", node)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        out[target.id] = ("assign", node.value)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        out[a.asname] = ("module", a.name)
                    else:
                        out[a.name.split(".")[0]] = ("module", a.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                for a in node.names:
                    out[a.asname or a.name] = ("from", node.module or "", a.name)
    return out


class AliasFinder:
    """Decides, for one submission, whether graded functions are aliases of reference code.

    Args:
        chapter_sources: the code cells of the notebook as handed out (their functions are the chapter's).
        own_names: the graded functions' names (their skeletons are not reference code).
    """

    def __init__(self, chapter_sources: list[str], own_names: set[str]):
        self.chapter_defs: dict[str, str] = {}
        for name, b in bindings(chapter_sources).items():
            if b[0] == "def" and name not in own_names:
                self.chapter_defs[name] = ast.dump(b[1])
        self.own_names = own_names

    def _reference(self, expr: ast.AST, env: dict, depth: int = 0) -> str:
        """What reference function ``expr`` names ('' if none): chapter code or anything from vaebook."""
        if depth > 10:
            return ""
        if isinstance(expr, ast.Name):
            b = env.get(expr.id)
            if b is None:
                return ""
            if b[0] == "def":
                return expr.id if self.chapter_defs.get(expr.id) == ast.dump(b[1]) else ""
            if b[0] == "assign":
                return self._reference(b[1], env, depth + 1)
            if b[0] == "from":
                return f"{b[1]}.{b[2]}" if b[1].split(".")[0] == "vaebook" else ""
            if b[0] == "module":
                return b[1] if b[1].split(".")[0] == "vaebook" else ""
            return ""
        if isinstance(expr, ast.Attribute):
            root = expr
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and self._reference(root, env, depth + 1):
                return ast.unparse(expr)
            if isinstance(root, ast.Name) and root.id == "vaebook" and root.id not in env:
                return ast.unparse(expr)
            return ""
        if isinstance(expr, ast.Lambda):
            return self._reference(expr.body, env, depth + 1)
        if isinstance(expr, ast.Call):  # a call returning the reference, or functools.partial(reference, ...)
            found = self._reference(expr.func, env, depth + 1)
            if found:
                return found
            for arg in expr.args:
                found = self._reference(arg, env, depth + 1)
                if found:
                    return found
        return ""

    def _wrapper_of(self, node: ast.FunctionDef, env: dict, depth: int) -> str:
        """The reference a ``def`` only forwards to ('' if its body does its own work)."""
        body = [
            s
            for s in node.body
            if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))  # docstring
            and not isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass))
        ]
        local = dict(env)
        for s in node.body:
            if isinstance(s, (ast.Import, ast.ImportFrom)):
                local.update(bindings([ast.unparse(s)]))
        value = None
        if len(body) == 1 and isinstance(body[0], ast.Return):
            value = body[0].value
        elif (
            len(body) == 2
            and isinstance(body[0], ast.Assign)
            and isinstance(body[1], ast.Return)
            and isinstance(body[1].value, ast.Name)
            and any(isinstance(t, ast.Name) and t.id == body[1].value.id for t in body[0].targets)
        ):
            value = body[0].value
        if value is None:
            return ""
        found = self._reference(value, local, depth + 1)
        if found:
            return found
        # It forwards to the student's own helper: judge that helper.
        callee = value.func if isinstance(value, ast.Call) else value
        if isinstance(callee, ast.Name) and callee.id != node.name:
            b = local.get(callee.id)
            if b and b[0] == "def" and depth < 10:
                return self._wrapper_of(b[1], local, depth + 1)
        return ""

    def verdict(self, name: str, sources: list[str], kernel_info: dict | None = None) -> str:
        """'' if ``name`` (as last bound in ``sources``) is the student's own code, else a sentence saying why not."""
        env = bindings(sources)
        b = env.get(name)
        if b is not None:
            kind = b[0]
            if kind == "def":
                if self.chapter_defs.get(name) == ast.dump(b[1]):
                    return f"`{name}` is the chapter's own function, not one you wrote"
                found = self._wrapper_of(b[1], env, 0)
                if found:
                    return f"`{name}` only calls `{found}`, which the chapter or vaebook provides: write it yourself"
            elif kind in ("assign", "from", "module"):
                expr = b[1] if kind == "assign" else None
                found = self._reference(expr, env) if expr is not None else self._reference(ast.Name(name), env)
                if found:
                    return f"`{name}` is `{found}`, which the chapter or vaebook provides: write it yourself"
                if isinstance(expr, ast.Name) and env.get(expr.id, ("",))[0] == "def":
                    return self.verdict(expr.id, sources, None) if expr.id != name else ""
                if kind != "assign" or isinstance(expr, (ast.Name, ast.Attribute, ast.Call, ast.Lambda)):
                    shown = ast.unparse(expr) if expr is not None else f"{b[1]}.{b[2]}" if kind == "from" else b[1]
                    if kind == "assign" and isinstance(expr, ast.Lambda) and not self._reference(expr, env):
                        return ""
                    return f"`{name}` is `{shown}`, a function you did not write in this notebook"
        if kernel_info and kernel_info.get("callable"):
            module, fname = kernel_info.get("module") or "", kernel_info.get("name") or ""
            if module.split(".")[0] == "vaebook":
                return f"`{name}` is `{module}.{fname}` from vaebook, not a function you wrote"
            if module not in ("__main__", "") and kernel_info.get("type") == "function":
                return f"`{name}` is `{module}.{fname}`, a function you did not write in this notebook"
            if fname in self.chapter_defs and fname != name:
                return f"`{name}` is the chapter's function `{fname}`, not one you wrote"
        return ""


def check_call(source: str) -> tuple[str, str] | None:
    """(check name, function name) of the first `check_xxx(fn)` call in a code cell, or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name.startswith("check_"):
                return name, node.args[0].id
    return None
