"""Gaussian (Bures-Wasserstein) barycenter of the group conditionals and the affine maps onto it.

docs/design.md section 3.1. Each group's law is summarised by its empirical mean m_z and covariance S_z
(``ddof=0``: the moments of the empirical measure, so that measured distortions equal the predicted
ones exactly on the fitted data). The barycenter of N(m_z, S_z) with weights w_z is N(m_bar, S_bar):

.. math::

    m_{bar} = \\sum_z w_z m_z, \\qquad
    S_{bar} = \\text{fixed point of } S \\mapsto S^{-1/2}
        \\Big(\\sum_z w_z (S^{1/2} S_z S^{1/2})^{1/2}\\Big)^2 S^{-1/2}

(Álvarez-Esteban, del Barrio, Cuesta-Albertos & Matrán 2016, "A fixed-point approach to barycenters in
Wasserstein space", J. Math. Anal. Appl. 441, Theorem 4.2; the iteration converges from any symmetric
positive definite start; we start from sum_z w_z S_z). The optimal map of group z is affine,

.. math::

    T_z(x) = m_{bar} + A_z (x - m_z), \\qquad
    A_z = S_z^{-1/2} (S_z^{1/2} S_{bar} S_z^{1/2})^{1/2} S_z^{-1/2},

and W2^2(N(m_1, S_1), N(m_2, S_2)) = ||m_1 - m_2||^2 + tr(S_1 + S_2 - 2 (S_1^{1/2} S_2 S_1^{1/2})^{1/2}).
On non-Gaussian data the maps equalise the groups' first two moments only (a pseudo-barycenter).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_scalar
from ._linalg import auto_ridge, small_blas, sqrtm_and_inv, sqrtm_psd, sym, trace_sqrt


def gaussian_w2(m1: np.ndarray, S1: np.ndarray, m2: np.ndarray, S2: np.ndarray) -> float:
    """Squared W2 distance between N(m1, S1) and N(m2, S2) (Gelbrich / Dowson-Landau formula).

    .. math::

        W_2^2 = \\|m_1 - m_2\\|^2
              + \\mathrm{tr}\\big(S_1 + S_2 - 2 (S_1^{1/2} S_2 S_1^{1/2})^{1/2}\\big)
    """
    R1 = sqrtm_psd(np.atleast_2d(S1))
    cross = trace_sqrt(R1 @ np.atleast_2d(S2) @ R1)
    diff = np.atleast_1d(m1) - np.atleast_1d(m2)
    return float(max(diff @ diff + np.trace(S1) + np.trace(S2) - 2.0 * cross, 0.0))


def bures_barycenter(
    covs: np.ndarray,
    weights: np.ndarray,
    *,
    tol: float = 1e-10,
    max_iter: int = 500,
    init: np.ndarray | None = None,
) -> tuple[np.ndarray, int, bool, float]:
    """Bures-Wasserstein barycenter covariance of ``covs`` (K, d, d) by the Álvarez-Esteban fixed point.

    .. math::

        S_{n+1} = S_n^{-1/2} \\Big(\\sum_z w_z (S_n^{1/2} S_z S_n^{1/2})^{1/2}\\Big)^2 S_n^{-1/2}

    started from ``init`` (default the weighted mean sum_z w_z S_z, symmetric positive definite), stopped
    when ||S_{n+1} - S_n||_F <= tol * ||S_n||_F. Matrix roots by symmetric eigen-decomposition. The
    covariances must be positive definite (add a ridge first if they are not).

    Returns
    -------
    S_bar : (d, d) barycenter covariance.
    n_iter : iterations done.
    converged : whether the relative change fell below ``tol``.
    delta : the last relative change.
    """
    covs = np.asarray(covs, dtype=float)
    with small_blas(covs.shape[-1]):
        return _bures_fixed_point(covs, np.asarray(weights, dtype=float), tol, max_iter, init)


def _bures_fixed_point(
    covs: np.ndarray, w: np.ndarray, tol: float, max_iter: int, init: np.ndarray | None
) -> tuple[np.ndarray, int, bool, float]:
    keep = w > 0  # zero-weight groups do not enter the objective
    covs, w = covs[keep], w[keep]
    S = sym(np.einsum("k,kij->ij", w, covs)) if init is None else sym(np.asarray(init, dtype=float))
    delta = np.inf
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        R, Rinv = sqrtm_and_inv(S)
        M = np.einsum("k,kij->ij", w, sqrtm_psd(R @ covs @ R))
        S_new = sym(Rinv @ M @ M @ Rinv)
        delta = float(np.linalg.norm(S_new - S) / max(np.linalg.norm(S), 1e-300))
        S = S_new
        if delta <= tol:
            return S, n_iter, True, delta
    return S, n_iter, False, delta


@dataclass(frozen=True)
class _GaussianMapper:
    """Affine maps T_z(x) = m_bar + A_z (x - m_z), and the Bures W2 of new points' moments."""

    means: np.ndarray  # (K, d) group means
    A: np.ndarray  # (K, d, d) symmetric map matrices
    m_bar: np.ndarray
    S_bar: np.ndarray

    def interpolate(self, X: np.ndarray, codes: np.ndarray, t: float) -> np.ndarray:
        # X_t = X + t (T(X) - X) = X B_z + t c_z with B_z = I + t (A_z - I), c_z = m_bar - m_z A_z:
        # one matrix product per group, no temporaries of size (n, d) beyond the output.
        out = np.empty(X.shape, dtype=float)
        d = X.shape[1]
        eye = np.eye(d)
        K = self.means.shape[0]
        masks = [codes == k for k in range(K)] if K > 1 else [np.ones(X.shape[0], bool)]
        for k, rows in enumerate(masks):
            if not rows.any():
                continue
            B = eye + t * (self.A[k] - eye)
            c = t * (self.m_bar - self.means[k] @ self.A[k])
            out[rows] = X[rows] @ B + c
        return out

    def displacement(self, X: np.ndarray, codes: np.ndarray) -> np.ndarray:
        return self.interpolate(X, codes, 1.0) - X

    def group_w2(self, X: np.ndarray, codes: np.ndarray) -> np.ndarray:
        K = self.means.shape[0]
        out = np.full(K, np.nan)
        for k in range(K):
            Xk = X[codes == k]
            if Xk.shape[0] == 0:
                continue
            m = Xk.mean(axis=0)
            C = Xk - m
            S = C.T @ C / Xk.shape[0]
            out[k] = gaussian_w2(m, S, self.m_bar, self.S_bar)
        return out


def group_moments(X: np.ndarray, codes: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-group means (K, d) and covariances (K, d, d) with ddof = 0 (the empirical measure's moments)."""
    d = X.shape[1]
    means = np.empty((n_groups, d))
    covs = np.empty((n_groups, d, d))
    for k in range(n_groups):
        Xk = X[codes == k]
        means[k] = Xk.mean(axis=0)
        C = Xk - means[k]
        covs[k] = sym(C.T @ C) / Xk.shape[0]
    return means, covs


def _two_group(covs: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Closed form for K = 2: the barycenter is McCann's interpolant from group 0 to group 1 at w_1.

    With A_01 = S_0^{-1/2} (S_0^{1/2} S_1 S_0^{1/2})^{1/2} S_0^{-1/2} the optimal map 0 -> 1,
    B = w_0 I + w_1 A_01 is the map of group 0 onto the barycenter, S_bar = B S_0 B, and the map of
    group 1 is B A_01^{-1} = w_0 A_01^{-1} + w_1 I.
    Returns (S_bar, A (2, d, d), tr((S_0^{1/2} S_1 S_0^{1/2})^{1/2})).
    """
    S0, S1 = covs
    d = S0.shape[0]
    eye = np.eye(d)
    R0, R0inv = sqrtm_and_inv(S0)
    lam, V = np.linalg.eigh(sym(R0 @ S1 @ R0))
    lam = np.clip(lam, 0.0, None)
    root = np.sqrt(lam)
    inv_root = np.where(root > 0, 1.0 / np.where(root > 0, root, 1.0), 0.0)
    C = (V * root) @ V.T
    Cinv = (V * inv_root) @ V.T
    A01 = sym(R0inv @ C @ R0inv)
    A10 = sym(R0 @ Cinv @ R0)
    B = w[0] * eye + w[1] * A01
    S_bar = sym(B @ S0 @ B)
    A = np.stack([sym(B), sym(w[0] * A10 + w[1] * eye)])
    return S_bar, A, float(root.sum())


def fit_gaussian(
    X: np.ndarray,
    codes: np.ndarray,
    weights: np.ndarray,
    *,
    ridge: float | str = "auto",
    tol: float = 1e-10,
    max_iter: int = 500,
    fast_path: bool = True,
    random_state: Any = None,
) -> dict[str, Any]:
    """Fit the Gaussian barycenter maps (the ``"gaussian"`` method of :func:`fit_barycenter`).

    Parameters
    ----------
    ridge : "auto" (default) or eps >= 0 added as eps * I to every group covariance. "auto" adds none
        when all covariances are well conditioned and 1e-6 times the largest eigenvalue otherwise
        (see :func:`unlearn_core.transport._linalg.auto_ridge`).
    tol, max_iter : stopping rule of the fixed point (relative Frobenius change of S_bar).
    fast_path : use the two-group closed form when K = 2 (no iteration).
    random_state : unused (the method is deterministic); accepted for a uniform signature.
    """
    del random_state
    K = weights.shape[0]
    d = X.shape[1]
    with small_blas(d):
        means, covs = group_moments(X, codes, K)
        return _fit_gaussian_moments(
            means, covs, weights, ridge=ridge, tol=tol, max_iter=max_iter, fast_path=fast_path
        )


def _fit_gaussian_moments(
    means: np.ndarray,
    covs: np.ndarray,
    weights: np.ndarray,
    *,
    ridge: float | str,
    tol: float,
    max_iter: int,
    fast_path: bool,
) -> dict[str, Any]:
    K, d = means.shape
    tol = check_scalar(tol, "tol", float, min_val=0.0, include_boundaries="neither")  # NaN refused too
    max_iter = check_scalar(max_iter, "max_iter", int, min_val=1)
    if not (np.all(np.isfinite(means)) and np.all(np.isfinite(covs))):
        raise ValueError("X is too large for its moments to be represented (the covariance overflows to "
                         "inf); rescale the features, e.g. standardise them")
    if isinstance(ridge, str):
        if ridge != "auto":
            raise ValueError(f"ridge must be 'auto' or a non-negative float, got {ridge!r}")
        eps = auto_ridge(covs)
    else:
        eps = check_scalar(ridge, "ridge", float, min_val=0.0)
    covs_r = covs + eps * np.eye(d) if eps > 0 else covs
    # The barycenter covariance is 1-homogeneous in the covariances and the maps A_z 0-homogeneous, so
    # the fixed point can run on covs / s. Its products square the covariances' scale, which overflows
    # for features of size ~1e80 (and underflows for tiny ones): then rescale by a power of two (exact
    # in floating point). Ordinary scales are left alone.
    top = float(np.max(np.trace(covs_r, axis1=1, axis2=2))) / d
    scale = 2.0 ** round(np.log2(top)) if top > 0 and not 2.0**-60 <= top <= 2.0**60 else 1.0
    covs_r = covs_r / scale
    m_bar = weights @ means
    notes = []
    if K == 2 and fast_path:
        S_bar, A, cross = _two_group(covs_r, weights)
        S_bar, cross, covs_r = S_bar * scale, cross * scale, covs_r * scale
        shift = float(np.sum((means[0] - means[1]) ** 2))
        w2_01 = shift + float(np.trace(covs_r[0]) + np.trace(covs_r[1])) - 2.0 * cross
        w2_01 = max(w2_01, 0.0)
        # Along the geodesic, W2(mu_0, mu_bar) = w_1 W2(mu_0, mu_1) and W2(mu_1, mu_bar) = w_0 W2(mu_0, mu_1).
        group_costs = np.array([weights[1] ** 2 * w2_01, weights[0] ** 2 * w2_01])
        n_iter, converged = 0, True
        notes.append("two-group closed form (McCann interpolant between the groups)")
    else:
        S_bar, n_iter, converged, delta = _bures_fixed_point(covs_r, weights, tol, max_iter, None)
        if not converged:
            warnings.warn(
                f"Gaussian barycenter fixed point stopped after {n_iter} iterations with relative change "
                f"{delta:.2e} > tol={tol:g}; increase max_iter or tol",
                RuntimeWarning,
                stacklevel=4,
            )
            notes.append(f"fixed point not converged (relative change {delta:.1e})")
        R, Rinv = sqrtm_and_inv(covs_r)
        inner = R @ S_bar @ R
        A = sym(Rinv @ sqrtm_psd(inner) @ Rinv)
        cross = trace_sqrt(inner) * scale
        S_bar, covs_r = S_bar * scale, covs_r * scale
        group_costs = (
            np.sum((means - m_bar) ** 2, axis=1)
            + np.trace(covs_r, axis1=1, axis2=2)
            + np.trace(S_bar)
            - 2.0 * cross
        )
        group_costs = np.clip(group_costs, 0.0, None)
    if eps > 0:
        notes.append(
            f"ridge {eps:.2g}·I added to the group covariances (singular or ill-conditioned, e.g. one-hot "
            "columns); the maps are then approximate"
        )
    notes.append("equalises the groups' means and covariances (exact barycenter for Gaussian groups)")
    return dict(
        total_cost=float(weights @ group_costs),
        group_costs=group_costs,
        mean=m_bar,
        cov=S_bar,
        ridge=eps,
        converged=bool(converged),
        n_iter=int(n_iter),
        exact=bool(eps == 0.0 and converged),
        notes=notes,
        options=dict(ridge=ridge, tol=tol, max_iter=max_iter, fast_path=fast_path),
        mapper=_GaussianMapper(means=means, A=A, m_bar=m_bar, S_bar=S_bar),
    )
