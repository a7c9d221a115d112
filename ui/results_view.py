"""Open a results folder or archive written by the batch command and draw it as the live pages do.

``python -m unlearn_core run STUDY.toml --out DIR`` writes ``DIR/manifest.json`` plus Parquet tables
(format: ``unlearn_core.results``). This module reads such a folder (a path on this machine: the app
is local-only by default) or an uploaded ``.zip`` of one, validates the manifest, checks the data hash
against the dataset the manifest names, and turns the tables back into the objects the live pages'
figure builders take (a :class:`unlearn_core.frontier.Frontier` for the two frontier kinds), so that a
loaded result is drawn by the same code as a live one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: The utility columns a frontier table may carry, best first (the engine's choice: AUC for
#: classification, R² for regression).
UTILITY_COLUMNS = ("auc", "accuracy", "r2")
#: The leakage columns, preferred first.
LEAKAGE_COLUMNS = ("attack_auc", "probe_auc", "knn_mi", "dp_gap")


class ResultsError(ValueError):
    """A results folder or archive that cannot be shown; the message names the problem."""


@dataclass(frozen=True, eq=False)
class Opened:
    """A read results folder: manifest, tables, where it came from, and what the checks found."""

    manifest: dict
    tables: dict[str, pd.DataFrame]
    source: str  # "folder /path" or "archive name.zip"
    warnings: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return str(self.manifest.get("kind", ""))


def _api():
    """``unlearn_core.results`` (issue 17's engine side), or this module's reader of the same format."""
    try:
        from unlearn_core import results
    except ImportError:  # INTERIM: until the engine's results module is merged (see _Interim)
        return _Interim
    return results


class _Interim:
    """A reader of the documented results format, used only while ``unlearn_core.results`` is absent.

    The format (``/tmp/briefs/h17.md``, issue 17): ``manifest.json`` with the fields of
    :data:`MANIFEST_FIELDS`, one Parquet file per table named in ``tables``.
    """

    FORMAT = "unlearn-explorer-results"
    MAX_ARCHIVE_BYTES = 200 * 2**20

    @staticmethod
    def validate_manifest(m: Any) -> list[str]:
        if not isinstance(m, dict):
            return ["manifest: not a JSON object"]
        out = []
        for k, typ in MANIFEST_FIELDS.items():
            if k not in m:
                out.append(f"manifest.{k}: missing")
            elif not isinstance(m[k], typ) or (typ is int and isinstance(m[k], bool)):
                out.append(f"manifest.{k}: expected {typ.__name__}, got {type(m[k]).__name__}")
        if out:
            return out
        if m["format"] != _Interim.FORMAT:
            out.append(f"manifest.format: {m['format']!r} is not {_Interim.FORMAT!r}")
        if m["version"] != 1:
            out.append(f"manifest.version: {m['version']!r} is not a version this explorer reads (1)")
        sha = m["data"].get("sha256")
        if not (isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)):
            out.append("manifest.data.sha256: not a SHA-256 hex digest")
        for name, f in m["tables"].items():
            if not (isinstance(f, str) and f.endswith(".parquet") and "/" not in f and "\\" not in f
                    and not f.startswith(".")):
                out.append(f"manifest.tables.{name}: {f!r} is not a Parquet file name in the folder")
        return out

    @staticmethod
    def _tables(m: dict, read) -> dict[str, pd.DataFrame]:
        import io

        out = {}
        for name, f in m["tables"].items():
            try:
                out[name] = pd.read_parquet(io.BytesIO(read(f)))
            except (OSError, KeyError) as exc:
                raise ResultsError(f"manifest.tables.{name}: cannot read {f!r} ({exc})") from exc
            except Exception as exc:  # noqa: BLE001  (pyarrow's errors for a file that is not Parquet)
                raise ResultsError(f"manifest.tables.{name}: {f!r} is not a Parquet table ({exc})") from exc
        return out

    @staticmethod
    def _manifest(text: bytes) -> dict:
        import json

        try:
            m = json.loads(text)
        except ValueError as exc:
            raise ResultsError(f"manifest.json is not JSON ({exc})") from exc
        problems = _Interim.validate_manifest(m)
        if problems:
            raise ResultsError("the manifest is not valid: " + "; ".join(problems))
        return m

    @staticmethod
    def read_results(path: Path) -> _Read:
        m = _Interim._manifest((Path(path) / "manifest.json").read_bytes())
        return _Read(m, _Interim._tables(m, lambda f: (Path(path) / f).read_bytes()))

    @staticmethod
    def read_archive(data: bytes) -> _Read:
        import io
        import zipfile

        if len(data) > _Interim.MAX_ARCHIVE_BYTES:
            raise ResultsError(f"the archive is over {_Interim.MAX_ARCHIVE_BYTES // 2**20} MB")
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise ResultsError("not a .zip archive") from exc
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        for n in names:
            if n.startswith("/") or ".." in n.split("/") or "\\" in n:
                raise ResultsError(f"archive member {n!r} points outside the archive")
            if not (n.endswith(".parquet") or n.endswith("manifest.json")):
                raise ResultsError(f"archive member {n!r} is neither manifest.json nor a Parquet table")
        if sum(i.file_size for i in zf.infolist()) > _Interim.MAX_ARCHIVE_BYTES:
            raise ResultsError(f"the archive expands to over {_Interim.MAX_ARCHIVE_BYTES // 2**20} MB")
        manifests = sorted((n for n in names if n.split("/")[-1] == "manifest.json"),
                           key=lambda n: n.count("/"))
        if not manifests:
            raise ResultsError("the archive has no manifest.json: not a results folder")
        root = manifests[0][: -len("manifest.json")]
        m = _Interim._manifest(zf.read(manifests[0]))
        return _Read(m, _Interim._tables(m, lambda f: zf.read(root + f)))

    @staticmethod
    def data_sha256(ds) -> str:
        import hashlib

        return hashlib.sha256(ds.X.to_numpy(float).tobytes()).hexdigest()


@dataclass(frozen=True)
class _Read:
    manifest: dict
    tables: dict


#: The manifest's fields and their JSON types (the interim reader checks them).
MANIFEST_FIELDS: dict[str, type] = {
    "format": str, "version": int, "kind": str, "study": dict, "data": dict, "seeds": dict, "versions": dict,
    "timings": dict, "tables": dict, "tasks": dict, "created": str, "complete": bool,
}


def _check(manifest: Any) -> None:
    if not isinstance(manifest, dict):
        raise ResultsError("the manifest is not valid: manifest: not a JSON object")
    problems = _api().validate_manifest(manifest)
    if problems:
        raise ResultsError("the manifest is not valid: " + "; ".join(problems))


def open_folder(path: str | Path) -> Opened:
    """Read and validate the results folder at ``path`` (``~`` expanded)."""
    p = Path(str(path).strip()).expanduser()
    if not str(path).strip():
        raise ResultsError("type the path of a results folder (the --out folder of the batch command)")
    if not p.is_dir():
        raise ResultsError(f"{p} is not a folder on this machine")
    if not (p / "manifest.json").is_file():
        raise ResultsError(f"{p} has no manifest.json: not a results folder written by "
                           "`python -m unlearn_core run`")
    try:
        res = _api().read_results(p)
    except ResultsError:
        raise
    except Exception as exc:  # the reader's own message names the field or file
        raise ResultsError(str(exc).strip() or type(exc).__name__) from exc
    _check(res.manifest)
    return Opened(dict(res.manifest), dict(res.tables), f"folder {p}", _data_warnings(res.manifest))


def open_archive(data: bytes, name: str = "archive.zip") -> Opened:
    """Read and validate an uploaded ``.zip`` of a results folder."""
    try:
        res = _api().read_archive(data)
    except Exception as exc:  # bad zip, path traversal, non-Parquet member, too large, bad manifest
        raise ResultsError(str(exc).strip() or type(exc).__name__) from exc
    _check(res.manifest)
    return Opened(dict(res.manifest), dict(res.tables), f"archive {name}", _data_warnings(res.manifest))


def _data_warnings(manifest: dict) -> list[str]:
    """A built-in dataset named by the manifest must hash to ``data.sha256``; say so when it does not."""
    from unlearn_core import datasets

    data = manifest.get("data") or {}
    name = data.get("name")
    if name not in datasets.names():
        return [f"data.name = {name!r} is not a dataset of this build: the data hash cannot be checked."]
    study = manifest.get("study") or {}
    ds_cfg = study.get("dataset") if isinstance(study.get("dataset"), dict) else {}
    opts: dict[str, Any] = {}
    if ds_cfg.get("sensitive"):
        opts["sensitive"] = ds_cfg["sensitive"]
    try:
        ds = datasets.load(name, **opts)
        sha = _api().data_sha256(ds)
    except Exception as exc:  # noqa: BLE001  (no check rather than no page)
        return [f"data.sha256 could not be checked: loading {name!r} failed ({exc})."]
    if sha != data.get("sha256"):
        return [f"data.sha256 does not match: these results were computed on different data than the "
                f"{name!r} of this build (manifest {str(data.get('sha256'))[:12]}…, this build {sha[:12]}…). "
                "The numbers below describe that other data."]
    return []


# -- tables back into the objects the figure builders take ----------------------------------------
def _frontier_table(op: Opened, names: tuple[str, ...]) -> pd.DataFrame | None:
    for n in names:
        if n in op.tables:
            return op.tables[n]
    return next(iter(op.tables.values()), None) if len(op.tables) == 1 else None


def frontier(op: Opened):
    """The :class:`Frontier` of an ``analytic_frontier`` or ``trained_frontier`` result, or None."""
    from unlearn_core.frontier._types import Frontier

    if op.kind == "analytic_frontier":
        kind, param, names = "analytic", "t", ("frontier", "analytic_frontier")
    elif op.kind == "trained_frontier":
        kind, param, names = "trained", "lam", ("frontier", "trained_frontier", "sweep")
    else:
        return None
    tab = _frontier_table(op, names)
    if tab is None or param not in tab:
        return None
    info = op.manifest.get("frontier") or {}
    utility = info.get("utility") or next((c for c in UTILITY_COLUMNS if c in tab), None)
    leakage = info.get("leakage") or next((c for c in LEAKAGE_COLUMNS if c in tab), None)
    if utility is None or leakage is None:
        return None
    tab = tab.sort_values(param).reset_index(drop=True)
    if "pareto" not in tab:
        tab = tab.assign(pareto=False)
    meta = dict(info.get("meta") or {})
    meta.setdefault("loaded", op.source)
    return Frontier.build(tab, kind=kind, param=param, utility=utility, leakage=leakage, meta=meta,
                          seconds=float((op.manifest.get("timings") or {}).get("total_s", np.nan)))


def summary_rows(op: Opened) -> list[dict[str, str]]:
    """What the results are: kind, data, seeds, versions, timings and completeness, as label/value rows."""
    m = op.manifest
    data = m.get("data") or {}
    tasks = m.get("tasks") or {}
    timings = m.get("timings") or {}
    rows = [
        ("Kind", str(m.get("kind"))),
        ("Source", op.source),
        ("Created", str(m.get("created"))),
        ("Complete", f"{'yes' if m.get('complete') else 'no'} ({len(tasks.get('done', []))} of "
                     f"{tasks.get('total', '?')} tasks)"),
        ("Data", f"{data.get('name')} · {data.get('n_rows', '?'):,} rows × {data.get('n_features', '?')} "
                 "features"
         if isinstance(data.get("n_rows"), int) else f"{data.get('name')}"),
        ("Data hash (SHA-256)", str(data.get("sha256"))),
        ("Seeds", ", ".join(f"{k} = {v}" for k, v in (m.get("seeds") or {}).items()) or "-"),
        ("Versions", ", ".join(f"{k} {v}" for k, v in (m.get("versions") or {}).items()) or "-"),
        ("Total time", f"{timings['total_s']:.1f} s" if isinstance(timings.get("total_s"), (int, float))
         else "-"),
    ]
    return [{"": k, "value": v} for k, v in rows]


def task_timings(op: Opened) -> pd.DataFrame:
    per = (op.manifest.get("timings") or {}).get("per_task_s") or {}
    return pd.DataFrame({"task": list(per), "seconds": [float(v) for v in per.values()]})
