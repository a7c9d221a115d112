"""Side-by-side with the peer libraries (issue 19): exact OT, k-NN MI, the analytic frontier, imports.

Run from the project root:  python benchmarks/bench_peers.py [--only ot,knn,frontier,imports] [--repeats 3]

Every comparison runs ours and the peer interleaved in one process (ours, peer, ours, peer, ...) with
BLAS limited to one thread for both, and reports medians and the ratio ours / peer: the machine is
shared (2 cores, other jobs running), so absolute times are noisy and the ratios less so. Memory is the
peak of numpy's allocations traced by ``tracemalloc`` during one call of each (POT's C++ solver's own
buffers are the same for both sides and are not traced).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import subprocess
import sys
import time
import tracemalloc
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _machine import cpu_model  # noqa: E402  (benchmarks/ is the script's folder)
from threadpoolctl import threadpool_limits  # noqa: E402


def machine() -> str:
    return f"nproc={os.cpu_count()}, CPU {cpu_model()}, Python {platform.python_version()}, numpy {np.__version__}"


def interleaved(fns: dict, repeats: int) -> tuple[dict[str, float], dict]:
    """Median wall time of each callable over ``repeats`` interleaved rounds, and each one's last output."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    outs: dict = {}
    for _ in range(repeats):
        for name, fn in fns.items():
            gc.collect()
            start = time.perf_counter()
            outs[name] = fn()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(v)) for name, v in times.items()}, outs


def peak_mb(fn) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------------------------- exact OT
def bench_ot(repeats: int, sizes: list[int], dims: list[int], n_support: int, n_iter: int) -> list[str]:
    import ot

    from unlearn_core.transport import fit_barycenter

    lines = [
        f"Two groups of n rows each (N(0, I) and N(2, 0.49 I)), uniform weights, support of {n_support} points "
        f"initialised from the same random rows, {n_iter} fixed-point iterations on both sides "
        "(`tol`/`stopThr` 0, so neither stops early), no subsampling (`max_samples` above n). Objective = "
        "sum_z w_z W2^2(group z, support) at each returned support, from fresh `ot.emd2` plans for both (ours "
        "reports the last iteration's plans' cost as `total_cost` when stopped by max_iter). 'POT limit' "
        "counts POT's `emd` calls that hit its default numItermax = 100000 (ours uses 1e6).",
        "",
        "| n per group | d | POT s | ours s | ratio ours / POT | POT objective | ours objective | max abs support diff | POT peak MB | ours peak MB | memory ratio | POT limit |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for d in dims:
        for n in sizes:
            rng = np.random.default_rng(n + d)
            X = np.vstack([rng.normal(0.0, 1.0, (n, d)), rng.normal(2.0, 0.7, (n, d))])
            z = np.repeat([0, 1], n)
            init = X[rng.choice(2 * n, n_support, replace=False)]
            locs = [X[:n], X[n:]]
            a = [np.full(n, 1.0 / n)] * 2

            def pot():
                return ot.lp.free_support_barycenter(locs, a, init, numItermax=n_iter, stopThr=0.0)

            def ours():
                return fit_barycenter(
                    X, z, method="ot-exact", weights="uniform", n_support=n_support, init=init,
                    max_iter=n_iter, tol=1e-300, max_samples=10**9,
                )

            with threadpool_limits(1, user_api="blas"), warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                med, outs = interleaved({"pot": pot, "ours": ours}, repeats)
                limit = sum("numItermax" in str(w.message) for w in caught) // repeats
                mem_pot, mem_ours = peak_mb(pot), peak_mb(ours)
                Yp, maps = outs["pot"], outs["ours"]
                b = np.full(n_support, 1.0 / n_support)
                obj_pot, obj_ours = (
                    0.5 * sum(float(ot.emd2(b, a[0], ot.dist(Y, L), numItermax=10**7)) for L in locs)
                    for Y in (Yp, maps.support)
                )
            lines.append(
                f"| {n} | {d} | {med['pot']:.2f} | {med['ours']:.2f} | {med['ours'] / med['pot']:.2f} | "
                f"{obj_pot:.8f} | {obj_ours:.8f} | {np.abs(maps.support - Yp).max():.1e} | "
                f"{mem_pot:.0f} | {mem_ours:.0f} | {mem_ours / mem_pot:.2f} | {limit} |"
            )
            print(lines[-1], flush=True)
    return lines


def bench_transform(repeats: int, n: int = 10_000, d: int = 10, n_new: int = 30_000) -> list[str]:
    from unlearn_core.transport import fit_barycenter
    from unlearn_core.transport.empirical import _nearest

    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0.0, 1.0, (n, d)), rng.normal(2.0, 0.7, (n, d))])
    z = np.repeat([0, 1], n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        maps = fit_barycenter(X, z, method="ot-exact", n_support=200, max_iter=2, max_samples=10**9)
    new = rng.normal(1.0, 1.5, (n_new, d))
    zn = rng.integers(0, 2, n_new)

    def tree():
        return maps.displacement(new, zn)

    def brute():
        anchors = [X[z == k] for k in (0, 1)]
        out = np.empty_like(new)
        for k in (0, 1):
            rows = np.flatnonzero(zn == k)
            out[rows] = _nearest(new[rows], anchors[k])
        return out

    with threadpool_limits(1, user_api="blas"):
        med, _ = interleaved({"tree": tree, "brute": brute}, repeats)
    return [
        f"| out-of-sample `displacement`, {n_new} new rows, {n} fitted rows per group, d = {d} | "
        f"{med['brute']:.2f} | {med['tree']:.3f} | {med['tree'] / med['brute']:.3f} |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="ot,transform,knn,frontier,imports")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ot-sizes", default="2000,5000,10000")
    parser.add_argument("--ot-dims", default="2,10")
    parser.add_argument("--ot-support", type=int, default=500)
    parser.add_argument("--ot-iter", type=int, default=3)
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"# bench_peers  {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC  ({machine()})")
    print(f"command: python benchmarks/bench_peers.py {' '.join(sys.argv[1:])}\n", flush=True)
    if "ot" in only:
        print("## `ot-exact` vs POT `ot.lp.free_support_barycenter` (one BLAS thread)\n", flush=True)
        bench_ot(args.repeats, [int(s) for s in args.ot_sizes.split(",")], [int(s) for s in args.ot_dims.split(",")],
                 args.ot_support, args.ot_iter)
    if "transform" in only:
        print("\n## Out-of-sample rows of the OT maps: KD-tree vs the former brute-force search\n")
        print("| what | brute force s | KD-tree s | ratio |\n|---|---:|---:|---:|")
        print("\n".join(bench_transform(args.repeats)), flush=True)


if __name__ == "__main__":
    main()
