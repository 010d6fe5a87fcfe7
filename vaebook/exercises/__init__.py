"""Check functions that students call on their own implementations, one module per chapter.

A check never raises because the student's code is wrong: it runs the code, compares it with the reference on
well-chosen inputs, and prints what is right and what is wrong in words. It returns a :class:`CheckReport`, which
is truthy when every check passed::

    from vaebook.exercises import check_gaussian_kl
    check_gaussian_kl(my_gaussian_kl)
"""

from vaebook._api import public_names as _public_names

# Every public name of every module, imported explicitly (as Keras does), so that IDEs and static tools resolve
# them. A new module adds one import here; tests/test_api.py prints the lines that are missing.
from vaebook.exercises._checking import Checker as Checker, CheckReport as CheckReport
from vaebook.exercises.appendix_scaling import (
    check_merge_log_mean_exp as check_merge_log_mean_exp,
    check_shard_ranges as check_shard_ranges,
    merge_log_mean_exp_reference as merge_log_mean_exp_reference,
    shard_ranges_reference as shard_ranges_reference,
)
from vaebook.exercises.ch01_representations import (
    check_components_for_variance as check_components_for_variance,
    check_pca_reconstruction as check_pca_reconstruction,
    pca_reconstruction_reference as pca_reconstruction_reference,
)
from vaebook.exercises.ch02_backprop import (
    check_dense_backward as check_dense_backward,
    check_sigmoid_backward as check_sigmoid_backward,
)
from vaebook.exercises.ch03_autoencoders import (
    PCA_EXAMPLE_POINTS as PCA_EXAMPLE_POINTS,
    check_pca_encoder_decoder as check_pca_encoder_decoder,
    check_reconstruction_loss as check_reconstruction_loss,
)
from vaebook.exercises.ch04_kl import check_discrete_kl as check_discrete_kl, check_gaussian_kl as check_gaussian_kl
from vaebook.exercises.ch05_elbo import check_elbo_1d as check_elbo_1d, check_elbo_estimate as check_elbo_estimate
from vaebook.exercises.ch06_reparameterization import (
    check_gumbel_softmax as check_gumbel_softmax,
    check_reparameterized_sample as check_reparameterized_sample,
)
from vaebook.exercises.ch07_vae import (
    check_importance_weighted_bound as check_importance_weighted_bound,
    check_negative_elbo as check_negative_elbo,
)
from vaebook.exercises.ch08_cvae import (
    check_attribute_vector as check_attribute_vector,
    check_conditional_input as check_conditional_input,
)
from vaebook.exercises.ch09_vq import (
    check_code_perplexity as check_code_perplexity,
    check_nearest_code as check_nearest_code,
    nearest_code_reference as nearest_code_reference,
)
from vaebook.exercises.ch10_collapse import (
    check_free_bits_kl as check_free_bits_kl,
    check_predicted_active_units as check_predicted_active_units,
    free_bits_kl_reference as free_bits_kl_reference,
    predicted_active_units_reference as predicted_active_units_reference,
)
from vaebook.exercises.ch11_applications import (
    check_fixed_point_multiply as check_fixed_point_multiply,
    check_recall_at_false_positive_rate as check_recall_at_false_positive_rate,
)
from vaebook.exercises.ch12_outlook import (
    check_energy_distance as check_energy_distance,
    check_forward_diffusion as check_forward_diffusion,
    energy_distance_reference as energy_distance_reference,
    forward_diffusion_reference as forward_diffusion_reference,
)

__all__ = _public_names(globals())
