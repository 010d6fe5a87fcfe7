"""Keras layers of the book (``Sampling``, ``VectorQuantizer``, masked convolutions, ...).

Each concept lives in its own module; every public name of every module is available here, e.g.
``vaebook.layers.Sampling``. Every layer is registered serializable under the package name ``"vaebook"``.
"""

from vaebook._api import public_names as _public_names

# Every public name of every module, imported explicitly (as Keras does), so that IDEs and static tools resolve
# them. A new module adds one import here; tests/test_api.py prints the lines that are missing.
from vaebook.layers.masked_conv import (
    MaskedConv2D as MaskedConv2D,
    MaskedResidualBlock as MaskedResidualBlock,
    causal_mask as causal_mask,
)
from vaebook.layers.pixelcnn_decoder import PixelCNNDecoder as PixelCNNDecoder
from vaebook.layers.sampling import (
    LOG_VAR_MAX as LOG_VAR_MAX,
    LOG_VAR_MIN as LOG_VAR_MIN,
    Sampling as Sampling,
    clamp_log_var as clamp_log_var,
)
from vaebook.layers.vector_quantizer import (
    VectorQuantizer as VectorQuantizer,
    code_perplexity as code_perplexity,
    fraction_of_codes_used as fraction_of_codes_used,
    squared_distances as squared_distances,
)

__all__ = _public_names(globals())
