"""Check functions that students call on their own implementations, one module per chapter.

A check never raises because the student's code is wrong: it runs the code, compares it with the reference on
well-chosen inputs, and prints what is right and what is wrong in words. It returns a :class:`CheckReport`, which
is truthy when every check passed::

    from vaebook.exercises import check_gaussian_kl
    check_gaussian_kl(my_gaussian_kl)
"""

import types as _types

# Every public name of every module, imported explicitly (as Keras does), so that IDEs and static tools resolve
# them. A new module adds one import here; tests/test_api.py prints the lines that are missing.
from vaebook.exercises._checking import CheckReport as CheckReport, Checker as Checker
from vaebook.exercises.ch01_representations import (
    check_pca_reconstruction as check_pca_reconstruction,
    pca_reconstruction_reference as pca_reconstruction_reference,
)
from vaebook.exercises.ch02_backprop import (
    check_dense_backward as check_dense_backward,
    check_sigmoid_backward as check_sigmoid_backward,
)
from vaebook.exercises.ch03_autoencoders import (
    check_reconstruction_loss as check_reconstruction_loss,
    check_pca_encoder_decoder as check_pca_encoder_decoder,
    PCA_EXAMPLE_POINTS as PCA_EXAMPLE_POINTS,
)
from vaebook.exercises.ch04_kl import check_discrete_kl as check_discrete_kl, check_gaussian_kl as check_gaussian_kl
from vaebook.exercises.ch05_elbo import check_elbo_estimate as check_elbo_estimate
from vaebook.exercises.ch06_reparameterization import (
    check_gumbel_softmax as check_gumbel_softmax,
    check_reparameterized_sample as check_reparameterized_sample,
)
from vaebook.exercises.ch07_vae import (
    check_negative_elbo as check_negative_elbo,
    check_importance_weighted_bound as check_importance_weighted_bound,
)
from vaebook.exercises.ch08_cvae import (
    check_attribute_vector as check_attribute_vector,
    check_conditional_input as check_conditional_input,
)
from vaebook.exercises.ch09_vq import (
    check_nearest_code as check_nearest_code,
    nearest_code_reference as nearest_code_reference,
)

__all__ = sorted(
    name for name, value in globals().items() if not name.startswith("_") and not isinstance(value, _types.ModuleType)
)
