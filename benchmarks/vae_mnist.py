"""Benchmark: vaebook's MNIST VAE against the keras.io "Variational AutoEncoder" example, side by side.

Three models train on the same statically binarized training digits, for the same epochs, batch 128, Adam 1e-3,
interleaved epoch by epoch (so that a shared machine's load falls on all of them alike):

- ``keras.io``: a faithful reimplementation of the keras.io example (fchollet): encoder Conv2D 32 and 64
  (3×3, stride 2, relu) → Dense 16 relu → 2-D mean and log-variance; decoder Dense 7·7·64 relu → Reshape →
  Conv2DTranspose 64 and 32 (stride 2, relu) → Conv2DTranspose 1 sigmoid; loss binary cross-entropy summed over
  pixels + KL, in a ``tf.GradientTape`` train step (the example is TensorFlow-only, so this benchmark runs on
  TensorFlow);
- ``vaebook, same architecture``: the identical architecture (the last layer emitting logits) as a
  :class:`vaebook.models.VAE`: the cost of the abstraction (throughput ratio should be ≥ 1.0);
- ``vaebook build_mnist_vae``: the book's model (16-D latent, max-pooling encoder).

For each: held-out NLL by importance sampling (K samples, default 1000) and the held-out ELBO, both on the
first ``--nll-examples`` test digits (default 200); active units on all test digits (Burda et al.:
Cov_x(E_q[z_d]) > 0.01); training images per second from the fastest epoch after the first (which includes
compilation) — on a shared machine the fastest epoch is the one least disturbed by other processes; the ratio
of median epochs is printed too, and a paired measurement at equal architecture (``--throughput-rounds``
epochs of each, alternating, after the evaluation) gives the median ratio of adjacent epochs.

Usage: ``python benchmarks/vae_mnist.py [--epochs 10] [--nll-examples 200] [--iwae-samples 1000]``. Each run
writes a ``benchmark`` record (tools/records.py) under records/benchmark/ unless ``--no-record``.
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
from keras import ops  # noqa: E402

from tools import records  # noqa: E402
from vaebook import config, data, metrics  # noqa: E402
from vaebook.models import VAE, build_mnist_vae  # noqa: E402

# ---- the keras.io reference, as published (https://keras.io/examples/generative/vae/) ------------------------


class RefSampling(keras.layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def keras_io_encoder(latent_dim: int = 2) -> keras.Model:
    encoder_inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = keras.layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(16, activation="relu")(x)
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(x)
    return keras.Model(encoder_inputs, [z_mean, z_log_var], name="encoder")


def keras_io_decoder(latent_dim: int = 2, activation: str | None = "sigmoid") -> keras.Model:
    latent_inputs = keras.Input(shape=(latent_dim,))
    x = keras.layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
    x = keras.layers.Reshape((7, 7, 64))(x)
    x = keras.layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
    x = keras.layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    decoder_outputs = keras.layers.Conv2DTranspose(1, 3, activation=activation, padding="same")(x)
    return keras.Model(latent_inputs, decoder_outputs, name="decoder")


class KerasIOVAE(keras.Model):
    """The keras.io example's VAE class (TensorFlow train step), plus the evaluation interface of vaebook.metrics."""

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.sampling = RefSampling()
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def train_step(self, data):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            z_mean, z_log_var = self.encoder(data)
            z = self.sampling([z_mean, z_log_var])
            reconstruction = self.decoder(z)
            reconstruction_loss = ops.mean(ops.sum(keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2)))
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {"loss": self.total_loss_tracker.result()}

    # evaluation interface (see vaebook.metrics): q(z|x) and log p(x|z) with the example's own clipping
    def encode(self, x):
        mean, log_var = self.encoder.predict(np.asarray(x, np.float32), batch_size=512, verbose=0)
        return mean, log_var

    def log_likelihood(self, x, z):
        p = np.clip(
            ops.convert_to_numpy(self.decoder(np.asarray(z, np.float32))).astype(np.float64), 1e-7, 1 - 1e-7
        )  # keras.losses.binary_crossentropy clips at epsilon = 1e-7 too
        x = np.asarray(x, np.float64)
        return (x * np.log(p) + (1 - x) * np.log1p(-p)).reshape(len(x), -1).sum(1)


# ---- the benchmark ---------------------------------------------------------------------------------------------


def count_params(model: keras.Model) -> int:
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10, help="training epochs for every model (default 10)")
    parser.add_argument(
        "--nll-examples",
        type=int,
        default=200,
        help="test digits for the importance-sampled NLL (default 200; 1000 = all of the subset)",
    )
    parser.add_argument("--iwae-samples", type=int, default=1000, help="importance samples K (default 1000)")
    parser.add_argument(
        "--throughput-rounds",
        type=int,
        default=10,
        help="paired epochs (keras.io, then vaebook, order alternating) for the throughput ratio",
    )
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="write no record under records/benchmark/")
    args = parser.parse_args(argv)
    run_start, load_start = time.perf_counter(), records.load_average()
    if keras.backend.backend() != "tensorflow":
        print(
            f"The keras.io reference is TensorFlow-only; run with KERAS_BACKEND=tensorflow "
            f"(got {keras.backend.backend()}). Nothing measured."
        )
        return

    config.set_seed(args.seed)
    x_train, _ = data.load_mnist("train", binarized=True, seed=0)
    x_test, _ = data.load_mnist("test", binarized=True, seed=1)
    print(
        f"{len(x_train)} binarized training digits, {len(x_test)} test digits; {args.epochs} epochs, "
        f"batch {args.batch_size}, Adam 1e-3; backend {keras.backend.backend()}, {os.cpu_count()} CPU cores "
        f"(shared: throughput is noisy)"
    )

    models = {
        "keras.io example": KerasIOVAE(keras_io_encoder(2), keras_io_decoder(2, "sigmoid")),
        "vaebook, same architecture": VAE(keras_io_encoder(2), keras_io_decoder(2, None), seed=args.seed),
        "vaebook build_mnist_vae": build_mnist_vae(latent_dim=16, seed=args.seed),
    }
    epoch_times: dict[str, list[float]] = {name: [] for name in models}
    for model in models.values():
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
    for epoch in range(args.epochs):  # round robin: every model trains epoch e before any trains epoch e + 1
        for name, model in models.items():
            start = time.perf_counter()
            model.fit(
                x_train, epochs=epoch + 1, initial_epoch=epoch, batch_size=args.batch_size, verbose=0, shuffle=True
            )
            epoch_times[name].append(time.perf_counter() - start)
        print(
            f"  epoch {epoch + 1}/{args.epochs}: " + ", ".join(f"{n} {t[-1]:.1f} s" for n, t in epoch_times.items()),
            flush=True,
        )

    rows = {}
    for name, model in models.items():
        start = time.perf_counter()
        nll = -metrics.importance_sampled_log_likelihood(
            model, x_test[: args.nll_examples], num_samples=args.iwae_samples, seed=1
        )
        elbo = metrics.elbo(model, x_test[: args.nll_examples], num_samples=10, seed=1)
        times = epoch_times[name][1:] or epoch_times[name]  # the first epoch includes tracing/compilation
        rows[name] = {
            "latent": int(model.encoder.outputs[0].shape[-1]),
            "params": count_params(model),
            "nll": nll.mean(),
            "nll_se": nll.std(ddof=1) / np.sqrt(len(nll)) if len(nll) > 1 else float("nan"),
            "elbo": elbo.mean(),
            "active": metrics.active_units(model, x_test),
            "ips": len(x_train) / float(np.min(times)),  # best epoch: the least disturbed by other processes
            "ips_median": len(x_train) / float(np.median(times)),
        }
        print(f"  evaluated {name} in {time.perf_counter() - start:.0f} s", flush=True)

    # Throughput at equal architecture, paired: adjacent epochs of the two models see about the same machine load;
    # the order alternates each round so that a drift in load favours neither (after the quality evaluation).
    ratios = []
    pair = [models["keras.io example"], models["vaebook, same architecture"]]
    for r in range(args.throughput_rounds):
        seconds = {}
        for i in (0, 1) if r % 2 == 0 else (1, 0):
            start = time.perf_counter()
            pair[i].fit(x_train, epochs=1, batch_size=args.batch_size, verbose=0, shuffle=True)
            seconds[i] = time.perf_counter() - start
        ratios.append(seconds[0] / seconds[1])  # keras.io time / vaebook time = vaebook speed / keras.io speed
    ratios = np.array(ratios)

    print()
    print(
        f"On the first {args.nll_examples} test digits, nats per digit: held-out NLL importance sampled with "
        f"K = {args.iwae_samples} (± one standard error over digits), −ELBO with 10 samples per digit; active "
        f"units on all {len(x_test)} test digits."
    )
    header = f"| {'model':<28} | latent | params  | NLL (nats)     | −ELBO (nats) | active units | train images/s |"
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for name, r in rows.items():
        print(
            f"| {name:<28} | {r['latent']:>6} | {r['params']:>7} | {r['nll']:7.2f} ± {r['nll_se']:4.2f} "
            f"| {-r['elbo']:>12.2f} | {r['active']:>12} | {r['ips']:>14.0f} |"
        )
    ref, same, ours = rows["keras.io example"], rows["vaebook, same architecture"], rows["vaebook build_mnist_vae"]
    print()
    print("−ELBO is an upper bound on the NLL: the gap is the IWAE's gain. Ratios and differences:")
    print(
        f"  throughput, same architecture: vaebook / keras.io = {same['ips'] / ref['ips']:.2f} from the fastest "
        f"epochs, {same['ips_median'] / ref['ips_median']:.2f} from the median epochs (goal ≥ 1.0)"
    )
    if len(ratios):
        print(
            f"  throughput, same architecture, {len(ratios)} paired epochs: median ratio vaebook / keras.io = "
            f"{np.median(ratios):.2f} (quartiles {np.quantile(ratios, 0.25):.2f}–{np.quantile(ratios, 0.75):.2f})"
        )
    print(f"  throughput, build_mnist_vae / keras.io = {ours['ips'] / ref['ips']:.2f}")
    print(f"  held-out NLL, keras.io − build_mnist_vae = {ref['nll'] - ours['nll']:.2f} nats (goal ≥ 5)")
    print(f"  held-out NLL, keras.io − vaebook same architecture = {ref['nll'] - same['nll']:.2f} nats")
    if args.no_record:
        return
    figures = {
        "rows": {
            name: {
                "latent": r["latent"],
                "params": r["params"],
                "NLL (nats)": round(float(r["nll"]), 2),
                "NLL s.e.": round(float(r["nll_se"]), 2),
                "−ELBO (nats)": round(float(-r["elbo"]), 2),
                "active units": int(r["active"]),
                "train images/s": round(r["ips"]),
                "train images/s, median epoch": round(r["ips_median"]),
            }
            for name, r in rows.items()
        },
        "throughput ratio, same architecture, paired epochs (median)": round(float(np.median(ratios)), 2)
        if len(ratios)
        else None,
        "NLL, keras.io − build_mnist_vae (nats)": round(float(ref["nll"] - ours["nll"]), 2),
        "NLL, keras.io − vaebook same architecture (nats)": round(float(ref["nll"] - same["nll"]), 2),
        "seconds": round(time.perf_counter() - run_start),
    }
    records.write_benchmark(
        "vae_mnist",
        figures,
        args,
        backend=keras.backend.backend(),
        n_train=len(x_train),
        n_test=len(x_test),
        load_start=load_start,
    )


if __name__ == "__main__":
    main()
