"""Exact 1-D quantile barycenter of each feature (marginal repair), any law, ties handled.

docs/design.md section 3.1 ("1-D, any law"): for one feature with group quantile functions F_z^{-1},

.. math::

    \\bar F^{-1}(u) = \\sum_z w_z F_z^{-1}(u), \\qquad T_z = \\bar F^{-1} \\circ F_z,

applied to every feature separately. Each feature's distribution becomes equal across groups; the
dependence between features (and so some information about Z) may remain.

Empirical quantile functions are the left-continuous inverses F_z^{-1}(u) = x_z(ceil(u n_z)) of the
sorted group samples. An atom shared by several rows (a tie: discrete and one-hot columns) covers an
interval of levels (F_z(x-), F_z(x)]; with ``ties="random"`` each row gets a level drawn uniformly in
that interval (the randomised probability integral transform, reproducible from ``random_state``), which
makes T_z(X | Z = z) follow the barycenter law exactly; ``ties="mid"`` uses the interval's centre instead
(deterministic, equal marginals only approximately on discrete columns). Points between two fitted atoms
get a level interpolated linearly between the atoms' centres; points beyond the fitted range are shifted
by the same amount as the extreme atom (translation extrapolation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._utils import seed_from


def _quantile_index(u: np.ndarray, n: int) -> np.ndarray:
    # Index of the left-continuous inverse CDF x_(ceil(u n)) (0-based), robust to rounding at u = i/n.
    return np.clip(np.ceil(u * n - 1e-8).astype(np.int64) - 1, 0, n - 1)


def _bar_quantile(u: np.ndarray, sorted_cols: list[np.ndarray], weights: np.ndarray, j: int) -> np.ndarray:
    """Barycenter quantile function of feature j at levels u: sum_z w_z F_z^{-1}(u)."""
    out = np.zeros_like(u, dtype=float)
    for s, w in zip(sorted_cols, weights, strict=True):
        if w > 0:
            out += w * s[_quantile_index(u, s.shape[0]), j]
    return out


def _bar_levels(sizes: list[int], weights: np.ndarray) -> np.ndarray:
    # Breakpoints of the barycenter quantile function: union of {i / n_z} over groups with w_z > 0.
    parts = [np.arange(1, n + 1) / n for n, w in zip(sizes, weights, strict=True) if w > 0]
    return np.unique(np.concatenate(parts))


def w2_1d_sorted(levels: np.ndarray, q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Sum over pieces of du * (q1 - q2)^2 for quantile values q (L, d) on right endpoints ``levels``."""
    du = np.diff(np.r_[0.0, levels])
    return du @ (q1 - q2) ** 2


@dataclass(frozen=True)
class _MarginalMapper:
    sorted_cols: list[np.ndarray]  # per group, (n_z, d) each column sorted
    weights: np.ndarray
    ties: str
    seed: int

    def _levels_for(
        self, x: np.ndarray, s: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Levels u in (0, 1] of values x in a group whose sorted column is s, and the extrapolation shift."""
        n = s.shape[0]
        lo = np.searchsorted(s, x, side="left")
        hi = np.searchsorted(s, x, side="right")
        u = np.empty(x.shape[0])
        shift = np.zeros(x.shape[0])
        tie = hi > lo
        if self.ties == "random":
            v = 1.0 - rng.random(int(tie.sum()))  # in (0, 1]
        else:
            v = np.full(int(tie.sum()), 0.5)
        u[tie] = (lo[tie] + v * (hi[tie] - lo[tie])) / n
        gap = ~tie
        below = gap & (lo == 0)
        above = gap & (lo == n)
        inner = gap & ~below & ~above
        if inner.any():
            left = s[lo[inner] - 1]
            right = s[lo[inner]]
            frac = (x[inner] - left) / (right - left)
            # linear between the centres (i + 1/2)/n of the neighbouring atoms
            u[inner] = (lo[inner] - 0.5 + frac) / n
        u[below] = 0.5 / n
        shift[below] = x[below] - s[0]
        u[above] = (n - 0.5) / n
        shift[above] = x[above] - s[-1]
        return u, shift

    def displacement(self, X: np.ndarray, codes: np.ndarray) -> np.ndarray:
        out = np.empty_like(X)
        d = X.shape[1]
        for k, s_k in enumerate(self.sorted_cols):
            rows = np.flatnonzero(codes == k)
            if rows.size == 0:
                continue
            Xk = X[rows]
            Tk = np.empty_like(Xk)
            for j in range(d):
                rng = np.random.default_rng([self.seed, k, j])
                u, shift = self._levels_for(Xk[:, j], s_k[:, j], rng)
                Tk[:, j] = _bar_quantile(u, self.sorted_cols, self.weights, j) + shift
            out[rows] = Tk - Xk
        return out

    def group_w2(self, X: np.ndarray, codes: np.ndarray) -> np.ndarray:
        K = len(self.sorted_cols)
        out = np.full(K, np.nan)
        sizes = [s.shape[0] for s in self.sorted_cols]
        for k in range(K):
            Xk = np.sort(X[codes == k], axis=0)
            m = Xk.shape[0]
            if m == 0:
                continue
            levels = np.unique(np.r_[_bar_levels(sizes, self.weights), np.arange(1, m + 1) / m])
            q_new = Xk[_quantile_index(levels, m)]
            q_bar = np.column_stack(
                [_bar_quantile(levels, self.sorted_cols, self.weights, j) for j in range(X.shape[1])]
            )
            out[k] = float(w2_1d_sorted(levels, q_new, q_bar).sum())
        return out


def fit_marginal(
    X: np.ndarray,
    codes: np.ndarray,
    weights: np.ndarray,
    *,
    ties: str = "random",
    random_state: Any = 0,
) -> dict[str, Any]:
    """Fit per-feature quantile barycenters (the ``"marginal"`` method of :func:`fit_barycenter`).

    Parameters
    ----------
    ties : "random" (default; exact barycenter law on tied values, reproducible) or "mid"
        (deterministic centre of the tie's level interval).
    random_state : seeds the levels drawn inside ties.

    The total cost is V = sum_z w_z sum_j W2^2(F_{z,j}, bar F_j), computed exactly from the quantile
    functions (all breakpoints i / n_z), which equals the expected distortion E||X - T_Z(X)||^2.
    """
    if ties not in ("random", "mid"):
        raise ValueError(f"ties must be 'random' or 'mid', got {ties!r}")
    K = weights.shape[0]
    sorted_cols = [np.sort(X[codes == k], axis=0) for k in range(K)]
    sizes = [s.shape[0] for s in sorted_cols]
    levels = _bar_levels(sizes, weights)
    d = X.shape[1]
    q_bar = np.column_stack([_bar_quantile(levels, sorted_cols, weights, j) for j in range(d)])
    group_costs = np.empty(K)
    for k, s in enumerate(sorted_cols):
        lv = np.unique(np.r_[levels, np.arange(1, sizes[k] + 1) / sizes[k]])
        qb = q_bar if lv.shape[0] == levels.shape[0] else np.column_stack(
            [_bar_quantile(lv, sorted_cols, weights, j) for j in range(d)]
        )
        group_costs[k] = float(w2_1d_sorted(lv, s[_quantile_index(lv, sizes[k])], qb).sum())
    du = np.diff(np.r_[0.0, levels])
    mean = du @ q_bar
    centred = q_bar - mean
    # Covariance of the barycenter quantile curve u -> (F_j^{-1}(u))_j: the comonotone joint law, shown
    # for display only (the marginal method does not fix the joint law of the barycenter).
    cov = (centred * du[:, None]).T @ centred
    mapper = _MarginalMapper(
        sorted_cols=sorted_cols, weights=weights, ties=ties, seed=seed_from(random_state)
    )
    return dict(
        total_cost=float(weights @ group_costs),
        group_costs=group_costs,
        mean=mean,
        cov=cov,
        ridge=0.0,
        converged=True,
        n_iter=0,
        exact=True,
        notes=[
            "per-feature quantile barycenter: every feature's distribution is equal across groups, the "
            "joint dependence between features may still carry information about Z",
            "ties drawn uniformly within the tie (exact in law)"
            if ties == "random"
            else "ties mapped from the tie centre",
        ],
        options=dict(ties=ties),
        mapper=mapper,
    )
