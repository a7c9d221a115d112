"""Figures of the audit page and standalone-HTML export of any figure.

The audit bound (Pinsker, docs/design.md section 3.2): for binary Z with prior π, an attacker guessing Z from
S' is right with probability at most

.. math::

    \\max(\\pi, 1 - \\pi) + \\sqrt{I(S'; Z) / 2},

so a measured attacker accuracy above the bound computed from an MI estimate means the estimate is too
low. Pure functions: no streamlit, inputs never mutated.
"""

from __future__ import annotations

import plotly.graph_objects as go

from ._style import HIGHLIGHT, MUTED, PALETTE, base_layout

__all__ = ["attack_bound_at", "attack_bound_figure", "figure_html"]


def figure_html(fig: go.Figure, *, offline: bool = True, title: str | None = None) -> str:
    """A standalone HTML page of ``fig``.

    ``offline=True`` inlines plotly.js (about 4.5 MB) so the file opens without a network; False links
    the CDN copy (small file, needs internet to view).
    """
    if not isinstance(fig, go.Figure):
        raise ValueError(f"figure_html takes a plotly Figure, got {type(fig).__name__}")
    html = fig.to_html(include_plotlyjs=True if offline else "cdn", full_html=True)
    if title:
        html = html.replace("<head>", f"<head><title>{_escape(title)}</title>", 1)
    return html


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attack_bound_figure(
    *,
    accuracy: float,
    baseline: float,
    bound: float | None = None,
    accuracy_ci: tuple[float, float] | None = None,
    height: int = 260,
) -> go.Figure:
    """The attacker's held-out accuracy between the majority baseline and the Pinsker bound.

    Bars: majority baseline (guessing the larger group), the measured attacker, and the bound
    max(π, 1 − π) + sqrt(I/2) when an MI estimate is given.
    """
    for name, v in (("accuracy", accuracy), ("baseline", baseline)):
        if not (0.0 <= float(v) <= 1.0):
            raise ValueError(f"{name} must be in [0, 1], got {v}")
    names = ["majority baseline", "attacker (held out)"]
    vals = [float(baseline), float(accuracy)]
    colors = [MUTED, PALETTE[0]]
    if bound is not None:
        names.append("Pinsker bound from Î")
        vals.append(float(bound))
        colors.append(HIGHLIGHT)
    err = None
    if accuracy_ci is not None:
        lo, hi = accuracy_ci
        err = dict(type="data", array=[0, hi - accuracy] + ([0] if bound is not None else []),
                   arrayminus=[0, accuracy - lo] + ([0] if bound is not None else []), symmetric=False)
    fig = go.Figure(go.Bar(
        x=vals, y=names, orientation="h", marker_color=colors, error_x=err,
        text=[f"{v:.3f}" for v in vals], textposition="auto", hovertemplate="%{y}: %{x:.4f}<extra></extra>",
    ))
    fig.update_layout(**base_layout(
        title="Can an attacker recover Z?", height=height, showlegend=False,
        xaxis=dict(title="accuracy guessing Z", range=[0, 1.0]),
    ))
    return fig


def attack_bound_at(*, accuracy: float, baseline: float, bound: float | None = None):
    """:func:`attack_bound_figure` as Vega-Lite ``(data, spec)``: the Audit page draws this one, so its
    first visit loads no plotly.js. Data: one row per bar (``bar``, ``accuracy``, ``label``)."""
    import pandas as pd

    for name, v in (("accuracy", accuracy), ("baseline", baseline)):
        if not (0.0 <= float(v) <= 1.0):
            raise ValueError(f"{name} must be in [0, 1], got {v}")
    bars = [("majority baseline", float(baseline), MUTED),
            ("attacker (held out)", float(accuracy), PALETTE[0])]
    if bound is not None:
        bars.append(("Pinsker bound from Î", float(bound), HIGHLIGHT))
    data = pd.DataFrame({"bar": [b[0] for b in bars], "accuracy": [b[1] for b in bars],
                         "label": [f"{b[1]:.3f}" for b in bars]})
    y = {"field": "bar", "type": "nominal", "title": None, "sort": [b[0] for b in bars][::-1],
         "axis": {"labelLimit": 160}}
    x = {"field": "accuracy", "type": "quantitative", "title": "accuracy guessing Z",
         "scale": {"domain": [0, 1]}}
    spec = {
        "title": {"text": "Can an attacker recover Z?", "anchor": "start"},
        "height": {"step": 40},
        "layer": [
            {"mark": {"type": "bar"}, "encoding": {
                "x": x, "y": y, "tooltip": [{"field": "bar", "title": "bar"},
                                            {"field": "accuracy", "format": ".4f"}],
                "color": {"field": "bar", "type": "nominal", "legend": None,
                          "scale": {"domain": [b[0] for b in bars], "range": [b[2] for b in bars]}}}},
            {"mark": {"type": "text", "align": "right", "dx": -4, "color": "white"},
             "encoding": {"x": x, "y": y, "text": {"field": "label"}}},
        ],
    }
    return data, spec
