"""Held-out evaluation of a trained model: utility, leakage by estimators other than the trained one,
and group-fairness gaps. Numpy in, a flat dict of floats out (JSON-friendly, one frontier row)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import metrics as M
from .._utils import RandomState, encode_groups, seed_from

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
    """Cross-fitted logistic probe q(z | s): held-out accuracy and AUC of the attacker guessing Z from S.

    Features are the standardised S plus its squares (so a one-dimensional S whose groups differ in
    spread, not only in mean, is still caught). Each row is scored by a probe that never saw it
    (``n_splits``-fold cross-fitting). Also returns the variational lower bound on I(S; Z) in nats,
    H(Z) - CE (DESIGN.md section 3.2), clipped at 0 in ``probe_mi``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    codes, labels = encode_groups(z)
    S = np.asarray(S, dtype=float).reshape(len(codes), -1)
    F = (S - S.mean(0)) / np.where(S.std(0) > 0, S.std(0), 1.0)
    F = np.hstack([F, F**2])
    n_splits = int(max(2, min(n_splits, np.bincount(codes).min())))
    cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed_from(random_state))
    Q = cross_val_predict(LogisticRegression(max_iter=500), F, codes, cv=cv, method="predict_proba")
    pz = np.bincount(codes, minlength=labels.size) / codes.size
    h_z = float(-(pz * np.log(pz)).sum())
    ce = float(-np.mean(np.log(np.clip(Q[np.arange(codes.size), codes], 1e-12, 1.0))))
    return {
        "probe_acc": M.accuracy(codes, Q.argmax(axis=1)),
        "probe_auc": M.auc(codes, Q),
        "probe_mi": max(h_z - ce, 0.0),
    }


def knn_mi(S: np.ndarray, z: np.ndarray, *, n_neighbors: int = 3, random_state: RandomState = 0) -> float:
    """Ross (2014) k-NN estimate of I(S; Z) in nats for continuous S (any dimension) and discrete Z.

    .. math::

        \\hat I = \\psi(N) + \\psi(k) - \\langle \\psi(N_{z_i}) \\rangle - \\langle \\psi(m_i) \\rangle

    where d_i is the max-norm distance from s_i to its k-th nearest neighbour among the rows of its own
    group, N_{z_i} that group's size and m_i the number of rows of the whole sample within d_i of s_i
    (Ross, PLoS ONE 9(2) e87357, 2014; as in scikit-learn's ``_compute_mi_cd``). A tiny seeded jitter
    breaks ties. Biased towards 0 for strong dependence; raw values can be slightly negative (clipped).
    """
    from scipy.special import digamma
    from sklearn.neighbors import KDTree, NearestNeighbors

    codes, labels = encode_groups(z)
    S = np.asarray(S, dtype=float).reshape(len(codes), -1)
    scale = np.where(S.std(0) > 0, S.std(0), 1.0)
    rng = np.random.default_rng(seed_from(random_state))
    S = S / scale + 1e-10 * rng.standard_normal(S.shape)
    n = len(codes)
    radius = np.empty(n)
    k_used = np.empty(n)
    n_label = np.empty(n)
    for g in range(labels.size):
        mask = codes == g
        cnt = int(mask.sum())
        if cnt > 1:
            k = min(n_neighbors, cnt - 1)
            nn = NearestNeighbors(n_neighbors=k, metric="chebyshev").fit(S[mask])
            r = nn.kneighbors()[0]
            radius[mask] = np.nextafter(r[:, -1], 0)
            k_used[mask] = k
        n_label[mask] = cnt
    keep = n_label > 1
    if keep.sum() < 2:
        return 0.0
    tree = KDTree(S[keep], metric="chebyshev")
    m = tree.query_radius(S[keep], radius[keep], count_only=True)
    n_k = int(keep.sum())
    mi = digamma(n_k) + np.mean(digamma(k_used[keep])) - np.mean(digamma(n_label[keep])) - np.mean(digamma(m))
    return float(max(mi, 0.0))


def _registry_estimate(S: np.ndarray, z: np.ndarray, method: str, random_state: RandomState):
    """The leakage lab's estimate(S, z, method=...) when it provides ``method``, else None."""
    try:
        from .. import leakage
    except ImportError:  # pragma: no cover - the package always exists
        return None
    estimate = getattr(leakage, "estimate", None)
    names = getattr(leakage, "methods", None)
    if estimate is None:
        return None
    try:
        if callable(names) and method not in names():
            return None
        return estimate(S, z, method=method, random_state=random_state)
    except (KeyError, NotImplementedError):
        return None


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
    if "probe" in estimators:
        out.update(probe_attack(view, z, random_state=random_state))
    if "knn" in estimators:
        est = _registry_estimate(view, z, "knn", random_state)
        out["knn_mi"] = float(est.value) if est is not None else knn_mi(view, z, random_state=random_state)
    return out
