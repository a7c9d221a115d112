"""The one attacker: held-out AUC with an interval, an MI lower bound inside [0, H(Z)], a verdict."""

from __future__ import annotations

import numpy as np
import pytest

from unlearn_core.leakage.attacker import attack


def _entropy(z) -> float:
    _, c = np.unique(z, return_counts=True)
    p = c / c.sum()
    return float(-(p * np.log(p)).sum())


def test_independent_outcome_is_at_chance():
    rng = np.random.default_rng(0)
    S = rng.normal(size=(3000, 4))
    z = rng.integers(0, 2, 3000)
    r = attack(S, z, random_state=0)
    # cross-fitted AUCs scatter around chance (sd ~0.012 here, slightly below 0.5 on average)
    assert abs(r.auc - 0.5) < 0.03 and r.auc_ci[0] <= 0.5 and not r.recovered
    assert 0.0 <= r.mi_ci[0] <= r.mi_lower <= r.mi_ci[1] <= r.entropy
    assert "chance" in r.verdict()


def test_a_nonlinear_signal_the_linear_probe_misses_is_found():
    # Z sets the spread, not the mean: a linear attacker is at chance, gradient boosting is not
    rng = np.random.default_rng(1)
    z = rng.integers(0, 2, 4000)
    S = rng.normal(size=(4000, 2)) * np.where(z == 1, 3.0, 1.0)[:, None]
    strong = attack(S, z, model="hgb", random_state=0)
    weak = attack(S, z, model="logistic", random_state=0)
    assert strong.recovered and strong.auc > 0.75
    assert weak.auc < 0.56 and strong.auc > weak.auc + 0.2
    assert "recoverable" in strong.verdict()


@pytest.mark.parametrize("K", [2, 3])
def test_deterministic_outcome_reaches_h_z(K):
    rng = np.random.default_rng(2)
    z = rng.integers(0, K, 1500)
    S = np.column_stack([z + 0.01 * rng.normal(size=1500), rng.normal(size=1500)])
    r = attack(S, z, random_state=0)
    H = _entropy(z)
    assert r.auc > 0.99 and r.accuracy > 0.98
    assert r.mi_lower <= H + 1e-12 and r.mi_ci[1] <= H + 1e-12  # never above what Z can carry
    assert r.mi_lower > 0.8 * H
    assert r.auc_ci[0] <= r.auc <= r.auc_ci[1] <= 1.0


def test_intervals_contain_their_estimates_and_seed_repeats():
    rng = np.random.default_rng(3)
    z = rng.integers(0, 3, 900)
    S = rng.normal(size=(900, 3)) + 0.3 * z[:, None]
    a = attack(S, z, random_state=5)
    b = attack(S, z, random_state=5)
    assert a.as_dict() | {"seconds": 0} == b.as_dict() | {"seconds": 0}
    assert a.auc_ci[0] <= a.auc <= a.auc_ci[1]
    assert a.mi_ci[0] <= a.mi_lower <= a.mi_ci[1]


def test_max_rows_subsamples_and_arguments_are_checked():
    rng = np.random.default_rng(4)
    S, z = rng.normal(size=(500, 2)), rng.integers(0, 2, 500)
    assert attack(S, z, max_rows=200, random_state=0).n == 200
    with pytest.raises(ValueError, match="model"):
        attack(S, z, model="svm")
    with pytest.raises(ValueError, match="n_boot"):
        attack(S, z, n_boot=1)
    with pytest.raises(ValueError, match="level"):
        attack(S, z, level=1.5)
    with pytest.raises(ValueError, match="rows but z"):
        attack(S, z[:-1])
    with pytest.raises(ValueError, match="single group"):
        attack(S, np.zeros(500))
    with pytest.raises(ValueError, match="n_folds"):
        attack(S, np.r_[np.zeros(498), 1, 1])
