"""Reading plotly selection events (``st.plotly_chart(on_select=...)``) back into view knobs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def param_from_selection(event: Mapping[str, Any] | None, values: Sequence[float]) -> float | None:
    """The sweep parameter (t or λ) of the first clicked point, or None when nothing usable was clicked.

    Frontier figures put the parameter in ``customdata[0]`` and draw the sweep as curve 0 whose point
    ``i`` is row ``i`` of the frontier table; either is enough (``values`` are the table's parameters).
    """
    if not event:
        return None
    selection = event.get("selection") or {}
    points = selection.get("points") or []
    for p in points:
        cd = p.get("customdata")
        if isinstance(cd, (list, tuple)) and cd:
            cd = cd[0]
        if isinstance(cd, (int, float)):
            return float(cd)
        i = p.get("point_index", p.get("point_number"))
        if p.get("curve_number", 0) == 0 and isinstance(i, int) and 0 <= i < len(values):
            return float(values[i])
    return None
