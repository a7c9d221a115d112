"""Results folders: what a headless run writes and the explorer opens (Parquet tables + a JSON manifest).

A results folder (format ``"unlearn-explorer-results"``, version 1) holds

- ``manifest.json``, a JSON object with exactly these keys (``meta`` and ``notes`` optional)::

    {
      "format":   "unlearn-explorer-results",
      "version":  1,
      "kind":     "analytic_frontier" | "trained_frontier" | "forgetting" | "certificate",
      "study":    {...},        # the validated study configuration as a plain dict (batch.Study.to_dict())
      "data":     {"name": str, "sha256": str (64 hex, Dataset.fingerprint() of the data actually used),
                   "n_rows": int, "n_features": int},
      "seeds":    {"random_state": int, ...},    # every seed the run used, by name
      "versions": {"python", "numpy", "torch", "pot", "scikit-learn", "pandas", "unlearn_core": str},
      "timings":  {"total_s": float, "per_task_s": {task id: float}},
      "tables":   {table name: "<file>.parquet"},  # relative file names in the folder
      "tasks":    {"done": [task id, ...], "total": int},
      "created":  ISO 8601 time (UTC) of the last write,
      "complete": bool,         # True once every task finished and the tables were assembled
      "meta":     {table name: {...}}   # optional: JSON-safe facts the charts need (axes, V, ...); a
                                    # certificate study stores the whole certificate as meta.certificate
      "notes":    [str, ...]            # optional: what a reader should know
    }

- one Parquet file per table (``tables`` above), written with pyarrow;
- ``tasks/<task id>.parquet``: each task's partial table, written the moment the task finishes. A rerun
  of the same study reads them and skips those tasks: that is what makes resume work. Task ids are
  short names such as ``lam=0.5``, ``t=0.25`` or ``trial=3`` (letters, digits and ``._=+-``).

Every file is written to a temporary name and renamed into place, so a run killed at any moment leaves
either the old file or the new one, never half of one.

Reading: :func:`read_results` opens a folder, :func:`read_archive` a zip of one (for uploads: members
must be ``manifest.json`` or ``.parquet`` files, no absolute paths or ``..``, at most
:data:`MAX_ARCHIVE_BYTES` compressed and :data:`MAX_UNPACKED_BYTES` unpacked). Both validate the
manifest (:func:`validate_manifest`: a list of problems, each naming its field) and raise
:class:`ResultsError` with all of them.
"""

from __future__ import annotations

import io
import json
import os
import platform
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from ._config import config_signature, resolve

FORMAT = "unlearn-explorer-results"
VERSION = 1
KINDS: tuple[str, ...] = ("analytic_frontier", "trained_frontier", "forgetting", "certificate")
MANIFEST = "manifest.json"
TASK_DIR = "tasks"
#: Largest upload :func:`read_archive` accepts (compressed bytes) and the most it will unpack.
MAX_ARCHIVE_BYTES = 50 * 2**20
MAX_UNPACKED_BYTES = 200 * 2**20
VERSION_PACKAGES: tuple[str, ...] = (
    "python", "numpy", "torch", "pot", "scikit-learn", "pandas", "unlearn_core")

_REQUIRED = ("format", "version", "kind", "study", "data", "seeds", "versions", "timings", "tables", "tasks",
             "created", "complete")
_OPTIONAL = ("meta", "notes")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._=+-]{1,120}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class ResultsError(ValueError):
    """A results folder or archive that cannot be read; the message lists every problem found."""


@dataclass(frozen=True, eq=False)
class Results:
    """An opened results folder: the manifest (a dict) and its tables by name."""

    manifest: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return str(self.manifest["kind"])

    @property
    def complete(self) -> bool:
        return bool(self.manifest["complete"])


def data_sha256(dataset) -> str:
    """SHA-256 of a Dataset's contents (X with its column names, y, z): ``dataset.fingerprint()``."""
    return str(dataset.fingerprint())


def data_summary(dataset) -> dict[str, Any]:
    """The manifest's ``data`` entry for a Dataset: name, sha256, n_rows, n_features."""
    return {"name": str(dataset.name), "sha256": data_sha256(dataset), "n_rows": int(len(dataset.X)),
            "n_features": int(dataset.X.shape[1])}


def package_versions() -> dict[str, str]:
    """Versions of python, numpy, torch, pot, scikit-learn, pandas, unlearn_core ("absent" if missing)."""
    from importlib.metadata import PackageNotFoundError, version

    from . import __version__

    out = {"python": platform.python_version()}
    for name in ("numpy", "torch", "pot", "scikit-learn", "pandas"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    out["unlearn_core"] = __version__
    return out


def check_task_id(task_id: str) -> str:
    """Return ``task_id`` if it is a safe file name stem (letters, digits, ``._=+-``), else ValueError."""
    if not isinstance(task_id, str) or not _SAFE_ID.match(task_id) or task_id in (".", ".."):
        raise ValueError(f"task id {task_id!r} must be 1-120 letters, digits or ._=+- (it names a file)")
    return task_id


def _table_name_ok(name: str) -> bool:
    return isinstance(name, str) and bool(_SAFE_ID.match(name)) and not name.startswith(".")


def validate_manifest(manifest: Any) -> list[str]:
    """Problems with a manifest, each naming its field (empty list: valid). Never raises."""
    if not isinstance(manifest, Mapping):
        return [f"manifest: must be a JSON object, got {type(manifest).__name__}"]
    problems: list[str] = []
    for key in _REQUIRED:
        if key not in manifest:
            problems.append(f"manifest.{key}: missing")
    for key in manifest:
        if key not in _REQUIRED and key not in _OPTIONAL:
            problems.append(f"manifest.{key}: unknown field (known: {', '.join(_REQUIRED + _OPTIONAL)})")
    m = manifest
    if "format" in m and m["format"] != FORMAT:
        problems.append(f"manifest.format: must be {FORMAT!r}, got {m['format']!r}")
    if "version" in m and (not isinstance(m["version"], int) or isinstance(m["version"], bool)
                           or m["version"] != VERSION):
        problems.append(f"manifest.version: this explorer reads version {VERSION}, got {m['version']!r}")
    if "kind" in m and m["kind"] not in KINDS:
        problems.append(f"manifest.kind: must be one of {', '.join(KINDS)}, got {m['kind']!r}")
    for key in ("study", "seeds", "versions", "timings", "tables", "tasks", "data"):
        if key in m and not isinstance(m[key], Mapping):
            problems.append(f"manifest.{key}: must be an object, got {type(m[key]).__name__}")
    if isinstance(m.get("data"), Mapping):
        d = m["data"]
        if not isinstance(d.get("name"), str) or not d.get("name"):
            problems.append("manifest.data.name: must be a non-empty string")
        if not isinstance(d.get("sha256"), str) or not _HEX64.match(d.get("sha256", "")):
            problems.append(
                f"manifest.data.sha256: must be 64 lower-case hex digits, got {d.get('sha256')!r}")
        for k in ("n_rows", "n_features"):
            v = d.get(k)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                problems.append(f"manifest.data.{k}: must be a whole number >= 0, got {v!r}")
    if isinstance(m.get("versions"), Mapping):
        for k in VERSION_PACKAGES:
            if not isinstance(m["versions"].get(k), str):
                problems.append(f"manifest.versions.{k}: must be a string")
    if isinstance(m.get("timings"), Mapping):
        t = m["timings"]
        if not isinstance(t.get("total_s"), (int, float)) or isinstance(t.get("total_s"), bool):
            problems.append("manifest.timings.total_s: must be a number of seconds")
        if not isinstance(t.get("per_task_s"), Mapping):
            problems.append("manifest.timings.per_task_s: must be an object {task id: seconds}")
    if isinstance(m.get("tables"), Mapping):
        for name, fname in m["tables"].items():
            if not _table_name_ok(name):
                problems.append(f"manifest.tables.{name}: table names are letters, digits and ._=+-")
            if (not isinstance(fname, str) or not fname.endswith(".parquet") or "/" in fname or "\\" in fname
                    or fname.startswith(".")):
                problems.append(
                    f"manifest.tables.{name}: must be a .parquet file name in the folder, got {fname!r}")
    if isinstance(m.get("tasks"), Mapping):
        tk = m["tasks"]
        done, total = tk.get("done"), tk.get("total")
        if not isinstance(done, list) or not all(isinstance(x, str) for x in done):
            problems.append("manifest.tasks.done: must be a list of task ids")
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            problems.append(f"manifest.tasks.total: must be a whole number >= 0, got {total!r}")
        elif isinstance(done, list) and len(done) > total:
            problems.append(f"manifest.tasks.done: {len(done)} ids but tasks.total is {total}")
    if "created" in m:
        try:
            datetime.fromisoformat(str(m["created"]))
        except ValueError:
            problems.append(f"manifest.created: must be an ISO 8601 time, got {m['created']!r}")
    if "complete" in m and not isinstance(m["complete"], bool):
        problems.append(f"manifest.complete: must be true or false, got {m['complete']!r}")
    if m.get("complete") is True and isinstance(m.get("tasks"), Mapping):
        done, total = m["tasks"].get("done"), m["tasks"].get("total")
        if isinstance(done, list) and isinstance(total, int) and len(done) != total:
            problems.append(f"manifest.complete: true but only {len(done)} of {total} tasks are done")
    if "notes" in m and not (isinstance(m["notes"], list) and all(isinstance(x, str) for x in m["notes"])):
        problems.append("manifest.notes: must be a list of strings")
    if "meta" in m and not isinstance(m["meta"], Mapping):
        problems.append("manifest.meta: must be an object {table name: {...}}")
    return problems


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, engine="pyarrow", index=False)
    return buf.getvalue()


def _json_safe(obj: Any) -> Any:
    """Plain JSON types from numpy scalars, tuples and non-finite floats (as strings 'inf', 'nan')."""
    import math

    import numpy as np

    if isinstance(obj, Mapping):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_json_safe(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else str(f)
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def write_task(path: str | os.PathLike, task_id: str, table: pd.DataFrame) -> Path:
    """Write one finished task's partial table to ``<path>/tasks/<task id>.parquet`` (atomically)."""
    folder = Path(path) / TASK_DIR
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{check_task_id(task_id)}.parquet"
    _atomic_write(out, _parquet_bytes(table))
    return out


def read_tasks(path: str | os.PathLike, ids: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """The finished tasks' partial tables in ``<path>/tasks`` (only ``ids`` when given), by task id.

    A file that cannot be read (e.g. from a disk that filled up) is skipped, so its task runs again.
    """
    folder = Path(path) / TASK_DIR
    if not folder.is_dir():
        return {}
    wanted = None if ids is None else set(ids)
    out = {}
    for f in sorted(folder.glob("*.parquet")):
        tid = f.stem
        if wanted is not None and tid not in wanted:
            continue
        try:
            out[tid] = pd.read_parquet(f, engine="pyarrow")
        except Exception:  # noqa: BLE001 - an unreadable partial file is recomputed, not fatal
            continue
    return out


@dataclass(frozen=True)
class RunRecord:
    """What a results folder's manifest records about its run (:func:`write_results`).

    ``kind`` of study, its ``study`` / ``data`` / ``seeds`` settings, the task ids done of
    ``tasks_total``, timings (``total_s`` and ``per_task_s``), whether the run is ``complete``, and
    optional ``meta``, ``notes`` and library ``versions`` (default: the installed ones).
    """

    kind: str
    study: Mapping[str, Any]
    data: Mapping[str, Any]
    seeds: Mapping[str, Any]
    tasks_done: Iterable[str]
    tasks_total: int
    total_s: float
    per_task_s: Mapping[str, float]
    complete: bool
    meta: Mapping[str, Any] | None = None
    notes: Iterable[str] = ()
    versions: Mapping[str, str] | None = None


@config_signature(RunRecord)
def write_results(
    path: str | os.PathLike,
    record: RunRecord | None = None,
    *,
    tables: Mapping[str, pd.DataFrame],
    **overrides: Any,
) -> dict[str, Any]:
    """Write the tables (``<name>.parquet``) and ``manifest.json`` into ``path``; returns the manifest.

    The manifest is validated before anything is written (ValueError listing the problems); tables are
    written first and the manifest last, so a manifest never names a table that is not there yet.
    What the manifest records is a :class:`RunRecord`, given as ``record`` or as keywords.
    """
    r = resolve(RunRecord, record, overrides, "write_results")
    folder = Path(path)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "kind": r.kind,
        "study": _json_safe(dict(r.study)),
        "data": _json_safe(dict(r.data)),
        "seeds": _json_safe(dict(r.seeds)),
        "versions": dict(r.versions) if r.versions is not None else package_versions(),
        "timings": {"total_s": float(r.total_s),
                    "per_task_s": {str(k): float(v) for k, v in r.per_task_s.items()}},
        "tables": {name: f"{name}.parquet" for name in tables},
        "tasks": {"done": [str(t) for t in r.tasks_done], "total": int(r.tasks_total)},
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "complete": bool(r.complete),
    }
    if r.meta:
        manifest["meta"] = _json_safe(dict(r.meta))
    notes = [str(n) for n in r.notes]
    if notes:
        manifest["notes"] = notes
    problems = validate_manifest(manifest)
    if problems:
        raise ValueError("cannot write results: " + "; ".join(problems))
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        _atomic_write(folder / manifest["tables"][name], _parquet_bytes(df))
    _atomic_write(folder / MANIFEST, json.dumps(manifest, indent=2, allow_nan=False).encode("utf-8"))
    return manifest


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """The validated manifest of a results folder (ResultsError naming every problem)."""
    f = Path(path) / MANIFEST
    if not f.is_file():
        raise ResultsError(
            f"{path}: no {MANIFEST}; is this a results folder written by `python -m unlearn_core run`?")
    try:
        manifest = json.loads(f.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{f}: not valid JSON ({exc})") from exc
    problems = validate_manifest(manifest)
    if problems:
        raise ResultsError(f"{f}: " + "; ".join(problems))
    return manifest


def read_results(path: str | os.PathLike) -> Results:
    """Open a results folder: the validated manifest and every table it names."""
    manifest = read_manifest(path)
    tables = {}
    for name, fname in manifest["tables"].items():
        f = Path(path) / fname
        if not f.is_file():
            raise ResultsError(f"{path}: manifest.tables.{name} names {fname}, which is missing")
        try:
            tables[name] = pd.read_parquet(f, engine="pyarrow")
        except Exception as exc:  # noqa: BLE001 - any unreadable file is one message for the user
            raise ResultsError(
                f"{path}: manifest.tables.{name}: {fname} is not a readable Parquet file ({exc})") from exc
    return Results(manifest=manifest, tables=tables)


def read_archive(data: bytes, *, max_bytes: int = MAX_ARCHIVE_BYTES,
                 max_unpacked: int = MAX_UNPACKED_BYTES) -> Results:
    """Open a zip of a results folder (an upload) in memory, without extracting anything to disk.

    The folder may sit at the top of the archive or inside one top-level directory. Refused, with a
    :class:`ResultsError` naming the member: archives over ``max_bytes``, more than ``max_unpacked``
    bytes once unpacked (zip bombs), absolute paths or ``..`` (path traversal), members other than
    ``manifest.json`` and ``.parquet`` files, and a manifest that does not validate.
    """
    if len(data) > max_bytes:
        raise ResultsError(f"archive: {len(data):,} bytes is over the {max_bytes:,}-byte limit")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ResultsError(f"archive: not a zip file ({exc})") from exc
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        total = 0
        for info in infos:
            name = info.filename
            p = PurePosixPath(name.replace("\\", "/"))
            outside = name.startswith(("/", "\\")) or p.is_absolute() or ".." in p.parts
            if outside or re.match(r"^[A-Za-z]:", name):
                raise ResultsError(f"archive: member {name!r} points outside the folder; refused")
            if p.name != MANIFEST and p.suffix != ".parquet":
                raise ResultsError(
                    f"archive: member {name!r} is neither {MANIFEST} nor a .parquet file; refused")
            total += info.file_size
            if total > max_unpacked:
                raise ResultsError(f"archive: unpacks to more than {max_unpacked:,} bytes; refused")
        manifests = [i for i in infos if PurePosixPath(i.filename).name == MANIFEST]
        if len(manifests) != 1:
            raise ResultsError(f"archive: must hold exactly one {MANIFEST}, found {len(manifests)}")
        root = PurePosixPath(manifests[0].filename).parent
        try:
            manifest = json.loads(zf.read(manifests[0]).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ResultsError(f"archive: {manifests[0].filename} is not valid JSON ({exc})") from exc
        problems = validate_manifest(manifest)
        if problems:
            raise ResultsError("archive: " + "; ".join(problems))
        members = {PurePosixPath(i.filename): i for i in infos}
        tables = {}
        for name, fname in manifest["tables"].items():
            info = members.get(root / fname)
            if info is None:
                raise ResultsError(
                    f"archive: manifest.tables.{name} names {fname}, which is not in the archive")
            try:
                tables[name] = pd.read_parquet(io.BytesIO(zf.read(info)), engine="pyarrow")
            except Exception as exc:  # noqa: BLE001
                raise ResultsError(
                    f"archive: manifest.tables.{name}: {fname} is not readable Parquet ({exc})") from exc
    return Results(manifest=manifest, tables=tables)


def write_archive(path: str | os.PathLike) -> bytes:
    """A zip (bytes) of a results folder's manifest and tables, as :func:`read_archive` reads it."""
    manifest = read_manifest(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(Path(path) / MANIFEST, MANIFEST)
        for fname in manifest["tables"].values():
            zf.write(Path(path) / fname, fname)
    return buf.getvalue()


__all__ = [
    "FORMAT", "KINDS", "MANIFEST", "MAX_ARCHIVE_BYTES", "MAX_UNPACKED_BYTES", "Results", "ResultsError",
    "RunRecord", "VERSION", "check_task_id", "data_sha256", "data_summary", "package_versions",
    "read_archive", "read_manifest", "read_results", "read_tasks", "validate_manifest", "write_archive",
    "write_results", "write_task",
]
