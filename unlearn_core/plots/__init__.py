"""Figure builders: pure functions from engine results (arrays, ``Frontier``, ...) to figures.

This is the engine layer: no streamlit here, so figures can be built and tested (and exported to HTML)
without a running app. One function per figure; every builder returns a ``plotly.graph_objects.Figure``
and never mutates its inputs, except the Vega-Lite builders (``transport_vega_spec`` and the module
:mod:`unlearn_core.plots.vega`), which return ``(data, spec)`` for ``st.vega_lite_chart``.

>>> from unlearn_core.plots import transport_figure, frontier_figure
"""

from ._style import group_colors
from .frontier import distortion_leakage_figure, frontier_figure, theoretical_curve
from .transport import (
    DisplayPoints,
    displacement_figure,
    display_points,
    marginal_densities_figure,
    transport_figure,
    transport_vega_spec,
)

__all__ = [
    "DisplayPoints",
    "display_points",
    "displacement_figure",
    "distortion_leakage_figure",
    "frontier_figure",
    "group_colors",
    "marginal_densities_figure",
    "theoretical_curve",
    "transport_figure",
    "transport_vega_spec",
]
