"""vaebook's VQ-VAE (EMA codebook + dead-code restarts) vs the keras.io VQ-VAE example's set-up, side by side.

    KERAS_BACKEND=tensorflow python benchmarks/vqvae_mnist.py --epochs 5

Both models: the same digits (scaled to [-0.5, 0.5] as in the example), encoder Conv2D 32 and 64 (stride 2, ReLU) +
1×1 conv to 16 dimensions, the mirrored decoder, 128 codes, β = 0.25, reconstruction loss = MSE / variance of the
training pixels, Adam(1e-3), batch 128, the same epochs. The reference quantizer follows the keras.io example
(https://keras.io/examples/generative/vq_vae/): a trainable codebook initialized uniformly, codebook + commitment
loss, no EMA, no restarts. We report, on the held-out digits: the fraction of the 128 codes used, the code
perplexity, the reconstruction MSE (in units of [0, 1] pixel intensities), and training throughput (images/s,
median over epochs after the first, which includes compilation). Ratios are vaebook / reference. Each run writes
a ``benchmark`` record (tools/records.py) under records/benchmark/ unless ``--no-record``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

import vaebook  # noqa: E402
from tools import records  # noqa: E402
from vaebook.layers import code_perplexity, fraction_of_codes_used  # noqa: E402
from vaebook.models import VQVAE, build_mnist_vqvae  # noqa: E402

LATENT_DIM, NUM_EMBEDDINGS, BETA, BATCH = 16, 128, 0.25, 128


class ReferenceVectorQuantizer(keras.layers.Layer):
    """The keras.io example's quantizer (ported to keras.ops): trainable codebook, no EMA, no restarts."""

    def __init__(self, num_embeddings, embedding_dim, beta=0.25, **kwargs):
        super().__init__(**kwargs)
        self.num_embeddings, self.embedding_dim, self.beta = num_embeddings, embedding_dim, beta
        self.embeddings = self.add_weight(
            shape=(embedding_dim, num_embeddings), initializer="random_uniform", trainable=True, name="embeddings_vqvae"
        )

    def get_code_indices(self, flattened):
        similarity = ops.matmul(flattened, self.embeddings)
        distances = ops.sum(flattened**2, axis=1, keepdims=True) + ops.sum(self.embeddings**2, axis=0) - 2 * similarity
        return ops.argmin(distances, axis=1)

    def call(self, x):
        input_shape = ops.shape(x)
        flattened = ops.reshape(x, (-1, self.embedding_dim))
        encodings = ops.one_hot(self.get_code_indices(flattened), self.num_embeddings)
        quantized = ops.reshape(ops.matmul(encodings, ops.transpose(self.embeddings)), input_shape)
        commitment_loss = ops.mean((ops.stop_gradient(quantized) - x) ** 2)
        codebook_loss = ops.mean((quantized - ops.stop_gradient(x)) ** 2)
        self.add_loss(self.beta * commitment_loss + codebook_loss)
        return x + ops.stop_gradient(quantized - x)


class ReferenceVQVAE(keras.Model):
    """The example's trainer: total loss = MSE / variance + the quantizer's losses."""

    def __init__(self, encoder, decoder, quantizer, data_variance, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder, self.quantizer, self.data_variance = encoder, decoder, quantizer, data_variance

    def call(self, x):
        return self.decoder(self.quantizer(self.encoder(x)))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return ops.mean((x - y_pred) ** 2) / self.data_variance + sum(self.losses)

    def codes(self, x):
        z = ops.convert_to_numpy(self.encoder.predict(x, batch_size=256, verbose=0)).reshape(-1, LATENT_DIM)
        return ops.convert_to_numpy(self.quantizer.get_code_indices(z))


def reference_model(data_variance):
    vaebook_model = build_mnist_vqvae(LATENT_DIM, NUM_EMBEDDINGS)  # the same encoder/decoder layout, fresh weights
    encoder = keras.models.clone_model(vaebook_model.encoder)
    decoder = keras.models.clone_model(vaebook_model.decoder)
    return ReferenceVQVAE(encoder, decoder, ReferenceVectorQuantizer(NUM_EMBEDDINGS, LATENT_DIM, BETA), data_variance)


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)


def evaluate(model, x_test, codes):
    recon = ops.convert_to_numpy(model.predict(x_test, batch_size=256, verbose=0))
    return {
        "codes used": float(fraction_of_codes_used(codes, NUM_EMBEDDINGS)),
        "perplexity": float(code_perplexity(codes, NUM_EMBEDDINGS)),
        "test MSE": float(np.mean((recon - x_test) ** 2)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="write no record under records/benchmark/")
    args = parser.parse_args()
    run_start, load_start = time.perf_counter(), records.load_average()
    vaebook.config.set_seed(args.seed)
    x_train = vaebook.data.load_mnist("train")[0] - 0.5
    x_test = vaebook.data.load_mnist("test", verbose=False)[0] - 0.5
    variance = float(np.var(x_train))
    print(
        f"backend {keras.backend.backend()}, {len(x_train)} train / {len(x_test)} test digits, "
        f"{args.epochs} epochs, batch {BATCH}; machine shared with other jobs: throughput is indicative"
    )

    results = {}
    for name in ("reference (keras.io)", "vaebook EMA + restart"):
        vaebook.config.set_seed(args.seed)
        if name.startswith("reference"):
            model = reference_model(variance)
        else:
            model = build_mnist_vqvae(
                LATENT_DIM,
                NUM_EMBEDDINGS,
                quantizer_options=dict(beta=BETA, ema_decay=0.99, dead_code_threshold=5.0, usage_decay=0.8),
                data_variance=variance,
                seed=args.seed,
            )
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        timer = EpochTimer()
        model.fit(x_train, batch_size=BATCH, epochs=args.epochs, verbose=0, callbacks=[timer], shuffle=True)
        codes = model.encode_indices(x_test) if isinstance(model, VQVAE) else model.codes(x_test)
        row = evaluate(model, x_test, codes)
        steady = timer.times[1:] or timer.times
        row["images/s"] = len(x_train) / float(np.median(steady))
        results[name] = row

    keys = ["codes used", "perplexity", "test MSE", "images/s"]
    ref, ours = results["reference (keras.io)"], results["vaebook EMA + restart"]
    print(f"\n| {'metric':<11} | {'reference (keras.io)':>20} | {'vaebook EMA + restart':>21} | {'ratio':>6} |")
    print(f"|{'-' * 13}|{'-' * 22}:|{'-' * 23}:|{'-' * 7}:|")
    for key in keys:
        fmt = "{:.1%}" if key == "codes used" else ("{:.5f}" if key == "test MSE" else "{:.1f}")
        print(
            f"| {key:<11} | {fmt.format(ref[key]):>20} | {fmt.format(ours[key]):>21} | {ours[key] / ref[key]:>6.2f} |"
        )
    goal_usage = ours["codes used"] >= 0.9
    goal_mse = ours["test MSE"] < ref["test MSE"]
    print(
        f"\ngoal >= 90% codes used: {'met' if goal_usage else 'NOT met'}; "
        f"goal lower MSE than reference: {'met' if goal_mse else 'NOT met'}"
    )
    if args.no_record:
        return
    digits = {"codes used": 3, "perplexity": 1, "test MSE": 5, "images/s": 0}
    records.write_benchmark(
        "vqvae_mnist",
        {
            "rows": {name: {k: round(row[k], digits[k]) for k in keys} for name, row in results.items()},
            "seconds": round(time.perf_counter() - run_start),
        },
        args,
        backend=keras.backend.backend(),
        n_train=len(x_train),
        n_test=len(x_test),
        load_start=load_start,
    )


if __name__ == "__main__":
    main()
