"""Synthetic worlds whose I(S; Z) is known, for testing and benchmarking the estimators.

docs/design.md section 3.2: Gaussian mixtures X | Z = z ~ N(m_z, sigma^2 I) (MI by Gauss-Hermite quadrature
in the span of the means, cross-checked by a Monte Carlo of 10^6 draws), independent data (MI = 0) and
S = Z (MI = H(Z)). Every generator shares one signature ``fn(*, n, random_state, **params) -> World``
so the UI can offer them from :data:`WORLDS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.special import logsumexp

from .._utils import RandomState, check_random_state


@dataclass(frozen=True, eq=False)
class World:
    """A sample (S, z) with its true mutual information.

    Attributes
    ----------
    S : (n, d) outcomes.
    z : (n,) integer groups 0..K-1.
    true_mi : I(S; Z) in nats of the generating law (not of the sample).
    true_mi_error : numerical error bound of ``true_mi`` (quadrature), 0 where exact.
    name : registry name of the generator.
    params : the parameters that produced it (K, d, sigma, mean separation, weights, ...).

    Iterating gives ``(S, z, true_mi)``, so ``S, z, mi = gaussian_mixture_world(...)`` works.
    """

    S: np.ndarray
    z: np.ndarray
    true_mi: float
    true_mi_error: float = 0.0
    name: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.S, self.z, self.true_mi))


def _check_weights(weights: np.typing.ArrayLike | None, K: int) -> np.ndarray:
    if weights is None:
        return np.full(K, 1.0 / K)
    w = np.asarray(weights, dtype=float).ravel()
    if w.shape != (K,) or np.any(w <= 0) or not np.all(np.isfinite(w)):
        raise ValueError(f"weights must be {K} positive numbers (one per group), got {weights!r}")
    return w / w.sum()


def _span_coordinates(means: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Coordinates of the means in an orthonormal basis of their affine span (K, r), r <= K - 1."""
    centred = means - weights @ means
    if not np.any(centred):
        return np.zeros((means.shape[0], 0))
    U, s, Vt = np.linalg.svd(centred, full_matrices=False)
    keep = s > 1e-12 * s.max()
    return centred @ Vt[keep].T


def mixture_mi(
    means: np.typing.ArrayLike,
    *,
    sigma: float = 1.0,
    weights: np.typing.ArrayLike | None = None,
    n_nodes: int = 64,
) -> float:
    """I(X; Z) of the mixture X | Z = z ~ N(m_z, sigma^2 I) by Gauss-Hermite quadrature.

    .. math::

        I = -\\sum_z \\pi_z \\, \\mathbb E_{u \\sim N(0, I_r)} \\log \\sum_{z'} \\pi_{z'}
            \\exp\\Big(-\\frac{\\|c_z - c_{z'}\\|^2 + 2\\sigma (c_z - c_{z'})^\\top u}{2\\sigma^2}\\Big)

    where c_z are the coordinates of m_z in an orthonormal basis of the span of the mean differences
    (dimension r <= K - 1): the density ratio p(x | z) / p(x) depends on x only through its projection
    on that span, so the d-dimensional integral is an r-dimensional one. The expectation uses an
    ``n_nodes``-point (per axis) Gauss-Hermite product rule; r <= 3 is supported.
    """
    means = np.atleast_2d(np.asarray(means, dtype=float))
    K = means.shape[0]
    w = _check_weights(weights, K)
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    C = _span_coordinates(means, w)
    r = C.shape[1]
    if r == 0:
        return 0.0
    if r > 3:
        raise ValueError(f"the means span {r} dimensions; quadrature supports up to 3, use mixture_mi_mc")
    x, wq = np.polynomial.hermite_e.hermegauss(int(n_nodes))
    wq = wq / wq.sum()
    grids = np.meshgrid(*([x] * r), indexing="ij")
    U = np.stack([g.ravel() for g in grids], axis=1)  # (m, r)
    wgrids = np.meshgrid(*([wq] * r), indexing="ij")
    Wq = np.prod(np.stack([g.ravel() for g in wgrids], axis=1), axis=1)
    total = 0.0
    for z in range(K):
        diff = C[z] - C  # (K, r)
        expo = -(np.sum(diff**2, axis=1)[None, :] + 2.0 * sigma * U @ diff.T) / (2.0 * sigma**2)
        total += w[z] * float(Wq @ logsumexp(expo + np.log(w)[None, :], axis=1))
    return max(-total, 0.0)


def mixture_mi_mc(
    means: np.typing.ArrayLike,
    *,
    sigma: float = 1.0,
    weights: np.typing.ArrayLike | None = None,
    n_draws: int = 1_000_000,
    random_state: RandomState = 0,
) -> tuple[float, float]:
    """Monte Carlo I(X; Z) of the same mixture and its standard error, from ``n_draws`` draws.

    I = E[log p(x | z) - log p(x)] over (x, z) drawn from the mixture; the standard error is the sample
    standard deviation of the log ratio over sqrt(n_draws). Works for any number of groups and spans.
    """
    means = np.atleast_2d(np.asarray(means, dtype=float))
    K = means.shape[0]
    w = _check_weights(weights, K)
    C = _span_coordinates(means, w)
    if C.shape[1] == 0:
        return 0.0, 0.0
    rng = check_random_state(random_state)
    vals = []
    chunk = 200_000
    for start in range(0, int(n_draws), chunk):
        m = min(chunk, int(n_draws) - start)
        z = rng.choice(K, size=m, p=w)
        X = C[z] + sigma * rng.standard_normal((m, C.shape[1]))
        sq = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2) / (2.0 * sigma**2)
        log_cond = -sq[np.arange(m), z]
        log_mix = logsumexp(-sq + np.log(w)[None, :], axis=1)
        vals.append(log_cond - log_mix)
    v = np.concatenate(vals)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size))


def entropy(weights: np.typing.ArrayLike) -> float:
    """H(Z) in nats of a probability vector."""
    w = np.asarray(weights, dtype=float)
    w = w[w > 0] / w.sum()
    return float(-(w * np.log(w)).sum())


def _base_means(K: int, d: int) -> np.ndarray:
    """Unit-scale configuration of K means: on a line for d = 1, evenly on a circle otherwise."""
    M = np.zeros((K, d))
    if d == 1 or K == 2:
        M[:, 0] = np.arange(K) - (K - 1) / 2.0
    else:
        ang = 2 * np.pi * np.arange(K) / K
        M[:, 0], M[:, 1] = np.cos(ang), np.sin(ang)
    return M


def separation_for_mi(K: int, d: int, target_mi: float, *, sigma: float = 1.0, weights=None) -> float:
    """Scale of the base mean configuration that gives I(X; Z) = ``target_mi`` (solved by Brent's method)."""
    w = _check_weights(weights, K)
    return _separation(int(K), int(d), float(target_mi), float(sigma), tuple(w.tolist()))


@lru_cache(maxsize=256)
def _separation(K: int, d: int, target_mi: float, sigma: float, weights: tuple[float, ...]) -> float:
    w = np.asarray(weights)
    h = entropy(w)
    if not 0.0 <= target_mi < h:
        raise ValueError(
            f"target_mi must lie in [0, H(Z)) = [0, {h:.4f}) nats for these weights, got {target_mi}"
        )
    if target_mi == 0.0:
        return 0.0
    base = _base_means(K, d)
    f = lambda s: mixture_mi(s * base, sigma=sigma, weights=w) - target_mi  # noqa: E731
    hi = 1.0
    while f(hi) < 0:
        hi *= 2.0
        if hi > 1e4:
            raise ValueError(f"target_mi={target_mi} is too close to H(Z)={h:.4f}; lower it")
    return float(brentq(f, 0.0, hi, xtol=1e-12, rtol=1e-12))


def _random_rotation(d: int, rng: np.random.Generator) -> np.ndarray:
    Q, R = np.linalg.qr(rng.standard_normal((d, d)))
    return Q * np.sign(np.diag(R))


def _draw_groups(n: int, w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if n < 2 * w.size:
        raise ValueError(f"n must be at least 2 per group ({2 * w.size}), got {n}")
    z = rng.choice(w.size, size=int(n), p=w)
    # make sure every group has at least 2 rows (tiny n with skewed weights)
    for g in range(w.size):
        while np.sum(z == g) < 2:
            z[rng.integers(0, n)] = g
    return z


def gaussian_mixture_world(
    K: int = 2,
    d: int = 1,
    target_mi: float = 0.3,
    n: int = 2000,
    *,
    sigma: float = 1.0,
    weights: np.typing.ArrayLike | None = None,
    rotate: bool = True,
    random_state: RandomState = None,
) -> World:
    """Draw n rows of X | Z = z ~ N(m_z, sigma^2 I_d) with the mean separation giving ``target_mi``.

    The K means sit on a line (d = 1 or K = 2) or evenly on a circle (d >= 2), scaled by
    :func:`separation_for_mi`; with ``rotate`` the configuration is turned by a random rotation so no
    coordinate axis is special. ``true_mi`` is the quadrature value, its error the change from 64 to
    96 nodes per axis.
    """
    K, d = int(K), int(d)
    if K < 2 or d < 1:
        raise ValueError(f"need K >= 2 groups and d >= 1 dimensions, got K={K}, d={d}")
    rng = check_random_state(random_state)
    w = _check_weights(weights, K)
    scale = separation_for_mi(K, d, target_mi, sigma=sigma, weights=w)
    means = scale * _base_means(K, d)
    if rotate and d > 1:
        means = means @ _random_rotation(d, rng).T
    z = _draw_groups(n, w, rng)
    S = means[z] + sigma * rng.standard_normal((int(n), d))
    mi = mixture_mi(means, sigma=sigma, weights=w)
    err = abs(mixture_mi(means, sigma=sigma, weights=w, n_nodes=96) - mi)
    return World(S=S, z=z, true_mi=mi, true_mi_error=err, name="gaussian-mixture",
                 params={"K": K, "d": d, "target_mi": target_mi, "sigma": sigma, "scale": scale,
                         "weights": w.tolist(), "means": means.tolist()})


def independent_world(
    K: int = 2, d: int = 1, n: int = 2000, *, weights=None, random_state: RandomState = None
) -> World:
    """S ~ N(0, I_d) drawn independently of Z: I(S; Z) = 0."""
    rng = check_random_state(random_state)
    w = _check_weights(weights, int(K))
    z = _draw_groups(n, w, rng)
    S = rng.standard_normal((int(n), int(d)))
    params = {"K": int(K), "d": int(d), "weights": w.tolist()}
    return World(S=S, z=z, true_mi=0.0, name="independent", params=params)


def identity_world(K: int = 2, n: int = 2000, *, weights=None, random_state: RandomState = None) -> World:
    """S = Z, encoded one-hot (rows are degenerate class probabilities): I(S; Z) = H(Z)."""
    rng = check_random_state(random_state)
    w = _check_weights(weights, int(K))
    z = _draw_groups(n, w, rng)
    S = np.eye(int(K))[z]
    return World(S=S, z=z, true_mi=entropy(w), name="identity", params={"K": int(K), "weights": w.tolist()})


@dataclass(frozen=True)
class WorldSpec:
    name: str
    title: str
    description: str
    fn: Callable[..., World] = field(repr=False, compare=False)


WORLDS: dict[str, WorldSpec] = {
    "gaussian-mixture": WorldSpec(
        "gaussian-mixture", "Gaussian mixture (known MI)",
        "X | Z = z ~ N(m_z, sigma^2 I); the mean separation is solved for a target MI.",
        gaussian_mixture_world,
    ),
    "independent": WorldSpec(
        "independent", "Independent (MI = 0)", "S ~ N(0, I) independent of Z.", independent_world
    ),
    "identity": WorldSpec(
        "identity", "S = Z (MI = H(Z))", "S is Z one-hot: everything leaks.", identity_world
    ),
}
