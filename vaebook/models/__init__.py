"""Models of the book: autoencoders, the VAE family, VQ-VAE and PixelCNN, and builders for the MNIST chapters.

Each model family lives in its own module; every public name is available here, e.g. ``vaebook.models.VAE``.
"""

from vaebook._autoexport import export_submodules

__all__ = export_submodules(__name__, globals())
