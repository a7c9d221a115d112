"""Benchmark the barycenter engine (issue 3, Performance): POT ratio, Adult fit, slider transform.

Run from the project root:  python benchmarks/bench_transport.py [--repeats 7]

Prints medians of ``--repeats`` runs (wall time, ``time.perf_counter``) and ratios against a reference
measured in the same run. The machine is shared (2 cores, other jobs running): absolute times are noisy,
the ratios less so. OpenBLAS threading matters a lot on such a machine, so the POT comparison is shown
both with the library defaults and with BLAS limited to one thread for both sides. Our public functions
(``bures_barycenter``, ``fit_barycenter``) limit BLAS to one thread themselves for d <= 256, so in the
"default" rows only POT runs threaded.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from contextlib import nullcontext
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _machine import cpu_model  # noqa: E402  (benchmarks/ is the script's folder)
from threadpoolctl import threadpool_limits  # noqa: E402

from unlearn_core import datasets, transport  # noqa: E402
from unlearn_core.transport import bures_barycenter  # noqa: E402


def median_time(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def machine() -> str:
    return (f"nproc={os.cpu_count()}, CPU {cpu_model()}, Python {platform.python_version()}, "
            f"numpy {np.__version__}")


def bench_pot(repeats: int) -> list[str]:
    import ot

    rng = np.random.default_rng(0)
    K, d = 5, 50
    covs = []
    for _ in range(K):
        A = rng.standard_normal((d, d))
        covs.append(A @ A.T / d + 0.2 * np.eye(d))
    covs = np.array(covs)
    means = rng.standard_normal((K, d))
    w = rng.dirichlet(np.ones(K))
    ref, *_ = bures_barycenter(covs, w, tol=1e-15, max_iter=1000)

    def rel(S):
        return np.linalg.norm(S - ref) / np.linalg.norm(ref)

    lines = [
        "| BLAS threads | solver | median s | iterations | rel. error vs tight ref | ratio ours / POT |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for label, ctx in (("default", nullcontext), ("1", lambda: threadpool_limits(1, user_api="blas"))):
        with ctx():
            t_pot, (mb, S_pot, log) = median_time(
                lambda: ot.gaussian.bures_wasserstein_barycenter(means, covs, weights=w, log=True), repeats
            )
            t_pot_tight, (_, S_pot_t, log_t) = median_time(
                lambda: ot.gaussian.bures_wasserstein_barycenter(
                    means, covs, weights=w, eps=1e-10, num_iter=10000, log=True
                ),
                repeats,
            )
            t_ours, (S, n_iter, _, _) = median_time(lambda: bures_barycenter(covs, w, tol=1e-10), repeats)
            # the full public path: fit_barycenter takes data, so time the moment-level fitter it calls
            from unlearn_core.transport._linalg import small_blas
            from unlearn_core.transport.gaussian import _fit_gaussian_moments

            def full():
                with small_blas(d):  # as fit_barycenter runs it
                    return _fit_gaussian_moments(means, covs, w, ridge="auto", tol=1e-10, max_iter=500,
                                                 fast_path=True)

            t_full, fitted = median_time(full, repeats)
        lines += [
            f"| {label} | POT fixed point, default eps=1e-7 | {t_pot:.4f} | {log['num_iter']} "
            f"| {rel(S_pot):.1e} | {t_ours / t_pot:.2f} |",
            f"| {label} | POT fixed point, eps=1e-10 | {t_pot_tight:.4f} | {log_t['num_iter']} "
            f"| {rel(S_pot_t):.1e} | {t_ours / t_pot_tight:.2f} |",
            f"| {label} | ours `bures_barycenter`, tol=1e-10 | {t_ours:.4f} | {n_iter} | {rel(S):.1e} | - |",
            f"| {label} | ours barycenter + 5 maps + costs | {t_full:.4f} | {fitted['n_iter']} "
            f"| {rel(fitted['cov']):.1e} | {t_full / t_pot:.2f} (vs POT default) |",
        ]
    return lines


def bench_adult(repeats: int) -> list[str]:
    lines = [
        "| dataset (train split) | rows x cols | method | fit median s | transform 1 new t median ms "
        "| transform rows | V | ridge | notes |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for name in ("adult-calmon", "adult"):
        ds = datasets.load(name)
        train, _ = datasets.split(ds, test_size=0.3, random_state=0)
        X, z = train.X, train.z.to_numpy()
        methods = ("gaussian", "marginal") + (("ot-sinkhorn",) if name == "adult-calmon" else ())
        for method in methods:
            reps = repeats if method == "gaussian" else max(1, repeats // 3)
            t_fit, maps = median_time(partial(transport.fit_barycenter, X, z, method=method), reps)
            ts = iter(np.linspace(0.05, 0.95, 100))
            Xn = X.to_numpy(dtype=float)
            # the loop's values bound now: a new t from ts on every call
            t_tr, _ = median_time(lambda maps=maps, Xn=Xn, z=z, ts=ts: maps.transform(Xn, z, next(ts)), reps)
            lines.append(
                f"| {name} | {X.shape[0]} x {X.shape[1]} | {method} | {t_fit:.3f} | {1000 * t_tr:.1f} | "
                f"{X.shape[0]} | {maps.total_cost:.4g} | {maps.ridge:.2g} | {maps.notes[:90]}... |"
            )
    # the slider's fastest path: displacement once, then X + t * D
    ds = datasets.load("adult")
    train, _ = datasets.split(ds, test_size=0.3, random_state=0)
    Xn, z = train.X.to_numpy(dtype=float), train.z.to_numpy()
    maps = transport.fit_barycenter(Xn, z)
    D = maps.displacement(Xn, z)
    t_axpy, _ = median_time(lambda: Xn + 0.37 * D, repeats)
    lines.append(
        f"| adult | {Xn.shape[0]} x {Xn.shape[1]} | gaussian, precomputed displacement (X + t·D) | - | "
        f"{1000 * t_axpy:.1f} | {Xn.shape[0]} | | | cache `maps.displacement` per dataset |"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"# bench_transport  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  ({machine()})")
    print(f"command: python benchmarks/bench_transport.py --repeats {args.repeats}\n")
    print("## Gaussian barycenter, K = 5, d = 50, random SPD covariances: ours vs POT 0.9.7\n")
    print("\n".join(bench_pot(args.repeats)))
    print("\n## Adult training split: fit and the slider's transform "
          "(goal fit <= 0.5 s, transform <= 50 ms)\n")
    print("\n".join(bench_adult(args.repeats)))


if __name__ == "__main__":
    main()
