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
    sums = np.bincount(codes, weights=values, minlength=labels.size)
    return sums / np.bincount(codes, minlength=labels.size)


def demographic_parity_gap(scores: np.ndarray, z: np.ndarray) -> float:
    """The mean-score parity gap max_{a,b} |v_a - v_b|, v_z the mean score in group z.

    .. math::

        \\Delta_{\\mathrm{score}} = \\max_z \\bar s_z - \\min_z \\bar s_z, \\qquad
        \\bar s_z = \\frac{1}{n_z} \\sum_{i : z_i = z} s_i

    where s_i is a predicted probability (or a regression prediction). This is *not* Fairlearn's
    demographic-parity difference, which compares the rates of positive *decisions*: see
    :func:`selection_rate_gap`. A model can have a small mean-score gap and a larger selection-rate gap
    (scores that differ near the threshold) or the reverse.
    """
    v = group_means(scores, z)
    return float(v.max() - v.min())


def selection_rate_gap(y_pred: np.ndarray, z: np.ndarray, *, pos_label: object = 1) -> float:
    """Demographic parity as Fairlearn defines it: the largest gap in selection rate between groups.

    .. math::

        \\Delta_{\\mathrm{rate}} = \\max_{a, b} \\left| P(\\hat y = 1 \\mid Z = a)
        - P(\\hat y = 1 \\mid Z = b) \\right|

    where y_hat are hard decisions (``pos_label`` marks the positive one) and the probabilities are the
    groups' empirical rates: ``fairlearn.metrics.demographic_parity_difference(y_true, y_pred,
    sensitive_features=z)`` (Agarwal et al., "A reductions approach to fair classification", ICML 2018).
    For a classifier's probabilities, pass the decisions (e.g. ``proba[:, 1] >= 0.5`` or the argmax).
    """
    y_pred = np.asarray(y_pred)
    if y_pred.ndim != 1:
        raise ValueError(
            f"y_pred must be 1-D hard decisions, got shape {y_pred.shape}; threshold scores first"
        )
    if y_pred.shape[0] != np.asarray(z).shape[0]:
        raise ValueError(f"y_pred has {y_pred.shape[0]} rows but z has {np.asarray(z).shape[0]}")
    return demographic_parity_gap((y_pred == pos_label).astype(float), z)


def parity_gaps(proba: np.ndarray, z: np.ndarray) -> dict[str, float]:
    """Both demographic-parity gaps of a classifier from its (n, C) class probabilities.

    ``dp_gap_rate`` is :func:`selection_rate_gap` of the argmax decisions (Fairlearn's definition) and
    ``dp_gap_score`` is :func:`demographic_parity_gap` of the probabilities, each for class 1 when C = 2
    and the largest over classes when C > 2.
    """
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2 or proba.shape[1] < 2:
        raise ValueError(f"proba must be (n_samples, n_classes >= 2) probabilities, got shape {proba.shape}")
    decisions = proba.argmax(axis=1)
    cols = [1] if proba.shape[1] == 2 else range(proba.shape[1])
    return {
        "dp_gap_rate": max(selection_rate_gap(decisions, z, pos_label=c) for c in cols),
        "dp_gap_score": max(demographic_parity_gap(proba[:, c], z) for c in cols),
    }


def discrimination_ratio(scores: np.ndarray, z: np.ndarray) -> float:
    """The authors' discrimination: max over group pairs of |1 - v_a / v_b|, v_z the group mean score.

    This is max_z v_z / min_z v_z - 1 for positive scores (docs/design.md section 4). Infinite when a group's
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
