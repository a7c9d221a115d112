"""Figure builders: invariants of the data they draw (not just that they run)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from unlearn_core import plots
from unlearn_core.frontier import Frontier
from unlearn_core.plots.transport import displacements, mccann


@pytest.fixture(scope="module")
def world():
    rng = np.random.default_rng(0)
    n = 900
    z = rng.integers(0, 3, n)
    X = rng.standard_normal((n, 4)) + z[:, None] * np.array([2.0, 0.0, -1.0, 0.5])
    X_end = X - z[:, None] * np.array([2.0, 0.0, -1.0, 0.5]) + 1.0  # a translation per group
    return X, X_end, z


@pytest.fixture(scope="module")
def frontier():
    ts = np.round(np.linspace(0, 1, 11), 2)
    V = 2.0
    tab = pd.DataFrame(dict(
        t=ts, lam=np.where(ts < 1, ts / np.maximum(1 - ts, 1e-12), np.inf),
        distortion=ts**2 * V * 1.01, w2_leakage=(1 - ts) ** 2 * V * 0.99,
        auc=0.9 - 0.1 * ts**2, probe_auc=1.0 - 0.5 * ts,
    ))
    return Frontier.build(tab, kind="analytic", param="t", utility="auc", leakage="probe_auc", meta={"V": V})


def _xy(trace):
    return np.asarray(trace["x"], dtype=float), np.asarray(trace["y"], dtype=float)


def test_displacements_is_t_times_the_full_move(world):
    X, X_end, _ = world
    full = np.linalg.norm(X - X_end, axis=1)
    assert_allclose(displacements(X, X_end, 0.3), 0.3 * full, rtol=1e-12)
    assert_allclose(np.linalg.norm(X - mccann(X, X_end, 0.3), axis=1), 0.3 * full, rtol=1e-12)
    with pytest.raises(ValueError, match="same shape"):
        displacements(X, X_end[:, :2], 0.5)


def test_display_points_caps_keeps_every_group_and_projects_linearly(world):
    X, X_end, z = world
    pts = plots.display_points(X, X_end, z, max_points=120, random_state=0)
    assert pts.projection == "pca" and pts.axis_labels == ("PC 1", "PC 2")
    assert pts.n_total == 900 and pts.n_shown <= 120 + 30
    assert set(pts.groups.tolist()) == {"0", "1", "2"}
    # The projection is affine, so projecting X_t equals interpolating the projected endpoints.
    mean = X.mean(axis=0)
    _, _, vt = np.linalg.svd(X - mean, full_matrices=False)
    Xt = mccann(X, X_end, 0.4)[pts.rows]
    assert_allclose((Xt - mean) @ vt[:2].T, mccann(pts.start, pts.end, 0.4), atol=1e-10)
    assert 0 < pts.explained[0] <= 1 and pts.explained[1] <= pts.explained[0]
    same = plots.display_points(X, X_end, z, max_points=120, random_state=0)
    assert_allclose(same.rows, pts.rows)


def test_display_points_two_features(world):
    X, X_end, z = world
    pts = plots.display_points(X, X_end, z, features=(2, 0), columns=list("abcd"), max_points=5000)
    assert pts.axis_labels == ("c", "a") and pts.n_shown == 900
    assert_allclose(pts.start, X[:, [2, 0]])
    assert_allclose(pts.end, X_end[:, [2, 0]])
    with pytest.raises(ValueError, match="two different"):
        plots.display_points(X, X_end, z, features=(1, 1))


def test_transport_figure_frames_follow_the_mccann_path(world):
    X, X_end, z = world
    pts = plots.display_points(X, X_end, z, features=(0, 1), max_points=300, random_state=1)
    ts = (0.0, 0.5, 1.0)
    fig = plots.transport_figure(pts, t=0.3, ts=ts)
    assert [tr.name for tr in fig.data] == ["points", "group 0", "group 1", "group 2"]
    points = fig.data[0]
    assert list(points.text) == pts.groups.tolist()
    # Each group's points get one colour: the colour index is the group's position.
    assert_allclose(np.asarray(points.marker.color), [int(g) for g in pts.groups])
    x, y = _xy(points)
    assert_allclose(np.c_[x, y], mccann(pts.start, pts.end, 0.3), atol=1e-5)  # float32 display
    assert [f.name for f in fig.frames] == ["0.00", "0.50", "1.00"]
    assert all(f.traces == (0,) for f in fig.frames)
    x0, y0 = _xy(fig.frames[0].data[0])
    x1, y1 = _xy(fig.frames[2].data[0])
    assert_allclose(np.c_[x0, y0], pts.start, atol=1e-5)
    assert_allclose(np.c_[x1, y1], pts.end, atol=1e-5)
    assert fig.layout.sliders[0].active == 1  # the frame nearest to t = 0.3 is 0.5
    assert f"{pts.n_shown} of 900 rows shown" in fig.layout.title.text
    with_arrows = plots.transport_figure(pts, t=0.3, ts=ts, arrows=True)
    assert with_arrows.data[0].name == "path to barycenter"
    assert len(with_arrows.data[0].x) == 3 * pts.n_shown
    assert all(f.traces == (1,) for f in with_arrows.frames)
    with pytest.raises(ValueError, match="t must be in"):
        plots.transport_figure(pts, t=1.5)
    with pytest.raises(ValueError, match="at least one"):
        plots.transport_figure(pts, t=0.5, ts=[])


def test_binned_kde_matches_the_direct_gaussian_kernel_sum():
    from unlearn_core.plots.transport import _kde

    rng = np.random.default_rng(3)
    for values in (rng.normal(size=1200), np.r_[rng.normal(-2, 0.3, 400), rng.exponential(1.0, 600)]):
        grid = np.linspace(values.min() - 0.5, values.max() + 0.5, 120)
        binned = _kde(values, grid)
        bw = max(1.06 * values.std() * values.size ** (-0.2), 0.01 * (grid[-1] - grid[0]))
        direct = (np.exp(-0.5 * ((grid[None] - values[:, None]) / bw) ** 2).sum(0)
                  / (values.size * bw * np.sqrt(2 * np.pi)))
        assert np.max(np.abs(binned - direct)) < 0.01 * direct.max()
        assert np.trapezoid(binned, grid) == pytest.approx(1.0, abs=0.01)


def test_transport_vega_spec_draws_the_mccann_path_in_the_browser(world):
    X, X_end, z = world
    pts = plots.display_points(X, X_end, z, max_points=300, random_state=1)
    data, spec = plots.transport_vega_spec(pts, t=0.3, title="Demo")
    assert len(data) == pts.n_shown and set(data["group"]) == {"group 0", "group 1", "group 2"}
    assert_allclose(data[["x0", "y0"]].to_numpy(), pts.start)
    assert_allclose(data[["x1", "y1"]].to_numpy(), pts.end)
    (param,) = spec["params"]
    assert param["name"] == "preview" and param["value"] == 0.3 and param["bind"]["input"] == "range"
    # The browser evaluates the calculate transforms; evaluate them here the same way for s = 0.7.
    env = {"preview": 0.7}
    cols = {}
    for tr in spec["transform"]:
        expr = tr["calculate"].replace("datum.", "")
        cols[tr["as"]] = eval(expr, {}, {**env, **{c: data[c].to_numpy() for c in ("x0", "y0", "x1", "y1")}})
    assert_allclose(np.c_[cols["x"], cols["y"]], mccann(pts.start, pts.end, 0.7), rtol=1e-12)
    assert spec["encoding"]["x"]["field"] == "x" and spec["encoding"]["y"]["field"] == "y"
    # Every frame of the path fits inside the fixed axes, so the view does not jump while scrubbing.
    for j, ax in enumerate("xy"):
        lo, hi = spec["encoding"][ax]["scale"]["domain"]
        both = np.r_[pts.start[:, j], pts.end[:, j]]
        assert lo < both.min() and hi > both.max()
    assert f"{pts.n_shown} of 900 rows shown" in spec["title"]["subtitle"]
    with pytest.raises(ValueError, match="t must be in"):
        plots.transport_vega_spec(pts, t=-0.1)


def test_marginal_densities_integrate_to_one_and_move(world):
    X, X_end, z = world
    Xt = mccann(X, X_end, 1.0)
    fig = plots.marginal_densities_figure(X, Xt, z, feature=0, t=1.0, feature_name="x1")
    assert len(fig.data) == 6  # 3 groups x (before, after)
    for tr in fig.data:
        x, y = _xy(tr)
        assert np.all(y >= 0)
        assert_allclose(np.trapezoid(y, x), 1.0, atol=0.03)
    # Before: group means differ by 2 on x1; after the translation maps all groups sit at +1.
    def mean(tr):
        x, y = _xy(tr)
        return np.trapezoid(x * y, x)
    before = [mean(tr) for tr in fig.data[:3]]
    after = [mean(tr) for tr in fig.data[3:]]
    for g in range(3):
        assert_allclose(before[g], X[z == g, 0].mean(), atol=0.05)
        assert_allclose(after[g], Xt[z == g, 0].mean(), atol=0.05)
    assert np.ptp(before) > 3.5 and np.ptp(after) < 0.3
    with pytest.raises(ValueError, match="feature must be"):
        plots.marginal_densities_figure(X, Xt, z, feature=9, t=1.0)


def test_displacement_figure_box_statistics(world):
    X, X_end, z = world
    d = displacements(X, X_end, 0.5)
    fig = plots.displacement_figure(d, z, t=0.5)
    assert [tr.name for tr in fig.data] == ["group 0", "group 1", "group 2"]
    for g, tr in enumerate(fig.data):
        v = d[z == g]
        assert tr.lowerfence[0] <= tr.q1[0] <= tr.median[0] <= tr.q3[0] <= tr.upperfence[0]
        assert_allclose(tr.median[0], np.median(v), rtol=1e-12)
        assert_allclose(tr.mean[0], v.mean(), rtol=1e-12)
        assert f"{np.mean(v**2):.3g}" in fig.layout.annotations[g].text
    with pytest.raises(ValueError, match="same length"):
        plots.displacement_figure(d[:-1], z, t=0.5)


def test_frontier_figure_marks_the_nearest_row_and_carries_t(frontier):
    fig = plots.frontier_figure(frontier, current=0.33)
    sweep, cur = fig.data
    assert_allclose(np.asarray(sweep.customdata)[:, 0], frontier.table["t"])
    assert_allclose(sweep.x, frontier.table["probe_auc"])
    assert cur.name == "current"
    assert_allclose([cur.x[0], cur.y[0]], [1.0 - 0.5 * 0.3, 0.9 - 0.1 * 0.09])  # row t = 0.3
    moved = plots.frontier_figure(frontier, current=0.9).data[1]
    assert moved.x[0] != cur.x[0]
    assert len(plots.frontier_figure(frontier).data) == 1


def test_distortion_leakage_figure_theory_curve(frontier):
    V = 2.0
    L, D = plots.theoretical_curve(V)
    assert_allclose(np.sqrt(D) + np.sqrt(L), np.sqrt(V), rtol=1e-12)
    fig = plots.distortion_leakage_figure(frontier, V=V, t=0.4)
    measured, theory, cur = fig.data
    assert_allclose(np.sqrt(np.asarray(theory.y)) + np.sqrt(np.asarray(theory.x)), np.sqrt(V), rtol=1e-12)
    assert_allclose([cur.x[0], cur.y[0]], [0.36 * V, 0.16 * V], rtol=1e-12)
    assert_allclose(measured.y, frontier.table["distortion"])
    with pytest.raises(ValueError, match="must be finite"):
        plots.theoretical_curve(-1.0)
    trained = Frontier.build(pd.DataFrame(dict(lam=[0.0, 1.0], auc=[0.9, 0.8], probe_auc=[0.9, 0.6])),
                             kind="trained", param="lam", utility="auc", leakage="probe_auc")
    with pytest.raises(ValueError, match="analytic"):
        plots.distortion_leakage_figure(trained, V=1.0)
    assert plots.frontier_figure(trained, current=1.0).data[1].customdata[0][0] == 1.0


def test_group_colors_are_stable():
    a = plots.group_colors(["a", "b", "c"])
    assert a == plots.group_colors(["a", "b", "c"]) and len(set(a.values())) == 3


# -- Vega-Lite views of the barycenter page (fixed spec, data moves with t) ------------------------------

from unlearn_core.plots import vega  # noqa: E402


def _spec_json(spec) -> str:
    import json

    return json.dumps(spec, sort_keys=True)


def test_vega_transport_at_is_the_mccann_point_and_its_spec_ignores_t(world):
    X, X_end, z = world
    pts = plots.display_points(X, X_end, z, max_points=300, random_state=1)
    d3, s3 = vega.transport_at(pts, t=0.3)
    d8, s8 = vega.transport_at(pts, t=0.8)
    assert_allclose(d3[["x", "y"]].to_numpy(), mccann(pts.start, pts.end, 0.3))
    assert_allclose(d8[["x", "y"]].to_numpy(), mccann(pts.start, pts.end, 0.8))
    assert _spec_json(s3) == _spec_json(s8)  # only the data changes: Streamlit updates it in place
    assert set(d3["group"]) == {"group 0", "group 1", "group 2"} and (d3["row"] == pts.rows).all()
    with pytest.raises(ValueError, match="t must be in"):
        vega.transport_at(pts, t=1.2)
    # Arrows: a segment from each original point to its barycenter image, under the points.
    da, sa = vega.transport_at(pts, t=0.3, arrows=True)
    assert_allclose(da[["x0", "y0", "x1", "y1"]].to_numpy(), np.c_[pts.start, pts.end])
    assert [layer["mark"]["type"] for layer in sa["layer"]] == ["rule", "circle"]
    assert _spec_json(sa) == _spec_json(vega.transport_at(pts, t=0.9, arrows=True)[1])
    # the point views ask Streamlit for a canvas (one element, not one SVG node per point)
    assert s3["usermeta"]["embedOptions"] == {"renderer": "canvas"} == sa["usermeta"]["embedOptions"]


def test_vega_frontier_at_marks_the_nearest_row_and_selects_by_param(frontier):
    d, s = vega.frontier_at(frontier, current=0.52)
    assert d["current"].sum() == 1 and d.loc[d["current"], "param"].item() == pytest.approx(0.5)
    assert_allclose(d["leakage"], frontier.table["probe_auc"])
    assert_allclose(d["utility"], frontier.table["auc"])
    assert (d["pareto"] == frontier.table["pareto"]).all()
    (sweep,) = [layer for layer in s["layer"] if layer.get("name") == "sweep"]
    assert sweep["params"] == [
        {"name": vega.PICK, "select": {"type": "point", "fields": ["param"], "on": "click"}}
    ]
    d2, s2 = vega.frontier_at(frontier, current=0.9)
    assert d2.loc[d2["current"], "param"].item() == pytest.approx(0.9)
    assert _spec_json(s) == _spec_json(s2)


def test_vega_distortion_leakage_current_point_is_on_the_theory_curve(frontier):
    V = 2.0
    d, s = vega.distortion_leakage_at(frontier, V=V, t=0.35)
    theory = d[d["kind"] == "theory"]
    assert_allclose(np.sqrt(theory["D"]) + np.sqrt(theory["L"]), np.sqrt(V), rtol=1e-12)
    (cur,) = d[d["kind"] == "current"].itertuples()
    assert (cur.L, cur.D, cur.param) == pytest.approx(((1 - 0.35) ** 2 * V, 0.35**2 * V, 0.35))
    measured = d[d["kind"] == "measured"]
    assert_allclose(measured["D"], frontier.table["distortion"])
    assert _spec_json(s) == _spec_json(vega.distortion_leakage_at(frontier, V=V, t=0.9)[1])
    bare = Frontier.build(frontier.table.drop(columns=["w2_leakage"]), kind="analytic", param="t",
                          utility="auc", leakage="probe_auc")
    with pytest.raises(ValueError, match="w2_leakage"):
        vega.distortion_leakage_at(bare, V=V, t=0.5)


def test_vega_densities_integrate_to_one_and_match_the_plotly_curves(world):
    X, X_end, z = world
    Xt = mccann(X, X_end, 0.6)
    d, s = vega.densities_at(X[:, 0], Xt[:, 0], z, feature_name="x1")
    assert set(d["when"]) == {"before", "at t"} and d.groupby(["when", "group"]).ngroups == 6
    for _, c in d.groupby(["when", "group"]):
        assert np.trapezoid(c["density"], c["x"]) == pytest.approx(1.0, abs=0.02)
    fig = plots.marginal_densities_figure(X, Xt, z, feature=0, t=0.6)
    assert_allclose(np.asarray(fig.data[0].y, float),
                    d[(d["when"] == "before") & (d["group"] == "group 0")]["density"], rtol=1e-5, atol=1e-9)
    assert _spec_json(s) == _spec_json(vega.densities_at(X[:, 0], X[:, 0], z, feature_name="x1")[1])
    # passing the groups gives the same curves; a label with no rows is an error
    d2, _ = vega.densities_at(X[:, 0], Xt[:, 0], z, feature_name="x1", groups=sorted(set(map(str, z))))
    assert_allclose(d2["density"], d["density"])
    assert list(d2["group"]) == list(d["group"]) and list(d2["when"]) == list(d["when"])
    with pytest.raises(ValueError, match="no rows"):
        vega.densities_at(X[:, 0], Xt[:, 0], z, feature_name="x1", groups=["0", "1", "2", "9"])


def test_density_curves_subsample_the_same_rows_before_and_at_t():
    from unlearn_core.plots.transport import density_curves

    rng = np.random.default_rng(5)
    a = rng.normal(size=5000)
    z = np.where(rng.random(5000) < 0.5, "u", "v")
    # at t = 0 the two samples are the same values, so with shared rows the curves are identical
    grid, curves = density_curves(a, a.copy(), z, max_rows_per_group=300, random_state=2)
    for g in ("u", "v"):
        assert_allclose(curves["before", g], curves["at t", g])
    # and the subsample is seeded: same curves for the same seed, different for another
    assert_allclose(density_curves(a, a, z, max_rows_per_group=300, random_state=2)[1]["before", "u"],
                    curves["before", "u"])
    assert not np.allclose(density_curves(a, a, z, max_rows_per_group=300, random_state=3)[1]["before", "u"],
                           curves["before", "u"])


def test_vega_who_pays_box_statistics_and_their_scaling_in_t(world):
    from unlearn_core.plots.transport import displacement_stats, scale_displacement_stats

    X, X_end, z = world
    disp = displacements(X, X_end, 0.5)
    d, s = vega.who_pays_at(displacement_stats(disp, z))
    for row in d.itertuples():
        v = disp[z.astype(str) == row.group.removeprefix("group ")]
        assert (row.q1, row.median, row.q3) == pytest.approx(tuple(np.percentile(v, [25, 50, 75])))
        assert row.cost == pytest.approx(np.mean(v**2)) and row.lo <= row.q1 <= row.q3 <= row.hi
    # ||x - x_t|| = t ||x - T(x)||: the stats at t are those at t = 1 scaled (the page's shortcut), exactly.
    full = displacement_stats(displacements(X, X_end, 1.0), z)
    for direct, scaled in zip(displacement_stats(disp, z), scale_displacement_stats(full, 0.5), strict=True):
        assert direct.keys() == scaled.keys()
        for k in direct:
            assert direct[k] == (pytest.approx(scaled[k], rel=1e-12) if k != "group" else scaled[k])
    with pytest.raises(ValueError, match="factor"):
        scale_displacement_stats(full, -1.0)
    assert _spec_json(s) == _spec_json(vega.who_pays_at(scale_displacement_stats(full, 0.9))[1])


def test_one_feature_data_gets_a_1d_view_with_one_lane_per_group():
    """Regression (issue 15): a one-feature upload raised IndexError in vega.transport_at (``P[:, 1]``)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 1))
    z = np.repeat(["a", "b", "c"], 100)
    X_end = X + 1.0
    pts = plots.display_points(X, X_end, z, columns=["score"], max_points=120, random_state=0)
    assert pts.projection == "1-d" and pts.start.shape == (pts.n_shown, 2) and pts.n_shown <= 120
    assert_allclose(pts.start[:, 0], X[pts.rows, 0])
    assert_allclose(pts.end[:, 0], X_end[pts.rows, 0])
    assert_allclose(pts.start[:, 1], pts.end[:, 1])  # a row keeps its lane along the path
    lane = np.round(pts.start[:, 1]).astype(int)  # lanes 0, 1, 2 with jitter < 0.5
    assert_allclose(lane, np.searchsorted(["a", "b", "c"], pts.groups))
    assert pts.axis_labels[0] == "score"
    data, spec = vega.transport_at(pts, t=0.5, arrows=True)
    assert_allclose(data["x"], X[pts.rows, 0] + 0.5)
    assert_allclose(data["y"], pts.start[:, 1])
    plots.transport_figure(pts, t=0.5)  # the animated (plotly) view draws too
