"""A user's own CSV file as a :class:`Dataset` (the explorer's "upload your data").

:func:`from_csv` reads a path, bytes or a file-like object, checks it thoroughly and either returns
a complete Dataset or raises :class:`DatasetError` with a message naming the problem and the fix;
nothing is half-built or cached on failure. It diagnoses like a person would: a numeric column with a
few stray tokens is reported with the rows and the tokens (not silently one-hot encoded); UTF-16 and
Latin-1 files are read and named, decimal commas are read as decimals; the delimiter is the one that
parses every sampled line into the same number of fields; missing-value markers are counted per
column in ``notes``.

Limits (documented for the UI)
------------------------------
* size: at most ``MAX_BYTES`` = 50 MB, at most ``MAX_ROWS`` = 200,000 data rows, at most
  ``MAX_COLUMNS`` = 500 columns, at most ``MAX_RAW_CELLS`` = 5,000,000 cells in the used columns
  (checked before the cells are parsed);
* memory: the design matrix after one-hot encoding has at most ``MAX_DESIGN_CELLS`` = 6,000,000 cells
  (48 MB as float64, about the size of the whole of Adult) and at most ``MAX_DESIGN_COLUMNS`` = 1,000
  columns (a barycenter works with d x d matrices). Both are checked *before* the matrix is built, and
  the message names the columns to drop. A 15 MB file of 498 categorical columns with 50 levels each
  would otherwise expand to 1.5 GB;
* a categorical feature may have at most ``MAX_LEVELS`` = 50 levels (it is one-hot encoded);
* the sensitive column needs >= 2 groups, each with at least ``MIN_GROUP_ROWS`` = 20 rows (the
  explorer's held-out attacker cross-fits 5 folds on a 30 % test split), and at most ``MAX_GROUPS`` = 20
  groups; a classification target needs ``MIN_CLASS_ROWS`` = 10 rows per class (fewer leaves a class
  out of the test split and its AUC undefined);
* at least ``MIN_ROWS`` = 40 rows after dropping rows with a missing value.
"""

from __future__ import annotations

import csv as _csv
import io
import os
import re
import warnings
from collections import Counter
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np
import pandas as pd

from ._base import Dataset, DatasetError
from ._files import finish_frame, one_hot

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 500
MAX_RAW_CELLS = 5_000_000
MAX_DESIGN_CELLS = 6_000_000
MAX_DESIGN_COLUMNS = 1_000
MAX_LEVELS = 50
MAX_GROUPS = 20
MIN_GROUP_ROWS = 20
MIN_CLASS_ROWS = 10
MIN_ROWS = 40
MAX_CLASSES = 20  # an integer target with more distinct values is treated as regression
DELIMITERS = ",;\t|"
#: Cells read as missing (compared after stripping, case-insensitive). Counted per column in ``notes``.
MISSING_MARKERS = ("", "na", "n/a", "nan", "null", "none", "?", "-")
#: Markers that are also plausible group names ("NA" = North America, "None" = no religion...).
_WORDLIKE_MARKERS = {"na", "n/a", "nan", "null", "none"}
#: A number written with a decimal comma (and optional thousands dots): 1,5  -3,25  1.234,5
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+),\d+$")
#: At most this share of a column's cells may be stray for it to count as numeric with stray tokens.
_STRAY_SHARE = 0.05

Source = str | os.PathLike | bytes | bytearray | memoryview | IO[bytes] | IO[str]


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
        name = display or path.name
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


def _utf16_guess(head: bytes) -> str | None:
    """"utf-16-le" / "utf-16-be" when ``head`` looks like BOM-less UTF-16 text (NUL every other byte)."""
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _decode_named(data: bytes, name: str) -> tuple[str, str]:
    """The file's text and the encoding it was read with ("utf-8", "utf-16", "cp1252", "latin-1")."""
    if not data.strip():
        raise DatasetError(f"{name} is empty; upload a CSV with a header row and data rows")
    if data[:2] == b"\x1f\x8b":
        raise DatasetError(f"{name} is gzip-compressed; decompress it and upload the plain CSV")
    head = data[:8192]
    encodings: tuple[str, ...]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encodings = ("utf-16",)
    elif (guess := _utf16_guess(head)) is not None:
        encodings = (guess,)
    elif b"\x00" in head:
        raise DatasetError(f"{name} looks binary (it contains NUL bytes), not a text CSV file")
    else:
        encodings = ("utf-8-sig", "cp1252", "latin-1")
    text, used = None, ""
    for encoding in encodings:
        try:
            text, used = data.decode(encoding), encoding
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise DatasetError(f"{name} is not valid {encodings[0].upper()} text; save it as UTF-8 CSV")
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise DatasetError(f"{name} is empty; upload a CSV with a header row and data rows")
    control = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\r\n\t")
    if control > 0.01 * min(len(text), 8192):
        raise DatasetError(f"{name} looks binary (control characters), not a text CSV file")
    nul = text.find("\x00")
    if nul >= 0:  # past the sniffed head: name the line rather than let NULs leak into values
        line = text.count("\n", 0, nul) + 1
        raise DatasetError(f"{name} has a NUL byte on line {line:,}: the file is corrupt or not plain text; "
                           "re-export it as CSV")
    return text, {"utf-8-sig": "utf-8"}.get(used, used)


def _decode(data: bytes, name: str) -> str:
    """The file's text (see :func:`_decode_named`)."""
    return _decode_named(data, name)[0]


def _records(text: str, delim: str, limit: int = 200) -> list[list[str]]:
    """The first ``limit`` non-blank records of ``text`` parsed with ``delim`` (quotes respected)."""
    out: list[list[str]] = []
    reader = _csv.reader(io.StringIO(text[: 1 << 16]), delimiter=delim)
    try:
        for rec in reader:
            if rec and any(c.strip() for c in rec):
                out.append(rec)
            if len(out) > limit:
                break
    except _csv.Error:
        return []
    if len(text) > 1 << 16 and out:
        out = out[:-1]  # the last record may be cut by the sample
    return out[:limit]


def _sniff(text: str, name: str) -> str:
    """The delimiter that parses the sampled lines into one consistent number (> 1) of fields.

    Chosen by parsing, not by character counts (``csv.Sniffer`` picks ";" on a comma file with a quoted
    formula such as ``"=SUM(A1;B1)"``): for each candidate (``,`` ``;`` tab ``|``) the first 200 records
    are parsed with quotes respected; a candidate qualifies when the header has more than one field and
    at least 90 % of the records have as many (a ragged line is then reported by the parser, with its
    line). The candidate whose records agree most wins, then the one with more fields, then that order.
    """
    lines = [ln for ln in text.splitlines() if ln.strip()][:3]
    if len(lines) < 2:
        raise DatasetError(f"{name} has a header but no data rows; add rows")
    best, best_score = None, (0.0, 1)
    for cand in DELIMITERS:
        recs = _records(text, cand)
        if len(recs) < 2:
            continue
        width = len(recs[0])
        agree = sum(len(r) == width for r in recs[1:]) / (len(recs) - 1)
        if width > 1 and agree >= 0.9 and (agree, width) > best_score:
            best, best_score = cand, (agree, width)
    if best is None:
        raise DatasetError(
            f"cannot tell the delimiter of {name}: use commas (or ; tab |) between columns and the "
            "same number of fields on every line"
        )
    return best


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


def _parse(text: str, delim: str, name: str, usecols: list[str] | None = None
           ) -> tuple[pd.DataFrame, dict[str, Counter]]:
    """The cells of ``usecols`` (default all) as stripped strings, missing markers as NaN.

    Returns the frame and, per column, a Counter of the missing markers met (as written in the file).
    Columns are normalised one at a time so that the temporaries stay the size of one column.
    """
    try:
        header = next(_csv.reader(io.StringIO(text.lstrip("\r\n").splitlines()[0]), delimiter=delim))
    except StopIteration as exc:  # pragma: no cover - empty text is caught earlier
        raise DatasetError(f"{name} is empty") from exc
    _check_header(header, name)
    try:
        # every column is parsed (usecols would hide ragged rows), then only the used ones are kept
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
    if usecols is not None:
        df = df[list(usecols)]
    markers: dict[str, Counter] = {}
    missing = list(MISSING_MARKERS)
    for col in df.columns:
        # normalise the distinct values only (a categorical column has a few): strip, then markers -> NaN
        codes, uniq = pd.factorize(df[col])
        raw = pd.Index(uniq, dtype=object)
        stripped = raw.str.strip()
        is_missing = np.asarray(stripped.str.lower().isin(missing), dtype=bool)
        if is_missing.any():
            counts = np.bincount(codes, minlength=len(raw))
            markers[col] = Counter({str(stripped[i]): int(counts[i]) for i in np.flatnonzero(is_missing)})
        if is_missing.any() or not raw.equals(stripped):
            values = np.asarray(stripped, dtype=object).copy()
            values[is_missing] = np.nan
            df[col] = pd.Series(values.take(codes), index=df.index, dtype=object)
    return df, markers


def _missing_note(markers: dict[str, Counter], columns: list[str]) -> str | None:
    """'missing values: age 12 ('?' 10, blank 2); ...' for the used columns that have any."""
    parts = []
    for col in columns:
        if col in markers:
            counts = markers[col]
            what = ", ".join(f"{'blank' if k == '' else repr(k)} {v:,}" for k, v in counts.most_common())
            parts.append(f"{col} {sum(counts.values()):,} ({what})")
    return ("missing values: " + "; ".join(parts)) if parts else None


class _NumericView(NamedTuple):
    """How a column reads as numbers: ``values`` (floats, NaN where missing) when every cell is a
    number, ``stray`` (row, token) pairs when a few cells stop it, ``comma`` when decimal commas were read."""

    values: pd.Series | None
    stray: list[tuple[int, str]] | None
    comma: bool


def _numeric_view(col: pd.Series) -> _NumericView:
    """Classify ``col`` as numeric, numeric but for a few stray tokens, or not numeric.

    Works on the distinct values (a categorical column has few), so it costs one parse per level.
    Decimal commas (``1,5``; ``1.234,5``) count as numbers when no plain value uses a decimal dot.
    "A few stray tokens": at most 5 % of the non-missing cells, with at least 5 numeric cells; rows count
    data rows from 1 (the line after the header is row 1).
    """
    values = col.dropna()
    if values.empty:
        return _NumericView(None, None, False)
    counts = values.value_counts(sort=False)  # the distinct values and how often each occurs
    uniq = pd.Series(counts.index, dtype=object).astype(str)
    num = pd.to_numeric(uniq, errors="coerce")
    bad = num.isna().to_numpy()
    if not bad.any():
        return _NumericView(pd.to_numeric(col, errors="coerce").astype(float), None, False)
    odd = uniq[bad]
    if any("," in u for u in odd):
        comma = odd.str.match(_DECIMAL_COMMA).to_numpy(dtype=bool)
    else:
        comma = np.zeros(len(odd), dtype=bool)
    dotted = uniq[~bad].str.contains(".", regex=False).any()
    if comma.all() and not dotted:
        fixed = col.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        return _NumericView(pd.to_numeric(fixed, errors="coerce").astype(float), None, True)
    stray = bad.copy()
    if not dotted:
        stray[np.flatnonzero(bad)[comma]] = False  # decimal-comma numbers are numbers, not strays
    n_bad = int(counts.to_numpy()[stray].sum())
    if len(values) - n_bad >= 5 and 0 < n_bad <= _STRAY_SHARE * len(values):
        is_bad = values.isin(set(uniq[stray].tolist())).to_numpy()
        return _NumericView(None, [(int(i) + 1, str(values[i])) for i in values.index[is_bad]], False)
    return _NumericView(None, None, False)


def _as_numeric(col: pd.Series) -> pd.Series | None:
    """The column as floats when every non-missing cell is a number (decimal commas read), else None."""
    return _numeric_view(col).values


def _infer_task(y_raw: pd.Series, y_num: pd.Series | None) -> str:
    if y_num is None:
        return "classification"
    uniq = np.unique(y_num.dropna().to_numpy())
    if np.all(uniq == np.round(uniq)) and len(uniq) <= MAX_CLASSES:
        return "classification"
    return "regression"


def _header(text: str, delim: str, name: str) -> list[str]:
    first = next(ln for ln in text.splitlines() if ln.strip())
    header = [c.strip() for c in next(_csv.reader([first], delimiter=delim))]
    _check_header(header, name)
    return header


def csv_columns(source: Source, *, name: str | None = None) -> list[str]:
    """The column names of a CSV (its header), with the same checks and messages as :func:`from_csv`.

    For the UI's column pickers before the user chooses target and sensitive: it decodes the
    file, finds the delimiter and checks the header (blank or duplicate names, size caps), and
    raises :class:`DatasetError` exactly as :func:`from_csv` would on those problems.
    """
    data, file_name = _read_source(source, name)
    text = _decode(data, file_name)
    return _header(text, _sniff(text, file_name), file_name)


def _check_choices(columns: list[str], file_name: str, target: str | None, sensitive: str,
                   features: list[str] | tuple[str, ...] | None, task: str | None) -> list[str]:
    """Check the caller's column choices against the header; return the feature columns."""
    if not isinstance(sensitive, str) or not sensitive:
        raise DatasetError("sensitive must name a column of the file")
    if sensitive not in columns:
        raise DatasetError(
            f"sensitive column {sensitive!r} is not in {file_name}; columns are {columns[:20]}"
        )
    if target is not None:
        if not isinstance(target, str):
            raise DatasetError(f"target must name a column of the file or be None, got {target!r}")
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
    return feats


def _check_raw_budget(text: str, n_used: int, file_name: str) -> None:
    """Refuse, before parsing the cells, a file with more than MAX_RAW_CELLS cells (rows x columns)."""
    n_lines = text.count("\n") + (not text.endswith("\n"))
    cells = max(n_lines - 1, 0) * n_used
    if cells > MAX_RAW_CELLS:
        raise DatasetError(
            f"{file_name} has about {n_lines - 1:,} rows x {n_used} columns = {cells:,} cells, over the "
            f"limit of {MAX_RAW_CELLS:,}; delete unused columns or upload a sample of the rows"
        )


def _check_design_budget(n_rows: int, numeric: list[str], levels: dict[str, int], file_name: str) -> None:
    """Refuse a design matrix (numeric columns + one-hot levels) over the budget, before building it.

    The message names the categorical columns that cost the most, so the user knows what to drop.
    """
    width = len(numeric) + sum(levels.values())
    cells = n_rows * width
    if cells <= MAX_DESIGN_CELLS and width <= MAX_DESIGN_COLUMNS:
        return
    costly = sorted(levels.items(), key=lambda kv: -kv[1])
    # the fewest costly columns whose removal brings the matrix under both limits
    drop, w = [], width
    for col, k in costly:
        if n_rows * w <= MAX_DESIGN_CELLS and w <= MAX_DESIGN_COLUMNS:
            break
        drop.append(f"{col} ({k} levels)")
        w -= k
    fits = n_rows * w <= MAX_DESIGN_CELLS and w <= MAX_DESIGN_COLUMNS
    shown = ", ".join(drop[:8]) + (f" and {len(drop) - 8} more" if len(drop) > 8 else "")
    advice = (f"drop {len(drop)} categorical column(s) from features: {shown}" if fits and drop else
              "pass fewer features (or group rare levels) and upload a sample of the rows")
    raise DatasetError(
        f"{file_name} would expand to a {n_rows:,} x {width:,} design matrix after one-hot encoding "
        f"({cells:,} cells, {cells * 8 / 2**30:.2f} GB as float64), over the limit of "
        f"{MAX_DESIGN_CELLS:,} cells and {MAX_DESIGN_COLUMNS:,} columns; {advice}"
    )


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

    Processing: UTF-8, UTF-16 (with or without BOM), Windows-1252 and Latin-1 are read (a non-UTF-8
    encoding is named in ``notes``). The delimiter (``,`` ``;`` tab ``|``) is the one that parses the
    sampled lines into one consistent number of fields. Cells "", NA, N/A, NaN, null, None, ?, - are
    missing, counted per column in ``notes``, and rows with a missing value in a used column are
    dropped; when the sensitive column loses rows to a word-like marker ("NA" may be North America)
    the notes and a warning say so. Numeric columns stay as they are (no scaling); numbers with
    decimal commas are read as decimals; a mostly numeric column with a few other tokens is refused
    with the rows and tokens named (it would otherwise become a categorical). Other columns are
    categorical and one-hot encoded (at most 50 levels); constant columns are dropped with a warning.
    The design matrix is checked against ``MAX_DESIGN_CELLS`` / ``MAX_DESIGN_COLUMNS`` before it is
    built. See the module docstring for all limits. Every problem raises :class:`DatasetError`.
    """
    data, file_name = _read_source(source, name)
    ds_name = name or file_name
    text, encoding = _decode_named(data, file_name)
    del data
    delim = _sniff(text, file_name)
    columns = _header(text, delim, file_name)
    feats = _check_choices(columns, file_name, target, sensitive, features, task)
    used = feats + [sensitive] + ([target] if target is not None else [])
    _check_raw_budget(text, len(columns), file_name)
    df, markers = _parse(text, delim, file_name, usecols=used)
    del text

    all_missing = [c for c in used if df[c].isna().all()]
    if all_missing:
        raise DatasetError(f"column(s) {all_missing} are entirely missing; remove them or fill them in")
    views = {c: _numeric_view(df[c]) for c in feats + ([target] if target is not None else [])}
    _check_stray(views, file_name)
    notes = [f"delimiter {delim!r}; {len(df):,} data rows"]
    if encoding != "utf-8":
        notes.append(f"encoding {encoding} (not UTF-8)")
    if (note := _missing_note(markers, used)) is not None:
        notes.append(note)
    _note_sensitive_markers(markers, sensitive, notes)
    df, kept = _drop_incomplete(df, file_name, notes)
    z = _sensitive_groups(df[sensitive], sensitive)
    y, chosen_task = None, None
    if target is not None:
        y, chosen_task = _target_values(df[target], target, task)
        notes.append(f"task: {chosen_task}" + (" (inferred)" if task is None else ""))
    X, numeric_cols, groups = _design_matrix(df, feats, views, kept, notes, file_name)
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


def _check_stray(views: dict, file_name: str) -> None:
    """Numeric columns with stray tokens: say which cells, before they turn a column categorical."""
    stray = {c: v.stray for c, v in views.items() if v.stray is not None}
    if stray:
        parts = []
        for col, toks in list(stray.items())[:5]:
            shown = ", ".join(f"row {r:,} {t!r}" for r, t in toks[:5])
            parts.append(f"column {col!r} is numeric except {len(toks)} cell(s): {shown}"
                         + (" ..." if len(toks) > 5 else ""))
        raise DatasetError(
            f"{file_name}: " + "; ".join(parts) + ". Fix those cells or blank them (a blank cell is missing "
            "and its row is dropped); rows count from 1 after the header"
        )


def _note_sensitive_markers(markers: dict, sensitive: str, notes: list[str]) -> None:
    """Warn (and note) when the sensitive column lost rows to a word-like missing marker such as "NA"."""
    z_words = {k: v for k, v in markers.get(sensitive, Counter()).items() if k.lower() in _WORDLIKE_MARKERS}
    if z_words:
        what = ", ".join(f"{k!r} ({v:,} rows)" for k, v in z_words.items())
        msg = (f"sensitive column {sensitive!r}: {what} read as missing and dropped; if it is a group (e.g. "
               "'NA' for North America), rename it in the file")
        warnings.warn(msg, UserWarning, stacklevel=3)  # the caller of from_csv
        notes.append(msg)


def _drop_incomplete(df: pd.DataFrame, file_name: str, notes: list[str]) -> tuple[pd.DataFrame, pd.Index]:
    """Drop rows with a missing value in a used column; (the complete rows, their parsed-row labels)."""
    n_total = len(df)
    kept = df.dropna().index  # the views above are indexed like the parsed rows
    df = df.loc[kept].reset_index(drop=True)
    n_dropped = n_total - len(df)
    if len(df) < MIN_ROWS:
        raise DatasetError(
            f"{file_name} has {len(df)} complete rows ({n_dropped} dropped for missing values); at "
            f"least {MIN_ROWS} are needed"
        )
    if n_dropped:
        notes.append(f"{n_dropped:,} rows with a missing value in a used column dropped")
    return df, kept


def _sensitive_groups(z_raw: pd.Series, sensitive: str) -> pd.Series:
    """The sensitive attribute as group labels (whole numbers as integers), checked for count and size."""
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
            f"group needs at least {MIN_GROUP_ROWS} rows (the held-out attacker cross-fits 5 folds on a "
            "30% test split): merge or drop small groups"
        )
    return z_vals.rename(sensitive)


def _target_values(col: pd.Series, target: str, task: str | None) -> tuple[pd.Series, str]:
    """The target column for the chosen (or inferred) task, checked; (y, task)."""
    y_num = _as_numeric(col)
    chosen_task = task or _infer_task(col, y_num)
    if chosen_task == "regression":
        if y_num is None:
            raise DatasetError(
                f"target {target!r} is not numeric, so it cannot be a regression target; use "
                "task='classification'"
            )
        if not np.all(np.isfinite(y_num)):
            raise DatasetError(f"target {target!r} has infinite values; remove those rows")
        return y_num.rename(target), chosen_task
    if y_num is not None:
        if not np.all(np.isfinite(y_num)):
            raise DatasetError(f"target {target!r} has infinite values; remove those rows")
        if np.all(y_num == np.round(y_num)):
            y = y_num.astype(np.int64).rename(target)
        else:
            y = y_num.rename(target)
    else:
        y = col.astype(str).rename(target)
    _check_classes(y, target)
    return y, chosen_task


def _check_classes(y: pd.Series, target: str) -> None:
    """A classification target has 2 to MAX_LEVELS classes, each with at least MIN_CLASS_ROWS rows."""
    n_classes = y.nunique()
    if n_classes < 2:
        raise DatasetError(f"target {target!r} has a single class; a classifier needs two or more")
    if n_classes > MAX_LEVELS:
        raise DatasetError(
            f"target {target!r} has {n_classes} classes (limit {MAX_LEVELS}); use "
            "task='regression' if it is a number"
        )
    rare = y.value_counts()
    rare = rare[rare < MIN_CLASS_ROWS]
    if not rare.empty:
        raise DatasetError(
            f"target {target!r}: class(es) {[str(v) for v in rare.index]} have only "
            f"{rare.tolist()} row(s); each class needs at least {MIN_CLASS_ROWS} (with fewer a class "
            "can miss the test split and its AUC is undefined): merge or drop rare classes"
        )


def _design_matrix(df: pd.DataFrame, feats: list[str], views: dict, kept: pd.Index, notes: list[str],
                   file_name: str) -> tuple[pd.DataFrame, list[str], Any]:
    """X: numeric features as they are, categorical ones one-hot; (X, numeric columns, one-hot groups)."""
    numeric_cols: list[str] = []
    categorical_cols: list[str] = []
    num_data: dict[str, pd.Series] = {}
    constant: list[str] = []
    comma_cols: list[str] = []
    levels: dict[str, int] = {}
    for col in feats:
        values = df[col]
        if values.nunique() <= 1:
            constant.append(col)
            continue
        view = views[col]
        as_num = None if view.values is None else view.values.loc[kept].reset_index(drop=True)
        if as_num is not None:
            if not np.all(np.isfinite(as_num)):
                raise DatasetError(
                    f"column {col!r} has infinite values (inf); replace or remove them"
                )
            if view.comma:
                comma_cols.append(col)
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
            levels[col] = int(n_levels)
    if constant:
        msg = f"constant column(s) {constant} dropped: they carry no information"
        warnings.warn(msg, UserWarning, stacklevel=3)  # the caller of from_csv
        notes.append(msg)
    if comma_cols:
        notes.append(f"decimal commas read as decimals in: {', '.join(comma_cols)}")
    if not numeric_cols and not categorical_cols:
        raise DatasetError(f"{file_name}: every feature column is constant; nothing is left for X")
    _check_design_budget(len(df), numeric_cols, levels, file_name)
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
    return X, numeric_cols, groups
