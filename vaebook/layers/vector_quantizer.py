"""The vector quantizer of a VQ-VAE: a codebook, nearest-code lookup, the straight-through estimator, EMA updates.

A VQ-VAE (van den Oord et al., 2017) replaces the encoder output ``z_e`` (one ``D``-vector per spatial position) by
the nearest of ``K`` codebook vectors ``e_1 ... e_K``. This module holds that one concept:

* the nearest code by squared Euclidean distance, ``‖z‖² − 2 z·eᵀ + ‖e‖²``, an ``(N, K)`` matrix (never ``(N, K, D)``);
* the straight-through estimator ``z_e + sg(z_q − z_e)``: forward value ``z_q``, gradient passed to ``z_e`` unchanged;
* the VQ loss ``‖sg[z_e] − e‖² + β‖z_e − sg[e]‖²`` (codebook and commitment terms), added with ``add_loss``;
* optionally, the codebook learned by exponential moving averages of assignment counts and sums (k-means in the
  limit of ``ema_decay = 0``) and dead codes restarted at encoder outputs of the current batch;
* the code-usage statistics: perplexity and fraction of codes used.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from vaebook import losses
from vaebook._serialization import DeclaredConfig
from vaebook._validation import check_integer

__all__ = ["VectorQuantizer", "code_perplexity", "fraction_of_codes_used", "squared_distances"]


def squared_distances(z: Any, codebook: Any) -> Any:
    """Squared Euclidean distances between vectors and codes, without an ``(N, K, D)`` intermediate.

    ``‖z_n − e_k‖² = ‖z_n‖² − 2 z_n·e_k + ‖e_k‖²``: one matrix product and two row norms.

    Args:
        z: tensor of shape (N, D).
        codebook: tensor of shape (K, D).

    Returns:
        Tensor of shape (N, K), entry (n, k) the squared distance from ``z[n]`` to ``codebook[k]``.

    Used in: chapter 9, section "Continuous and discrete codes".
    """
    z_sq = ops.sum(ops.square(z), axis=-1, keepdims=True)  # (N, 1)
    e_sq = ops.sum(ops.square(codebook), axis=-1)  # (K,)
    return z_sq - 2.0 * ops.matmul(z, ops.transpose(codebook)) + e_sq[None, :]


def code_perplexity(indices: Any, num_embeddings: int) -> Any:
    """Perplexity of code usage: ``exp(−Σ_k p_k log p_k)`` with ``p_k`` the fraction of indices equal to ``k``.

    It is 1 when a single code is used and ``num_embeddings`` when all codes are used equally often: the
    "effective number of codes".

    Args:
        indices: integer tensor of any shape, values in ``[0, num_embeddings)``.
        num_embeddings: the codebook size ``K``.

    Returns:
        Scalar tensor.

    Used in: chapter 9, section "Codebook collapse, and two fixes".
    """
    return _perplexity(_counts(indices, num_embeddings))


def fraction_of_codes_used(indices: Any, num_embeddings: int) -> Any:
    """Fraction of the ``num_embeddings`` codes that occur at least once in ``indices``.

    Args:
        indices: integer tensor of any shape, values in ``[0, num_embeddings)``.
        num_embeddings: the codebook size ``K``.

    Returns:
        Scalar tensor in [0, 1].

    Used in: chapter 9, section "Codebook collapse, and two fixes".
    """
    counts = _counts(indices, num_embeddings)
    return ops.mean(ops.cast(counts > 0, "float32"))


def _perplexity(counts: Any) -> Any:
    """``exp(entropy)`` of the distribution ``counts / sum(counts)`` (the one definition of code perplexity)."""
    p = counts / ops.maximum(ops.sum(counts), 1.0)
    return ops.exp(-ops.sum(p * ops.log(p + 1e-10)))


def _counts(indices: Any, num_embeddings: int) -> Any:
    flat = ops.reshape(ops.cast(indices, "int32"), (-1,))
    return ops.sum(ops.one_hot(flat, num_embeddings, dtype="float32"), axis=0)


@keras.saving.register_keras_serializable(package="vaebook")
class VectorQuantizer(DeclaredConfig, keras.layers.Layer):
    """Nearest-neighbour vector quantization with a straight-through gradient, as in a VQ-VAE.

    The input's last axis holds the vectors to quantize: shape ``(..., embedding_dim)``, e.g. ``(B, 7, 7, 16)``
    for a 7×7 grid of 16-dimensional encoder outputs. The output has the same shape; its value is the nearest
    codebook vector ``z_q`` and its gradient is passed to the input unchanged (``z_e + sg(z_q − z_e)``).

    In training (``call(..., training=True)``) the layer adds its loss with ``add_loss``, each term summed over an
    example's grid positions and code dimensions (every axis but the first) and averaged over the batch (the first
    axis), the book's reduction:

    * without EMA: ``‖sg[z_e] − z_q‖² + beta · ‖z_e − sg[z_q]‖²``, value ``(1 + beta) · ‖z_e − z_q‖²``:
      the first (codebook) term moves the codes, the second (commitment) term the encoder;
    * with ``ema_decay``: only ``beta · ‖z_e − sg[z_q]‖²``; the codebook is non-trainable and set after each
      training step from moving averages of the number ``n_k`` and the sum ``s_k`` of the encoder outputs assigned
      to code ``k``, ``e_k = s_k / ñ_k`` with ``ñ_k`` Laplace-smoothed by ``epsilon``. With ``ema_decay = 0`` a
      step is a k-means (Lloyd) step: each used code moves to the mean of its vectors. A code never assigned keeps
      its initial value.

    With ``dead_code_threshold``, a code whose moving-average usage (assignments per batch, averaged with
    ``usage_decay``) falls below the threshold is restarted at a random encoder output from the current batch; its
    usage is reset to the threshold, so a restarted code that attracts fewer vectors than the threshold is restarted
    again at the next step (as in Dhariwal et al., 2020). The first training step starts the moving average at the
    batch's counts, so codes unused in the first batch are restarted at once: a data-dependent initialization.

    Every training call also stores the batch's code ``perplexity`` and fraction of codes used (``codes_used``) in
    non-trainable variables. All state lives in non-trainable variables assigned inside ``call``, which Keras 3
    tracks on TensorFlow, PyTorch and in JAX's stateless (jitted) training step.

    Args:
        num_embeddings: codebook size ``K``.
        embedding_dim: dimension ``D`` of each code (the input's last axis).
        beta: weight of the commitment term.
        ema_decay: ``None`` for a codebook learned by gradient descent, else the EMA decay in [0, 1).
        epsilon: Laplace smoothing of the EMA counts.
        dead_code_threshold: ``None`` (no restarts), or the usage below which a code is restarted. Needs
            ``ema_decay``: a trainable codebook belongs to the optimizer, which the layer must not overwrite.
        usage_decay: decay of the moving average of code usage used for dead-code detection.
        embeddings_initializer: initializer of the (K, D) codebook.
        seed: seed of the restarts' random choice of encoder outputs.

    Example:
        >>> vq = VectorQuantizer(num_embeddings=128, embedding_dim=16, ema_decay=0.99, dead_code_threshold=5.0)
        >>> z_q = vq(z_e, training=True)             # z_e: (B, 7, 7, 16)
        >>> codes = vq.get_code_indices(z_e)        # (B, 7, 7) int32
        >>> vq.indices_to_vectors(codes)            # (B, 7, 7, 16), equal to z_q's value

    Used in: chapter 9, section "Continuous and discrete codes".
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        beta: float = 0.25,
        ema_decay: float | None = None,
        epsilon: float = 1e-5,
        dead_code_threshold: float | None = None,
        usage_decay: float = 0.9,
        embeddings_initializer: Any = "random_uniform",
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        num_embeddings = check_integer("num_embeddings", num_embeddings)
        embedding_dim = check_integer("embedding_dim", embedding_dim)
        if not beta >= 0:
            raise ValueError(f"beta must be a non-negative number; got {beta!r}.")
        if ema_decay is not None and not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"ema_decay must be None or in [0, 1); got {ema_decay!r}.")
        if not epsilon >= 0:
            raise ValueError(f"epsilon must be a non-negative number; got {epsilon!r}.")
        if not 0.0 <= usage_decay < 1.0:
            raise ValueError(f"usage_decay must be in [0, 1); got {usage_decay!r}.")
        if dead_code_threshold is not None:
            if not dead_code_threshold > 0:
                raise ValueError(f"dead_code_threshold must be None or positive; got {dead_code_threshold!r}.")
            if ema_decay is None:
                raise ValueError(
                    "dead_code_threshold needs an EMA codebook (set ema_decay, e.g. 0.99); got "
                    "ema_decay=None, where the optimizer owns the codebook."
                )
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.beta = float(beta)
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.epsilon = float(epsilon)
        self.dead_code_threshold = None if dead_code_threshold is None else float(dead_code_threshold)
        self.usage_decay = float(usage_decay)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    # ------------------------------------------------------------------ state
    def build(self, input_shape):
        if input_shape[-1] is not None and input_shape[-1] != self.embedding_dim:
            raise ValueError(
                f"VectorQuantizer expects inputs of shape (..., {self.embedding_dim}); got {tuple(input_shape)}."
            )
        k, d = self.num_embeddings, self.embedding_dim
        use_ema = self.ema_decay is not None
        self._codebook = self.add_weight(
            name="embeddings", shape=(k, d), initializer=self.embeddings_initializer, trainable=not use_ema
        )
        if use_ema:
            self.ema_count = self.add_weight(name="ema_count", shape=(k,), initializer="zeros", trainable=False)
            self.ema_sum = self.add_weight(name="ema_sum", shape=(k, d), initializer="zeros", trainable=False)
        self.usage = self.add_weight(name="usage", shape=(k,), initializer="zeros", trainable=False)
        self.steps = self.add_weight(name="steps", shape=(), initializer="zeros", trainable=False)
        self.perplexity = self.add_weight(name="perplexity", shape=(), initializer="zeros", trainable=False)
        self.codes_used = self.add_weight(name="codes_used", shape=(), initializer="zeros", trainable=False)
        self.restarts = self.add_weight(name="restarts", shape=(), initializer="zeros", trainable=False)

    @property
    def embeddings(self) -> Any:
        """The (K, D) codebook."""
        return self._codebook.value

    # ------------------------------------------------------------------ lookup
    def _flatten(self, inputs):
        shape = ops.shape(inputs)
        if len(shape) < 1 or shape[-1] != self.embedding_dim:
            raise ValueError(
                f"VectorQuantizer expects inputs of shape (..., {self.embedding_dim}); got {tuple(shape)}."
            )
        return ops.reshape(inputs, (-1, self.embedding_dim))

    def get_code_indices(self, inputs: Any) -> Any:
        """Index of the nearest code (squared Euclidean distance) for each vector.

        Args:
            inputs: tensor of shape (..., embedding_dim).

        Returns:
            int32 tensor of shape ``inputs.shape[:-1]``.
        """
        if not self.built:
            self.build(ops.shape(inputs))
        flat = self._flatten(ops.convert_to_tensor(inputs, dtype=self.compute_dtype))
        indices = ops.cast(ops.argmin(squared_distances(flat, self.embeddings), axis=-1), "int32")
        return ops.reshape(indices, ops.shape(inputs)[:-1])

    def indices_to_vectors(self, indices: Any) -> Any:
        """The code vectors of integer code indices.

        Args:
            indices: integer tensor of any shape, values in ``[0, num_embeddings)``.

        Returns:
            Tensor of shape ``indices.shape + (embedding_dim,)``.
        """
        return ops.take(self.embeddings, ops.cast(indices, "int32"), axis=0)

    # ------------------------------------------------------------------ forward
    def call(self, inputs, training=None):
        shape = ops.shape(inputs)
        flat = self._flatten(inputs)
        codebook = self._codebook.value
        indices = ops.argmin(squared_distances(ops.stop_gradient(flat), ops.stop_gradient(codebook)), axis=-1)
        quantized_flat = ops.take(codebook, indices, axis=0)
        quantized = ops.reshape(quantized_flat, shape)

        if training:
            commitment = losses.batch_mean_of_sums(ops.square(inputs - ops.stop_gradient(quantized)))
            if self.ema_decay is None:
                codebook_term = losses.batch_mean_of_sums(ops.square(ops.stop_gradient(inputs) - quantized))
                self.add_loss(codebook_term + self.beta * commitment)
            else:
                self.add_loss(self.beta * commitment)
            self._update_state(ops.stop_gradient(flat), indices)

        # Straight-through estimator: the value of z_q, the gradient of z_e.
        return inputs + ops.stop_gradient(quantized - inputs)

    def _update_state(self, flat, indices):
        k = self.num_embeddings
        one_hot = ops.one_hot(indices, k, dtype=flat.dtype)  # (N, K): no (N, K, D) anywhere
        counts = ops.sum(one_hot, axis=0)  # (K,)
        self.perplexity.assign(_perplexity(counts))
        self.codes_used.assign(ops.mean(ops.cast(counts > 0, flat.dtype)))
        # Moving-average usage (assignments per batch); the first step starts it at the batch's counts.
        first = ops.equal(self.steps.value, 0.0)
        usage = ops.where(first, counts, self.usage_decay * self.usage.value + (1.0 - self.usage_decay) * counts)
        self.steps.assign(self.steps.value + 1.0)

        if self.ema_decay is None:
            self.usage.assign(usage)
            return
        gamma = self.ema_decay
        ema_count = gamma * self.ema_count.value + (1.0 - gamma) * counts
        ema_sum = gamma * self.ema_sum.value + (1.0 - gamma) * ops.matmul(ops.transpose(one_hot), flat)
        total = ops.sum(ema_count)
        smoothed = (ema_count + self.epsilon) / (total + k * self.epsilon) * total  # Laplace smoothing
        has_mass = ema_count > 0
        safe = ops.where(has_mass, smoothed, ops.ones_like(smoothed))
        codebook = ops.where(has_mass[:, None], ema_sum / safe[:, None], self._codebook.value)

        if self.dead_code_threshold is not None:
            dead = usage < self.dead_code_threshold
            rows = keras.random.randint((k,), 0, ops.shape(flat)[0], seed=self.seed_generator)
            candidates = ops.take(flat, rows, axis=0)  # (K, D): one random encoder output per code
            codebook = ops.where(dead[:, None], candidates, codebook)
            ema_sum = ops.where(dead[:, None], candidates, ema_sum)
            ema_count = ops.where(dead, ops.ones_like(ema_count), ema_count)
            usage = ops.where(dead, ops.full_like(usage, self.dead_code_threshold), usage)
            self.restarts.assign(self.restarts.value + ops.sum(ops.cast(dead, flat.dtype)))

        self.usage.assign(usage)
        self.ema_count.assign(ema_count)
        self.ema_sum.assign(ema_sum)
        self._codebook.assign(codebook)

    def compute_output_shape(self, input_shape):
        return input_shape
