"""Write small .keras files of every latent-variable model with the code of an older commit, for
tests/test_legacy_models.py (do the saved models of earlier releases still load?).

Run from a checkout of the commit whose classes should be saved, e.g. for the files here (commit 9ac9334, before the
models shared one base class):

    PYTHONPATH=/path/to/that/checkout KERAS_BACKEND=tensorflow python tests/data/legacy_models/make_legacy_models.py OUT

Each model is saved as NAME.keras beside NAME.npz, which holds inputs and the outputs the saved weights give on
them (computed before saving, by the old code).
"""

import sys
from pathlib import Path

import keras
import numpy as np

from vaebook.layers import VectorQuantizer
from vaebook.models import (
    VAE,
    VQVAE,
    PixelCNN,
    PixelCNNVAE,
    PixelCNNVQVAE,
    TabularVAE,
    build_toy_ddpm,
    build_toy_gan,
)

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(0)
keras.utils.set_random_seed(0)


def save(name, model, **arrays):
    model.save(out / f"{name}.keras")
    np.savez(out / f"{name}.npz", **arrays)


# VAE on 4-dimensional points, Gaussian likelihood with a learned sigma
x = keras.Input((4,))
encoder = keras.Model(x, [keras.layers.Dense(2)(x), keras.layers.Dense(2)(x)])
z = keras.Input((2,))
decoder = keras.Model(z, keras.layers.Dense(4)(z))
vae = VAE(encoder, decoder, likelihood="gaussian", decoder_sigma="learned", beta=0.5, free_bits=0.1, seed=3)
points, codes = rng.normal(size=(5, 4)).astype("float32"), rng.normal(size=(5, 2)).astype("float32")
save("vae", vae, x=points, z=codes, mean=vae.encode(points)[0], log_likelihood=vae.log_likelihood(points, codes))

# PixelCNNVAE on 4×4 binary images
images = (rng.uniform(size=(3, 4, 4, 1)) < 0.4).astype("float32")
x = keras.Input((4, 4, 1))
h = keras.layers.Flatten()(x)
encoder = keras.Model(x, [keras.layers.Dense(2)(h), keras.layers.Dense(2)(h)])
z = keras.Input((2,))
conditioner = keras.Model(z, keras.layers.Reshape((4, 4, 3))(keras.layers.Dense(48)(z)))
pixel_vae = PixelCNNVAE(encoder, conditioner, filters=4, num_residual_blocks=1, first_kernel_size=3, beta=0.7, seed=1)
codes = rng.normal(size=(3, 2)).astype("float32")
save(
    "pixelcnn_vae",
    pixel_vae,
    x=images,
    z=codes,
    mean=pixel_vae.encode(images)[0],
    log_likelihood=pixel_vae.log_likelihood(images, codes),
)

# PixelCNNVQVAE: 4×4 images → a 2×2 grid of 3-vectors → 5 codes
x = keras.Input((4, 4, 1))
encoder = keras.Model(x, keras.layers.Conv2D(3, 2, strides=2)(x))
grid = keras.Input((2, 2, 3))
conditioner = keras.Model(grid, keras.layers.Conv2DTranspose(3, 2, strides=2)(grid))
quantizer = VectorQuantizer(5, 3, beta=0.25, seed=0, ema_decay=None)
pixel_vq = PixelCNNVQVAE(encoder, quantizer, conditioner, filters=4, num_residual_blocks=1, first_kernel_size=3)
vq_codes = pixel_vq.encode_indices(images)
save("pixelcnn_vqvae", pixel_vq, x=images, codes=vq_codes, log_likelihood=pixel_vq.log_likelihood(images, vq_codes))

# VQVAE: the same encoder shape, a linear decoder
x = keras.Input((4, 4, 1))
encoder = keras.Model(x, keras.layers.Conv2D(3, 2, strides=2)(x))
grid = keras.Input((2, 2, 3))
decoder = keras.Model(grid, keras.layers.Conv2DTranspose(1, 2, strides=2)(grid))
vqvae = VQVAE(encoder, decoder, VectorQuantizer(5, 3, seed=0, ema_decay=None), data_variance=0.5)
vqvae.build((None, 4, 4, 1))
vq_codes = vqvae.encode_indices(images)
save("vqvae", vqvae, x=images, codes=vq_codes, decoded=vqvae.decode_indices(vq_codes))

# GAN and DDPM on 2-D points
gan = build_toy_gan(hidden=(4,), seed=2)
noise = rng.normal(size=(5, 2)).astype("float32")
save("gan", gan, z=noise, generated=gan.generate(noise))
ddpm = build_toy_ddpm(num_steps=5, hidden=(4,), embedding_dim=4, seed=2)
steps = np.arange(5, dtype="int32")
noisy = rng.normal(size=(5, 2)).astype("float32")
save("ddpm", ddpm, x=noisy, t=steps, predicted_noise=keras.ops.convert_to_numpy(ddpm.predict_noise(noisy, steps)))

# TabularVAE: two numeric columns and one categorical column of 3 categories
tab = TabularVAE(num_numeric=2, categories=[3], latent_dim=2, hidden_units=(4,), beta=0.5, mask_rate=0.2, seed=0)
rows = np.c_[rng.normal(size=(5, 2)), rng.integers(0, 3, size=(5, 1))].astype("float32")
codes = rng.normal(size=(5, 2)).astype("float32")
save("tabular_vae", tab, x=rows, z=codes, mean=tab.encode(rows)[0], log_likelihood=tab.log_likelihood(rows, codes))

# PixelCNN prior over 3×3 maps of 4 codes
prior = PixelCNN(num_embeddings=4, grid_shape=(3, 3), filters=4, num_residual_blocks=1, first_kernel_size=3, seed=0)
prior.build()
maps = rng.integers(0, 4, size=(3, 3, 3)).astype("int32")
save("pixelcnn", prior, codes=maps, log_likelihood=prior.log_prob(maps))
print("wrote", sorted(p.name for p in out.iterdir()))
