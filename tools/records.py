"""Measurements as data: one JSON file per run under ``records/<kind>/``, from which ``status.md`` is rendered.

A record says what was measured (``kind``, ``name``), the numbers (``figures``), how (``context``: profile,
backend, arguments), when (UTC, ISO 8601), where (CPU count and model, memory, OS, whether a GPU is visible; never
a host name) and with which versions (read from the installed packages' metadata, without importing them):

    from tools import records          # with the repository root on sys.path

    start = records.load_average()
    ...                                # run the chapter, the command or the benchmark
    records.write_record(
        "notebook", "07_vae_mnist", {"seconds": 147.2, "status": "ok"},
        profile="quick", backend="tensorflow", load_start=start, load_end=records.load_average(),
    )

Kinds with a fixed shape (checked when written and when read):

- ``notebook``: name = the chapter's file stem; figures ``seconds`` (number), ``status`` (``"ok"`` or why not);
  context ``profile`` and ``backend``;
- ``command``: name = the command (``"make test"``, ``".ci/run"``, ``"tier fast"``); figures ``seconds``
  (number, or null where only the parts were timed), ``status``, optional ``parts`` ({part: seconds});
- ``benchmark``: name = the script's stem; figures as the script likes (plain JSON). A figure holding
  ``{row: {column: value}}`` is rendered as a table by ``tools/status_page.py``.

Any other kind (lower case, letters, digits, ``-`` and ``_``) is accepted with free-form figures.

Command line:

    python tools/records.py check                 # validate every record; exit 1 naming the first bad file
    python tools/records.py list [KIND]           # one line per record: when, kind, name, main figures
    python tools/records.py write KIND NAME --figures '{"seconds": 12, "status": "ok"}' [--context key=value ...]

``VAEBOOK_RECORDS=/some/dir`` sends records elsewhere than the repository's ``records/`` (tests, trial runs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import math
import os
import platform
import re
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDS_DIR = ROOT / "records"
SCHEMA = 1
REQUIRED_FIELDS = ("schema", "kind", "name", "when", "figures", "context", "where", "versions")
# Distributions whose versions a record carries (importlib.metadata: nothing heavy is imported).
PACKAGES = ("vaebook", "keras", "tensorflow", "jax", "jaxlib", "torch", "numpy")
_KIND = re.compile(r"^[a-z][a-z0-9_-]*$")


# ---- where, versions, load ---------------------------------------------------------------------------------------


def _first_line_value(path: str, key: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                name, sep, value = line.partition(":")
                if sep and name.strip() == key:
                    return value.strip()
    except OSError:
        return None
    return None


def _gpus() -> list[str]:
    """Models of the NVIDIA GPUs the driver lists, [] if none is visible (CUDA_VISIBLE_DEVICES="" hides them)."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return []
    models = []
    for info in sorted(glob.glob("/proc/driver/nvidia/gpus/*/information")):
        models.append(_first_line_value(info, "Model") or "NVIDIA GPU")
    if not models and os.path.exists("/dev/nvidia0"):
        models.append("NVIDIA GPU")
    return models


def machine_info() -> dict:
    """The machine a measurement ran on: CPUs, CPU model, memory, OS, visible GPUs. No host name, no user."""
    memory = _first_line_value("/proc/meminfo", "MemTotal")  # "131072000 kB"
    memory_gib = round(int(memory.split()[0]) / 2**20, 1) if memory and memory.split()[0].isdigit() else None
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpus = _gpus()
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": _first_line_value("/proc/cpuinfo", "model name") or platform.processor() or None,
        "memory_gib": memory_gib,
        "os": f"{platform.system()} {platform.release()}".strip(),
        "arch": platform.machine(),
        "gpu": bool(gpus),
        "gpu_models": gpus,
    }


def package_versions() -> dict:
    """Python's version and those of the installed packages in ``PACKAGES`` (None where not installed)."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    if found["tensorflow"] is None:  # the CPU-only wheel has another distribution name
        try:
            found["tensorflow"] = metadata.version("tensorflow-cpu")
        except metadata.PackageNotFoundError:
            pass
    return found


def load_average() -> list[float] | None:
    """The 1-, 5- and 15-minute load averages now (None where the OS has none): pass as load_start / load_end."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def command_line(args, skip: tuple[str, ...] = ()) -> str:
    """An argparse namespace as the options that reproduce it: "--epochs 10 --n-train 4000" (for context args)."""
    parts = []
    for key, value in vars(args).items():
        if key in skip or value is None or value is False:
            continue
        option = "--" + key.replace("_", "-")
        parts.append(option if value is True else f"{option} {value}")
    return " ".join(parts)


# ---- plain JSON ----------------------------------------------------------------------------------------------------


def _plain(value, where: str):
    """``value`` as plain JSON: NumPy scalars and arrays as numbers and lists, NaN and infinities as None."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: keys must be strings; got {key!r}")
            out[key] = _plain(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if hasattr(value, "tolist"):  # NumPy array or scalar, without importing NumPy
        return _plain(value.tolist(), where)
    if hasattr(value, "item"):
        return _plain(value.item(), where)
    kind = type(value).__name__
    raise ValueError(f"{where}: expected plain JSON (number, string, bool, None, list, dict); got {kind}")


# ---- validation ----------------------------------------------------------------------------------------------------


def parse_when(when: str) -> dt.datetime:
    """A record's time as an aware UTC datetime; a bare date (YYYY-MM-DD, for transcribed records) is its midnight."""
    if not isinstance(when, str):
        raise ValueError(f"'when' must be an ISO 8601 string; got {when!r}")
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", when):
            return dt.datetime.fromisoformat(when).replace(tzinfo=dt.timezone.utc)
        parsed = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'when' must be an ISO 8601 date or UTC time; got {when!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"'when' must carry its time zone (UTC, ending in Z); got {when!r}")
    return parsed.astimezone(dt.timezone.utc)


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def validate(record, source: str = "record") -> dict:
    """Check a record's shape; return it. Raises ValueError naming ``source`` and the missing or bad field."""
    if not isinstance(record, dict):
        raise ValueError(f"{source}: a record is a JSON object; got {type(record).__name__}")
    for field in REQUIRED_FIELDS:
        if field not in record:
            raise ValueError(f"{source}: missing field {field!r} (a record has {', '.join(REQUIRED_FIELDS)})")
    if record["schema"] != SCHEMA:
        raise ValueError(f"{source}: field 'schema' must be {SCHEMA}; got {record['schema']!r}")
    kind, name, figures = record["kind"], record["name"], record["figures"]
    if not isinstance(kind, str) or not _KIND.match(kind):
        raise ValueError(f"{source}: field 'kind' must be lower case letters, digits, '-' or '_'; got {kind!r}")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{source}: field 'name' must be a non-empty string; got {name!r}")
    try:
        parse_when(record["when"])
    except ValueError as err:
        raise ValueError(f"{source}: {err}") from None
    for field in ("figures", "context", "where", "versions"):
        if not isinstance(record[field], dict):
            raise ValueError(f"{source}: field {field!r} must be a JSON object; got {type(record[field]).__name__}")
    load = record.get("load")
    if load is not None:
        if not isinstance(load, dict) or set(load) - {"start", "end"}:
            raise ValueError(f"{source}: field 'load' must be {{'start': [...], 'end': [...]}} or null; got {load!r}")
        for key, value in load.items():
            if value is not None and not (isinstance(value, list) and value and all(_is_number(x) for x in value)):
                raise ValueError(f"{source}: field 'load.{key}' must be a list of load averages or null; got {value!r}")
    if kind in ("notebook", "command"):
        seconds = figures.get("seconds", "missing")
        if seconds == "missing":
            raise ValueError(f"{source}: missing field 'figures.seconds' (a {kind} record's wall time in seconds)")
        if not (_is_number(seconds) or (kind == "command" and seconds is None)):
            raise ValueError(f"{source}: field 'figures.seconds' must be a number; got {seconds!r}")
        if not isinstance(figures.get("status"), str):
            raise ValueError(f"{source}: missing field 'figures.status' (a string: 'ok' or what failed)")
    if kind == "notebook":
        for field in ("profile", "backend"):
            if not isinstance(record["context"].get(field), str):
                raise ValueError(f"{source}: missing field 'context.{field}' (a notebook record's {field})")
    if kind == "command" and "parts" in figures:
        parts = figures["parts"]
        if not isinstance(parts, dict) or not all(_is_number(s) or s is None for s in parts.values()):
            raise ValueError(f"{source}: field 'figures.parts' must map part names to seconds; got {parts!r}")
    return record


# ---- writing and reading -------------------------------------------------------------------------------------------


def resolve_dir(out_dir=None) -> Path:
    """Where records live: ``out_dir``, else $VAEBOOK_RECORDS, else the repository's ``records/``."""
    if out_dir is not None:
        return Path(out_dir)
    return Path(os.environ["VAEBOOK_RECORDS"]) if os.environ.get("VAEBOOK_RECORDS") else RECORDS_DIR


def slug(name: str) -> str:
    """A file-name-safe form of a name: "make test" -> "make-test", ".ci/run" -> "ci-run" (no "+", which numbers)."""
    text = re.sub(r"[^a-z0-9._]+", "-", name.lower()).strip("-._")
    return re.sub(r"-{2,}", "-", text)[:80] or "record"


def write_record(
    kind: str,
    name: str,
    figures: dict,
    *,
    out_dir=None,
    when: str | None = None,
    load_start=None,
    load_end=None,
    where: dict | None = None,
    versions: dict | None = None,
    **context,
) -> Path:
    """Write one record as ``<records>/<kind>/<UTC time>-<name>.json``; return its path.

    ``figures`` are the numbers (plain JSON; NumPy scalars are converted, NaN becomes null). Every other keyword
    goes into ``context`` (profile, backend, arguments ...), except: ``out_dir`` (the records folder, default
    $VAEBOOK_RECORDS or the repository's ``records/``), ``when`` (default now; an ISO time or, for a measurement
    transcribed from an older page, its date), ``load_start`` / ``load_end`` (from :func:`load_average`), and
    ``where`` / ``versions`` (default: this machine, the installed packages). A bad record raises ValueError and
    writes nothing.
    """
    if not isinstance(figures, dict):
        raise ValueError(f"figures must be a dict of plain JSON values; got {type(figures).__name__}")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    record = {
        "schema": SCHEMA,
        "kind": kind,
        "name": name,
        "when": when if when is not None else now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "figures": _plain(figures, "figures"),
        "context": _plain(context, "context"),
        "where": _plain(where if where is not None else machine_info(), "where"),
        "versions": _plain(versions if versions is not None else package_versions(), "versions"),
        "load": None
        if load_start is None and load_end is None
        else {"start": _plain(load_start, "load_start"), "end": _plain(load_end, "load_end")},
    }
    validate(record, f"{kind} record {name!r}")
    stamp = parse_when(record["when"])
    stem = (stamp.strftime("%Y%m%d") if len(record["when"]) == 10 else stamp.strftime("%Y%m%dT%H%M%SZ")) + "-"
    # The profile and backend, where given, name the file too: one chapter's runs in several set-ups, one day.
    stem += "-".join(slug(str(x)) for x in (name, context.get("profile"), context.get("backend")) if x)
    folder = resolve_dir(out_dir) / kind
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    for n in range(1, 1000):  # exclusive create: two runs that share a name and a second get "+2", "+3" ...
        path = folder / f"{stem}{'' if n == 1 else f'+{n}'}.json"
        try:
            with open(path, "x", encoding="utf-8") as f:
                f.write(text)
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"no free file name for {name!r} in {folder}")


def write_benchmark(name: str, figures: dict, args, *, load_start=None, **context) -> Path:
    """A benchmark script's record: its command line (less ``--no-record``), the load over the run, ``context``."""
    path = write_record(
        "benchmark",
        name,
        figures,
        args=command_line(args, skip=("no_record",)),
        load_start=load_start,
        load_end=load_average(),
        **context,
    )
    print(f"record: {path}")
    return path


def read_record(path) -> dict:
    """One record file, validated (its kind must match its folder). ValueError naming the file otherwise."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    validate(record, str(path))
    if record["kind"] != path.parent.name:
        raise ValueError(f"{path}: field 'kind' is {record['kind']!r} but the file is in records/{path.parent.name}/")
    return record


def load_records(kind: str | None = None, *, records_dir=None) -> list[dict]:
    """Every record (of one ``kind``, or all), validated, oldest first (by ``when``, then file name)."""
    base = resolve_dir(records_dir)
    pattern = f"{kind}/*.json" if kind else "*/*.json"
    paths = sorted(base.glob(pattern))
    loaded = [(parse_when(r["when"]), _file_order(p), r) for p in paths for r in [read_record(p)]]
    return [r for _, _, r in sorted(loaded, key=lambda t: (t[0], t[1]))]


def _file_order(path: Path) -> tuple[str, int]:
    """Files of one second in the order they were written: "x.json" before "x+2.json"."""
    base, _, n = path.stem.partition("+")
    return base, int(n) if n.isdigit() else 1


# ---- command line --------------------------------------------------------------------------------------------------


def _key_value(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value; got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _summary(record: dict) -> str:
    figures = record["figures"]
    shown = {k: v for k, v in figures.items() if not isinstance(v, (dict, list))}
    context = ", ".join(f"{k}={v}" for k, v in record["context"].items() if k in ("profile", "backend"))
    return f"{record['when']:<20}  {record['kind']:<9}  {record['name']:<30}  {context:<30}  {json.dumps(shown)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=None, help="records folder (default $VAEBOOK_RECORDS or records/)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="validate every record")
    listing = sub.add_parser("list", help="one line per record")
    listing.add_argument("kind", nargs="?")
    write = sub.add_parser("write", help="write one record")
    write.add_argument("kind")
    write.add_argument("name")
    write.add_argument("--figures", required=True, help="a JSON object")
    write.add_argument("--context", action="append", type=_key_value, default=[], help="key=value (value as JSON)")
    args = parser.parse_args(argv)
    try:
        if args.command == "write":
            path = write_record(args.kind, args.name, json.loads(args.figures), out_dir=args.dir, **dict(args.context))
            print(path)
            return 0
        found = load_records(getattr(args, "kind", None), records_dir=args.dir)
    except (ValueError, json.JSONDecodeError) as err:
        print(f"records: {err}", file=sys.stderr)
        return 1
    if args.command == "check":
        print(f"{len(found)} records, all valid, in {resolve_dir(args.dir)}")
    else:
        for record in found:
            print(_summary(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
