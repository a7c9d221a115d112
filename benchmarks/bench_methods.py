"""Benchmark every barycenter method side by side (issue 12): time, strong-attacker AUC, downstream AUC.

Run from the project root, single-threaded (the machine's 2 cores are shared):

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/bench_methods.py

Two parts:

1. **Adult** (``datasets.load("adult", sensitive="sex")``, 85 columns), split 70/30 by
   ``datasets.split(ds, test_size=0.3, random_state=seed)``; every method of ``transport.methods()`` is
   fitted on the first n rows of a seeded permutation of the training split (n = 5,000 / 15,000 /
   30,000, the last about the whole split) and the whole test split is mapped to t = 1. Per cell: fit
   seconds, transform seconds (median of ``--repeats``), V (``maps.total_cost``), the strong attacker
   (``leakage.attacker.attack(..., model="hgb")``: cross-fitted gradient boosting on the transformed
   test rows, AUC with its 95% interval), the logistic attacker's AUC (same call, ``model="logistic"``),
   and the downstream income AUC of ``StandardScaler + LogisticRegression(max_iter=2000)`` trained on the
   transformed training rows and scored on the transformed test rows. The reference measured in the same
   run is one fit of that same pipeline on the same (untransformed) training rows (median of
   ``--repeats``), so fit times can be read as ratios. Seed 0 everywhere; seed 1 as well for the 30k rows
   of ot-randomized and gaussian; Z = race (K = 5) at 30k for those two.
2. **Scaling** of ot-randomized and gaussian on synthetic data shaped like Adult (two groups 2:1,
   d = 20: 5 continuous columns, two one-hot categoricals of 7 and 8 levels), n = 10^3 ... 10^6 training
   rows. Each cell runs in a child process with an 8 GiB address-space limit (``RLIMIT_AS``) and a
   ``--cell-timeout`` (default 180 s) on the whole child (imports and data generation, about 10-20 s on
   a loaded machine, included); the child reports fit and transform wall time and its peak RSS
   (``resource.getrusage``). The transform maps n fresh rows (unseen in fitting) in chunks of 100,000.
   A cell that times out or runs out of memory is reported as such: that is where the method stops
   scaling. Larger n of a method are skipped once one n has stopped.

Timings are wall clock on a shared machine (other jobs ran at the same time): compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _machine import cpu_model  # noqa: E402  (benchmarks/ is the script's folder)

from unlearn_core import datasets, transport  # noqa: E402

SIZES = (5000, 15000, 30000)
SCALING_N = (1_000, 10_000, 100_000, 1_000_000)
SCALING_METHODS = ("ot-randomized", "gaussian")
MEM_LIMIT = 8 * 1024**3
CHUNK = 100_000


def machine() -> str:
    import sklearn

    return (f"nproc={os.cpu_count()}, CPU {cpu_model()}, Python {platform.python_version()}, numpy "
            f"{np.__version__}, scikit-learn {sklearn.__version__}, OMP_NUM_THREADS="
            f"{os.environ.get('OMP_NUM_THREADS')}")


def timed(fn, repeats: int = 1):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def downstream_model():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def downstream_auc(S_tr, y_tr, S_te, y_te) -> float:
    from sklearn.metrics import roc_auc_score

    model = downstream_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(S_tr, y_tr)
    return float(roc_auc_score(y_te, model.predict_proba(S_te)[:, 1]))


# -- part 1: Adult -------------------------------------------------------------------------------------


def adult_cell(ds, method: str, n: int, seed: int, repeats: int) -> dict:
    from unlearn_core.leakage.attacker import attack

    train, test = datasets.split(ds, test_size=0.3, random_state=seed)
    perm = np.random.default_rng(seed).permutation(train.n_samples)[:n]
    X_tr = train.X.to_numpy(dtype=float)[perm]
    z_tr, y_tr = train.z.to_numpy()[perm], train.y.to_numpy()[perm]
    X_te, z_te, y_te = test.X.to_numpy(dtype=float), test.z.to_numpy(), test.y.to_numpy()

    def lr_fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return downstream_model().fit(X_tr, y_tr)

    t_lr, lr = timed(lr_fit, repeats)
    from sklearn.metrics import roc_auc_score

    auc_t0 = float(roc_auc_score(y_te, lr.predict_proba(X_te)[:, 1]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t_fit, maps = timed(lambda: transport.fit_barycenter(X_tr, z_tr, method=method, random_state=seed))
    t_tr, S_te = timed(lambda: maps.transform(X_te, z_te, 1.0), repeats)
    S_tr = maps.transform(X_tr, z_tr, 1.0)
    hgb = attack(S_te, z_te, model="hgb", random_state=seed)
    lin = attack(S_te, z_te, model="logistic", random_state=seed)
    return dict(
        method=method, Z=ds.z.name, K=int(maps.groups.size), n=int(X_tr.shape[0]), seed=seed,
        n_test=int(X_te.shape[0]), fit_s=t_fit, transform_s=t_tr, lr_s=t_lr, V=float(maps.total_cost),
        hgb_auc=hgb.auc, hgb_ci=list(hgb.auc_ci), hgb_recovered=hgb.recovered, hgb_acc=hgb.accuracy,
        hgb_majority=hgb.majority_baseline, hgb_rows=hgb.n, hgb_s=hgb.seconds,
        lin_auc=lin.auc, lin_ci=list(lin.auc_ci),
        down_auc=downstream_auc(S_tr, y_tr, S_te, y_te), down_auc_t0=auc_t0,
        warnings=sorted({str(w.category.__name__) + ": " + str(w.message)[:80] for w in caught}),
    )


def adult_rows(repeats: int, sizes, methods, seed1_methods, race_methods, log) -> list[dict]:
    sex = datasets.load("adult", sensitive="sex")
    plan = [(sex, m, n, 0) for m in methods for n in sizes]
    plan += [(sex, m, max(sizes), 1) for m in seed1_methods]
    if race_methods:
        race = datasets.load("adult", sensitive="race")
        plan += [(race, m, max(sizes), s) for m in race_methods for s in (0,)]
    rows = []
    for ds, m, n, s in plan:
        start = time.perf_counter()
        row = adult_cell(ds, m, n, s, repeats)
        rows.append(row)
        log(f"  [{time.perf_counter() - start:6.1f} s] {m} Z={row['Z']} n={n} seed={s}: "
            f"fit {row['fit_s']:.2f} s, hgb {row['hgb_auc']:.3f}, logistic {row['lin_auc']:.3f}, "
            f"downstream {row['down_auc']:.3f}")
    return rows


def adult_table(rows: list[dict]) -> list[str]:
    lines = [
        "| method | Z (K) | train rows | seed | fit s | fit / LR fit | transform s (test rows) | V | "
        "hgb attacker AUC [95% CI] | Z recovered? | logistic attacker AUC | downstream income AUC | "
        "LR fit s (reference) | downstream AUC at t = 0 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lo, hi = r["hgb_ci"]
        lines.append(
            f"| {r['method']} | {r['Z']} ({r['K']}) | {r['n']:,} | {r['seed']} | {r['fit_s']:.2f} | "
            f"{r['fit_s'] / r['lr_s']:.1f}x | {r['transform_s']:.3f} ({r['n_test']:,}) | {r['V']:.4g} | "
            f"{r['hgb_auc']:.3f} [{lo:.3f}, {hi:.3f}] | {'yes' if r['hgb_recovered'] else 'no'} | "
            f"{r['lin_auc']:.3f} | {r['down_auc']:.3f} | {r['lr_s']:.2f} | {r['down_auc_t0']:.3f} |"
        )
    notes = [f"- {r['method']} n={r['n']} seed={r['seed']} Z={r['Z']}: {w}"
             for r in rows for w in r["warnings"]]
    if notes:
        lines += ["", "Warnings raised while fitting:", ""] + notes
    return lines


# -- part 2: scaling -----------------------------------------------------------------------------------


def synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Adult-shaped rows: z ~ Bernoulli(1/3); 5 continuous columns (age-, hours-, gain-like) and two
    one-hot categoricals (7 and 8 levels) whose laws depend on z. d = 20."""
    rng = np.random.default_rng(seed)
    z = (rng.random(n) < 1 / 3).astype(np.int64)
    zf = z.astype(float)
    age = np.round(rng.normal(38 - 2 * zf, 13)).clip(17, 90)
    edu = np.round(rng.normal(10 + 0.3 * zf, 2.5)).clip(1, 16)
    hours = np.round(rng.normal(42 - 6 * zf, 11)).clip(1, 99)
    gain = np.where(rng.random(n) < 0.08 - 0.03 * zf, rng.lognormal(8, 1, n), 0.0)
    weight = rng.lognormal(12 - 0.05 * zf, 0.5)
    cont = np.column_stack([age, edu, hours, gain, weight])
    cont = (cont - cont.mean(0)) / cont.std(0)

    def one_hot(levels: int, shift: float) -> np.ndarray:
        logits = rng.standard_normal(levels)
        p0 = np.exp(logits) / np.exp(logits).sum()
        p1 = np.exp(logits + shift * np.arange(levels) / levels)
        p1 /= p1.sum()
        codes = np.where(z == 1, (rng.random(n)[:, None] > np.cumsum(p1)).sum(1),
                         (rng.random(n)[:, None] > np.cumsum(p0)).sum(1)).clip(0, levels - 1)
        return np.eye(levels)[codes]

    return np.hstack([cont, one_hot(7, 2.0), one_hot(8, -1.5)]), z


def _rss_mb(field: str) -> float:
    """VmRSS / VmHWM (peak since the last reset) of this process in MB, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to /proc/self/clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def run_cell(method: str, n: int) -> dict:
    """One scaling cell, in this (child) process: fit on n rows, transform n fresh rows in chunks.

    Memory: peak RSS of the fit and of the transform (VmHWM reset before each), and the RSS before the
    fit (interpreter, imports and the data: 2 x n x 20 floats).
    """
    import ot  # noqa: F401  (POT's import, seconds and hundreds of MB with its backends, is not the fit's)

    resource.setrlimit(resource.RLIMIT_AS, (MEM_LIMIT, MEM_LIMIT))
    X, z = synthetic(n, seed=0)
    X_new, z_new = synthetic(n, seed=1)
    base = _rss_mb("VmRSS")
    _reset_peak()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        maps = transport.fit_barycenter(X, z, method=method, random_state=0)
    fit_s = time.perf_counter() - t0
    fit_rss = _rss_mb("VmHWM")
    _reset_peak()
    t0 = time.perf_counter()
    for start in range(0, n, CHUNK):
        maps.transform(X_new[start : start + CHUNK], z_new[start : start + CHUNK], 1.0)
    transform_s = time.perf_counter() - t0
    return dict(method=method, n=n, fit_s=fit_s, transform_s=transform_s, base_mb=base, fit_peak_mb=fit_rss,
                peak_mb=_rss_mb("VmHWM"),
                n_support=maps.options.get("n_support"), V=float(maps.total_cost))


def scaling_rows(sizes, timeout: float, log) -> list[dict]:
    rows = []
    for method in SCALING_METHODS:
        stopped = None
        for n in sizes:
            if stopped is not None:
                rows.append(dict(method=method, n=n, status=f"not run (stopped at n = {stopped:,})"))
                continue
            start = time.perf_counter()
            cmd = [sys.executable, str(Path(__file__).resolve()), "--cell", f"{method}:{n}"]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                rows.append(dict(method=method, n=n, status=f"stopped: cell over {timeout:.0f} s"))
                stopped = n
                log(f"  {method} n={n}: timeout")
                continue
            wall = time.perf_counter() - start
            out = [line for line in proc.stdout.splitlines() if line.startswith("{")]
            if proc.returncode != 0 or not out:
                err = (proc.stderr.strip().splitlines() or ["?"])[-1][:120]
                oom = "MemoryError" in proc.stderr or "bad_alloc" in proc.stderr
                status = "stopped: out of memory (8 GiB limit)" if oom else f"failed: {err}"
                rows.append(dict(method=method, n=n, status=status))
                stopped = n
                log(f"  {method} n={n}: {status}")
                continue
            row = json.loads(out[-1])
            row["status"] = "ok"
            row["wall_s"] = wall
            rows.append(row)
            log(f"  {method} n={n}: fit {row['fit_s']:.2f} s, transform {row['transform_s']:.2f} s, "
                f"peak {row['peak_mb']:.0f} MB")
    return rows


def scaling_table(rows: list[dict]) -> list[str]:
    lines = [
        "| method | train rows n | fit s | transform s (n new rows) | support k | peak RSS MB during fit | "
        "peak RSS MB during transform | RSS MB before fit | status |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        if r["status"] != "ok":
            lines.append(f"| {r['method']} | {r['n']:,} | | | | | | | {r['status']} |")
            continue
        lines.append(
            f"| {r['method']} | {r['n']:,} | {r['fit_s']:.2f} | {r['transform_s']:.2f} | "
            f"{r['n_support'] or '-'} | "
            f"{r['fit_peak_mb']:.0f} | {r['peak_mb']:.0f} | {r['base_mb']:.0f} | ok |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the transform and LR reference")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--methods", nargs="+", default=None, help="default: transport.methods()")
    parser.add_argument("--scaling-sizes", type=int, nargs="+", default=list(SCALING_N))
    parser.add_argument("--cell-timeout", type=float, default=180.0)
    parser.add_argument("--skip-adult", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw rows here")
    parser.add_argument("--cell", default=None, help=argparse.SUPPRESS)  # child process: method:n
    args = parser.parse_args()
    if args.cell is not None:
        method, n = args.cell.split(":")
        print(json.dumps(run_cell(method, int(n))))
        return

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    methods = args.methods or transport.methods()
    print(f"# bench_methods  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  ({machine()})")
    print("command: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python "
          "benchmarks/bench_methods.py " + " ".join(sys.argv[1:]) + "\n")
    import ot  # noqa: F401  (imported once before any timing: POT loads its backends on import)

    raw: dict = {}
    if not args.skip_adult:
        seed1 = [m for m in SCALING_METHODS if m in methods]
        rows = adult_rows(args.repeats, args.sizes, methods, seed1, seed1, log)
        raw["adult"] = rows
        print("## Adult, t = 1: fit and transform time, strong and logistic attacker, downstream AUC\n")
        print("\n".join(adult_table(rows)))
        print()
    if not args.skip_scaling:
        rows = scaling_rows(args.scaling_sizes, args.cell_timeout, log)
        raw["scaling"] = rows
        print(f"## Scaling on Adult-shaped synthetic data (d = 20), cell limit {args.cell_timeout:.0f} s "
              "/ 8 GiB\n")
        print("\n".join(scaling_table(rows)))
    if args.json is not None:
        args.json.write_text(json.dumps(raw, indent=1, default=str))


if __name__ == "__main__":
    main()
