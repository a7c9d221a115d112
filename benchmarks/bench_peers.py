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
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _machine import cpu_model  # noqa: E402  (benchmarks/ is the script's folder)
from threadpoolctl import threadpool_limits  # noqa: E402


def machine() -> str:
    return (f"nproc={os.cpu_count()}, CPU {cpu_model()}, Python {platform.python_version()}, "
            f"numpy {np.__version__}")


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
        f"Two groups of n rows each (N(0, I) and N(2, 0.49 I)), uniform weights, support of {n_support} "
        "points "
        f"initialised from the same random rows, {n_iter} fixed-point iterations on both sides "
        "(`tol`/`stopThr` 0, so neither stops early), no subsampling (`max_samples` above n). Objective = "
        "sum_z w_z W2^2(group z, support) at each returned support, from fresh `ot.emd2` plans for both "
        "(ours "
        "reports the last iteration's plans' cost as `total_cost` when stopped by max_iter). 'POT limit' "
        "counts POT's `emd` calls that hit its default numItermax = 100000 (ours uses 1e6).",
        "",
        "| n per group | d | POT s | ours s | ratio ours / POT | POT objective | ours objective "
        "| max abs support diff | POT peak MB | ours peak MB | memory ratio | POT limit |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    print("\n".join(lines), flush=True)
    for d in dims:
        for n in sizes:
            rng = np.random.default_rng(n + d)
            X = np.vstack([rng.normal(0.0, 1.0, (n, d)), rng.normal(2.0, 0.7, (n, d))])
            z = np.repeat([0, 1], n)
            init = X[rng.choice(2 * n, n_support, replace=False)]
            locs = [X[:n], X[n:]]
            a = [np.full(n, 1.0 / n)] * 2

            def pot(locs=locs, a=a, init=init):
                return ot.lp.free_support_barycenter(locs, a, init, numItermax=n_iter, stopThr=0.0)

            def pot_optimal(locs=locs, a=a, init=init):
                # POT's own iteration with its emd allowed 1e6 pivots (as ours), so its plans are optimal
                from functools import partial

                from ot.lp import _barycenter_solvers as solvers

                emd = solvers.emd
                solvers.emd = partial(emd, numItermax=1_000_000)
                try:
                    return ot.lp.free_support_barycenter(locs, a, init, numItermax=n_iter, stopThr=0.0)
                finally:
                    solvers.emd = emd

            def ours(X=X, z=z, init=init):
                return fit_barycenter(
                    X, z, method="ot-exact", weights="uniform", n_support=n_support, init=init,
                    max_iter=n_iter, tol=1e-300, max_samples=10**9,
                )

            with threadpool_limits(1, user_api="blas"), warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                med, outs = interleaved({"pot": pot, "ours": ours}, repeats)
                limit = sum("numItermax" in str(w.message) for w in caught) // repeats
                if limit:  # POT stopped its solver early: time it again with optimal plans, as ours
                    med_opt, outs_opt = interleaved({"pot": pot_optimal, "ours": ours}, repeats)
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
            if limit:
                Yo = outs_opt["pot"]
                obj_opt = 0.5 * sum(float(ot.emd2(b, a[0], ot.dist(Yo, L), numItermax=10**7)) for L in locs)
                lines.append(
                    f"| {n} (POT with optimal plans) | {d} | {med_opt['pot']:.2f} | {med_opt['ours']:.2f} | "
                    f"{med_opt['ours'] / med_opt['pot']:.2f} | {obj_opt:.8f} | {obj_ours:.8f} | "
                    f"{np.abs(maps.support - Yo).max():.1e} | | | | 0 |"
                )
                print(lines[-1], flush=True)
    return lines


def bench_transform(repeats: int, n: int = 10_000, d: int = 10, n_new: int = 30_000) -> list[str]:
    """Out-of-sample rows: the KD-tree search (trees built in the timing) vs the former brute force."""
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
        from scipy.spatial import cKDTree

        out = np.empty(new.shape[0], dtype=np.int64)
        for k in (0, 1):  # what the mapper does up to _KDTREE_MAX_DIM, trees built in the timing
            rows = np.flatnonzero(zn == k)
            out[rows] = cKDTree(maps._mapper.anchors[k]).query(new[rows], k=1)[1]
        return out

    def brute():
        anchors = [X[z == k] for k in (0, 1)]
        out = np.empty(new.shape[0], dtype=np.int64)
        for k in (0, 1):
            rows = np.flatnonzero(zn == k)
            out[rows] = _nearest(new[rows], anchors[k])
        return out

    with threadpool_limits(1, user_api="blas"):
        med, outs = interleaved({"tree": tree, "brute": brute}, repeats)
    same = float(np.mean(outs["tree"] == outs["brute"]))  # share of rows given the same nearest row
    return [
        f"| out-of-sample `displacement`, {n_new} new rows, {n} fitted rows per group, d = {d} | "
        f"{med['brute']:.2f} | {med['tree']:.3f} | {med['tree'] / med['brute']:.3f} | {same:.4f} |"
    ]


# ---------------------------------------------------------------------------------------------- k-NN MI
def _knn_before(S: np.ndarray, codes: np.ndarray, n_groups: int, k: int = 5) -> float:
    """The estimator as it was before issue 19 (per-group NearestNeighbors, one all-rows radius count)."""
    from scipy.special import digamma
    from sklearn.neighbors import KDTree, NearestNeighbors

    X = (S - S.mean(0)) / S.std(0)
    X = X + 1e-10 * max(float(np.abs(X).max()), 1.0) * np.random.default_rng(0).standard_normal(X.shape)
    n = codes.size
    counts = np.bincount(codes, minlength=n_groups)
    radius = np.empty(n)
    for g in range(n_groups):
        mask = codes == g
        dist = NearestNeighbors(n_neighbors=k, metric="chebyshev").fit(X[mask]).kneighbors()[0]
        radius[mask] = np.nextafter(dist[:, -1], 0)
    m = KDTree(X, metric="chebyshev").query_radius(X, radius, count_only=True).astype(float)
    return float(np.mean(digamma(n) + digamma(k) - digamma(counts[codes]) - digamma(np.maximum(m, 1.0))))


def bench_knn(repeats: int, sizes: list[int], d: int = 10) -> list[str]:
    from sklearn.feature_selection import mutual_info_classif

    from unlearn_core.leakage import ground_truth as gt
    from unlearn_core.leakage.knn import knn_mi

    lines = [
        f"Gaussian-mixture world, K = 2, d = {d}, I = 0.3 nats (`ground_truth.gaussian_mixture_world`), "
        "k = 5 "
        "for all three (`n_neighbors=5` for scikit-learn, which estimates one MI per feature, so its "
        "numbers are not comparable to ours: only its time is). 'before' is the estimator as it was "
        "(all-rows radius count), re-implemented in this script.",
        "",
        "| n | sklearn s | ours s | before s | ratio ours / sklearn | ratio before / sklearn "
        "| ours estimate | before estimate | truth |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    print("\n".join(lines), flush=True)
    for n in sizes:
        w = gt.gaussian_mixture_world(K=2, d=d, target_mi=0.3, n=n, random_state=0)
        S, codes = np.asarray(w.S), np.asarray(w.z)
        fns = {
            "sklearn": lambda S=S, c=codes: mutual_info_classif(S, c, n_neighbors=5, random_state=0),
            "ours": lambda S=S, c=codes: knn_mi(S, c, 2, rng=np.random.default_rng(0), k=5).raw,
            "before": lambda S=S, c=codes: _knn_before(S, c, 2),
        }
        with threadpool_limits(1):
            med, outs = interleaved(fns, repeats)
        lines.append(
            f"| {n} | {med['sklearn']:.2f} | {med['ours']:.2f} | {med['before']:.2f} | "
            f"{med['ours'] / med['sklearn']:.2f} | {med['before'] / med['sklearn']:.2f} | "
            f"{outs['ours']:.6f} | "
            f"{outs['before']:.6f} | {w.true_mi:.3f} |"
        )
        print(lines[-1], flush=True)
    return lines


# ------------------------------------------------------------------------------------ analytic frontier
def _warm_logistic_before():
    """``_WarmLogistic`` as on git main (full Newton, hstack per fit), for a same-run ratio."""
    src = subprocess.run(["git", "show", "main:unlearn_core/frontier/analytic.py"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    start = src.index("class _WarmLogistic")
    end = src.index("\ndef ", start)
    namespace = {"np": np}
    code = compile("from __future__ import annotations\n" + src[start:end], "main:analytic.py", "exec")
    exec(code, namespace)
    return namespace["_WarmLogistic"]


def bench_frontier(repeats: int, eg_eps: list[float]) -> list[str]:
    from sklearn.linear_model import LogisticRegression

    from unlearn_core import datasets
    from unlearn_core.frontier.analytic import analytic_frontier

    ds = datasets.load("adult")
    train, test = datasets.split(ds, test_size=0.3, random_state=0)
    X_tr = train.X.to_numpy(float)
    mu, sd = X_tr.mean(0), np.where(X_tr.std(0) > 1e-12, X_tr.std(0), 1.0)
    S_tr = (X_tr - mu) / sd
    y_tr, z_tr = train.y.to_numpy(), train.z.to_numpy()

    def one_fit():
        return LogisticRegression(max_iter=1000).fit(S_tr, y_tr)

    def frontier():
        return analytic_frontier(ds, random_state=0)

    import unlearn_core.frontier.analytic as analytic

    current = analytic._WarmLogistic
    before = _warm_logistic_before()

    def frontier_before():
        analytic._WarmLogistic = before
        try:
            return analytic_frontier(ds, random_state=0)
        finally:
            analytic._WarmLogistic = current

    with threadpool_limits(1):
        fns = {"logistic": one_fit, "frontier": frontier, "before": frontier_before}
        med, outs = interleaved(fns, repeats)
    cols = ["probe_auc", "auc", "accuracy", "dp_gap", "out_probe_auc"]
    same = float((outs["frontier"].table[cols] - outs["before"].table[cols]).abs().max().max())
    fr = outs["frontier"]
    timings = fr.meta["timings"]
    lines = [
        f"Adult (Z = sex), training split {S_tr.shape[0]} x {S_tr.shape[1]} (test 30%), one BLAS thread. "
        "The frontier is `analytic_frontier(adult)` with its defaults (Gaussian maps, 21 t, logistic "
        "downstream and probe, the output probe); one fit = scikit-learn `LogisticRegression(max_iter=1000)` "
        "on the standardised training split.",
        "",
        "| what | median s | ratio to one fit |",
        "|---|---:|---:|",
        f"| one scikit-learn logistic fit | {med['logistic']:.3f} | 1.0 |",
        f"| analytic frontier, 21 t | {med['frontier']:.2f} | {med['frontier'] / med['logistic']:.1f} |",
        f"| analytic frontier with the former `_WarmLogistic` (git main) | {med['before']:.2f} | "
        f"{med['before'] / med['logistic']:.1f} |",
        f"| largest difference between the two tables ({', '.join(cols)}) | {same:.1e} | |",
    ]
    lines += [f"| - of which `{k}` | {v:.2f} | {v / med['logistic']:.1f} |"
              for k, v in timings.items() if v > 0]
    try:
        from fairlearn.postprocessing import ThresholdOptimizer
        from fairlearn.reductions import DemographicParity, ExponentiatedGradient
    except ImportError:
        lines.append("| Fairlearn not installed (pip install -r requirements-bench.txt) | | |")
        return lines
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        for eps in eg_eps:
            ExponentiatedGradient(LogisticRegression(max_iter=1000), DemographicParity(), eps=eps).fit(
                S_tr, y_tr, sensitive_features=z_tr
            )
        t_eg = time.perf_counter() - start
        start = time.perf_counter()
        ThresholdOptimizer(estimator=LogisticRegression(max_iter=1000), constraints="demographic_parity",
                           predict_method="predict_proba").fit(S_tr, y_tr, sensitive_features=z_tr)
        t_to = time.perf_counter() - start
    lines += [
        f"| Fairlearn ExponentiatedGradient frontier, eps in {eg_eps} (one run) | {t_eg:.2f} | "
        f"{t_eg / med['logistic']:.1f} |",
        f"| Fairlearn ThresholdOptimizer, demographic parity (one point, one run) | {t_to:.2f} | "
        f"{t_to / med['logistic']:.1f} |",
        "",
        f"Ratio analytic frontier / ExponentiatedGradient frontier: {med['frontier'] / t_eg:.2f}; "
        f"/ ThresholdOptimizer: {med['frontier'] / t_to:.2f}.",
    ]
    return lines


# ------------------------------------------------------------------------------------------- imports
def bench_imports(repeats: int) -> list[str]:
    probes = {
        "import unlearn_core.leakage": "import unlearn_core.leakage",
        "from unlearn_core.frontier import analytic_frontier": (
            "from unlearn_core.frontier import analytic_frontier"
        ),
        "import sklearn.feature_selection (peer)": "import sklearn.feature_selection",
    }
    # peak RSS from /proc (VmHWM): ru_maxrss survives exec on Linux and reports the parent's peak
    code = (
        "import sys, time\n"
        "t = time.perf_counter()\n"
        "{stmt}\n"
        "dt = time.perf_counter() - t\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(dt, int(hwm) / 1024, 'torch' in sys.modules)\n"
    )
    res: dict[str, list] = {k: [] for k in probes}
    for _ in range(repeats):
        for name, stmt in probes.items():
            out = subprocess.run([sys.executable, "-c", code.format(stmt=stmt)], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout.split()
            res[name].append((float(out[0]), float(out[1]), out[2] == "True"))
    ref = float(np.median([r[0] for r in res["import sklearn.feature_selection (peer)"]]))
    lines = ["| import | median s | ratio to sklearn.feature_selection | peak RSS MB | torch loaded |",
             "|---|---:|---:|---:|---|"]
    for name, rows in res.items():
        t = float(np.median([r[0] for r in rows]))
        lines.append(f"| `{name}` | {t:.2f} | {t / ref:.2f} | {np.median([r[1] for r in rows]):.0f} | "
                     f"{'yes' if rows[0][2] else 'no'} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="ot,transform,knn,frontier,imports")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ot-sizes", default="2000,5000,10000")
    parser.add_argument("--ot-dims", default="2,10")
    parser.add_argument("--ot-support", type=int, default=500)
    parser.add_argument("--ot-iter", type=int, default=2)
    parser.add_argument("--knn-sizes", default="10000,50000")
    parser.add_argument("--eg-eps", default="0.01,0.05")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"# bench_peers  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  ({machine()})")
    print(f"command: python benchmarks/bench_peers.py {' '.join(sys.argv[1:])}\n", flush=True)
    if "ot" in only:
        print("## `ot-exact` vs POT `ot.lp.free_support_barycenter` (one BLAS thread)\n", flush=True)
        sizes, dims = [int(s) for s in args.ot_sizes.split(",")], [int(s) for s in args.ot_dims.split(",")]
        bench_ot(args.repeats, sizes, dims, args.ot_support, args.ot_iter)
    if "transform" in only:
        print("\n## Out-of-sample rows of the OT maps: KD-tree vs the former brute-force search\n")
        print("| what | brute force s | KD-tree s | ratio | same nearest row |\n|---|---:|---:|---:|---:|")
        for d in (2, 6, 10):
            print("\n".join(bench_transform(args.repeats, d=d)), flush=True)
    if "knn" in only:
        print("\n## k-NN MI vs scikit-learn `mutual_info_classif` (one BLAS thread)\n", flush=True)
        bench_knn(args.repeats, [int(s) for s in args.knn_sizes.split(",")])
    if "frontier" in only:
        print("\n## Analytic frontier on full Adult vs single logistic fits and Fairlearn\n", flush=True)
        print("\n".join(bench_frontier(args.repeats, [float(e) for e in args.eg_eps.split(",")])), flush=True)
    if "imports" in only:
        print("\n## Cold imports (fresh interpreter each)\n", flush=True)
        print("\n".join(bench_imports(max(args.repeats, 3))), flush=True)


if __name__ == "__main__":
    main()
