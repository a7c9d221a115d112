"""k-nearest-neighbour MI estimator for continuous S' and discrete Z (Ross 2014)."""

from __future__ import annotations

import numpy as np
from scipy.special import digamma
from sklearn.neighbors import KDTree, NearestNeighbors

from ._common import standardize
from ._registry import MethodSpec, _Core, register


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

    Columns are z-scored first (``standardize_columns``; the estimator is not scale invariant, MI is),
    and a Gaussian jitter of relative size ``jitter`` drawn from ``rng`` breaks ties (discrete or
    duplicated outputs would otherwise give zero radii).

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
    X = standardize(S) if standardize_columns else S.copy()
    if jitter > 0:
        X = X + jitter * max(float(np.abs(X).max()), 1.0) * rng.standard_normal(X.shape)
    n = codes.size
    counts = np.bincount(codes, minlength=n_groups)
    radius = np.empty(n)
    k_all = np.empty(n)
    for g in range(n_groups):
        mask = codes == g
        kg = min(k, int(counts[g]) - 1)
        nn = NearestNeighbors(n_neighbors=kg, metric="chebyshev").fit(X[mask])
        dist = nn.kneighbors()[0]
        radius[mask] = np.nextafter(dist[:, -1], 0)
        k_all[mask] = kg
    tree = KDTree(X, metric="chebyshev")
    m_all = tree.query_radius(X, radius, count_only=True, return_distance=False).astype(float)
    m_all = np.maximum(m_all, 1.0)
    terms = digamma(n) + digamma(k_all) - digamma(counts[codes]) - digamma(m_all)
    raw = float(terms.mean())

    def boot_stat(idx: np.ndarray) -> float:
        return float(terms[idx].mean())

    return _Core(raw=raw, diagnostics={"k": k, "standardized": standardize_columns}, boot_stat=boot_stat,
                 bias_exponents=(a_lo, a_hi))


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
