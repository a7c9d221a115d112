"""Frontiers: utility-vs-leakage tradeoffs traced by a t-sweep (barycenter) or a lam-sweep (training).

- :func:`analytic_frontier` moves the data along the McCann path X_t = (1 - t) X + t T_Z(X) toward the
  W2 barycenter and measures distortion, leakage and downstream utility at each t.
- :func:`trained_frontier` trains a torch model with task loss + lam * I_hat(S'; Z) for each lam
  (warm-started) and measures held-out utility and leakage with estimators other than the trained one.

Both return the same :class:`Frontier` type, so one chart can show both. Both sweeps are imported
lazily: ``analytic_frontier`` needs scikit-learn and scipy.stats, ``trained_frontier`` needs torch, and
code that only reads or draws a :class:`Frontier` (the plots, the explorer's first page) needs neither.
"""

from typing import Any

from ._types import Frontier, pareto_mask

__all__ = [
    "DEFAULT_LAMBDAS",
    "DEFAULT_TS",
    "DOWNSTREAM",
    "AnalyticFrontierConfig",
    "Frontier",
    "TrainedFrontierConfig",
    "analytic_frontier",
    "pareto_mask",
    "trained_frontier",
    "transform_split",
]

_LAZY = {
    "DEFAULT_TS": "analytic",
    "DOWNSTREAM": "analytic",
    "analytic_frontier": "analytic",
    "transform_split": "analytic",
    "trained_frontier": "trained",
    "DEFAULT_LAMBDAS": "trained",
    "TrainedFrontierConfig": "trained",
    "AnalyticFrontierConfig": "analytic",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{module}", __name__), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
