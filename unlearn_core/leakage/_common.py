"""Small numerical helpers shared by the estimators (not public)."""

from __future__ import annotations

import numpy as np

from .._utils import limit_threads


def standardize(S: np.ndarray) -> np.ndarray:
    """Z-score every column (constant columns are centred and left at scale 1).

    A column counts as constant when its spread is zero or below 1e-12 of its own mean's size: a
    relative test, so the result does not depend on the units of S (S and 1e-30 S give the same
    z-scores; an absolute floor would leave tiny-unit columns unscaled).
    """
    mean = S.mean(axis=0)
    sd = S.std(axis=0)
    sd[(sd == 0) | (sd <= 1e-12 * np.abs(mean))] = 1.0
    return (S - mean) / sd


def principal_subspace(S: np.ndarray, rel_tol: float = 1e-9) -> np.ndarray:
    """Coordinates of the centred rows of S in the span of the pooled covariance's non-null eigenvectors.

    Removes exact linear constraints (class probabilities sum to 1; duplicated or constant columns) so
    that Gaussian densities are non-degenerate. Distances and Gaussian MI are unchanged by this
    orthogonal projection when the dropped directions carry no variance.
    """
    Sc = S - S.mean(axis=0)
    cov = np.atleast_2d(np.cov(Sc, rowvar=False))
    vals, vecs = np.linalg.eigh(cov)
    keep = vals > rel_tol * max(float(vals.max()), 1e-300)
    if not np.any(keep):
        return np.zeros((S.shape[0], 1))
    return Sc @ vecs[:, keep]


def entropy_from_codes(codes: np.ndarray, n_groups: int) -> float:
    """Plug-in entropy H(Z) in nats of the group shares."""
    pi = np.bincount(codes, minlength=n_groups) / codes.size
    pi = pi[pi > 0]
    return float(-(pi * np.log(pi)).sum())


def sym_sqrt(A: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix by eigen-decomposition (always real)."""
    vals, vecs = np.linalg.eigh((A + A.T) / 2.0)
    return (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T


# Small critics and Gram matrices run fastest on one thread (see _utils.limit_threads).
torch_threads = limit_threads
