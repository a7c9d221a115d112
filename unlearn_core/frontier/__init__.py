"""Frontiers: utility-vs-leakage tradeoffs traced by a t-sweep (barycenter) or a lam-sweep (training).

- :func:`analytic_frontier` moves the data along the McCann path X_t = (1 - t) X + t T_Z(X) toward the
  W2 barycenter and measures distortion, leakage and downstream utility at each t.
- :func:`trained_frontier` trains a torch model with task loss + lam * I_hat(S'; Z) for each lam
  (warm-started) and measures held-out utility and leakage with estimators other than the trained one.

Both return the same :class:`Frontier` type, so one chart can show both. ``trained_frontier`` is
imported lazily (it needs torch).
"""

from typing import Any

from ._types import Frontier, pareto_mask
from .analytic import DEFAULT_TS, DOWNSTREAM, analytic_frontier, transform_split

__all__ = [
    "DEFAULT_LAMBDAS",
    "DEFAULT_TS",
    "DOWNSTREAM",
    "Frontier",
    "analytic_frontier",
    "pareto_mask",
    "trained_frontier",
    "transform_split",
]


def __getattr__(name: str) -> Any:
    if name in {"trained_frontier", "DEFAULT_LAMBDAS"}:
        from . import trained

        return getattr(trained, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
