"""Vega-Lite views of the barycenter explorer's t panels: a *fixed* spec per panel, data that moves with t.

Each builder returns ``(data, spec)`` for ``st.vega_lite_chart(data, spec)``. The spec does not depend
on t (only on the fit: axis ranges, V, names), and every t-dependent number is in ``data``. Streamlit
then updates a Vega view's data in place when only the data changes, while a plotly chart whose figure
changed is a new element, unmounted and drawn from scratch. On the barycenter page that took a t
step in the browser from 0.7-1.0 s to about 0.3 s, and to about 0.2 s once Streamlit's post-run garbage
collection was turned off (BENCHMARKS.md, issue 7).

The mathematics is the same as in the plotly builders (:mod:`.transport`, :mod:`.frontier`):
x_t = (1 - t) x + t T_z(x) on the McCann path, ||x - x_t|| = t ||x - T_z(x)||, and for an exact
barycenter with total cost V, (L, D) = ((1 - t)^2 V, t^2 V) on the curve sqrt(D) + sqrt(L) = sqrt(V).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..frontier import Frontier
from ..transport import distortion_leakage
from ._style import HIGHLIGHT, INK, MUTED, PALETTE, group_colors
from .frontier import _label, clip_note, outlier_clip, theoretical_curve
from .transport import DisplayPoints, _padded_range, density_curves, mccann

if TYPE_CHECKING:
    import pandas as pd

#: Name of the point-selection parameter of the frontier views: a click selects that row's sweep value.
PICK = "pick"


def _check_t(t: float) -> float:
    if not 0.0 <= float(t) <= 1.0:
        raise ValueError(f"t must be in [0, 1], got {t}")
    return float(t)


def _group_scale(groups: list[str]) -> dict:
    colors = group_colors(groups)
    return {"domain": [f"group {g}" for g in groups], "range": [colors[g] for g in groups]}


def _group_color(groups: list[str]) -> dict:
    """Colour by group, with the explorer's group colours and a legend above the plot."""
    return {
        "field": "group",
        "type": "nominal",
        "title": None,
        "scale": _group_scale(groups),
        "legend": {"orient": "top", "direction": "horizontal"},
    }


def _title(text: str, subtitle: str | list[str]) -> dict:
    # Streamlit's chart theme colours the title but not the subtitle (Vega's default is black, unreadable
    # on the dark theme): INK reads on both.
    return {"text": text, "subtitle": subtitle, "anchor": "start", "subtitleColor": INK}


def _current_layer(test: str, x: dict, y: dict, tooltip: list) -> dict:
    """The layer named "current": a large diamond on the rows where the Vega expression ``test`` holds."""
    mark = {
        "type": "point",
        "shape": "diamond",
        "filled": True,
        "size": 320,
        "color": HIGHLIGHT,
        "stroke": INK,
        "strokeWidth": 1,
    }
    return {
        "name": "current",
        "transform": [{"filter": test}],
        "mark": mark,
        "encoding": {"x": x, "y": y, "tooltip": tooltip},
    }


def _on_canvas(spec: dict) -> dict:
    """Ask Streamlit's vega-embed for the canvas renderer (``usermeta.embedOptions.renderer``).

    The SVG renderer keeps one DOM node per mark and rewrites their attributes on every data change,
    which the browser then restyles, lays out and paints; a canvas is one element redrawn in a single
    pass. Used for the transport view (up to the display cap of points, 1,000 by default); the small
    panels stay SVG, whose marks carry ARIA labels (t, utility, leakage) for screen readers and the
    browser tests.
    """
    return {**spec, "usermeta": {**spec.get("usermeta", {}), "embedOptions": {"renderer": "canvas"}}}


#: Room above a selectable chart's title: Streamlit draws its selection toolbar over the top edge of
#: charts with ``on_select``, which cut the tops of the title's letters.
SELECT_PADDING = {"top": 16, "left": 5, "right": 5, "bottom": 5}


def _pick_params() -> list[dict]:
    """The point selection that a click on a sweep point makes: its ``param`` value, in :data:`PICK`."""
    return [{"name": PICK, "select": {"type": "point", "fields": ["param"], "on": "click"}}]


def transport_at(
    points: DisplayPoints, *, t: float, arrows: bool = False, height: int = 420
) -> tuple[pd.DataFrame, dict]:
    """The displayed rows at x_t = (1 - t) x + t T_z(x): columns ``x``, ``y``, ``group``, ``row``.

    The axes cover the whole path (both endpoints), so they stay put while t moves. With ``arrows``, a
    faint segment joins each row's original point (``x0``, ``y0``) to its barycenter image (``x1``,
    ``y1``), the whole path the point travels.
    """
    import pandas as pd

    t = _check_t(t)
    P = mccann(points.start, points.end, t)
    groups = sorted(set(points.groups.tolist()))
    data = pd.DataFrame(
        {"x": P[:, 0], "y": P[:, 1], "group": [f"group {g}" for g in points.groups], "row": points.rows}
    )
    if arrows:
        data[["x0", "y0"]], data[["x1", "y1"]] = points.start, points.end
    sub = f"{points.n_shown:,} of {points.n_total:,} rows shown (display cap); metrics use all rows"
    if points.explained is not None:
        sub += f"; PCA axes explain {points.explained[0]:.0%} and {points.explained[1]:.0%} of the variance"

    def axis(j: int, name: str) -> dict:
        lo, hi = _padded_range(points.start[:, j], points.end[:, j])
        return {
            "field": name,
            "type": "quantitative",
            "title": points.axis_labels[j],
            "scale": {"domain": [lo, hi], "zero": False, "nice": False},
        }

    points_layer = {
        "mark": {"type": "circle", "size": 22, "opacity": 0.75},
        "encoding": {
            "x": axis(0, "x"),
            "y": axis(1, "y"),
            "color": _group_color(groups),
            "tooltip": [{"field": "group"}, {"field": "x", "format": ".3f"}, {"field": "y", "format": ".3f"}],
        },
    }
    spec = {"height": height, "title": _title("Transport to the barycenter at the chosen t", sub)}
    if not arrows:
        return data, _on_canvas({**spec, **points_layer})
    paths = {
        "mark": {"type": "rule", "color": MUTED, "strokeWidth": 0.6, "opacity": 0.45},
        "encoding": {"x": axis(0, "x0"), "y": axis(1, "y0"), "x2": {"field": "x1"}, "y2": {"field": "y1"}},
    }
    return data, _on_canvas({**spec, "layer": [paths, points_layer]})


def frontier_at(frontier: Frontier, *, current: float, height: int = 420) -> tuple[pd.DataFrame, dict]:
    """Utility against leakage along the sweep; Pareto points outlined; the row nearest ``current`` marked.

    Data columns: ``param`` (t or λ), ``leakage``, ``utility``, ``pareto`` and ``current`` (booleans).
    A click on a point selects it in the parameter :data:`PICK` (its ``param`` field).
    """
    import pandas as pd

    tab = frontier.table
    p = tab[frontier.param].to_numpy(dtype=float)
    data = pd.DataFrame(
        {
            "param": p,
            "leakage": tab[frontier.leakage].to_numpy(dtype=float),
            "utility": tab[frontier.utility].to_numpy(dtype=float),
            "pareto": tab["pareto"].to_numpy(dtype=bool) if "pareto" in tab else np.zeros(len(tab), bool),
        }
    )
    data["current"] = np.arange(len(data)) == (
        int(np.nanargmin(np.abs(p - float(current)))) if len(p) else -1
    )
    has_ci = f"{frontier.leakage}_lo" in tab and f"{frontier.leakage}_hi" in tab
    if has_ci:  # the attacker's interval on the leakage axis
        data["leakage_lo"] = tab[f"{frontier.leakage}_lo"].to_numpy(dtype=float)
        data["leakage_hi"] = tab[f"{frontier.leakage}_hi"].to_numpy(dtype=float)
    name = _label(frontier.param, short=True)
    rng = outlier_clip(data["utility"].to_numpy())
    x = {
        "field": "leakage",
        "type": "quantitative",
        "title": _label(frontier.leakage),
        "scale": {"zero": False},
    }
    y = {
        "field": "utility",
        "type": "quantitative",
        # the short label: a y title longer than the plot pushes the chart's own title out of view
        "title": _label(frontier.utility, short=True) + " — higher is better",
        "axis": {"titleLimit": height - 40},
        "scale": {"zero": False} if rng is None else {"zero": False, "domain": list(rng), "clamp": True},
    }
    tooltip = [
        {"field": "param", "title": name, "format": ".3g"},
        {"field": "leakage", "title": _label(frontier.leakage, short=True), "format": ".4g"},
        {"field": "utility", "title": _label(frontier.utility, short=True), "format": ".4g"},
    ]
    spec = {
        "height": height,
        "padding": SELECT_PADDING,
        "title": _title(
            f"Utility vs leakage ({frontier.kind} frontier)",
            [f"Pareto points outlined; the diamond is the current {name}",
             "click a point to move there" + ("; bars: 95% interval of the attacker" if has_ci else "")]
            + ([] if rng is None else [clip_note(data["utility"].to_numpy(), p, rng,
                                                 _label(frontier.utility, short=True), name)]),
        ),
        "layer": [
            {"mark": {"type": "line", "color": MUTED, "strokeWidth": 1}, "encoding": {"x": x, "y": y}},
            *([{"mark": {"type": "rule", "color": MUTED}, "encoding": {
                "x": {**x, "field": "leakage_lo"}, "x2": {"field": "leakage_hi"}, "y": y}}]
              if has_ci else []),
            {
                "name": "sweep",
                "params": _pick_params(),
                "mark": {"type": "point", "filled": True, "size": 70, "cursor": "pointer"},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": {
                        "field": "param",
                        "type": "quantitative",
                        "title": name,
                        "scale": {"scheme": "viridis"},
                    },
                    "stroke": {"condition": {"test": "datum.pareto", "value": INK}, "value": None},
                    "strokeWidth": {"condition": {"test": "datum.pareto", "value": 1.5}, "value": 0},
                    "tooltip": tooltip,
                },
            },
            _current_layer("datum.current", x, y, tooltip),
        ],
    }
    return data, spec


def distortion_leakage_at(
    frontier: Frontier, *, V: float, t: float, height: int = 340
) -> tuple[pd.DataFrame, dict]:
    """Distortion D against W2 leakage L: measured points, the curve sqrt(D) + sqrt(L) = sqrt(V), and t.

    Data rows have ``kind`` in {"measured", "theory", "current"}; the current point is the theory's
    ((1 - t)^2 V, t^2 V) at the exact ``t``. Needs the analytic frontier's ``distortion``,
    ``w2_leakage`` and ``t`` columns. Clicking a measured point selects its t in :data:`PICK`.
    """
    import pandas as pd

    t = _check_t(t)
    tab = frontier.table
    for col in ("distortion", "w2_leakage", "t"):
        if col not in tab:
            raise ValueError(
                f"the frontier has no {col!r} column; this view needs an analytic (t-sweep) frontier"
            )
    L_th, D_th = theoretical_curve(V)
    s_th = np.linspace(0.0, 1.0, L_th.size)
    data = pd.concat(
        [
            pd.DataFrame(
                {
                    "kind": "measured",
                    "param": tab["t"].to_numpy(float),
                    "L": tab["w2_leakage"].to_numpy(float),
                    "D": tab["distortion"].to_numpy(float),
                }
            ),
            pd.DataFrame({"kind": "theory", "param": s_th, "L": L_th, "D": D_th}),
            pd.DataFrame({"kind": ["current"], "param": [t], "L": [distortion_leakage(t, V)[1]],
                          "D": [distortion_leakage(t, V)[0]]}),
        ],
        ignore_index=True,
    )
    x = {"field": "L", "type": "quantitative", "title": _label("w2_leakage")}
    y = {"field": "D", "type": "quantitative", "title": "distortion D (squared feature units)",
         "axis": {"titleLimit": height - 40}}
    tooltip = [
        {"field": "param", "title": "t", "format": ".2f"},
        {"field": "L", "title": "W2 leakage L", "format": ".4g"},
        {"field": "D", "title": "distortion D", "format": ".4g"},
    ]
    spec = {
        "height": height,
        "padding": SELECT_PADDING,
        "title": _title(
            "Distortion vs W2 leakage", [f"V = {V:.4g} (training split)", "dashed: theory √D + √L = √V",
                                         "diamond: the current t"]
        ),
        "layer": [
            {
                "transform": [{"filter": "datum.kind === 'theory'"}],
                "mark": {"type": "line", "color": INK, "strokeDash": [5, 4], "strokeWidth": 1.5},
                "encoding": {"x": x, "y": y, "order": {"field": "param"}},
            },
            {
                "name": "sweep",
                "transform": [{"filter": "datum.kind === 'measured'"}],
                "params": _pick_params(),
                "mark": {"type": "point", "filled": True, "size": 60, "cursor": "pointer"},
                "encoding": {
                    "x": x,
                    "y": y,
                    "tooltip": tooltip,
                    "color": {
                        "field": "param",
                        "type": "quantitative",
                        "title": "t",
                        "scale": {"scheme": "viridis"},
                        "legend": None,
                    },
                },
            },
            _current_layer("datum.kind === 'current'", x, y, tooltip),
        ],
    }
    return data, spec


def densities_at(
    X_col: np.typing.ArrayLike,
    Xt_col: np.typing.ArrayLike,
    z: np.typing.ArrayLike,
    *,
    feature_name: str,
    groups: Sequence[str] | None = None,
    random_state: int = 0,
    height: int = 300,
) -> tuple[pd.DataFrame, dict]:
    """Per-group kernel densities of one feature before (dashed) and at t (solid): columns ``x``,
    ``density``, ``group`` and ``when`` (see :func:`.transport.density_curves`; ``groups``, the sorted
    labels of ``z`` if the caller has them, saves a pass over ``z``)."""
    import pandas as pd

    grid, curves = density_curves(X_col, Xt_col, z, groups=groups, random_state=random_state)
    keys = list(curves)
    groups = sorted({g for _, g in keys})
    data = pd.DataFrame({
        "x": np.tile(grid, len(keys)),
        "density": np.concatenate([curves[k] for k in keys]),
        "group": np.repeat([f"group {g}" for _, g in keys], grid.size),
        "when": np.repeat([w for w, _ in keys], grid.size),
    })
    spec = {
        "height": height,
        "title": _title(f"Per-group density of {feature_name}", "dashed: original; solid: at t"),
        "mark": {"type": "line", "strokeWidth": 2},
        "encoding": {
            "x": {"field": "x", "type": "quantitative", "title": feature_name, "scale": {"zero": False}},
            "y": {"field": "density", "type": "quantitative", "title": "density"},
            "color": _group_color(groups),
            "strokeDash": {
                "field": "when",
                "type": "nominal",
                "title": None,
                "scale": {"domain": ["before", "at t"], "range": [[4, 3], [1, 0]]},
                "legend": None,
            },
            "detail": {"field": "when"},
        },
    }
    return data, spec


def who_pays_at(stats: list[dict], *, height: int = 300) -> tuple[pd.DataFrame, dict]:
    """ "Who pays": a box per group of ||x - x_t|| (quartiles, 1.5 IQR whiskers) with its mean square.

    ``stats`` is :func:`.transport.displacement_stats` of the displacements at t (or, equivalently and
    without touching every row, :func:`.transport.scale_displacement_stats` of those at t = 1 by t).
    Data: one row per group (``n`` is the group's size) plus a ``label`` column, the mean squared
    displacement drawn above the box.
    """
    import pandas as pd

    data = pd.DataFrame(stats)
    groups = data["group"].tolist()
    data["group"] = [f"group {g}" for g in groups]
    data["label"] = [f"{c:.3g}" for c in data["cost"]]
    xg = {"field": "group", "type": "nominal", "title": None, "axis": {"labelAngle": 0}}
    color = {"field": "group", "type": "nominal", "scale": _group_scale(groups), "legend": None}
    spec = {
        "height": height,
        "title": _title(
            "Who pays: ‖x − x_t‖ per group",
            "box: quartiles; whiskers: 1.5 IQR; number: E‖x − x_t‖²",
        ),
        "encoding": {"x": xg},
        "layer": [
            {
                "mark": {"type": "rule", "color": MUTED},
                "encoding": {
                    "y": {"field": "lo", "type": "quantitative", "title": "‖x − x_t‖"},
                    "y2": {"field": "hi"},
                },
            },
            {
                "mark": {"type": "bar", "size": 40},
                "encoding": {
                    "y": {"field": "q1", "type": "quantitative"},
                    "y2": {"field": "q3"},
                    "color": color,
                },
            },
            {
                "mark": {"type": "tick", "color": "white", "size": 40, "thickness": 2},
                "encoding": {"y": {"field": "median", "type": "quantitative"}},
            },
            {
                "mark": {"type": "text", "dy": -10, "fontSize": 11, "color": INK},
                "encoding": {"y": {"field": "hi", "type": "quantitative"}, "text": {"field": "label"}},
            },
        ],
    }
    return data, spec


#: Series names of :func:`trained_frontier_at`, as the legend shows them.
TRAINED_SERIES = "trained (λ sweep)"
ANALYTIC_SERIES = "analytic (barycenter path, t sweep)"


def trained_frontier_at(
    trained: Frontier, analytic: Frontier | None = None, *, current: float | None = None, height: int = 460
) -> tuple[pd.DataFrame, dict]:
    """The trained frontier (one point per λ) over the analytic (McCann path) curve, as Vega-Lite.

    The same chart as :func:`.training.trained_frontier_figure` (plotly), drawn by the Vega renderer the
    explorer's other frontier already loads: a first visit then fetches no plotly.js (about 1 s of the
    Trained page's first paint here). Axes: the trained frontier's ``leakage`` column (a held-out
    attacker's AUC for Z from the model's outputs) and its ``utility``; the analytic curve uses its
    ``out_<leakage>`` column (the same attacker on the downstream model's outputs) when it has one, and is
    left out when it lacks the columns.

    Data columns: ``series`` (:data:`TRAINED_SERIES` / :data:`ANALYTIC_SERIES`), ``param`` (λ or t),
    ``leakage``, ``utility`` and the flags ``zero`` (λ = 0: plain training), ``end`` (t = 1: the
    barycenter) and ``current`` (the trained row nearest ``current``). A click on a trained point selects
    its λ in the point-selection parameter :data:`PICK` (field ``param``).
    """
    import pandas as pd

    if trained.param != "lam":
        raise ValueError(f"trained must be a λ sweep (param 'lam'), got param {trained.param!r}")
    ucol, lcol = trained.utility, trained.leakage
    tab = trained.table
    for col in (ucol, lcol):
        if col not in tab:
            raise ValueError(f"the trained frontier has no {col!r} column; columns are {list(tab.columns)}")
    lam = tab["lam"].to_numpy(dtype=float)
    rows = pd.DataFrame({
        "series": TRAINED_SERIES, "param": lam, "leakage": tab[lcol].to_numpy(dtype=float),
        "utility": tab[ucol].to_numpy(dtype=float), "zero": lam == 0.0, "end": False,
        "current": (np.arange(len(lam)) == int(np.nanargmin(np.abs(lam - float(current)))))
        if current is not None and len(lam) else np.zeros(len(lam), bool),
    })
    series = [TRAINED_SERIES]
    acol = f"out_{lcol}" if analytic is not None and f"out_{lcol}" in analytic.table else lcol
    if analytic is not None and ucol in analytic.table and acol in analytic.table:
        at = analytic.table.sort_values("t")
        tt = at["t"].to_numpy(dtype=float)
        rows = pd.concat([pd.DataFrame({
            "series": ANALYTIC_SERIES, "param": tt, "leakage": at[acol].to_numpy(dtype=float),
            "utility": at[ucol].to_numpy(dtype=float), "zero": False, "end": np.isclose(tt, 1.0),
            "current": False,
        }), rows], ignore_index=True)
        series = [ANALYTIC_SERIES, TRAINED_SERIES]
    colors = {TRAINED_SERIES: PALETTE[0], ANALYTIC_SERIES: PALETTE[1]}
    x = {"field": "leakage", "type": "quantitative", "title": _label(lcol) + " — lower leaks less",
         "scale": {"zero": False}}
    y = {"field": "utility", "type": "quantitative", "scale": {"zero": False},
         "title": _label(ucol, short=True) + " — higher is better", "axis": {"titleLimit": height - 40}}
    color = {"field": "series", "type": "nominal", "title": None,
             "scale": {"domain": series, "range": [colors[s] for s in series]},
             "legend": {"orient": "top", "direction": "horizontal", "labelLimit": 320}}
    tooltip = [{"field": "series", "title": "curve"}, {"field": "param", "title": "λ or t", "format": ".3g"},
               {"field": "leakage", "title": _label(lcol, short=True), "format": ".4g"},
               {"field": "utility", "title": _label(ucol, short=True), "format": ".4g"}]

    def only(test: str, mark: dict, **enc) -> dict:
        return {"transform": [{"filter": test}], "mark": mark,
                "encoding": {"x": x, "y": y, "tooltip": tooltip, **enc}}

    is_trained = f"datum.series === '{TRAINED_SERIES}'"
    layers = [
        {**only(f"datum.series === '{ANALYTIC_SERIES}'",
                {"type": "line", "point": {"size": 30}, "strokeDash": [4, 3], "strokeWidth": 2}, color=color),
         "name": "analytic"},
        only("datum.end", {"type": "point", "shape": "diamond", "filled": True, "size": 260,
                           "color": PALETTE[1], "stroke": INK, "strokeWidth": 1.5}),
        only(is_trained, {"type": "line", "strokeWidth": 1.5}, color=color),
        {**only(is_trained, {"type": "point", "filled": True, "size": 110, "cursor": "pointer",
                             "stroke": "white", "strokeWidth": 1}, color=color),
         "name": "sweep", "params": _pick_params()},
        only("datum.zero", {"type": "square", "filled": False, "size": 170, "color": PALETTE[0],
                            "strokeWidth": 2}),
        only("datum.current", {"type": "point", "shape": "M0,-1L0.3,-0.3L1,-0.3L0.45,0.15L0.65,0.9L0,0.45"
                               "L-0.65,0.9L-0.45,0.15L-1,-0.3L-0.3,-0.3Z", "filled": True, "size": 420,
                               "color": HIGHLIGHT, "stroke": INK, "strokeWidth": 1}),
    ]
    spec = {
        "height": height,
        "padding": SELECT_PADDING,
        "title": _title("Trained frontier over the barycenter (analytic) frontier",
                        ["star: the model shown · hollow square: λ = 0 (plain training)",
                         ("diamond: the barycenter (t = 1) · " if len(series) > 1 else "")
                         + "click a trained point to show its model"]),
        "layer": layers,
    }
    return rows, spec
