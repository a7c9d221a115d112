"""Vega-Lite specs for the image frontier (plain dicts: the engine stays free of any UI library).

Each builder returns ``(data, spec)`` for ``st.vega_lite_chart(data, spec)``: the spec is fixed, only
the data carries t, so a t step swaps the data of a drawn chart instead of redrawing it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .frontier import ImageFrontier


def frontier_chart(frontier: ImageFrontier, *, t: float) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Digit accuracy (y) against the attacker's AUC for Z (x), one point per t, the nearest to ``t`` ringed.

    The attacker's bootstrap interval is drawn as a horizontal bar; chance (AUC 0.5) as a dashed rule.
    """
    tab = frontier.table.copy()
    tab["current"] = np.isclose(tab["t"], tab["t"].iloc[int(np.argmin(np.abs(tab["t"] - t)))])
    tab["label"] = [f"t = {v:.2f}" for v in tab["t"]]
    x = {
        "field": "auc",
        "type": "quantitative",
        "title": "attacker AUC for Z (0.5 = chance)",
        "scale": {"domain": [0.4, 1.0], "zero": False},
    }
    y = {
        "field": "accuracy",
        "type": "quantitative",
        "title": "digit accuracy on transformed test images",
        "scale": {"zero": False},
    }
    spec = {
        "height": 320,
        "layer": [
            {
                "mark": {"type": "rule", "strokeDash": [4, 4], "color": "gray"},
                "encoding": {"x": {"datum": 0.5}},
            },
            {
                "mark": {"type": "rule"},
                "encoding": {"x": {**x, "field": "auc_lo"}, "x2": {"field": "auc_hi"}, "y": y},
            },
            {"mark": {"type": "line", "point": True}, "encoding": {"x": x, "y": y, "order": {"field": "t"}}},
            {
                "mark": {"type": "point", "size": 260, "strokeWidth": 3, "color": "#d62728"},
                "transform": [{"filter": "datum.current"}],
                "encoding": {"x": x, "y": y},
            },
            {
                "mark": {"type": "text", "dx": 8, "dy": -8, "align": "left"},
                "encoding": {"x": x, "y": y, "text": {"field": "label"}},
            },
        ],
        "encoding": {
            "tooltip": [
                {"field": c, "type": "quantitative", "format": ".3f"}
                for c in ("t", "accuracy", "auc", "auc_lo", "auc_hi")
            ]
        },
    }
    return tab, spec


def analytic_chart(
    frontier: ImageFrontier, *, t: float, n_grid: int = 41
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """D(t) = t^2 V and L(t) = (1 - t)^2 V in the representation over [0, 1], a rule at ``t``,
    and the measured pixel distortion E||x_t - x||^2 of the frontier's t values (theory t^2 (V + R))."""
    ts = np.linspace(0.0, 1.0, n_grid)
    V, R = frontier.V, frontier.R
    curves = pd.concat(
        [
            pd.DataFrame({"t": ts, "value": ts**2 * V, "series": "D(t) = t²V (codes)"}),
            pd.DataFrame({"t": ts, "value": (1 - ts) ** 2 * V, "series": "L(t) = (1 − t)²V"}),
            pd.DataFrame({"t": ts, "value": ts**2 * (V + R), "series": "pixels: t²(V + R)"}),
            pd.DataFrame(
                {
                    "t": frontier.table["t"],
                    "value": frontier.table["distortion"],
                    "series": "pixels: measured E‖x_t − x‖²",
                }
            ),
        ],
        ignore_index=True,
    )
    curves["now"] = float(t)
    color = {
        "field": "series",
        "type": "nominal",
        "title": None,
        "legend": {"orient": "bottom", "columns": 2, "labelLimit": 320},
    }
    spec = {
        "height": 260,
        "layer": [
            {
                "mark": {"type": "line"},
                "transform": [{"filter": "datum.series != 'pixels: measured E‖x_t − x‖²'"}],
                "encoding": {
                    "x": {"field": "t", "type": "quantitative"},
                    "y": {"field": "value", "type": "quantitative", "title": "squared distance"},
                    "color": color,
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 60},
                "transform": [{"filter": "datum.series == 'pixels: measured E‖x_t − x‖²'"}],
                "encoding": {
                    "x": {"field": "t", "type": "quantitative"},
                    "y": {"field": "value", "type": "quantitative"},
                    "color": color,
                },
            },
            {
                "mark": {"type": "rule", "color": "#d62728"},
                "encoding": {"x": {"aggregate": "max", "field": "now", "title": "t"}},
            },
        ],
    }
    return curves, spec


__all__ = ["analytic_chart", "frontier_chart"]
