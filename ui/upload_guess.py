"""Default target and sensitive columns of an uploaded CSV, guessed from the column names and values.

The upload form opens on these guesses so that a typical file needs no change: the target is a column
named like an outcome (income, label, target, y, outcome, class, ...), the sensitive attribute Z one
named like a protected attribute (sex, gender, race, ethnicity, age, ...), and between candidates a
binary or low-cardinality column is preferred (Z defines the groups; a continuous column would make one
group per value). Target and Z are never the same column.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import pandas as pd

#: name tokens of an outcome column, most typical first
TARGET_WORDS = ("target", "label", "y", "outcome", "class", "income", "default", "response", "churn",
                "approved", "passed", "pass", "recid", "pf", "result", "diagnosis", "survived", "etiquette",
                "étiquette", "cible")
#: name tokens of a protected attribute: (token, weight); sex / race before age (age is often continuous)
SENSITIVE_WORDS = (("sex", 10), ("gender", 10), ("sexe", 10), ("race", 10), ("ethnicity", 10),
                   ("ethnic", 9), ("religion", 8), ("nationality", 8), ("disability", 8), ("age", 6),
                   ("âge", 6), ("marital", 4))
SAMPLE_ROWS = 2000
SAMPLE_BYTES = 1_000_000


def _tokens(name: str) -> set[str]:
    low = name.strip().lower()
    return {t for t in re.split(r"[^\w]+|_", low) if t} | {low}


def _sample(data: bytes) -> pd.DataFrame | None:
    """The first rows of the file as text columns (None when pandas cannot read it; names still work)."""
    try:
        return pd.read_csv(io.BytesIO(data[:SAMPLE_BYTES]), sep=None, engine="python", nrows=SAMPLE_ROWS,
                           dtype=str, skipinitialspace=True, encoding_errors="replace")
    except Exception:  # noqa: BLE001 - a guess only: the real parser reports the file's problems
        return None


def _distinct(frame: pd.DataFrame | None, column: str) -> int | None:
    if frame is None or column not in frame:
        return None
    return int(frame[column].replace("", pd.NA).dropna().nunique())


def _target_score(name: str, distinct: int | None) -> float:
    toks = _tokens(name)
    score = 0.0
    for rank, word in enumerate(TARGET_WORDS):
        if word in toks:
            score = max(score, 20.0 - 0.1 * rank)
    if distinct is not None:
        if distinct == 2:
            score += 3
        elif distinct <= 1:
            score -= 5  # one value: nothing to predict
    return score


def _sensitive_score(name: str, distinct: int | None) -> float:
    toks = _tokens(name)
    score = max((w for word, w in SENSITIVE_WORDS if word in toks), default=0)
    if distinct is not None:
        if distinct <= 1:
            score -= 20  # one group: nothing to forget
        elif distinct == 2:
            score += 3
        elif distinct <= 10:
            score += 2
        elif distinct > 20:
            score -= 6  # continuous-looking: one group per value
    return float(score)


def guess_roles(data: bytes, columns: Sequence[str]) -> tuple[str | None, str]:
    """(target or None, sensitive) for a CSV with header ``columns``; never the same column.

    Parameters
    ----------
    data : the file's bytes (a sample of the first rows is read for the column types).
    columns : its header, as :func:`unlearn_core.datasets.csv_columns` returns it (at least one name).
    """
    columns = [str(c) for c in columns]
    if not columns:
        raise ValueError("the file has no columns")
    frame = _sample(data)
    distinct = {c: _distinct(frame, c) for c in columns}
    t_scores = {c: _target_score(c, distinct[c]) for c in columns}
    target = max(columns, key=lambda c: (t_scores[c], columns.index(c)))  # ties: the later column
    if t_scores[target] < 10:  # no outcome-like name: the last column when it looks like labels
        last = columns[-1]
        d = distinct[last]
        target = last if len(columns) > 1 and d is not None and 2 <= d <= 10 else None
    rest = [c for c in columns if c != target] or columns
    s_scores = {c: _sensitive_score(c, distinct[c]) for c in rest}
    sensitive = max(rest, key=lambda c: (s_scores[c], -rest.index(c)))  # ties: the earlier column
    if sensitive == target:  # a one-column file: no target
        target = None
    return target, sensitive
