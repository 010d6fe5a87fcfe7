"""vaebook: the tested model code behind the book *Autoencoders, VAEs and VQ-VAEs with Keras 3*.

Modules (import what you need; ``import vaebook`` alone loads only the light ones):

- :mod:`vaebook.config`    run profiles, seeding, environment report
- :mod:`vaebook.data`      MNIST with an offline fallback, binarization, IRIS
- :mod:`vaebook.plotting`  image grids, latent scatters, training curves
- :mod:`vaebook.losses`, :mod:`vaebook.layers`, :mod:`vaebook.models`, :mod:`vaebook.metrics`,
  :mod:`vaebook.callbacks`, :mod:`vaebook.exercises`, :mod:`vaebook.estimators`, :mod:`vaebook.autodiff`,
  :mod:`vaebook.optimization`, :mod:`vaebook.linear_gaussian`, :mod:`vaebook.pca`, :mod:`vaebook.attributes`
- :mod:`vaebook.sample_metrics`  scores for samples: energy distance, MMD, share near the data, mode coverage

CONTRIBUTING.md lists what each module holds.
"""

import importlib

__version__ = "0.1.0"

from vaebook import config  # noqa: E402  (light: no Keras import until used)



def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f"vaebook.{name}")
    raise AttributeError(f"module 'vaebook' has no attribute {name!r}")


__all__ = ["config", "__version__", *_LAZY]
