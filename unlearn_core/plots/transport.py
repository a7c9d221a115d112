"""Figures of the barycenter transport: points moving along the McCann path, marginals, who pays.

All builders take the original points X and their barycenter images T_Z(X) (t = 1). Because the
McCann path is affine in t,

.. math::

    x_t = (1 - t)\\,x + t\\,T_z(x), \\qquad \\|x - x_t\\| = t\\,\\|x - T_z(x)\\|,

every intermediate frame (and any linear 2-D projection of it) is an interpolation of the two
endpoints, so one fit gives the whole animation (docs/design.md section 3.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from .._utils import RandomState, as_2d_float, check_random_state
from ..transport import mccann  # noqa: F401  (re-exported: plots.transport.mccann)
from ._style import INK, MUTED, base_layout, group_colors

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_TS = tuple(np.round(np.linspace(0.0, 1.0, 21), 2))


def displacements(X: np.typing.ArrayLike, X_end: np.typing.ArrayLike, t: float) -> np.ndarray:
    """Per-row displacement ||x - x_t|| = t ||x - T_z(x)|| along the McCann path."""
    X = as_2d_float(X)
    X_end = as_2d_float(X_end, "X_end")
    if X.shape != X_end.shape:
        raise ValueError(f"X and X_end must have the same shape, got {X.shape} and {X_end.shape}")
    return float(t) * np.linalg.norm(X - X_end, axis=1)


@dataclass(frozen=True, eq=False)
class DisplayPoints:
    """A capped, 2-D view of the transport, ready to draw.

    Attributes
    ----------
    start, end : (m, 2) projections of the original points and of their barycenter images.
    groups : (m,) group labels as strings.
    rows : (m,) positions of the displayed rows in the full data.
    axis_labels : names of the two display axes.
    projection : "features" (two chosen columns), "pca" (first two principal axes of X) or "1-d" (data
        with one feature: x is the feature, y is the row's group lane, jittered so rows do not overlap).
    n_total : number of rows in the full data (metrics use all of them).
    explained : share of variance of X on each PCA axis, or None.
    """

    start: np.ndarray
    end: np.ndarray
    groups: np.ndarray
    rows: np.ndarray
    axis_labels: tuple[str, str]
    projection: str
    n_total: int
    explained: tuple[float, float] | None = None

    @property
    def n_shown(self) -> int:
        return len(self.rows)


def _capped_rows(codes: np.ndarray, cap: int, rng: np.random.Generator) -> np.ndarray:
    """Row positions of a group-stratified subsample of at most ``cap`` rows (every group kept)."""
    n = codes.size
    if n <= cap:
        return np.arange(n)
    counts = np.bincount(codes)
    take = np.maximum(np.minimum(counts, 10), np.floor(cap * counts / n).astype(int))
    rows = [rng.choice(np.flatnonzero(codes == g), size=k, replace=False)
            for g, k in enumerate(take) if k > 0]
    return np.sort(np.concatenate(rows))


def display_points(
    X: np.typing.ArrayLike,
    X_end: np.typing.ArrayLike,
    z: np.typing.ArrayLike,
    *,
    features: Sequence[int] | None = None,
    columns: Sequence[str] | None = None,
    max_points: int = 1000,
    random_state: RandomState = 0,
) -> DisplayPoints:
    """Project the transport to 2-D and cap the number of points shown.

    Parameters
    ----------
    X, X_end : (n, d) original points and their images T_Z(X).
    z : (n,) group labels.
    features : two column positions to show; None shows both columns when d = 2, else the first two
        principal axes of X (the same linear map is applied to X_end, so paths stay straight). With one
        feature (d = 1) the view is 1-D: the feature on x and each group in its own lane on y (a row
        keeps its lane along the path, so it moves horizontally); ``features`` is ignored.
    columns : column names (for axis labels).
    max_points : display cap; groups are subsampled proportionally, at least 10 rows each.
    """
    X = as_2d_float(X)
    X_end = as_2d_float(X_end, "X_end")
    if X.shape != X_end.shape:
        raise ValueError(f"X and X_end must have the same shape, got {X.shape} and {X_end.shape}")
    z = np.asarray(z)
    if z.shape != (X.shape[0],):
        raise ValueError(f"z must have one label per row of X ({X.shape[0]}), got shape {z.shape}")
    if max_points < 10:
        raise ValueError(f"max_points must be at least 10, got {max_points}")
    n, d = X.shape
    columns = list(columns) if columns is not None else [f"x{j + 1}" for j in range(d)]
    explained = None
    labels_z, codes = np.unique(z.astype(str), return_inverse=True)
    rng = check_random_state(random_state)
    if d == 1:
        # A 1-D view: the transport moves along x only; the lane (group position + jitter in +-0.3) is
        # the same at both endpoints, so every point of the McCann path stays in its lane.
        lane = codes + rng.uniform(-0.3, 0.3, size=n)
        P, Q = np.c_[X[:, 0], lane], np.c_[X_end[:, 0], lane]
        rows = _capped_rows(codes, int(max_points), rng)
        return DisplayPoints(
            start=P[rows], end=Q[rows], groups=labels_z[codes[rows]], rows=rows,
            axis_labels=(str(columns[0]), "group (one lane per group; rows jittered)"), projection="1-d",
            n_total=n, explained=None,
        )
    if features is None and d == 2:
        features = (0, 1)
    if features is not None:
        i, j = (int(f) for f in features)
        if not (0 <= i < d and 0 <= j < d) or i == j:
            raise ValueError(f"features must be two different column positions in [0, {d}), got {features}")
        P, Q = X[:, [i, j]], X_end[:, [i, j]]
        labels, projection = (str(columns[i]), str(columns[j])), "features"
    else:
        # Principal axes of the original data, applied to both endpoints.
        mean = X.mean(axis=0)
        _, s, vt = np.linalg.svd(X - mean, full_matrices=False)
        W = vt[:2].T
        P, Q = (X - mean) @ W, (X_end - mean) @ W
        var = s**2
        explained = tuple(float(v) for v in var[:2] / var.sum()) if var.sum() > 0 else (0.0, 0.0)
        labels, projection = ("PC 1", "PC 2"), "pca"
    rows = _capped_rows(codes, int(max_points), rng)
    return DisplayPoints(
        start=P[rows], end=Q[rows], groups=labels_z[codes[rows]], rows=rows, axis_labels=labels,
        projection=projection, n_total=n, explained=explained,
    )


def _nearest(ts: Sequence[float], t: float) -> int:
    return int(np.argmin(np.abs(np.asarray(ts, dtype=float) - t)))


def _padded_range(a: np.ndarray, b: np.ndarray) -> list[float]:
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    pad = 0.05 * (hi - lo or 1.0)
    return [lo - pad, hi + pad]


def _frame_controls(ts: list[float], t: float) -> tuple[dict, dict]:
    """The slider over the frames (starting at the frame nearest ``t``) and the play button."""
    slider = dict(
        active=_nearest(ts, t), currentvalue=dict(prefix="preview t = "), pad=dict(t=35), len=0.9, x=0.1,
        steps=[
            dict(
                label=f"{tt:.2f}", method="animate",
                args=[[f"{tt:.2f}"], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                           transition=dict(duration=0))],
            )
            for tt in ts
        ],
    )
    play = dict(
        type="buttons", showactive=False, x=0.0, y=0, xanchor="left", yanchor="top", pad=dict(t=45),
        buttons=[dict(label="▶", method="animate",
                      args=[None, dict(frame=dict(duration=120, redraw=False), transition=dict(duration=0),
                                       fromcurrent=True, mode="immediate")])],
    )
    return slider, play


def transport_figure(
    points: DisplayPoints,
    *,
    t: float,
    ts: Sequence[float] = DEFAULT_TS,
    arrows: bool = False,
    title: str | None = None,
    height: int = 520,
) -> go.Figure:
    """Scatter of the points at ``t`` on the McCann path, with animation frames over ``ts``.

    The trace named "points" shows x_t = (1 - t) x + t T_z(x) for every displayed row, coloured by group
    (``text`` holds each row's group; one legend entry per group). The frames hold that trace at every
    value of ``ts`` and a plotly slider scrubs through them in the browser, with
    no round trip to the server; the server redraws at the exact ``t`` on release. With ``arrows``, a
    faint segment joins each original point to its barycenter image. Axis ranges cover every frame so
    the view does not jump while scrubbing.
    """
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"t must be in [0, 1], got {t}")
    ts = [float(v) for v in ts]
    if not ts:
        raise ValueError("ts must hold at least one t for the animation frames")
    groups = sorted(set(points.groups.tolist()))
    colors = group_colors(groups)
    # One trace holds every point (colour per point), so each animation frame carries one small
    # trace: building the frames is what dominates a redraw, and it scales with the number of traces.
    # Colour by group index through a stepwise colourscale: numeric colour arrays validate fast, a
    # per-point list of colour strings does not.
    index = {g: i for i, g in enumerate(groups)}
    codes = np.array([index[g] for g in points.groups], dtype=np.int16)
    K = len(groups)
    scale = []
    for i, g in enumerate(groups):
        scale += [[i / K, colors[g]], [(i + 1) / K, colors[g]]]

    def xy(tt: float) -> np.ndarray:
        return mccann(points.start, points.end, tt).astype(np.float32)  # display only: halves the JSON

    data: list[go.Scatter] = []
    if arrows:
        seg = np.full((3 * points.n_shown, 2), np.nan)
        seg[0::3], seg[1::3] = points.start, points.end
        data.append(
            go.Scatter(
                x=seg[:, 0].astype(np.float32), y=seg[:, 1].astype(np.float32), mode="lines",
                name="path to barycenter", line=dict(color=MUTED, width=0.6), opacity=0.45, hoverinfo="skip",
            )
        )
    P = xy(t)
    data.append(
        go.Scatter(
            x=P[:, 0], y=P[:, 1], mode="markers", name="points", showlegend=False, text=points.groups,
            marker=dict(color=codes, colorscale=scale, cmin=-0.5, cmax=K - 0.5, size=6, opacity=0.75,
                        line=dict(width=0), showscale=False),
            hovertemplate="group %{text}<br>%{x:.3f}, %{y:.3f}<extra></extra>",
        )
    )
    points_trace = len(data) - 1
    for g in groups:  # legend entries only
        data.append(go.Scatter(x=[None], y=[None], mode="markers", name=f"group {g}",
                               marker=dict(color=colors[g], size=8)))
    frames = []
    for tt in ts:
        F = xy(tt)
        frames.append(go.Frame(name=f"{tt:.2f}", data=[dict(type="scatter", x=F[:, 0], y=F[:, 1])],
                               traces=[points_trace]))
    slider, play = _frame_controls(ts, t)
    sub = f"{points.n_shown} of {points.n_total} rows shown"
    if points.explained is not None:
        sub += f"; PCA axes explain {points.explained[0]:.0%} and {points.explained[1]:.0%} of the variance"
    fig = go.Figure(data=data, frames=frames)
    fig.update_layout(
        **base_layout(
            title=dict(text=(title or f"Transport to the barycenter at t = {t:.2f}")
                       + f"<br><sup>{sub}</sup>"),
            height=height, sliders=[slider], updatemenus=[play],
            xaxis=dict(title=points.axis_labels[0],
                       range=_padded_range(points.start[:, 0], points.end[:, 0])),
            yaxis=dict(title=points.axis_labels[1],
                       range=_padded_range(points.start[:, 1], points.end[:, 1])),
            legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
        )
    )
    fig.layout.meta = dict(t=float(t), n_shown=points.n_shown, n_total=points.n_total)
    return fig


def transport_vega_spec(
    points: DisplayPoints,
    *,
    t: float,
    title: str | None = None,
    height: int = 430,
) -> tuple[pd.DataFrame, dict]:
    """Vega-Lite twin of :func:`transport_figure`: the data and the spec for ``st.vega_lite_chart``.

    The data holds each displayed row's two endpoints (x0, y0) = x and (x1, y1) = T_z(x), and the spec
    draws x_t = (1 - s) x + s T_z(x) for a parameter s computed in the browser (a Vega ``calculate``
    transform), so the bound "preview t" slider under the chart moves the points continuously with no
    round trip; s starts at ``t``. The data does not depend on ``t``, only the parameter's start value
    does. Vega-Lite's renderer is much lighter to load than plotly's (about 0.8 MB of JavaScript
    against 4.7 MB), which is why the explorer's first page uses this form.
    """
    import pandas as pd

    if not 0.0 <= t <= 1.0:
        raise ValueError(f"t must be in [0, 1], got {t}")
    groups = sorted(set(points.groups.tolist()))
    colors = group_colors(groups)
    names = [f"group {g}" for g in groups]
    data = pd.DataFrame({
        "x0": points.start[:, 0], "y0": points.start[:, 1], "x1": points.end[:, 0], "y1": points.end[:, 1],
        "group": [f"group {g}" for g in points.groups],
    })
    sub = f"{points.n_shown} of {points.n_total} rows shown"
    if points.explained is not None:
        sub += f"; PCA axes explain {points.explained[0]:.0%} and {points.explained[1]:.0%} of the variance"

    def axis(j: int, name: str) -> dict:
        lo, hi = _padded_range(points.start[:, j], points.end[:, j])
        return {"field": name, "type": "quantitative", "title": points.axis_labels[j],
                "scale": {"domain": [lo, hi], "zero": False, "nice": False}}

    spec = {
        "height": height,
        "title": {"text": title or "Transport to the barycenter", "subtitle": sub, "anchor": "start",
                  "subtitleColor": INK},
        "params": [{"name": "preview", "value": float(t),
                    "bind": {"input": "range", "min": 0, "max": 1, "step": 0.01, "name": "preview t "}}],
        "transform": [
            {"calculate": "(1 - preview) * datum.x0 + preview * datum.x1", "as": "x"},
            {"calculate": "(1 - preview) * datum.y0 + preview * datum.y1", "as": "y"},
        ],
        "mark": {"type": "circle", "size": 28, "opacity": 0.75},
        "encoding": {
            "x": axis(0, "x"),
            "y": axis(1, "y"),
            "color": {"field": "group", "type": "nominal", "title": None,
                      "scale": {"domain": names, "range": [colors[g] for g in groups]},
                      "legend": {"orient": "top-right"}},
            "tooltip": [{"field": "group"}, {"field": "x", "format": ".3f"}, {"field": "y", "format": ".3f"}],
        },
        "usermeta": {"t": float(t), "n_shown": points.n_shown, "n_total": points.n_total},
    }
    return data, spec


def _kde(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian kernel density on the evenly spaced ``grid`` (Silverman bandwidth, floored at 1% of the span).

    Binned estimate (Silverman 1982; Wand & Jones 1995, ch. 3): each value's unit mass is split linearly
    between its two neighbouring grid points, and the grid counts are convolved with the Gaussian kernel
    sampled on the grid. That costs O(n + G * m) for n values, G grid points and a kernel of 2m + 1
    points, instead of O(n * G) for the direct sum, and differs from it by O(h^2) for grid step h
    (tested against the direct sum). Values must lie inside the grid.
    """
    G = grid.size
    span = float(grid[-1] - grid[0]) or 1.0
    bw = max(1.06 * float(values.std()) * values.size ** (-0.2), 0.01 * span)
    h = span / (G - 1)
    pos = np.clip((values - grid[0]) / h, 0.0, G - 1.0)
    i = np.minimum(pos.astype(np.int64), G - 2)
    w = pos - i
    counts = np.bincount(i, weights=1.0 - w, minlength=G) + np.bincount(i + 1, weights=w, minlength=G)
    m = min(int(np.ceil(5.0 * bw / h)), G - 1)
    kernel = np.exp(-0.5 * (np.arange(-m, m + 1) * h / bw) ** 2)
    dens = np.convolve(counts, kernel)[m : m + G]
    return dens / (values.size * bw * np.sqrt(2 * np.pi))


def density_curves(
    a: np.ndarray,
    b: np.ndarray,
    z: np.typing.ArrayLike,
    *,
    groups: Sequence[str] | None = None,
    n_grid: int = 120,
    max_rows_per_group: int = 1500,
    random_state: RandomState = 0,
) -> tuple[np.ndarray, dict[tuple[str, str], np.ndarray]]:
    """Per-group Gaussian-kernel densities of one feature before (``a``) and at t (``b``) on one grid.

    Returns the grid (``n_grid`` points spanning both, padded by 10%) and a dict keyed by
    ("before" | "at t", group) of density values; each curve integrates to about 1 over the grid.
    Groups with more than ``max_rows_per_group`` rows use a seeded subsample of their rows, the same rows
    before and at t and for every t. ``groups`` may pass the sorted distinct labels of ``z`` when the
    caller has them (the explorer does: finding them costs more on 45,000 rows than the densities).
    """
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    z = np.asarray(z)
    if z.dtype.kind != "U":
        z = z.astype(str)
    if not a.shape == b.shape == z.shape:
        raise ValueError(f"a, b and z must have the same length, got {a.shape}, {b.shape}, {z.shape}")
    labels = sorted(set(z.tolist())) if groups is None else [str(g) for g in groups]
    rng = check_random_state(random_state)
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    pad = 0.1 * (hi - lo or 1.0)
    grid = np.linspace(lo - pad, hi + pad, n_grid)
    before, at_t = {}, {}
    for g in labels:
        rows = np.flatnonzero(z == g)
        if rows.size == 0:
            raise ValueError(f"group {g!r} has no rows in z")
        if rows.size > max_rows_per_group:
            rows = rng.choice(rows, size=max_rows_per_group, replace=False)
        before["before", g] = _kde(a[rows], grid)
        at_t["at t", g] = _kde(b[rows], grid)
    return grid, before | at_t


def marginal_densities_figure(
    X: np.typing.ArrayLike,
    X_t: np.typing.ArrayLike,
    z: np.typing.ArrayLike,
    *,
    feature: int = 0,
    feature_name: str | None = None,
    t: float,
    n_grid: int = 120,
    max_rows_per_group: int = 1500,
    random_state: RandomState = 0,
    height: int = 340,
) -> go.Figure:
    """Per-group kernel densities of one feature before (t = 0) and at ``t``, side by side.

    When the groups' curves coincide on the right, that feature's marginal no longer tells the groups
    apart (exactly so at t = 1 for the ``marginal`` method, and for every method's barycenter when it
    is exact).
    """
    X = as_2d_float(X)
    X_t = as_2d_float(X_t, "X_t")
    if X.shape != X_t.shape:
        raise ValueError(f"X and X_t must have the same shape, got {X.shape} and {X_t.shape}")
    if not 0 <= feature < X.shape[1]:
        raise ValueError(f"feature must be a column position in [0, {X.shape[1]}), got {feature}")
    grid, curves = density_curves(X[:, feature], X_t[:, feature], z, n_grid=n_grid,
                                  max_rows_per_group=max_rows_per_group, random_state=random_state)
    groups = sorted({g for _, g in curves})
    colors = group_colors(groups)
    traces = []
    for col, when in ((1, "before"), (2, "at t")):
        for g in groups:
            dens = curves[when, g]
            traces.append(go.Scatter(
                x=grid.astype(np.float32), y=dens.astype(np.float32), mode="lines", name=f"group {g}",
                line=dict(color=colors[g], width=2), legendgroup=g, showlegend=col == 1,
                xaxis="x" if col == 1 else "x2", yaxis="y",
            ))
    name = feature_name or f"feature {feature}"
    # Two panels side by side sharing the y axis (laid out by hand: make_subplots is slow to build).
    fig = go.Figure(data=traces)
    fig.update_layout(**base_layout(
        title=f"Per-group density of {name}", height=height,
        xaxis=dict(domain=[0.0, 0.47], title=f"{name}, before (t = 0)"),
        xaxis2=dict(domain=[0.53, 1.0], title=f"{name}, at t = {t:.2f}", anchor="y"),
        yaxis=dict(title="density", rangemode="tozero"),
    ))
    return fig


def displacement_stats(displacement: np.typing.ArrayLike, z: np.typing.ArrayLike) -> list[dict]:
    """Per group: quartiles, 1.5 IQR whiskers clipped to the data, mean, mean square ("cost") and n.

    The cost is E[||x - x_t||^2 | Z = z], which is t^2 W2^2(mu_z, mu_bar) for an exact barycenter map.
    """
    d = np.asarray(displacement, dtype=float).ravel()
    z = np.asarray(z).astype(str)
    if d.shape != z.shape:
        raise ValueError(f"displacement and z must have the same length, got {d.shape} and {z.shape}")
    out = []
    for g in sorted(set(z.tolist())):
        v = d[z == g]
        q1, med, q3 = (float(q) for q in np.percentile(v, [25, 50, 75]))
        iqr = q3 - q1
        out.append(dict(
            group=g, q1=q1, median=med, q3=q3, lo=float(v[v >= q1 - 1.5 * iqr].min()),
            hi=float(v[v <= q3 + 1.5 * iqr].max()), mean=float(v.mean()), cost=float(np.mean(v**2)),
            n=int(v.size),
        ))
    return out


def scale_displacement_stats(stats: list[dict], factor: float) -> list[dict]:
    """:func:`displacement_stats` of ``factor * d`` from those of ``d`` (``factor`` >= 0), exactly.

    Quantiles, whisker ends and the mean scale by ``factor``, the mean square by ``factor**2``. On the
    McCann path ||x - x_t|| = t ||x - T_z(x)||, so the stats at any t follow from those at t = 1.
    """
    if not factor >= 0:
        raise ValueError(f"factor must be >= 0, got {factor}")
    keys = ("q1", "median", "q3", "lo", "hi", "mean")
    return [{**r, **{k: factor * r[k] for k in keys}, "cost": factor**2 * r["cost"]} for r in stats]


def displacement_figure(
    displacement: np.typing.ArrayLike,
    z: np.typing.ArrayLike,
    *,
    t: float,
    height: int = 340,
) -> go.Figure:
    """"Who pays": the distribution of ||x - x_t|| in each group, with each group's mean squared cost.

    Box statistics are computed here (quartiles, 1.5 IQR whiskers clipped to the data), so the figure
    stays small whatever the number of rows. The text above each box is the group's mean squared
    displacement E[||x - x_t||^2 | Z = z] = t^2 W2^2(mu_z, mu_bar) for an exact barycenter map.
    """
    stats = displacement_stats(displacement, z)
    colors = group_colors([r["group"] for r in stats])
    fig = go.Figure()
    for r in stats:
        g = r["group"]
        fig.add_trace(
            go.Box(
                name=f"group {g}", x=[f"group {g}"], q1=[r["q1"]], median=[r["median"]], q3=[r["q3"]],
                lowerfence=[r["lo"]], upperfence=[r["hi"]], mean=[r["mean"]], marker_color=colors[g],
                boxpoints=False, hovertemplate=None,
            )
        )
        fig.add_annotation(
            x=f"group {g}", y=r["hi"], text=f"E‖x−x<sub>t</sub>‖² = {r['cost']:.3g}<br>n = {r['n']}",
            showarrow=False, yshift=22,
        )
    fig.update_layout(
        **base_layout(title=f"Who pays: displacement ‖x − x_t‖ per group at t = {t:.2f}", height=height,
                      showlegend=False, yaxis=dict(title="‖x − x_t‖", rangemode="tozero"))
    )
    return fig
