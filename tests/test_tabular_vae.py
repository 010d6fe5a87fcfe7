"""vaebook.models.TabularVAE: the masked loss, learning, imputation, the metrics interface, round trips, errors."""

import keras
import numpy as np
import pytest

from vaebook import metrics
from vaebook.models import TabularVAE


def _table(n=120, seed=0):
    """Two numeric columns driven by a hidden class, and the class as a categorical column."""
    rng = np.random.default_rng(seed)
    c = rng.integers(0, 3, n)
    centres = np.array([[-1.5, 1.0], [0.0, -1.0], [1.5, 1.0]])
    num = centres[c] + 0.3 * rng.normal(size=(n, 2))
    return np.c_[num, c].astype("float32")


def test_loss_is_the_masked_negative_elbo_by_hand():
    vae = TabularVAE(num_numeric=2, categories=[3], latent_dim=2, hidden_units=(8,), seed=0)
    x = _table(5)
    x[0, 1] = np.nan
    x[2, 2] = np.nan
    out = vae(x)
    mean, log_var = (keras.ops.convert_to_numpy(out[k]) for k in ("mean", "log_var"))
    mu = keras.ops.convert_to_numpy(out["numeric_mean"])
    logits = keras.ops.convert_to_numpy(out["categorical_logits"][0])
    sigma = vae.sigma()
    nll = np.zeros(5)
    for n in range(5):
        for i in range(2):
            if not np.isnan(x[n, i]):
                nll[n] += 0.5 * ((x[n, i] - mu[n, i]) / sigma[i]) ** 2 + np.log(sigma[i]) + 0.5 * np.log(2 * np.pi)
        if not np.isnan(x[n, 2]):
            log_softmax = logits[n] - np.log(np.sum(np.exp(logits[n])))
            nll[n] -= log_softmax[int(x[n, 2])]
    kl = -0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=1)
    loss = keras.ops.convert_to_numpy(vae.compute_loss(x=x, y_pred=out))
    np.testing.assert_allclose(loss, np.mean(nll + kl), rtol=1e-4)
    # log_likelihood (the metrics interface) is the same density at a given z
    z = keras.ops.convert_to_numpy(out["z"])
    np.testing.assert_allclose(vae.log_likelihood(x, z), -nll, rtol=1e-4, atol=1e-4)


def test_missing_entries_do_not_change_the_encoder_input_of_what_is_observed():
    vae = TabularVAE(num_numeric=2, categories=[3], latent_dim=2, hidden_units=(8,), seed=0)
    x = _table(4)
    a, b = x.copy(), x.copy()
    a[:, 0], b[:, 0] = np.nan, 123.0
    b[:, 0] = np.nan
    np.testing.assert_allclose(vae.encode(a)[0], vae.encode(b)[0])
    c = x.copy()
    c[:, 0] = 0.0  # a value of 0 is not the same as "missing": the indicator differs
    assert not np.allclose(vae.encode(c)[0], vae.encode(a)[0])


def test_fit_learns_and_imputes_the_category():
    keras.utils.set_random_seed(0)
    x = _table(150)
    vae = TabularVAE(num_numeric=2, categories=[3], latent_dim=2, hidden_units=(32,), mask_rate=0.5, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = vae.fit(x, epochs=150, batch_size=150, verbose=0).history
    assert history["loss"][-1] < history["loss"][0] - 0.5
    test = _table(60, seed=1)
    hidden = test.copy()
    hidden[:, 2] = np.nan
    filled = vae.impute(hidden)
    assert not np.isnan(filled).any()
    np.testing.assert_array_equal(filled[:, :2], test[:, :2])  # observed entries untouched
    assert np.mean(filled[:, 2] == test[:, 2]) > 0.8  # the class is recoverable from the numbers
    ll = metrics.importance_sampled_log_likelihood(vae, test, num_samples=50)
    elbo = metrics.elbo(vae, test, num_samples=50)
    assert ll.shape == elbo.shape == (60,)
    assert np.mean(ll) > np.mean(elbo)  # the importance-sampled bound is the tighter one


def test_keras_round_trip(tmp_path):
    vae = TabularVAE(num_numeric=3, categories=[2, 4], latent_dim=3, hidden_units=(8, 8), mask_rate=0.2, seed=1)
    x = np.c_[np.random.default_rng(0).normal(size=(6, 3)), [[0, 1]] * 3 + [[1, 3]] * 3].astype("float32")
    x[1, 0] = np.nan
    before = vae.encode(x)[0]
    path = tmp_path / "tab.keras"
    vae.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, TabularVAE) and loaded.categories == [2, 4] and loaded.mask_rate == 0.2
    np.testing.assert_allclose(loaded.encode(x)[0], before, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(num_numeric=-1), "num_numeric"),
        (dict(num_numeric=2, categories=[1]), "categories"),
        (dict(num_numeric=0), "at least one column"),
        (dict(num_numeric=2, latent_dim=0), "latent_dim"),
        (dict(num_numeric=2, mask_rate=1.0), "mask_rate"),
        (dict(num_numeric=2, beta=-1.0), "beta"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TabularVAE(**kwargs)


def test_bad_rows():
    vae = TabularVAE(num_numeric=2, categories=[3], latent_dim=2, hidden_units=(4,))
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        vae.encode(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="integer codes"):
        vae.encode(np.array([[0.0, 0.0, 3.0]]))
    with pytest.raises(ValueError, match="integer codes"):
        vae.impute(np.array([[0.0, 0.0, 0.5]]))
    with pytest.raises(ValueError, match="inf"):
        vae.encode(np.array([[np.inf, 0.0, 1.0]]))
    with pytest.raises(ValueError, match="one z per row"):
        vae.log_likelihood(np.zeros((2, 3)), np.zeros((3, 2)))


def test_kl_annealing_anneals_beta_inside_the_compiled_step():
    """β is a variable, as in the VAE: KLAnnealing's β≈0 makes the loss the reconstruction term alone."""
    from vaebook.callbacks import KLAnnealing

    keras.utils.set_random_seed(0)
    rows = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    vae = TabularVAE(num_numeric=3, latent_dim=2, hidden_units=(8,), beta=1.0, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    annealing = KLAnnealing(warmup_steps=1000)
    h = vae.fit(rows, epochs=1, batch_size=8, verbose=0, callbacks=[annealing]).history
    assert h["kl"][0] > 0.01 and h["loss"][0] - h["reconstruction"][0] < 0.05 * h["kl"][0], h
    assert float(keras.ops.convert_to_numpy(vae.beta)) < 0.01  # the callback set it, step by step
    restored = TabularVAE.from_config(vae.get_config())  # the annealed β travels in the config
    assert abs(float(keras.ops.convert_to_numpy(restored.beta)) - float(keras.ops.convert_to_numpy(vae.beta))) < 1e-7
