"""The analytic (t-sweep) frontier on the McCann path toward the barycenter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from unlearn_core import datasets, transport
from unlearn_core.datasets import Dataset
from unlearn_core.frontier._types import Frontier, pareto_mask
from unlearn_core.frontier.analytic import DEFAULT_TS, analytic_frontier, transform_split

CLASSIFICATION_COLUMNS = [
    "t", "lam", "distortion", "distortion_pred", "w2_leakage", "w2_leakage_pred", "probe_acc", "probe_auc",
    "attack_auc", "attack_auc_lo", "attack_auc_hi", "attack_acc", "attack_mi", "attack_mi_lo", "attack_mi_hi",
    "attack_recovered", "accuracy", "auc", "dp_gap", "dp_gap_rate", "dp_gap_score", "discrimination",
    "out_probe_acc", "out_probe_auc", "pareto",
]


@pytest.fixture(scope="module")
def toy_frontier(toy):
    # the Gaussian method: its D(t), L(t) are exact on the fitted moments (the default is ot-randomized)
    return analytic_frontier(toy, method="gaussian", ts=[0.0, 0.25, 0.5, 0.75, 1.0], random_state=0)


def test_table_shape_columns_and_meta(toy_frontier):
    f = toy_frontier
    assert isinstance(f, Frontier) and f.kind == "analytic" and f.param == "t"
    assert list(f.table.columns) == CLASSIFICATION_COLUMNS
    assert f.utility == "auc" and f.leakage == "attack_auc"  # the strong attacker is the default axis
    assert_allclose(f.table["t"], [0, 0.25, 0.5, 0.75, 1])
    assert_allclose(f.table["lam"][:4], [0, 1 / 3, 1, 3])
    assert np.isinf(f.table["lam"].iloc[-1])
    assert f.meta["method"] == "gaussian" and f.meta["V"] > 0 and f.seconds > 0
    assert set(f.meta["timings"]) >= {"fit", "downstream", "probe"}
    assert f.meta["n_train"] + f.meta["n_test"] == 600


def test_gaussian_distortion_and_leakage_match_theory(toy_frontier):
    tab = toy_frontier.table
    assert_allclose(tab["distortion"], tab["distortion_pred"], rtol=1e-6, atol=1e-12)
    assert_allclose(tab["w2_leakage"], tab["w2_leakage_pred"], rtol=1e-6, atol=1e-9)
    V = toy_frontier.meta["V"]
    assert_allclose(np.sqrt(tab["distortion"]) + np.sqrt(tab["w2_leakage"]), np.sqrt(V), rtol=1e-6)


def test_unlearning_lowers_attacker_and_unfairness(toy_frontier):
    tab = toy_frontier.table
    first, last = tab.iloc[0], tab.iloc[-1]
    # toy groups differ in mean by 2: the attacker recovers Z at t = 0 and not at t = 1
    assert first["probe_auc"] > 0.8 and abs(last["probe_auc"] - 0.5) < 0.1
    assert last["dp_gap"] < 0.5 * first["dp_gap"]
    assert last["discrimination"] < first["discrimination"]
    assert 0.5 < last["auc"] <= first["auc"] + 0.02


def test_pareto_column_is_consistent(toy_frontier):
    tab = toy_frontier.table
    assert_allclose(tab["pareto"], pareto_mask(tab["auc"].to_numpy(), tab["attack_auc"].to_numpy()))
    assert tab["pareto"].any()


def test_same_seed_same_table(toy):
    a = analytic_frontier(toy, ts=[0.0, 1.0], random_state=3)
    b = analytic_frontier(toy, ts=[0.0, 1.0], random_state=3)
    pd.testing.assert_frame_equal(a.table, b.table)


def test_keep_z_makes_t0_discriminate_more(toy):
    plain = analytic_frontier(toy, ts=[0.0, 1.0])
    kept = analytic_frontier(toy, ts=[0.0, 1.0], keep_z=True)
    assert kept.table["probe_auc"].iloc[0] > 0.99  # Z itself is a feature at t = 0
    assert kept.table["discrimination"].iloc[0] > plain.table["discrimination"].iloc[0]
    # at t = 1 the kept column is multiplied by 0: the same data as without it
    assert_allclose(kept.table["auc"].iloc[1], plain.table["auc"].iloc[1], atol=1e-6)


@pytest.mark.parametrize("method", ["marginal", "ot-sinkhorn"])
def test_other_methods_run_and_approach_theory(toy, method):
    f = analytic_frontier(toy, method=method, ts=[0.0, 0.5, 1.0])
    tab = f.table
    assert f.meta["method"] == method
    if method == "marginal":  # 1-D couplings: E||T(X) - X||^2 = V up to the random levels inside atoms
        assert_allclose(tab["distortion"], tab["distortion_pred"], rtol=0.05, atol=1e-12)
    else:  # barycentric projection of a blurred plan moves points less than the plan's cost (Jensen)
        d, p = tab["distortion"].to_numpy()[1:], tab["distortion_pred"].to_numpy()[1:]
        assert np.all(d <= p * (1 + 1e-9)) and np.all(d >= 0.5 * p)
    assert tab["w2_leakage"].iloc[-1] < 0.3 * tab["w2_leakage"].iloc[0]


def test_regression_task_uses_r2_and_ks():
    rng = np.random.default_rng(0)
    n = 400
    z = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 2)) + z[:, None]
    y = X @ [1.0, -0.5] + rng.normal(0, 0.3, n)
    ds = Dataset(
        name="synthetic-regression", X=pd.DataFrame(X, columns=["a", "b"]), y=pd.Series(y, name="y"),
        task="regression", z=pd.Series(z, name="g"),
    )
    f = analytic_frontier(ds, ts=[0.0, 1.0])
    assert f.utility == "r2" and {"mse", "r2", "ks"} <= set(f.table.columns)
    assert f.table["ks"].iloc[1] < f.table["ks"].iloc[0]


def test_validation(toy):
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        analytic_frontier(toy, ts=[0.0, 1.5])
    with pytest.raises(ValueError, match="distinct"):
        analytic_frontier(toy, ts=[0.5, 0.5])
    with pytest.raises(ValueError, match="downstream"):
        analytic_frontier(toy, downstream="svm")
    with pytest.raises(ValueError, match="unknown barycenter method"):
        analytic_frontier(toy, method="nope", ts=[0.0])
    assert len(DEFAULT_TS) == 21 and DEFAULT_TS[0] == 0.0 and DEFAULT_TS[-1] == 1.0


def test_leakage_estimator_column_or_clear_error(toy):
    try:
        from unlearn_core.leakage import estimate, methods  # noqa: F401
    except ImportError:
        with pytest.raises(ValueError, match="leakage.estimate"):
            analytic_frontier(toy, ts=[0.0, 1.0], leakage_estimator="knn")
        return
    name = "knn" if "knn" in methods() else methods()[0]
    f = analytic_frontier(toy, ts=[0.0, 1.0], leakage_estimator=name)
    col = "est_" + name.replace("-", "_")
    assert f.leakage == col and np.all(np.isfinite(f.table[col]))


def test_precomputed_maps_and_transform_split(toy):
    train, _ = datasets.split(toy, test_size=0.3, random_state=0)
    maps = transport.fit_barycenter(train.X, train.z.to_numpy())
    f = analytic_frontier(toy, ts=[0.0, 1.0], maps=maps)
    assert f.meta["timings"]["fit"] < 0.01
    Xt = transform_split(maps, toy, 0.5, keep_z=True)
    assert Xt.shape == (toy.n_samples, toy.n_features + 1)
    assert_allclose(Xt[:, :-1], maps.transform(toy.X, toy.z.to_numpy(), 0.5))
    assert_allclose(Xt[:, -1], 0.5 * (toy.z.to_numpy() == maps.groups[1]))


def test_authors_adult_calmon_numbers():
    """docs/design.md section 4: Gaussian barycenter at t = 1 gives AUC 0.780 and discrimination 0.018;
    with Z kept as a feature at t = 0 the discrimination is about 1.8."""
    ds = datasets.load("adult-calmon")  # the raw files ship with the project
    f = analytic_frontier(ds, ts=[0.0, 1.0], keep_z=True)
    t0, t1 = f.table.iloc[0], f.table.iloc[1]
    assert abs(t1["auc"] - 0.780) <= 0.02
    assert t1["discrimination"] <= 0.05
    assert t0["discrimination"] > 1.0


def test_warm_logistic_matches_sklearn_objective():
    from sklearn.linear_model import LogisticRegression

    from unlearn_core.frontier.analytic import _WarmLogistic

    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4))
    y = (X @ [1.0, -2.0, 0.5, 0.0] + rng.logistic(size=500) > 0.3).astype(int)
    ours = _WarmLogistic(C=1.0).fit(X, y)
    sk = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(X, y)
    assert_allclose(ours.coef_[:-1], sk.coef_[0], rtol=1e-5, atol=1e-6)
    assert_allclose(ours.coef_[-1], sk.intercept_[0], rtol=1e-5, atol=1e-6)
    assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-6)
    # a warm start from this solution on slightly moved data converges in a few Newton steps
    ours.fit(X * 1.01, y)
    assert ours.n_iter_ <= 4


def test_output_probe_sees_the_downstream_outputs_leak_less(toy_frontier):
    # The trained frontier's attacker on the downstream model's outputs: the outcome leaks Z at t = 0
    # (the label rule x1 + x2 > 0 is correlated with the group shift), not at the barycenter.
    tab = toy_frontier.table
    assert tab["out_probe_auc"].iloc[0] > 0.7
    assert abs(tab["out_probe_auc"].iloc[-1] - 0.5) < 0.08
    assert np.all((tab["out_probe_acc"] >= 0) & (tab["out_probe_acc"] <= 1))
    assert "output_probe" in toy_frontier.meta["timings"]


def test_probe_is_blind_at_t1_for_gaussian_maps(toy_frontier):
    # equal training means make the logistic probe's optimum w = 0: no ranking, AUC exactly 1/2
    assert_allclose(toy_frontier.table["probe_auc"].iloc[-1], 0.5, atol=1e-9)


def test_authors_compas_numbers(shared_data, tmp_path):
    """docs/design.md section 4: on COMPAS (AA vs Caucasian) discrimination falls from about 0.37 to <= 0.05
    along t while the AUC drops by <= 0.03 (authors: 0.37 -> 0.02, AUC 0.705 -> 0.692)."""
    import shutil

    src = shared_data / "compas-scores-two-years.csv.gz"
    if not src.exists():
        pytest.skip(f"{src} is absent")
    shutil.copy(src, tmp_path)
    ds = datasets.load("compas", data_dir=tmp_path, download=False)
    f = analytic_frontier(ds, method="gaussian", ts=[0.0, 1.0], keep_z=True, attacker=None)
    t0, t1 = f.table.iloc[0], f.table.iloc[1]
    assert 0.3 <= t0["discrimination"] <= 0.45
    assert t1["discrimination"] <= 0.05
    assert t0["auc"] - t1["auc"] <= 0.03
