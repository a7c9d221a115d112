"""One validation layer for the engine's public arguments (issue 16).

A table of bad inputs to the public engine functions: each must raise the stated error type with a
message that names the argument. Then the "checked results": inputs that are not errors but used to give
a silently wrong statistic (a one-resample interval that excludes its estimate, MI above H(Z), a
scale-dependent MI, NaN maps called converged, lr = inf crashing).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from unlearn_core import audit, datasets, leakage, models, training, transport
from unlearn_core._validation import check_labels, check_scalar, check_seed
from unlearn_core.frontier.analytic import analytic_frontier
from unlearn_core.frontier.trained import trained_frontier

RNG = np.random.default_rng(0)
N = 200
Z = np.repeat(["a", "b"], N // 2)
X = RNG.standard_normal((N, 3)) + (Z == "b")[:, None]
Z_NAN = np.r_[np.zeros(N - 1), np.nan]
Z_NONE = np.array(["a"] * (N - 1) + [None], dtype=object)
Z_MIXED = [1] * (N // 2) + ["1"] * (N // 2)
X_INF = X.copy()
X_INF[3, 1] = np.inf
DS = datasets.load("toy-gaussians", n_samples=200, random_state=0)
CSV = ("a,b,sex,label\n" + "\n".join(f"{i},{i % 7}.5,{'FM'[i % 2]},{i % 3 == 0:d}"
                                      for i in range(60))).encode()


def est(**kw):
    return lambda: leakage.estimate(kw.pop("S", X), kw.pop("z", Z), **{"method": "gaussian", **kw})


def fit(**kw):
    return lambda: transport.fit_barycenter(kw.pop("X", X), kw.pop("z", Z), **kw)


_MAPS = transport.fit_barycenter(X, Z, method="gaussian")


def tr(**kw):
    return lambda: training.train(DS, **{"lam": 1.0, "epochs": 1, **kw})


# (id, call, error type, the argument the message must name)
BAD = [
    # leakage.estimate
    ("estimate method type", est(method=3), TypeError, "method"),
    ("estimate method unknown", est(method="nope"), ValueError, "method"),
    ("estimate n_boot = 1", est(n_boot=1), ValueError, "n_boot"),
    ("estimate n_boot negative", est(n_boot=-1), ValueError, "n_boot"),
    ("estimate n_boot float", est(n_boot=2.5), TypeError, "n_boot"),
    ("estimate n_boot string", est(n_boot="10"), TypeError, "n_boot"),
    ("estimate n_boot bool", est(n_boot=True), TypeError, "n_boot"),
    ("estimate ci_level 1", est(ci_level=1.0), ValueError, "ci_level"),
    ("estimate ci_level nan", est(ci_level=float("nan")), ValueError, "ci_level"),
    ("estimate seed negative", est(random_state=-1), ValueError, "random_state"),
    ("estimate seed 2**32", est(random_state=2**32), ValueError, "random_state"),
    ("estimate seed 10**30", est(random_state=10**30), ValueError, "random_state"),
    ("estimate seed float", est(random_state=1.5), TypeError, "random_state"),
    ("estimate seed string", est(random_state="0"), TypeError, "random_state"),
    ("estimate seed legacy RandomState", est(random_state=np.random.RandomState(0)), TypeError,
     "random_state"),
    ("estimate z NaN", est(z=Z_NAN), ValueError, "z"),
    ("estimate z None", est(z=Z_NONE), ValueError, "z"),
    ("estimate z mixed types", est(z=Z_MIXED), TypeError, "z"),
    ("estimate z misaligned", est(z=Z[:-1]), ValueError, "z"),
    ("estimate z 2-D", est(z=np.c_[Z, Z]), ValueError, "z"),
    ("estimate z single group", est(z=np.zeros(N)), ValueError, "z"),
    ("estimate S infinite", est(S=X_INF), ValueError, "S"),
    ("estimate S 3-D", est(S=X[:, :, None]), ValueError, "S"),
    ("estimate interval", est(interval="bogus"), ValueError, "interval"),
    ("estimate n_threads 0", est(n_threads=0), ValueError, "n_threads"),
    # transport.fit_barycenter and the maps
    ("fit method None", fit(method=None), TypeError, "method"),
    ("fit method unknown", fit(method="bogus"), ValueError, "method"),
    ("fit tol nan", fit(tol=float("nan")), ValueError, "tol"),
    ("fit tol zero", fit(tol=0.0), ValueError, "tol"),
    ("fit max_iter zero", fit(max_iter=0), ValueError, "max_iter"),
    ("fit max_iter float", fit(max_iter=2.5), TypeError, "max_iter"),
    ("fit ridge negative", fit(ridge=-1.0), ValueError, "ridge"),
    ("fit reg negative", fit(method="ot-sinkhorn", reg=-1.0), ValueError, "reg"),
    ("fit seed negative", fit(random_state=-5), ValueError, "random_state"),
    ("fit seed 10**30", fit(random_state=10**30), ValueError, "random_state"),
    ("fit weights count", fit(weights=[1.0]), ValueError, "weights"),
    ("fit weights name", fit(weights="bogus"), ValueError, "weights"),
    ("fit z NaN", fit(z=Z_NAN), ValueError, "z"),
    ("fit z mixed", fit(z=Z_MIXED), TypeError, "z"),
    ("fit X infinite", fit(X=X_INF), ValueError, "X"),
    ("transform t above 1", lambda: _MAPS.transform(X, Z, 1.5), ValueError, "t"),
    ("transform t nan", lambda: _MAPS.transform(X, Z, float("nan")), ValueError, "t"),
    ("transform t string", lambda: _MAPS.transform(X, Z, "a"), TypeError, "t"),
    ("transform unknown group", lambda: _MAPS.transform(X, np.repeat(["a", "c"], N // 2)), ValueError, "z"),
    # datasets
    ("load name type", lambda: datasets.load(3), TypeError, "name"),
    ("load unknown", lambda: datasets.load("nope"), ValueError, "dataset"),
    ("load seed negative", lambda: datasets.load("toy-gaussians", random_state=-1), ValueError,
     "random_state"),
    ("load unknown option", lambda: datasets.load("toy-gaussians", bogus=1), ValueError, "bogus"),
    ("load n_samples tiny", lambda: datasets.load("toy-gaussians", n_samples=5), ValueError, "n_samples"),
    ("split test_size 0", lambda: datasets.split(DS, test_size=0.0), ValueError, "test_size"),
    ("split test_size string", lambda: datasets.split(DS, test_size="a"), TypeError, "test_size"),
    ("split seed 10**30", lambda: datasets.split(DS, random_state=10**30), ValueError, "random_state"),
    ("split not a dataset", lambda: datasets.split("adult"), TypeError, "dataset"),
    ("from_csv target type", lambda: datasets.from_csv(CSV, target=3, sensitive="sex"), ValueError, "target"),
    ("from_csv sensitive None", lambda: datasets.from_csv(CSV, target="label", sensitive=None), ValueError,
     "sensitive"),
    ("from_csv task", lambda: datasets.from_csv(CSV, target="label", sensitive="sex", task="ranking"),
     ValueError, "task"),
    ("from_csv source", lambda: datasets.from_csv(12345, target="label", sensitive="sex"), ValueError,
     "source"),
    # training
    ("train lam negative", tr(lam=-1.0), ValueError, "lam"),
    ("train lam nan", tr(lam=float("nan")), ValueError, "lam"),
    ("train lam string", tr(lam="1"), TypeError, "lam"),
    ("train epochs negative", tr(epochs=-1), ValueError, "epochs"),
    ("train epochs float", tr(epochs=1.5), TypeError, "epochs"),
    ("train batch_size 1", tr(batch_size=1), ValueError, "batch_size"),
    ("train lr zero", tr(lr=0.0), ValueError, "lr"),
    ("train lr nan", tr(lr=float("nan")), ValueError, "lr"),
    ("train weight_decay negative", tr(weight_decay=-1.0), ValueError, "weight_decay"),
    ("train seed 2**32", tr(random_state=2**32), ValueError, "random_state"),
    ("train test_size", tr(test_size=1.5), ValueError, "test_size"),
    ("train estimator", tr(estimator="bogus"), ValueError, "estimator"),
    ("train model", tr(model="bogus"), ValueError, "model"),
    ("fit z NaN labels", lambda: training.fit(X, np.arange(N) % 2, Z_NAN, epochs=1), ValueError, "z"),
    ("fit y None labels", lambda: training.fit(X, Z_NONE, Z, epochs=1), ValueError, "y"),
    # models
    ("make_model unknown", lambda: models.make_model("bogus", 3, 2), ValueError, "model"),
    ("make_model seed", lambda: models.make_model("mlp", 3, 2, random_state=-1), ValueError, "random_state"),
    ("make_model n_features", lambda: models.make_model("mlp", 0, 2), ValueError, "n_features"),
    ("make_model n_outputs", lambda: models.make_model("mlp", 3, 1.5), TypeError, "n_outputs"),
    ("mlp hidden", lambda: models.make_model("mlp", 3, 2, hidden=(0,)), ValueError, "hidden"),
    ("mlp dropout", lambda: models.make_model("mlp", 3, 2, dropout=1.0), ValueError, "dropout"),
    # audit
    ("pinsker I negative", lambda: audit.pinsker_bound(-1.0, 0.5), ValueError, "I"),
    ("pinsker prior", lambda: audit.pinsker_bound(0.1, 1.5), ValueError, "prior"),
    ("probe_attack n_folds", lambda: audit.probe_attack(X, Z, n_folds=1), ValueError, "n_folds"),
    ("probe_attack attackers", lambda: audit.probe_attack(X, Z, attackers=()), ValueError, "attackers"),
    ("probe_attack seed", lambda: audit.probe_attack(X, Z, random_state=-1), ValueError, "random_state"),
    ("probe_attack z NaN", lambda: audit.probe_attack(X, Z_NAN), ValueError, "z"),
    ("certificate n_boot 1", lambda: audit.certificate(DS, method="gaussian", n_boot=1), ValueError,
     "n_boot"),
    ("certificate t", lambda: audit.certificate(DS, method="gaussian", t=2.0), ValueError, "t"),
    ("certificate seed", lambda: audit.certificate(DS, method="gaussian", random_state=2**40), ValueError,
     "random_state"),
    ("certificate method", lambda: audit.certificate(DS, method="bogus"), ValueError, "method"),
    # frontiers
    ("analytic ts", lambda: analytic_frontier(DS, ts=[0.5, 2.0]), ValueError, "t"),
    ("analytic seed", lambda: analytic_frontier(DS, random_state=-1), ValueError, "random_state"),
    ("trained lambdas", lambda: trained_frontier(DS, lambdas=[-1.0]), ValueError, "lambdas"),
    ("trained seed", lambda: trained_frontier(DS, lambdas=[0.0], random_state=1.5), TypeError,
     "random_state"),
    ("trained epochs", lambda: trained_frontier(DS, lambdas=[0.0], epochs=-1), ValueError, "epochs"),
]


@pytest.mark.parametrize(("call", "error", "argument"), [pytest.param(c, e, a, id=i) for i, c, e, a in BAD])
def test_bad_input_raises_a_typed_error_naming_the_argument(call, error, argument):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error) as info:
            call()
    assert type(info.value) is error or issubclass(type(info.value), error)
    assert argument in str(info.value), f"{type(info.value).__name__}: {info.value}"


def test_the_table_is_long_enough():
    assert len(BAD) >= 60


# -- the helpers themselves ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2**31, 2**32 - 1, np.int64(7), np.uint32(2**32 - 1), None,
                                  np.random.default_rng(0)])
def test_seeds_in_numpy_range_are_accepted_everywhere(seed):
    assert check_seed(seed) is seed or check_seed(seed) == int(seed)
    leakage.estimate(X, Z, method="gaussian", random_state=seed)
    transport.fit_barycenter(X, Z, method="gaussian", random_state=seed)
    models.make_model("logistic", 3, 2, random_state=seed)


def test_check_scalar_boundaries():
    assert check_scalar(0.0, "x", float, min_val=0.0) == 0.0
    assert check_scalar(5.0, "n", int) == 5 and isinstance(check_scalar(5.0, "n", int), int)
    with pytest.raises(ValueError, match=r"x must be in \(0, inf\), got 0"):
        check_scalar(0.0, "x", float, min_val=0.0, include_boundaries="neither")
    assert check_scalar(math.inf, "lr", float, min_val=0.0, allow_inf=True) == math.inf


def test_labels_kept_as_given_when_clean():
    np.testing.assert_array_equal(check_labels(["b", "a"]), np.array(["b", "a"]))
    np.testing.assert_array_equal(check_labels(np.array([2, 1])), np.array([2, 1]))


# -- checked results: no silently wrong statistic ------------------------------------------------------


@pytest.mark.parametrize("method", ["gaussian", "knn", "probe"])
@pytest.mark.parametrize("n_boot", [2, 5])
def test_every_interval_contains_its_estimate(method, n_boot):
    rng = np.random.default_rng(3)
    z = rng.integers(0, 2, 120)
    S = rng.standard_normal((120, 2)) + 0.3 * z[:, None]
    e = leakage.estimate(S, z, method=method, n_boot=n_boot, random_state=0)
    lo, hi = e.ci
    assert lo <= e.value <= hi, (e.value, e.ci, e.diagnostics)


@pytest.mark.parametrize("method", ["knn", "gaussian", "probe"])
def test_mi_value_and_interval_lie_in_0_H(method):
    """Z recoverable exactly from S (plus ties and tiny noise): no estimate or interval may exceed H(Z)."""
    rng = np.random.default_rng(1)
    z = np.repeat([0, 1], 150)
    S = np.c_[z + 1e-9 * rng.standard_normal(300), np.round(rng.standard_normal(300))]
    e = leakage.estimate(S, z, method=method, n_boot=10, random_state=0)
    h = math.log(2)
    assert 0.0 <= e.value <= h + 1e-12
    assert 0.0 <= e.ci[0] <= e.ci[1] <= h + 1e-12
    if e.raw > h:
        assert any("H(Z)" in c for c in e.diagnostics["clipped"])


@pytest.mark.parametrize("scale", [1e-12, 1e-30, 1e12])
def test_gaussian_mi_is_scale_invariant(scale):
    base = leakage.estimate(X, Z, method="gaussian").value
    assert base > 0.1
    assert leakage.estimate(X * scale, Z, method="gaussian").value == pytest.approx(base, rel=1e-9)


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("scale", [1e80, 1e-80])
def test_barycenter_at_extreme_scales_is_finite_or_not_converged(K, scale):
    rng = np.random.default_rng(K)
    z = rng.integers(0, K, 300)
    Xs = (rng.standard_normal((300, 3)) + z[:, None]) * scale
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        maps = transport.fit_barycenter(Xs, z, method="gaussian")
    finite = np.isfinite(maps.total_cost) and np.all(np.isfinite(maps.cov))
    assert finite or not maps.converged
    assert finite  # the fixed point is rescaled, so these scales are solved exactly
    ref = transport.fit_barycenter(Xs / scale, z, method="gaussian")
    assert maps.total_cost / scale**2 == pytest.approx(ref.total_cost, rel=1e-9)


def test_lr_inf_is_reported_as_divergence():
    res = training.train(DS, lam=1.0, lr=float("inf"), epochs=2)
    assert res.diverged and "lr" in res.message
    assert math.isnan(res.metrics["auc"])


def test_nan_estimate_becomes_a_message(monkeypatch):
    from unlearn_core.leakage import _registry

    spec = _registry.method_spec("gaussian")
    nan_core = _registry.MethodSpec(**{**spec.as_dict(), "fn": lambda *a, **k: _registry._Core(raw=np.nan)})
    monkeypatch.setitem(_registry._REGISTRY, "gaussian", nan_core)
    with pytest.raises(ValueError, match="returned nan"):
        leakage.estimate(X, Z, method="gaussian")
