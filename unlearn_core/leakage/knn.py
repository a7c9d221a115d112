"""k-nearest-neighbour MI estimator for continuous S' and discrete Z (Ross 2014)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import digamma
from sklearn.neighbors import KDTree

from ._common import entropy_from_codes
from ._registry import MethodSpec, _Core, register


def _column_scales(X: np.ndarray) -> np.ndarray:
    """Each column's standard deviation, or its magnitude when constant (1 for a column of zeros).

    "Constant" is judged relative to the column's own magnitude, never against an absolute floor, so
    multiplying the data by any c > 0 multiplies every scale by c (features x 1e-30 or x 1e12 give the
    same estimate).
    """
    sd = X.std(axis=0)
    mag = np.abs(X).max(axis=0)
    const = sd <= 1e-12 * mag
    return np.where(const, np.where(mag > 0, mag, 1.0), sd)


def _neighbour_counts(
    X: np.ndarray, codes: np.ndarray, n_groups: int, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Radii r_i (max-norm distance to the k-th neighbour in row i's group, just below) and counts m_i.

    m_i = #{j : ||x_j - x_i||_inf <= r_i} over the whole sample (itself included). One KD-tree per group
    answers both questions: its k + 1 nearest rows (row i itself first) give r_i and the group's own part
    of m_i (every row of the group closer than the k-th neighbour is among them), and the other groups'
    trees count the rest. This counts exactly what one radius query on a tree of all n rows counts,
    with two-thirds of the tree work for K = 2 and without the all-rows tree.
    """
    n = codes.size
    radius = np.empty(n)
    m_all = np.zeros(n)
    members = [np.flatnonzero(codes == g) for g in range(n_groups)]
    trees = [KDTree(X[rows], metric="chebyshev") if rows.size else None for rows in members]
    for g, rows in enumerate(members):
        if rows.size == 0:
            continue
        dist = trees[g].query(X[rows], k=k + 1, return_distance=True, sort_results=True)[0]
        r = np.nextafter(dist[:, -1], 0)
        radius[rows] = r
        own = np.sum(dist <= r[:, None], axis=1).astype(float)
        zero = np.flatnonzero(r <= 0)  # ties at distance 0 (no jitter): the listed rows may not be all
        if zero.size:
            own[zero] = trees[g].query_radius(X[rows[zero]], r[zero], count_only=True)
        m_all[rows] += own
        for h, other in enumerate(trees):
            if h != g and other is not None:
                m_all[rows] += other.query_radius(X[rows], r, count_only=True)
    return radius, m_all


def _check_knn_options(S: np.ndarray, codes: np.ndarray, n_groups: int, k: int, jitter: float,
                       bias_exponents) -> tuple[int, float, float, np.ndarray]:
    """Step 1 of :func:`knn_mi`: k, the bias exponents and jitter are valid; (k, exponents, group counts)."""
    k = int(k)
    if k < 1:
        raise ValueError(f"k must be a positive integer, got {k}")
    if bias_exponents is None:
        bias_exponents = (min(1.0, 2.0 / S.shape[1]), float("inf"))
    a_lo, a_hi = (float(a) for a in bias_exponents)
    if not 0.0 < a_lo <= a_hi:
        raise ValueError(
            f"bias_exponents must be (low, high) with 0 < low <= high (inf allowed), got "
            f"{bias_exponents!r}; (1, 1) gives the 1/n-centred interval"
        )
    if not jitter >= 0:
        raise ValueError(f"jitter must be >= 0 (relative to each column's scale), got {jitter}")
    counts = np.bincount(codes, minlength=n_groups)
    present = counts[counts > 0]
    if k >= present.min():
        g = int(np.flatnonzero(counts == present.min())[0])
        raise ValueError(
            f"k = {k} needs more than k rows in every group, but group {g} has {int(present.min())}; "
            f"lower k below {int(present.min())} or merge rare groups (the default half-sampling interval "
            "refits on halves of each group, so k below half the smallest group keeps it valid)"
        )
    return k, a_lo, a_hi, counts


def _knn_inputs(S: np.ndarray, rng: np.random.Generator, standardize_columns: bool,
                jitter: float) -> tuple[np.ndarray, float]:
    """Step 2 of :func:`knn_mi`: warn on copied rows, z-score columns, jitter ties; (X, duplicated share)."""
    X = np.asarray(S, dtype=float)
    n = X.shape[0]
    n_distinct = np.unique(X, axis=0).shape[0]
    duplicated = 1.0 - n_distinct / n
    if 0.0 < duplicated and n_distinct > n / 2:
        # mostly distinct rows with some exact copies: a resample of continuous data, not discrete data
        warnings.warn(
            f"S has {100 * duplicated:.1f}% duplicated rows (a bootstrap resample?): the k-NN estimator "
            "counts a row's copies as its nearest neighbours and is biased upwards (+0.05 nats at "
            "I = 0.3, K = 2, d = 2 on an ordinary bootstrap resample); estimate on the distinct rows, "
            "and use the default half-sampling interval rather than resampled inputs",
            RuntimeWarning,
            stacklevel=4,  # the caller of leakage.estimate, as when this lived in knn_mi
        )
    scales = _column_scales(X)
    if standardize_columns:
        X = (X - X.mean(axis=0)) / scales
        scales = np.ones_like(scales)
    if jitter > 0:
        # Ties (one-hot columns, duplicated rows, bootstrap resamples) give zero radii; a seeded Gaussian
        # jitter of ``jitter`` times each column's scale breaks them, as scikit-learn's
        # mutual_info_classif does (there 1e-10 of each standardised feature).
        X = X + (jitter * scales) * rng.standard_normal(X.shape)
    return X, duplicated


def knn_mi(
    S: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    *,
    rng: np.random.Generator,
    k: int = 5,
    standardize_columns: bool = True,
    jitter: float = 1e-10,
    bias_exponents: tuple[float, float] | None = None,
) -> _Core:
    """Ross's k-NN estimator of I(S; Z), multivariate S, discrete Z.

    .. math::

        \\hat I = \\psi(N) - \\langle \\psi(N_{z_i}) \\rangle + \\psi(k) - \\langle \\psi(m_i) \\rangle

    where psi is the digamma function, N_{z_i} the size of row i's group, r_i the distance (max-norm)
    from s_i to its k-th nearest neighbour within its own group and m_i the number of rows of the whole
    sample strictly closer than r_i (itself included). Ross, "Mutual information between discrete and
    continuous data sets", PLoS ONE 9(2), 2014, eq. 2; the same estimator as scikit-learn's
    ``_compute_mi_cd``, here multivariate.

    Columns are z-scored first (``standardize_columns``; the estimator is not invariant to the columns'
    relative scales, MI is), and a seeded Gaussian jitter of ``jitter`` times each column's scale breaks
    ties (discrete or duplicated outputs would otherwise give zero radii). Both are relative to the
    data's own scale, so the estimate does not change when every feature is multiplied by a constant.
    ``k`` must be smaller than every group's row count (a ``ValueError`` naming ``k`` otherwise). The
    estimate is capped at H(Z), the most Z can share with anything; the uncapped mean is in the
    diagnostics (``raw_unclipped``).

    Ties: discrete outputs (one-hot columns, hard labels) are handled by the jitter, which turns each
    atom into a tiny cloud, so that the estimate approaches the plug-in MI of the discrete law (binary
    channel with I = 0.193 nats, n = 4000: 0.204). Continuous data with some exact copies (bootstrap
    resamples) is not: copies are each other's nearest neighbours and the estimate rises (0.306 -> 0.353
    at I = 0.3); a ``RuntimeWarning`` says so, and ``diagnostics["duplicated_rows"]`` gives the share.

    The neighbour counts come from one KD-tree (max-norm) per group, see :func:`_neighbour_counts`.

    The default interval refits on random halves (half-sampling) and is bias-aware: the mean shift of
    the halves, delta = mean(est_{n/2}) - est_n, measures the bias only up to its rate of decay, and the
    k-NN bias need not decay like 1/n. For smooth densities the leading bias of the k-NN
    (Kozachenko-Leonenko) entropy estimator, of which this is a difference, is of order n^(-2/d) when
    d >= 3 and typically negligible when d <= 2 (Berrett, Samworth & Yuan, "Efficient multivariate
    entropy estimation via k-nearest neighbour distances", Ann. Statist. 47(1), 2019); under
    independence it nearly cancels. So the interval is the union of the normal intervals around
    est_n - delta / (2^alpha - 1) for every alpha in ``bias_exponents`` = (min(1, 2/d), inf) by
    default, from the slowest admitted rate to no bias at all (alpha = inf, centre est_n); see
    ``_registry._bias_aware_centres``. Admitting "no bias" also matters in low dimension, where delta
    is mostly noise (its sampling SD is a third to a half of the estimator's): centring on
    est_n - delta alone covered the truth in only 0.78 of repeats on independent data (K = 4, d = 2).
    In 10-D the interval is 1.7-2.4x as wide as the 1/n-centred one and covers the truth where that
    one did not (benchmarks/results/leakage.md). ``bias_exponents=(1, 1)`` restores the 1/n-centred
    interval; ``interval="rows"`` in :func:`estimate` resamples the stored per-row terms instead (about
    50x faster, but the terms of neighbouring rows are correlated and the interval ignores the bias).

    Notes
    -----
    Nearly unbiased for smooth densities in low dimension; the bias grows with d (the k-NN ball is
    large in 10-D) and is downwards for strong dependence: -0.025 (K = 2) to -0.033 (K = 4) nats at
    I = 0.3, d = 10, n = 2000, more than its standard deviation. The bias-aware interval still covers
    the truth there, at the price of width (0.07-0.14 nats at n = 2000, where the n^(-2/d) worst case
    over-states the bias); the point estimate stays biased. Do not use it as the only estimator when
    d approaches 10 or more (it degrades towards 0 and slows down): use ``probe`` there, which met
    every goal of the benchmark with a narrower interval. Do not use it on outputs with atoms (hard
    labels, clipped probabilities) beyond the tie-breaking jitter: the estimate then reflects the
    jitter, not the data. Larger ``k`` lowers variance and raises bias.
    """
    k, a_lo, a_hi, counts = _check_knn_options(S, codes, n_groups, k, jitter, bias_exponents)
    n = codes.size
    X, duplicated = _knn_inputs(S, rng, standardize_columns, jitter)
    radius, m_all = _neighbour_counts(X, codes, n_groups, k)
    m_all = np.maximum(m_all, 1.0)
    terms = digamma(n) + digamma(k) - digamma(counts[codes]) - digamma(m_all)
    h_z = entropy_from_codes(codes, n_groups)
    raw_unclipped = float(terms.mean())
    # I(S; Z) <= H(Z): a larger value is estimator error (ties, small groups), never information.
    raw = min(raw_unclipped, h_z)

    def boot_stat(idx: np.ndarray) -> float:
        return min(float(terms[idx].mean()), h_z)

    diagnostics = {"k": k, "standardized": standardize_columns, "raw_unclipped": raw_unclipped, "H(Z)": h_z,
                   "clipped_at_H(Z)": raw_unclipped > h_z, "duplicated_rows": duplicated}
    return _Core(raw=raw, diagnostics=diagnostics, boot_stat=boot_stat, bias_exponents=(a_lo, a_hi))


register(
    MethodSpec(
        name="knn",
        title="k-nearest neighbours (Ross 2014)",
        is_mi=True,
        input="continuous",
        differentiable=False,
        unit="nats",
        bias="Nearly unbiased in low dimension; downwards for strong dependence and in higher dimension.",
        when_to_use=(
            "Default non-parametric MI for continuous outputs in up to about 10 dimensions, any shape of "
            "group laws. Not for discrete or heavily tied outputs."
        ),
        bootstrap="refit",
        fn=knn_mi,
    )
)
