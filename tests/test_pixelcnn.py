"""PixelCNN prior: causal logits, learning a simple distribution, sampling from the categorical, saving."""

import keras
import numpy as np
import pytest
from keras import ops

from vaebook.models import PixelCNN


def _prior(**kwargs):
    keras.utils.set_random_seed(0)
    model = PixelCNN(num_embeddings=4, grid_shape=(3, 4), filters=16, num_residual_blocks=1, seed=0, **kwargs)
    model.build()
    return model


def test_logits_shape_and_causality():
    prior = _prior()
    codes = np.random.default_rng(0).integers(0, 4, (2, 3, 4)).astype("int32")
    base = ops.convert_to_numpy(prior(codes))
    assert base.shape == (2, 3, 4, 4)
    order = np.arange(12).reshape(3, 4)
    for p in (0, 5, 11):
        changed_codes = codes.copy()
        changed_codes[:, p // 4, p % 4] = (changed_codes[:, p // 4, p % 4] + 1) % 4
        changed = np.abs(ops.convert_to_numpy(prior(changed_codes)) - base).max(-1) > 1e-6
        assert not changed[:, order <= p].any()


def test_learns_the_marginal_and_sampling_draws_from_it():
    """Codes i.i.d. with p = (0.6, 0.3, 0.1, 0): the prior learns it; samples follow it (argmax would give all 0s)."""
    rng = np.random.default_rng(0)
    p = np.array([0.6, 0.3, 0.1, 0.0])
    codes = rng.choice(4, size=(512, 3, 4), p=p).astype("int32")
    prior = _prior()
    prior.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = prior.fit(codes, batch_size=128, epochs=8, verbose=0)
    entropy = -np.sum(p[:3] * np.log(p[:3]))
    assert history.history["loss"][-1] < entropy + 0.1  # nats per code
    samples = prior.sample(64)
    assert samples.shape == (64, 3, 4) and samples.dtype == np.int32
    freq = np.bincount(samples.ravel(), minlength=4) / samples.size
    # 768 draws: the standard error of a frequency is at most 0.018; allow 4 of them
    np.testing.assert_allclose(freq, p, atol=0.075)
    np.testing.assert_allclose(
        prior.log_likelihood(codes[:4]),
        -ops.convert_to_numpy(
            ops.sum(
                keras.losses.sparse_categorical_crossentropy(codes[:4], prior(codes[:4]), from_logits=True), axis=(1, 2)
            )
        ),
        rtol=1e-5,
    )


def test_keras_round_trip(tmp_path):
    prior = _prior()
    codes = np.random.default_rng(0).integers(0, 4, (8, 3, 4)).astype("int32")
    prior.compile(optimizer="adam")
    prior.fit(codes, epochs=1, verbose=0)
    path = tmp_path / "prior.keras"
    prior.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, PixelCNN) and loaded.grid_shape == (3, 4)
    np.testing.assert_allclose(ops.convert_to_numpy(loaded(codes)), ops.convert_to_numpy(prior(codes)), atol=1e-5)


def test_bad_input():
    prior = _prior()
    with pytest.raises(ValueError, match=r"shape \(batch, 3, 4\)"):
        prior(np.zeros((2, 4, 4), "int32"))
    with pytest.raises(ValueError, match="num_embeddings"):
        PixelCNN(1, (3, 3))
    with pytest.raises(ValueError, match="temperature"):
        prior.sample(2, temperature=0)
