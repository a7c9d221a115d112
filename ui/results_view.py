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
    """``unlearn_core.results``: the format's reader, validator and data hash."""
    from unlearn_core import results

    return results


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
def attackers(manifest: dict, tables: dict[str, pd.DataFrame]) -> list[str]:
    """The attackers of an analytic-frontier result (its table has one block of rows per attacker)."""
    tab = tables.get("frontier")
    if manifest.get("kind") != "analytic_frontier" or tab is None or "attacker" not in tab:
        return []
    return list(dict.fromkeys(str(a) for a in tab["attacker"]))


def frontier(manifest: dict, tables: dict[str, pd.DataFrame], *, attacker: str | None = None):
    """The :class:`Frontier` of an ``analytic_frontier`` (one attacker's rows) or ``trained_frontier``
    result, with the facts the charts need from ``manifest["meta"]["frontier"]``; None for other kinds."""
    from unlearn_core.frontier import Frontier

    kind = manifest.get("kind")
    if kind not in ("analytic_frontier", "trained_frontier") or "frontier" not in tables:
        return None
    info = dict(((manifest.get("meta") or {}).get("frontier")) or {})
    tab = tables["frontier"]
    leakage = info.get("leakage")
    if kind == "analytic_frontier":
        atts = attackers(manifest, tables)
        if atts:
            attacker = attacker if attacker in atts else atts[0]
            tab = tab[tab["attacker"] == attacker].drop(columns="attacker")
        if isinstance(leakage, dict):
            leakage = leakage.get(attacker) if attacker in leakage else next(iter(leakage.values()), None)
    param = "t" if kind == "analytic_frontier" else "lam"
    utility = info.get("utility") or next((c for c in UTILITY_COLUMNS if c in tab), None)
    leakage = leakage or next((c for c in LEAKAGE_COLUMNS if c in tab), None)
    if utility is None or leakage is None or param not in tab:
        return None
    meta = {k: v for k, v in info.items() if k not in ("kind", "param", "utility", "leakage")}
    meta["attacker"] = attacker
    tab = tab.sort_values(param).reset_index(drop=True)
    return Frontier.build(tab, kind=info.get("kind", kind.split("_")[0]), param=param, utility=utility,
                          leakage=leakage, meta=meta,
                          seconds=float((manifest.get("timings") or {}).get("total_s", np.nan)))


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
