"""A per-example membership audit calibrated with shadow models (LiRA / U-LiRA style).

Population threshold attacks (``UnlearnReport.mia_loss_auc``) put one threshold on the loss of every
row; they miss memorisation of rows that are hard or easy for every model, and so overstate privacy
(Hayes et al., SaTML 2025). The likelihood-ratio attack (Carlini et al., S&P 2022) calibrates each row
separately: train K shadow models, each on a random half of a pool that contains the candidate rows, and
fit, per row x, the distribution of the logit-scaled confidence

.. math::

    \\phi(x) = \\log \\frac{p_y(x)}{1 - p_y(x)}

over the shadows that trained on x ("in") and those that did not ("out"). A target model's score for x
is the log likelihood ratio

.. math::

    \\Lambda(x) = \\log \\mathcal N(\\phi(x); \\mu_{in}(x), \\sigma_{in}^2)
                 - \\log \\mathcal N(\\phi(x); \\mu_{out}(x), \\sigma_{out}^2)

with per-row means and, as in LiRA's fixed-variance variant (robust with few shadows), one pooled
variance per side. U-LiRA (Hayes et al.) asks the same question of an unlearned model: are the forget
rows' scores distinguishable from those of rows it never saw? The audit reports, per model, Λ on the
forget set and on held-out peers of the same classes, the AUC of Λ separating the two (0.5: no
membership signal) with a bootstrap interval, next to the population loss attack's AUC on the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from .._utils import RandomState, seed_from
from ..models import make_model, predict_outputs, torch_generator
from ._problem import ForgetProblem
from ._report import _attack, membership_scores
from ._train import fit_plain, single_thread

#: Default number of shadow models (each row is "in" for about half of them).
DEFAULT_SHADOWS = 16


def logit_confidence(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """phi = log(p_y / (1 - p_y)) from the logits z, computed as z_y - logsumexp_{j != y} z_j.

    From the logits, not the softmax: a confident MLP's float32 softmax rounds p_y to exactly 1 on
    most training *and* test rows, and the ties erase the membership signal (the population loss
    attack on probabilities suffers from this; see the module docstring).
    """
    z = np.asarray(logits, dtype=np.float64)
    zy = z[np.arange(len(y)), y]
    other = z.copy()
    other[np.arange(len(y)), y] = -np.inf
    m = other.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(other - m).sum(axis=1))
    return zy - lse


def model_logits(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """The model's raw outputs (logits) on X as float64 numpy."""
    was = model.training
    model.eval()
    with torch.no_grad():
        out = model(torch.as_tensor(np.asarray(X), dtype=torch.float32)).double().numpy()
    model.train(was)
    return out


@dataclass(frozen=True, eq=False)
class ShadowBank:
    """K shadow models' phi on the audited rows and which shadows trained on each row.

    ``phi`` is (K, n) over the audited rows (the forget set, then the held-out peers); ``member`` the
    (K, n) boolean "shadow k trained on row i"; ``rows`` a frame naming each audited row (``split``:
    forget / peer, ``index`` in X_train / X_test, ``label``).
    """

    phi: np.ndarray
    member: np.ndarray
    rows: pd.DataFrame
    seconds: float

    def stats(self) -> tuple[np.ndarray, np.ndarray, float, float]:
        """(mu_in, mu_out, sd_in, sd_out): per-row means, pooled SDs (fixed-variance LiRA)."""
        m = self.member
        n_in, n_out = m.sum(0), (~m).sum(0)
        if (n_in == 0).any() or (n_out == 0).any():
            raise ValueError("every audited row needs shadows with and without it; add shadows")
        mu_in = np.where(m, self.phi, 0.0).sum(0) / n_in
        mu_out = np.where(~m, self.phi, 0.0).sum(0) / n_out
        r_in = (self.phi - mu_in)[m]
        r_out = (self.phi - mu_out)[~m]
        sd_in = float(max(np.sqrt(np.mean(r_in**2)), 1e-3))
        sd_out = float(max(np.sqrt(np.mean(r_out**2)), 1e-3))
        return mu_in, mu_out, sd_in, sd_out


def train_shadows(
    problem: ForgetProblem, *, n_shadows: int = DEFAULT_SHADOWS, hidden: tuple[int, ...] = (128, 64),
    epochs: int = 30, batch_size: int = 64, lr: float = 1e-3, random_state: RandomState = 0,
    progress=None, executor: Executor | None = None,
) -> ShadowBank:
    """Train ``n_shadows`` MLPs, each on a random half of the pool D_train + D_test (seeded).

    The pool holds every row of the problem; row i is in shadow k's half with probability 1/2,
    balanced so that each row is in exactly half of the shadows (``n_shadows`` even). Shadows use the
    original model's architecture and schedule (the attack must imitate how the target was trained).
    Shadow s is seeded ``seed + 1000 + s`` (weights) and ``seed + 2000 + s`` (batches), so ``executor``
    (a ``concurrent.futures.Executor``, :mod:`unlearn_core.parallel`) trains them concurrently and gives
    the same bank as the serial loop; the pool goes to the workers once.
    """
    if int(n_shadows) < 2 or int(n_shadows) % 2:
        raise ValueError(f"n_shadows must be an even number >= 2, got {n_shadows}")
    seed = seed_from(random_state)
    rng = np.random.default_rng(seed)
    X = np.vstack([problem.X_train, problem.X_test])
    y = np.r_[problem.y_train, problem.y_test]
    n, k = len(X), int(n_shadows)
    # each row in exactly k/2 shadows: a random half of the shadows per row
    member_all = np.zeros((k, n), dtype=bool)
    for i in range(n):
        member_all[rng.choice(k, size=k // 2, replace=False), i] = True
    peers = np.asarray(problem.peer_idx if problem.peer_idx is not None else np.arange(len(problem.y_test)))
    audit = np.r_[problem.forget_idx, len(problem.y_train) + peers]
    import time

    t0 = time.perf_counter()
    spec = (problem.n_features, problem.n_classes, tuple(hidden), int(epochs), int(batch_size), lr, seed)
    if executor is None:
        phi = np.empty((k, audit.size))
        with single_thread():
            for s in range(k):
                phi[s] = _shadow_phi(X, y, member_all[s], audit, s, spec)
                if progress is not None:
                    progress(s + 1, k, {"shadow": s + 1})
    else:
        from ..parallel import Task, map_tasks

        tasks = [Task(id=f"shadow={s}", index=s, seed=seed + 1000 + s, payload=s) for s in range(k)]
        sub = None if progress is None else (lambda d, n, m: progress(d, n, {"shadow": d}))
        out = map_tasks(_shadow_task, tasks, executor, sub, shared=(X, y, member_all, audit, spec))
        phi = np.vstack(out)
    rows = pd.DataFrame({
        "split": ["forget"] * problem.forget_idx.size + ["peer"] * peers.size,
        "index": np.r_[problem.forget_idx, peers],
        "label": y[audit],
    })
    return ShadowBank(phi=phi, member=member_all[:, audit], rows=rows, seconds=time.perf_counter() - t0)


def _shadow_phi(X: np.ndarray, y: np.ndarray, member: np.ndarray, audit: np.ndarray, s: int,
                spec: tuple) -> np.ndarray:
    """Train shadow ``s`` on the rows ``member`` marks and return phi on the audited rows."""
    n_features, n_classes, hidden, epochs, batch_size, lr, seed = spec
    idx = np.flatnonzero(member)
    model = make_model("mlp", n_features, n_classes, hidden=hidden, random_state=seed + 1000 + s)
    fit_plain(model, X[idx], y[idx], epochs=epochs, batch_size=batch_size, lr=lr,
              gen=torch_generator(seed + 2000 + s))
    return logit_confidence(model_logits(model, X[audit]), y[audit])


def _shadow_task(task, shared) -> np.ndarray:
    X, y, member_all, audit, spec = shared
    return _shadow_phi(X, y, member_all[task.payload], audit, task.payload, spec)


def lira_scores(bank: ShadowBank, logits: np.ndarray) -> np.ndarray:
    """Lambda per audited row (forget rows, then peers) of a target model given its logits there."""
    y = bank.rows["label"].to_numpy()
    phi = logit_confidence(logits, y)
    mu_in, mu_out, sd_in, sd_out = bank.stats()
    return (-0.5 * ((phi - mu_in) / sd_in) ** 2 - np.log(sd_in)
            + 0.5 * ((phi - mu_out) / sd_out) ** 2 + np.log(sd_out))


def _auc(members: np.ndarray, nonmembers: np.ndarray) -> float:
    return _attack(members, nonmembers, np.ones(len(nonmembers)))[0]


def bootstrap_auc(members: np.ndarray, nonmembers: np.ndarray, *, n_boot: int = 200,
                  random_state: RandomState = 0) -> tuple[float, float, float]:
    """(AUC, 2.5% and 97.5% percentiles over ``n_boot`` resamples of both groups)."""
    rng = np.random.default_rng(seed_from(random_state))
    auc = _auc(members, nonmembers)
    boots = [_auc(rng.choice(members, members.size), rng.choice(nonmembers, nonmembers.size))
             for _ in range(int(n_boot))]
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return auc, float(lo), float(hi)


@dataclass(frozen=True, eq=False)
class AuditResult:
    """Per-example scores and the summary table of a membership audit over several models."""

    scores: pd.DataFrame   # one row per audited row: split, index, label, then one column per model
    summary: pd.DataFrame  # one row per model: lira_auc (+ interval), population_auc, share flagged


def audit(problem: ForgetProblem, bank: ShadowBank, models: Mapping[str, nn.Module],
          *, n_boot: int = 200, random_state: RandomState = 0) -> AuditResult:
    """Per-example LiRA scores of each model on the forget set and the held-out peers.

    ``models`` maps a name to a torch module. Summary columns: ``lira_auc`` with ``lira_lo`` /
    ``lira_hi`` (bootstrap 95%), the
    population loss attack's ``population_auc`` on the same rows (labelled the cheap option), and
    ``vulnerable``: the share of forget rows whose Lambda exceeds the 95th percentile of the peers'
    (a per-example false-positive rate of 5%).
    """
    peers = bank.rows.loc[bank.rows["split"] == "peer", "index"].to_numpy()
    is_f = (bank.rows["split"] == "forget").to_numpy()
    y = bank.rows["label"].to_numpy()
    scores = bank.rows.copy()
    out = []
    for name, m in models.items():
        with single_thread():
            Z = model_logits(m, np.vstack([problem.X_forget, problem.X_test[peers]]))
            P = predict_outputs(m, np.vstack([problem.X_forget, problem.X_test[peers]]))
        lam = lira_scores(bank, Z)
        scores[name] = lam
        auc, lo, hi = bootstrap_auc(lam[is_f], lam[~is_f], n_boot=n_boot, random_state=random_state)
        neg_loss = membership_scores(P, y)[0]
        pop = _auc(neg_loss[is_f], neg_loss[~is_f])
        thr = np.percentile(lam[~is_f], 95)
        out.append(dict(model=name, lira_auc=auc, lira_lo=lo, lira_hi=hi, population_auc=pop,
                        vulnerable=float(np.mean(lam[is_f] > thr))))
    return AuditResult(scores=scores, summary=pd.DataFrame(out))
