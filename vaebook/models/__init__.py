"""Models of the book: autoencoders, the VAE family, VQ-VAE, PixelCNN, GAN and DDPM, and their builders.

Each model family lives in its own module; every public name is available here, e.g. ``vaebook.models.VAE``.
"""

from vaebook._api import public_names as _public_names

# Every public name of every module, imported explicitly (as Keras does), so that IDEs and static tools resolve
# them. A new module adds one import here; tests/test_api.py prints the lines that are missing.
from vaebook.models.autoencoder import (
    Autoencoder as Autoencoder,
    ContractiveAutoencoder as ContractiveAutoencoder,
    DenoisingAutoencoder as DenoisingAutoencoder,
    SparseAutoencoder as SparseAutoencoder,
)
from vaebook.models.autoencoder_builders import (
    build_contractive_autoencoder as build_contractive_autoencoder,
    build_conv_autoencoder as build_conv_autoencoder,
    build_dense_autoencoder as build_dense_autoencoder,
    build_linear_autoencoder as build_linear_autoencoder,
)
from vaebook.models.base import (
    BATCH_SIZE as BATCH_SIZE,
    GenerativeModel as GenerativeModel,
    LatentGaussianModel as LatentGaussianModel,
    PixelCNNDecoded as PixelCNNDecoded,
)
from vaebook.models.classifier import (
    build_mnist_classifier as build_mnist_classifier,
    classify as classify,
    train_mnist_classifier as train_mnist_classifier,
)
from vaebook.models.conditional_vae import ConditionalVAE as ConditionalVAE
from vaebook.models.diffusion import (
    DDPM as DDPM,
    build_toy_ddpm as build_toy_ddpm,
    noise_schedule as noise_schedule,
    timestep_embedding as timestep_embedding,
)
from vaebook.models.gan import GAN as GAN, build_toy_gan as build_toy_gan
from vaebook.models.linear_gaussian_vae import build_linear_gaussian_vae as build_linear_gaussian_vae
from vaebook.models.mnist_architectures import (
    MNIST_GRID as MNIST_GRID,
    MNIST_IMAGE_SHAPE as MNIST_IMAGE_SHAPE,
    build_mnist_conditioner as build_mnist_conditioner,
    build_mnist_decoder as build_mnist_decoder,
    build_mnist_encoder as build_mnist_encoder,
    build_mnist_grid_conditioner as build_mnist_grid_conditioner,
    build_mnist_mlp_decoder as build_mnist_mlp_decoder,
    build_mnist_mlp_encoder as build_mnist_mlp_encoder,
    build_mnist_quantizer as build_mnist_quantizer,
    build_mnist_vq_decoder as build_mnist_vq_decoder,
    build_mnist_vq_encoder as build_mnist_vq_encoder,
)
from vaebook.models.mnist_vae import (
    build_mnist_cvae as build_mnist_cvae,
    build_mnist_mlp_vae as build_mnist_mlp_vae,
    build_mnist_vae as build_mnist_vae,
)
from vaebook.models.numpy_mlp import ACTIVATIONS as ACTIVATIONS, NumpyMLP as NumpyMLP, keras_mlp_loss as keras_mlp_loss
from vaebook.models.pixelcnn import PixelCNN as PixelCNN
from vaebook.models.pixelcnn_vae import (
    PixelCNNVAE as PixelCNNVAE,
    build_mnist_pixelcnn_vae as build_mnist_pixelcnn_vae,
)
from vaebook.models.pixelcnn_vqvae import (
    PixelCNNVQVAE as PixelCNNVQVAE,
    build_mnist_pixelcnn_vqvae as build_mnist_pixelcnn_vqvae,
)
from vaebook.models.tabular_vae import TabularVAE as TabularVAE
from vaebook.models.toy_architectures import (
    build_toy_denoiser as build_toy_denoiser,
    build_toy_mlp as build_toy_mlp,
)
from vaebook.models.vae import VAE as VAE
from vaebook.models.vqvae import VQVAE as VQVAE, VQModel as VQModel, build_mnist_vqvae as build_mnist_vqvae

__all__ = _public_names(globals())
