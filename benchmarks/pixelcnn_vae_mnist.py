"""Benchmark: the book's best density model, a PixelCNN-decoder VAE with free bits, beside chapter 7's VAE.

Two models train on the same statically binarized training digits, for the same epochs, batch 128, Adam
(``--learning-rate``, default 3e-3 as in chapter 10),
interleaved epoch by epoch (so that a shared machine's load falls on both alike):

- ``build_mnist_vae``: chapter 7's convolutional VAE (16-D latent);
- ``build_mnist_pixelcnn_vae(free_bits=0.5)``: the same encoder with a PixelCNN decoder conditioned on z
  (chapter 10), with free bits so that the code stays in use.

For each: held-out NLL by importance sampling (K samples, default 1000) with its standard error, the held-out
ELBO, KL and active units on the first ``--nll-examples`` test digits (default 200), training images per second
(fastest epoch after the first, which includes compilation), and the time to draw 16 samples (one decoder pass
for the VAE, 784 for the PixelCNN decoder).

Usage: ``python benchmarks/pixelcnn_vae_mnist.py [--epochs 10] [--nll-examples 200] [--iwae-samples 1000]``. Each
run writes a ``benchmark`` record (tools/records.py) under records/benchmark/ unless ``--no-record``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tools import records  # noqa: E402
from vaebook import config, data, metrics  # noqa: E402
from vaebook.models import build_mnist_pixelcnn_vae, build_mnist_vae  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--nll-examples", type=int, default=200)
    parser.add_argument("--iwae-samples", type=int, default=1000)
    parser.add_argument("--free-bits", type=float, default=0.5)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--train-examples", type=int, default=None, help="default: all available")
    parser.add_argument("--no-record", action="store_true", help="write no record under records/benchmark/")
    args = parser.parse_args()
    run_start, load_start = time.perf_counter(), records.load_average()

    x_train, _ = data.load_mnist("train")
    x_test, _ = data.load_mnist("test")
    if args.train_examples:
        x_train = x_train[: args.train_examples]
    xb_train = data.binarize(x_train, seed=0)
    xb_test = data.binarize(x_test[: args.nll_examples], seed=1)

    models = {}
    config.set_seed(0)
    models["chapter 7 VAE (conv decoder)"] = build_mnist_vae(16, seed=0)
    config.set_seed(0)
    models[f"PixelCNN decoder, free bits {args.free_bits}"] = build_mnist_pixelcnn_vae(
        16, free_bits=args.free_bits, seed=0
    )
    epoch_seconds = {name: [] for name in models}
    for model in models.values():
        model.compile(optimizer=keras.optimizers.Adam(args.learning_rate))
    for epoch in range(args.epochs):
        for name, model in models.items():
            start = time.perf_counter()
            model.fit(xb_train, batch_size=128, epochs=1, verbose=0)
            epoch_seconds[name].append(time.perf_counter() - start)
        print(f"epoch {epoch + 1}/{args.epochs} done", flush=True)

    print(
        f"\n{len(x_train)} training digits, {args.epochs} epochs; held-out metrics on {len(xb_test)} test digits, "
        f"NLL with K = {args.iwae_samples}; backend {keras.backend.backend()}"
    )
    print(f"{'model':40s}{'NLL (nats)':>16s}{'-ELBO':>9s}{'KL':>7s}{'active':>8s}{'img/s':>8s}{'16 samples':>12s}")
    nll, rows = {}, {}
    for name, model in models.items():
        log_px = metrics.importance_sampled_log_likelihood(model, xb_test, num_samples=args.iwae_samples, seed=0)
        nll[name] = float(-np.mean(log_px))
        se = float(np.std(log_px) / np.sqrt(len(log_px)))
        elbo = float(np.mean(metrics.elbo(model, xb_test, seed=0)))
        kl = float(metrics.kl_per_dimension(model, xb_test).sum())
        active = metrics.active_units(model, xb_test)
        fastest = min(epoch_seconds[name][1:] or epoch_seconds[name])
        start = time.perf_counter()
        model.sample(16, seed=0)
        sample_seconds = time.perf_counter() - start
        print(
            f"{name:40s}{nll[name]:9.2f} ± {se:4.2f}{-elbo:9.2f}{kl:7.2f}{active:8d}{len(x_train) / fastest:8.0f}"
            f"{sample_seconds:11.2f}s"
        )
        rows[name] = {
            "NLL (nats)": round(nll[name], 2),
            "NLL s.e.": round(se, 2),
            "−ELBO (nats)": round(-elbo, 2),
            "KL (nats)": round(kl, 2),
            "active units": int(active),
            "train images/s": round(len(x_train) / fastest),
            "16 samples (s)": round(sample_seconds, 2),
        }
    names = list(nll)
    print(f"\nNLL difference (chapter 7 VAE − PixelCNN decoder): {nll[names[0]] - nll[names[1]]:.2f} nats")
    if args.no_record:
        return
    records.write_benchmark(
        "pixelcnn_vae_mnist",
        {
            "rows": rows,
            "NLL difference, chapter 7 VAE − PixelCNN decoder (nats)": round(nll[names[0]] - nll[names[1]], 2),
            "seconds": round(time.perf_counter() - run_start),
        },
        args,
        backend=keras.backend.backend(),
        n_train=len(x_train),
        n_test=len(xb_test),
        load_start=load_start,
    )


if __name__ == "__main__":
    main()
