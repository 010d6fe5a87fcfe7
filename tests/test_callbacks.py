"""vaebook.callbacks: β warm-up reaches the compiled train step; latent snapshots record the training."""

import keras
import numpy as np
import pytest

from vaebook.callbacks import KLAnnealing, LatentSnapshots
from vaebook.models import build_mnist_mlp_vae


@pytest.fixture
def setup():
    keras.utils.set_random_seed(0)
    x = (np.random.default_rng(0).random((64, 28, 28, 1)) < 0.3).astype(np.float32)
    vae = build_mnist_mlp_vae(latent_dim=2, hidden=(16,), seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    return vae, x


def test_schedule_values():
    cb = KLAnnealing(warmup_steps=4, start=0.2, end=1.0)
    assert [cb.beta_at(t) for t in (0, 2, 4, 10)] == pytest.approx([0.2, 0.6, 1.0, 1.0])
    with pytest.raises(ValueError, match="warmup_steps"):
        KLAnnealing(warmup_steps=0)
    with pytest.raises(ValueError, match="start and end"):
        KLAnnealing(warmup_steps=3, start=-1.0)


def test_kl_annealing_changes_beta_inside_the_compiled_step(setup):
    vae, x = setup
    # β starts at 1 on the model; the callback sets it to ~0 before the first step: the loss must follow
    slow = KLAnnealing(warmup_steps=1000)
    h = vae.fit(x, epochs=1, batch_size=8, verbose=0, callbacks=[slow]).history
    assert h["loss"][0] - h["reconstruction"][0] < 0.05 * h["kl"][0], h
    assert [s for s, _ in slow.betas] == list(range(8))
    # a short warm-up: β reaches 1 after 2 steps and stays; in the last epoch loss = reconstruction + KL
    fast = KLAnnealing(warmup_steps=2)
    h = vae.fit(x, epochs=2, batch_size=8, verbose=0, callbacks=[fast]).history
    assert float(keras.ops.convert_to_numpy(vae.beta)) == 1.0 and h["beta"] == [1.0, 1.0]
    np.testing.assert_allclose(h["loss"][-1], h["reconstruction"][-1] + h["kl"][-1], rtol=1e-4)
    assert len(fast.betas) == 3  # steps 0, 1, 2; no assignments after the warm-up


def test_latent_snapshots_record_means_during_training(setup):
    vae, x = setup
    snaps = LatentSnapshots(x[:10], every_n_steps=4)
    vae.fit(x, epochs=2, batch_size=8, verbose=0, callbacks=[snaps])  # 16 steps
    assert snaps.steps == [0, 4, 8, 12, 16]
    assert snaps.means.shape == (5, 10, 2)
    assert not np.allclose(snaps.means[0], snaps.means[-1])  # the encoder moved
    np.testing.assert_allclose(snaps.means[-1], vae.encode(x[:10])[0], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="every_n_steps"):
        LatentSnapshots(x, every_n_steps=0)
