"""Data-layer benchmark: load times of the shipped datasets, and the authors' Adult numbers.

Run from the project root::

    python benchmarks/datasets_bench.py [--repeats 5] [--skip-reference]

Part 1 prints, per shipped dataset, the median cold load (per-process caches cleared: file read,
SHA-256 check, parse, encoding) and warm load (parse cached), and the ratio of the cold load to a
bare ``pandas.read_csv`` of the same raw file(s) measured in the same run (the reference: what
any loader must pay). Timings on a shared 2-core machine are noisy: compare ratios, not seconds.

Part 2 re-checks Xu & Strohmer's published Adult numbers (docs/design.md section 4) on
``adult-calmon``: logistic regression on the Gaussian-barycenter data at t = 1 (barycenter fitted
on the training rows only) and on the raw data with Z as a feature at t = 0, 5 seeded 80/20 splits;
and their COMPAS numbers at t = 0 and 1 (when COMPAS is cached or ../shared/data has it).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _machine import cpu_model  # noqa: E402  (benchmarks/ is the script's folder)

from unlearn_core import datasets  # noqa: E402
from unlearn_core.datasets import _files, images, tabular  # noqa: E402

RAW = {
    "adult": ["adult.data.gz", "adult.test.gz"],
    "adult-calmon": ["adult.data.gz", "adult.test.gz"],
    "german": ["german.data.gz"],
    "crime": ["crime.csv.gz"],
}


def _clear_caches() -> None:
    _files.asset_bytes.cache_clear()
    tabular._adult_raw.cache_clear()
    tabular._german_raw.cache_clear()
    tabular._crime_raw.cache_clear()
    images._digits_raw.cache_clear()


def _median_time(fn, repeats: int, before=None) -> float:
    times = []
    for _ in range(repeats):
        if before:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _bare_read(files: list[str]) -> None:
    for name in files:
        sep = r"\s+" if name.startswith("german") else ","
        pd.read_csv(
            _files.ASSETS_DIR / name, header=None if not name.startswith("crime") else 0,
            sep=sep, skiprows=1 if name == "adult.test.gz" else 0,
        )


def load_times(repeats: int) -> str:
    rows = [
        "| dataset | rows x cols | cold load (median, s) | warm load (median, s) "
        "| bare read_csv (s) | cold / bare |",
        "|---|---|---|---|---|---|",
    ]
    datasets.load("digits")  # import scikit-learn's datasets module outside the timings
    for name, spec in datasets.registry().items():
        if not spec.shipped:
            continue
        ds = datasets.load(name)
        cold = _median_time(partial(datasets.load, name), repeats, before=_clear_caches)
        warm = _median_time(partial(datasets.load, name), repeats)
        if name in RAW:
            bare = _median_time(partial(_bare_read, RAW[name]), repeats)
            ratio = f"{cold / bare:.2f}"
            bare_s = f"{bare:.3f}"
        else:
            bare_s, ratio = "-", "-"
        rows.append(
            f"| {name} | {ds.n_samples:,} x {ds.n_features} | {cold:.3f} | {warm:.3f} | {bare_s} "
            f"| {ratio} |"
        )
    return "\n".join(rows)


def adult_reference(n_splits: int = 5) -> str:
    from sklearn.linear_model import LogisticRegression

    from unlearn_core import transport
    from unlearn_core.metrics import auc, discrimination_ratio

    out = [
        "| setting | AUC (mean ± sd) | discrimination (mean ± sd) | published AUC "
        "| published discrimination |",
        "|---|---|---|---|---|",
    ]
    ds = datasets.load("adult-calmon", keep_sensitive=True)
    z_cols = [c for c in ds.X.columns if c.startswith("sex=")]
    res = {"t0": ([], []), "t1": ([], [])}
    for seed in range(n_splits):
        tr, te = datasets.split(ds, test_size=0.2, random_state=seed)
        # t = 0: raw features with Z as a feature
        lr = LogisticRegression(max_iter=1000).fit(tr.X.to_numpy(), tr.y)
        p = lr.predict_proba(te.X.to_numpy())[:, 1]
        res["t0"][0].append(auc(te.y.to_numpy(), p))
        res["t0"][1].append(discrimination_ratio(p, te.z.to_numpy()))
        # t = 1: Gaussian barycenter of the 16 one-hot columns, fitted on training rows only
        Xtr = tr.X.drop(columns=z_cols).to_numpy()
        Xte = te.X.drop(columns=z_cols).to_numpy()
        maps = transport.fit_barycenter(Xtr, tr.z.to_numpy(), method="gaussian")
        Xtr_bar = maps.transform(Xtr, tr.z.to_numpy(), t=1.0)
        lr = LogisticRegression(max_iter=1000).fit(Xtr_bar, tr.y)
        p = lr.predict_proba(maps.transform(Xte, te.z.to_numpy(), t=1.0))[:, 1]
        res["t1"][0].append(auc(te.y.to_numpy(), p))
        res["t1"][1].append(discrimination_ratio(p, te.z.to_numpy()))
    pub = {"t0": ("0.817", "about 1.8"), "t1": ("0.780", "0.018")}
    label = {"t0": "t = 0, Z as a feature (keep_sensitive=True)", "t1": "t = 1, Gaussian barycenter"}
    for key in ("t0", "t1"):
        a, d = np.array(res[key][0]), np.array(res[key][1])
        out.append(f"| {label[key]} | {a.mean():.3f} ± {a.std():.3f} | {d.mean():.3f} ± {d.std():.3f} | "
                   f"{pub[key][0]} | {pub[key][1]} |")
    return "\n".join(out)


def compas_reference(n_splits: int = 5) -> str:
    """COMPAS along t = 0 -> 1 (Z appended as (1 - t) * 1{African-American}, as the authors did)."""
    from sklearn.linear_model import LogisticRegression

    from unlearn_core import transport
    from unlearn_core.metrics import auc, discrimination_ratio

    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "compas-scores-two-years.csv.gz"
    try:
        datasets.load("compas", download=False)
        source: dict = {}
    except datasets.DatasetError:
        if not shared.is_file():
            return "(skipped: COMPAS is not in the cache and ../shared/data is absent)"
        source = {"path": shared}
    out = [
        "| target | t | AUC (mean ± sd) | discrimination (mean ± sd) | published (is_recid) |",
        "|---|---|---|---|---|",
    ]
    published = {0: "AUC 0.705, discrimination 0.37", 1: "AUC 0.692, discrimination 0.02"}
    for target in ("is_recid", "two_year_recid"):
        ds = datasets.load("compas", target=target, **source)
        res = {0: ([], []), 1: ([], [])}
        for seed in range(n_splits):
            tr, te = datasets.split(ds, test_size=0.2, random_state=seed)
            maps = transport.fit_barycenter(tr.X.to_numpy(), tr.z.to_numpy(), method="gaussian")
            z_tr = (tr.z == "African-American").to_numpy().astype(float)[:, None]
            z_te = (te.z == "African-American").to_numpy().astype(float)[:, None]
            for t in (0, 1):
                Xtr = np.c_[maps.transform(tr.X.to_numpy(), tr.z.to_numpy(), t=t), (1 - t) * z_tr]
                Xte = np.c_[maps.transform(te.X.to_numpy(), te.z.to_numpy(), t=t), (1 - t) * z_te]
                p = LogisticRegression(max_iter=1000).fit(Xtr, tr.y).predict_proba(Xte)[:, 1]
                res[t][0].append(auc(te.y.to_numpy(), p))
                res[t][1].append(discrimination_ratio(p, te.z.to_numpy()))
        for t in (0, 1):
            a, d = np.array(res[t][0]), np.array(res[t][1])
            out.append(
                f"| {target} | {t} | {a.mean():.3f} ± {a.std():.3f} | {d.mean():.3f} ± {d.std():.3f} "
                f"| {published[t]} |"
            )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-reference", action="store_true")
    args = parser.parse_args()
    cpu = cpu_model()
    print(
        f"# Data layer benchmark\n\nmachine: {platform.platform()}, nproc={os.cpu_count()}, CPU: {cpu}; "
        f"python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}\n"
    )
    print(f"## Load times (median of {args.repeats}; shared CPU, noisy)\n")
    print(load_times(args.repeats))
    if not args.skip_reference:
        print("\n## Adult, Calmon preprocessing: the authors' published numbers (5 seeded 80/20 splits)\n")
        print(adult_reference())
        print("\n## COMPAS (features as the authors': age_cat, charge degree, priors bins; Z = race)\n")
        print(compas_reference())


if __name__ == "__main__":
    main()
