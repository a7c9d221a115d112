"""Benchmark the analytic frontier (issue 3): Adult timing and scaling, and the authors' numbers.

Run from the project root:  python benchmarks/bench_frontier.py [--repeats 3]

1. Whole analytic frontier on Adult, 21 values of t, logistic downstream (goal <= 15 s), for training
   splits of 5k, 15k and ~31.6k rows, with the time of each step (which one dominates).
2. The authors' published behaviour (docs/design.md section 4) on ``adult-calmon`` and COMPAS: AUC and
   discrimination along t, with and without Z kept as a feature scaled by (1 - t). COMPAS is read from
   ../shared/data (copied into a temporary cache folder); that part is skipped when the file is absent.

Medians of ``--repeats`` runs; the machine is shared (2 cores, other jobs running), so times are noisy.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_transport import machine  # noqa: E402

from unlearn_core import datasets  # noqa: E402
from unlearn_core.frontier.analytic import analytic_frontier  # noqa: E402

COMPAS = ROOT.parent / "shared" / "data" / "compas-scores-two-years.csv.gz"
STEPS = ("split", "fit", "displacement", "distortion_w2", "probe", "downstream", "output_probe")


def subsample(ds, n_train: int, test_size: float, seed: int = 0):
    n_total = int(round(n_train / (1 - test_size)))
    if n_total >= ds.n_samples:
        return ds
    rows = np.sort(np.random.default_rng(seed).choice(ds.n_samples, n_total, replace=False))
    return ds.subset(rows)


def bench_scaling(repeats: int) -> list[str]:
    lines = [
        "| dataset | train rows x cols | total s (median) | " + " | ".join(STEPS) + " | dominant step |",
        "|---|---|---:|" + "---:|" * len(STEPS) + "---|",
    ]
    for name in ("adult-calmon", "adult"):
        full = datasets.load(name)
        for n_train in (5_000, 15_000, 30_000):
            ds = subsample(full, n_train, 0.3)
            runs = [analytic_frontier(ds, random_state=0) for _ in range(repeats)]
            totals = [f.seconds for f in runs]
            best = runs[int(np.argsort(totals)[len(totals) // 2])]
            steps = {k: best.meta["timings"][k] for k in STEPS}
            dominant = max(steps, key=steps.get)
            lines.append(
                f"| {name} | {best.meta['n_train']} x {ds.n_features} | {np.median(totals):.2f} | "
                + " | ".join(f"{steps[k]:.2f}" for k in STEPS)
                + f" | {dominant} ({100 * steps[dominant] / best.seconds:.0f}%) |"
            )
    return lines


def along_t(ds, label: str) -> list[str]:
    ts = [0.0, 0.25, 0.5, 0.75, 1.0]
    lines = []
    for keep_z in (False, True):
        f = analytic_frontier(ds, ts=ts, keep_z=keep_z, random_state=0)
        tab = f.table
        lines.append(
            f"| {label} | {'yes' if keep_z else 'no'} | "
            + " | ".join(f"{a:.3f} / {d:.3f}" for a, d in zip(tab["auc"], tab["discrimination"], strict=True))
            + f" | {tab['probe_auc'].iloc[0]:.3f} -> {tab['probe_auc'].iloc[-1]:.3f} |"
        )
    return lines


def bench_authors() -> list[str]:
    lines = [
        "| data | Z kept as feature × (1 - t) | t = 0 AUC / disc. | t = 0.25 | t = 0.5 | t = 0.75 | t = 1 "
        "| probe AUC t=0 -> 1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += along_t(datasets.load("adult-calmon"), "adult-calmon (Z = sex)")
    if COMPAS.exists():
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(COMPAS, tmp)
            ds = datasets.load("compas", data_dir=tmp, download=False)
            lines += along_t(ds, "COMPAS (Z = race, AA vs Caucasian)")
    else:
        lines.append(f"| COMPAS | skipped: {COMPAS} absent | | | | | | |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"# bench_frontier  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  ({machine()})")
    print(f"command: python benchmarks/bench_frontier.py --repeats {args.repeats}\n")
    print("## Whole analytic frontier, 21 t, gaussian maps, logistic downstream + logistic probe on X_t "
          "+ output probe (goal <= 15 s)\n")
    start = time.perf_counter()
    print("\n".join(bench_scaling(args.repeats)))
    print("\n(step columns in seconds for the median run; "
          f"scaling section took {time.perf_counter() - start:.0f} s)\n")
    print("## Authors' numbers (docs/design.md section 4): test AUC / discrimination along t, "
          "logistic regression\n")
    print("\n".join(bench_authors()))


if __name__ == "__main__":
    main()
