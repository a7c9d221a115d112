"""Figures of utility-vs-leakage frontiers, with the current operating point highlighted.

The analytic (McCann) frontier satisfies, for an exact barycenter with total cost
V = sum_z w_z W2^2(mu_z, mu_bar) (docs/design.md section 3.1),

.. math::

    D(t) = t^2 V, \\qquad L(t) = (1 - t)^2 V, \\qquad \\sqrt{D} + \\sqrt{L} = \\sqrt{V},

where D is the distortion E||X - X_t||^2 and L the W2 leakage sum_z w_z W2^2(Law(X_t | z), mu_bar).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .. import labels as _labels
from ..frontier import Frontier
from ..transport import distortion_leakage
from ._style import HIGHLIGHT, INK, MUTED, base_layout, plain_numbers

LABELS = _labels.LABELS  # the one vocabulary (unlearn_core.labels); kept here for old imports


def _label(col: str, short: bool = False) -> str:
    return _labels.label(col, short=short)


def outlier_clip(values: np.ndarray, *, k: float = 3.0) -> tuple[float, float] | None:
    """A y range that leaves out far-low outliers (below Q1 − k·IQR), or None when nothing is that far.

    A method that wrecks utility at one t (R² of −114 on the test split when the others sit near 0.6)
    would otherwise stretch the axis until the rest of the frontier is a flat line. The caller draws
    the clipped points at the edge and says so.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 4:
        return None
    q1, q3 = np.percentile(v, [25, 75])
    spread = max(q3 - q1, 0.05 * max(abs(q3), 1e-9), 1e-9)
    fence = q1 - k * spread
    if v.min() >= fence:
        return None
    kept = v[v >= fence]
    lo, hi = float(kept.min()), float(kept.max())
    pad = 0.08 * max(hi - lo, 1e-6)
    return lo - pad, hi + pad


def clip_note(values: np.ndarray, params: np.ndarray, rng: tuple[float, float], name: str, pname: str) -> str:
    """The sentence that says an axis was clipped: which points lie below it, with their values."""
    v = np.asarray(values, dtype=float)
    low = np.flatnonzero(v < rng[0])
    pts = ", ".join(f"{pname} = {float(params[i]):.3g}: {v[i]:.3g}" for i in low[:3])
    return f"axis clipped at {rng[0]:.3g}; {low.size} point(s) below it drawn on the edge ({name} {pts})"


def theoretical_curve(V: float, n: int = 101) -> tuple[np.ndarray, np.ndarray]:
    """(L, D) along sqrt(D) + sqrt(L) = sqrt(V): L = (1 - s)^2 V, D = s^2 V for s in [0, 1]."""
    if not np.isfinite(V) or V < 0:
        raise ValueError(f"V (total barycenter cost) must be finite and >= 0, got {V}")
    s = np.linspace(0.0, 1.0, n)
    return (1.0 - s) ** 2 * V, s**2 * V


def _nearest_row(values: np.ndarray, x: float) -> int:
    return int(np.nanargmin(np.abs(values - x)))


def _param_text(frontier: Frontier) -> np.ndarray:
    p = frontier.table[frontier.param].to_numpy(dtype=float)
    name = _label(frontier.param, short=True)
    return np.array([f"{name} = {v:.3g}" for v in p])


def frontier_figure(
    frontier: Frontier,
    *,
    current: float | None = None,
    title: str | None = None,
    height: int = 420,
) -> go.Figure:
    """Utility (y) against leakage (x) along the sweep, Pareto points emphasised, ``current`` highlighted.

    The sweep trace is the first trace (curve 0) and carries the sweep parameter (t or λ) in
    ``customdata[0]``, so a click on a point tells the app which value to select. The highlighted point is
    the row whose parameter is nearest to ``current``; its trace is named "current".
    """
    tab = frontier.table
    x = tab[frontier.leakage].to_numpy(dtype=float)
    y = tab[frontier.utility].to_numpy(dtype=float)
    p = tab[frontier.param].to_numpy(dtype=float)
    pareto = tab["pareto"].to_numpy(dtype=bool) if "pareto" in tab else np.zeros(len(tab), bool)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x, y=y, mode="lines+markers", name=f"sweep over {_label(frontier.param, short=True)}",
            # plain lists: read back by clicks
            customdata=[[float(v)] for v in p], text=_param_text(frontier),
            marker=dict(size=np.where(pareto, 11, 7), color=p, colorscale="Viridis", showscale=True,
                        colorbar=dict(title=_label(frontier.param, short=True), thickness=12),
                        line=dict(width=np.where(pareto, 1.5, 0), color=INK)),
            line=dict(color=MUTED, width=1),
            hovertemplate="%{text}<br>leakage %{x:.4g}<br>utility %{y:.4g}<extra>click to select</extra>",
        )
    )
    if current is not None and len(tab):
        i = _nearest_row(p, float(current))
        fig.add_trace(
            go.Scatter(
                x=[x[i]], y=[y[i]], mode="markers", name="current",
                marker=dict(symbol="star", size=20, color=HIGHLIGHT, line=dict(width=1, color=INK)),
                customdata=[[p[i]]], hovertemplate=f"current: {_param_text(frontier)[i]}<extra></extra>",
            )
        )
    yaxis = dict(title=_label(frontier.utility, short=True) + " — higher is better")
    rng = outlier_clip(y)
    if rng is not None:  # draw the far-low points on the clipped edge, and say so
        yaxis["range"] = list(rng)
        fig.data[0].y = np.maximum(y, rng[0])
        if len(fig.data) > 1:
            fig.data[1].y = np.maximum(np.asarray(fig.data[1].y, dtype=float), rng[0])
        note = clip_note(y, p, rng, _label(frontier.utility, short=True), _label(frontier.param, short=True))
        fig.add_annotation(text=note, xref="paper", yref="paper", x=0, y=1.0, yanchor="bottom",
                           showarrow=False, font=dict(size=11, color=HIGHLIGHT), align="left")
    fig.update_layout(
        **base_layout(
            title=title or f"Utility vs leakage ({frontier.kind} frontier; Pareto points outlined)",
            height=height, clickmode="event+select", dragmode=False,
            xaxis=dict(title=_label(frontier.leakage)), yaxis=yaxis,
        )
    )
    return plain_numbers(fig)


def distortion_leakage_figure(
    frontier: Frontier,
    *,
    V: float,
    t: float | None = None,
    title: str | None = None,
    height: int = 420,
) -> go.Figure:
    """Distortion D against W2 leakage L: measured points, the curve sqrt(D) + sqrt(L) = sqrt(V), and t.

    Needs the analytic frontier's ``distortion`` and ``w2_leakage`` columns. The highlighted point is
    the theory's (L, D) = ((1 - t)^2 V, t^2 V) at the exact ``t``.
    """
    tab = frontier.table
    for col in ("distortion", "w2_leakage", "t"):
        if col not in tab:
            raise ValueError(f"the frontier has no {col!r} column; "
                             "this figure needs an analytic (t-sweep) frontier")
    L_th, D_th = theoretical_curve(V)
    tt = tab["t"].to_numpy(dtype=float)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=tab["w2_leakage"], y=tab["distortion"], mode="markers", name="measured",
            customdata=[[float(v)] for v in tt], text=[f"t = {v:.2f}" for v in tt],
            marker=dict(size=8, color=tt, colorscale="Viridis"),
            hovertemplate="%{text}<br>L %{x:.4g}<br>D %{y:.4g}<extra>click to select</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(x=L_th, y=D_th, mode="lines", name="theory √D + √L = √V",
                   line=dict(color=INK, dash="dash", width=1.5), hoverinfo="skip")
    )
    if t is not None:
        fig.add_trace(
            go.Scatter(
                x=[distortion_leakage(t, V)[1]], y=[distortion_leakage(t, V)[0]], mode="markers",
                name="current",
                marker=dict(symbol="star", size=20, color=HIGHLIGHT, line=dict(width=1, color=INK)),
                customdata=[[t]], hovertemplate=f"t = {t:.2f}<extra></extra>",
            )
        )
    fig.update_layout(
        **base_layout(
            title=title or f"Distortion vs W2 leakage (V = {V:.4g}, training split)", height=height,
            clickmode="event+select", dragmode=False,
            xaxis=dict(title=_label("w2_leakage"), rangemode="tozero"),
            yaxis=dict(title=_label("distortion"), rangemode="tozero"),
        )
    )
    return plain_numbers(fig)
