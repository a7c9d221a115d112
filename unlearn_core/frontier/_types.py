"""The Frontier result type shared by the analytic (t-sweep) and trained (lam-sweep) frontiers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd


def pareto_mask(utility: np.ndarray, leakage: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows not dominated when maximising utility and minimising leakage.

    Row i is dominated when some row j has utility_j >= utility_i and leakage_j <= leakage_i with at
    least one strict inequality. NaN rows are never Pareto-optimal. O(n^2), fine for sweeps of <= 1000.
    """
    u = np.asarray(utility, dtype=float)
    l = np.asarray(leakage, dtype=float)
    ok = np.isfinite(u) & np.isfinite(l)
    mask = ok.copy()
    for i in np.flatnonzero(ok):
        better_or_equal = ok & (u >= u[i]) & (l <= l[i])
        strictly = (u > u[i]) | (l < l[i])
        if np.any(better_or_equal & strictly):
            mask[i] = False
    return mask


@dataclass(frozen=True, eq=False)
class Frontier:
    """A utility-vs-leakage tradeoff: one row of ``table`` per value of the sweep parameter.

    Attributes
    ----------
    table : tidy DataFrame, one row per ``param`` value; always has the ``param`` column, the
        ``utility`` and ``leakage`` columns named below, and a boolean ``pareto`` column.
    kind : "analytic" (barycenter McCann path, sweep over t) or "trained" (regularised training,
        sweep over lam).
    param : "t" or "lam".
    utility : name of the column used as utility on the frontier (higher is better).
    leakage : name of the column used as leakage on the frontier (lower is better).
    meta : what produced it (dataset fingerprint, method, estimator, seed, V, timings, ...).
    seconds : wall time of the whole sweep.
    """

    table: pd.DataFrame
    kind: Literal["analytic", "trained"]
    param: Literal["t", "lam"]
    utility: str
    leakage: str
    meta: Mapping[str, Any] = field(default_factory=dict)
    seconds: float = float("nan")

    def __post_init__(self) -> None:
        for col in (self.param, self.utility, self.leakage):
            if col not in self.table.columns:
                raise ValueError(f"Frontier table has no column {col!r}; "
                                 f"columns are {list(self.table.columns)}")

    @classmethod
    def build(
        cls,
        table: pd.DataFrame,
        *,
        kind: Literal["analytic", "trained"],
        param: Literal["t", "lam"],
        utility: str,
        leakage: str,
        meta: Mapping[str, Any] | None = None,
        seconds: float = float("nan"),
    ) -> Frontier:
        """Make a Frontier, computing the ``pareto`` column from ``utility`` and ``leakage``."""
        table = table.reset_index(drop=True).copy()
        table["pareto"] = pareto_mask(table[utility].to_numpy(), table[leakage].to_numpy())
        return cls(table, kind, param, utility, leakage, dict(meta or {}), seconds)

    def pareto_table(self) -> pd.DataFrame:
        return self.table[self.table["pareto"]].reset_index(drop=True)

    def to_csv(self) -> str:
        return self.table.to_csv(index=False)
