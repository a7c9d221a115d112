"""Feature unlearning on images: remove a measured visual attribute Z (stroke thickness, slant).

>>> from unlearn_core import datasets, images
>>> ds = datasets.load("digits", sensitive="thickness")
>>> train, test = datasets.split(ds, test_size=0.3, random_state=0)
>>> fit = images.fit_image_transport(train.X.to_numpy(), train.z.to_numpy(), image_shape=ds.image_shape)
>>> X1 = fit.transform(test.X.to_numpy(), test.z.to_numpy(), t=1.0)   # both groups' images look alike

Layers: :mod:`.representation` (PCA codes), :mod:`.neural` (a small neural OT map), :mod:`.transport`
(the barycenter in the code space and the McCann path decoded to pixels), :mod:`.frontier` (digit
accuracy vs attacker AUC along t), :mod:`.grid` (the picture), :mod:`.figures` (Vega-Lite specs).
``METHODS`` (name -> description) drives the page's picker. No module here imports streamlit.
"""

from .figures import analytic_chart, frontier_chart
from .frontier import DEFAULT_TS, ImageFrontier, digit_classifier, image_frontier
from .grid import GridSample, grid_sample, pick_sample, render_grid
from .neural import NeuralBarycenter, NeuralOTConfig, fit_neural_ot
from .representation import PCARepresentation, fit_pca
from .transport import (
    DEFAULT_METHOD,
    METHODS,
    ImageTransport,
    blend,
    default_n_components,
    fit_image_transport,
    methods,
)

__all__ = [
    "DEFAULT_METHOD",
    "DEFAULT_TS",
    "METHODS",
    "GridSample",
    "ImageFrontier",
    "ImageTransport",
    "NeuralBarycenter",
    "NeuralOTConfig",
    "PCARepresentation",
    "analytic_chart",
    "blend",
    "default_n_components",
    "digit_classifier",
    "fit_image_transport",
    "fit_neural_ot",
    "fit_pca",
    "frontier_chart",
    "grid_sample",
    "image_frontier",
    "methods",
    "pick_sample",
    "render_grid",
]
