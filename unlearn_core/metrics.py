"""Utility and group-fairness metrics shared by the frontiers, training and the audit.

All functions take numpy arrays and return plain floats, so results stay JSON-friendly.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn import metrics as skm

from ._utils import encode_groups


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def auc(y_true: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC: binary (scores = P(class 1), or (n, 2) probabilities) or one-vs-rest macro for (n, C).

    Returns NaN when only one class is present (AUC is undefined there).
    """
    y_true = np.asarray(y_true)
    scores = np.asarray(scores, dtype=float)
    classes = np.unique(y_true)
    if classes.size < 2:
        return float("nan")
    if scores.ndim == 2 and scores.shape[1] == 2:
        scores = scores[:, 1]
    if scores.ndim == 1:
        return float(skm.roc_auc_score(y_true, scores))
    return float(skm.roc_auc_score(y_true, scores, multi_class="ovr", labels=np.arange(scores.shape[1])))


def group_means(values: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Mean of ``values`` within each group of ``z`` (groups in sorted order)."""
    codes, labels = encode_groups(z)
    values = np.asarray(values, dtype=float)
    return np.bincount(codes, weights=values, minlength=labels.size) / np.bincount(codes, minlength=labels.size)


def demographic_parity_gap(scores: np.ndarray, z: np.ndarray) -> float:
    """max_{a,b} |v_a - v_b| with v_z the mean score (predicted probability or decision) in group z."""
    v = group_means(scores, z)
    return float(v.max() - v.min())


def discrimination_ratio(scores: np.ndarray, z: np.ndarray) -> float:
    """The authors' discrimination: max over group pairs of |1 - v_a / v_b|, v_z the group mean score.

    This is max_z v_z / min_z v_z - 1 for positive scores (DESIGN.md section 4). Infinite when a group's
    mean score is 0.
    """
    v = group_means(scores, z)
    if v.min() <= 0:
        return float("inf")
    return float(v.max() / v.min() - 1.0)


def ks_gap(values: np.ndarray, z: np.ndarray) -> float:
    """Largest two-sample Kolmogorov-Smirnov statistic between any two groups' values (regression)."""
    codes, labels = encode_groups(z)
    values = np.asarray(values, dtype=float)
    best = 0.0
    for a in range(labels.size):
        for b in range(a + 1, labels.size):
            best = max(best, float(stats.ks_2samp(values[codes == a], values[codes == b]).statistic))
    return best


def mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean((np.asarray(y_true, float) - np.asarray(y_pred, float)) ** 2))


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(skm.r2_score(y_true, y_pred))
