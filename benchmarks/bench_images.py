"""Benchmark of image feature unlearning (issue 18): MNIST with Z = stroke thickness.

Prints markdown tables:

1. **Acceptance at t = 1** for each transport method: first-fit time, digit accuracy of a classifier
   trained and tested on the transformed images, the strong attacker's AUC for Z on held-out transformed
   images (cross-fitted gradient boosting on the pixels), and a two-sample test (Kolmogorov-Smirnov and
   Mann-Whitney) of the measured thickness of the thick vs thin test images, at t = 0 and t = 1.
2. **Grid redraw**: median wall time of one t step of the page's grid (blend 16 images, measure them,
   encode the PNG) after the first fit, with a reference workload timed in the same run (ratio).

Run (from the repository root)::

    python benchmarks/bench_images.py --data-dir ../shared/data/mnist            # 10,000 test images
    python benchmarks/bench_images.py --data-dir ../shared/data/mnist --split all # all 70,000

The MNIST files are not shipped; ``--data-dir`` points at a folder of idx files (or the loader's cache
is used). ``--methods`` picks the methods (default: gaussian, ot-randomized, ot-by-digit, neural-ot).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import cpu_model  # noqa: E402

from unlearn_core import datasets, images  # noqa: E402
from unlearn_core.datasets import morpho  # noqa: E402
from unlearn_core.leakage.attacker import attack  # noqa: E402


def load(args: argparse.Namespace):
    return datasets.load(
        "mnist",
        sensitive=args.attribute,
        split=args.split,
        data_dir=args.data_dir,
        download=args.data_dir is None,
    )


def two_sample(values: np.ndarray, z: np.ndarray, groups: np.ndarray) -> tuple[float, float, float, float]:
    from scipy.stats import ks_2samp, mannwhitneyu

    a, b = values[z == groups[0]], values[z == groups[1]]
    ks = ks_2samp(a, b)
    mw = mannwhitneyu(a, b)
    return float(ks.statistic), float(ks.pvalue), float(mw.pvalue), float(np.median(b) - np.median(a))


def within_digit(
    values: np.ndarray, z: np.ndarray, y: np.ndarray, groups: np.ndarray
) -> tuple[float, int, float]:
    """Per-digit KS tests of the two groups: (smallest p, rejections at 5%, Fisher-combined p)."""
    from scipy.stats import combine_pvalues, ks_2samp

    ps = []
    for d in np.unique(y):
        a, b = values[(y == d) & (z == groups[0])], values[(y == d) & (z == groups[1])]
        if min(a.size, b.size) >= 5:
            ps.append(float(ks_2samp(a, b).pvalue))
    return min(ps), sum(p < 0.05 for p in ps), float(combine_pvalues(ps).pvalue)


def acceptance(args: argparse.Namespace) -> list[str]:
    start = time.perf_counter()
    ds = load(args)
    load_s = time.perf_counter() - start
    train, test = datasets.split(ds, test_size=0.3, random_state=args.seed)
    Xa, ya, za = train.X.to_numpy(), train.y.to_numpy(), train.z.to_numpy()
    Xb, yb, zb = test.X.to_numpy(), test.y.to_numpy(), test.z.to_numpy()
    lines = [
        f"MNIST split={args.split!r}: {ds.n_samples:,} images, Z = {args.attribute} "
        f"({', '.join(f'{g} {n:,}' for g, n in ds.group_counts().items())}); train {len(Xa):,} / held-out "
        f"{len(Xb):,}; loading and measuring took {load_s:.1f} s.",
        "",
        "| method | first fit (s) | V (codes) | digit accuracy t=0 | digit accuracy t=1 | attacker AUC t=0 "
        "| attacker AUC t=1 [95% CI] | KS D / p at t=0 | KS D / p at t=1 | Mann-Whitney p t=1 "
        "| within-digit KS at t=1: min p / rejections of 10 / Fisher p |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    base = None
    for method in args.methods:
        t0 = time.perf_counter()
        fit = images.fit_image_transport(
            Xa, za, image_shape=ds.image_shape, method=method, random_state=args.seed, y=ya
        )
        fit_s = time.perf_counter() - t0
        fr = images.image_frontier(
            fit, (Xa, ya, za), (Xb, yb, zb), ts=(0.0, 1.0), max_rows=args.max_rows, random_state=args.seed
        )
        X1 = fit.transform(Xb, zb, 1.0)
        before = two_sample(morpho.measure(Xb, args.attribute), zb, fit.groups) if base is None else base
        base = before
        measured = morpho.measure(X1, args.attribute)
        after = two_sample(measured, zb, fit.groups)
        per_digit = within_digit(measured, zb, yb, fit.groups)
        r0, r1 = fr.table.iloc[0], fr.table.iloc[1]
        lines.append(
            f"| {method} | {fit_s:.1f} | {fit.total_cost:.3g} | {r0.accuracy:.3f} | {r1.accuracy:.3f} | "
            f"{r0.auc:.3f} | {r1.auc:.3f} [{r1.auc_lo:.3f}, {r1.auc_hi:.3f}] | "
            f"{before[0]:.3f} / {before[1]:.2g} | "
            f"{after[0]:.3f} / {after[1]:.3g} | {after[2]:.3g} | "
            f"{per_digit[0]:.3g} / {per_digit[1]} / {per_digit[2]:.3g} |"
        )
        print(lines[-1], flush=True)
    digit_only = attack(yb[:, None].astype(float), zb, random_state=args.seed)
    lines += [
        "",
        f"Reference: the attacker given only the digit label reaches AUC {digit_only.auc:.3f} "
        f"[{digit_only.auc_ci[0]:.3f}, {digit_only.auc_ci[1]:.3f}] (thickness depends on the digit).",
    ]
    return lines


def _reference_workload() -> float:
    rng = np.random.default_rng(0)
    A = rng.standard_normal((200, 200))
    start = time.perf_counter()
    for _ in range(20):
        A = np.tanh(A @ A.T / 200.0)
    return time.perf_counter() - start


def redraw(args: argparse.Namespace) -> list[str]:
    lines = [
        "| dataset | method | first fit (s) | t step median (ms) | reference (ms) | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for name in args.redraw_datasets:
        opts = (
            dict(split="test", data_dir=args.data_dir, download=args.data_dir is None)
            if name == "mnist"
            else {}
        )
        ds = datasets.load(name, sensitive=args.attribute, **opts)
        train, test = datasets.split(ds, test_size=0.3, random_state=args.seed)
        t0 = time.perf_counter()
        fit = images.fit_image_transport(
            train.X.to_numpy(),
            train.z.to_numpy(),
            image_shape=ds.image_shape,
            method=images.DEFAULT_METHOD,
            y=train.y.to_numpy(),
            random_state=args.seed,
        )
        rows = images.pick_sample(test.z.to_numpy(), per_group=8, random_state=args.seed)
        sample = images.grid_sample(fit, test.X.to_numpy(), test.z.to_numpy(), rows, args.attribute)
        fit_s = time.perf_counter() - t0
        images.render_grid(sample, 0.5)  # warm-up (font, imports)
        steps, refs = [], []
        for t in np.round(np.linspace(0.0, 1.0, 21), 2):
            s = time.perf_counter()
            images.render_grid(sample, float(t))
            steps.append(time.perf_counter() - s)
            refs.append(_reference_workload())
        step, ref = statistics.median(steps), statistics.median(refs)
        lines.append(
            f"| {name} | {images.DEFAULT_METHOD} | {fit_s:.1f} | {1000 * step:.1f} | {1000 * ref:.1f} "
            f"| {step / ref:.2f} |"
        )
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--split", default="test", choices=("test", "train", "all"))
    p.add_argument("--attribute", default="thickness", choices=morpho.ATTRIBUTES)
    p.add_argument("--methods", nargs="+", default=["gaussian", "ot-randomized", "ot-by-digit", "neural-ot"])
    p.add_argument("--max-rows", type=int, default=4000, help="held-out images the attacker uses")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--redraw-datasets", nargs="*", default=["digits", "mnist"])
    p.add_argument("--skip-acceptance", action="store_true")
    args = p.parse_args()
    print(
        f"# bench_images, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, CPU {cpu_model()}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    print("python benchmarks/bench_images.py " + " ".join(sys.argv[1:]))
    out = [] if args.skip_acceptance else acceptance(args)
    out += ["", *redraw(args)]
    print("\n".join(out))


if __name__ == "__main__":
    main()
