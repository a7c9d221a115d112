"""Leakage of a model's outputs: the view an attacker gets of S' and the held-out probe attack on it.

Shared by the trained frontier (attacks on a torch model's outputs) and the analytic frontier (attacks
on the downstream model trained on X_t), so both put the same attacker on the same kind of outcome and
one chart can compare them.
"""

from __future__ import annotations

import numpy as np

from .._utils import RandomState, seed_from

_LOGIT_CLIP = 1e-6


def attack_view(outputs: np.ndarray, task: str) -> np.ndarray:
    """What an attacker of S' is given, as an (n, q) real array (a bijection of S', so I is unchanged).

    Binary classification: the logit log(p1 / p0) (n, 1); more classes: centred log-probabilities
    (n, C); regression: the prediction (n, 1). Logits spread saturated probabilities out, which helps
    both the linear probe and the k-NN estimator (ties at p = 0 or 1 would otherwise collapse).
    """
    S = np.asarray(outputs, dtype=float)
    if task == "regression":
        return S.reshape(len(S), -1)
    P = np.clip(S, _LOGIT_CLIP, 1.0)
    if P.shape[1] == 2:
        return (np.log(P[:, 1]) - np.log(P[:, 0]))[:, None]
    L = np.log(P)
    return L - L.mean(axis=1, keepdims=True)


def probe_attack(
    S: np.ndarray, z: np.ndarray, *, n_splits: int = 3, random_state: RandomState = 0
) -> dict[str, float]:
    """The project's attacker (:func:`unlearn_core.leakage.attacker.attack`) on an outcome's attack view.

    Cross-fitted gradient boosting guessing Z from S (every row scored by a model that never saw it):
    the same attacker the analytic frontier, the leakage lab and the certificate use, so analytic and
    trained frontiers share one leakage axis. Returns ``probe_acc``, ``probe_auc`` (one-vs-rest macro for
    K > 2; the keys keep their historical names), ``probe_auc_lo`` / ``probe_auc_hi`` (95% interval) and
    ``probe_mi``, the lower bound H(Z) - CE on I(S; Z) in nats, clipped to [0, H(Z)].
    """
    from .attacker import attack

    S = np.asarray(S, dtype=float).reshape(len(np.asarray(z)), -1)
    res = attack(S, z, n_folds=n_splits, random_state=seed_from(random_state))
    return {
        "probe_acc": res.accuracy,
        "probe_auc": res.auc,
        "probe_auc_lo": res.auc_ci[0],
        "probe_auc_hi": res.auc_ci[1],
        "probe_mi": res.mi_lower,
    }


__all__ = ["attack_view", "probe_attack"]
