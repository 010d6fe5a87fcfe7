"""Reference run for chapter 10: posterior collapse and its remedies, trained to convergence, three seeds.

Every model is chapter 10's: the convolutional encoder of chapter 7 (16-D Gaussian code) with the PixelCNN decoder
(32 channels) or a variant, on statically binarized MNIST. Models (``MODELS``):

- ``conv decoder``: chapter 7's VAE (a decoder that cannot model pixels on its own), for comparison;
- ``PixelCNN decoder``: 7×7 mask-A layer and two residual blocks (the chapter's decoder);
- ``KL annealing``: the same, β warmed up linearly from 0 to 1 over the first ``--anneal-epochs`` epochs;
- ``free bits 0.5``: the same, KL clamped below at 0.5 nats per dimension (batch average, Kingma et al. 2016);
- ``beta = 0.2``: the same, KL weight 0.2;
- ``decoder 3x3, no blocks`` and ``decoder 7x7, no blocks``: decoders of smaller receptive field (the chapter's is
  the third of the series);
- ``delta-VAE, 0.5 nats``: the posterior variance bounded above by σ²_max with ½(σ²_max − 1 − log σ²_max) = 0.5, so
  that every dimension's KL is at least δ = 0.5 nats (the committed rate of Razavi et al. 2019);
- ``VQ-VAE``: chapter 9's encoder and a 128-code quantizer with the same PixelCNN decoder.

Training: Adam (``--learning-rate``), batches of 64, at most ``--max-epochs`` epochs; after each epoch the held-out
validation digits' negative ELBO (β = 1, whatever the training objective; 2 samples) is measured, and training
stops when it has not improved by ``--min-delta`` nats for ``--patience`` epochs (for KL annealing: counted once the
warm-up has ended). The weights of the best epoch are kept. Measured on the test digits: NLL by importance sampling
(``--is-samples`` per digit, its standard error over digits), ELBO (10 samples), rate (KL), distortion
(−E log p(x|z) = KL − ELBO), active units, I_q; for the VQ-VAE the rate is 49 · log 128 nats (uniform prior), the
distortion −log p(x | c(x)), and the NLL bounds with the uniform and with a counted prior (chapter 10).

Usage::

    python reference/ch10_collapse.py [--jobs 2] [--seeds 0 1 2]   # writes vaebook/reference_runs/ch10_collapse.json

``--jobs N`` runs N worker processes, one thread each; finished (model, seed) runs are kept under
``_build/reference/ch10_collapse/`` so that a re-run resumes. ``--tiny`` is a seconds-long check of the script
(nothing is written to vaebook/).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "ch10_collapse"
MODELS = {
    "conv decoder": dict(kind="conv"),
    "PixelCNN decoder": dict(kind="pixelcnn"),
    "KL annealing": dict(kind="pixelcnn", anneal=True),
    "free bits 0.5": dict(kind="pixelcnn", free_bits=0.5),
    "beta = 0.2": dict(kind="pixelcnn", beta=0.2),
    "decoder 3x3, no blocks": dict(kind="pixelcnn", first_kernel_size=3, num_residual_blocks=0),
    "decoder 7x7, no blocks": dict(kind="pixelcnn", first_kernel_size=7, num_residual_blocks=0),
    "delta-VAE, 0.5 nats": dict(kind="pixelcnn", committed_rate=0.5),
    "VQ-VAE": dict(kind="vq"),
}
COST = {"conv": 1, "vq": 4, "pixelcnn": 5}  # rough relative cost, to balance the workers
LATENT, FILTERS, BATCH, CODES = 16, 32, 64, 128


def arguments(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--models", nargs="+", default=list(MODELS), help="a subset of the models, by name")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--max-epochs", type=int, default=40)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument("--min-delta", type=float, default=0.1)
    p.add_argument("--anneal-epochs", type=int, default=10)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--validation", type=int, default=500, help="training digits held out for the stopping rule")
    p.add_argument("--test", type=int, default=500, help="test digits measured")
    p.add_argument("--is-samples", type=int, default=200)
    p.add_argument("--tiny", action="store_true", help="a seconds-long check of the script; writes no result")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)  # "i/N": run the i-th share of the runs
    p.add_argument("--parts", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    unknown = sorted(set(args.models) - set(MODELS))
    if unknown:
        p.error(f"unknown models {unknown}; expected names from {list(MODELS)}")
    if args.tiny:
        args.max_epochs, args.patience, args.anneal_epochs = 2, 1, 1
        args.validation, args.test, args.is_samples = 64, 32, 4
    return args


# --------------------------------------------------------------------------------------------- one (model, seed)
def one_thread():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ["TF_NUM_INTRAOP_THREADS"] = os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    os.environ["OMP_NUM_THREADS"] = "1"
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)


def load_data(args):
    from vaebook import data

    x, _ = data.load_mnist("train", verbose=False)
    x_test, _ = data.load_mnist("test", verbose=False)
    xb = data.binarize(x, seed=0)
    n_train = len(xb) - args.validation
    if args.tiny:
        n_train = 256
    return xb[:n_train], xb[len(xb) - args.validation :], data.binarize(x_test[: args.test], seed=1), data


def committed_rate_variance(delta: float) -> float:
    """σ²_max with ½(σ²_max − 1 − log σ²_max) = δ, σ²_max < 1 (bisection)."""
    import math

    lo, hi = 1e-12, 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 0.5 * (mid - 1 - math.log(mid)) > delta:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def build(name: str, seed: int):
    import keras

    from vaebook import config
    from vaebook.models import (
        PixelCNNVAE,
        build_mnist_conditioner,
        build_mnist_encoder,
        build_mnist_pixelcnn_vae,
        build_mnist_pixelcnn_vqvae,
        build_mnist_vae,
    )

    spec = dict(MODELS[name])
    kind = spec.pop("kind")
    config.set_seed(seed)
    if kind == "conv":
        return build_mnist_vae(LATENT, seed=seed)
    if kind == "vq":
        return build_mnist_pixelcnn_vqvae(LATENT, num_embeddings=CODES, filters=FILTERS, seed=seed)
    spec.pop("anneal", None)
    delta = spec.pop("committed_rate", None)
    if delta is None:
        return build_mnist_pixelcnn_vae(LATENT, filters=FILTERS, seed=seed, **spec)
    max_var = committed_rate_variance(delta)

    class BoundedLogVariance(keras.layers.Layer):
        """log σ² squashed into (log 1e-4, log σ²_max): the posterior can never match the N(0, 1) prior."""

        def call(self, log_var):
            ops = keras.ops
            return ops.log(1e-4 + (max_var - 1e-4) * ops.sigmoid(log_var))

    base = build_mnist_encoder(LATENT)
    mean, log_var = base.outputs
    encoder = keras.Model(base.inputs, [mean, BoundedLogVariance()(log_var)], name="encoder")
    return PixelCNNVAE(encoder, build_mnist_conditioner(LATENT, FILTERS), filters=FILTERS, seed=seed)


def negative_elbo(model, x, samples=2):
    import numpy as np

    from vaebook import metrics

    if hasattr(model, "uniform_prior_kl"):
        return float(np.mean(model.reconstruction_nll(x))) + model.uniform_prior_kl
    return -float(np.mean(metrics.elbo(model, x, num_samples=samples, seed=0)))


def visible_pixels(model) -> int:
    """How many earlier pixels the decoder's logit at the centre pixel depends on (input pixels switched on one at
    a time, conditioning map zero); fails if any later pixel is visible (a broken mask)."""
    import numpy as np

    from vaebook.models.base import to_numpy

    h, w = model.image_shape[:2]
    c = np.zeros((1, h, w, int(model.pixel_decoder.filters)), "float32")
    probes = np.zeros((h * w + 1, h, w, 1), "float32")
    probes[np.arange(h * w), np.arange(h * w) // w, np.arange(h * w) % w, 0] = 1.0
    centre = (h // 2) * w + w // 2
    out = np.concatenate(
        [
            to_numpy(model.pixel_logits(probes[i : i + 128], np.repeat(c, len(probes[i : i + 128]), 0)))
            for i in range(0, len(probes), 128)
        ]
    )[:, h // 2, w // 2, 0]
    moved = np.abs(out[:-1] - out[-1]) > 1e-7
    if moved[centre:].any():
        raise RuntimeError("the decoder sees the centre pixel itself or a later one: the causal mask is broken")
    return int(moved.sum())


def fit(model, name, x_train, x_val, args):
    import keras

    from vaebook.callbacks import KLAnnealing

    steps_per_epoch = -(-len(x_train) // BATCH)
    first = args.anneal_epochs if MODELS[name].get("anneal") else 0  # epochs before selection starts

    class Stop(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.history, self.best, self.best_epoch, self.weights = [], float("inf"), 0, None

        def on_epoch_end(self, epoch, logs=None):
            value = negative_elbo(self.model, x_val)
            self.history.append(round(value, 3))
            if epoch + 1 <= first:
                return
            if value < self.best - args.min_delta:
                self.best, self.best_epoch, self.weights = value, epoch + 1, self.model.get_weights()
            elif epoch + 1 - max(self.best_epoch, first) >= args.patience:
                self.model.stop_training = True

    stop = Stop()
    callbacks = [stop]
    if MODELS[name].get("anneal"):
        callbacks.insert(0, KLAnnealing(warmup_steps=args.anneal_epochs * steps_per_epoch))
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate))
    model.fit(x_train, batch_size=BATCH, epochs=args.max_epochs, verbose=0, callbacks=callbacks, shuffle=True)
    epochs = len(stop.history)
    if stop.weights is not None:
        model.set_weights(stop.weights)
    return {
        "epochs": epochs,
        "best_epoch": stop.best_epoch,
        "converged": epochs < args.max_epochs,
        "validation_curve": stop.history,
        "steps_per_epoch": steps_per_epoch,
    }


def measure(model, x_test, x_train, args) -> dict:
    import numpy as np

    from vaebook import metrics

    if hasattr(model, "uniform_prior_kl"):  # the VQ-VAE
        recon = model.reconstruction_nll(x_test)
        codes = model.encode_indices(x_test)
        _, counts = np.unique(codes.reshape(len(codes), -1), axis=0, return_counts=True)
        p = counts / len(codes)
        counted = 1 + (model.encode_indices(x_train)[..., None] == np.arange(CODES)).sum(axis=0)
        log_prior = np.log(counted / counted.sum(axis=-1, keepdims=True))
        bound = model.nll_bound(x_test, log_prior)
        return {
            "NLL": float(np.mean(recon)) + model.uniform_prior_kl,
            "NLL_se": float(np.std(recon) / np.sqrt(len(recon))),
            "NLL_counted_prior": float(np.mean(bound)),
            "ELBO": -float(np.mean(recon)) - model.uniform_prior_kl,
            "KL": model.uniform_prior_kl,
            "distortion": float(np.mean(recon)),
            "active": None,
            "I_q": float(-np.sum(p * np.log(p))),
            "codes_used": float(len(np.unique(codes)) / CODES),
        }
    ll = metrics.importance_sampled_log_likelihood(model, x_test, num_samples=args.is_samples, seed=0)
    elbo = metrics.elbo(model, x_test, num_samples=10, seed=0)
    kl = float(metrics.kl_per_dimension(model, x_test).sum())
    return {
        "NLL": -float(np.mean(ll)),
        "NLL_se": float(np.std(ll) / np.sqrt(len(ll))),
        "ELBO": float(np.mean(elbo)),
        "KL": kl,
        "distortion": kl - float(np.mean(elbo)),
        "active": int(metrics.active_units(model, x_test)),
        "I_q": float(metrics.latent_mutual_information(model, x_test)),
    }


def run_one(name: str, seed: int, args) -> dict:
    x_train, x_val, x_test, _ = load_data(args)
    model = build(name, seed)
    start = time.perf_counter()
    training = fit(model, name, x_train, x_val, args)
    trained = time.perf_counter()
    result = {
        "seed": seed,
        **measure(model, x_test, x_train, args),
        **training,
        "train_s": round(trained - start, 1),
        "measure_s": round(time.perf_counter() - trained, 1),
    }
    if MODELS[name]["kind"] != "conv":
        result["visible_pixels"] = visible_pixels(model)
    return result


def worker(args):
    one_thread()
    index = int(args.worker.split("/")[0])
    parts = Path(args.parts)
    for name, seed in assignment(args)[index]:
        path = parts / f"{slug(name)}-seed{seed}.json"
        if path.exists():
            continue
        t = time.perf_counter()
        result = run_one(name, seed, args)
        result["modules"] = loaded_module_hashes()
        path.write_text(json.dumps(result, indent=1))
        print(
            f"[worker {index}] {name}, seed {seed}: {time.perf_counter() - t:.0f} s, "
            f"{result['epochs']} epochs, NLL {result['NLL']:.2f}, KL {result['KL']:.2f}",
            flush=True,
        )


# ------------------------------------------------------------------------------------------------- the driver
def slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")


def assignment(args) -> list[list[tuple[str, int]]]:
    """The (model, seed) runs split over ``args.jobs`` workers, longest first (greedy balance by ``COST``)."""
    runs = sorted(((n, s) for n in args.models for s in args.seeds), key=lambda r: -COST[MODELS[r[0]]["kind"]])
    shares, loads = [[] for _ in range(args.jobs)], [0] * args.jobs
    for run in runs:
        i = loads.index(min(loads))
        shares[i].append(run)
        loads[i] += COST[MODELS[run[0]]["kind"]]
    return shares


def loaded_module_hashes() -> dict[str, str]:
    from vaebook.reference import module_hashes

    return module_hashes(sys.modules)


def git(*cmd) -> str:
    return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def main(argv=None):
    args = arguments(argv)
    if args.worker:
        return worker(args)
    start, when = time.perf_counter(), datetime.now(timezone.utc)
    parts = ROOT / "_build" / "reference" / (NAME + ("-tiny" if args.tiny else ""))
    parts.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    commit = git("rev-parse", "HEAD")  # the code the runs start from
    base = [sys.executable, str(Path(__file__).resolve()), "--parts", str(parts), *sys.argv[1:]]
    procs = [subprocess.Popen([*base, "--worker", f"{i}/{args.jobs}"]) for i in range(args.jobs)]
    if any(p.wait() for p in procs):
        sys.exit("a worker failed; finished runs are kept, run the same command again to resume")
    one_thread()
    import keras
    import numpy as np

    from vaebook import data
    from vaebook.reference import validate_results

    models, hashes = {}, None
    for name in args.models:
        models[name] = []
        for seed in args.seeds:
            r = json.loads((parts / f"{slug(name)}-seed{seed}.json").read_text())
            mods = r.pop("modules")
            hashes = {**(hashes or {}), **mods}
            models[name].append(r)
    changed = sorted(
        rel
        for rel, digest in hashes.items()
        if not (ROOT / rel).exists() or hashlib.sha256((ROOT / rel).read_bytes()).hexdigest() != digest
    )
    if changed:
        sys.exit(f"vaebook changed while the runs were made ({changed}); delete {parts} and run again")
    n_train = len(load_data(args)[0])  # also records the data source for the provenance
    dirty = git("status", "--porcelain", "--", "vaebook", "reference")
    results = {
        "name": NAME,
        "description": "Chapter 10's posterior-collapse remedies trained to convergence (reference/ch10_collapse.py).",
        "criterion": (
            f"Adam {args.learning_rate:g}, batch {BATCH}; after each epoch the validation digits' "
            f"negative ELBO (beta = 1, 2 samples); stop when it has not improved by {args.min_delta:g} "
            f"nats for {args.patience} epochs (at most {args.max_epochs} epochs; for KL annealing counted "
            f"after the {args.anneal_epochs}-epoch warm-up); the best epoch's weights are measured"
        ),
        "settings": {
            "seeds": args.seeds,
            "latent_dim": LATENT,
            "filters": FILTERS,
            "batch_size": BATCH,
            "codes": CODES,
            "learning_rate": args.learning_rate,
            "max_epochs": args.max_epochs,
            "patience": args.patience,
            "min_delta": args.min_delta,
            "anneal_epochs": args.anneal_epochs,
            "train_digits": n_train,
            "validation_digits": args.validation,
            "test_digits": args.test,
            "is_samples": args.is_samples,
            "committed_rate_max_variance": committed_rate_variance(0.5),
        },
        "models": models,
        "provenance": {
            "command": "python reference/ch10_collapse.py " + " ".join(sys.argv[1:]),
            "commit": commit + (" (with uncommitted changes)" if dirty else ""),
            "date": when.isoformat(timespec="seconds"),
            "wall_time_s": round(time.perf_counter() - start, 1),
            "machine": {
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "workers": args.jobs,
                "threads_per_worker": 1,
                "load_at_start": round(load, 2),
            },
            "data": data._source.get("mnist", "unknown"),
            "backend": keras.backend.backend(),
            "versions": {"keras": keras.__version__, "numpy": np.__version__, "python": platform.python_version()},
            "modules": dict(sorted(hashes.items())),
        },
    }
    validate_results(results, NAME)
    if args.tiny:
        print(json.dumps({k: v[0] for k, v in models.items()}, indent=1)[:3000])
        return results
    out = ROOT / "vaebook" / "reference_runs" / f"{NAME}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {out.relative_to(ROOT)} in {results['provenance']['wall_time_s']:.0f} s")
    return results


if __name__ == "__main__":
    main()
