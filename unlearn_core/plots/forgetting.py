"""Figures of data-point (marginal) unlearning: curves per epoch, per-class accuracy, forgotten samples.

Data-point unlearning fine-tunes the original model with CE on D_r + λ·Î(f(X); Z), Z the source
indicator (docs/design.md section 3.4); the retrained model (never saw D_u) is the reference every method is
compared with. Inputs are :class:`~unlearn_core.forgetting.UnlearnReport` objects (duck-typed: the
attributes ``method``, ``history``, ``per_class`` and the final metrics are read).

Pure functions of engine results: no streamlit, inputs never mutated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..labels import METHODS as _METHOD_LABELS
from ._style import HIGHLIGHT, INK, PALETTE, base_layout, plain_numbers

__all__ = ["CURVE_METRICS", "epoch_curves_figure", "forgotten_samples_figure", "per_class_figure"]

#: history column -> axis title of the per-epoch panels.
CURVE_METRICS: dict[str, str] = {
    "ua": "forget accuracy (UA)",
    "ra": "retain accuracy (RA)",
    "ta": "test accuracy (TA)",
    "mi": "Î(f(X); Z) (nats)",
    "mia_loss_auc": "MIA AUC (loss)",
    "mia_entropy_auc": "MIA AUC (entropy)",
    "forget_confidence": "confidence on D_u",
}


def _method_colors(methods: Sequence[str]) -> dict[str, str]:
    return {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(methods)}


def epoch_curves_figure(
    reports: Sequence,
    *,
    reference=None,
    metrics: Sequence[str] = ("ua", "ta", "mi", "mia_loss_auc"),
    titles: Mapping[str, str] | None = None,
    height: int = 420,
) -> go.Figure:
    """One panel per metric, one line per unlearning run (x = epoch; epoch 0 is the original model).

    ``reference`` (the retrained model's report) is drawn as a dashed horizontal line at its final
    value: the target an unlearning method should reach, not overshoot. Traces are named
    ``"<method> · <metric>"`` (plus ``"retrain · <metric>"`` for the reference).
    """
    metrics = [m for m in metrics]
    bad = [m for m in metrics if m not in CURVE_METRICS]
    if bad or not metrics:
        raise ValueError(f"metrics must be a non-empty subset of {', '.join(CURVE_METRICS)}, got {metrics}")
    titles = {**_METHOD_LABELS, **(titles or {})}
    ncol = min(len(metrics), 2)
    nrow = math.ceil(len(metrics) / ncol)
    fig = make_subplots(rows=nrow, cols=ncol, subplot_titles=[CURVE_METRICS[m] for m in metrics],
                        horizontal_spacing=0.1, vertical_spacing=0.18)
    names = [getattr(r, "method", f"run {i}") for i, r in enumerate(reports)]
    colors = _method_colors(names)
    for k, m in enumerate(metrics):
        row, col = k // ncol + 1, k % ncol + 1
        for r, name in zip(reports, names, strict=True):
            h = r.history
            if m not in h:
                continue
            fig.add_trace(go.Scatter(
                x=h["epoch"], y=h[m], mode="lines+markers", name=f"{name} · {m}",
                legendgroup=name, showlegend=False, line=dict(color=colors[name]), marker=dict(size=6),
                hovertemplate=f"{titles.get(name, name)}<br>epoch %{{x}}<br>{CURVE_METRICS[m]} %{{y:.4g}}"
                "<extra></extra>",
            ), row=row, col=col)
        if reference is not None and hasattr(reference, m):
            fig.add_trace(go.Scatter(
                x=[0, max(int(max((r.history["epoch"].max() for r in reports), default=1)), 1)],
                y=[float(getattr(reference, m))] * 2, mode="lines", name=f"retrain · {m}",
                legendgroup="retrain",
                showlegend=False, line=dict(color=INK, dash="dash", width=1.2),
                hovertemplate=f"retrained reference: {CURVE_METRICS[m]} = %{{y:.4g}}<extra></extra>",
            ), row=row, col=col)
    # One legend entry per run (dummy traces carry it; the panels' traces share legend groups).
    for name in names:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=titles.get(name, name),
                                 legendgroup=name, line=dict(color=colors[name])))
    if reference is not None:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="retrained (target)",
                                 legendgroup="retrain", line=dict(color=INK, dash="dash")))
    fig.update_xaxes(title_text="epoch", dtick=1, tick0=0, tickformat="d")
    fig.update_layout(**base_layout(title="Unlearning, epoch by epoch", height=height * nrow / 1.6 + 120))
    return plain_numbers(fig)


def per_class_figure(
    reports: Sequence,
    *,
    split: str = "test",
    forgotten: Sequence[str] = (),
    titles: Mapping[str, str] | None = None,
    height: int = 380,
) -> go.Figure:
    """Grouped bars: accuracy per class on ``split`` ("test", "retain" or "forget"), one bar per run.

    Classes in ``forgotten`` (the forget set's classes) are marked on the x axis with a star.
    """
    if split not in ("test", "retain", "forget"):
        raise ValueError(f"split must be 'test', 'retain' or 'forget', got {split!r}")
    titles = {**_METHOD_LABELS, **(titles or {})}
    names = [getattr(r, "method", f"run {i}") for i, r in enumerate(reports)]
    colors = _method_colors(names)
    marked = {str(c) for c in forgotten}
    fig = go.Figure()
    for r, name in zip(reports, names, strict=True):
        pc = r.per_class
        classes = [f"{c} ★" if str(c) in marked else str(c) for c in pc["class"]]
        fig.add_trace(go.Bar(
            x=classes, y=pc[split], name=titles.get(name, name), marker_color=colors[name],
            customdata=np.c_[pc[f"n_{split}"]] if f"n_{split}" in pc else None,
            hovertemplate="class %{x}<br>accuracy %{y:.3f}<br>n = %{customdata[0]}<extra>"
            + titles.get(name, name) + "</extra>",
        ))
    fig.update_layout(**base_layout(
        title=f"Accuracy per class on the {split} set" + (" (★ = forgotten class)" if marked else ""),
        height=height, barmode="group", yaxis=dict(title="accuracy", range=[0, 1.02]),
        xaxis=dict(title="class", type="category"),
    ))
    return plain_numbers(fig)


def forgotten_samples_figure(
    images: np.ndarray,
    *,
    shape: tuple[int, int],
    true: Sequence[str],
    before: Sequence[str],
    after: Sequence[str],
    after_name: str = "after",
    max_images: int = 16,
    ncols: int = 8,
    height: int | None = None,
) -> go.Figure:
    """A grid of forgotten images, titled "true · before → after" (red when the prediction changed).

    ``images`` is (k, h*w) raw pixels (any scale), ``shape`` = (h, w); ``true``, ``before`` and
    ``after`` are the label names of the true class and of the original's and the unlearned model's
    predictions. At most ``max_images`` are drawn.
    """
    imgs = np.asarray(images, dtype=float)
    h, w = (int(shape[0]), int(shape[1]))
    if imgs.ndim != 2 or imgs.shape[1] != h * w:
        raise ValueError(f"images must be (k, {h * w}) for shape {shape}, got {imgs.shape}")
    k = min(len(imgs), int(max_images))
    if not (len(true) >= k and len(before) >= k and len(after) >= k):
        raise ValueError("true, before and after need one label per image")
    if k == 0:
        raise ValueError("no images to draw: the forget set is empty")
    ncols = max(1, min(int(ncols), k))
    nrows = math.ceil(k / ncols)
    titles = []
    for i in range(k):
        changed = str(before[i]) != str(after[i])
        colour = HIGHLIGHT if changed else "#333333"
        titles.append(f"<span style='color:{colour}'>{true[i]} · {before[i]}→{after[i]}</span>")
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=titles, horizontal_spacing=0.02,
                        vertical_spacing=0.12 if nrows > 1 else 0.0)
    for i in range(k):
        fig.add_trace(go.Heatmap(
            z=imgs[i].reshape(h, w)[::-1], colorscale="Greys", showscale=False,
            hovertemplate=f"true {true[i]}<br>original predicts {before[i]}"
            f"<br>{after_name} predicts {after[i]}<extra></extra>",
        ), row=i // ncols + 1, col=i % ncols + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor=None)
    fig.update_annotations(font_size=11)
    fig.update_layout(**base_layout(
        title=dict(text=f"Forgotten samples: true · original → {after_name}",
                   subtitle=dict(text="red: the prediction changed", font=dict(color=INK, size=11))),
        height=height or 110 + 120 * nrows, showlegend=False, margin=dict(l=10, r=10, t=90, b=10),
    ))
    return fig
