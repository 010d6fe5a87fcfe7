"""vaebook: the tested model code behind the book *Autoencoders, VAEs and VQ-VAEs with Keras 3*.

Modules (import what you need; ``import vaebook`` alone loads only the light ones):

- :mod:`vaebook.config`    run profiles, seeding, environment report
- :mod:`vaebook.data`      MNIST with an offline fallback, binarization, IRIS
- :mod:`vaebook.plotting`  image grids, latent scatters, training curves
- :mod:`vaebook.losses`, :mod:`vaebook.layers`, :mod:`vaebook.models`, :mod:`vaebook.metrics`,
  :mod:`vaebook.callbacks`, :mod:`vaebook.exercises`, :mod:`vaebook.estimators`, :mod:`vaebook.autodiff`,
  :mod:`vaebook.optimization`, :mod:`vaebook.linear_gaussian`, :mod:`vaebook.pca`, :mod:`vaebook.attributes`
- :mod:`vaebook.image_metrics`  measures of images: squared error, PSNR, classifier score
- :mod:`vaebook.sample_metrics`  scores for samples: energy distance, MMD, share near the data, mode coverage
- :mod:`vaebook.anomaly`, :mod:`vaebook.imputation`, :mod:`vaebook.hardware`  chapter 11's applications
- :mod:`vaebook.claims`  the numbers a chapter's prose states, asserted by its hidden check cells
- :mod:`vaebook.explorer`  the latent plane of a 2-D VAE as an interactive figure that runs in the reader's browser

CONTRIBUTING.md lists what each module holds.
"""

import importlib

__version__ = "0.1.0"

from vaebook import config  # noqa: E402  (light: no Keras import until used)

_LAZY = (
    "data",
    "plotting",
    "losses",
    "layers",
    "models",
    "metrics",
    "image_metrics",
    "callbacks",
    "exercises",
    "autodiff",
    "attributes",
    "estimators",
    "pca",
    "linear_gaussian",
    "optimization",
    "sample_metrics",
    "anomaly",
    "imputation",
    "hardware",
    "claims",
    "explorer",
)


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f"vaebook.{name}")
    raise AttributeError(f"module 'vaebook' has no attribute {name!r}")


__all__ = ["config", "__version__", *_LAZY]
