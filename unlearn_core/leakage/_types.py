"""The LeakageEstimate result type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LeakageEstimate:
    """One leakage estimate of a learning outcome S' about a discrete Z.

    Attributes
    ----------
    value : headline figure; nats when ``is_mi`` (clipped at 0), else the measure's own unit.
    method : registry name of the estimator.
    n : number of rows used.
    seconds : wall time of the estimate (bootstrap included).
    ci : (low, high) bootstrap interval at ``ci_level`` when requested, else None.
    ci_level : confidence level of ``ci``.
    is_mi : True for estimates of mutual information, False for alternative measures (JS, W2, MMD, TV).
    raw : the value before clipping at 0 (may be negative for bias-corrected estimators).
    bias : what the estimator is known to be biased towards (shown to the user).
    diagnostics : anything else (convergence and training curves of neural estimators, probe accuracy, ...).
    """

    value: float
    method: str
    n: int
    seconds: float
    ci: tuple[float, float] | None = None
    ci_level: float = 0.9
    is_mi: bool = True
    raw: float = float("nan")
    bias: str = ""
    diagnostics: Mapping[str, Any] = field(default_factory=dict)
