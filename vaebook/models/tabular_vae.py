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

from collections.abc import Sequence
from typing import Any, ClassVar

import keras
import numpy as np
from keras import ops

from vaebook import losses
from vaebook._validation import check_integer
from vaebook.layers.sampling import clamp_log_var
from vaebook.models.base import BATCH_SIZE, LatentGaussianModel, batched, to_numpy

__all__ = ["TabularVAE"]

LOG_SIGMA_RANGE = (-5.0, 3.0)
# Each weight initializer and the masking draws get their own seed, ``seed + offset``, so that their random streams
# differ (the offsets of the first release, kept so that a seed gives the same model as before).
SEED_OFFSETS = {"encoder_hidden": 0, "encoder_head": 50, "decoder_hidden": 100, "decoder_head": 150, "mask": 7}


@keras.saving.register_keras_serializable(package="vaebook")
class TabularVAE(LatentGaussianModel):
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
        beta: weight β >= 0 of the KL term, a variable that :class:`vaebook.callbacks.KLAnnealing` anneals.
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

    config_keys: ClassVar[tuple[str, ...]] = (
        "num_numeric",
        "categories",
        "latent_dim",
        "hidden_units",
        "beta",
        "mask_rate",
        "seed",
    )

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
        super().__init__(beta=beta, seed=seed, **kwargs)
        self.num_numeric = check_integer("num_numeric", num_numeric, minimum=0)
        self.categories = [check_integer("each entry of categories", k, minimum=2) for k in categories]
        if self.num_numeric + len(self.categories) == 0:
            raise ValueError("a TabularVAE needs at least one column: num_numeric = 0 and no categories.")
        self.latent_dim = check_integer("latent_dim", latent_dim)
        self.hidden_units = [check_integer("each entry of hidden_units", u) for u in hidden_units]
        if isinstance(mask_rate, bool) or not 0.0 <= float(mask_rate) < 1.0:
            raise ValueError(f"mask_rate must be in [0, 1); got {mask_rate!r}.")
        self.mask_rate = float(mask_rate)
        self.num_columns = self.num_numeric + len(self.categories)

        def init(part: str, i: int = 0):
            return keras.initializers.GlorotUniform(seed=None if seed is None else seed + SEED_OFFSETS[part] + i)

        enc_in = 2 * self.num_numeric + sum(self.categories)
        self.encoder = keras.Sequential(
            [keras.Input((enc_in,))]
            + [
                keras.layers.Dense(u, activation="relu", kernel_initializer=init("encoder_hidden", i))
                for i, u in enumerate(self.hidden_units)
            ]
            + [keras.layers.Dense(2 * self.latent_dim, kernel_initializer=init("encoder_head"))],
            name="encoder",
        )
        self.decoder = keras.Sequential(
            [keras.Input((self.latent_dim,))]
            + [
                keras.layers.Dense(u, activation="relu", kernel_initializer=init("decoder_hidden", i))
                for i, u in enumerate(reversed(self.hidden_units))
            ]
            + [keras.layers.Dense(self.num_numeric + sum(self.categories), kernel_initializer=init("decoder_head"))],
            name="decoder",
        )
        self.mask_seed = keras.random.SeedGenerator(None if seed is None else seed + SEED_OFFSETS["mask"])
        self.log_sigma = self.add_weight(
            shape=(max(self.num_numeric, 1),), initializer="zeros", trainable=True, name="log_sigma"
        )
        self.built = True

    def load_own_variables(self, store):
        """Files saved before β became a variable hold ``log_sigma`` alone; β then comes from the config."""
        if len(store.keys()) == 1:
            self.log_sigma.assign(store["0"])
            return
        super().load_own_variables(store)

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
        parts += [c * o[:, None] for c, o in zip(cats, cat_obs, strict=True)]
        return ops.concatenate(parts, axis=-1)

    def posterior(self, x, training=False):
        """q's ``(mean, log_var)`` for a batch of rows with NaN for missing entries (the encoder's one output)."""
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
            total = total + losses.gaussian_nll(num, numeric_mean, self._sigma()[None, :], observed=num_obs)
        for onehot, obs, lg in zip(cats, cat_obs, logits, strict=True):
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
        mean, log_var = self.posterior(inputs, training=bool(training))
        z = self.sampling([mean, log_var])
        numeric_mean, logits = self._decode_tensors(z, training=training)
        return {"numeric_mean": numeric_mean, "categorical_logits": logits, "mean": mean, "log_var": log_var, "z": z}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Negative ELBO over the observed entries: per-row sums, mean over the batch (``y`` is ignored)."""
        y_pred = self.forward_for_loss(x, y_pred, sample_weight, training)
        nll = self._nll(x, y_pred["numeric_mean"], y_pred["categorical_logits"])
        return self.negative_elbo(nll, y_pred["mean"], y_pred["log_var"])

    # ---- NumPy conveniences -------------------------------------------------------------------------------
    def encode(self, x: Any, batch_size: int = BATCH_SIZE) -> tuple[np.ndarray, np.ndarray]:
        """Parameters of q(z|x) for rows with NaN for missing entries: ``(mean, log_var)``, shape (N, latent_dim)."""
        return batched(self.posterior, self._check_rows(x), batch_size=batch_size)

    def decode(self, z: Any, seed: int | None = None, batch_size: int = BATCH_SIZE) -> tuple[np.ndarray, list]:
        """The means of p(x|z): numeric means (N, num_numeric) and category probabilities (one (N, K_j) array per
        categorical column). ``seed`` is unused (one decoder pass)."""
        z = self.check_codes(z)

        def means(zb):
            numeric_mean, logits = self._decode_tensors(zb)
            return (numeric_mean, *(ops.softmax(lg, axis=-1) for lg in logits))

        numeric_mean, *probs = batched(means, z, batch_size=batch_size)
        return numeric_mean, list(probs)

    def log_likelihood(self, x: Any, z: Any, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """log p(x_obs | z) of each row, summed over its observed entries, in nats: shape (N,)."""
        x = self._check_rows(x)
        z = self.check_codes(z)
        if len(x) != len(z):
            raise ValueError(f"log_likelihood needs one z per row; got {len(x)} rows and {len(z)} z.")
        nll = batched(lambda xb, zb: self._nll(xb, *self._decode_tensors(zb)), x, z, batch_size=batch_size)
        return -nll.astype(np.float64)

    def sigma(self) -> np.ndarray:
        """The learned standard deviation of each numeric column's Gaussian likelihood, shape (num_numeric,)."""
        return to_numpy(self._sigma())

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
