"""A VAE for tables: Gaussian likelihoods for numeric columns, categorical likelihoods for categorical ones, and
missing entries (NaN) that the loss skips and the model can impute.

A row of the table is ``x = (x_num, x_cat)``: ``num_numeric`` real numbers (standardize them first: mean 0,
variance 1 per column) followed by one column per categorical variable holding the integer code ``0 … K_j − 1`` of
its category (stored as a float). A missing entry is ``NaN``, in either kind of column.

The generative model factorizes over the columns given the latent code, in the style of the heterogeneous VAE of
Nazábal et al. (2020):

    p(x | z) = Π_i N(x_num,i ; μ_i(z), σ_i²) · Π_j Cat(x_cat,j ; softmax(ℓ_j(z))),

with one learned σ_i per numeric column (log σ clipped to [−5, 3]). The encoder sees the numeric values with
missing ones set to 0 (the column mean after standardization), a 0/1 indicator per numeric column saying which
are missing, and the one-hot codes of the categorical columns (all zeros when missing). The loss is the negative
ELBO **over the observed entries only**,

    loss = mean over the batch of [ −Σ_{observed i} log p(x_i | z) + β · KL(q(z|x) ‖ N(0, I)) ],

so a row with missing values trains the model on what it has. With ``mask_rate > 0`` the model additionally hides
each observed entry from the *encoder* with that probability during training (the likelihood still scores it):
it learns to predict hidden entries from the others, which is what :meth:`TabularVAE.impute` asks of it.

The model offers the evaluation interface of :mod:`vaebook.metrics` (``encode``, ``log_likelihood``,
``latent_dim``), so :func:`vaebook.metrics.elbo` and :func:`vaebook.metrics.importance_sampled_log_likelihood`
score rows (observed entries only) as they score images.

Used in: chapter 11, sections "A real table: breast-cancer biopsies" and "A table with a categorical column".
"""

from __future__ import annotations

from typing import Any, Sequence

import keras
import numpy as np
from keras import ops

from vaebook._validation import check_integer
from vaebook import losses
from vaebook.layers.sampling import Sampling, clamp_log_var

__all__ = ["TabularVAE"]

LOG_SIGMA_RANGE = (-5.0, 3.0)
_LOG_2PI = float(np.log(2.0 * np.pi))


def _to_numpy(t: Any) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(t))


@keras.saving.register_keras_serializable(package="vaebook")
class TabularVAE(keras.Model):
    """A VAE for rows of numeric and categorical columns with missing entries (NaN), trained with ``fit(x)``.

    The loss (:meth:`compute_loss`) is the negative ELBO with one reparameterized sample per row: the negative
    log-likelihood summed over the *observed* entries of a row (Gaussian for numeric columns, categorical for
    categorical ones, full normalized densities) plus β times the KL summed over the latent dimensions, averaged
    over the batch. ``fit`` reports ``loss``, ``reconstruction`` and ``kl`` in nats per row.

    Args:
        num_numeric: number of numeric columns (first in each row; standardized by the caller).
        categories: number of categories K_j of each categorical column (the columns after the numeric ones),
            each >= 2. Empty for an all-numeric table.
        latent_dim: number of latent dimensions.
        hidden_units: widths of the encoder's hidden layers (the decoder uses them reversed), ReLU.
        beta: weight β >= 0 of the KL term.
        mask_rate: probability in [0, 1) of hiding an observed entry from the encoder in training.
        seed: seed of the model's random draws (sampling and masking) and of the weight initializers.

    Calling the model returns a dict with ``"numeric_mean"`` (batch, num_numeric), ``"categorical_logits"`` (a
    list with one (batch, K_j) tensor per categorical column), ``"mean"``, ``"log_var"`` and ``"z"``.

    Example:
        >>> vae = TabularVAE(num_numeric=4, categories=[3], latent_dim=2, mask_rate=0.3, seed=0)
        >>> vae.compile(optimizer=keras.optimizers.Adam(1e-2))
        >>> vae.fit(rows, epochs=200, batch_size=32, verbose=0)      # rows: (N, 5), species code in column 4
        >>> filled = vae.impute(rows_with_nans)

    Used in: chapter 11, section "A real table: breast-cancer biopsies"; chapter 11, section "A table with a
    categorical column"; chapter 11, section "IRIS in two dimensions".
    """

    def __init__(
        self,
        num_numeric: int,
        categories: Sequence[int] = (),
        latent_dim: int = 2,
        hidden_units: Sequence[int] = (64, 64),
        beta: float = 1.0,
        mask_rate: float = 0.0,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_numeric = check_integer("num_numeric", num_numeric, minimum=0)
        self.categories = [check_integer("each entry of categories", k, minimum=2) for k in categories]
        if self.num_numeric + len(self.categories) == 0:
            raise ValueError("a TabularVAE needs at least one column: num_numeric = 0 and no categories.")
        self.latent_dim = check_integer("latent_dim", latent_dim)
        self.hidden_units = [check_integer("each entry of hidden_units", u) for u in hidden_units]
        if isinstance(beta, bool) or not float(beta) >= 0:
            raise ValueError(f"beta must be a number >= 0; got {beta!r}.")
        if isinstance(mask_rate, bool) or not 0.0 <= float(mask_rate) < 1.0:
            raise ValueError(f"mask_rate must be in [0, 1); got {mask_rate!r}.")
        self.beta = float(beta)
        self.mask_rate = float(mask_rate)
        self.seed = seed
        self.num_columns = self.num_numeric + len(self.categories)

        def init(offset: int):
            return keras.initializers.GlorotUniform(seed=None if seed is None else seed + offset)

        enc_in = 2 * self.num_numeric + sum(self.categories)
        self.encoder = keras.Sequential(
            [keras.Input((enc_in,))]
            + [
                keras.layers.Dense(u, activation="relu", kernel_initializer=init(i))
                for i, u in enumerate(self.hidden_units)
            ]
            + [keras.layers.Dense(2 * self.latent_dim, kernel_initializer=init(50))],
            name="encoder",
        )
        self.decoder = keras.Sequential(
            [keras.Input((self.latent_dim,))]
            + [
                keras.layers.Dense(u, activation="relu", kernel_initializer=init(100 + i))
                for i, u in enumerate(reversed(self.hidden_units))
            ]
            + [keras.layers.Dense(self.num_numeric + sum(self.categories), kernel_initializer=init(150))],
            name="decoder",
        )
        self.sampling = Sampling(seed=seed, name="sampling")
        self.mask_seed = keras.random.SeedGenerator(None if seed is None else seed + 7)
        self.log_sigma = self.add_weight(
            shape=(max(self.num_numeric, 1),), initializer="zeros", trainable=True, name="log_sigma"
        )
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.sampling.built = True
        self.built = True

    def build(self, input_shape=None):
        """Nothing to create: the encoder and decoder are built in ``__init__``."""
        self.built = True

    # ---- pieces -------------------------------------------------------------------------------------------
    def _split(self, x):
        """Filled values, observed-masks and one-hot codes of a batch of rows with NaN for missing entries."""
        x = ops.convert_to_tensor(x, dtype="float32")
        observed = ops.logical_not(ops.isnan(x))
        filled = ops.where(observed, x, ops.zeros_like(x))
        observed = ops.cast(observed, "float32")
        num = filled[:, : self.num_numeric]
        num_obs = observed[:, : self.num_numeric]
        cats, cat_obs = [], []
        for j, k in enumerate(self.categories):
            col = self.num_numeric + j
            code = ops.cast(ops.clip(filled[:, col], 0, k - 1), "int32")
            cats.append(ops.one_hot(code, k))
            cat_obs.append(observed[:, col])
        return num, num_obs, cats, cat_obs

    def _encoder_input(self, num, num_obs, cats, cat_obs, training):
        if training and self.mask_rate > 0:
            shape = (ops.shape(num_obs)[0], self.num_columns)
            keep = ops.cast(keras.random.uniform(shape, seed=self.mask_seed) >= self.mask_rate, "float32")
            num_obs = num_obs * keep[:, : self.num_numeric]
            cat_obs = [o * keep[:, self.num_numeric + j] for j, o in enumerate(cat_obs)]
        parts = [num * num_obs, 1.0 - num_obs] if self.num_numeric else []
        parts += [c * o[:, None] for c, o in zip(cats, cat_obs)]
        return ops.concatenate(parts, axis=-1)

    def _encode_tensors(self, x, training=False):
        num, num_obs, cats, cat_obs = self._split(x)
        h = self.encoder(self._encoder_input(num, num_obs, cats, cat_obs, training), training=training)
        return h[:, : self.latent_dim], clamp_log_var(h[:, self.latent_dim :])

    def _decode_tensors(self, z, training=False):
        out = self.decoder(z, training=training)
        numeric_mean = out[:, : self.num_numeric]
        logits, start = [], self.num_numeric
        for k in self.categories:
            logits.append(out[:, start : start + k])
            start += k
        return numeric_mean, logits

    def _sigma(self):
        return ops.exp(ops.clip(self.log_sigma[: self.num_numeric], *LOG_SIGMA_RANGE))

    def _nll(self, x, numeric_mean, logits):
        """−log p(x_obs | z) per row, summed over the observed entries: shape (batch,)."""
        num, num_obs, cats, cat_obs = self._split(x)
        total = ops.zeros_like(num_obs[:, 0]) if self.num_numeric else ops.zeros_like(cat_obs[0])
        if self.num_numeric:
            log_sigma = ops.clip(self.log_sigma[: self.num_numeric], *LOG_SIGMA_RANGE)
            per_entry = 0.5 * ops.square((num - numeric_mean) / ops.exp(log_sigma)) + log_sigma + 0.5 * _LOG_2PI
            total = total + ops.sum(per_entry * num_obs, axis=-1)
        for onehot, obs, lg in zip(cats, cat_obs, logits):
            per_row = -ops.sum(onehot * ops.log_softmax(lg, axis=-1), axis=-1)
            total = total + per_row * obs
        return total

    def _check_rows(self, x, name: str = "x") -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.num_columns:
            raise ValueError(
                f"{name} must have shape (N, {self.num_columns}) ({self.num_numeric} numeric and "
                f"{len(self.categories)} categorical columns); got {x.shape}."
            )
        for j, k in enumerate(self.categories):
            col = x[:, self.num_numeric + j]
            col = col[~np.isnan(col)]
            if col.size and (np.any(col != np.round(col)) or col.min() < 0 or col.max() > k - 1):
                raise ValueError(
                    f"categorical column {self.num_numeric + j} must hold integer codes in "
                    f"[0, {k - 1}] or NaN; got values in [{col.min()}, {col.max()}]."
                )
        if np.any(np.isinf(x)):
            raise ValueError(f"{name} must be finite or NaN (missing); it holds inf.")
        return x

    # ---- Keras interface ----------------------------------------------------------------------------------
    def call(self, inputs, training=None):
        mean, log_var = self._encode_tensors(inputs, training=bool(training))
        z = self.sampling([mean, log_var])
        numeric_mean, logits = self._decode_tensors(z, training=training)
        return {"numeric_mean": numeric_mean, "categorical_logits": logits, "mean": mean, "log_var": log_var, "z": z}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Negative ELBO over the observed entries: per-row sums, mean over the batch (``y`` is ignored)."""
        if sample_weight is not None:
            raise ValueError("TabularVAE.compute_loss does not support sample_weight; got one.")
        if y_pred is None:
            y_pred = self(x, training=training)
        reconstruction = ops.mean(self._nll(x, y_pred["numeric_mean"], y_pred["categorical_logits"]))
        kl = ops.mean(losses.gaussian_kl(y_pred["mean"], y_pred["log_var"]))
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return reconstruction + self.beta * kl

    # ---- NumPy conveniences -------------------------------------------------------------------------------
    def encode(self, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """Parameters of q(z|x) for rows with NaN for missing entries: ``(mean, log_var)``, shape (N, latent_dim)."""
        x = self._check_rows(x)
        mean, log_var = self._encode_tensors(x, training=False)
        return _to_numpy(mean), _to_numpy(log_var)

    def decode(self, z: Any) -> tuple[np.ndarray, list[np.ndarray]]:
        """Decoder outputs for codes z: numeric means (N, num_numeric) and category probabilities (one (N, K_j)
        array per categorical column)."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}); got {z.shape}.")
        numeric_mean, logits = self._decode_tensors(z)
        return _to_numpy(numeric_mean), [_to_numpy(ops.softmax(lg, axis=-1)) for lg in logits]

    def log_likelihood(self, x: Any, z: Any) -> np.ndarray:
        """log p(x_obs | z) of each row, summed over its observed entries, in nats: shape (N,)."""
        x = self._check_rows(x)
        z = np.asarray(z, dtype=np.float32)
        if len(x) != len(z):
            raise ValueError(f"log_likelihood needs one z per row; got {len(x)} rows and {len(z)} z.")
        numeric_mean, logits = self._decode_tensors(z)
        return -_to_numpy(self._nll(x, numeric_mean, logits)).astype(np.float64)

    def sigma(self) -> np.ndarray:
        """The learned standard deviation of each numeric column's Gaussian likelihood, shape (num_numeric,)."""
        return _to_numpy(self._sigma())

    def impute(self, x: Any) -> np.ndarray:
        """Fill the NaN entries of ``x``: decode the posterior mean of q(z | observed entries); numeric columns get
        the decoder's mean, categorical columns its most probable category. Observed entries are kept.

        Returns:
            float32 array shaped like ``x`` without NaN.
        """
        x = self._check_rows(x)
        mean, _ = self.encode(x)
        numeric_mean, probs = self.decode(mean)
        filled = x.copy()
        guess = np.concatenate([numeric_mean] + [p.argmax(axis=1)[:, None].astype(np.float32) for p in probs], axis=1)
        missing = np.isnan(x)
        filled[missing] = guess[missing]
        return filled

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "num_numeric": self.num_numeric,
            "categories": list(self.categories),
            "latent_dim": self.latent_dim,
            "hidden_units": list(self.hidden_units),
            "beta": self.beta,
            "mask_rate": self.mask_rate,
            "seed": self.seed,
        }
