"""Datasets whose licenses forbid shipping them: downloaded once, checksummed, cached.

How a file is found, in order:

1. ``path=`` given by the caller (a file the user downloaded themselves);
2. the cache folder: ``data_dir=`` if given, else the ``UNLEARN_CACHE_DIR`` environment variable,
   else ``~/.cache/unlearn-explorer``; both the plain and the ``.gz`` name are accepted;
3. a download from the public URL (``urllib``, ``timeout`` seconds, default 10), written to the
   cache folder atomically. Set ``UNLEARN_OFFLINE=1`` (or pass ``download=False``) to never try.

Every file is verified before use: it passes when the SHA-256 of its bytes, the SHA-256 of its
decompressed contents, or (for the classic MNIST archives) the MD5 of its bytes matches a pinned
value, so both the upstream file and a re-compressed copy are accepted. A mismatch raises
:class:`DatasetError` naming the file. Offline, the download fails fast (DNS errors return at
once; a stalled connection is cut after ``timeout`` seconds) with a :class:`DatasetError` that
says where to put the file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._utils import RandomState
from ._base import Dataset, DatasetError, DatasetSpec
from ._files import assemble as _assemble
from ._files import check_choice as _check_choice
from ._files import maybe_gunzip, numeric_and_one_hot, one_hot

DEFAULT_TIMEOUT = 10.0
CACHE_ENV = "UNLEARN_CACHE_DIR"
OFFLINE_ENV = "UNLEARN_OFFLINE"


@dataclass(frozen=True)
class RemoteFile:
    """A file the project may not ship: where to get it and how to recognise it.

    ``sha256`` are accepted SHA-256 digests of the file's bytes, ``content_sha256`` of its
    decompressed contents (equal to the bytes for a plain file), ``md5`` accepted MD5 digests of
    the bytes (legacy checksums published for MNIST). When all three are empty the file is not
    pinned: it is trusted on first download, its digest recorded beside it, and checked on every
    later use (and the loader checks its structure).
    """

    filename: str
    urls: tuple[str, ...]
    sha256: tuple[str, ...] = ()
    content_sha256: tuple[str, ...] = ()
    md5: tuple[str, ...] = ()
    description: str = ""

    @property
    def pinned(self) -> bool:
        return bool(self.sha256 or self.content_sha256 or self.md5)


COMPAS_FILE = RemoteFile(
    filename="compas-scores-two-years.csv",
    urls=(
        "https://raw.githubusercontent.com/propublica/compas-analysis/master/"
        "compas-scores-two-years.csv",
    ),
    sha256=("8086a605ae69818492eb7dfb70646399d14c8edaee6e0bd3d464a9281e2a88b2",),  # gzip copy
    content_sha256=("c451db85908b2f7fef1d83203bedf6b71ecda0d5af468d82ae62178f91d0cc7d",),
    description="ProPublica COMPAS two-year recidivism file (7,214 rows)",
)
# The one-hot law.csv (LSAT, UGPA, ZFYA, Race_*, Sex_*, PF_*) is pinned; Kusner et al.'s
# law_data.csv (race, sex, LSAT, UGPA, ZFYA, first_pf, ...) from their repository is the download
# and carries the same 21,791 rows, but no published digest: it is trusted on first download.
LAW_FILE = RemoteFile(
    filename="law.csv",
    urls=(),
    sha256=("33d67e93a53f89c8c6159c02daaf57862cf3dfbc36ccb2370d78fae87294ee0a",),
    content_sha256=("fe9fccba0d2a7bd3401b1f2cf989783eb580f062ec684cb6ee51aba5304bea0d",),
    description="LSAC bar passage subset, one-hot layout (21,791 rows)",
)
LAW_DOWNLOAD = RemoteFile(
    filename="law_data.csv",
    urls=(
        "https://raw.githubusercontent.com/mkusner/counterfactual-fairness/master/law_data.csv",
    ),
    description="LSAC bar passage subset as redistributed by Kusner et al. 2017 (21,791 rows)",
)


def cache_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The download folder: ``data_dir``, else ``$UNLEARN_CACHE_DIR``, else ~/.cache/unlearn-explorer."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "unlearn-explorer"


def _digests(data: bytes) -> tuple[str, str, str]:
    content = maybe_gunzip(data)
    return (
        hashlib.sha256(data).hexdigest(),
        hashlib.sha256(content).hexdigest() if content is not data else hashlib.sha256(data).hexdigest(),
        hashlib.md5(data, usedforsecurity=False).hexdigest(),
    )


def verify(remote: RemoteFile, path: Path, *, record: bool = True) -> bytes:
    """Read ``path`` and check it against ``remote``'s pinned digests; return its contents.

    Unpinned files are checked against the digest recorded at first download
    (``<file>.sha256`` beside it), recorded now if there is none and ``record`` is true (it is
    false for a file the user names with ``path=``: nothing is written beside a user's file).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from exc
    if not data:
        raise DatasetError(f"{path} is empty; delete it and download {remote.filename} again")
    sha, content_sha, md5 = _digests(data)
    if remote.pinned:
        ok = sha in remote.sha256 or content_sha in remote.content_sha256 or md5 in remote.md5
        if not ok:
            raise DatasetError(
                f"checksum mismatch for {path} (SHA-256 {sha[:16]}...): it is not the expected "
                f"{remote.description or remote.filename}. Delete it and download it again from "
                f"{', '.join(remote.urls) or 'its source'}"
            )
    else:
        record_file = path.with_name(path.name + ".sha256")
        if record_file.is_file():
            text = record_file.read_text().strip()
            expected = text.split()[0] if text else ""
            if expected and expected != content_sha:
                raise DatasetError(
                    f"checksum mismatch for {path}: it changed since it was first downloaded "
                    f"(recorded SHA-256 {expected[:16]}..., now {content_sha[:16]}...); delete it "
                    f"and {record_file.name}, then load again"
                )
        elif record:
            try:
                record_file.write_text(f"{content_sha}  {path.name}\n")
            except OSError:
                pass  # a read-only folder: nothing recorded, nothing lost
    return maybe_gunzip(data)


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").lower() in {"1", "true", "yes"}


def _how_to_provide(remote: RemoteFile, folder: Path, path_option: bool = True) -> str:
    where = " or ".join(remote.urls) if remote.urls else "its source"
    options = "path=<your file> or data_dir=<folder>" if path_option else "data_dir=<folder>"
    return (
        f"Download {remote.filename} from {where} and put it (plain or .gz) at "
        f"{folder / remote.filename}, or pass {options}, "
        f"or set {CACHE_ENV} to the folder that holds it"
    )


def _download(
    remote: RemoteFile, folder: Path, timeout: float, path_option: bool = True
) -> tuple[Path, bytes]:
    errors: list[str] = []
    for url in remote.urls:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (https URL constants)
                data = response.read()
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            errors.append(f"{url}: {reason}")
            continue
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{remote.filename}.", suffix=".part")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            tmp_path = Path(tmp)
        except OSError as exc:
            raise DatasetError(
                f"downloaded {remote.filename} but cannot write to {folder} ({exc}); pass "
                f"data_dir=<a writable folder> or set {CACHE_ENV}"
            ) from exc
        try:
            contents = verify(remote, tmp_path)
        except DatasetError:
            tmp_path.unlink(missing_ok=True)
            raise
        target = folder / remote.filename
        os.replace(tmp_path, target)
        record = tmp_path.with_name(tmp_path.name + ".sha256")
        if record.is_file():
            os.replace(record, target.with_name(target.name + ".sha256"))
        return target, contents
    raise DatasetError(
        f"could not download {remote.filename} ({'; '.join(errors) or 'no URL known'}); you seem "
        f"to be offline (or the mirror moved). {_how_to_provide(remote, folder, path_option)}"
    )


def _find(
    remote: RemoteFile,
    *,
    path: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    path_option: bool = True,
) -> tuple[Path, bytes]:
    if path is not None:
        p = Path(path).expanduser()
        if not p.is_file():
            raise DatasetError(f"path={str(path)!r} does not exist or is not a file; check the path")
        return p, verify(remote, p, record=False)
    folder = cache_dir(data_dir)
    stem = remote.filename[:-3] if remote.filename.endswith(".gz") else remote.filename
    for name in (remote.filename, stem, stem + ".gz"):
        candidate = folder / name
        if candidate.is_file():
            return candidate, verify(remote, candidate)
    if not download or _offline():
        why = "download=False" if not download else f"{OFFLINE_ENV} is set"
        raise DatasetError(
            f"{remote.filename} is not in {folder} and {why}. "
            f"{_how_to_provide(remote, folder, path_option)}"
        )
    return _download(remote, folder, timeout, path_option)


def locate(remote: RemoteFile, **options) -> Path:
    """Find ``remote`` and return its verified path.

    Order: ``path=`` (a file the user names), then the cache folder (``data_dir=``, else
    ``$UNLEARN_CACHE_DIR``, else ~/.cache/unlearn-explorer; plain or ``.gz``), then a download
    (unless ``download=False`` or ``$UNLEARN_OFFLINE``) with ``timeout`` seconds per URL.
    ``path_option=False`` leaves ``path=`` out of the instructions in error messages (for loaders
    that read a folder of files, such as MNIST).
    """
    return _find(remote, **options)[0]


def fetch(remote: RemoteFile, **options) -> bytes:
    """The verified, decompressed contents of ``remote`` (options as for :func:`locate`)."""
    return _find(remote, **options)[1]


# --------------------------------------------------------------------------------------------
# COMPAS
# --------------------------------------------------------------------------------------------

COMPAS_ROWS_RAW = 7_214
COMPAS_ROWS_FILTERED = 6_172
COMPAS_CITATION = (
    "Angwin, J., Larson, J., Mattu, S. & Kirchner, L. (2016). Machine Bias. ProPublica. Data: "
    "https://github.com/propublica/compas-analysis"
)


def parse_compas(text: bytes | str) -> tuple[pd.DataFrame, int]:
    """Parse compas-scores-two-years.csv and apply ProPublica's filter.

    Keeps rows with ``days_b_screening_arrest`` in [-30, 30], ``is_recid != -1``,
    ``c_charge_degree != 'O'`` and ``score_text != 'N/A'`` (6,172 of 7,214 rows in the real file).
    Returns (filtered frame, number of raw rows).
    """
    import io

    raw = text.encode() if isinstance(text, str) else text
    try:
        df = pd.read_csv(io.BytesIO(raw), low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DatasetError(f"COMPAS file cannot be parsed as CSV ({exc}); download it again") from exc
    needed = {
        "days_b_screening_arrest", "is_recid", "c_charge_degree", "score_text", "race", "sex",
        "age", "age_cat", "priors_count", "two_year_recid", "juv_fel_count", "juv_misd_count",
        "juv_other_count",
    }
    missing = sorted(needed - set(df.columns))
    if missing:
        raise DatasetError(f"COMPAS file lacks the columns {missing}; is it compas-scores-two-years.csv?")
    days = pd.to_numeric(df["days_b_screening_arrest"], errors="coerce")
    keep = (
        days.between(-30, 30)
        & (df["is_recid"] != -1)
        & (df["c_charge_degree"].astype(str) != "O")
        & (df["score_text"].astype(str) != "N/A")
        & df["score_text"].notna()
    )
    return df.loc[keep].reset_index(drop=True), len(df)


def _priors_bin(p: pd.Series) -> pd.Series:
    return pd.Series(np.where(p <= 0, "0", np.where(p <= 3, "1 to 3", "More than 3")), index=p.index)


def compas(
    *,
    sensitive: str = "race",
    features: str = "calmon",
    target: str = "two_year_recid",
    path: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    n_samples: int | None = None,
    random_state: RandomState = 0,
) -> Dataset:
    """ProPublica COMPAS: predict recidivism; Z = race (African-American vs Caucasian) or sex.

    Not shipped (no license): downloaded once from ProPublica's repository, checksummed, cached
    (see the module docstring for ``path``, ``data_dir``, ``download``, ``timeout``).

    * Rows: ProPublica's filter (6,172 rows). ``sensitive="race"`` (default) keeps the
      African-American (3,175) and Caucasian (2,103) rows, as the authors and Calmon et al. did
      (5,278 rows); ``"race-all"`` keeps all six groups; ``"sex"`` keeps all rows.
    * ``features="calmon"`` (default): the authors' X (from Calmon et al.'s files) - one-hot
      ``age_cat`` (<25, 25-45, >45), ``c_charge_degree`` (F / M) and ``priors_count`` binned as
      0 / 1 to 3 / More than 3 (8 columns). ``"full"``: z-scored age, priors_count and the three
      juvenile counts, one-hot c_charge_degree, and sex or race (whichever is not Z).
    * ``target="two_year_recid"`` (default) or ``"is_recid"`` (the label in Calmon's files).
    """
    _check_choice(sensitive, ("race", "race-all", "sex"), "sensitive", "compas")
    _check_choice(features, ("calmon", "full"), "features", "compas")
    _check_choice(target, ("two_year_recid", "is_recid"), "target", "compas")
    data = fetch(COMPAS_FILE, path=path, data_dir=data_dir, download=download, timeout=timeout)
    df, n_raw = parse_compas(data)
    notes = [f"ProPublica's filter kept {len(df):,} of {n_raw:,} rows"]
    if sensitive == "race":
        n0 = len(df)
        df = df[df["race"].isin(["African-American", "Caucasian"])].reset_index(drop=True)
        notes.append(f"kept African-American and Caucasian rows only ({len(df):,} of {n0:,})")
    if sensitive == "sex":
        z = df["sex"].astype(str).rename("sex")
    else:
        z = df["race"].astype(str).rename("race")
    y = df[target].astype(np.int64).rename(target)
    if features == "calmon":
        cal = pd.DataFrame(
            {
                "age_cat": df["age_cat"].astype(str),
                "c_charge_degree": df["c_charge_degree"].astype(str),
                "priors_count": _priors_bin(df["priors_count"]),
            }
        )
        X, groups = one_hot(
            cal, ["age_cat", "c_charge_degree", "priors_count"],
            orders={"age_cat": ["Less than 25", "25 - 45", "Greater than 45"]},
        )
        numeric: list[str] = []
        notes.append("features: one-hot age_cat, c_charge_degree, priors_count (0 / 1-3 / >3)")
    else:
        numeric = ["age", "priors_count", "juv_fel_count", "juv_misd_count", "juv_other_count"]
        cats = ["c_charge_degree"] + (["race"] if sensitive == "sex" else ["sex"])
        X, groups = numeric_and_one_hot(df, numeric, cats)
        notes.append("features: z-scored age and counts, one-hot charge degree and " + cats[1])
    return _assemble(
        name="compas", X=X, y=y, task="classification", z=z, numeric=numeric, groups=groups,
        n_samples=n_samples, random_state=random_state, notes=notes,
        description=(
            "ProPublica COMPAS (Broward County, 2013-2014): predict recidivism within two years; "
            f"Z = {z.name}."
        ),
        source="ProPublica compas-analysis repository (downloaded once, not shipped)",
        license="no explicit license: not redistributed; downloaded from ProPublica",
        citation=COMPAS_CITATION,
        options=dict(
            sensitive=sensitive, features=features, target=target, n_samples=n_samples,
            random_state=random_state if isinstance(random_state, int) else None,
        ),
    )


# --------------------------------------------------------------------------------------------
# Law school
# --------------------------------------------------------------------------------------------

LAW_ROWS = 21_791
LAW_CITATION = (
    "Wightman, L. F. (1998). LSAC National Longitudinal Bar Passage Study. Law School Admission "
    "Council. As redistributed by Kusner, M., Loftus, J., Russell, C. & Silva, R. (2017). "
    "Counterfactual Fairness. NeurIPS 30."
)
LAW_RACES = ("Amerindian", "Asian", "Black", "Hispanic", "Mexican", "Other", "Puertorican", "White")


def parse_law(text: bytes | str) -> pd.DataFrame:
    """Parse either law-school layout into columns LSAT, UGPA, ZFYA, race, sex, PF.

    Accepted layouts: the one-hot ``law.csv`` (LSAT, UGPA, ZFYA, Race_<name>..., Sex_1, Sex_2,
    PF_0, PF_1) and Kusner et al.'s ``law_data.csv`` (race, sex, LSAT, UGPA, ZFYA, first_pf, ...).
    Sex code 1 is female and 2 male (as in the LSAC codebook); PF = 1 means passed the bar on the
    first try.
    """
    import io

    raw = text.encode() if isinstance(text, str) else text
    try:
        df = pd.read_csv(io.BytesIO(raw))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DatasetError(f"law school file cannot be parsed as CSV ({exc})") from exc
    cols = set(df.columns)
    if {"LSAT", "UGPA", "ZFYA", "Sex_1", "Sex_2", "PF_1"} <= cols:
        race_cols = [c for c in df.columns if str(c).startswith("Race_")]
        if not race_cols:
            raise DatasetError("law school file has no Race_* columns; is it the one-hot law.csv?")
        onehot = df[race_cols].to_numpy()
        if not np.all(onehot.sum(axis=1) == 1):
            raise DatasetError("law school file: Race_* columns are not one-hot (one 1 per row)")
        race = np.asarray([c[len("Race_"):] for c in race_cols], dtype=object)[onehot.argmax(axis=1)]
        sex = np.where(df["Sex_2"].to_numpy() == 1, "male", "female")
        pf = df["PF_1"].astype(np.int64)
    elif {"race", "sex", "LSAT", "UGPA", "ZFYA", "first_pf"} <= cols:
        race = df["race"].astype(str).to_numpy()
        sex = np.where(df["sex"].to_numpy() == 2, "male", "female")
        pf = pd.to_numeric(df["first_pf"], errors="coerce")
        if pf.isna().any():
            raise DatasetError("law school file: first_pf has missing values")
        pf = pf.astype(np.int64)
    else:
        raise DatasetError(
            f"law school file has columns {sorted(map(str, cols))[:8]}...; expected the one-hot "
            "law.csv (LSAT, UGPA, ZFYA, Race_*, Sex_*, PF_*) or Kusner's law_data.csv"
        )
    out = pd.DataFrame(
        {
            "LSAT": pd.to_numeric(df["LSAT"], errors="coerce").astype(float),
            "UGPA": pd.to_numeric(df["UGPA"], errors="coerce").astype(float),
            "ZFYA": pd.to_numeric(df["ZFYA"], errors="coerce").astype(float),
            "race": pd.Series(race, dtype=object).astype(str),
            "sex": pd.Series(sex, dtype=object).astype(str),
            "PF": pf.to_numpy(),
        }
    )
    if out[["LSAT", "UGPA", "ZFYA"]].isna().any().any():
        raise DatasetError("law school file has missing LSAT / UGPA / ZFYA values")
    return out


def _law_bytes(path, data_dir, download, timeout) -> bytes:
    """The law file: an explicit path or a cached copy of either layout, else the download."""
    if path is not None:
        p = Path(path).expanduser()
        if not p.is_file():
            raise DatasetError(f"path={str(path)!r} does not exist or is not a file; check the path")
        data = p.read_bytes()
        sha, content_sha, _ = _digests(data)
        if sha in LAW_FILE.sha256 or content_sha in LAW_FILE.content_sha256:
            return maybe_gunzip(data)
        return verify(LAW_DOWNLOAD, p, record=False)  # the user's own file: nothing written beside it
    try:
        return fetch(LAW_FILE, data_dir=data_dir, download=False)
    except DatasetError as exc:
        if "checksum" in str(exc):
            raise
    return fetch(LAW_DOWNLOAD, data_dir=data_dir, download=download, timeout=timeout)


def law(
    *,
    sensitive: str = "race",
    target: str = "PF",
    path: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    n_samples: int | None = None,
    random_state: RandomState = 0,
) -> Dataset:
    """LSAC law school (21,791 students): bar passage (PF) or first-year grade (ZFYA).

    Not shipped (unclear license): read from ``path``, from the cache (``law.csv`` in the
    one-hot layout, pinned by SHA-256, or ``law_data.csv``), else downloaded once from Kusner et
    al.'s counterfactual-fairness repository (no published digest: trusted on first download,
    then checked against the recorded digest, and its row count is checked).

    * ``sensitive="race"`` (default): Black vs White, other rows dropped; ``"race-all"``: the
      eight race groups; ``"sex"``: female / male.
    * ``target="PF"`` (classification: passed the bar at the first try) or ``"ZFYA"``
      (regression: standardised first-year average).
    * X: z-scored LSAT and UGPA, plus one-hot sex (when Z is race) or race (when Z is sex).
    """
    _check_choice(sensitive, ("race", "race-all", "sex"), "sensitive", "law")
    _check_choice(target, ("PF", "ZFYA"), "target", "law")
    df = parse_law(_law_bytes(path, data_dir, download, timeout))
    notes = []
    if len(df) != LAW_ROWS:
        notes.append(f"the file has {len(df):,} rows, not the usual {LAW_ROWS:,}")
    if sensitive == "race":
        n0 = len(df)
        df = df[df["race"].isin(["Black", "White"])].reset_index(drop=True)
        notes.append(f"kept Black and White students only ({len(df):,} of {n0:,})")
    z = (df["sex"] if sensitive == "sex" else df["race"]).rename("sex" if sensitive == "sex" else "race")
    if target == "PF":
        y = df["PF"].astype(np.int64).rename("PF")
        task = "classification"
    else:
        y = df["ZFYA"].astype(float).rename("ZFYA")
        task = "regression"
    numeric = ["LSAT", "UGPA"]
    other = "race" if sensitive == "sex" else "sex"
    X, groups = numeric_and_one_hot(df, numeric, [other])
    notes.append(f"features: z-scored LSAT, UGPA and one-hot {other}")
    return _assemble(
        name="law", X=X, y=y, task=task, z=z, numeric=numeric, groups=groups,
        n_samples=n_samples, random_state=random_state, notes=notes,
        description=(
            "LSAC National Longitudinal Bar Passage Study subset: "
            + ("predict passing the bar" if target == "PF" else "regress the first-year grade")
            + f" from LSAT and undergraduate GPA; Z = {z.name}."
        ),
        source="LSAC via Kusner et al.'s counterfactual-fairness repository (downloaded, not shipped)",
        license="unclear: not redistributed; downloaded from the public mirror",
        citation=LAW_CITATION,
        options=dict(
            sensitive=sensitive, target=target, n_samples=n_samples,
            random_state=random_state if isinstance(random_state, int) else None,
        ),
    )


SPECS = (
    DatasetSpec(
        name="compas", title="COMPAS recidivism (ProPublica)", loader=compas,
        description="Criminal defendants, two-year recidivism; forget race. Downloaded once.",
        sensitive_choices=("race", "race-all", "sex"), shipped=False, kind="tabular",
    ),
    DatasetSpec(
        name="law", title="Law school bar passage (LSAC)", loader=law,
        description="21,791 law students, bar passage or first-year grade; forget race or sex. "
        "Downloaded once.",
        sensitive_choices=("race", "race-all", "sex"), shipped=False, kind="tabular",
    ),
)

__all__ = [
    "RemoteFile", "cache_dir", "locate", "fetch", "verify", "compas", "law", "parse_compas",
    "parse_law",
]
