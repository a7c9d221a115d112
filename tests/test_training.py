"""Regularised training: batches, the lam = 0 identity, determinism, cancellation, divergence, metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose

from unlearn_core import datasets, training
from unlearn_core.datasets import Dataset
from unlearn_core.leakage.differentiable import PENALTIES
from unlearn_core.models import make_model, to_tensor


def _states_equal(a, b) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def toy_arrays():
    ds = datasets.load("toy-gaussians", n_samples=600, random_state=0)
    return training.dataset_arrays(ds)


# -- stratified batches ---------------------------------------------------------------------------

def test_stratified_batches_hold_every_group_and_cover_every_row():
    rng = np.random.default_rng(0)
    codes = np.r_[np.zeros(700, int), np.ones(290, int), np.full(10, 2)]  # group 2 smaller than #batches
    rng.shuffle(codes)
    batches = training.stratified_batches(codes, 64, np.random.default_rng(1))
    assert len(batches) == 16  # ceil(1000 / 64)
    for b in batches:
        assert set(np.unique(codes[b])) == {0, 1, 2}
        # proportions kept to within one row for the large groups
        assert abs((codes[b] == 0).sum() - 700 / 16) <= 1
        assert abs((codes[b] == 1).sum() - 290 / 16) <= 1
    seen = np.unique(np.concatenate(batches))
    assert_allclose(seen, np.arange(1000))
    # rows of the large groups are used exactly once per epoch
    all_rows = np.concatenate(batches)
    counts = np.bincount(all_rows, minlength=1000)
    assert np.all(counts[codes != 2] == 1)


def test_stratified_batches_are_seeded():
    codes = np.repeat([0, 1], [300, 100])
    a = training.stratified_batches(codes, 50, np.random.default_rng(5))
    b = training.stratified_batches(codes, 50, np.random.default_rng(5))
    c = training.stratified_batches(codes, 50, np.random.default_rng(6))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def test_stratified_batches_reject_an_empty_group():
    with pytest.raises(ValueError, match="every group"):
        training.stratified_batches(np.array([0, 0, 2, 2]), 2, np.random.default_rng(0), n_groups=3)


# -- lam = 0 is plain training ----------------------------------------------------------------------

def test_lam_zero_equals_a_plain_unregularised_loop(toy_arrays):
    X, y, z = toy_arrays
    res = training.fit(X, y, z, lam=0.0, model="mlp", hidden=(16, 8), epochs=3, batch_size=64, random_state=7)

    # An independent plain loop: same init seed, same batches, same Adam, cross-entropy only.
    Xs = to_tensor((X - X.mean(0)) / X.std(0))
    yt = torch.as_tensor(np.searchsorted(np.unique(y), y))
    zc = np.searchsorted(np.unique(z), z)
    net = make_model("mlp", X.shape[1], 2, hidden=(16, 8), random_state=7)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    rng = np.random.default_rng([7, 1])
    with training.torch_threads(1):
        for _ in range(3):
            for idx in training.stratified_batches(zc, 64, rng):
                loss = torch.nn.functional.cross_entropy(net(Xs[idx]), yt[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
    for k, v in net.state_dict().items():
        assert_allclose(res.state_dict[k].numpy(), v.detach().numpy(), rtol=0, atol=1e-6)
    # the penalty is still logged at lam = 0
    assert np.all(res.history["reg"] > 0)


def test_lam_changes_the_weights(toy_arrays):
    X, y, z = toy_arrays
    a = training.fit(X, y, z, lam=0.0, epochs=2, random_state=0)
    b = training.fit(X, y, z, lam=10.0, epochs=2, random_state=0)
    assert not _states_equal(a.state_dict, b.state_dict)


# -- determinism ----------------------------------------------------------------------------------

def test_same_seed_same_numbers(toy):
    a = training.train(toy, lam=20.0, epochs=3, random_state=3)
    b = training.train(toy, lam=20.0, epochs=3, random_state=3)
    c = training.train(toy, lam=20.0, epochs=3, random_state=4)
    assert _states_equal(a.state_dict, b.state_dict)
    assert a.metrics == b.metrics
    pd.testing.assert_frame_equal(a.history.drop(columns="seconds"), b.history.drop(columns="seconds"))
    assert not _states_equal(a.state_dict, c.state_dict)


def test_torch_thread_count_is_restored(toy_arrays):
    before = torch.get_num_threads()
    training.fit(*toy_arrays, lam=1.0, epochs=1, num_threads=1)
    assert torch.get_num_threads() == before


# -- the regulariser works --------------------------------------------------------------------------

def test_regularisation_lowers_held_out_leakage_but_keeps_utility():
    ds = datasets.load("toy-gaussians", n_samples=1000, random_state=0)
    plain = training.train(ds, lam=0.0, epochs=15, random_state=0)
    fair = training.train(ds, lam=100.0, epochs=15, random_state=0)
    m0, m1 = plain.metrics, fair.metrics
    assert m0["dp_gap"] > 0.2  # the toy groups differ in mean along x1, and y depends on x1 + x2
    assert m1["dp_gap"] < 0.03
    assert m1["softmax_mi"] < 0.1 * m0["softmax_mi"]
    assert m1["probe_auc"] < m0["probe_auc"] - 0.1  # an attacker other than the regulariser agrees
    assert m1["accuracy"] > m1["majority"] + 0.05
    assert m1["auc"] < m0["auc"]  # leakage is not free


# -- cancellation, divergence, progress -------------------------------------------------------------

def test_should_stop_stops_cleanly(toy):
    calls = {"n": 0}

    def should_stop():
        calls["n"] += 1
        return calls["n"] > 5

    res = training.train(toy, lam=1.0, epochs=50, batch_size=64, should_stop=should_stop)
    assert res.stopped and not res.diverged and not res.converged
    assert res.n_steps == 5
    assert "stopped" in res.message
    P = res.predict(toy.X)
    assert_allclose(P.sum(axis=1), 1.0, atol=1e-6)
    assert np.isfinite(res.metrics["accuracy"])


def test_nan_loss_stops_with_a_message_not_an_exception(toy, monkeypatch):
    calls = {"n": 0}

    def nan_after_a_while(outputs, z, n_groups):
        calls["n"] += 1
        base = PENALTIES["softmax-averaging"](outputs, z, n_groups)
        return base * float("nan") if calls["n"] > 3 else base

    monkeypatch.setitem(PENALTIES, "nan-test", nan_after_a_while)
    res = training.train(toy, lam=1.0, estimator="nan-test", epochs=5, batch_size=64)
    assert res.diverged and not res.stopped
    assert res.n_steps == 3
    assert "diverged" in res.message and "lr" in res.message
    assert all(torch.isfinite(v).all() for v in res.state_dict.values())
    assert np.isfinite(res.metrics["auc"])


def test_progress_reports_every_epoch(toy):
    seen = []
    res = training.train(toy, lam=1.0, epochs=4, batch_size=100,
                         progress=lambda step, total, m: seen.append((step, total, dict(m))))
    assert [s[0] for s in seen] == [5, 10, 15, 20]  # 420 training rows -> 5 batches per epoch
    assert all(s[1] == 20 for s in seen)
    assert all({"task_loss", "reg", "test_auc", "lam"} <= set(s[2]) for s in seen)
    assert len(res.history) == 4
    assert list(res.history["epoch"]) == [1, 2, 3, 4]


# -- warm starts, prediction, config ----------------------------------------------------------------

def test_warm_start_from_a_result_or_a_state_dict(toy):
    a = training.train(toy, lam=0.0, epochs=3)
    same = training.train(toy, lam=5.0, epochs=0, init=a)  # no step: the weights are the init's
    assert _states_equal(same.state_dict, a.state_dict)
    b = training.train(toy, lam=5.0, epochs=0, init=dict(a.state_dict))
    assert _states_equal(b.state_dict, a.state_dict)
    with pytest.raises(ValueError, match="init does not fit"):
        training.train(toy, lam=5.0, epochs=1, init=a, hidden=(8,))


def test_predict_applies_the_training_scaler(toy):
    res = training.train(toy, lam=0.0, epochs=5)
    X = toy.X.to_numpy()
    model = res.build_model()
    with torch.no_grad():
        direct = torch.softmax(model(to_tensor(res.scaler.transform(X))), dim=1).numpy()
    assert_allclose(res.predict(X), direct, atol=1e-6)
    assert set(np.unique(res.predict_labels(X))) <= set(res.classes)
    tr, _ = datasets.split(toy, test_size=0.3, random_state=0)
    assert_allclose(res.scaler.mean, tr.X.to_numpy().mean(0), atol=1e-12)  # training rows only


def test_train_config_runs_train(toy):
    cfg = training.TrainConfig(lam=2.0, epochs=2, hidden=(8,))
    a = cfg.run(toy)
    b = training.train(toy, lam=2.0, epochs=2, hidden=(8,))
    assert _states_equal(a.state_dict, b.state_dict)
    assert hash(cfg) == hash(training.TrainConfig(lam=2.0, epochs=2, hidden=(8,)))


def test_logistic_model_and_multiclass_groups():
    ds = datasets.load("toy-gaussians", n_samples=600, n_groups=3, random_state=1)
    res = training.train(ds, lam=5.0, model="logistic", epochs=20, batch_size=64, lr=0.05)
    assert res.spec.name == "logistic" and res.groups.size == 3
    assert res.metrics["accuracy"] > res.metrics["majority"]


def test_regression_trains_and_rejects_probability_penalties():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 3))
    z = (X[:, 0] > 0).astype(int)
    y = 3.0 * X[:, 0] - X[:, 1] + 0.1 * rng.standard_normal(500) + 100.0
    ds = Dataset(name="lin", X=pd.DataFrame(X, columns=list("abc")), y=pd.Series(y), task="regression",
                 z=pd.Series(z, name="g"))
    res = training.train(ds, lam=0.0, epochs=30, batch_size=64, lr=1e-2)
    assert res.metrics["r2"] > 0.9
    assert np.isnan(res.metrics["reg"])  # softmax averaging does not apply to a regression output
    pred = res.predict(X)
    assert pred.shape == (500,)
    assert abs(pred.mean() - 100.0) < 1.0  # back in the target's units
    with pytest.raises(ValueError, match="needs class probabilities"):
        training.train(ds, lam=1.0)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"lam": -1.0}, "lam must be"), ({"lam": 1.0, "batch_size": 1}, "batch_size"),
     ({"lam": 1.0, "estimator": "nope"}, "unknown estimator"),
     ({"lam": 1.0, "model": "nope"}, "unknown model"),
     ({"lam": float("nan")}, "lam must be")],
)
def test_bad_options_raise_clear_errors(toy, kwargs, match):
    with pytest.raises(ValueError, match=match):
        training.train(toy, epochs=1, **kwargs)


def test_dataset_without_target_is_refused(toy):
    import dataclasses

    no_y = dataclasses.replace(toy, y=None, task=None)
    with pytest.raises(ValueError, match="no classification or regression target"):
        training.train(no_y, lam=0.0)


# -- held-out evaluators ----------------------------------------------------------------------------

def test_knn_mi_and_probe_on_known_cases():
    rng = np.random.default_rng(0)
    z = rng.integers(0, 2, 2000)
    indep = rng.standard_normal((2000, 1))
    assert training.knn_mi(indep, z) < 0.02
    probe = training.probe_attack(indep, z)
    assert abs(probe["probe_auc"] - 0.5) < 0.05
    separated = (z + 0.01 * rng.standard_normal(2000))[:, None]  # S determines Z: I = H(Z)
    h_z = -sum(p * np.log(p) for p in np.bincount(z) / z.size)
    assert_allclose(training.knn_mi(separated, z), h_z, atol=0.03)
    probe = training.probe_attack(separated, z)
    assert probe["probe_auc"] > 0.99 and probe["probe_acc"] > 0.99
    # a spread difference with equal means is caught by the probe's squared features
    spread = (rng.standard_normal(2000) * np.where(z == 1, 3.0, 1.0))[:, None]
    assert training.probe_attack(spread, z)["probe_auc"] > 0.7


def test_attack_view_is_the_logit_for_binary_outputs():
    P = np.array([[0.5, 0.5], [0.2, 0.8], [0.9, 0.1]])
    assert_allclose(training.attack_view(P, "classification")[:, 0], np.log(P[:, 1] / P[:, 0]), atol=1e-12)
    P3 = np.array([[0.2, 0.3, 0.5]])
    v = training.attack_view(P3, "classification")
    assert v.shape == (1, 3) and abs(v.sum()) < 1e-12


def test_evaluate_rejects_unknown_estimators():
    with pytest.raises(ValueError, match="unknown evaluation estimators"):
        training.evaluate(np.full((4, 2), 0.5), np.array([0, 1, 0, 1]), np.array([0, 0, 1, 1]),
                          estimators=("mine",))


# -- every registered penalty plugs into the loop ---------------------------------------------------

@pytest.mark.parametrize("name", sorted(PENALTIES))
def test_every_registered_penalty_trains(toy_arrays, name):
    X, y, z = toy_arrays
    res = training.fit(X, y, z, lam=5.0, estimator=name, epochs=1, batch_size=128, random_state=0)
    assert not res.diverged, res.message
    assert np.isfinite(res.metrics["reg"]) and res.n_steps == 5
    assert all(torch.isfinite(v).all() for v in res.state_dict.values())


def test_regression_regularised_by_hsic_removes_the_group_shift():
    rng = np.random.default_rng(1)
    n = 800
    z = rng.integers(0, 2, n)
    X = np.c_[rng.standard_normal(n) + 1.5 * z, rng.standard_normal(n)]
    y = X[:, 0] + X[:, 1] + 0.1 * rng.standard_normal(n)
    ds = Dataset(name="reg", X=pd.DataFrame(X, columns=["a", "b"]), y=pd.Series(y), task="regression",
                 z=pd.Series(z, name="g"))
    plain = training.train(ds, lam=0.0, estimator="hsic", model="logistic", epochs=20, batch_size=64, lr=1e-2)
    fair = training.train(ds, lam=50.0, estimator="hsic", model="logistic", epochs=20, batch_size=64, lr=1e-2)
    assert plain.metrics["dp_gap"] > 1.0  # the prediction carries the 1.5 shift of x_a
    assert fair.metrics["dp_gap"] < 0.5 * plain.metrics["dp_gap"]
    assert fair.metrics["r2"] > 0.2
