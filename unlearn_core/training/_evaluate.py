"""Held-out evaluation of a trained model: utility, leakage by estimators other than the trained one,
and group-fairness gaps. Numpy in, a flat dict of floats out (JSON-friendly, one frontier row)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import metrics as M
from .._utils import RandomState, seed_from

EVAL_ESTIMATORS = ("probe", "knn")
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
    from ..leakage import estimate

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


def knn_mi(S: np.ndarray, z: np.ndarray, *, n_neighbors: int = 5, random_state: RandomState = 0) -> float:
    """Ross (2014) k-NN estimate of I(S; Z) in nats for continuous S and discrete Z, clipped at 0.

    The leakage lab's ``leakage.estimate(S, z, method="knn", k=n_neighbors)``: z-scored columns, a
    seeded tie-breaking jitter, max-norm neighbourhoods (Ross, PLoS ONE 9(2) e87357, 2014, eq. 2).
    Nearly unbiased in low dimension, which is why it is applied to the logit of a binary classifier
    (one column) rather than to saturated probabilities.
    """
    from ..leakage import estimate

    return float(estimate(S, z, method="knn", k=int(n_neighbors), random_state=seed_from(random_state)).value)


def evaluate(
    outputs: np.ndarray,
    y: np.ndarray,
    z: np.ndarray,
    *,
    task: str = "classification",
    estimators: Sequence[str] = EVAL_ESTIMATORS,
    random_state: RandomState = 0,
) -> dict[str, float]:
    """Held-out utility, leakage and fairness of model outputs S' (DESIGN.md sections 3.2-3.3, 4).

    Parameters
    ----------
    outputs : S', (n, C) class probabilities or (n,) / (n, 1) regression predictions.
    y : true targets: class codes 0..C-1 matching the output columns, or real values.
    z : labels of the forgotten attribute.
    task : "classification" or "regression".
    estimators : leakage evaluators to run on the :func:`attack_view` of S': "probe" (cross-fitted
        attacker: ``probe_acc``, ``probe_auc``, ``probe_mi``) and/or "knn" (``knn_mi``, nats). They
        should differ from the estimator trained against, which a model can learn to fool.
    random_state : seeds the probe's folds and the k-NN jitter.

    Returns
    -------
    dict with ``accuracy``, ``auc`` (one-vs-rest macro for C > 2), ``majority`` (the majority-class
    rate to beat) or ``mse``, ``r2``; ``dp_gap`` (max over classes and group pairs of the gap in mean
    predicted probability; for regression the gap in mean prediction), ``discrimination`` (max_z v_z /
    min_z v_z - 1 with v_z the group mean of P(class 1); the worst class for C > 2; NaN for regression),
    ``ks_gap`` (regression), ``softmax_mi`` (the paper's plug-in estimate on the held-out rows,
    classification), and the leakage columns above (NaN when an estimator is not requested).
    """
    from ..leakage.softmax import softmax_averaging_mi

    z = np.asarray(z)
    out: dict[str, float] = {}
    S = np.asarray(outputs, dtype=float)
    if task == "classification":
        y = np.asarray(y)
        out["accuracy"] = M.accuracy(y, S.argmax(axis=1))
        out["auc"] = M.auc(y, S)
        out["majority"] = float(np.bincount(y.astype(int)).max() / y.size)
        cols = [1] if S.shape[1] == 2 else range(S.shape[1])
        out["dp_gap"] = max(M.demographic_parity_gap(S[:, c], z) for c in cols)
        out["discrimination"] = max(M.discrimination_ratio(S[:, c], z) for c in cols)
        out["softmax_mi"] = softmax_averaging_mi(S, z)
    else:
        pred = S.reshape(-1)
        out["mse"] = M.mse(y, pred)
        out["r2"] = M.r2(y, pred)
        out["dp_gap"] = M.demographic_parity_gap(pred, z)
        out["discrimination"] = float("nan")
        out["ks_gap"] = M.ks_gap(pred, z)
    view = attack_view(S, task)
    for col in ("probe_acc", "probe_auc", "probe_mi", "knn_mi"):
        out[col] = float("nan")
    unknown = set(estimators) - set(EVAL_ESTIMATORS)
    if unknown:
        raise ValueError(f"unknown evaluation estimators {sorted(unknown)}; choose from {EVAL_ESTIMATORS}")
    # Too few held-out rows per group for cross-fitting (or k-NN) leave NaN rather than an exception:
    # the utility and fairness columns are still worth showing.
    if "probe" in estimators:
        try:
            out.update(probe_attack(view, z, random_state=random_state))
        except ValueError:
            pass
    if "knn" in estimators:
        try:
            out["knn_mi"] = knn_mi(view, z, random_state=random_state)
        except ValueError:
            pass
    return out
