"""Figures of the leakage lab: estimates with confidence intervals beside the truth, and their timings.

Every estimator of I(S'; Z) (docs/design.md section 3.2) returns a
:class:`~unlearn_core.leakage.LeakageEstimate` (value clipped at 0, optional bootstrap interval, seconds,
``is_mi``). MI estimates share one axis in nats, beside the ground truth when the case has one;
alternative measures (JS, W2, MMD, TV, HSIC: ``is_mi=False``) have their own units and get their own
panel, so they are never read against the MI truth.

Pure functions of engine results: no streamlit, inputs never mutated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._style import HIGHLIGHT, INK, PALETTE, base_layout, plain_numbers

__all__ = ["estimate_rows", "estimates_at", "estimates_figure", "timings_at", "timings_figure"]


def _ci(e) -> tuple[float, float]:
    ci = getattr(e, "ci", None)
    if ci is None:
        return float("nan"), float("nan")
    return float(ci[0]), float(ci[1])


def estimates_figure(
    estimates: Sequence,
    *,
    truth: float | None = None,
    truth_error: float = 0.0,
    titles: Mapping[str, str] | None = None,
    height: int | None = None,
) -> go.Figure:
    """Dot-and-whisker chart: each estimate's value with its bootstrap interval; the truth as a line.

    Parameters
    ----------
    estimates : LeakageEstimate objects (``value``, ``ci``, ``method``, ``is_mi``, ``ci_level``).
    truth : the true I(S; Z) in nats when known (ground-truth worlds); drawn on the MI panel only.
    truth_error : numerical error of ``truth`` (quadrature), shown in its hover text.
    titles : method -> display name.

    Traces: one "MI estimates" trace (and one "other measures" trace when any estimate is not an MI),
    whose ``x`` are the values and ``error_x`` the interval half-widths, then a "truth" trace.
    """
    if len(estimates) == 0:
        raise ValueError("no estimates to draw; pick at least one estimator")
    titles = dict(titles or {})
    mi = [e for e in estimates if getattr(e, "is_mi", True)]
    other = [e for e in estimates if not getattr(e, "is_mi", True)]
    named = ((mi, "MI estimates (nats)"), (other, "other measures (own units; not MI)"))
    panels = [(p, name) for p, name in named if p]
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[n for _, n in panels],
                        horizontal_spacing=0.22)
    for col, (group, name) in enumerate(panels, start=1):
        labels = [titles.get(e.method, e.method) for e in group]
        vals = np.array([float(e.value) for e in group])
        ci = np.array([_ci(e) for e in group])
        plus = np.where(np.isfinite(ci[:, 1]), ci[:, 1] - vals, 0.0).clip(min=0.0)
        minus = np.where(np.isfinite(ci[:, 0]), vals - ci[:, 0], 0.0).clip(min=0.0)
        hover = []
        for e, lo_hi in zip(group, ci, strict=True):
            ci_txt = (f"{e.ci_level:.0%} CI [{lo_hi[0]:.4g}, {lo_hi[1]:.4g}]" if np.isfinite(lo_hi).all()
                      else "no interval (bootstrap off)")
            hover.append(f"{titles.get(e.method, e.method)}<br>value {float(e.value):.4g}<br>{ci_txt}"
                         f"<br>n = {int(e.n):,}, {float(e.seconds):.3g} s")
        fig.add_trace(go.Scatter(
            x=vals, y=labels, mode="markers", name=name.split(" (")[0],
            error_x=dict(type="data", array=plus, arrayminus=minus, symmetric=False, thickness=2, width=6),
            marker=dict(size=11, color=PALETTE[0] if col == 1 and group is mi else PALETTE[2]),
            text=hover, hovertemplate="%{text}<extra></extra>",
        ), row=1, col=col)
        if group is mi and truth is not None and np.isfinite(truth):
            fig.add_trace(go.Scatter(
                x=[truth, truth], y=[labels[0], labels[-1]] if len(labels) > 1 else [labels[0], labels[0]],
                mode="lines+markers", name="truth", line=dict(color=HIGHLIGHT, dash="dash", width=2),
                marker=dict(symbol="line-ns", size=18, color=HIGHLIGHT, line=dict(width=2, color=HIGHLIGHT)),
                hovertemplate=f"true I = {truth:.4g} nats (± {truth_error:.1g})<extra></extra>",
            ), row=1, col=col)
        # Room for every whisker and the truth (plotly's autorange clips error bars at the edge).
        top = np.nanmax(np.r_[vals + plus, [truth] if (group is mi and truth is not None) else []])
        top = float(top) * 1.15 if np.isfinite(top) and top > 0 else 1.0
        fig.update_xaxes(range=[0.0, top], row=1, col=col, title_text="nats" if group is mi else "value")
    n_rows = max(len(mi), len(other))
    fig.update_layout(**base_layout(
        title="Estimates with bootstrap intervals" + (" beside the truth" if truth is not None else ""),
        height=height or 190 + 42 * n_rows, showlegend=truth is not None,
        # at the very bottom of the figure, under the x-axis titles (not on them)
        legend=dict(orientation="h", yref="container", y=0.0, yanchor="bottom", x=0.5, xanchor="center"),
        margin=dict(l=50, r=20, t=60, b=85),
    ))
    return plain_numbers(fig)


def timings_figure(
    estimates: Sequence, *, titles: Mapping[str, str] | None = None, height: int | None = None
) -> go.Figure:
    """Horizontal bars of wall time per estimator (log scale; bootstrap included)."""
    if len(estimates) == 0:
        raise ValueError("no estimates to draw; pick at least one estimator")
    titles = dict(titles or {})
    labels = [titles.get(e.method, e.method) for e in estimates]
    secs = np.array([max(float(e.seconds), 1e-6) for e in estimates])
    fig = go.Figure(go.Bar(
        x=secs, y=labels, orientation="h",
        marker_color=[PALETTE[0] if getattr(e, "is_mi", True) else PALETTE[2] for e in estimates],
        text=[f"{s:.3g} s" for s in secs], textposition="auto", name="seconds",
        hovertemplate="%{y}: %{x:.3g} s<extra></extra>",
    ))
    fig.update_layout(**base_layout(
        title="Time per estimate (bootstrap included)", height=height or 140 + 34 * len(labels),
        xaxis=dict(title="seconds (log scale)", type="log", tickvals=_log_ticks(secs), tickangle=0,
                   tickformat=".2~g"),
        showlegend=False,
    ))
    return fig


def _log_ticks(values: np.ndarray, most: int = 4) -> list[float]:
    """At most ``most`` round ticks (1, 2, 5 times a power of ten) spanning ``values`` on a log axis."""
    lo, hi = float(np.min(values)) / 1.5, float(np.max(values)) * 1.5
    ticks = [m * 10.0**k for k in range(-7, 5) for m in (1, 2, 5) if lo <= m * 10.0**k <= hi]
    decades = [v for v in ticks if np.isclose(np.log10(v), round(np.log10(v)))]
    if len(decades) >= 2:  # two or more powers of ten in range: label only those
        ticks = decades
    while len(ticks) > most:
        ticks = ticks[::2]
    return ticks


# -- Vega-Lite: the same two charts for the Leakage lab page ------------------------------------------
# The page draws these (not the plotly figures above) so that a first visit loads no plotly.js; the
# plotly figures stay for exports and scripts. Each returns ``(data, spec)`` for
# ``st.vega_lite_chart(data, spec)``.

MI_PANEL = "MI estimates (nats)"
OTHER_PANEL = "other measures (own units; not MI)"


def estimate_rows(estimates: Sequence, *, titles: Mapping[str, str] | None = None):
    """One row per estimate: ``estimator``, ``panel`` (MI or not), ``value``, ``lo``, ``hi`` (the
    interval, equal to the value when there is none), ``interval`` (text), ``n``, ``seconds``."""
    import pandas as pd

    if len(estimates) == 0:
        raise ValueError("no estimates to draw; pick at least one estimator")
    titles = dict(titles or {})
    rows = []
    for e in estimates:
        v = float(e.value)
        lo, hi = _ci(e)
        has = bool(np.isfinite(lo) and np.isfinite(hi))
        rows.append({
            "estimator": titles.get(e.method, e.method),
            "panel": MI_PANEL if getattr(e, "is_mi", True) else OTHER_PANEL,
            "value": v, "lo": lo if has else v, "hi": hi if has else v,
            "interval": (f"{getattr(e, 'ci_level', 0.95):.0%}: {lo:.4g} to {hi:.4g}" if has
                         else "none (bootstrap off)"),
            "n": int(getattr(e, "n", 0)), "seconds": max(float(e.seconds), 1e-6),
        })
    return pd.DataFrame(rows)


def estimates_at(
    estimates: Sequence, *, truth: float | None = None, truth_error: float = 0.0,
    titles: Mapping[str, str] | None = None,
):
    """Dot-and-whisker chart (Vega-Lite) of :func:`estimates_figure`: one panel for the MI estimates
    (nats, with the truth as a dashed red line when it is known) and one for the other measures.

    Data: :func:`estimate_rows` plus ``truth`` (the true MI on every row, NaN when unknown). The x axis
    of each panel starts at 0 and leaves room for every whisker and the truth.
    """
    data = estimate_rows(estimates, titles=titles)
    known = truth is not None and bool(np.isfinite(truth))
    data["truth"] = float(truth) if known else float("nan")
    order = list(dict.fromkeys(data["estimator"]))
    panels = [p for p in (MI_PANEL, OTHER_PANEL) if (data["panel"] == p).any()]
    tooltip = [{"field": "estimator"}, {"field": "value", "format": ".4g"}, {"field": "interval"},
               {"field": "n", "format": ","}, {"field": "seconds", "title": "time (s)", "format": ".3g"}]

    def panel(name: str) -> dict:
        sub = data[data["panel"] == name]
        top = float(np.nanmax(np.r_[sub["hi"], sub["value"], [truth] if known and name == MI_PANEL else []]))
        top = top * 1.15 if np.isfinite(top) and top > 0 else 1.0
        x = {"field": "value", "type": "quantitative", "scale": {"domain": [0.0, top], "clamp": True},
             "title": "nats" if name == MI_PANEL else "value (own units)"}
        y = {"field": "estimator", "type": "nominal", "sort": order, "title": None,
             "axis": {"labelLimit": 190}}
        layers = [
            {"mark": {"type": "rule", "strokeWidth": 2},
             "encoding": {"x": {**x, "field": "lo"}, "x2": {"field": "hi"}, "y": y,
                          "color": {"value": PALETTE[0] if name == MI_PANEL else PALETTE[2]}}},
            {"mark": {"type": "point", "filled": True, "size": 110},
             "encoding": {"x": x, "y": y, "tooltip": tooltip,
                          "color": {"value": PALETTE[0] if name == MI_PANEL else PALETTE[2]}}},
        ]
        if known and name == MI_PANEL:
            layers.append({"name": "truth", "mark": {"type": "rule", "color": HIGHLIGHT, "strokeDash": [6, 4],
                                                     "strokeWidth": 2},
                           "encoding": {"x": {"field": "truth", "type": "quantitative"},
                                        "tooltip": [{"field": "truth", "title": "true I (nats)",
                                                     "format": ".4g"}]}})
        return {"title": name, "transform": [{"filter": {"field": "panel", "equal": name}}],
                "width": 280, "height": 40 * len(sub) + 20, "layer": layers}

    title = "Estimates with bootstrap intervals" + (" beside the truth" if known else "")
    sub = ("dashed red line: the true I(S; Z)" + (f" (± {truth_error:.1g})" if truth_error else "")
           if known else "no ground truth for this case")
    # the subtitle's colour set: Streamlit's theme colours chart titles but not subtitles (Vega's black
    # default is unreadable on the dark theme)
    spec = {"title": {"text": title, "subtitle": sub, "anchor": "start", "subtitleColor": INK},
            "vconcat": [panel(p) for p in panels], "resolve": {"scale": {"x": "independent"}}}
    return data, spec


def timings_at(estimates: Sequence, *, titles: Mapping[str, str] | None = None):
    """Horizontal bars (Vega-Lite) of seconds per estimate on a log axis, bootstrap included."""
    data = estimate_rows(estimates, titles=titles)
    data["label"] = [f"{s:.3g} s" for s in data["seconds"]]
    order = list(dict.fromkeys(data["estimator"]))
    lo, hi = float(data["seconds"].min()) / 1.5, float(data["seconds"].max()) * 3.0
    x = {"field": "seconds", "type": "quantitative", "title": "seconds (log scale)",
         "scale": {"type": "log", "domain": [lo, hi]},
         "axis": {"values": _log_ticks(data["seconds"].to_numpy())}}
    y = {"field": "estimator", "type": "nominal", "sort": order, "title": None, "axis": {"labelLimit": 190}}
    color = {"field": "panel", "type": "nominal", "title": None, "legend": None,
             "scale": {"domain": [MI_PANEL, OTHER_PANEL], "range": [PALETTE[0], PALETTE[2]]}}
    spec = {
        "title": {"text": "Time per estimate (bootstrap included)", "anchor": "start"},
        "height": {"step": 34},
        "layer": [
            {"mark": {"type": "bar"}, "encoding": {"x": x, "x2": {"datum": lo}, "y": y, "color": color,
                                                  "tooltip": [{"field": "estimator"},
                                                              {"field": "seconds", "format": ".3g"}]}},
            {"mark": {"type": "text", "align": "left", "dx": 4},
             "encoding": {"x": x, "y": y, "text": {"field": "label"}}},
        ],
    }
    return data, spec
