"""Equal in law within each predicted digit: the ``"ot-by-digit"`` image transport method.

Thickness depends on the digit (on MNIST, 0s are thick and 9s thin more often than not): the groups'
digit mixes differ by a total variation of about 0.13, so *any* release X' independent of Z caps a digit
classifier's accuracy near 1 - TV / 2 (its predictions have one law in both groups), and the discrete
barycenter of ``ot-randomized`` loses more (its k support points mix digits). This method keeps the
digit and removes what Z says *beyond* it. With a digit classifier f fitted on the training codes
(5-nearest neighbours) and s = f(c) the predicted digit of a code,

.. math::

    T_z(c) = T^{(s)}_z(c), \\qquad
    \\text{Law}(T_Z(C) \\mid S = s, Z = z) = \\bar\\mu^{(s)} \\text{ for every } z,

where T^(s) are the ``ot-randomized`` maps (:func:`unlearn_core.transport.fit_barycenter`) fitted on the
training codes predicted as s. At t = 1 the image is then independent of Z given its predicted digit:
an attacker learns about Z exactly what the predicted digit tells (on MNIST thickness, an AUC of about
0.58). The stratum comes from the image itself, never from its label, so the same map applies to any
new image. A predicted digit whose stratum has fewer than ``min_rows`` images of a group falls back to
the pooled map.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._utils import RandomState, limit_threads


@dataclass(frozen=True, eq=False)
class StratifiedBarycenter:
    """ot-randomized maps per predicted digit (module docstring).

    Attributes
    ----------
    groups, weights : Z labels and their shares. total_cost, group_costs : measured V and per-group W2^2
    on the training codes. strata : the predicted digits with their own maps. notes : remarks.
    """

    groups: np.ndarray
    weights: np.ndarray
    total_cost: float
    group_costs: np.ndarray
    strata: tuple[Any, ...]
    notes: str
    _classifier: Any
    _maps: dict[Any, Any]
    _pooled: Any

    def endpoint(self, C: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """T_z(c) for every row: its predicted digit's map, or the pooled map."""
        with limit_threads(1):
            s = self._classifier.predict(C)
        out = np.empty_like(C, dtype=float)
        done = np.zeros(len(C), dtype=bool)
        for label, maps in self._maps.items():
            rows = np.flatnonzero(s == label)
            if rows.size:
                out[rows] = maps.transform(C[rows], self.groups[codes[rows]], t=1.0)
                done[rows] = True
        rest = np.flatnonzero(~done)
        if rest.size:
            out[rest] = self._pooled.transform(C[rest], self.groups[codes[rest]], t=1.0)
        return out


def fit_by_digit(
    C: np.ndarray,
    codes: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    min_rows: int = 20,
    random_state: RandomState = 0,
    progress: Callable[[float, str], None] | None = None,
    **options: Any,
) -> StratifiedBarycenter:
    """Fit the digit classifier on (C, y) and ``ot-randomized`` maps within each predicted digit.

    Parameters
    ----------
    C : (n, k) training codes; codes : (n,) Z codes 0..K-1; y : (n,) digit labels; groups : (K,) Z labels.
    min_rows : a predicted digit gets its own maps when every group has at least this many rows in it.
    random_state : seeds the maps' draws. progress : called with (fraction done, message) per digit.
    **options : passed to ``fit_barycenter(method="ot-randomized")``.
    """
    from sklearn.neighbors import KNeighborsClassifier

    from .. import transport

    y = np.asarray(y)
    if y.shape[0] != C.shape[0]:
        raise ValueError(
            f"y has {y.shape[0]} labels but there are {C.shape[0]} images; pass the digit of each"
        )
    if int(min_rows) < 2:
        raise ValueError(f"min_rows must be at least 2, got {min_rows}")
    K = groups.size
    with limit_threads(1):
        clf = KNeighborsClassifier(5).fit(C, y)
        s = clf.predict(C)
    zl = groups[codes]
    pooled = transport.fit_barycenter(C, zl, method="ot-randomized", random_state=random_state, **options)
    maps: dict[Any, Any] = {}
    labels = np.unique(s)
    for i, label in enumerate(labels):
        if progress is not None:
            progress(i / len(labels), f"ot-randomized maps for predicted digit {label}")
        rows = s == label
        if np.bincount(codes[rows], minlength=K).min() >= int(min_rows):
            maps[label] = transport.fit_barycenter(
                C[rows], zl[rows], method="ot-randomized", random_state=random_state, **options
            )
    weights = np.bincount(codes, minlength=K) / codes.size
    model = StratifiedBarycenter(
        groups=groups,
        weights=weights,
        total_cost=0.0,
        group_costs=np.zeros(K),
        strata=tuple(maps),
        notes="",
        _classifier=clf,
        _maps=maps,
        _pooled=pooled,
    )
    moved = model.endpoint(C, codes)
    sq = ((moved - C) ** 2).sum(1)
    gcosts = np.array([sq[codes == g].mean() for g in range(K)])
    pooled_rows = int(np.sum(~np.isin(s, list(maps))))
    return StratifiedBarycenter(
        groups=groups,
        weights=weights,
        total_cost=float(weights @ gcosts),
        group_costs=gcosts,
        strata=tuple(maps),
        notes=f"ot-randomized within {len(maps)} predicted digits "
        f"({pooled_rows} training images on the pooled map)",
        _classifier=clf,
        _maps=maps,
        _pooled=pooled,
    )


__all__ = ["StratifiedBarycenter", "fit_by_digit"]
