"""How the barycenter methods scale with n: fit and transform time and peak memory, 10^3 ... 10^6 rows.

Synthetic data: d = 10 features, K = 2 groups (Z ~ Bernoulli(0.4)), X | Z = z Gaussian with a
group-dependent mean and scale, seeded. For each method (``transport.DEFAULT_METHOD`` =
"ot-randomized", and "gaussian") and each n, one fresh subprocess fits ``transport.fit_barycenter`` on
the n rows and then runs ``maps.transform(X, z, t=0.5)`` on the same n rows; the table gives wall time
of each and the subprocess's peak resident memory (``ru_maxrss``, which includes the ~0.3 GB of the
imported libraries). A size is skipped, and the limit recorded, when the run exceeds the time budget
(``--budget-s``, default 120 s; the subprocess is killed) or the memory budget (``--budget-gb``, default
8 GB, enforced with ``RLIMIT_AS``).

Usage::

    PYTHONPATH=. python benchmarks/bench_scale.py [--sizes 1000 10000 100000 1000000] [--budget-s 120]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
from unlearn_core import transport
method, n, d, cap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
opts = {"max_plan_rows": cap} if cap > 0 else {}
rng = np.random.default_rng(0)
z = (rng.random(n) < 0.4).astype(int)
X = rng.normal(size=(n, d)) * (1.0 + 0.5 * z[:, None]) + 0.8 * z[:, None]
t0 = time.perf_counter()
maps = transport.fit_barycenter(X, z, method=method, random_state=0, **opts)
fit_s = time.perf_counter() - t0
rss_fit = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
t0 = time.perf_counter()
Xt = maps.transform(X, z, t=0.5)
tr_s = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(json.dumps({"fit_s": fit_s, "transform_s": tr_s, "rss_fit_gb": rss_fit, "rss_gb": rss,
                  "finite": bool(np.isfinite(Xt).all())}))
"""


def run_one(method: str, n: int, d: int, budget_s: float, budget_gb: float, cap: int = 0) -> dict:
    import resource

    def limit() -> None:
        cap = int(budget_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    try:
        out = subprocess.run([sys.executable, "-c", CHILD, method, str(n), str(d), str(cap)],
                             capture_output=True, text=True, timeout=budget_s, env=env, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return {"limit": f"over the {budget_s:.0f} s budget"}
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["?"])[-1]
        if "MemoryError" in out.stderr or "Cannot allocate" in out.stderr or out.returncode < 0:
            return {"limit": f"over the {budget_gb:g} GB budget ({tail[:80]})"}
        return {"limit": f"failed: {tail[:120]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def sampling_error(n: int, d: int, cap: int) -> None:
    """What fitting the plans on a sample costs: leakage at t = 1 on held-out rows, full plans vs capped.

    The same synthetic world; the maps are fitted on a 70% training split (full plans, and plans on
    ``cap`` rows per group), then the project's attacker (cross-fitted gradient boosting,
    ``leakage.attacker.attack``) tries to recover Z from X_1 of the held-out 30%, and the total variation
    between the two groups' laws of support points drawn there is computed (0: same law).
    """
    import time
    import warnings

    import numpy as np

    from unlearn_core import transport
    from unlearn_core.leakage.attacker import attack

    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    z = (rng.random(n) < 0.4).astype(int)
    X = rng.normal(size=(n, d)) * (1.0 + 0.5 * z[:, None]) + 0.8 * z[:, None]
    test = rng.random(n) < 0.3
    print(f"\nSampling error, n = {n:,} (train {int((~test).sum()):,} / held out {int(test.sum()):,}), "
          f"d = {d}:")
    print("| plans fitted on | fit (s) | V | attacker AUC at t = 1 (95% CI), held out "
          "| TV between groups' draws |")
    print("|---|---|---|---|---|")
    for label, opts in (("every training row", {}), (f"{cap:,} rows per group", {"max_plan_rows": cap})):
        t0 = time.perf_counter()
        maps = transport.fit_barycenter(X[~test], z[~test], random_state=0, **opts)
        fit_s = time.perf_counter() - t0
        res = attack(maps.transform(X[test], z[test], t=1.0), z[test], random_state=0)
        J = maps._mapper.draws(X[test], z[test])
        k = maps.support.shape[0]
        laws = [np.bincount(J[z[test] == g], minlength=k) / max((z[test] == g).sum(), 1) for g in (0, 1)]
        tv = 0.5 * np.abs(laws[0] - laws[1]).sum()
        print(f"| {label} | {fit_s:.1f} | {maps.total_cost:.4f} | {res.auc:.3f} ({res.auc_ci[0]:.3f}-"
              f"{res.auc_ci[1]:.3f}) | {tv:.3f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 100_000, 1_000_000])
    ap.add_argument("--methods", nargs="*", default=["ot-randomized", "gaussian"])
    ap.add_argument("--d", type=int, default=10)
    ap.add_argument("--budget-s", type=float, default=120.0)
    ap.add_argument("--budget-gb", type=float, default=8.0)
    ap.add_argument("--cap", type=int, default=20_000, help="max_plan_rows for the capped ot-randomized rows")
    ap.add_argument("--capped-only", action="store_true", help="only the capped ot-randomized rows + error")
    ap.add_argument("--error-n", type=int, default=20_000, help="n of the sampling-error comparison")
    args = ap.parse_args()
    print(f"# bench_scale: d = {args.d}, K = 2, budgets {args.budget_s:.0f} s / {args.budget_gb:g} GB; "
          f"load {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| method | n | fit (s) | transform t = 0.5 (s) | peak RSS after fit (GB) | peak RSS (GB) "
          "| limit |")
    print("|---|---|---|---|---|---|---|")
    runs = [] if args.capped_only else [(m, 0) for m in args.methods]
    if ("ot-randomized" in args.methods or args.capped_only) and args.cap > 0:
        runs.insert(1, ("ot-randomized", args.cap))
    for method, cap in runs:
        label = method if not cap else f"{method}, max_plan_rows = {cap:,}"
        stopped = None
        for n in args.sizes:
            if stopped:
                print(f"| {label} | {n:,} | | | | | not run: {stopped} at a smaller n |", flush=True)
                continue
            r = run_one(method, n, args.d, args.budget_s, args.budget_gb, cap)
            if "limit" in r:
                stopped = r["limit"]
                print(f"| {label} | {n:,} | | | | | {r['limit']} |", flush=True)
                continue
            print(f"| {label} | {n:,} | {r['fit_s']:.2f} | {r['transform_s']:.2f} | "
                  f"{r['rss_fit_gb']:.2f} | {r['rss_gb']:.2f} | |", flush=True)
    sampling_error(args.error_n, args.d, max(args.error_n // 10, 2))
    print(f"\nload at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
