"""W2 barycenters of the group conditionals X | Z = z and the McCann interpolation toward them.

docs/design.md section 3.1: optimal feature unlearning maps each group's law onto their Wasserstein-2
barycenter; X_t = (1 - t) X + t T_Z(X) traces the whole distortion-leakage frontier.

>>> import numpy as np
>>> from unlearn_core import transport
>>> rng = np.random.default_rng(0)
>>> X = rng.standard_normal((200, 2)); z = rng.integers(0, 2, 200); X[z == 1] += 2.0
>>> maps = transport.fit_barycenter(X, z, method="gaussian")
>>> X_half = maps.transform(X, z, t=0.5)

``METHODS`` (name -> fitter) drives the UI's picker; :func:`methods` lists the names.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._utils import RandomState, Weights, as_2d_float, encode_groups, group_weights
from .._validation import check_option, check_scalar, check_seed
from ._types import BarycenterMaps, distortion_leakage, lam_of_t, mccann, t_of_lam
from .empirical import fit_ot_exact, fit_ot_sinkhorn
from .gaussian import bures_barycenter, fit_gaussian, gaussian_w2
from .marginal import fit_marginal
from .randomized import fit_ot_randomized

#: The default: the only method whose groups are equal in law at t = 1 on rows it never saw.
DEFAULT_METHOD = "ot-randomized"

METHODS: dict[str, Callable[..., dict[str, Any]]] = {
    "ot-randomized": fit_ot_randomized,
    "gaussian": fit_gaussian,
    "marginal": fit_marginal,
    "ot-exact": fit_ot_exact,
    "ot-sinkhorn": fit_ot_sinkhorn,
}

DESCRIPTIONS: dict[str, str] = {
    "ot-randomized": "Equal in law (default): exact OT to a shared discrete barycenter; each row is sent to "
    "a support point drawn from its transport plan, so at t = 1 every group has the same distribution (up to "
    "sampling error on rows it never saw: check the attacker's AUC).",
    "gaussian": "Second-moment unlearning (the authors' method): affine Bures-Wasserstein maps that equalise "
    "each group's mean and covariance only. Exact for Gaussian groups and fast, but a non-linear attacker "
    "can still recover Z from other features of the distribution.",
    "marginal": "Exact 1-D quantile barycenter of every feature: equal marginals per group, joint "
    "dependence may remain.",
    "ot-exact": "Exact optimal transport to a free-support barycenter (small data; larger groups are "
    "subsampled).",
    "ot-sinkhorn": "Entropic optimal transport to a free-support barycenter (larger data, blurred maps; "
    "regularisation `reg`).",
}


def methods() -> list[str]:
    """Names of the barycenter methods, the default (``ot-randomized``) first."""
    return list(METHODS)


def fit_barycenter(
    X: Any,
    z: Any,
    *,
    method: str = DEFAULT_METHOD,
    weights: Weights = "empirical",
    random_state: RandomState = 0,
    **options: Any,
) -> BarycenterMaps:
    """Fit the W2 barycenter of the group conditionals Law(X | Z = z) and the maps onto it.

    .. math::

        \\bar\\mu = \\mathrm{argmin}_\\nu \\sum_z w_z W_2^2(\\mu_z, \\nu), \\qquad
        V = \\sum_z w_z W_2^2(\\mu_z, \\bar\\mu)

    where mu_z = Law(X | Z = z) is estimated from the rows of group z and w_z are the group weights
    (docs/design.md section 3.1). Fit on the training split only; the maps apply to any point of a known
    group.

    Parameters
    ----------
    X : (n, d) array or DataFrame of numeric features (no NaN).
    z : (n,) group labels (any sortable type); every group needs at least 2 rows.
    method : one of :func:`methods` -- "ot-randomized" (default: groups equal in law at t = 1, a seeded
        randomised map), "gaussian" (second-moment unlearning: equal means and covariances only),
        "marginal", "ot-exact", "ot-sinkhorn".
    weights : "empirical" (group proportions, default), "uniform", or K non-negative numbers in the
        order of the sorted group labels.
    random_state : int, Generator or None; seeds subsampling, initial supports and tie levels.
    **options : method options, e.g. ``ridge``, ``tol``, ``max_iter`` (gaussian), ``ties`` (marginal),
        ``max_samples``, ``n_support`` (OT), ``reg`` (ot-sinkhorn). See each fitter in ``METHODS``.

    Returns
    -------
    BarycenterMaps with ``transform(X, z, t)``, the barycenter and diagnostics.
    """
    check_option(method, "method", METHODS, what="barycenter method")
    check_seed(random_state)
    for opt, kind, lo in (("tol", float, 0.0), ("max_iter", int, 1), ("reg", float, 0.0)):
        if opt in options:  # shared option names: same rule for every method
            check_scalar(options[opt], opt, kind, min_val=lo,
                         include_boundaries="left" if kind is int else "neither")
    start = time.perf_counter()
    columns = tuple(str(c) for c in X.columns) if isinstance(X, pd.DataFrame) else None
    arr = as_2d_float(X)
    codes, labels = encode_groups(z)  # NaN / None / mixed label types refused, naming z
    if codes.shape[0] != arr.shape[0]:
        raise ValueError(
            f"X has {arr.shape[0]} rows but z has {codes.shape[0]} labels; align them row by row"
        )
    K = labels.size
    if K < 2:
        raise ValueError(f"z has a single group ({labels[0]!r}); a barycenter needs at least 2 groups")
    counts = np.bincount(codes, minlength=K)
    if counts.min() < 2:
        small = [str(labels[k]) for k in np.flatnonzero(counts < 2)]
        raise ValueError(f"groups {small} have fewer than 2 rows; drop or merge them before fitting")
    w = group_weights(codes, K, weights)
    try:
        fitted = METHODS[method](arr, codes, w, random_state=random_state, **options)
    except TypeError as exc:
        raise ValueError(f"method {method!r} does not accept options {sorted(options)}: {exc}") from exc
    seconds = time.perf_counter() - start
    converged = bool(fitted["converged"])
    notes = list(fitted["notes"])
    parts = (fitted["total_cost"], fitted["group_costs"], fitted["mean"], fitted["cov"])
    finite = all(np.all(np.isfinite(np.asarray(a, dtype=float))) for a in parts if a is not None)
    if not finite:
        # overflow (features of size ~1e80 square to inf) or a degenerate fit: the maps are not usable,
        # whatever the solver's own stopping rule said
        converged = False
        scale = float(np.max(np.abs(arr))) if arr.size else 0.0
        notes.append(f"the barycenter is not finite (largest |X| = {scale:.3g}); rescale the features "
                     "(e.g. standardise them) and fit again")
        warnings.warn(f"fit_barycenter({method!r}): the barycenter is not finite; rescale X", RuntimeWarning,
                      stacklevel=2)
    return BarycenterMaps(
        method=method,
        groups=labels,
        weights=w,
        total_cost=fitted["total_cost"],
        group_costs=np.asarray(fitted["group_costs"], dtype=float),
        mean=fitted["mean"],
        cov=fitted["cov"],
        ridge=float(fitted["ridge"]),
        converged=converged,
        n_iter=fitted["n_iter"],
        seconds=seconds,
        exact=fitted["exact"],
        notes="; ".join(notes),
        columns=columns,
        n_features=arr.shape[1],
        options=dict(fitted["options"]),
        support=fitted.get("support"),
        _mapper=fitted["mapper"],
    )


__all__ = [
    "BarycenterMaps",
    "DEFAULT_METHOD",
    "DESCRIPTIONS",
    "METHODS",
    "bures_barycenter",
    "distortion_leakage",
    "fit_barycenter",
    "gaussian_w2",
    "lam_of_t",
    "mccann",
    "methods",
    "t_of_lam",
]
