"""Randomised OT to a shared discrete barycenter: groups equal in law, on rows never seen in fitting.

The ``"ot-randomized"`` method of :func:`unlearn_core.transport.fit_barycenter` (its default). The
affine (``gaussian``) and barycentric-projection (``ot-exact``) maps are deterministic functions of x
that differ by group, so a non-linear attacker can still read Z off T_Z(X) (on Adult a gradient-boosting
attacker reaches AUC 1.0 at t = 1). The fix is the one the theory asks for: make Law(T_Z(X) | Z = z)
the same measure for every z.

**Barycenter.** A discrete measure mu_bar = sum_j b_j delta_{y_j} on ``n_support`` = k points with
uniform weights b, found by the free-support fixed point of Cuturi & Doucet (2014, Alg. 2; POT's
``ot.lp.free_support_barycenter``) on at most ``max_samples`` rows per group:

.. math::

    Y \\leftarrow \\sum_z w_z\\, \\mathrm{diag}(1/b)\\, \\Gamma_z^\\top X_z, \\qquad
    \\Gamma_z = \\mathrm{argmin}_{\\Gamma \\in \\Pi(a_z, b)} \\langle \\Gamma, M_z(Y) \\rangle,

then one exact plan Gamma_z (``ot.emd``) from *all* the fitted rows of each group (distinct rows as
atoms with their counts as mass) to (Y, b), with its dual potential g_z (Kantorovich: f_i + g_j <= c_ij,
equality on the plan's support). V = sum_z w_z <Gamma_z, M_z> is the W2^2 of each group to mu_bar.

**The randomised map.** A row x of group z goes to the support point y_J, J drawn (seeded, once per row)

- from its plan row, P(J = j) = Gamma_z[i, j] / a_i, when x equals a fitted atom x_i of group z
  (tabular data repeat rows: duplicates are split across support points exactly as the plan splits the
  atom's mass, so the fitted rows' X_bar has law b in every group);
- otherwise, from its entropic conditional plan, P(J = j | x) proportional to
  b_j exp((g_z[j] - ||x - y_j||^2) / eps_z), with g_z the entropic dual potential fitted on the group's
  rows (Sinkhorn, eps_z = ``smoothing`` x the mean cost): the out-of-sample extension of entropic OT
  (Pooladian & Niles-Weed 2021, "Entropic estimation of optimal transport maps"). As eps -> 0 it tends to
  the Laguerre cells J = argmin_j ||x - y_j||^2 - g_z[j] of semi-discrete OT (Merigot 2011), but the LP's
  dual is not unique and its extreme choice placed the cell walls with a group-dependent bias (attacker
  AUC 0.62-0.67 on German at t = 1); the entropic dual is unique, and the soft walls average the cell
  masses' sampling error ~ sqrt(k / n_z) over neighbouring cells. ``smoothing=0`` gives the hard cells.

A row's draw is a function of the row (its values, group, the seed, and its rank among identical rows
of the batch), not of its position, so it is the same alone or in any batch. Every row keeps its draw J
for every t, so the McCann path X_t = (1 - t) X + t y_J moves points along
straight lines and t = 1 is the randomised barycenter. Along an optimal plan the displacement
interpolation is a W2 geodesic, so D(t) = t^2 E||X - y_J||^2 = t^2 V and L(t) = (1 - t)^2 V exactly in
expectation over the draws; on a sample they hold up to the draws' noise (tested).
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


def default_n_support(group_sizes: np.typing.ArrayLike) -> int:
    """k = clip(round(n_ref / 100), 10, 100), n_ref the smallest group holding at least 10% of the rows.

    The out-of-sample cell masses err by ~ sqrt(k / n_z) relative, and an attacker reads that error as
    leakage: about 100 fitted rows per support point in every sizeable group keep it near 10% (Adult:
    10k women in the training split, k = 100, attacker AUC 0.51). Groups under 10% of the rows are
    ignored for the rule (they cannot hold up k for everyone; their own cells are noisier).
    """
    sizes = np.asarray(group_sizes, dtype=float).ravel()
    if sizes.size == 0 or sizes.sum() <= 0:
        raise ValueError("group_sizes must hold at least one positive count")
    big = sizes[sizes >= 0.1 * sizes.sum()]
    n_ref = float(big.min()) if big.size else float(sizes.max())
    return int(np.clip(round(n_ref / 100.0), 10, 100))


def _emd(a: np.ndarray, b: np.ndarray, M: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    import ot

    G, log = ot.emd(a, b, M, numItermax=10_000_000, log=True)
    return G, np.asarray(log["v"], dtype=float), log.get("warning") is None


@dataclass(frozen=True)
class _GroupPlan:
    atoms: np.ndarray  # (u, d) distinct fitted rows of the group
    lookup: dict[bytes, int]  # row bytes -> atom index
    cdf: np.ndarray  # (u, k) cumulative plan rows Gamma[i] / a_i
    dual: np.ndarray  # (k,) g_z (entropic when eps > 0, the LP's otherwise)
    eps: float  # entropic temperature for unseen rows (0: hard Laguerre cells)


@dataclass(frozen=True)
class _RandomizedMapper:
    plans: list[_GroupPlan]
    support: np.ndarray  # (k, d)
    b: np.ndarray  # (k,)
    seed: int
    chunk: int = 8192
    max_eval: int = 1000

    def uniforms(self, X: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """One uniform number per row, a function of the row itself: its values, its group, the seed, and
        how many identical rows of its group come before it in ``X``.

        So a row gets the same draw alone or inside any batch, chunks of a large batch never share their
        random numbers, and identical rows (duplicates in tabular data) still get independent draws, which
        is what splits an atom's mass across support points as its plan does.
        """
        import pandas as pd

        frame = pd.DataFrame(np.ascontiguousarray(X))
        frame["_group"] = codes
        h = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
        rank = pd.Series(h).groupby(h).cumcount().to_numpy(dtype=np.uint64)
        with np.errstate(over="ignore"):  # splitmix64: wrapping arithmetic is the point
            x = h ^ np.uint64(self.seed) ^ (rank * np.uint64(0x9E3779B97F4A7C15))
            x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            x ^= x >> np.uint64(31)
        return (x >> np.uint64(11)).astype(np.float64) / float(2**53)

    def draws(self, X: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Index J of the support point each row is sent to (see :meth:`uniforms` for the randomness)."""
        n = X.shape[0]
        u = self.uniforms(X, codes)
        J = np.empty(n, dtype=np.int64)
        k = self.support.shape[0]
        for g, plan in enumerate(self.plans):
            rows = np.flatnonzero(codes == g)
            if rows.size == 0:
                continue
            Xg = np.ascontiguousarray(X[rows])
            hit = np.fromiter((plan.lookup.get(r.tobytes(), -1) for r in Xg), dtype=np.int64, count=rows.size)
            seen = hit >= 0
            if seen.any():
                cdf = plan.cdf[hit[seen]]
                J[rows[seen]] = np.minimum((cdf < u[rows[seen], None]).sum(axis=1), k - 1)
            new = np.flatnonzero(~seen)
            for start in range(0, new.size, self.chunk):
                block = new[start : start + self.chunk]
                score = _sqdist(Xg[block], self.support) - plan.dual[None, :]
                if plan.eps > 0:  # b is uniform, so b_j drops out of the conditional plan
                    logits = -score / plan.eps
                    P = np.exp(logits - logits.max(axis=1, keepdims=True))
                    cdf = np.cumsum(P, axis=1)
                    cdf /= cdf[:, -1:]
                    J[rows[block]] = np.minimum((cdf < u[rows[block], None]).sum(axis=1), k - 1)
                else:
                    J[rows[block]] = np.argmin(score, axis=1)
        return J

    def endpoint(self, X: np.ndarray, codes: np.ndarray) -> np.ndarray:
        return self.support[self.draws(X, codes)]

    def displacement(self, X: np.ndarray, codes: np.ndarray) -> np.ndarray:
        return self.endpoint(X, codes) - X

    def group_w2(self, X: np.ndarray, codes: np.ndarray) -> np.ndarray:
        from .empirical import support_group_w2

        return support_group_w2(X, codes, len(self.plans), self.support, self.b, seed=self.seed,
                                max_eval=self.max_eval)


def _entropic_dual(a: np.ndarray, b: np.ndarray, M: np.ndarray, eps: float, g0: np.ndarray) -> np.ndarray:
    r"""The entropic dual g (k,) by maximising the semi-dual of entropic OT (Genevay et al. 2016):

    .. math::

        F(g) = \sum_j b_j g_j - \varepsilon \sum_i a_i
               \log \sum_j b_j \exp\big((g_j - M_{ij}) / \varepsilon\big),
        \qquad \nabla F = b - \Gamma^\top 1,

    with Gamma_ij = a_i b_j exp((g_j - M_ij)/eps) / sum_l b_l exp((g_l - M_il)/eps). Concave in the k
    unknowns g, so L-BFGS from the LP's dual ``g0`` converges in tens of n x k passes (a full log-domain
    Sinkhorn over every row took minutes on Adult).
    """
    from scipy.optimize import minimize
    from scipy.special import logsumexp

    logb = np.log(b)

    def negative(g: np.ndarray) -> tuple[float, np.ndarray]:
        L = (g[None, :] - M) / eps + logb[None, :]
        lse = logsumexp(L, axis=1)
        P = np.exp(L - lse[:, None])  # each row's conditional plan
        value = float(b @ g - eps * (a @ lse))
        grad = b - a @ P
        return -value, -grad

    res = minimize(negative, np.asarray(g0, dtype=float), jac=True, method="L-BFGS-B",
                   options={"maxiter": 500, "gtol": 1e-10})
    return res.x - res.x.mean()


def _atoms(Xg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    uniq, counts = np.unique(Xg, axis=0, return_counts=True)
    return uniq, counts / counts.sum()


def _init_support(
    groups: list[np.ndarray], weights: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    # k points drawn from the w-weighted mixture of the groups (without replacement where possible)
    pool = np.vstack(groups)
    p = np.concatenate([np.full(len(G), w / len(G)) for G, w in zip(groups, weights, strict=True)])
    p /= p.sum()
    return pool[rng.choice(pool.shape[0], k, replace=k > np.count_nonzero(p), p=p)].copy()


def _free_support(
    groups: list[np.ndarray], weights: np.ndarray, Y: np.ndarray, *, max_iter: int, tol: float
) -> tuple[np.ndarray, int, bool, bool]:
    """Cuturi-Doucet fixed point Y <- sum_z w_z diag(1/b) Gamma_z^T X_z with exact plans.

    Stops when the barycenter objective sum_z w_z <Gamma_z, M_z(Y)> falls by less than ``tol`` (relative)
    in one step: on discrete data the support keeps jittering between near-equal optima while the
    objective has settled, so the support's movement is no stopping rule.
    """
    k = Y.shape[0]
    b = np.full(k, 1.0 / k)
    solved, converged, n_iter, previous = True, False, 0, np.inf
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (the count is returned)
        Y_new = np.zeros_like(Y)
        cost = 0.0
        for Xg, w in zip(groups, weights, strict=True):
            if w == 0:
                continue
            a = np.full(Xg.shape[0], 1.0 / Xg.shape[0])
            M = _sqdist(Xg, Y)
            G, _, ok = _emd(a, b, M)
            solved &= ok
            cost += w * float((G * M).sum())
            Y_new += w * (G.T @ Xg) / b[:, None]
        if previous - cost <= tol * cost:
            converged = True
            break
        Y, previous = Y_new, cost
    return Y, n_iter, converged, solved


def _group_plan(Xg: np.ndarray, Y: np.ndarray, b: np.ndarray,
                smoothing: float) -> tuple[_GroupPlan, float, bool]:
    """One group's exact plan to the support Y, its draw CDFs and (smoothed) dual; (plan, cost, solved)."""
    atoms, a = _atoms(Xg)
    M = _sqdist(atoms, Y)
    G, dual, ok = _emd(a, b, M)
    cost = float((G * M).sum())
    cdf = np.cumsum(G, axis=1)
    cdf /= cdf[:, -1:]  # each row's draw distribution Gamma[i] / a_i, exactly normalised
    lookup = {row.tobytes(): i for i, row in enumerate(np.ascontiguousarray(atoms))}
    eps = float(smoothing) * float(M.mean())
    if eps > 0:
        dual = _entropic_dual(a, b, M, eps, dual)
    return _GroupPlan(atoms=atoms, lookup=lookup, cdf=cdf, dual=dual, eps=eps), cost, ok


def fit_ot_randomized(
    X: np.ndarray,
    codes: np.ndarray,
    weights: np.ndarray,
    *,
    n_support: int | None = None,
    max_samples: int = 5000,
    max_iter: int = 20,
    tol: float = 1e-3,
    smoothing: float = 0.05,
    max_plan_rows: int | None = None,
    random_state: Any = 0,
) -> dict[str, Any]:
    """Fit the randomised discrete barycenter (the ``"ot-randomized"`` method of ``fit_barycenter``).

    Parameters
    ----------
    n_support : k, the barycenter's support size; default :func:`default_n_support` of the group sizes.
    max_samples : rows per group used to place the support (seeded subsample); the final plans and
        duals always use every fitted row.
    max_iter, tol : fixed-point stopping rule: the barycenter objective falls by less than ``tol``
        (relative) in one step.
    smoothing : entropic temperature for rows not seen in fitting, as a fraction of each group's mean
        squared distance to the support (default 0.05); 0 uses the LP dual's hard Laguerre cells.
    max_plan_rows : None (default) solves each group's exact plan on every fitted row. An int caps the
        plan to a seeded sample of that many rows per group; the other rows are then mapped like rows
        never seen (their entropic cells). The plans hold three dense (rows x n_support) float64 arrays
        per group, so on 10^6 rows this is what runs out of memory and time first; what the sample
        costs is measured in benchmarks/results/issue-17.md.
    random_state : seeds the subsample, the initial support and every row's draw.
    """
    K = weights.shape[0]
    k = default_n_support(np.bincount(codes, minlength=K)) if n_support is None else int(n_support)
    if k < 1:
        raise ValueError(f"n_support must be a positive number of barycenter points, got {n_support}")
    if max_samples < 2:
        raise ValueError(f"max_samples must be at least 2, got {max_samples}")
    if max_plan_rows is not None and (int(max_plan_rows) != max_plan_rows or max_plan_rows < 2):
        raise ValueError(f"max_plan_rows must be None or a whole number >= 2, got {max_plan_rows!r}")
    if not (np.isfinite(smoothing) and smoothing >= 0):
        raise ValueError(f"smoothing must be a finite number >= 0, got {smoothing}")
    if max_iter < 1 or not tol > 0:
        raise ValueError(f"max_iter must be >= 1 and tol > 0, got max_iter={max_iter}, tol={tol}")
    rng = check_random_state(random_state)
    full = [X[codes == g] for g in range(K)]
    sub = [G if G.shape[0] <= max_samples else G[np.sort(rng.choice(G.shape[0], max_samples, replace=False))]
           for G in full]
    Y, n_iter, converged, solved = _free_support(
        sub, weights, _init_support(sub, weights, k, rng), max_iter=max_iter, tol=tol
    )
    if not np.isfinite(Y).all():
        raise ValueError("ot-randomized: the barycenter support is not finite; check X for huge values")
    b = np.full(k, 1.0 / k)
    plans, group_costs = [], np.empty(K)
    capped = False
    for g, Xg in enumerate(full):
        if max_plan_rows is not None and Xg.shape[0] > max_plan_rows:
            Xg = Xg[np.sort(rng.choice(Xg.shape[0], int(max_plan_rows), replace=False))]
            capped = True
        plan, group_costs[g], ok = _group_plan(Xg, Y, b, smoothing)
        solved &= ok
        plans.append(plan)
    if not converged:
        warnings.warn(
            f"ot-randomized: the barycenter objective was still falling after {n_iter} iterations; the "
            "plans are exact for the support found, V may be slightly above the optimum (increase max_iter)",
            RuntimeWarning,
            stacklevel=4,
        )
    mean = b @ Y
    C = Y - mean
    notes = [
        f"discrete barycenter on {k} points; each row is sent to a support point drawn from its exact "
        "OT plan (seen rows) or its entropic cell (unseen rows), so every group has the same law at t = 1",
    ]
    if any(G.shape[0] > max_samples for G in full):
        notes.append(f"support placed on at most {max_samples} rows per group; plans use every row")
    if capped:
        notes.append(f"exact plans on a seeded sample of {int(max_plan_rows)} rows per group; the other rows "
                     "are mapped through their entropic cells, like rows never seen")
    if not solved:
        notes.append("some transport plans hit the solver's iteration limit")
    return dict(
        total_cost=float(weights @ group_costs),
        group_costs=group_costs,
        mean=mean,
        cov=(C * b[:, None]).T @ C,
        ridge=0.0,
        converged=bool(converged and solved),
        n_iter=int(n_iter),
        exact=bool(solved),
        notes=notes,
        options=dict(n_support=k, max_samples=max_samples, max_iter=max_iter, tol=tol, smoothing=smoothing,
                     max_plan_rows=max_plan_rows),
        mapper=_RandomizedMapper(plans=plans, support=Y, b=b, seed=int(rng.integers(2**31 - 1))),
        support=Y,
    )


__all__ = ["default_n_support", "fit_ot_randomized"]
