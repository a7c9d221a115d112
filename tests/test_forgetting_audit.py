"""The per-example (LiRA-style) membership audit of forgetting._audit: closed forms and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from unlearn_core.forgetting import _audit


def test_logit_confidence_matches_log_odds_and_survives_saturation():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(50, 4))
    y = rng.integers(0, 4, 50)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    py = p[np.arange(50), y]
    np.testing.assert_allclose(_audit.logit_confidence(z, y), np.log(py / (1 - py)), rtol=1e-10)
    # logits 60 apart: float softmax rounds p_y to 1, the logit-scaled confidence still orders them
    big = np.array([[60.0, 0.0], [80.0, 0.0]])
    phi = _audit.logit_confidence(big, np.array([0, 0]))
    assert phi[1] > phi[0] > 50


def _bank(phi_in: float, phi_out: float, k: int = 8, n_f: int = 20, n_p: int = 20, sd: float = 0.5):
    rng = np.random.default_rng(1)
    n = n_f + n_p
    member = np.zeros((k, n), dtype=bool)
    member[: k // 2] = True
    phi = np.where(member, phi_in, phi_out) + sd * rng.normal(size=(k, n))
    rows = pd.DataFrame({"split": ["forget"] * n_f + ["peer"] * n_p, "index": np.arange(n),
                         "label": np.zeros(n, dtype=int)})
    return _audit.ShadowBank(phi=phi, member=member, rows=rows, seconds=0.0)


def _logits_for(phi: np.ndarray) -> np.ndarray:
    # two classes, label 0: phi = z0 - z1
    return np.c_[phi, np.zeros_like(phi)]


def test_lira_separates_a_memorising_target_and_not_an_unseen_one():
    bank = _bank(4.0, -4.0)
    mem = _audit.lira_scores(bank, _logits_for(np.r_[np.full(20, 4.0), np.full(20, -4.0)]))
    assert mem[:20].min() > 0 > mem[20:].max()  # Lambda > 0 where phi sits on the "in" mean
    auc, lo, hi = _audit.bootstrap_auc(mem[:20], mem[20:], n_boot=50)
    assert auc == pytest.approx(1.0) and lo == pytest.approx(1.0)
    rng = np.random.default_rng(2)
    unseen = _audit.lira_scores(bank, _logits_for(-4.0 + rng.normal(size=40)))
    auc2, lo2, hi2 = _audit.bootstrap_auc(unseen[:20], unseen[20:], n_boot=200)
    assert lo2 <= 0.5 <= hi2 and lo2 < auc2 < hi2


def test_equal_in_and_out_give_no_signal():
    bank = _bank(1.0, 1.0, sd=0.0)
    s = _audit.lira_scores(bank, _logits_for(np.linspace(-3, 3, 40)))
    np.testing.assert_allclose(s, 0.0, atol=1e-6)


def test_stats_need_in_and_out_shadows():
    bank = _bank(1.0, -1.0)
    bad = _audit.ShadowBank(phi=bank.phi, member=np.ones_like(bank.member), rows=bank.rows, seconds=0.0)
    with pytest.raises(ValueError, match="shadows"):
        bad.stats()


def test_shadows_are_balanced_and_audit_runs_on_a_tiny_problem():
    from unlearn_core import datasets
    from unlearn_core import forgetting as fg

    ds = datasets.load("digits", n_samples=300, random_state=0)
    pb = fg.prepare(ds, fg.ForgetSpec(cls=3), random_state=0)
    with pytest.raises(ValueError, match="n_shadows"):
        _audit.train_shadows(pb, n_shadows=3)
    bank = _audit.train_shadows(pb, n_shadows=4, epochs=2, random_state=0)
    assert (bank.member.sum(0) == 2).all() and bank.phi.shape == (4, len(bank.rows))
    orig = fg.train_original(pb, epochs=2, random_state=0)
    res = _audit.audit(pb, bank, {"original": orig.model()}, n_boot=20)
    row = res.summary.iloc[0]
    assert 0.0 <= row.lira_lo <= row.lira_auc <= row.lira_hi <= 1.0 and 0.0 <= row.vulnerable <= 1.0
    assert list(res.scores.columns[-1:]) == ["original"] and torch.get_num_threads() >= 1
