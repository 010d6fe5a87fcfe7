"""Models of the book: autoencoders, the VAE family, VQ-VAE, PixelCNN, GAN and DDPM, and their builders.

Each model family lives in its own module; every public name is available here, e.g. ``vaebook.models.VAE``.
"""

from vaebook._autoexport import export_submodules

__all__ = export_submodules(__name__, globals())
