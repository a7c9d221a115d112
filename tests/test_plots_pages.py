"""Figure builders of the trained-frontier, data-unlearning, leakage-lab and audit pages.

Built from small synthetic result objects (no training), so every test runs in milliseconds; the
figures' data are checked against the inputs, not just their presence.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose

from unlearn_core.frontier import Frontier
from unlearn_core.leakage import LeakageEstimate
from unlearn_core.plots import audit as aplots
from unlearn_core.plots import forgetting as fplots
from unlearn_core.plots import leakage as lplots
from unlearn_core.plots import training as tplots


def _trace(fig: go.Figure, name: str):
    hits = [t for t in fig.data if t.name == name]
    assert hits, f"no trace named {name!r}; traces are {[t.name for t in fig.data]}"
    return hits[0]


@pytest.fixture()
def trained() -> Frontier:
    table = pd.DataFrame({
        "lam": [0.0, 10.0, 100.0], "auc": [0.90, 0.85, 0.75], "probe_auc": [0.80, 0.65, 0.52],
        "dp_gap": [0.3, 0.1, 0.01],
    })
    return Frontier.build(table, kind="trained", param="lam", utility="auc", leakage="probe_auc")


@pytest.fixture()
def analytic() -> Frontier:
    t = np.linspace(0, 1, 5)
    table = pd.DataFrame({"t": t, "auc": 0.9 - 0.1 * t, "probe_auc": 0.8 - 0.3 * t})
    return Frontier.build(table, kind="analytic", param="t", utility="auc", leakage="probe_auc")


# -- training ----------------------------------------------------------------------------------------
def test_trained_frontier_figure_carries_both_frontiers_and_marks(trained, analytic):
    fig = tplots.trained_frontier_figure(trained, analytic, current=12.0)
    sweep = fig.data[0]
    assert sweep.name == "trained (λ sweep)"
    assert_allclose(np.asarray(sweep.x, float), [0.80, 0.65, 0.52])
    assert_allclose(np.asarray(sweep.y, float), [0.90, 0.85, 0.75])
    assert_allclose(np.asarray(sweep.customdata, float)[:, 0], [0.0, 10.0, 100.0])  # click -> λ
    curve = _trace(fig, "analytic (barycenter path, t sweep)")
    assert_allclose(np.asarray(curve.x, float), 0.8 - 0.3 * np.linspace(0, 1, 5))
    end = _trace(fig, "barycenter (t = 1)")
    assert_allclose([end.x[0], end.y[0]], [0.5, 0.8])
    zero = _trace(fig, "λ = 0 (plain training)")
    assert_allclose([zero.x[0], zero.y[0]], [0.80, 0.90])
    cur = _trace(fig, "current")  # nearest λ to 12 is 10
    assert_allclose([cur.x[0], cur.y[0], cur.customdata[0][0]], [0.65, 0.85, 10.0])


def test_trained_frontier_figure_uses_output_leakage_of_the_analytic_curve(trained, analytic):
    # With an out_probe_auc column (attacker on the downstream model's outputs) the analytic curve is drawn
    # on that axis, the one the trained points are measured on, not on the X_t attacker's probe_auc.
    tab = analytic.table.copy()
    tab["out_probe_auc"] = 0.7 - 0.2 * tab["t"]
    a2 = Frontier.build(tab.drop(columns="pareto"), kind="analytic", param="t", utility="auc",
                        leakage="probe_auc")
    fig = tplots.trained_frontier_figure(trained, a2)
    assert_allclose(np.asarray(_trace(fig, "analytic (barycenter path, t sweep)").x, float),
                    tab["out_probe_auc"])
    assert_allclose(_trace(fig, "barycenter (t = 1)").x[0], 0.5)


def test_trained_frontier_figure_without_analytic_or_zero(trained):
    t2 = Frontier.build(trained.table.iloc[1:].copy(), kind="trained", param="lam", utility="auc",
                        leakage="probe_auc")
    names = [t.name for t in tplots.trained_frontier_figure(t2).data]
    assert names == ["trained (λ sweep)"]


def test_trained_frontier_figure_rejects_t_sweep(analytic):
    with pytest.raises(ValueError, match="λ sweep"):
        tplots.trained_frontier_figure(analytic)


def test_trained_frontier_vega_carries_the_same_points_as_the_plotly_figure(trained, analytic):
    """The Trained page's chart (Vega-Lite) shows what trained_frontier_figure shows, row for row."""
    from unlearn_core.plots import vega

    tab = analytic.table.copy()
    tab["out_probe_auc"] = 0.7 - 0.2 * tab["t"]  # drawn on the attacker-on-outputs axis, as the plotly one
    a2 = Frontier.build(tab.drop(columns="pareto"), kind="analytic", param="t", utility="auc",
                        leakage="probe_auc")
    data, spec = vega.trained_frontier_at(trained, a2, current=12.0)
    fig = tplots.trained_frontier_figure(trained, a2, current=12.0)
    sweep = data[data.series == vega.TRAINED_SERIES]
    assert_allclose(sweep[["leakage", "utility"]].to_numpy(), np.c_[fig.data[0].x, fig.data[0].y])
    assert_allclose(sweep["param"], [0.0, 10.0, 100.0])  # a click reports the row's param = λ
    curve = data[data.series == vega.ANALYTIC_SERIES]
    assert_allclose(curve["leakage"], _trace(fig, "analytic (barycenter path, t sweep)").x)
    end, zero, cur = data[data.end], data[data.zero], data[data.current]
    assert_allclose(end[["leakage", "utility"]].to_numpy()[0], [_trace(fig, "barycenter (t = 1)").x[0],
                                                                _trace(fig, "barycenter (t = 1)").y[0]])
    assert_allclose(zero[["leakage", "utility"]].to_numpy()[0], [0.80, 0.90])
    assert_allclose(cur[["param", "leakage"]].to_numpy()[0], [10.0, 0.65])  # nearest λ to 12
    sweep_layer = next(layer for layer in spec["layer"] if layer.get("name") == "sweep")
    assert sweep_layer["params"][0]["name"] == vega.PICK
    assert "lower leaks less" in sweep_layer["encoding"]["x"]["title"]
    only_trained, _ = vega.trained_frontier_at(trained)
    assert set(only_trained.series) == {vega.TRAINED_SERIES} and not only_trained["end"].any()
    with pytest.raises(ValueError, match="λ sweep"):
        vega.trained_frontier_at(analytic)


def test_training_curves_figure_puts_reg_on_second_axis():
    h = pd.DataFrame({"epoch": [1, 2, 3], "task_loss": [0.7, 0.6, 0.5], "reg": [0.03, 0.02, 0.01],
                      "total": [1.0, 0.8, 0.6]})
    fig = tplots.training_curves_figure(h, lam=10.0)
    loss, total, reg = fig.data
    assert_allclose(np.asarray(loss.y, float), [0.7, 0.6, 0.5])
    assert_allclose(np.asarray(reg.y, float), [0.03, 0.02, 0.01])
    assert reg.yaxis == "y2" and loss.yaxis == "y"
    assert "λ = 10" in fig.layout.title.text
    # λ = 0: the total equals the task loss, so it is not drawn
    assert len(tplots.training_curves_figure(h, lam=0.0).data) == 2
    with pytest.raises(ValueError, match="reg"):
        tplots.training_curves_figure(h.drop(columns="reg"))


def test_group_outputs_figure_splits_by_group():
    rng = np.random.default_rng(0)
    P1 = rng.uniform(size=50)
    S = np.c_[1 - P1, P1]
    z = np.array(["a"] * 20 + ["b"] * 30)
    fig = tplots.group_outputs_figure(S, z)
    assert [t.name for t in fig.data] == ["Z = a (n = 20)", "Z = b (n = 30)"]
    assert_allclose(np.asarray(fig.data[0].x, float), P1[:20])  # last column: P(positive class)
    assert_allclose(np.asarray(fig.data[1].x, float), P1[20:])
    fig1 = tplots.group_outputs_figure(P1, z, column=None)  # 1-D: regression predictions
    assert_allclose(np.asarray(fig1.data[1].x, float), P1[20:])
    with pytest.raises(ValueError, match="rows"):
        tplots.group_outputs_figure(S, z[:10])


# -- forgetting ----------------------------------------------------------------------------------------
def _report(method: str, ua: list[float], per_class_test: list[float]):
    hist = pd.DataFrame({"epoch": range(len(ua)), "ua": ua, "ta": [0.9] * len(ua), "mi": [0.01] * len(ua),
                         "mia_loss_auc": [0.5] * len(ua)})
    pc = pd.DataFrame({"class": ["0", "1", "2"], "test": per_class_test, "n_test": [5, 5, 5],
                       "retain": [1.0, 1.0, 1.0], "n_retain": [9, 9, 9], "forget": [np.nan, 0.5, np.nan],
                       "n_forget": [0, 4, 0]})
    return SimpleNamespace(method=method, history=hist, per_class=pc, ua=ua[-1], ta=0.9, mi=0.01,
                           mia_loss_auc=0.5)


def test_epoch_curves_figure_draws_runs_and_reference():
    mi = _report("mi", [1.0, 0.8, 0.7], [1, 0.6, 1])
    ref = _report("retrain", [0.6], [1, 0.7, 1])
    fig = fplots.epoch_curves_figure([mi], reference=ref, metrics=("ua", "ta"))
    ua = _trace(fig, "mi · ua")
    assert_allclose(np.asarray(ua.y, float), [1.0, 0.8, 0.7])
    line = _trace(fig, "retrain · ua")
    assert_allclose(np.asarray(line.y, float), [0.6, 0.6])  # the target the run should reach
    # legend entries carry the human method name (issue 15), never the code name "mi"
    assert {t.name for t in fig.data} >= {"MI unlearning (the paper)", "retrained (target)"}
    assert "mi" not in {t.name for t in fig.data if t.showlegend is not False}
    with pytest.raises(ValueError, match="metrics"):
        fplots.epoch_curves_figure([mi], metrics=("nope",))


def test_per_class_figure_marks_forgotten_class_and_split():
    a, b = _report("original", [1.0], [1, 1, 1]), _report("mi", [0.7], [1, 0.6, 1])
    fig = fplots.per_class_figure([a, b], split="test", forgotten=["1"])
    assert [t.name for t in fig.data] == ["original model (trained on all rows)", "MI unlearning (the paper)"]
    assert list(fig.data[1].x) == ["0", "1 ★", "2"]
    assert_allclose(np.asarray(fig.data[1].y, float), [1, 0.6, 1])
    forget = fplots.per_class_figure([b], split="forget")
    assert_allclose(np.asarray(forget.data[0].y, float), [np.nan, 0.5, np.nan])
    with pytest.raises(ValueError, match="split"):
        fplots.per_class_figure([a], split="train")


def test_forgotten_samples_figure_grid_and_changed_titles():
    imgs = np.arange(3 * 4, dtype=float).reshape(3, 4)
    fig = fplots.forgotten_samples_figure(imgs, shape=(2, 2), true=["3", "3", "3"], before=["3", "3", "3"],
                                          after=["3", "5", "3"], ncols=2)
    heat = [t for t in fig.data if isinstance(t, go.Heatmap)]
    assert len(heat) == 3
    assert_allclose(np.asarray(heat[1].z, float), imgs[1].reshape(2, 2)[::-1])  # image rows top-down
    titles = [a.text for a in fig.layout.annotations][:3]
    assert "3→5" in titles[1] and "#D62728" in titles[1]  # changed prediction in red
    assert "3→3" in titles[0] and "#D62728" not in titles[0]
    with pytest.raises(ValueError, match="shape"):
        fplots.forgotten_samples_figure(imgs, shape=(3, 3), true=["3"] * 3, before=["3"] * 3, after=["3"] * 3)


# -- leakage ------------------------------------------------------------------------------------------
def _est(method, value, ci=None, is_mi=True, seconds=0.01):
    return LeakageEstimate(value=value, method=method, n=100, seconds=seconds, ci=ci, is_mi=is_mi)


def test_estimates_and_timings_vega_carry_every_estimate():
    """The Leakage lab's charts (Vega-Lite): values, intervals (none -> a zero-width one), panels, truth."""
    ests = [_est("knn", 0.28, (0.25, 0.33)), _est("probe", 0.31), _est("w2", 0.8, (0.7, 0.9), is_mi=False)]
    data, spec = lplots.estimates_at(ests, truth=0.3, titles={"knn": "k-NN"})
    assert list(data["estimator"]) == ["k-NN", "probe", "w2"]
    assert_allclose(data[["value", "lo", "hi"]].to_numpy(), [[0.28, 0.25, 0.33], [0.31, 0.31, 0.31],
                                                             [0.8, 0.7, 0.9]])
    assert list(data["panel"]) == [lplots.MI_PANEL, lplots.MI_PANEL, lplots.OTHER_PANEL]
    assert_allclose(data["truth"], 0.3)
    mi_panel, other_panel = spec["vconcat"]
    assert [layer.get("name") for layer in mi_panel["layer"]][-1] == "truth"
    assert "truth" not in [layer.get("name") for layer in other_panel["layer"]]  # no MI truth on other units
    assert mi_panel["layer"][1]["encoding"]["x"]["scale"]["domain"][1] >= 0.33  # room for every whisker
    no_truth, spec2 = lplots.estimates_at(ests[:2])
    assert np.isnan(no_truth["truth"]).all() and len(spec2["vconcat"]) == 1
    times, tspec = lplots.timings_at([_est("knn", 0.2, seconds=0.5), _est("probe", 0.3, seconds=0.002)])
    assert_allclose(times["seconds"], [0.5, 0.002]) and list(times["label"]) == ["0.5 s", "0.002 s"]
    assert tspec["layer"][0]["encoding"]["x"]["scale"]["type"] == "log"
    with pytest.raises(ValueError, match="no estimates"):
        lplots.estimates_at([])


def test_estimates_figure_whiskers_and_truth():
    ests = [_est("knn", 0.28, (0.25, 0.33)), _est("probe", 0.31), _est("w2", 0.8, (0.7, 0.9), is_mi=False)]
    fig = lplots.estimates_figure(ests, truth=0.3)
    mi, other = fig.data[0], _trace(fig, "other measures")
    assert_allclose(np.asarray(mi.x, float), [0.28, 0.31])
    assert_allclose(np.asarray(mi.error_x.array, float), [0.05, 0.0])  # no CI -> no whisker
    assert_allclose(np.asarray(mi.error_x.arrayminus, float), [0.03, 0.0])
    assert list(other.y) == ["w2"] and other.xaxis == "x2"
    truth = _trace(fig, "truth")
    assert_allclose(np.asarray(truth.x, float), [0.3, 0.3])
    assert truth.xaxis == "x"  # the truth is drawn on the MI panel only
    assert len(lplots.estimates_figure(ests[:1]).data) == 1  # no truth, no truth trace
    with pytest.raises(ValueError, match="at least one"):
        lplots.estimates_figure([])


def test_timings_figure_bars():
    fig = lplots.timings_figure([_est("knn", 0.1, seconds=0.02), _est("dv", 0.1, seconds=5.0)],
                                titles={"dv": "DV"})
    assert list(fig.data[0].y) == ["knn", "DV"]
    assert_allclose(np.asarray(fig.data[0].x, float), [0.02, 5.0])
    assert fig.layout.xaxis.type == "log"
    # a few round ticks inside the bars' range (not plotly's crowded minor labels on a narrow chart)
    ticks = list(fig.layout.xaxis.tickvals)
    assert 2 <= len(ticks) <= 4 and 0.02 / 1.5 <= min(ticks) and max(ticks) <= 5.0 * 1.5
    assert all(np.isclose(np.log10(v), round(np.log10(v))) for v in ticks)  # 2 decades: powers of ten


# -- audit ---------------------------------------------------------------------------------------------
def test_attack_bound_figure_bars():
    fig = aplots.attack_bound_figure(accuracy=0.62, baseline=0.55, bound=0.7)
    assert list(fig.data[0].y) == ["majority baseline", "attacker (held out)", "Pinsker bound from Î"]
    assert_allclose(np.asarray(fig.data[0].x, float), [0.55, 0.62, 0.7])
    assert len(aplots.attack_bound_figure(accuracy=0.6, baseline=0.5).data[0].x) == 2
    with pytest.raises(ValueError, match="accuracy"):
        aplots.attack_bound_figure(accuracy=1.2, baseline=0.5)


def test_figure_html_is_standalone_offline():
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    offline = aplots.figure_html(fig, title="a <b> figure")
    online = aplots.figure_html(fig, offline=False)
    assert "<html>" in offline[:40] and "<title>a &lt;b&gt; figure</title>" in offline
    cdn_tag = 'src="https://cdn.plot.ly'
    assert cdn_tag not in offline and len(offline) > 1_000_000  # plotly.js inlined: opens offline
    assert cdn_tag in online and len(online) < 100_000
    with pytest.raises(ValueError, match="plotly Figure"):
        aplots.figure_html({"data": []})
