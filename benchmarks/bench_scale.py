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
method, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
z = (rng.random(n) < 0.4).astype(int)
X = rng.normal(size=(n, d)) * (1.0 + 0.5 * z[:, None]) + 0.8 * z[:, None]
t0 = time.perf_counter()
maps = transport.fit_barycenter(X, z, method=method, random_state=0)
fit_s = time.perf_counter() - t0
rss_fit = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
t0 = time.perf_counter()
Xt = maps.transform(X, z, t=0.5)
tr_s = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(json.dumps({"fit_s": fit_s, "transform_s": tr_s, "rss_fit_gb": rss_fit, "rss_gb": rss,
                  "finite": bool(np.isfinite(Xt).all())}))
"""


def run_one(method: str, n: int, d: int, budget_s: float, budget_gb: float) -> dict:
    import resource

    def limit() -> None:
        cap = int(budget_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    try:
        out = subprocess.run([sys.executable, "-c", CHILD, method, str(n), str(d)], capture_output=True,
                             text=True, timeout=budget_s, env=env, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return {"limit": f"over the {budget_s:.0f} s budget"}
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["?"])[-1]
        if "MemoryError" in out.stderr or "Cannot allocate" in out.stderr or out.returncode < 0:
            return {"limit": f"over the {budget_gb:g} GB budget ({tail[:80]})"}
        return {"limit": f"failed: {tail[:120]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 100_000, 1_000_000])
    ap.add_argument("--methods", nargs="*", default=["ot-randomized", "gaussian"])
    ap.add_argument("--d", type=int, default=10)
    ap.add_argument("--budget-s", type=float, default=120.0)
    ap.add_argument("--budget-gb", type=float, default=8.0)
    args = ap.parse_args()
    print(f"# bench_scale: d = {args.d}, K = 2, budgets {args.budget_s:.0f} s / {args.budget_gb:g} GB; "
          f"load {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| method | n | fit (s) | transform t = 0.5 (s) | peak RSS after fit (GB) | peak RSS (GB) "
          "| limit |")
    print("|---|---|---|---|---|---|---|")
    for method in args.methods:
        stopped = None
        for n in args.sizes:
            if stopped:
                print(f"| {method} | {n:,} | | | | | not run: {stopped} at a smaller n |", flush=True)
                continue
            r = run_one(method, n, args.d, args.budget_s, args.budget_gb)
            if "limit" in r:
                stopped = r["limit"]
                print(f"| {method} | {n:,} | | | | | {r['limit']} |", flush=True)
                continue
            print(f"| {method} | {n:,} | {r['fit_s']:.2f} | {r['transform_s']:.2f} | {r['rss_fit_gb']:.2f} | "
                  f"{r['rss_gb']:.2f} | |", flush=True)
    print(f"\nload at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
