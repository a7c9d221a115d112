"""Frontiers: utility-vs-leakage tradeoffs traced by a t-sweep (barycenter) or a lam-sweep (training)."""

from ._types import Frontier, pareto_mask

__all__ = ["Frontier", "pareto_mask"]
