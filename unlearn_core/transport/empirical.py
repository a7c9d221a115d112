"""Empirical OT barycenters (any law, multivariate): exact LP or entropic (Sinkhorn) plans.

DESIGN.md section 3.1 ("Empirical OT"). The barycenter is a free-support measure
mu_bar = sum_j b_j delta_{y_j} with uniform weights b on ``n_support`` points, found by the fixed point of
Cuturi & Doucet (2014, Algorithm 2 with theta = 1; the same iteration as POT's
``ot.lp.free_support_barycenter``):

.. math::

    Y \\leftarrow \\sum_z w_z \\, \\mathrm{diag}(1/b) \\, \\Gamma_z^\\top X_z, \\qquad
    \\Gamma_z = \\mathrm{argmin}_{\\Gamma \\in \\Pi(a_z, b)} \\langle \\Gamma, M_z(Y) \\rangle
    \\; [+ \\varepsilon H(\\Gamma)],

where X_z are group z's rows with uniform weights a_z, M_z(Y)_{ij} = ||x_i - y_j||^2, and Gamma_z is
POT's exact plan (``ot.emd``) or its Sinkhorn plan with eps = ``reg`` * mean(M_z). The maps are the
barycentric projections T_z(x_i) = sum_j Gamma_z[i, j] y_j / a_i; a new point x of group z moves like its
nearest fitted neighbour x' of that group, T_z(x) = x + T_z(x') - x' (POT's out-of-sample rule in
``ot.da.BaseTransport.transform``). Repeated rows are merged into one atom carrying their mass
(the same empirical measure),
so they share one displacement.

Groups larger than ``max_samples`` rows are subsampled (uniformly, seeded) and the result says so.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._utils import check_random_state


def _sqdist(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    d = (A * A).sum(1)[:, None] - 2.0 * A @ B.T + (B * B).sum(1)[None, :]
    return np.maximum(d, 0.0)


def _nearest(X: np.ndarray, ref: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Index of the nearest row of ``ref`` for each row of ``X`` (squared Euclidean), chunked."""
    out = np.empty(X.shape[0], dtype=np.int64)
    ref_sq = (ref * ref).sum(1)
    for start in range(0, X.shape[0], chunk):
        block = X[start : start + chunk]
        out[start : start + chunk] = np.argmin(ref_sq[None, :] - 2.0 * block @ ref.T, axis=1)
    return out


@dataclass(frozen=True)
class _EmpiricalMapper:
    anchors: list[np.ndarray]  # per group: distinct fitted rows (u_z, d)
    moves: list[np.ndarray]  # per group: their displacement T_z(x') - x' (u_z, d)
    support: np.ndarray  # (k, d) barycenter support
    b: np.ndarray  # (k,) barycenter weights
    seed: int
    max_eval: int = 1000

    def displacement(self, X: np.ndarray, codes: np.ndarray) -> np.ndarray:
        out = np.empty_like(X)
        for k, (anc, mv) in enumerate(zip(self.anchors, self.moves)):
            rows = np.flatnonzero(codes == k)
            if rows.size:
                out[rows] = mv[_nearest(X[rows], anc)]
        return out

    def group_w2(self, X: np.ndarray, codes: np.ndarray) -> np.ndarray:
        import ot

        rng = np.random.default_rng(self.seed)
        out = np.full(len(self.anchors), np.nan)
        for k in range(len(self.anchors)):
            Xk = X[codes == k]
            if Xk.shape[0] == 0:
                continue
            if Xk.shape[0] > self.max_eval:
                Xk = Xk[rng.choice(Xk.shape[0], self.max_eval, replace=False)]
            a = np.full(Xk.shape[0], 1.0 / Xk.shape[0])
            out[k] = float(ot.emd2(a, self.b, _sqdist(Xk, self.support)))
        return out


def _sinkhorn(
    a: np.ndarray, b: np.ndarray, M: np.ndarray, eps: float, warm: tuple | None, max_iter: int = 2000,
    tol: float = 1e-6,
) -> tuple[np.ndarray, tuple, bool]:
    """Sinkhorn-Knopp scaling for min <G, M> - eps H(G) over couplings of (a, b), warm-startable.

    Same iteration as ``ot.sinkhorn`` (method "sinkhorn"), written here so that the free-support loop
    can warm-start the scalings (u, v) from its previous step and check the marginal error only every
    10 iterations. Falls back to POT's log-domain solver when exp(-M / eps) underflows.
    """
    Kmat = np.exp(-M / eps)
    if not np.all(Kmat.sum(axis=1) > 0) or not np.all(Kmat.sum(axis=0) > 0):
        import ot

        G = ot.sinkhorn(a, b, M, eps, method="sinkhorn_log", numItermax=max_iter, stopThr=tol, warn=False)
        return G, None, bool(np.abs(G.sum(1) - a).sum() < 1e-3)
    u, v = (np.ones_like(a), np.ones_like(b)) if warm is None else warm
    err = np.inf
    for it in range(max_iter):
        v = b / (Kmat.T @ u)
        u = a / (Kmat @ v)
        if it % 10 == 9:
            err = float(np.abs(v * (Kmat.T @ u) - b).sum())
            if err < tol or not np.isfinite(err):
                break
    G = u[:, None] * Kmat * v[None, :]
    ok = bool(np.isfinite(err) and np.abs(G.sum(0) - b).sum() < 1e-3)
    return G, (u, v), ok


def _plan(
    a: np.ndarray, b: np.ndarray, M: np.ndarray, eps: float | None, warm: tuple | None = None
) -> tuple[np.ndarray, bool, tuple | None]:
    if eps is None:
        import ot

        G, log = ot.emd(a, b, M, numItermax=1_000_000, log=True)
        return G, log.get("warning") is None, None
    G, scalings, ok = _sinkhorn(a, b, M, eps, warm)
    return G, ok, scalings


def _fit_ot(
    X: np.ndarray,
    codes: np.ndarray,
    weights: np.ndarray,
    *,
    reg: float | None,
    max_samples: int,
    n_support: int | None,
    max_iter: int,
    tol: float,
    random_state: Any,
    init: np.ndarray | None = None,
) -> dict[str, Any]:
    if max_samples < 2:
        raise ValueError(f"max_samples must be at least 2, got {max_samples}")
    if max_iter < 1 or tol <= 0:
        raise ValueError(f"max_iter must be >= 1 and tol > 0, got max_iter={max_iter}, tol={tol}")
    if reg is not None and not reg > 0:
        raise ValueError(f"reg must be positive (a fraction of the mean squared distance), got {reg}")
    rng = check_random_state(random_state)
    K = weights.shape[0]
    groups, a_list = [], []
    subsampled = False
    for k in range(K):
        Xk = X[codes == k]
        # Repeated rows (one-hot tabular data has few distinct rows) are one atom with their count as
        # mass: the same empirical measure, so the same OT problem, often orders of magnitude smaller.
        uniq, counts = np.unique(Xk, axis=0, return_counts=True)
        if uniq.shape[0] > max_samples:
            Xk = Xk[np.sort(rng.choice(Xk.shape[0], max_samples, replace=False))]
            uniq, counts = np.unique(Xk, axis=0, return_counts=True)
            subsampled = True
        groups.append(uniq)
        a_list.append(counts / counts.sum())
    if n_support is None:
        n_support = min(max(int(np.sum(codes == k)) for k in range(K)), 500)
    if n_support < 1:
        raise ValueError(f"n_support must be a positive number of barycenter points, got {n_support}")
    b = np.full(n_support, 1.0 / n_support)
    if init is None:
        # draw the initial support from the w-weighted mixture of the groups
        pool = np.vstack(groups)
        p = np.concatenate([w * a for a, w in zip(a_list, weights)])
        Y = pool[rng.choice(pool.shape[0], n_support, replace=n_support > np.count_nonzero(p), p=p / p.sum())]
    else:
        Y = np.array(init, dtype=float)
        if Y.shape != (n_support, X.shape[1]):
            raise ValueError(f"init must have shape ({n_support}, {X.shape[1]}), got {Y.shape}")
    scale = max(float(np.var(X, axis=0).mean()), 1e-300)
    # entropic eps fixed per group from the first cost matrix, so that the scalings can be warm-started
    eps = [None if reg is None else reg * float(_sqdist(Xk, Y).mean()) for Xk in groups]
    warm: list[tuple | None] = [None] * K
    converged = False
    n_iter = 0
    solved = True
    for n_iter in range(1, max_iter + 1):
        Y_new = np.zeros_like(Y)
        for k, (Xk, a, w) in enumerate(zip(groups, a_list, weights)):
            if w == 0:
                continue
            G, ok, warm[k] = _plan(a, b, _sqdist(Xk, Y), eps[k], warm[k])
            solved &= ok
            Y_new += w * (G.T @ Xk) / b[:, None]
        change = float(np.mean(np.sum((Y_new - Y) ** 2, axis=1)))
        Y = Y_new
        if change <= tol * scale:
            converged = True
            break
    if not converged:
        warnings.warn(
            f"free-support barycenter stopped after {n_iter} iterations (support still moving by "
            f"{change:.2e}, tol·scale {tol * scale:.2e}); increase max_iter or tol",
            RuntimeWarning,
            stacklevel=4,
        )
    anchors, moves, group_costs = [], [], np.empty(K)
    for k, (Xk, a) in enumerate(zip(groups, a_list)):
        M = _sqdist(Xk, Y)
        G, ok, _ = _plan(a, b, M, eps[k], warm[k])
        solved &= ok
        group_costs[k] = float((G * M).sum())
        proj = (G @ Y) / G.sum(1, keepdims=True)
        anchors.append(Xk)  # distinct rows already: each gets its own barycentric projection
        moves.append(proj - Xk)
    mean = b @ Y
    C = Y - mean
    cov = (C * b[:, None]).T @ C
    solver = "exact LP" if reg is None else "Sinkhorn"
    notes = [f"free-support barycenter on {n_support} points, {solver} plans"]
    if subsampled:
        notes.append(
            f"subsampled to {max_samples} rows per group (max_samples; groups have more distinct rows); "
            "the maps are approximate"
        )
    if reg is not None:
        notes.append(f"entropic regularisation reg={reg:g} × mean squared distance blurs the maps")
    if not solved:
        notes.append("some transport plans did not meet their marginals (solver iteration limit)")
    return dict(
        total_cost=float(weights @ group_costs),
        group_costs=group_costs,
        mean=mean,
        cov=cov,
        ridge=0.0,
        converged=bool(converged and solved),
        n_iter=int(n_iter),
        exact=bool(reg is None and not subsampled and converged and solved),
        notes=notes,
        options=dict(reg=reg, max_samples=max_samples, n_support=n_support, max_iter=max_iter, tol=tol),
        mapper=_EmpiricalMapper(
            anchors=anchors, moves=moves, support=Y, b=b, seed=int(rng.integers(2**31 - 1))
        ),
        support=Y,
    )


def fit_ot_exact(
    X: np.ndarray,
    codes: np.ndarray,
    weights: np.ndarray,
    *,
    max_samples: int = 1000,
    n_support: int | None = None,
    max_iter: int = 50,
    tol: float = 1e-7,
    init: np.ndarray | None = None,
    random_state: Any = 0,
) -> dict[str, Any]:
    """Exact-LP free-support barycenter (the ``"ot-exact"`` method of :func:`fit_barycenter`).

    Parameters
    ----------
    max_samples : distinct rows per group above which the group is subsampled (seeded); default 1000.
    n_support : barycenter support size; default min(rows of the largest group, 500).
    max_iter, tol : fixed-point stopping rule: mean squared move of the support points <= tol times the
        data's mean variance.
    init : optional (n_support, d) initial support (default: drawn from the w-weighted mixture).
    random_state : seeds the subsample and the initial support.
    """
    return _fit_ot(
        X, codes, weights, reg=None, max_samples=max_samples, n_support=n_support, max_iter=max_iter,
        tol=tol, random_state=random_state, init=init,
    )


def fit_ot_sinkhorn(
    X: np.ndarray,
    codes: np.ndarray,
    weights: np.ndarray,
    *,
    reg: float = 0.05,
    max_samples: int = 3000,
    n_support: int | None = None,
    max_iter: int = 50,
    tol: float = 1e-5,
    init: np.ndarray | None = None,
    random_state: Any = 0,
) -> dict[str, Any]:
    """Entropic (Sinkhorn) free-support barycenter (the ``"ot-sinkhorn"`` method).

    Parameters
    ----------
    reg : entropic regularisation as a fraction of the mean squared distance of each cost matrix
        (eps = reg * mean(M_z)); smaller is sharper and slower. Default 0.05.
    max_samples : rows per group above which the group is subsampled; default 3000.
    n_support, max_iter, tol, init, random_state : as for :func:`fit_ot_exact`.
    """
    return _fit_ot(
        X, codes, weights, reg=float(reg), max_samples=max_samples, n_support=n_support, max_iter=max_iter,
        tol=tol, random_state=random_state, init=init,
    )
