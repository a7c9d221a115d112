"""Issue 6 verification on digits (forget 75% of the 3s), 5 seeded trials with the real model.

The chosen budget (MI_LAM, MI_EPOCHS) and the over-unlearning budget are the ones reported in
benchmarks/results/forgetting.md; benchmarks/bench_forgetting.py runs the same protocol (and MNIST).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from unlearn_core import datasets
from unlearn_core import forgetting as fg

MI_LAM, MI_EPOCHS = 1.5, 5  # the budget that matches retraining on digits
OVER_LAM, OVER_EPOCHS = 3.5, 20  # a larger budget (the authors' over-unlearning setting)
ORIGINAL_EPOCHS = 30
N_TRIALS = 5

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trials():
    ds = datasets.load("digits")
    out = []
    for t in range(N_TRIALS):
        pb = fg.prepare(ds, fg.ForgetSpec(cls=3, fraction=0.75, random_state=t), random_state=t)
        orig = fg.train_original(pb, epochs=ORIGINAL_EPOCHS, random_state=t)
        ref = fg.retrain(orig, pb, random_state=t)
        start = time.perf_counter()
        mi = fg.unlearn(orig, pb, lam=MI_LAM, epochs=MI_EPOCHS, random_state=t, reference=ref)
        wall = time.perf_counter() - start
        over = fg.unlearn(orig, pb, lam=OVER_LAM, epochs=OVER_EPOCHS, random_state=t, reference=ref)
        out.append(dict(pb=pb, orig=fg.original_report(orig, pb, reference=ref), ref=ref, mi=mi, over=over,
                        wall=wall))
    return out


def _mean(trials, who, key):
    return float(np.mean([getattr(t[who], key) for t in trials]))


def test_mi_unlearning_matches_retraining_on_digits(trials):
    ua_mi, ua_ref = _mean(trials, "mi", "ua"), _mean(trials, "ref", "ua")
    ta_mi, ta_orig = _mean(trials, "mi", "ta"), _mean(trials, "orig", "ta")
    auc_mi, auc_ref = _mean(trials, "mi", "mia_loss_auc"), _mean(trials, "ref", "mia_loss_auc")
    assert _mean(trials, "orig", "ua") > ua_ref + 0.05  # there is something to forget
    assert abs(ua_mi - ua_ref) <= 0.03, (ua_mi, ua_ref)
    assert abs(ta_mi - ta_orig) <= 0.01, (ta_mi, ta_orig)
    assert abs(auc_mi - auc_ref) <= 0.05, (auc_mi, auc_ref)
    assert not any(t["mi"].over_unlearning for t in trials)


def test_original_leaks_more_than_retrained(trials):
    for t in trials:
        assert t["orig"].mi > t["ref"].mi


def test_larger_budget_over_unlearns(trials):
    for t in trials:
        assert t["over"].over_unlearning is True
        assert t["over"].mi < t["mi"].mi < t["orig"].mi
    assert _mean(trials, "over", "ua") < _mean(trials, "ref", "ua") - 0.3
    assert _mean(trials, "over", "ta") > 0.8  # utility is still there: it is the forget set that is hit


def test_unlearning_is_cheaper_than_retraining_to_the_same_utility(trials):
    # CPU-time ratio (optimisation steps only, both single-threaded) against retraining until it reaches
    # the unlearned model's test accuracy (time_to_utility: monotone fit of its TA curve); CPU time, because
    # on a shared CPU the wall clock also counts other jobs; the median over trials resists the rest
    ratios = [t["mi"].cpu_seconds / fg.time_to_utility(t["ref"], t["mi"].ta) for t in trials]
    assert np.median(ratios) <= 0.2, ratios
    # the deterministic part of the claim: gradient rows processed
    for t in trials:
        pb, mi, ref = t["pb"], t["mi"], t["ref"]
        rows_mi = mi.n_iter * (64 + 16)
        rows_retrain = ref.epochs * pb.retain_idx.size
        assert rows_mi <= 0.2 * rows_retrain


def test_single_mi_run_on_digits_is_under_5_seconds(trials):
    assert max(t["wall"] for t in trials) <= 5.0


@pytest.mark.shared_data
def test_mnist_subset_original_leaks_more_than_retrained(shared_data):
    # the real MNIST test images (a 3,000-image stratified subsample to stay fast); the full protocol
    # with 8,000 training images is in benchmarks/bench_forgetting.py
    ds = datasets.load("mnist", data_dir=str(shared_data / "mnist"), download=False, n_samples=3000)
    pb = fg.prepare(ds, fg.ForgetSpec(cls=3, fraction=0.75, random_state=0), random_state=0)
    assert pb.n_features == 784 and pb.image_shape == (28, 28)
    orig = fg.train_original(pb, hidden=(64,), epochs=15, random_state=0)
    ref = fg.retrain(orig, pb, random_state=0)
    start = fg.original_report(orig, pb, reference=ref)
    rep = fg.unlearn(orig, pb, lam=1.0, epochs=5, random_state=0, reference=ref)
    assert start.ua > ref.ua and start.mi > ref.mi
    assert rep.mi < start.mi and rep.ua < start.ua
