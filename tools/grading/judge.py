"""Judge one graded exercise in the grader's own process, out of the student's reach.

The student's kernel only ever *runs the student's function*: the trusted check (imported by this process before
any student code ran) calls a stand-in function, which sends the arguments to the kernel, runs the student's
function there, and reads back its result as plain data (numbers, arrays, tuples, strings; never a pickle, so
nothing the kernel writes can run code here). Whatever the notebook does to ``vaebook.exercises`` in its own kernel
changes nothing here, and the points come only from a genuine :class:`CheckReport` that passed.
"""

from __future__ import annotations

import base64
import json
import pickle
import secrets
import textwrap
from pathlib import Path

import numpy as np

from tools.grading.kernel import KernelSession

# Runs in the student's kernel: call the snapshot of the student's function on the pickled arguments, write the
# result as JSON. Nothing in it is trusted by the grader; it only has to be correct for an honest notebook.
CALL_SOURCE = """\
def _vaebook_rpc(key, args_path, out_path):
    import json as _j, pickle as _p, sys as _s, traceback as _tb, base64 as _b
    import numpy as _np

    def enc(x, depth=0):
        if depth > 20:
            return {"opaque": "nested too deeply"}
        if x is None or isinstance(x, (bool, int, float, str)):
            return {"py": x if not isinstance(x, int) or isinstance(x, bool) or abs(x) < 2**53 else float(x)}
        if isinstance(x, (tuple, list)):
            return {type(x).__name__: [enc(v, depth + 1) for v in x]}
        if isinstance(x, dict):
            return {"dict": [[str(k), enc(v, depth + 1)] for k, v in x.items()]}
        try:
            if "keras" in _s.modules and not isinstance(x, _np.ndarray):
                x = _s.modules["keras"].ops.convert_to_numpy(x)
            a = _np.asarray(x)
            if a.dtype.kind in "biufc":
                a = _np.ascontiguousarray(a)
                return {"nd": _b.b64encode(a.tobytes()).decode(), "dtype": a.dtype.str, "shape": list(a.shape)}
        except Exception:
            pass
        return {"opaque": type(x).__name__}

    with open(args_path, "rb") as f:
        args, kwargs = _p.load(f)
    fn = globals()["%(snap)s"].get(key)
    try:
        out = {"value": enc(fn(*args, **kwargs))}
    except BaseException as err:
        tb = _tb.extract_tb(err.__traceback__)
        where = tb[-1] if tb else None
        out = {"error": {"type": type(err).__name__, "message": str(err)[:2000],
                         "where": f"line {where.lineno}: {where.line}" if where else ""}}
    with open(out_path, "w") as f:
        _j.dump(out, f)
"""

DESCRIBE_SOURCE = """\
def _vaebook_describe(key, name, out_path):
    import json as _j
    fn = globals().get(name)
    globals()["%(snap)s"][key] = fn
    info = {"defined": name in globals(), "callable": callable(fn), "type": type(fn).__name__,
            "module": str(getattr(fn, "__module__", "")), "name": str(getattr(fn, "__name__", ""))}
    with open(out_path, "w") as f:
        _j.dump(info, f)
"""


class Opaque:
    """A result the kernel could not express as numbers (a model, a function...): checks see a non-numeric object."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


_NUMERIC = set("biufc")


def decode(obj, depth: int = 0):
    """The value of a JSON result written by the kernel; plain data only (ValueError if malformed)."""
    if depth > 25 or not isinstance(obj, dict) or len(obj) > 3:
        raise ValueError("malformed result")
    if "py" in obj:
        value = obj["py"]
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise ValueError("malformed result")
        return value
    if "tuple" in obj or "list" in obj:
        items = [decode(v, depth + 1) for v in obj.get("tuple", obj.get("list"))]
        return tuple(items) if "tuple" in obj else items
    if "dict" in obj:
        return {str(k): decode(v, depth + 1) for k, v in obj["dict"]}
    if "nd" in obj:
        dtype = np.dtype(str(obj["dtype"]))
        if dtype.kind not in _NUMERIC or dtype.hasobject:
            raise ValueError("malformed result")
        shape = tuple(int(s) for s in obj["shape"])
        return np.frombuffer(base64.b64decode(obj["nd"]), dtype=dtype).reshape(shape).copy()
    if "opaque" in obj:
        return Opaque(str(obj["opaque"])[:100])
    raise ValueError("malformed result")


def _student_error(info: dict) -> Exception:
    name = str(info.get("type", "Exception"))
    name = name if name.isidentifier() else "Exception"
    err = type(name, (Exception,), {})(str(info.get("message", "")))
    err.student_where = str(info.get("where", ""))
    return err


class StudentFunction:
    """Stands in, in this process, for the student's function in the kernel (what the trusted check calls)."""

    def __init__(self, session: KernelSession, key: str, workdir: Path, snap: str, limit: float):
        self.session, self.key, self.workdir, self.snap, self.limit = session, key, Path(workdir), snap, limit
        self.calls = 0

    def __call__(self, *args, **kwargs):
        from vaebook.exercises._checking import _StudentTimeout

        self.calls += 1
        args_path = self.workdir / f"args-{secrets.token_hex(6)}.pkl"
        out_path = self.workdir / f"out-{secrets.token_hex(6)}.json"
        with args_path.open("wb") as f:
            pickle.dump((args, kwargs), f, protocol=4)
        source = (
            CALL_SOURCE % {"snap": self.snap} + f"_vaebook_rpc({self.key!r}, {str(args_path)!r}, {str(out_path)!r})"
        )
        status, _ = self.session.run_code(source, timeout=self.limit)
        args_path.unlink(missing_ok=True)
        if status in ("timeout", "dead"):
            raise _StudentTimeout(self.limit)
        try:
            result = json.loads(out_path.read_text())
        except (OSError, ValueError) as err:
            raise RuntimeError("the grader could not read your function's result") from err
        finally:
            out_path.unlink(missing_ok=True)
        if "error" in result:
            raise _student_error(result["error"])
        return decode(result.get("value"))


def describe(session: KernelSession, key: str, name: str, workdir: Path, snap: str) -> dict:
    """Snapshot the student's ``name`` under ``key`` in the kernel; what it is (defined, callable, module, name)."""
    out_path = Path(workdir) / f"describe-{secrets.token_hex(6)}.json"
    source = DESCRIBE_SOURCE % {"snap": snap} + f"_vaebook_describe({key!r}, {name!r}, {str(out_path)!r})"
    status, _ = session.run_code(f"globals().setdefault({snap!r}, {{}})\n" + source, timeout=30)
    try:
        info = json.loads(out_path.read_text()) if status == "ok" else {}
    except (OSError, ValueError):
        info = {}
    out_path.unlink(missing_ok=True)
    return {k: info.get(k) for k in ("defined", "callable", "type", "module", "name")}


def run_check(check, fn: StudentFunction):
    """(passed, report text): passed only for a genuine CheckReport of this process whose every line passed."""
    from vaebook.exercises._checking import CheckReport

    report = check(fn)
    genuine = type(report) is CheckReport and bool(report.lines)
    passed = genuine and all(ok is True for ok, _ in report.lines)
    return passed, str(report) if genuine else f"the check returned {type(report).__name__}, not a report"


def dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n")
