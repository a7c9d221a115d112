"""The frame's pure helpers: t grid, λ, URL round trip, reading frontier clicks."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ui.selection import param_from_selection
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
    assert param_from_selection({"selection": {"points": [{"curve_number": 1, "point_index": 2}]}}, ts) is None
    assert param_from_selection({"selection": {"points": [{"curve_number": 0, "point_index": 9}]}}, ts) is None


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
    means = full.groupby("group")[["x1", "x2"]].mean().to_numpy()
    np.testing.assert_allclose(means[0], means[1], atol=1e-8)
    covs = [g[["x1", "x2"]].cov().to_numpy() for _, g in full.groupby("group")]
    np.testing.assert_allclose(covs[0], covs[1], atol=1e-8)
    orig = pd.read_csv(io.BytesIO(transformed_csv(key, "gaussian", 0, 0.0)))
    ds = datasets.load("toy-gaussians", random_state=0)
    np.testing.assert_allclose(orig[["x1", "x2"]].to_numpy(), ds.X.to_numpy(), atol=1e-12)
    assert (orig["group"].to_numpy() == ds.z.to_numpy()).all()
