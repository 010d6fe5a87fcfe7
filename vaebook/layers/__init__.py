"""Keras layers of the book (``Sampling``, ``VectorQuantizer``, masked convolutions, ...).

Each concept lives in its own module; every public name of every module is available here, e.g.
``vaebook.layers.Sampling``. Every layer is registered serializable under the package name ``"vaebook"``.
"""

from vaebook._autoexport import export_submodules

__all__ = export_submodules(__name__, globals())
