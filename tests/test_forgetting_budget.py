"""The retrain-free default budget of forgetting.unlearn and the two failure flags (issue 14)."""

from __future__ import annotations

import numpy as np
import pytest

from unlearn_core import datasets
from unlearn_core import forgetting as fg
from unlearn_core.forgetting import _budget


@pytest.fixture(scope="module")
def digits():
    return datasets.load("digits")


@pytest.fixture(scope="module")
def whole_class(digits):
    """Every training 3 forgotten: a model that never saw D_u cannot predict any of it."""
    pb = fg.prepare(digits, fg.ForgetSpec(cls=3, fraction=1.0), random_state=0)
    orig = fg.train_original(pb, epochs=10, random_state=0)
    return pb, orig, fg.retrain(orig, pb, random_state=0)


def test_peers_are_held_out_rows_like_the_forget_set(digits):
    pb = fg.prepare(digits, fg.ForgetSpec(cls=5), random_state=1)
    assert set(pb.y_test[pb.peer_idx]) == {5} and len(pb.peer_idx) == int((pb.y_test == 5).sum())
    cohort = fg.prepare(digits, fg.ForgetSpec.cohort("parity", "==", "even"), random_state=0)
    assert set(cohort.y_test[cohort.peer_idx]) == {0, 2, 4, 6, 8}
    rnd = fg.prepare(digits, fg.ForgetSpec.random(n=50), random_state=0)
    assert len(rnd.peer_idx) == len(rnd.y_test)


def test_target_closed_form(digits, whole_class):
    # a perfect model on the peers: the target is the share of D_u in classes D_r still has
    pb = fg.prepare(digits, fg.ForgetSpec(cls=5), random_state=0)
    y = pb.y_test[pb.peer_idx]
    P = np.eye(pb.n_classes)[y]
    t = _budget.target(pb, P)
    assert t.ua == pytest.approx(1.0) and t.confidence == pytest.approx(1.0) and t.unpredictable == 0.0
    # half of the peers wrong, uniform probabilities elsewhere: accuracy 0.5, confidence (1 + 0.1) / 2
    P2 = P.copy()
    P2[::2] = 1.0 / pb.n_classes
    P2[::2, (y[::2] + 1) % pb.n_classes] += 1e-3  # argmax off the true class
    t2 = _budget.target(pb, P2)
    assert t2.ua == pytest.approx(np.mean(P2.argmax(1) == y))
    assert t2.confidence == pytest.approx(np.mean(P2[np.arange(len(y)), y]))
    # whole class forgotten: the retrain-free target is 0 whatever the model does on the peers
    pbw = whole_class[0]
    yw = pbw.y_test[pbw.peer_idx]
    tw = _budget.target(pbw, np.eye(pbw.n_classes)[yw])
    assert tw.ua == 0.0 and tw.unpredictable == 1.0
    with pytest.raises(ValueError, match="P_peers"):
        _budget.target(pb, P[:3])


def test_whole_class_under_unlearning_is_flagged(whole_class):
    pb, orig, ref = whole_class
    assert ref.ua < 0.05  # retraining cannot predict a class it never saw
    mild = fg.unlearn(orig, pb, lam=1.0, epochs=1, random_state=0, reference=ref)
    assert mild.ua > ref.ua + fg.OVER_UNLEARNING_MARGIN
    assert mild.under_unlearning is True and mild.over_unlearning is False
    assert mild.verdict == "under-unlearning" and "under-unlearning" in mild.message
    # without a reference the retrain-free target (0: D_r has no 3) flags it too
    alone = fg.unlearn(orig, pb, lam=1.0, epochs=1, random_state=0)
    assert alone.target_ua == 0.0 and alone.under_unlearning is True and alone.verdict == "under-unlearning"
    assert alone.stop_rule == "budget"


def test_reference_flags_both_directions(whole_class):
    pb, orig, ref = whole_class
    orig_rep = fg.original_report(orig, pb, reference=ref)
    assert orig_rep.under_unlearning and not orig_rep.over_unlearning
    # the reference against itself matches
    same = ref.with_reference(ref)
    assert same.verdict == "matches"
    # a report with a UA far below its reference is over-unlearning, never both
    from dataclasses import replace

    low = replace(orig_rep, ua=0.0).with_reference(replace(ref, ua=0.5))
    assert low.over_unlearning and not low.under_unlearning and low.verdict == "over-unlearning"


def test_default_budget_stops_by_a_named_rule(digits):
    pb = fg.prepare(digits, fg.ForgetSpec(cls=3), random_state=0)
    orig = fg.train_original(pb, epochs=10, random_state=0)
    rep = fg.unlearn(orig, pb, random_state=0)
    assert rep.lam == _budget.DEFAULT_LAM
    assert rep.stop_rule in ("target", "peer collapse", "time cap", "epoch cap")
    assert rep.stop_reason and np.isfinite(rep.target_ua)
    assert rep.options["budget"] == "default"
    if rep.stop_rule == "target":
        assert "retrain-free target" in rep.stop_reason
    # the time cap holds up to one check interval (a check is at most one step here)
    assert rep.cpu_seconds <= rep.options["time_cap_cpu"] * 1.5 + 0.05
    # explicit budgets still run exactly
    fixed = fg.unlearn(orig, pb, lam=1.5, epochs=2, random_state=0)
    assert fixed.epochs == 2 and fixed.lam == 1.5 and fixed.stop_rule == "budget"
    assert int(fixed.history["epoch"].max()) == 2


def test_default_budget_validation(digits):
    pb = fg.prepare(digits, fg.ForgetSpec(cls=3), random_state=0)
    orig = fg.train_original(pb, epochs=2, random_state=0)
    with pytest.raises(ValueError, match="lam"):
        fg.unlearn(orig, pb, lam=-1.0)
    with pytest.raises(ValueError, match="epochs"):
        fg.unlearn(orig, pb, lam=1.0, epochs=-2)


def test_collapse_margin_closed_form():
    # Agresti-Coull: 36 of 36 correct -> p~ = 38/40, SE = sqrt(p~(1-p~)/40)
    p = 38 / 40
    assert _budget.collapse_margin(1.0, 36) == pytest.approx(0.05 + 2 * np.sqrt(p * (1 - p) / 40))
    # shrinks towards the fixed 5 points as the peer set grows
    assert _budget.collapse_margin(0.98, 10_000) < _budget.collapse_margin(0.98, 200) < 0.1
    assert _budget.collapse_margin(0.98, 10**9) == pytest.approx(0.05, abs=1e-3)
