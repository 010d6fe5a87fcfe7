"""vaebook.anomaly and vaebook.imputation: scores from real models, recall at a false-positive budget, imputation."""

import keras
import numpy as np
import pytest
from sklearn.metrics import roc_curve

from vaebook import anomaly, imputation, metrics
from vaebook.models import TabularVAE, build_dense_autoencoder


def _fitted_models():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    normal = (rng.normal(size=(200, 2)) @ [[1.0, 0.9, 0.0], [0.0, 0.3, 1.0]]).astype("float32")
    vae = TabularVAE(num_numeric=3, latent_dim=2, hidden_units=(16,), seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-2))
    vae.fit(normal, epochs=60, batch_size=200, verbose=0)
    return vae, normal


def test_scores_have_the_right_shape_and_rank_outliers_high():
    vae, normal = _fitted_models()
    outliers = np.array([[4.0, -4.0, 4.0], [-4.0, 4.0, -4.0]], "float32")
    x = np.r_[normal[:20], outliers]
    nll = anomaly.negative_log_likelihood_score(vae, x, num_samples=20)
    nelbo = anomaly.negative_elbo_score(vae, x, num_samples=5)
    np.testing.assert_allclose(nll, -metrics.importance_sampled_log_likelihood(vae, x, 20))
    assert nll.shape == nelbo.shape == (22,)
    assert np.all(nll[20:] > nll[:20].max()) and np.all(nelbo[20:] > nelbo[:20].max())
    dist = anomaly.latent_distance_score(vae, x)
    np.testing.assert_allclose(dist, np.linalg.norm(vae.encode(x)[0], axis=1), rtol=1e-6)


def test_reconstruction_error_score_matches_the_autoencoder():
    keras.utils.set_random_seed(0)
    ae = build_dense_autoencoder((4,), code_dim=2, hidden=(8,), output_activation=None)
    x = np.random.default_rng(1).normal(size=(10, 4)).astype("float32")
    np.testing.assert_allclose(anomaly.reconstruction_error_score(ae, x), ae.reconstruction_error(x), rtol=1e-5)
    with pytest.raises(ValueError, match="reconstruct"):
        anomaly.reconstruction_error_score(object(), x)
    with pytest.raises(ValueError, match="encode"):
        anomaly.latent_distance_score(ae.encoder, x)


def test_recall_at_fpr_agrees_with_sklearn_roc_curve():
    rng = np.random.default_rng(3)
    labels = np.r_[np.zeros(500, int), np.ones(50, int)]
    scores = np.r_[rng.normal(size=500), rng.normal(1.5, 1, 50)]
    fpr, tpr, _ = roc_curve(labels, scores)
    for alpha in (0.0, 0.01, 0.05, 0.2):
        assert anomaly.recall_at_false_positive_rate(labels, scores, alpha) == pytest.approx(tpr[fpr <= alpha].max())


def test_recall_at_fpr_edge_cases_and_errors():
    labels = np.array([0, 0, 0, 0, 1, 1, 1])
    scores = np.array([0.1, 0.4, 0.35, 0.8, 0.9, 0.3, 0.4])
    assert anomaly.recall_at_false_positive_rate(labels, scores, 0.25) == pytest.approx(1 / 3)  # tie not flagged
    assert anomaly.recall_at_false_positive_rate(labels, scores, 0.0) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="both normal"):
        anomaly.recall_at_false_positive_rate([0, 0], [1.0, 2.0])
    with pytest.raises(ValueError, match="same length"):
        anomaly.recall_at_false_positive_rate([0, 1], [1.0])
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        anomaly.recall_at_false_positive_rate([0, 1], [1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="0 \\(normal\\) or 1"):
        anomaly.recall_at_false_positive_rate([0, 2], [1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        anomaly.recall_at_false_positive_rate([0, 1], [np.nan, 2.0])


def test_precision_at_prevalence():
    assert anomaly.precision_at_prevalence(0.5, 0.05, 0.01) == pytest.approx(0.005 / (0.005 + 0.99 * 0.05))
    assert anomaly.precision_at_prevalence(1.0, 0.0, 0.5) == 1.0
    with pytest.raises(ValueError, match="prevalence"):
        anomaly.precision_at_prevalence(0.5, 0.05, 0.0)
    with pytest.raises(ValueError, match="recall"):
        anomaly.precision_at_prevalence(1.5, 0.05, 0.1)


def test_iterative_imputation_keeps_observed_entries_and_converges_for_a_projection():
    # reconstruct = orthogonal projection onto a line: iterating fills the missing entry to lie on the line
    direction = np.array([1.0, 2.0]) / np.sqrt(5.0)
    project = lambda x: (x @ direction)[:, None] * direction[None, :]  # noqa: E731
    x = np.array([[1.0, 999.0], [3.0, 999.0]], "float32")
    missing = np.array([[False, True], [False, True]])
    filled = imputation.iterative_imputation(project, x, missing, num_iterations=200, initial=0.0)
    np.testing.assert_allclose(filled[:, 0], [1.0, 3.0])
    np.testing.assert_allclose(filled[:, 1], [2.0, 6.0], rtol=1e-3)
    one = imputation.iterative_imputation(project, x, missing, num_iterations=1, initial=0.0)
    np.testing.assert_allclose(one[:, 1], [0.4, 1.2], rtol=1e-5)  # one pass from 0: (x·d) d₂ = (1/√5)(2/√5)


def test_masked_rmse_and_mask():
    a = np.zeros((2, 3))
    b = np.array([[1.0, 5.0, 0.0], [3.0, 5.0, 0.0]])
    m = np.array([[True, False, False], [True, False, False]])
    assert imputation.masked_rmse(a, b, m) == pytest.approx(np.sqrt(5.0))
    np.testing.assert_allclose(imputation.masked_rmse(a, b, np.ones((2, 3), bool), axis=0), [np.sqrt(5), 5, 0])
    mask = imputation.center_square_mask((2, 28, 28, 1), 12)
    assert mask.sum() == 2 * 144 and mask[0, 8:20, 8:20].all() and not mask[0, 7].any()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: imputation.iterative_imputation(lambda x: x, np.zeros((2, 2)), np.zeros((2, 3), bool)), "boolean"),
        (
            lambda: imputation.iterative_imputation(lambda x: x, np.zeros((2, 2)), np.zeros((2, 2), bool), 0),
            "num_iterations",
        ),
        (
            lambda: imputation.iterative_imputation(lambda x: x[:1], np.zeros((2, 2)), np.zeros((2, 2), bool)),
            "reconstruct must return",
        ),
        (lambda: imputation.masked_rmse(np.zeros(2), np.zeros(2), np.zeros(2, bool)), "at least one True"),
        (lambda: imputation.masked_rmse(np.zeros(2), np.zeros(3), np.ones(2, bool)), "one shape"),
        (lambda: imputation.center_square_mask((2, 28, 28), 30), "size"),
        (lambda: imputation.center_square_mask((2, 28, 28), 12, offset=(10, 0)), "leaves"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_breast_cancer_loader_codes_malignant_as_one():
    from vaebook import data

    x, malignant, names = data.load_breast_cancer()
    assert x.shape == (569, 30) and x.dtype == np.float32 and len(names) == 30
    assert malignant.sum() == 212 and (malignant == 0).sum() == 357
    assert np.all(x > -1e-9)  # positive measurements (log1p is safe)
