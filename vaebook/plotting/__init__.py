"""Figures in the book's style: image grids, latent scatters coloured by label, training curves, diagrams.

Every function draws into a matplotlib ``Axes`` (a new figure if none is given) and returns it, so a chapter can
combine panels. Colour maps are colour-blind safe (viridis, cividis); figures are sized for a web page.

Each kind of figure lives in its own module; every public name of every module is available here, e.g.
``vaebook.plotting.image_grid``:

- :mod:`vaebook.plotting.style`     sizes, colour maps, ``use_book_style``, the Axes every function draws into
- :mod:`vaebook.plotting.images`    ``image_grid``
- :mod:`vaebook.plotting.latents`   ``latent_scatter``, ``animate_latents``
- :mod:`vaebook.plotting.curves`    ``training_curves``
- :mod:`vaebook.plotting.diagrams`  ``autoencoder_diagram``, ``layer_rows``, ``draw_architecture``
"""

from vaebook._api import public_names as _public_names

# Every public name of every module, imported explicitly (as Keras does), so that IDEs and static tools resolve
# them. A new module adds one import here; tests/test_api.py prints the lines that are missing.
from vaebook.plotting.curves import training_curves as training_curves
from vaebook.plotting.diagrams import (
    autoencoder_diagram as autoencoder_diagram,
    draw_architecture as draw_architecture,
    layer_rows as layer_rows,
)
from vaebook.plotting.images import image_grid as image_grid
from vaebook.plotting.latents import animate_latents as animate_latents, latent_scatter as latent_scatter
from vaebook.plotting.style import (
    CMAP as CMAP,
    FIGSIZE as FIGSIZE,
    IMAGE_CMAP as IMAGE_CMAP,
    axes_or_new as axes_or_new,
    use_book_style as use_book_style,
)

__all__ = _public_names(globals())
