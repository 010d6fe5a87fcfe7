"""Anomaly scores from autoencoders and VAEs, and how to read them under a false-positive budget.

An anomaly detector trained on normal data only assigns each new example a *score*, larger for "less like the
training data". Four scores from the book's models:

- :func:`reconstruction_error_score`: squared error of a plain autoencoder's reconstruction;
- :func:`negative_elbo_score`: −ELBO(x) of a VAE, an upper bound on −log p(x);
- :func:`negative_log_likelihood_score`: the importance-sampled estimate of −log p(x) (Burda et al., 2016);
- :func:`latent_distance_score`: the distance of the posterior mean from the prior's centre, ‖μ(x)‖.

ROC-AUC summarizes a score over every threshold. A deployed detector (card fraud, network intrusion) runs at one
threshold chosen so that normal traffic raises few alarms: :func:`recall_at_false_positive_rate` reports the share
of anomalies caught at that threshold, and :func:`precision_at_prevalence` what share of the alarms are real when
anomalies are rare.

Used in: chapter 11, sections "Four anomaly scores" and "A real table: breast-cancer biopsies".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vaebook import metrics

__all__ = [
    "reconstruction_error_score",
    "negative_elbo_score",
    "negative_log_likelihood_score",
    "latent_distance_score",
    "recall_at_false_positive_rate",
    "precision_at_prevalence",
]


def _check_has(model: Any, *names: str) -> None:
    missing = [n for n in names if not callable(getattr(model, n, None))]
    if missing:
        raise ValueError(f"the model must have the method(s) {', '.join(missing)}; got a {type(model).__name__}.")


def reconstruction_error_score(autoencoder: Any, x: Any) -> np.ndarray:
    """Squared reconstruction error of each example, summed over its features: shape (N,).

    Args:
        autoencoder: a model with ``reconstruct(x)`` (e.g. :class:`vaebook.models.Autoencoder`; for a VAE the
            decoded posterior mean).
        x: examples of shape (N, ...).

    Used in: chapter 11, section "Four anomaly scores".
    """
    _check_has(autoencoder, "reconstruct")
    x = np.asarray(x, dtype=np.float32)
    x_hat = np.asarray(autoencoder.reconstruct(x), dtype=np.float64)
    if x_hat.shape != x.shape:
        raise ValueError(f"reconstruct(x) must return x's shape {x.shape}; got {x_hat.shape}.")
    return ((x - x_hat) ** 2).reshape(len(x), -1).sum(axis=1)


def negative_elbo_score(vae: Any, x: Any, num_samples: int = 1, seed: int | None = 0) -> np.ndarray:
    """−ELBO(x) in nats, one per example (:func:`vaebook.metrics.elbo` with ``num_samples`` draws): shape (N,).

    Used in: chapter 11, section "Four anomaly scores".
    """
    _check_has(vae, "encode", "log_likelihood")
    return -metrics.elbo(vae, x, num_samples=num_samples, seed=seed)


def negative_log_likelihood_score(vae: Any, x: Any, num_samples: int = 100, seed: int | None = 0) -> np.ndarray:
    """−log p(x) in nats estimated by importance sampling with ``num_samples`` draws from q(z|x): shape (N,).

    (:func:`vaebook.metrics.importance_sampled_log_likelihood`, negated.)

    Used in: chapter 11, section "Four anomaly scores".
    """
    _check_has(vae, "encode", "log_likelihood")
    return -metrics.importance_sampled_log_likelihood(vae, x, num_samples=num_samples, seed=seed)


def latent_distance_score(vae: Any, x: Any) -> np.ndarray:
    """Euclidean distance ‖μ(x)‖ of the posterior mean from the prior's mean 0: shape (N,).

    Under the prior N(0, I), ‖z‖ large means z improbable; this score asks whether the *code* is atypical, and
    ignores how well the decoder explains x.

    Used in: chapter 11, section "Four anomaly scores".
    """
    _check_has(vae, "encode")
    mean, _ = vae.encode(x)
    return np.sqrt(np.sum(np.asarray(mean, dtype=np.float64) ** 2, axis=1))


def _labels_and_scores(labels: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(labels)
    scores = np.asarray(scores, dtype=np.float64)
    if labels.ndim != 1 or scores.shape != labels.shape:
        raise ValueError(
            f"labels and scores must be 1-D arrays of the same length; got shapes {labels.shape} and {scores.shape}."
        )
    if not np.all(np.isin(labels, (0, 1))):
        raise ValueError("labels must be 0 (normal) or 1 (anomaly).")
    if not (np.any(labels == 0) and np.any(labels == 1)):
        raise ValueError("labels must contain both normal (0) and anomalous (1) examples.")
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores must be finite.")
    return labels.astype(bool), scores


def recall_at_false_positive_rate(labels: Any, scores: Any, false_positive_rate: float = 0.01) -> float:
    """Share of anomalies flagged when the threshold lets at most ``false_positive_rate`` of normals through.

    The threshold τ is the ⌊α·n₀⌋-th largest score of the n₀ normal examples (α the false-positive rate); an
    example is flagged when its score is strictly above τ, so at most α·n₀ normals are flagged. The result is the
    largest true-positive rate on the ROC curve whose false-positive rate is ≤ α (``sklearn.metrics.roc_curve``
    gives the same number when scores have no ties).

    Args:
        labels: 0 for normal, 1 for anomalous, shape (N,).
        scores: anomaly scores, larger = more anomalous, shape (N,).
        false_positive_rate: α in [0, 1).

    Returns:
        The recall (true-positive rate) in [0, 1].

    Used in: chapter 11, section "A real table: breast-cancer biopsies"; chapter 11, exercise "Recall at a fixed
    false-positive rate".
    """
    labels, scores = _labels_and_scores(labels, scores)
    alpha = float(false_positive_rate)
    if not 0.0 <= alpha < 1.0:
        raise ValueError(f"false_positive_rate must be in [0, 1); got {false_positive_rate!r}.")
    normal = np.sort(scores[~labels])[::-1]
    allowed = int(np.floor(alpha * len(normal) + 1e-9))
    threshold = normal[allowed]  # flag scores > threshold: at most `allowed` normals exceed it
    return float(np.mean(scores[labels] > threshold))


def precision_at_prevalence(recall: float, false_positive_rate: float, prevalence: float) -> float:
    """Precision of a detector with the given recall and false-positive rate when a share ``prevalence`` of the
    examples are anomalies (Bayes' rule): π·TPR / (π·TPR + (1 − π)·FPR).

    Used in: chapter 11, section "A real table: breast-cancer biopsies".
    """
    for name, value in (("recall", recall), ("false_positive_rate", false_positive_rate)):
        if not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"{name} must be in [0, 1]; got {value!r}.")
    if not 0.0 < float(prevalence) < 1.0:
        raise ValueError(f"prevalence must be in (0, 1); got {prevalence!r}.")
    hits = prevalence * recall
    alarms = hits + (1.0 - prevalence) * false_positive_rate
    return float(hits / alarms) if alarms > 0 else float("nan")
