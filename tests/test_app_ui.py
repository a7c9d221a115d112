"""The frame's pure helpers: t grid, λ, URL round trip, reading frontier clicks."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ui.selection import param_from_selection, param_from_vega_selection
from ui.state import T_GRID, AppState, _parse_url, lam_of, snap_t, url_params


@given(st.floats(min_value=-1.0, max_value=2.0, allow_nan=False))
@settings(max_examples=60, deadline=None)
def test_snap_t_lands_on_the_grid_and_is_idempotent(t):
    s = snap_t(t)
    assert s in T_GRID
    assert snap_t(s) == s
    assert abs(s - min(max(t, 0.0), 1.0)) <= 0.025 + 1e-12


def test_lambda_and_t_are_inverse():
    for t in T_GRID[:-1]:
        lam = lam_of(t)
        assert lam / (1 + lam) == pytest.approx(t, abs=1e-12)
    assert math.isinf(lam_of(1.0))


def test_url_round_trip_restores_the_view():
    s = AppState(dataset="toy-nonlinear", sensitive="group", seed=11, method="ot-exact", estimator="knn",
                 lesson=True, page="barycenter")
    s.set_t(0.35)
    params = url_params(s)
    assert params["t"] == "0.35" and params["lesson"] == "1" and params["page"] == "barycenter"
    back = AppState()
    _parse_url(params, back)
    for f in ("dataset", "sensitive", "seed", "method", "estimator", "t", "lesson", "page"):
        assert getattr(back, f) == getattr(s, f), f
    assert back.notices == []
    full = AppState()
    full.set_t(1.0)
    assert url_params(full)["lam"] == "inf"
    again = AppState()
    _parse_url(url_params(full), again)
    assert again.t == 1.0


def test_bad_url_values_leave_defaults_and_say_so():
    s = AppState()
    _parse_url({"dataset": "nope", "seed": "-x", "t": "abc"}, s)
    assert s.dataset == "toy-gaussians" and s.seed == 0 and s.t == 0.5
    assert len(s.notices) == 3 and "nope" in s.notices[0]


def test_frontier_click_parsing():
    ts = (0.0, 0.5, 1.0)
    assert param_from_selection(None, ts) is None
    assert param_from_selection({"selection": {"points": []}}, ts) is None
    assert param_from_selection({"selection": {"points": [{"customdata": [0.25]}]}}, ts) == 0.25
    assert param_from_selection({"selection": {"points": [{"customdata": 0.75}]}}, ts) == 0.75
    # Without customdata, point i of curve 0 is row i of the table.
    assert param_from_selection({"selection": {"points": [{"curve_number": 0, "point_index": 2}]}}, ts) == 1.0
    assert param_from_selection({"selection": {"points": [{"curve_number": 1, "point_index": 2}]}},
                                ts) is None
    assert param_from_selection({"selection": {"points": [{"curve_number": 0, "point_index": 9}]}},
                                ts) is None
    # Vega-Lite point selections report the selected data's fields per selection parameter.
    assert param_from_vega_selection(None, "pick") is None
    assert param_from_vega_selection({"selection": {"pick": []}}, "pick") is None
    assert param_from_vega_selection({"selection": {"pick": [{"param": 0.35, "_vgsid_": 8}]}}, "pick") == 0.35
    assert param_from_vega_selection({"selection": {"pick": [{"param": [0.4]}]}}, "pick") == 0.4
    assert param_from_vega_selection({"selection": {"other": [{"param": 0.4}]}}, "pick") is None
    assert param_from_vega_selection({"selection": {"pick": [{"param": float("nan")}]}}, "pick") is None


def test_transformed_csv_download_holds_the_barycenter_data():
    """The CSV behind the "Transformed data" button: at t = 1 every group has the same mean and
    covariance (Gaussian barycenter), at t = 0 it is the original data; y and Z columns ride along."""
    import io

    import numpy as np
    import pandas as pd

    from ui.cache import DataKey, transformed_csv
    from unlearn_core import datasets

    key = DataKey("toy-gaussians", seed=0)
    full = pd.read_csv(io.BytesIO(transformed_csv(key, "gaussian", 0, 1.0)))
    assert full.columns.tolist() == ["x1", "x2", "y", "group"] and len(full) == 1000
    # the maps are the view's, fitted on its training split: there the groups' moments are equal exactly
    ds = datasets.load("toy-gaussians", random_state=0)
    train = full.iloc[datasets.split_indices(ds, test_size=0.3, random_state=0)[0]]
    means = train.groupby("group")[["x1", "x2"]].mean().to_numpy()
    np.testing.assert_allclose(means[0], means[1], atol=1e-8)
    covs = [g[["x1", "x2"]].cov(ddof=0).to_numpy() for _, g in train.groupby("group")]
    np.testing.assert_allclose(covs[0], covs[1], atol=1e-8)
    orig = pd.read_csv(io.BytesIO(transformed_csv(key, "gaussian", 0, 0.0)))
    np.testing.assert_allclose(orig[["x1", "x2"]].to_numpy(), ds.X.to_numpy(), atol=1e-12)
    assert (orig["group"].to_numpy() == ds.z.to_numpy()).all()


# -- the pages' own knobs (ui.state.PAGE_KNOBS) ------------------------------------------------------
PAGE_VIEWS = {  # one non-default view per page: field -> value
    "barycenter": dict(bary_proj="two features", bary_x=3, bary_y=0, bary_arrows=True, bary_cap=2500,
                       bary_feature="x5"),
    "trained": dict(train_penalty="hsic", train_model="logistic", train_lams=(0.0, 0.5, 100.0),
                    train_pick=0.5, train_epochs=12, train_hidden="16,8", train_warm=False,
                    train_overlay=False),
    "forget": dict(forget_kind="cohort", forget_class=">50K", forget_fraction=0.35,
                   forget_column="sex", forget_op="!=", forget_value="Male, or not",
                   forget_cohort_fraction=0.6, forget_n=120, forget_index=42, forget_lam=0.25,
                   forget_epochs=9, forget_baselines=("neggrad", "relabel"), forget_split="forget"),
    "leakage": dict(lab_case="data", lab_world="identity", lab_K=4, lab_d=10, lab_target=0.05, lab_n=500,
                    lab_methods=("knn", "w2"), lab_boot=0),
    "audit": dict(audit_boot=200, audit_figure="Distortion vs W2 leakage", audit_offline=False),
    "images": dict(img_attribute="slant", img_method="gaussian"),
}


def test_page_knobs_have_unique_short_keys_and_real_fields_and_pages(root):
    from dataclasses import fields

    from ui.state import PAGE_KNOBS, URL_FIELDS, field_default

    keys = [k.key for k in PAGE_KNOBS]
    assert len(set(keys)) == len(keys) and all(len(k) <= 9 and k.isidentifier() for k in keys)
    assert len(URL_FIELDS) == 11 + len(keys)  # the frame's nine keys + present, step; none is reused
    names = {f.name for f in fields(AppState)}
    assert {k.field for k in PAGE_KNOBS} <= names
    app = (root / "app.py").read_text(encoding="utf-8")
    assert all(f'url_path="{k.page}"' in app for k in PAGE_KNOBS)
    assert set(PAGE_VIEWS) == {k.page for k in PAGE_KNOBS}
    for page, view in PAGE_VIEWS.items():  # the test views cover every knob, each away from its default
        owned = {k.field for k in PAGE_KNOBS if k.page == page}
        assert set(view) == owned, page
        assert all(view[f] != field_default(f) for f in owned), page


@pytest.mark.parametrize("page", sorted(PAGE_VIEWS))
def test_page_knobs_round_trip_on_their_page_only(page):
    from ui.state import PAGE_KNOBS

    s = AppState(page=page, seed=3, **PAGE_VIEWS[page])
    params = url_params(s)
    mine = {k.key for k in PAGE_KNOBS if k.page == page}
    assert mine <= set(params) and not ({k.key for k in PAGE_KNOBS} - mine) & set(params)
    assert params["page"] == page and params["seed"] == "3"  # the frame's keys are still there
    back = AppState()
    _parse_url(params, back)
    assert back.notices == []
    for f, v in PAGE_VIEWS[page].items():
        assert getattr(back, f) == v and type(getattr(back, f)) is type(v), f
    # On another page the same state writes none of them; at the defaults the page writes none either.
    other = AppState(page="", **PAGE_VIEWS[page])  # Home: no knobs of its own
    assert not {k.key for k in PAGE_KNOBS} & set(url_params(other))
    assert not {k.key for k in PAGE_KNOBS} & set(url_params(AppState(page=page)))


def test_examples_of_page_links():
    s = AppState(page="forget", forget_class="5", forget_fraction=0.5, forget_lam=2.0, forget_epochs=8)
    p = url_params(s)
    assert {k: p[k] for k in ("class", "frac", "flam", "fepochs")} == {
        "class": "5", "frac": "0.5", "flam": "2", "fepochs": "8"}
    lab = url_params(AppState(page="leakage", lab_K=3, lab_methods=("knn", "probe"), lab_boot=0))
    assert (lab["k"], lab["est"], lab["boot"]) == ("3", "knn,probe", "0")


def test_empty_selections_round_trip_as_empty_values():
    s = AppState(page="forget", forget_baselines=(), forget_value="")
    params = url_params(s)
    assert params["baselines"] == "" and params["val"] == ""
    back = AppState()
    _parse_url(params, back)
    assert back.forget_baselines == () and back.forget_value == ""


def test_bad_page_knob_values_keep_defaults_and_say_so():
    s = AppState()
    bad = {"grid": "0,ten", "epochs": "0", "frac": "1.5", "cfrac": "abc", "rows": "-3", "row": "1.5",
           "flam": "-1", "fepochs": "21", "k": "two", "d": "0", "mi": "nan", "n": "x", "boot": "-1",
           "aboot": "many", "class": ""}
    _parse_url(bad, s)
    fresh = AppState()
    for f in ("train_lams", "train_epochs", "forget_fraction", "forget_cohort_fraction", "forget_n",
              "forget_index", "forget_lam", "forget_epochs", "lab_K", "lab_d", "lab_target", "lab_n",
              "lab_boot", "audit_boot", "forget_class"):
        assert getattr(s, f) == getattr(fresh, f), f
    assert len(s.notices) == len(bad)
    assert any("'0,ten'" in m and "λ grid" in m for m in s.notices)
    assert any("'1.5'" in m and "between 0.05 and 1" in m and "using 0.75" in m for m in s.notices)
    assert any("'21'" in m and "between 1 and 20" in m for m in s.notices)
    # a selected λ outside the link's own grid is dropped, with a notice
    s = AppState()
    _parse_url({"grid": "0,5", "pick": "20"}, s)
    assert s.train_lams == (0.0, 5.0) and s.train_pick is None and "not in the λ grid" in s.notices[0]


def test_streamlit_config_turns_off_the_full_gc_after_each_run():
    """Streamlit's post-run ``gc.collect(2)`` held the GIL about 150 ms on this app's heap, so the
    server sent each t step's last messages that much later (BENCHMARKS.md, issue 7). The project's
    config turns it off, and the option must still exist in the pinned Streamlit for that to matter."""
    import tomllib
    from pathlib import Path

    from streamlit import config

    cfg = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text())
    assert cfg["runner"]["postScriptGC"] is False
    assert "runner.postScriptGC" in config._config_options_template
