"""Figures of regularised training: the trained frontier over the analytic one, curves, group outputs.

The trained frontier sweeps λ in task loss + λ·Î(S'; Z) (docs/design.md section 3.3); the analytic one walks
the McCann path X_t = (1 − t) X + t T_Z(X) to the W2 barycenter (section 3.1), whose endpoint t = 1 is
the provable optimum for feature unlearning. Both are :class:`~unlearn_core.frontier.Frontier` tables
with a ``probe_auc`` leakage column (a held-out attacker's AUC for Z) and an ``auc`` / ``r2`` utility
column, so one chart can carry both.

Pure functions of engine results: no streamlit, inputs never mutated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..frontier import Frontier
from ..labels import label as _screen_label
from ._style import HIGHLIGHT, INK, MUTED, PALETTE, base_layout, group_colors, plain_numbers

__all__ = ["group_outputs_figure", "trained_frontier_figure", "training_curves_figure"]


def _label(col: str) -> str:
    return _screen_label(col)


def _fmt_lam(v: float) -> str:
    return "∞" if not np.isfinite(v) else f"{v:g}"


def trained_frontier_figure(
    trained: Frontier,
    analytic: Frontier | None = None,
    *,
    current: float | None = None,
    utility: str | None = None,
    leakage: str | None = None,
    title: str | None = None,
    height: int = 460,
) -> go.Figure:
    """Trained points (one per λ) over the analytic (barycenter) curve, λ = 0 and t = 1 marked.

    Parameters
    ----------
    trained : the λ sweep (``kind="trained"``, ``param="lam"``).
    analytic : the t sweep of the same dataset (optional); drawn as a line with the barycenter
        endpoint (t = 1, full feature unlearning) marked.
    current : the selected λ; the trained row nearest to it is starred.
    utility, leakage : table columns for the axes (default: the trained frontier's own, e.g. ``auc``
        and ``probe_auc``). For the analytic curve the output-level column ``out_<leakage>`` is used when
        the table has it (the same attacker on the downstream model's outputs), else ``leakage``.
        An analytic table lacking the columns is not drawn.

    Traces, in order: "trained (λ sweep)" (curve 0, ``customdata[0]`` = λ, so a click selects a λ),
    then "analytic (t sweep)", "λ = 0 (plain training)", "barycenter (t = 1)" and "current" when
    available.
    """
    if trained.param != "lam":
        raise ValueError(f"trained must be a λ sweep (param 'lam'), got param {trained.param!r}")
    ucol = utility or trained.utility
    lcol = leakage or trained.leakage
    tab = trained.table
    for col in (ucol, lcol):
        if col not in tab:
            raise ValueError(f"the trained frontier has no {col!r} column; columns are {list(tab.columns)}")
    lam = tab["lam"].to_numpy(dtype=float)
    x = tab[lcol].to_numpy(dtype=float)
    y = tab[ucol].to_numpy(dtype=float)
    text = [f"λ = {_fmt_lam(v)}" for v in lam]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=x, y=y, mode="lines+markers", name="trained (λ sweep)", customdata=np.c_[lam], text=text,
        marker=dict(size=10, color=PALETTE[0], symbol="circle", line=dict(width=1, color="white")),
        line=dict(color=PALETTE[0], width=1.5),
        hovertemplate="%{text}<br>leakage %{x:.4g}<br>utility %{y:.4g}<extra>trained</extra>",
    ))
    # The trained points' leakage is measured on model outputs; the analytic table measures the same
    # attacker on the downstream model's outputs in its out_* columns (its plain probe_* attack X_t).
    acol = f"out_{lcol}" if analytic is not None and f"out_{lcol}" in analytic.table else lcol
    if analytic is not None and ucol in analytic.table and acol in analytic.table:
        at = analytic.table.sort_values("t")
        tt = at["t"].to_numpy(dtype=float)
        fig.add_trace(go.Scatter(
            x=at[acol].to_numpy(dtype=float), y=at[ucol].to_numpy(dtype=float), mode="lines+markers",
            name="analytic (barycenter path, t sweep)", text=[f"t = {v:.2f}" for v in tt],
            marker=dict(size=5, color=PALETTE[1]), line=dict(color=PALETTE[1], width=2, dash="dot"),
            hovertemplate="%{text}<br>leakage %{x:.4g}<br>utility %{y:.4g}<extra>analytic</extra>",
        ))
        end = np.flatnonzero(np.isclose(tt, 1.0))
        if end.size:
            r = at.iloc[int(end[0])]
            fig.add_trace(go.Scatter(
                x=[r[acol]], y=[r[ucol]], mode="markers", name="barycenter (t = 1)",
                marker=dict(symbol="diamond", size=15, color=PALETTE[1], line=dict(width=1.5, color=INK)),
                hovertemplate="barycenter endpoint t = 1<br>leakage %{x:.4g}<br>utility %{y:.4g}"
                "<extra></extra>",
            ))
    zero = np.flatnonzero(lam == 0.0)
    if zero.size:
        i = int(zero[0])
        fig.add_trace(go.Scatter(
            x=[x[i]], y=[y[i]], mode="markers", name="λ = 0 (plain training)",
            marker=dict(symbol="square", size=13, color="white", line=dict(width=2, color=PALETTE[0])),
            hovertemplate="λ = 0: plain training<br>leakage %{x:.4g}<br>utility %{y:.4g}<extra></extra>",
        ))
    if current is not None and len(tab):
        i = int(np.nanargmin(np.abs(lam - float(current))))
        fig.add_trace(go.Scatter(
            x=[x[i]], y=[y[i]], mode="markers", name="current", customdata=[[lam[i]]],
            marker=dict(symbol="star", size=20, color=HIGHLIGHT, line=dict(width=1, color=INK)),
            hovertemplate=f"selected λ = {_fmt_lam(lam[i])}<extra></extra>",
        ))
    fig.update_layout(**base_layout(
        title=title or "Trained frontier over the barycenter (analytic) frontier",
        height=height, clickmode="event+select", dragmode=False,
        xaxis=dict(title=_label(lcol) + " — lower leaks less"),
        yaxis=dict(title=_screen_label(ucol, short=True) + " — higher is better"),
    ))
    return plain_numbers(fig)


def training_curves_figure(
    history: pd.DataFrame, *, lam: float | None = None, height: int = 360
) -> go.Figure:
    """Per-epoch training curves: task loss (left axis) and the regulariser Î (right axis).

    ``history`` is ``TrainResult.history`` (columns epoch, task_loss, reg, optionally total and
    held-out ``test_*`` columns). The objective is task_loss + λ·reg.
    """
    for col in ("epoch", "task_loss", "reg"):
        if col not in history:
            raise ValueError(f"history has no {col!r} column; pass TrainResult.history")
    ep = history["epoch"].to_numpy()
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=ep, y=history["task_loss"], mode="lines+markers", name="task loss",
                             line=dict(color=PALETTE[0])), secondary_y=False)
    if "total" in history and lam:
        fig.add_trace(go.Scatter(x=ep, y=history["total"], mode="lines", name="task loss + λ·Î",
                                 line=dict(color=MUTED, dash="dash")), secondary_y=False)
    fig.add_trace(go.Scatter(x=ep, y=history["reg"], mode="lines+markers", name="Î (training regulariser)",
                             line=dict(color=PALETTE[5])), secondary_y=True)
    if "test_reg" in history:
        fig.add_trace(go.Scatter(x=ep, y=history["test_reg"], mode="lines", name="Î held out",
                                 line=dict(color=PALETTE[5], dash="dot")), secondary_y=True)
    lam_txt = "" if lam is None else f" at λ = {_fmt_lam(float(lam))}"
    fig.update_layout(**base_layout(title=f"Training curves{lam_txt}", height=height))
    fig.update_xaxes(title_text="epoch", dtick=1, tick0=0, tickformat="d")  # whole epochs only
    fig.update_yaxes(title_text="task loss", secondary_y=False)
    fig.update_yaxes(title_text="Î (nats)", secondary_y=True, rangemode="tozero")
    return plain_numbers(fig)


def group_outputs_figure(
    outputs: np.ndarray,
    z: np.ndarray,
    *,
    groups: Sequence[object] | None = None,
    column: int | None = None,
    output_name: str | None = None,
    lam: float | None = None,
    nbins: int = 30,
    height: int = 360,
) -> go.Figure:
    """Distribution of the model output per group of Z (one overlaid, normalised histogram per group).

    Independence of S' and Z means these histograms coincide. ``outputs`` is (n,) (regression
    predictions or one class probability) or (n, C) class probabilities, of which column ``column`` is
    drawn (default the last: P(positive class) for binary tasks).
    """
    S = np.asarray(outputs, dtype=float)
    zz = np.asarray(z).astype(str)
    if S.ndim == 2:
        c = S.shape[1] - 1 if column is None else int(column)
        if not 0 <= c < S.shape[1]:
            raise ValueError(f"column {column} is out of range for outputs with {S.shape[1]} columns")
        s = S[:, c]
        name = output_name or f"P(class {c})"
    elif S.ndim == 1:
        s = S
        name = output_name or "prediction"
    else:
        raise ValueError(f"outputs must be 1-D or 2-D, got shape {S.shape}")
    if len(s) != len(zz):
        raise ValueError(f"outputs has {len(s)} rows but z has {len(zz)}")
    labels = [str(g) for g in (groups if groups is not None else np.unique(zz))]
    colors = group_colors(labels)
    lo, hi = (float(np.nanmin(s)), float(np.nanmax(s))) if len(s) else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1e-6
    fig = go.Figure()
    for g in labels:
        vals = s[zz == g]
        fig.add_trace(go.Histogram(
            x=vals, name=f"Z = {g} (n = {vals.size:,})", histnorm="probability density", opacity=0.55,
            marker_color=colors[g], xbins=dict(start=lo, end=hi, size=(hi - lo) / max(int(nbins), 1)),
        ))
    lam_txt = "" if lam is None else f" at λ = {_fmt_lam(float(lam))}"
    fig.update_layout(**base_layout(
        title=f"Model output by group{lam_txt} (held-out rows)", height=height, barmode="overlay",
        xaxis=dict(title=name), yaxis=dict(title="density"),
    ))
    return plain_numbers(fig)
