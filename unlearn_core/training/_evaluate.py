"""Held-out evaluation of a trained model: utility, leakage by estimators other than the trained one,
and group-fairness gaps. Numpy in, a flat dict of floats out (JSON-friendly, one frontier row)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import metrics as M
from .._utils import RandomState, seed_from
from ..leakage.outputs import attack_view, probe_attack

EVAL_ESTIMATORS = ("probe", "knn")



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
    """Held-out utility, leakage and fairness of model outputs S' (docs/design.md sections 3.2-3.3, 4).

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
