"""Benchmark: the book's models on TensorFlow, JAX and PyTorch, side by side on this machine's CPU.

One worker process per backend (Keras fixes the backend at import), each holding the same models on the same
digits. The parent interleaves them epoch by epoch — model A on TensorFlow, on JAX, on PyTorch, then again — so
that the load of a shared machine falls on every backend alike. The first epoch of each model (tracing and
compilation) is reported apart; the per-epoch time is the median of the following ``--epochs`` epochs; the
ratio is each backend's median over the fastest backend's median for that model.

Models (the chapters' architectures as the package builds them, at the quick profile's widths, batch sizes as in
the chapters):

- ``conv_ae`` — chapter 3, ``build_conv_autoencoder(filters=(16, 32))``, code size 8, batch 64;
- ``vae`` — chapter 7, ``build_mnist_vae(latent_dim=16, filters=(32, 64))``, batch 128;
- ``mlp_vae`` — chapters 7 and 8, ``build_mnist_mlp_vae(latent_dim=16)``, batch 128;
- ``cvae`` — chapter 8, ``build_mnist_cvae(latent_dim=16, filters=(32, 64))``, batch 128;
- ``vqvae`` — chapter 9, ``build_mnist_vqvae(latent_dim=16, num_embeddings=128)``, batch 128.

Usage: ``python benchmarks/backends.py [--epochs 3] [--n-train 4000] [--models vae,cvae]
[--backends tensorflow,jax,torch]``. A backend may carry environment settings, e.g.
``jax+XLA_FLAGS=--xla_cpu_multi_thread_eigen=false``. Each run writes a ``benchmark`` record (tools/records.py)
under records/benchmark/ unless ``--no-record``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ("conv_ae", "vae", "mlp_vae", "cvae", "vqvae")


# ---- worker: one backend, all models ----------------------------------------------------------------------


def _build(name: str, x, y):
    import keras

    from vaebook import data
    from vaebook.models import (
        build_conv_autoencoder,
        build_mnist_cvae,
        build_mnist_mlp_vae,
        build_mnist_vae,
        build_mnist_vqvae,
    )

    xb = data.binarize(x, seed=0)
    if name == "conv_ae":
        model, fit_args, batch = build_conv_autoencoder((28, 28, 1), 8, filters=(16, 32)), (x,), 64
        model.compile(optimizer=keras.optimizers.Adam(2e-3))
    elif name == "vae":
        model, fit_args, batch = build_mnist_vae(latent_dim=16, filters=(32, 64), seed=0), (xb,), 128
    elif name == "mlp_vae":
        model, fit_args, batch = build_mnist_mlp_vae(latent_dim=16, seed=0), (xb,), 128
    elif name == "cvae":
        model, fit_args, batch = build_mnist_cvae(latent_dim=16, filters=(32, 64), seed=0), (xb, y), 128
    elif name == "vqvae":
        model = build_mnist_vqvae(latent_dim=16, num_embeddings=128, data_variance=float(x.var()), seed=0)
        fit_args, batch = (x,), 128
    else:
        raise ValueError(f"unknown model {name!r}; expected one of {MODELS}")
    if not model.compiled:
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model, fit_args, batch


def worker(models: list[str], n_train: int) -> None:
    """Read model names from stdin, train that model one epoch, answer with the seconds it took (JSON)."""
    import keras
    import numpy as np

    from vaebook import config, data

    config.set_seed(0)
    x, y = data.load_mnist("train", verbose=False)
    x, y = x[:n_train], y[:n_train]
    built = {name: _build(name, x, y) for name in models}
    print(
        json.dumps(
            {
                "ready": keras.backend.backend(),
                "n_train": int(len(x)),
                "numpy": np.__version__,
                "keras": keras.__version__,
            }
        ),
        flush=True,
    )
    for line in sys.stdin:
        name = line.strip()
        if not name:
            break
        model, fit_args, batch = built[name]
        start = time.perf_counter()
        model.fit(*fit_args, batch_size=batch, epochs=1, verbose=0, shuffle=True)
        print(json.dumps({"model": name, "seconds": time.perf_counter() - start}), flush=True)


# ---- parent: interleave the workers -----------------------------------------------------------------------


def _start(spec: str, models: list[str], n_train: int) -> subprocess.Popen:
    backend, *settings = spec.split("+")
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    for setting in settings:
        key, _, value = setting.partition("=")
        env[key] = value
    return subprocess.Popen(
        [
            sys.executable,
            os.path.abspath(__file__),
            "--worker",
            "--models",
            ",".join(models),
            "--n-train",
            str(n_train),
        ],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _ask(proc: subprocess.Popen, message: str | None = None) -> dict:
    if message is not None:
        proc.stdin.write(message + "\n")
        proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"a worker ended early (exit code {proc.wait()})")
    return json.loads(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per model and backend (after the first)")
    parser.add_argument("--n-train", type=int, default=4000)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--backends", default="tensorflow,jax,torch")
    parser.add_argument("--no-record", action="store_true", help="write no record under records/benchmark/")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    models = [m for m in args.models.split(",") if m]
    if args.worker:
        worker(models, args.n_train)
        return 0
    if args.epochs < 1:
        raise ValueError(f"--epochs must be at least 1; got {args.epochs}")
    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        raise ValueError(f"unknown models {unknown}; expected some of {MODELS}")
    specs = [b for b in args.backends.split(",") if b]
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from tools import records

    run_start, load_start = time.perf_counter(), records.load_average()
    procs = {spec: _start(spec, models, args.n_train) for spec in specs}
    try:
        info = {spec: _ask(p) for spec, p in procs.items()}
        times = {(spec, m): [] for spec in specs for m in models}
        for _round in range(args.epochs + 1):  # round 0: tracing and compilation
            for model in models:
                for spec, proc in procs.items():
                    times[spec, model].append(_ask(proc, model)["seconds"])
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.stdin.write("\n")
                proc.stdin.flush()
                proc.wait(timeout=60)
    n = next(iter(info.values()))["n_train"]
    print(
        f"Per-epoch seconds on {os.cpu_count()} CPU cores, {n} training digits, median of {args.epochs} epochs "
        f"after the first (first epoch, with compilation, in brackets); ratio to the fastest backend."
    )
    print("keras " + ", ".join(f"{spec}: {i['keras']}" for spec, i in info.items()))
    print()
    print("| model | " + " | ".join(specs) + " | slowest / fastest |")
    print("|---|" + "---|" * len(specs) + "---|")
    rows, first = {}, {}
    for model in models:
        medians = {spec: statistics.median(times[spec, model][1:]) for spec in specs}
        best = min(medians.values())
        cells = [f"{medians[s]:.2f} s ({times[s, model][0]:.1f}) ×{medians[s] / best:.2f}" for s in specs]
        print(f"| {model} | " + " | ".join(cells) + f" | {max(medians.values()) / best:.2f} |")
        rows[model] = {f"{s} s/epoch": round(medians[s], 2) for s in specs}
        rows[model]["slowest / fastest"] = round(max(medians.values()) / best, 2)
        first[model] = {s: round(times[s, model][0], 1) for s in specs}
    if not args.no_record:
        path = records.write_record(
            "benchmark",
            "backends",
            {
                "rows": rows,
                "first epoch, with compilation (s)": first,
                "seconds": round(time.perf_counter() - run_start),
            },
            args=records.command_line(args, skip=("no_record", "worker")),
            keras={spec: i["keras"] for spec, i in info.items()},
            load_start=load_start,
            load_end=records.load_average(),
        )
        print(f"\nrecord: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
