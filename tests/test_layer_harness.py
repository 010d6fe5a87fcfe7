"""Keras's own layer harness on every vaebook layer: the checks every built-in Keras layer passes.

``keras.src.testing.TestCase.run_layer_test`` checks the config round trip, building, a symbolic call, the
expected numbers of weights, losses and seed generators, a training step inside a model, and a call under the
``mixed_float16`` policy (float16 compute, float32 variables). It is Keras's internal test helper (not public
API), which is why it lives in the tests only.
"""

import keras
import numpy as np
from keras.src import testing

from vaebook.layers import MaskedConv2D, MaskedResidualBlock, PixelCNNDecoder, Sampling, VectorQuantizer


class LayerHarnessTest(testing.TestCase):
    def test_sampling(self):
        self.run_layer_test(
            Sampling,
            init_kwargs={"seed": 0},
            input_shape=[(2, 4), (2, 4)],
            expected_output_shape=(2, 4),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
            expected_num_seed_generators=1,
            expected_num_losses=0,
            supports_masking=False,
            # The harness's training step feeds the inputs through tf.data, which cannot take a list of inputs
            # (Keras's own merging layers skip it too); on JAX and PyTorch it runs.
            run_training_check=keras.backend.backend() != "tensorflow",
        )

    def test_masked_conv2d(self):
        for mask_type in ("A", "B"):
            self.run_layer_test(
                MaskedConv2D,
                init_kwargs={"mask_type": mask_type, "filters": 3, "kernel_size": 3, "activation": "relu"},
                input_shape=(2, 5, 5, 4),
                expected_output_shape=(2, 5, 5, 3),
                expected_num_trainable_weights=2,
                expected_num_non_trainable_weights=0,
                expected_num_seed_generators=0,
                expected_num_losses=0,
                supports_masking=False,
            )

    def test_masked_residual_block(self):
        self.run_layer_test(
            MaskedResidualBlock,
            init_kwargs={"filters": 4, "kernel_size": 3},
            input_shape=(2, 5, 5, 4),
            expected_output_shape=(2, 5, 5, 4),
            expected_num_trainable_weights=6,  # three convolutions, a kernel and a bias each
            expected_num_non_trainable_weights=0,
            expected_num_seed_generators=0,
            expected_num_losses=0,
            supports_masking=False,
        )

    def test_pixelcnn_decoder(self):
        self.run_layer_test(
            PixelCNNDecoder,
            init_kwargs={"filters": 4, "num_residual_blocks": 1, "first_kernel_size": 3},
            input_shape=[(2, 5, 5, 1), (2, 5, 5, 3)],
            expected_output_shape=(2, 5, 5, 1),
            # mask A and mask B (2 each), one block (6), a 1×1 projection of the condition per layer (2 × 2), logits
            expected_num_trainable_weights=2 + 2 + 6 + 4 + 2,
            expected_num_non_trainable_weights=0,
            expected_num_seed_generators=0,
            expected_num_losses=0,
            supports_masking=False,
            run_training_check=keras.backend.backend() != "tensorflow",  # a list of inputs, as for Sampling
        )

    def test_vector_quantizer_with_a_learned_codebook(self):
        self.run_layer_test(
            VectorQuantizer,
            init_kwargs={"num_embeddings": 6, "embedding_dim": 3, "seed": 0},
            input_shape=(2, 4, 4, 3),
            expected_output_shape=(2, 4, 4, 3),
            expected_num_trainable_weights=1,  # the codebook
            expected_num_non_trainable_weights=5,  # usage, steps, perplexity, codes_used, restarts
            expected_num_seed_generators=1,
            supports_masking=False,
        )

    def test_vector_quantizer_with_ema_and_restarts(self):
        self.run_layer_test(
            VectorQuantizer,
            init_kwargs={
                "num_embeddings": 6,
                "embedding_dim": 3,
                "ema_decay": 0.9,
                "dead_code_threshold": 1.0,
                "seed": 0,
            },
            input_data=np.random.default_rng(0).normal(size=(2, 4, 4, 3)).astype("float32"),
            expected_output_shape=(2, 4, 4, 3),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=8,  # codebook, ema_count, ema_sum and the five statistics
            expected_num_seed_generators=1,
            supports_masking=False,
        )
