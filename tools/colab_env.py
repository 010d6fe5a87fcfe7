"""Build the Colab-like virtual environment for `make test-colab` and check that installing vaebook changes nothing.

    python tools/colab_env.py VENV        # create VENV (if needed), install colab-pins.txt, then vaebook
    python tools/colab_env.py --check     # this interpreter's environment (make test's .venv, pinned to Colab's
                                          # versions but for PyTorch): the pins hold, and the bootstrap cell's
                                          # pip command would change none of them (pip's dry run)

Steps:
1. create VENV with this Python (Colab has 3.13; this project's machines have 3.11, see colab-pins.txt);
2. install exactly the versions in colab-pins.txt, then the test tools (pytest, nbval, ...) constrained by them;
3. install vaebook with the bootstrap cell's own pip command (tools/bootstrap_cell.py: `pip install -q
   "vaebook @ git+URL@BRANCH"`), with URL this checkout (file://) and BRANCH its HEAD commit;
4. fail (exit 1) if a pinned package is not at its pinned version, or if step 3 changed, added or removed any
   package pinned in colab-pins.txt; list every other package step 3 changed.
Step 2 is skipped when VENV already holds this colab-pins.txt (a stamp file records it); step 3 and 4 always run.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PINS = ROOT / "colab-pins.txt"
BOOTSTRAP_TEMPLATE = ROOT / "tools" / "bootstrap_cell.py"
# What the tests need besides Colab's stack (Colab ships pytest and ipykernel too, at its own versions).
TEST_TOOLS = [
    "pytest",
    "pytest-xdist",
    "nbval",
    "nbformat",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "importlib_resources",
]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path = PINS) -> dict[str, str]:
    """{canonical name: version} from a file of `name==version` lines (comments and blank lines ignored)."""
    pins = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        if not match:
            raise ValueError(f"{path}:{number}: expected 'name==version', got {line!r}")
        pins[canonical(match.group(1))] = match.group(2)
    if not pins:
        raise ValueError(f"{path}: no pins")
    return pins


def bootstrap_pip_command(python: str, repository_url: str, branch: str) -> list[str]:
    """The argument list the bootstrap cell gives to subprocess.run, for this python, repository and branch."""
    source = BOOTSTRAP_TEMPLATE.read_text().format(repository_url=repository_url, branch=branch)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "run" and node.args:
            args = node.args[0]
            if isinstance(args, ast.List) and any(isinstance(a, ast.Constant) and a.value == "pip" for a in args.elts):
                command = []
                for arg in args.elts:
                    if isinstance(arg, ast.Constant):
                        command.append(arg.value)
                    elif ast.unparse(arg) == "sys.executable":
                        command.append(python)
                    else:
                        raise ValueError(
                            f"bootstrap pip command has an argument this tool cannot evaluate: {ast.unparse(arg)}"
                        )
                return command
    raise ValueError(f"{BOOTSTRAP_TEMPLATE}: no subprocess.run([... 'pip' ...]) call found")


def installed(python: str) -> dict[str, str]:
    out = subprocess.run(
        [python, "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {canonical(p["name"]): p["version"] for p in json.loads(out)}


def run(command: list[str]) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True)


# The pinned packages the project's own .venv takes from requirements-backends.txt instead: PyTorch's CPU build
# (Colab's is a CUDA wheel of several GB) and a current JAX (see there why). `make test-colab` installs Colab's.
NOT_PINNED_HERE = {"torch", "jax", "jaxlib"}


def check_here(python: str = sys.executable) -> int:
    """The gate's check: pins hold in this environment, and installing vaebook as Colab does would change none."""
    start = time.perf_counter()
    pins = read_pins()
    have = installed(python)
    problems = [
        f"✗ {name}: {have.get(name) or 'not installed'} here, colab-pins.txt pins {version}"
        for name, version in pins.items()
        if name not in NOT_PINNED_HERE and have.get(name) != version
    ]
    # The bootstrap cell installs "vaebook @ git+URL@BRANCH": the same pyproject.toml as this checkout, so pip's
    # resolution is the same for the checkout's folder (pip 23 cannot parse a git+file URL with a revision).
    dry = [python, "-m", "pip", "install", "--dry-run", "--quiet", "--report", "-", str(ROOT)]
    print("+", " ".join(dry), flush=True)
    report = json.loads(subprocess.run(dry, check=True, capture_output=True, text=True).stdout)
    would = {canonical(item["metadata"]["name"]): item["metadata"]["version"] for item in report.get("install", [])}
    if "vaebook" not in would:
        problems.append("✗ pip's dry run would not install vaebook: the bootstrap command is broken")
    for name, version in sorted(would.items()):
        if name in pins:
            problems.append(f"✗ installing vaebook would change {name}: {have.get(name)} -> {version}")
        elif name != "vaebook":
            print(f"note: installing vaebook would also install {name} {version}")
    for line in problems:
        print(line)
    if problems:
        return 1
    print(
        f"colab pins ok: {len(pins) - len(NOT_PINNED_HERE)} pinned packages as Colab has them, and the bootstrap "
        f"cell's pip command would change none ({time.perf_counter() - start:.0f} s)"
    )
    return 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["--check"]:
        return check_here()
    if len(argv) != 2:
        print(__doc__)
        return 2
    venv = Path(argv[1]).resolve()
    python = str(venv / "bin" / "python")
    pins = read_pins()
    stamp = venv / ".colab-pins-installed"
    digest = hashlib.sha256(PINS.read_bytes()).hexdigest()
    start = time.perf_counter()
    if not (stamp.is_file() and stamp.read_text() == digest):
        if not Path(python).exists():
            run([sys.executable, "-m", "venv", str(venv)])
        run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"])
        run([python, "-m", "pip", "install", "-q", "-r", str(PINS)])
        run([python, "-m", "pip", "install", "-q", "-c", str(PINS), *TEST_TOOLS])
        stamp.write_text(digest)
        print(f"colab pins installed in {time.perf_counter() - start:.0f} s")
    before = installed(python)
    wrong = {name: (before.get(name), version) for name, version in pins.items() if before.get(name) != version}
    if wrong:
        for name, (got, want) in wrong.items():
            print(f"✗ {name}: {got or 'not installed'} in {venv.name}, colab-pins.txt pins {want}")
        return 1
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    if dirty:
        print(
            f"note: the checkout has uncommitted changes; pip installs commit {commit[:12]} (the tests import "
            f"the working tree)"
        )
    run(bootstrap_pip_command(python, f"file://{ROOT}", commit))
    after = installed(python)
    changed = {
        name: (before.get(name), after.get(name))
        for name in set(before) | set(after)
        if before.get(name) != after.get(name) and name != "vaebook"
    }
    pinned_changes = {n: c for n, c in changed.items() if n in pins}
    for name, (old, new) in sorted(changed.items()):
        mark = "✗" if name in pins else "note:"
        print(f"{mark} installing vaebook changed {name}: {old or 'absent'} -> {new or 'removed'}")
    if "vaebook" not in after:
        print("✗ vaebook is not installed after the bootstrap cell's pip command")
        return 1
    if pinned_changes:
        print(
            f"✗ pip changed {len(pinned_changes)} package(s) that Colab ships: a Colab reader would get them "
            f"upgraded (and a runtime restart)"
        )
        return 1
    print(
        f"colab environment ok: {len(pins)} pinned packages unchanged by installing vaebook {after['vaebook']} "
        f"({time.perf_counter() - start:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
