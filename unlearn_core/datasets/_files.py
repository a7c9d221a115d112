"""Helpers shared by the loaders: shipped raw files, one-hot encoding, subsampling, assembly.

Every shipped file is verified against ``assets/data/SHA256SUMS`` the first time it is read in a
process; the parsed frames are cached with :func:`functools.lru_cache` and handed out as copies so
no caller can mutate the cache. :func:`assemble` is the one place a loader's pieces become a
:class:`Dataset` (final dtype / finiteness checks, the optional stratified subsample).
"""

from __future__ import annotations

import gzip
import hashlib
import io
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .._utils import RandomState, check_random_state
from ._base import Dataset, DatasetError

ASSETS_DIR = Path(__file__).resolve().parents[2] / "assets" / "data"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def maybe_gunzip(data: bytes) -> bytes:
    """Decompress ``data`` when it starts with the gzip magic bytes, else return it unchanged."""
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DatasetError(f"a gzip file is corrupt or truncated ({exc}); download it again") from exc
    return data


@lru_cache(maxsize=1)
def _asset_sums() -> dict[str, str]:
    sums_path = ASSETS_DIR / "SHA256SUMS"
    if not sums_path.is_file():
        raise DatasetError(
            f"{sums_path} is missing: the shipped data folder is incomplete; reinstall the project"
        )
    sums: dict[str, str] = {}
    for line in sums_path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            sums[parts[1].lstrip("*")] = parts[0].lower()
    return sums


@lru_cache(maxsize=16)
def asset_bytes(filename: str) -> bytes:
    """The raw bytes of a shipped file, checked against ``SHA256SUMS`` (cached per process)."""
    path = ASSETS_DIR / filename
    if not path.is_file():
        raise DatasetError(
            f"shipped data file {path} is missing; reinstall the project (it ships in assets/data)"
        )
    data = path.read_bytes()
    expected = _asset_sums().get(filename)
    if expected is None:
        raise DatasetError(f"{filename} has no entry in {ASSETS_DIR / 'SHA256SUMS'}; add its SHA-256")
    got = sha256_bytes(data)
    if got != expected:
        raise DatasetError(
            f"checksum mismatch for {path}: SHA-256 {got[:16]}... but SHA256SUMS says "
            f"{expected[:16]}...; the file is corrupt or was changed, restore it from the repository"
        )
    return data


def asset_text(filename: str) -> str:
    return maybe_gunzip(asset_bytes(filename)).decode("utf-8")


def asset_stream(filename: str) -> io.BytesIO:
    """A fresh in-memory stream over the (decompressed) contents of a shipped file."""
    return io.BytesIO(maybe_gunzip(asset_bytes(filename)))


def one_hot(
    frame: pd.DataFrame, columns: list[str], *, orders: dict[str, list[str]] | None = None
) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """One-hot encode ``columns`` of ``frame`` as float columns named ``"<column>=<level>"``.

    Every level gets a column (no level is dropped: the Gaussian and OT maps need the full
    simplex, and models with an intercept handle the collinearity with a penalty). Levels are
    sorted (numbers numerically) so the column order is deterministic, unless ``orders`` gives
    the level order of a column explicitly.
    """
    blocks: list[pd.DataFrame] = []
    groups: dict[str, tuple[str, ...]] = {}
    n = len(frame)
    for col in columns:
        codes, uniques = pd.factorize(frame[col].astype(str), sort=False)  # a code per row, no NaN left
        present = [str(u) for u in uniques]
        if orders and col in orders:
            levels = [lvl for lvl in orders[col] if lvl in set(present)]
        else:
            levels = sorted(present, key=_natural_key)
        names = [f"{col}={lvl}" for lvl in levels]
        # column of each present level (-1: a level that ``orders`` leaves out gets an all-zero row)
        where = {lvl: j for j, lvl in enumerate(levels)}
        col_of = np.array([where.get(u, -1) for u in present], dtype=np.int64)
        onehot = np.zeros((n, len(levels)), dtype=float)
        rows = np.flatnonzero(col_of[codes] >= 0)
        onehot[rows, col_of[codes][rows]] = 1.0
        block = pd.DataFrame(onehot, columns=names, index=frame.index)
        blocks.append(block)
        groups[col] = tuple(names)
    if not blocks:
        return pd.DataFrame(index=frame.index), groups
    return pd.concat(blocks, axis=1), groups


def _natural_key(s: str) -> tuple:
    """Sort numbers numerically and strings alphabetically (so '6' < '12' and '<6' first)."""
    try:
        return (0, float(s), "")
    except ValueError:
        return (1, 0.0, s)


def standardize(frame: pd.DataFrame) -> pd.DataFrame:
    """Z-score every column (population std); constant columns are centred only."""
    mean = frame.mean()
    std = frame.std(ddof=0).replace(0.0, 1.0)
    return (frame - mean) / std


def numeric_and_one_hot(
    frame: pd.DataFrame, numeric: list[str], categorical: list[str], *, scale: bool = True
) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """The feature matrix of a tabular loader: the ``numeric`` columns as floats (z-scored by
    :func:`standardize` when ``scale``), then the one-hot ``categorical`` columns (:func:`one_hot`)."""
    num = frame[numeric].astype(float)
    if scale:
        num = standardize(num)
    cat, groups = one_hot(frame, categorical)
    return pd.concat([num, cat], axis=1), groups


def stratified_subsample(
    n_samples: int | None, strata: pd.Series, random_state: RandomState
) -> np.ndarray | None:
    """Positions of a seeded subsample of ``n_samples`` rows stratified by ``strata``.

    Returns None when ``n_samples`` is None or not smaller than the number of rows. Each stratum
    keeps (approximately) its share, and at least one row, so no group disappears.
    """
    n = len(strata)
    if n_samples is None:
        return None
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise DatasetError(f"n_samples must be an int or None, got {n_samples!r}")
    if n_samples < 20:
        raise DatasetError(f"n_samples must be at least 20, got {n_samples}")
    if n_samples >= n:
        return None
    from sklearn.model_selection import train_test_split

    idx = np.arange(n)
    rng = check_random_state(random_state)
    seed = int(rng.integers(0, 2**31 - 1))
    counts = strata.value_counts()
    labels = strata.to_numpy()
    if counts.min() < 2 or len(counts) > n_samples:
        # too fine to stratify: fall back to a plain seeded draw
        keep = rng.choice(n, size=n_samples, replace=False)
    else:
        keep, _ = train_test_split(idx, train_size=n_samples, random_state=seed, stratify=labels)
    return np.sort(np.asarray(keep))


def finish_frame(X: pd.DataFrame) -> pd.DataFrame:
    """Final checks shared by all loaders: float64 columns, unique string names, no NaN/inf."""
    X = X.astype(float).reset_index(drop=True)
    X.columns = [str(c) for c in X.columns]
    if X.columns.duplicated().any():
        dup = X.columns[X.columns.duplicated()].tolist()
        raise DatasetError(f"internal error: duplicate feature names {dup}")
    values = X.to_numpy()
    if not np.all(np.isfinite(values)):
        bad = X.columns[~np.isfinite(values).all(axis=0)].tolist()
        raise DatasetError(f"internal error: non-finite values in columns {bad}")
    return X


def check_choice(value: str, choices: tuple[str, ...], what: str, dataset: str) -> None:
    """Raise a DatasetError naming the valid choices when ``value`` is not one of them."""
    if value not in choices:
        raise DatasetError(
            f"{dataset}: {what}={value!r} is not available; choose one of {', '.join(choices)}"
        )


def _subsample(z: pd.Series, y: pd.Series | None, n_samples, random_state):
    strata = z.astype(str) if y is None else z.astype(str) + "|" + y.astype(str)
    return stratified_subsample(n_samples, strata.reset_index(drop=True), random_state)


def assemble(
    *, name: str, X: pd.DataFrame, y: pd.Series | None, task, z: pd.Series,
    numeric: list[str], groups: dict[str, tuple[str, ...]], n_samples, random_state, **meta,
) -> Dataset:
    """Subsample (stratified by z, y), check and wrap the pieces in a Dataset."""
    X = finish_frame(X)
    z = z.reset_index(drop=True)
    y = None if y is None else y.reset_index(drop=True)
    notes = list(meta.pop("notes", ()))
    keep = _subsample(z, y if task == "classification" else None, n_samples, random_state)
    if keep is None and n_samples is not None:
        notes.append(f"n_samples={n_samples:,} is not below the {len(X):,} rows: all rows kept")
    if keep is not None:
        notes.append(
            f"stratified subsample of {len(keep):,} of {len(X):,} rows (seeded by random_state)"
        )
        X = X.iloc[keep].reset_index(drop=True)
        z = z.iloc[keep].reset_index(drop=True)
        y = None if y is None else y.iloc[keep].reset_index(drop=True)
    return Dataset(
        name=name, X=X, y=y, task=task, z=z, numeric_columns=tuple(numeric),
        categorical_groups=groups, notes=tuple(notes), **meta,
    )


#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names no spreadsheet will run as formulas.

    A text cell (or column name) starting with ``=`` ``+`` ``-`` ``@`` tab or carriage return gets a
    leading apostrophe, which spreadsheets show as text (OWASP's advice against CSV injection: a user's
    file may carry ``=HYPERLINK(...)`` in a category or a header, and the export must not run it).
    Numeric columns are left alone, so negative numbers stay numbers.
    """

    def esc(v: object) -> object:
        return "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v

    out = frame.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map(esc)
    out.columns = [esc(str(c)) for c in out.columns]
    return out


def safe_csv(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV bytes, escaped with :func:`escape_formulas` (for every export)."""
    return escape_formulas(frame).to_csv(index=False).encode()
