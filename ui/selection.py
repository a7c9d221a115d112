"""Reading chart selection events (plotly and Vega-Lite ``on_select``) back into view knobs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def param_from_selection(event: Mapping[str, Any] | None, values: Sequence[float]) -> float | None:
    """The sweep parameter (t or λ) of the first clicked point, or None when nothing usable was clicked.

    Frontier figures put the parameter in ``customdata[0]`` and draw the sweep as curve 0 whose point
    ``i`` is row ``i`` of the frontier table; either is enough (``values`` are the table's parameters).

    What Streamlit 1.67 really reports for ``customdata``: plotly.py 6 sends a numpy ``customdata`` as a
    typed array, plotly.js decodes a 2-D one into rows of ``Float64Array``, and the browser's
    ``JSON.stringify`` turns such a row into an *object*: ``{"0": 2.5}``, not ``[2.5]``. A list (from a
    figure built with Python lists) and a bare number also occur; all three are read here.
    """
    if not event:
        return None
    selection = event.get("selection") or {}
    points = selection.get("points") or []
    for p in points:
        if not isinstance(p, Mapping):
            continue
        cd = _first(p.get("customdata"))
        if isinstance(cd, (int, float)) and not isinstance(cd, bool) and cd == cd:
            return float(cd)
        i = p.get("point_index", p.get("point_number"))
        if p.get("curve_number", 0) == 0 and isinstance(i, int) and 0 <= i < len(values):
            return float(values[i])
    return None


def _first(cd: Any) -> Any:
    """The first entry of a point's ``customdata``: a list / tuple, a typed-array row ``{"0": v, ...}``."""
    if isinstance(cd, (list, tuple)):
        return cd[0] if cd else None
    if isinstance(cd, Mapping):
        return cd.get("0", cd.get(0))
    return cd


def param_from_vega_selection(
    event: Mapping[str, Any] | None, name: str, field: str = "param"
) -> float | None:
    """The ``field`` value of the first point selected in the Vega-Lite point-selection parameter ``name``.

    ``st.vega_lite_chart(on_select=...)`` reports ``{"selection": {name: [{field: value, ...}, ...]}}``;
    None when nothing (usable) is selected.
    """
    if not event:
        return None
    points = (event.get("selection") or {}).get(name) or []
    if isinstance(points, Mapping):  # a single point given as a mapping of field -> value(s)
        points = [points]
    for p in points:
        v = p.get(field) if isinstance(p, Mapping) else None
        if isinstance(v, (list, tuple)) and v:
            v = v[0]
        if isinstance(v, (int, float)) and v == v:
            return float(v)
    return None
