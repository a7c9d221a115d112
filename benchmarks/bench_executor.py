"""Serial vs parallel: the executor seam on the issue-17 acceptance workloads (prints a Markdown table).

Workloads (the same calls the tests check for bit-identical tables):

- ``trained-cold``: ``trained_frontier`` on Adult (Z = sex, all 45,222 rows), 8 lam values, every lam
  trained from the same seeded start (``warm_start=False``): 8 independent tasks.
- ``trained-warm``: the same with warm starts (the lam chain is trained in order in this process; each
  lam's held-out evaluation runs on the executor while the next lam trains).
- ``forgetting``: ``forgetting.repeat_many(METHODS, ..., n_trials=4)`` on digits (forget 75% of the 3s):
  every method of ``forgetting.METHODS`` (MI fine-tune and the four baselines), 4 trials each, 20 tasks
  in one submission.
- ``forgetting-default``: the same at the engine's default budgets (no lam / epochs given: MI unlearning
  picks its own and stops by its rule, retraining runs its default epochs).

Each is timed serially (``executor=None``), on a 2-worker Dask ``LocalCluster`` (``Client.get_executor``,
one thread per worker) and on a 2-process ``ProcessPoolExecutor`` (spawn). The pools are started and
warmed up (imports done) before timing; the order of the three runs rotates each repeat; the table gives
medians and the ratio serial / parallel measured in the same run. The load average (``uptime``) is
printed next to the figures: on a shared machine other jobs take cores and the ratio drops.

Usage::

    PYTHONPATH=. python benchmarks/bench_executor.py [--repeats 3] [--epochs 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

LAMBDAS = [0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]


def _warm(_task, _shared) -> int:
    import sklearn.ensemble  # noqa: F401
    import torch  # noqa: F401

    import unlearn_core.forgetting  # noqa: F401
    import unlearn_core.frontier  # noqa: F401
    import unlearn_core.training  # noqa: F401

    return os.getpid()


def _spin(task, _shared) -> float:
    """Pure-Python work (no library, no memory traffic): the machine's own two-worker speed-up."""
    x = 0
    for i in range(1_500_000):
        x += i * i
    return float(x % 7)


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=3, help="epochs per lam (cold) / of the first lam (warm)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", nargs="*",
                    default=["trained-cold", "trained-warm", "forgetting", "forgetting-default"])
    ap.add_argument("--reference", action="store_true",
                    help="also time 8 pure-Python tasks (~0.15 s each): what two workers can gain on this "
                    "machine at that moment, with no library and no memory traffic")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")  # the workers' k-NN duplicate-row notes, not figures

    import pandas as pd
    from _machine import cpu_model

    from unlearn_core import datasets
    from unlearn_core import forgetting as fg
    from unlearn_core.frontier import trained_frontier
    from unlearn_core.parallel import executor_for, make_tasks, map_tasks, share, submission_bytes

    adult = datasets.load("adult", sensitive="sex", random_state=0)
    digits = datasets.load("digits", random_state=0)
    pb = fg.prepare(digits, fg.ForgetSpec())
    orig = fg.train_original(pb, random_state=0)
    ref = fg.retrain(orig, pb, random_state=0)

    def trained(ex, warm: bool):
        return trained_frontier(adult, lambdas=LAMBDAS, epochs=args.epochs, warm_start=warm, random_state=0,
                                executor=ex).table

    def forgetting(ex):
        # every method of the digits study, 4 trials each, as one submission (forgetting.repeat_many):
        # a trial takes ~0.1 s, so one submission per method would idle a worker at each method's end
        trials = fg.repeat_many(list(fg.METHODS), orig, pb, n_trials=4, random_state=0, reference=ref,
                                lam=4.0, epochs=5, executor=ex)
        return pd.concat([t.table() for t in trials.values()], ignore_index=True)

    def forgetting_default(ex):
        # the same study at the engine's own budgets (the Data unlearning page's: MI unlearning chooses its
        # lam and epochs and stops by its rule; retraining runs its 30 epochs), so retraining dominates
        trials = fg.repeat_many(list(fg.METHODS), orig, pb, n_trials=4, random_state=0, reference=ref,
                                executor=ex)
        return pd.concat([t.table() for t in trials.values()], ignore_index=True)

    toy = datasets.load("toy-gaussians", n_samples=400, random_state=0)

    def warm_up(ex) -> None:
        # first use of torch / scikit-learn code in a fresh worker costs seconds: pay it before timing
        trained_frontier(toy, lambdas=[0.0, 1.0, 2.0, 5.0], epochs=1, warm_start=False, executor=ex)
        for m in ("mi", "retrain"):
            fg.repeat(m, orig, pb, n_trials=2 * n, random_state=0, lam=1.0, epochs=1, executor=ex)

    n = args.workers
    spin_tasks = make_tasks(list(range(8)), ids=[f"spin{i}" for i in range(8)], base_seed=0)
    work = {
        "reference (pure Python)": lambda ex: pd.DataFrame({"v": map_tasks(_spin, spin_tasks, ex)}),
        "trained-cold": lambda ex: trained(ex, False),
        "trained-warm": lambda ex: trained(ex, True),
        "forgetting": forgetting,
        "forgetting-default": forgetting_default,
    }
    print(f"# bench_executor: {cpu_model()}, nproc = {os.cpu_count()}, {n} workers, repeats = {args.repeats}")
    print(f"load average before start-up (1 / 5 / 15 min): {_load()}")
    t0 = time.perf_counter()
    with executor_for(f"local:{n}") as dask, \
            ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn")) as proc:
        warm_tasks = make_tasks(list(range(2 * n)), ids=[f"w{i}" for i in range(2 * n)], base_seed=0)
        for ex in (dask, proc):
            map_tasks(_warm, warm_tasks, ex)
            warm_up(ex)
        print(f"pools started and warmed up in {time.perf_counter() - t0:.1f} s (not counted below)")
        task = warm_tasks[0]
        print(f"bytes per task submission carrying Adult ({adult.X.shape[0]:,} x {adult.X.shape[1]}): "
              f"Dask (scattered once) {submission_bytes(_warm, task, share(dask, adult)):,}; "
              f"process pool {submission_bytes(_warm, task, share(None, adult)):,}")
        executors = {"serial": None, "dask": dask, "processes": proc}
        rows = []
        for name in (["reference (pure Python)"] if args.reference else []) + list(args.only):
            times: dict[str, list[float]] = {k: [] for k in executors}
            loads = []
            tables = {}
            order = list(executors)
            for r in range(args.repeats):
                for k in order[r % 3:] + order[: r % 3]:  # rotate which runs first
                    s = time.perf_counter()
                    tables[k] = work[name](executors[k])
                    times[k].append(time.perf_counter() - s)
                loads.append(os.getloadavg()[0])
            drop = [c for c in ("seconds", "time_ratio") if c in tables["serial"].columns]
            ref_table = tables["serial"].drop(columns=drop)
            same = all(tables[k].drop(columns=drop).equals(ref_table) for k in executors)
            med = {k: statistics.median(v) for k, v in times.items()}
            rows.append((name, med, same, statistics.median(loads)))
            print(f"  {name}: " + ", ".join(f"{k} {v:.1f} s" for k, v in med.items()) + f" (load {_load()})",
                  flush=True)
    print()
    print("| workload | serial (s) | Dask 2 workers (s) | speed-up | process pool (s) | speed-up "
          "| identical tables | load (1-min, median) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, med, same, load in rows:
        print(f"| {name} | {med['serial']:.1f} | {med['dask']:.1f} | {med['serial'] / med['dask']:.2f}x | "
              f"{med['processes']:.1f} | {med['serial'] / med['processes']:.2f}x | "
              f"{'yes' if same else 'NO'} | {load:.1f} |")
    print(f"\nload average at the end: {_load()}")


if __name__ == "__main__":
    main()
