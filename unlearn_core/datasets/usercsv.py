"""A user's own CSV file as a :class:`Dataset` (the explorer's "upload your data").

:func:`from_csv` reads a path, bytes or a file-like object, checks it thoroughly and either returns
a complete Dataset or raises :class:`DatasetError` with a message naming the problem and the fix;
nothing is half-built or cached on failure.

Limits (documented for the UI)
------------------------------
* size: at most ``MAX_BYTES`` = 50 MB, at most ``MAX_ROWS`` = 200,000 data rows, at most
  ``MAX_COLUMNS`` = 500 columns;
* a categorical feature may have at most ``MAX_LEVELS`` = 50 levels (it is one-hot encoded);
* the sensitive column needs >= 2 groups, each with at least ``MIN_GROUP_ROWS`` = 5 rows, and at
  most ``MAX_GROUPS`` = 20 groups;
* at least ``MIN_ROWS`` = 20 rows after dropping rows with a missing value.
"""

from __future__ import annotations

import csv as _csv
import io
import os
import warnings
from pathlib import Path
from typing import IO, Union

import numpy as np
import pandas as pd

from ._base import Dataset, DatasetError
from ._files import finish_frame, one_hot

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 500
MAX_LEVELS = 50
MAX_GROUPS = 20
MIN_GROUP_ROWS = 5
MIN_ROWS = 20
MAX_CLASSES = 20  # an integer target with more distinct values is treated as regression
DELIMITERS = ",;\t|"

Source = Union[str, os.PathLike, bytes, bytearray, memoryview, IO[bytes], IO[str]]


def _read_source(source: Source, display: str | None = None) -> tuple[bytes, str]:
    """The raw bytes of ``source`` (capped at MAX_BYTES) and a display name for messages."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = display or "uploaded file"
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise DatasetError(f"CSV file {str(source)!r} does not exist or is not a file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DatasetError(
                f"{path.name} is {size / 2**20:.1f} MB, over the {MAX_BYTES // 2**20} MB limit; "
                "sample its rows or drop columns first"
            )
        data = path.read_bytes()
        name = path.name
    elif hasattr(source, "read"):
        chunk = source.read(MAX_BYTES + 1)
        data = chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
        name = display or str(getattr(source, "name", "uploaded file"))
    else:
        raise DatasetError(
            f"source must be a path, bytes or a file-like object, got {type(source).__name__}"
        )
    if len(data) > MAX_BYTES:
        raise DatasetError(
            f"{name} is over the {MAX_BYTES // 2**20} MB limit; sample its rows or drop columns first"
        )
    return data, name


def _decode(data: bytes, name: str) -> str:
    if not data.strip():
        raise DatasetError(f"{name} is empty; upload a CSV with a header row and data rows")
    if data[:2] == b"\x1f\x8b":
        raise DatasetError(f"{name} is gzip-compressed; decompress it and upload the plain CSV")
    head = data[:8192]
    if b"\x00" in head:
        raise DatasetError(f"{name} looks binary (it contains NUL bytes), not a text CSV file")
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    control = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\r\n\t")
    if control > 0.01 * min(len(text), 8192):
        raise DatasetError(f"{name} looks binary (control characters), not a text CSV file")
    return text


def _sniff(text: str, name: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()][:50]
    if len(lines) < 2:
        raise DatasetError(f"{name} has a header but no data rows; add rows")
    sample = "\n".join(lines)
    try:
        dialect = _csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
        delim = dialect.delimiter
    except _csv.Error:
        delim = None
    if delim is None or delim not in DELIMITERS:
        # fall back: a delimiter that gives the same (> 1) field count on every sampled line
        delim = None
        for cand in DELIMITERS:
            counts = {len(next(_csv.reader([ln], delimiter=cand))) for ln in lines}
            if len(counts) == 1 and counts.pop() > 1:
                delim = cand
                break
    if delim is None:
        raise DatasetError(
            f"cannot tell the delimiter of {name}: use commas (or ; tab |) between columns and the "
            "same number of fields on every line"
        )
    return delim


def _check_header(columns: list[str], name: str) -> None:
    blank = [i + 1 for i, c in enumerate(columns) if not str(c).strip()]
    if blank:
        raise DatasetError(f"{name}: column(s) {blank} have a blank name; give every column a name")
    seen: dict[str, int] = {}
    dups = []
    for c in columns:
        key = str(c).strip()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 2:
            dups.append(key)
    if dups:
        raise DatasetError(f"{name}: duplicate column names {dups}; rename them so each is unique")
    if len(columns) > MAX_COLUMNS:
        raise DatasetError(f"{name} has {len(columns)} columns, over the limit of {MAX_COLUMNS}")
    if len(columns) < 2:
        raise DatasetError(
            f"{name} has only one column; it needs feature columns and a sensitive column"
        )


def _parse(text: str, delim: str, name: str) -> pd.DataFrame:
    try:
        header = next(_csv.reader(io.StringIO(text.lstrip("\r\n").splitlines()[0]), delimiter=delim))
    except StopIteration as exc:  # pragma: no cover - empty text is caught earlier
        raise DatasetError(f"{name} is empty") from exc
    _check_header(header, name)
    try:
        df = pd.read_csv(
            io.StringIO(text), sep=delim, dtype=str, keep_default_na=False, skipinitialspace=True,
            nrows=MAX_ROWS + 1,
        )
    except pd.errors.ParserError as exc:
        raise DatasetError(
            f"{name}: rows have different numbers of fields ({str(exc).strip()}); fix the quoting "
            "or the delimiter"
        ) from exc
    except (pd.errors.EmptyDataError, ValueError) as exc:
        raise DatasetError(f"{name} cannot be read as CSV: {exc}") from exc
    if len(df) > MAX_ROWS:
        raise DatasetError(
            f"{name} has more than {MAX_ROWS:,} rows (the limit); upload a sample of its rows"
        )
    df.columns = [str(c).strip() for c in df.columns]
    # normalise cells: strip, and treat common missing markers as missing
    missing = {"", "na", "n/a", "nan", "null", "none", "?", "-"}
    df = df.apply(lambda s: s.str.strip())
    return df.mask(df.apply(lambda s: s.str.lower().isin(missing)))


def _as_numeric(col: pd.Series) -> pd.Series | None:
    """The column as floats when every non-missing cell is a number, else None."""
    values = col.dropna()
    if values.empty:
        return None
    num = pd.to_numeric(values, errors="coerce")
    if num.isna().any():
        return None
    return pd.to_numeric(col, errors="coerce").astype(float)


def _infer_task(y_raw: pd.Series, y_num: pd.Series | None) -> str:
    if y_num is None:
        return "classification"
    uniq = np.unique(y_num.dropna().to_numpy())
    if np.all(uniq == np.round(uniq)) and len(uniq) <= MAX_CLASSES:
        return "classification"
    return "regression"


def csv_columns(source: Source, *, name: str | None = None) -> list[str]:
    """The column names of a CSV (its header), with the same checks and messages as :func:`from_csv`.

    For the UI's column pickers before the user chooses target and sensitive: it decodes the
    file, sniffs the delimiter and checks the header (blank or duplicate names, size caps), and
    raises :class:`DatasetError` exactly as :func:`from_csv` would on those problems.
    """
    data, file_name = _read_source(source, name)
    text = _decode(data, file_name)
    delim = _sniff(text, file_name)
    first = next(ln for ln in text.splitlines() if ln.strip())
    header = [c.strip() for c in next(_csv.reader([first], delimiter=delim))]
    _check_header(header, file_name)
    return header


def from_csv(
    source: Source,
    *,
    target: str | None,
    sensitive: str,
    features: list[str] | tuple[str, ...] | None = None,
    task: str | None = None,
    name: str | None = None,
) -> Dataset:
    """Read a user's CSV into a :class:`Dataset` with sensitive attribute ``sensitive``.

    Parameters
    ----------
    source : a path, the file's bytes (what the UI's uploader gives), or a file-like object.
    target : the column to predict, or None for a dataset without a target (data-level unlearning).
    sensitive : the column whose information is to be forgotten (Z); its values are the groups.
    features : the columns to use as X (default: every other column).
    task : "classification" or "regression"; inferred when None: a non-numeric target, or an
        integer target with at most 20 distinct values, is classification.
    name : the dataset's name, also used in error messages (default: the file's name, or
        "uploaded file" for bytes).

    Processing: the delimiter is sniffed (``,`` ``;`` tab ``|``); cells "", NA, N/A, NaN, null, ?
    are missing and rows with a missing value in a used column are dropped (counted in
    ``notes``); numeric columns stay as they are (no scaling); other columns are categorical and
    one-hot encoded (at most 50 levels); constant columns are dropped with a warning. See the
    module docstring for the size limits. Every problem raises :class:`DatasetError`.
    """
    data, file_name = _read_source(source, name)
    ds_name = name or file_name
    text = _decode(data, file_name)
    delim = _sniff(text, file_name)
    df = _parse(text, delim, file_name)
    columns = list(df.columns)

    # -- the caller's column choices ---------------------------------------------------------
    if not isinstance(sensitive, str) or not sensitive:
        raise DatasetError("sensitive must name a column of the file")
    if sensitive not in columns:
        raise DatasetError(
            f"sensitive column {sensitive!r} is not in {file_name}; columns are {columns[:20]}"
        )
    if target is not None:
        if target not in columns:
            raise DatasetError(
                f"target column {target!r} is not in {file_name}; columns are {columns[:20]}"
            )
        if target == sensitive:
            raise DatasetError(
                f"target and sensitive are the same column ({target!r}); choose different columns"
            )
    if task is not None and task not in ("classification", "regression"):
        raise DatasetError(f"task must be 'classification', 'regression' or None, got {task!r}")
    if features is None:
        feats = [c for c in columns if c not in (target, sensitive)]
    else:
        if isinstance(features, str):
            raise DatasetError("features must be a list of column names, not a single string")
        feats = list(dict.fromkeys(features))
        unknown = [f for f in feats if f not in columns]
        if unknown:
            raise DatasetError(f"features {unknown} are not columns of {file_name}; check the names")
        clash = [f for f in feats if f in (target, sensitive)]
        if clash:
            raise DatasetError(
                f"features {clash} include the target or the sensitive column; remove them from "
                "features (the sensitive column is Z, kept out of X)"
            )
    if not feats:
        raise DatasetError(f"{file_name}: no feature columns left; add columns or list features")

    used = feats + [sensitive] + ([target] if target is not None else [])
    all_missing = [c for c in used if df[c].isna().all()]
    if all_missing:
        raise DatasetError(f"column(s) {all_missing} are entirely missing; remove them or fill them in")

    n_total = len(df)
    df = df[used].dropna().reset_index(drop=True)
    n_dropped = n_total - len(df)
    if len(df) < MIN_ROWS:
        raise DatasetError(
            f"{file_name} has {len(df)} complete rows ({n_dropped} dropped for missing values); at "
            f"least {MIN_ROWS} are needed"
        )

    # -- sensitive attribute -------------------------------------------------------------------
    z_raw = df[sensitive]
    z_num = _as_numeric(z_raw)
    if z_num is not None and np.all(z_num == np.round(z_num)):
        z_vals = z_num.astype(np.int64).astype(str)
    else:
        z_vals = z_raw.astype(str)
    counts = z_vals.value_counts()
    if len(counts) < 2:
        raise DatasetError(
            f"sensitive column {sensitive!r} has fewer than 2 groups (only {counts.index.tolist()}); "
            "choose a column with at least two values"
        )
    if len(counts) > MAX_GROUPS:
        raise DatasetError(
            f"sensitive column {sensitive!r} has {len(counts)} groups (limit {MAX_GROUPS}); bin it "
            "into fewer groups first (e.g. age bands)"
        )
    small = counts[counts < MIN_GROUP_ROWS]
    if not small.empty:
        raise DatasetError(
            f"sensitive group(s) {small.index.tolist()} have too few rows ({small.tolist()}); each "
            f"group needs at least {MIN_GROUP_ROWS} rows: merge or drop small groups"
        )
    z = z_vals.rename(sensitive)

    # -- target --------------------------------------------------------------------------------
    y = None
    chosen_task = None
    notes = [f"delimiter {delim!r}; {n_total:,} data rows"]
    if n_dropped:
        notes.append(f"{n_dropped:,} rows with a missing value in a used column dropped")
    if target is not None:
        y_num = _as_numeric(df[target])
        chosen_task = task or _infer_task(df[target], y_num)
        if chosen_task == "regression":
            if y_num is None:
                raise DatasetError(
                    f"target {target!r} is not numeric, so it cannot be a regression target; use "
                    "task='classification'"
                )
            if not np.all(np.isfinite(y_num)):
                raise DatasetError(f"target {target!r} has infinite values; remove those rows")
            y = y_num.rename(target)
        else:
            if y_num is not None:
                if not np.all(np.isfinite(y_num)):
                    raise DatasetError(f"target {target!r} has infinite values; remove those rows")
                if np.all(y_num == np.round(y_num)):
                    y = y_num.astype(np.int64).rename(target)
                else:
                    y = y_num.rename(target)
            else:
                y = df[target].astype(str).rename(target)
            n_classes = y.nunique()
            if n_classes < 2:
                raise DatasetError(f"target {target!r} has a single class; a classifier needs two or more")
            if n_classes > MAX_LEVELS:
                raise DatasetError(
                    f"target {target!r} has {n_classes} classes (limit {MAX_LEVELS}); use "
                    "task='regression' if it is a number"
                )
        notes.append(f"task: {chosen_task}" + (" (inferred)" if task is None else ""))

    # -- features ------------------------------------------------------------------------------
    numeric_cols: list[str] = []
    categorical_cols: list[str] = []
    num_data: dict[str, pd.Series] = {}
    constant: list[str] = []
    for col in feats:
        values = df[col]
        if values.nunique() <= 1:
            constant.append(col)
            continue
        as_num = _as_numeric(values)
        if as_num is not None:
            if not np.all(np.isfinite(as_num)):
                raise DatasetError(
                    f"column {col!r} has infinite values (inf); replace or remove them"
                )
            num_data[col] = as_num
            numeric_cols.append(col)
        else:
            n_levels = values.nunique()
            if n_levels > MAX_LEVELS:
                raise DatasetError(
                    f"categorical column {col!r} has {n_levels} levels (limit {MAX_LEVELS}); drop it "
                    "from features or group rare levels (free text and IDs cannot be one-hot "
                    "encoded)"
                )
            categorical_cols.append(col)
    if constant:
        msg = f"constant column(s) {constant} dropped: they carry no information"
        warnings.warn(msg, UserWarning, stacklevel=2)
        notes.append(msg)
    if not numeric_cols and not categorical_cols:
        raise DatasetError(f"{file_name}: every feature column is constant; nothing is left for X")
    num_frame = pd.DataFrame(num_data, index=df.index)
    cat_frame, groups = one_hot(df, categorical_cols)
    clash = set(num_frame.columns) & set(cat_frame.columns)
    if clash:
        raise DatasetError(
            f"one-hot column names {sorted(clash)} collide with existing columns; rename them"
        )
    X = finish_frame(pd.concat([num_frame, cat_frame], axis=1))
    if categorical_cols:
        notes.append(f"one-hot encoded: {', '.join(categorical_cols)}")
    return Dataset(
        name=ds_name,
        X=X,
        y=y,
        task=chosen_task,
        z=z.reset_index(drop=True),
        numeric_columns=tuple(numeric_cols),
        categorical_groups=groups,
        description=f"Uploaded file {file_name}: {len(X):,} rows, Z = {sensitive}"
        + (f", target {target}" if target else ""),
        source=f"user upload ({file_name})",
        license="the uploader's data: the uploader's responsibility",
        citation=f"user-provided file {file_name}",
        notes=tuple(notes),
        options=dict(target=target, sensitive=sensitive, features=tuple(feats), task=chosen_task),
    )
