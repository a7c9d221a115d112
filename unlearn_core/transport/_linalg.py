"""Symmetric matrix functions by eigen-decomposition, and the automatic ridge.

Every matrix root in :mod:`unlearn_core.transport` goes through :func:`psd_eigh`: a symmetric
eigen-decomposition whose eigenvalues are clipped at 0. A general ``sqrtm`` can return complex values on
nearly singular inputs (the defect docs/design.md section 4 warns about); this cannot. All functions accept a
single (d, d) matrix or a stack (..., d, d) and work batched.
"""

from __future__ import annotations

import numpy as np

from .._utils import limit_threads


def sym(A: np.ndarray) -> np.ndarray:
    """Symmetric part (A + A^T) / 2 of a matrix or a stack of matrices."""
    return 0.5 * (A + np.swapaxes(A, -1, -2))


def psd_eigh(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (clipped at 0) and eigenvectors of the symmetric part of ``S``."""
    w, V = np.linalg.eigh(sym(S))
    return np.clip(w, 0.0, None), V


def _recompose(w: np.ndarray, V: np.ndarray) -> np.ndarray:
    # V diag(w) V^T, batched.
    return (V * w[..., None, :]) @ np.swapaxes(V, -1, -2)


def sqrtm_psd(S: np.ndarray) -> np.ndarray:
    """Principal square root S^{1/2} of a symmetric PSD matrix (or stack)."""
    w, V = psd_eigh(S)
    return _recompose(np.sqrt(w), V)


def sqrtm_and_inv(S: np.ndarray, floor: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """S^{1/2} and S^{-1/2} from one eigen-decomposition.

    Eigenvalues below ``floor`` (default: 0, i.e. exact zeros only) are treated as ``floor`` in the
    inverse root so that it stays finite; pass a positive floor for nearly singular inputs.
    """
    w, V = psd_eigh(S)
    root = np.sqrt(w)
    safe = np.maximum(w, floor)
    with np.errstate(divide="ignore"):
        inv_root = np.where(safe > 0, 1.0 / np.sqrt(np.where(safe > 0, safe, 1.0)), 0.0)
    return _recompose(root, V), _recompose(inv_root, V)


def trace_sqrt(S: np.ndarray) -> np.ndarray:
    """tr(S^{1/2}) for a symmetric PSD matrix (or stack): the sum of the roots of its eigenvalues."""
    w = np.clip(np.linalg.eigvalsh(sym(S)), 0.0, None)
    return np.sqrt(w).sum(axis=-1)


def auto_ridge(covs: np.ndarray, *, rel: float = 1e-6, cond_max: float = 1e10) -> float:
    """The ridge eps added to every covariance so that all are safely positive definite.

    Zero when every covariance in the stack ``covs`` (K, d, d) has condition number below ``cond_max``;
    otherwise ``rel`` times the largest eigenvalue over the stack (the spectrum's scale), so the ridge is
    invariant to the units of X up to that scale. One-hot columns (a category's columns sum to 1, and a
    category absent from a group has zero variance in it) make covariances exactly singular, so real
    tabular data usually gets a ridge.
    """
    w = np.linalg.eigvalsh(sym(covs))
    top = float(w.max()) if w.size else 0.0
    if top <= 0.0:
        return 1.0  # all-constant data: any eps gives the identity map on the covariance part
    if float(w.min()) > top / cond_max:
        return 0.0
    return rel * top


def small_blas(d: int, threshold: int = 256):
    """Context limiting BLAS to one thread for d x d work with d <= ``threshold``.

    Eigen-decompositions of small matrices gain nothing from threads, and on a shared machine the
    threads' synchronisation dominates: a K = 5, d = 50 barycenter measured 0.13 s single-threaded vs
    0.8-3.7 s with OpenBLAS's default threads on 2 busy cores (benchmarks/results/transport.md).
    """
    from contextlib import nullcontext

    return nullcontext() if d > threshold else limit_threads(1)
