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


def probe_attack(S: np.ndarray, z: np.ndarray, *, n_splits: int = 5, random_state: RandomState = 0) -> dict[str, float]:
    """Cross-fitted logistic probe q(z | s): held-out accuracy and AUC of an attacker guessing Z from S.

    Runs the leakage lab's ``leakage.estimate(F, z, method="probe")`` (``n_splits``-fold cross-fitting,
    every row scored by a probe that never saw it) on F = [S, S**2] (columns z-scored by the probe):
    the squares let a linear probe catch groups whose outputs differ in spread, not only in mean, which
    is exactly what a first-moment regulariser such as softmax averaging leaves behind. Returns
    ``probe_acc``, ``probe_auc`` (one-vs-rest macro for K > 2) and ``probe_mi``, the variational lower
    bound H(Z) - CE on I(S; Z) in nats (DESIGN.md section 3.2), clipped at 0.
    """
    from ._registry import estimate

    S = np.asarray(S, dtype=float).reshape(len(np.asarray(z)), -1)
    mu, sd = S.mean(0), S.std(0)
    F = (S - mu) / np.where(sd > 0, sd, 1.0)
    est = estimate(np.hstack([F, F**2]), z, method="probe", model="logistic", n_folds=n_splits,
                   random_state=seed_from(random_state))
    return {
        "probe_acc": float(est.diagnostics["accuracy"]),
        "probe_auc": float(est.diagnostics["auc"]),
        "probe_mi": float(est.value),
    }



__all__ = ["attack_view", "probe_attack"]
