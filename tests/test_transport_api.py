"""The public API of unlearn_core.transport: registry, validation, result object."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from unlearn_core import transport
from unlearn_core.transport import BarycenterMaps, fit_barycenter


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    z = np.array(["f", "m"])[rng.integers(0, 2, 120)]
    X[z == "m"] += [1.0, -1.0, 0.5]
    return X, z


def test_registry_lists_all_methods_default_first():
    assert transport.methods() == ["ot-randomized", "gaussian", "marginal", "ot-exact", "ot-sinkhorn"]
    assert transport.DEFAULT_METHOD == "ot-randomized"
    assert "second-moment" in transport.DESCRIPTIONS["gaussian"].lower()
    assert set(transport.METHODS) == set(transport.DESCRIPTIONS)
    assert all(callable(f) for f in transport.METHODS.values())


@pytest.mark.parametrize("method", ["ot-randomized", "gaussian", "marginal", "ot-exact", "ot-sinkhorn"])
def test_every_method_returns_consistent_maps(method, data):
    X, z = data
    X_before = X.copy()
    maps = fit_barycenter(X, z, method=method, random_state=1)
    assert isinstance(maps, BarycenterMaps)
    assert_array_equal(X, X_before)  # inputs untouched
    assert list(maps.groups) == ["f", "m"]
    assert_allclose(maps.weights.sum(), 1.0)
    assert_allclose(maps.total_cost, maps.weights @ maps.group_costs, rtol=1e-12)
    assert maps.total_cost > 0.5  # the groups differ by a mean shift of norm 1.5
    assert maps.mean.shape == (3,) and maps.cov.shape == (3, 3)
    assert maps.seconds > 0 and isinstance(maps.notes, str) and maps.notes
    T = maps.transform(X, z)
    assert_allclose(maps.transform(X, z, 0.0), X)
    assert_allclose(maps.transform(X, z, 0.4), 0.6 * X + 0.4 * T, atol=1e-12)
    assert_allclose(maps.displacement(X, z), T - X, atol=1e-12)
    # leakage at t = 1 is much smaller than at t = 0
    assert maps.w2_leakage(T, z) < 0.2 * maps.w2_leakage(X, z)
    json.dumps(maps.summary())


def test_same_seed_same_maps(data):
    X, z = data
    for method in ("marginal", "ot-sinkhorn", "ot-randomized"):
        a = fit_barycenter(X, z, method=method, random_state=3).transform(X, z)
        b = fit_barycenter(X, z, method=method, random_state=3).transform(X, z)
        assert_array_equal(a, b)


def test_weights_options(data):
    X, z = data
    uni = fit_barycenter(X, z, weights="uniform")
    assert_allclose(uni.weights, [0.5, 0.5])
    given = fit_barycenter(X, z, weights=[3, 1])
    assert_allclose(given.weights, [0.75, 0.25])
    emp = fit_barycenter(X, z)
    assert_allclose(emp.weights, [np.mean(z == "f"), np.mean(z == "m")])
    with pytest.raises(ValueError, match="one entry per group"):
        fit_barycenter(X, z, weights=[1, 2, 3])


def test_dataframe_columns_are_checked_and_reordered(data):
    X, z = data
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    maps = fit_barycenter(df, pd.Series(z))
    assert maps.columns == ("a", "b", "c")
    assert_allclose(maps.transform(df[["c", "a", "b"]], z), maps.transform(X, z))
    with pytest.raises(ValueError, match="lacks the fitted columns"):
        maps.transform(df.rename(columns={"a": "x"}), z)


def test_validation_messages(data):
    X, z = data
    maps = fit_barycenter(X, z)
    with pytest.raises(ValueError, match="never seen in fitting: \\['x'\\]"):
        maps.transform(X[:2], np.array(["f", "x"]))
    with pytest.raises(ValueError, match="t must be in"):
        maps.transform(X, z, t=1.5)
    with pytest.raises(ValueError, match="fitted on 3"):
        maps.transform(X[:, :2], z)
    with pytest.raises(ValueError, match="one group label per row"):
        maps.transform(X, z[:-1])
    with pytest.raises(ValueError, match="unknown barycenter method"):
        fit_barycenter(X, z, method="nope")
    with pytest.raises(ValueError, match="single group"):
        fit_barycenter(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="fewer than 2 rows"):
        fit_barycenter(X, np.r_[np.zeros(len(X) - 1), 1])
    with pytest.raises(ValueError, match="does not accept options"):
        fit_barycenter(X, z, method="gaussian", reg=0.1)
    with pytest.raises(ValueError, match="NaN"):
        fit_barycenter(np.where(X > 2, np.nan, X), z)


def test_out_of_sample_points_of_known_groups(data):
    X, z = data
    maps = fit_barycenter(X[:80], z[:80])
    out = maps.transform(X[80:], z[80:], 0.5)
    assert out.shape == (40, 3) and np.all(np.isfinite(out))


@pytest.mark.parametrize("method", ["gaussian", "marginal", "ot-exact", "ot-randomized"])
def test_maps_pickle_round_trip(method, data):
    # the UI caches fitted maps (st.cache_data pickles them)
    import pickle

    X, z = data
    maps = fit_barycenter(X, z, method=method)
    again = pickle.loads(pickle.dumps(maps))
    assert_array_equal(again.transform(X, z, 0.5), maps.transform(X, z, 0.5))
    assert again.summary() == maps.summary()
