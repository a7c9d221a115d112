"""Both demographic-parity gaps, named (issue 19): Fairlearn's selection-rate gap and the mean-score gap."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from unlearn_core import metrics


def test_selection_rate_gap_closed_form():
    z = np.array(["a"] * 4 + ["b"] * 5 + ["c"] * 1)
    y_pred = np.array([1, 1, 0, 0] + [1, 0, 0, 0, 0] + [1])
    # rates 0.5, 0.2, 1.0: the largest gap is 1.0 - 0.2
    assert_allclose(metrics.selection_rate_gap(y_pred, z), 0.8)
    assert_allclose(metrics.selection_rate_gap(1 - y_pred, z, pos_label=0), 0.8)


def test_the_two_gaps_differ_when_scores_move_away_from_the_threshold():
    z = np.repeat([0, 1], 100)
    proba1 = np.r_[np.full(100, 0.51), np.full(100, 0.49)]  # mean gap 0.02, but every decision flips
    P = np.column_stack([1 - proba1, proba1])
    gaps = metrics.parity_gaps(P, z)
    assert_allclose(gaps["dp_gap_score"], 0.02, atol=1e-12)
    assert_allclose(gaps["dp_gap_rate"], 1.0)
    assert_allclose(gaps["dp_gap_score"], metrics.demographic_parity_gap(proba1, z))


def test_multiclass_takes_the_worst_class():
    z = np.repeat([0, 1], 3)
    P = np.array([[0.8, 0.1, 0.1]] * 3 + [[0.1, 0.1, 0.8]] * 3)
    gaps = metrics.parity_gaps(P, z)
    assert_allclose(gaps["dp_gap_rate"], 1.0)
    assert_allclose(gaps["dp_gap_score"], 0.7)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="y_pred must be 1-D"):
        metrics.selection_rate_gap(np.zeros((4, 2)), np.arange(4))
    with pytest.raises(ValueError, match="proba must be"):
        metrics.parity_gaps(np.zeros(4), np.arange(4))


def test_matches_fairlearn():
    fl = pytest.importorskip("fairlearn.metrics")  # benchmark-only dependency (requirements-bench.txt)
    rng = np.random.default_rng(0)
    z = rng.choice(["x", "y", "w"], 700)
    y_pred = (rng.random(700) < np.where(z == "x", 0.3, 0.6)).astype(int)
    ref = fl.demographic_parity_difference(np.zeros(700), y_pred, sensitive_features=z)
    assert_allclose(metrics.selection_rate_gap(y_pred, z), ref, atol=1e-12)
