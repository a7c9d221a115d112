"""INTERIM: write assets/precomputed/<name>/ from <name>.toml until ``python -m unlearn_core run`` exists.

    PYTHONPATH=. python benchmarks/make_precomputed.py assets/precomputed/adult-analytic.toml

Writes the results format the batch command writes (manifest.json + Parquet; ``ui.results_view`` reads
it): the same engine call the page makes, with the study's arguments. Once issue 17's batch command is
merged, regenerate every shipped folder with it (the command in each study file) and delete this script.
"""

from __future__ import annotations

import json
import platform
import sys
import time
import tomllib
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist, key in (("numpy", "numpy"), ("torch", "torch"), ("pot", "pot"),
                      ("scikit-learn", "scikit-learn"), ("pandas", "pandas")):
        try:
            out[key] = version(dist)
        except Exception:  # noqa: BLE001
            out[key] = "absent"
    out["unlearn_core"] = "0.1.0"
    return out


def main(study_path: str) -> None:
    from ui.results_view import _api
    from unlearn_core import datasets

    study_file = Path(study_path)
    study = tomllib.loads(study_file.read_text())
    out = study_file.with_suffix("")
    out.mkdir(parents=True, exist_ok=True)
    ds = datasets.load(study["dataset"]["name"], sensitive=study["dataset"]["sensitive"])
    seed = int(study["seeds"][0])
    start = time.perf_counter()
    if study["kind"] == "analytic_frontier":
        from unlearn_core.frontier.analytic import analytic_frontier

        f = analytic_frontier(ds, method=study["method"], ts=np.asarray(study["grid"]["ts"]),
                              downstream=study["downstream"], attacker=study["attacker"], random_state=seed)
    elif study["kind"] == "trained_frontier":
        from unlearn_core.frontier.trained import trained_frontier

        f = trained_frontier(ds, lambdas=tuple(study["grid"]["lambdas"]), estimator=study["estimator"],
                             model=study["model"], hidden=tuple(study["hidden"]), epochs=int(study["epochs"]),
                             warm_start=bool(study["warm_start"]), random_state=seed)
    else:
        raise SystemExit(f"{study_file}: kind {study['kind']!r} is not supported by this interim script")
    total = time.perf_counter() - start
    f.table.to_parquet(out / "frontier.parquet", index=False)
    meta = json.loads(json.dumps({k: v for k, v in f.meta.items() if k != "results"}, default=str))
    manifest = {
        "format": "unlearn-explorer-results", "version": 1, "kind": study["kind"], "study": study,
        "data": {"name": ds.name, "sha256": _api().data_sha256(ds), "n_rows": int(ds.n_samples),
                 "n_features": int(ds.n_features)},
        "seeds": {"base": seed}, "versions": _versions(),
        "timings": {"total_s": round(total, 3), "per_task_s": {"all": round(total, 3)}},
        "tables": {"frontier": "frontier.parquet"}, "tasks": {"done": ["all"], "total": 1},
        "created": datetime.now(UTC).isoformat(timespec="seconds"), "complete": True,
        "frontier": {"kind": f.kind, "param": f.param, "utility": f.utility, "leakage": f.leakage,
                     "meta": meta, "seconds": float(f.seconds)},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{out}: {len(f.table)} rows in {total:.1f} s")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        main(arg)
