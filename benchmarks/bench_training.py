"""Benchmark and verification run for regularised training and the trained frontier (issue 5).

Prints markdown tables (paste-ready for BENCHMARKS.md):

1. toy-gaussians and digits: a 10-lam sweep (warm starts), median wall time over ``--repeats`` runs,
   against a reference measured in the same run (one plain lam = 0 fit with the same epochs).
2. Adult (Z = sex), MLP 64-32, 10 lam values with warm starts, per-lam time; the same without warm
   starts; Spearman rho(lam, held-out probe AUC), DP gap at the largest lam, accuracy vs majority rate.
3. Adult: the trained frontier next to the analytic one (Gaussian barycenter, logistic downstream) at
   equal *output* leakage: for every t the downstream model's test outputs go through the same
   evaluator as the trained model's (probe on the logit, DP gap), so the two are measured alike.

Timings on the shared 2-core machine are noisy (other jobs run at the same time): read the ratios.

Usage::

    python benchmarks/bench_training.py              # everything (about 3-5 minutes)
    python benchmarks/bench_training.py --quick      # toy + digits only
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _machine import cpu_model  # noqa: E402  (benchmarks/ is the script's folder)

from unlearn_core import datasets, training  # noqa: E402
from unlearn_core.frontier.trained import DEFAULT_LAMBDAS, trained_frontier  # noqa: E402


def md(df: pd.DataFrame, floatfmt: str = "{:.4f}") -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if isinstance(v, (bool, np.bool_)):
                cells.append(str(bool(v)))
            elif isinstance(v, (float, np.floating)):
                cells.append(floatfmt.format(v))
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plain_fit_seconds(ds, *, epochs: int, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        training.train(ds, lam=0.0, epochs=epochs, eval_every=0)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def small_sweeps(repeats: int, out: list[str]) -> None:
    out.append("## 10-lam sweeps on small data (budget 15 s each)\n")
    rows = []
    for name, opts in [("toy-gaussians", {}), ("digits", {})]:
        ds = datasets.load(name, **opts)
        ref = plain_fit_seconds(ds, epochs=20, repeats=repeats)
        times, fr = [], None
        for _ in range(repeats):
            fr = trained_frontier(ds, lambdas=DEFAULT_LAMBDAS)
            times.append(fr.seconds)
        t = fr.table
        rho = spearmanr(t["lam"], t["probe_auc"]).statistic
        last = t.iloc[-1]
        rows.append({
            "dataset": f"{name} ({ds.n_samples} rows, Z={ds.sensitive})",
            "sweep median s": statistics.median(times),
            "min s": min(times), "max s": max(times),
            "plain fit s (ref)": ref,
            "sweep / plain": statistics.median(times) / ref,
            "rho(lam, probe_auc)": rho,
            "dp_gap @ max lam": last["dp_gap"],
            "acc @ max lam": last["accuracy"],
            "majority": last["majority"],
        })
        out.append(f"### {name}: sweep table (last repeat)\n")
        out.append(md(t[["lam", "accuracy", "auc", "probe_auc", "knn_mi", "dp_gap", "discrimination",
                         "softmax_mi", "reg", "epochs", "seconds"]]))
        out.append("")
    out.insert(1, md(pd.DataFrame(rows), "{:.3f}") + "\n")


def adult_sweeps(out: list[str], *, epochs: int, warm_epochs: int) -> dict:
    ds = datasets.load("adult", sensitive="sex")
    res = {}
    ref = plain_fit_seconds(ds, epochs=epochs, repeats=1)
    summary = []
    for warm in (True, False):
        fr = trained_frontier(ds, lambdas=DEFAULT_LAMBDAS, epochs=epochs, warm_epochs=warm_epochs,
                              warm_start=warm, keep_results=False)
        t = fr.table
        res["warm" if warm else "cold"] = fr
        rho = spearmanr(t["lam"], t["probe_auc"]).statistic
        last = t.iloc[-1]
        summary.append({
            "run": "warm" if warm else "cold",
            "epochs": f"{epochs} then {fr.meta['warm_epochs']}" if warm else f"{epochs} each",
            "total s": fr.seconds,
            "total / plain fit": fr.seconds / ref,
            "rho(lam, probe_auc)": rho,
            "rho(lam, dp_gap)": spearmanr(t["lam"], t["dp_gap"]).statistic,
            "dp_gap @ max lam": last["dp_gap"],
            "acc @ max lam": last["accuracy"],
            "majority": last["majority"],
        })
        out.append(f"### Adult (Z = sex, {fr.meta['n_train']} train / {fr.meta['n_test']} test rows), "
                   f"MLP 64-32, {'warm' if warm else 'cold'} starts\n")
        out.append(md(t[["lam", "accuracy", "auc", "probe_acc", "probe_auc", "knn_mi", "dp_gap",
                         "discrimination", "softmax_mi", "reg", "epochs", "seconds"]]))
        out.append("")
    out.append(f"Reference in the same run: one plain (lam = 0) fit of {epochs} epochs + evaluation "
               f"took {ref:.2f} s.\n")
    out.append(md(pd.DataFrame(summary), "{:.3f}") + "\n")
    res["dataset"] = ds
    return res


def analytic_output_frontier(ds, ts, seed: int = 0) -> pd.DataFrame:
    """The barycenter path evaluated at the level of a downstream model's outputs (like training)."""
    from sklearn.linear_model import LogisticRegression

    from unlearn_core.transport import fit_barycenter

    train, test = datasets.split(ds, test_size=0.3, random_state=seed)
    X_tr, X_te = train.X.to_numpy(float), test.X.to_numpy(float)
    z_tr, z_te = train.z.to_numpy(), test.z.to_numpy()
    y_tr, y_te = train.y.to_numpy(), test.y.to_numpy()
    maps = fit_barycenter(train.X, z_tr, method="gaussian", random_state=seed)
    d_tr, d_te = maps.displacement(X_tr, z_tr), maps.displacement(X_te, z_te)
    rows = []
    for t in ts:
        A_tr, A_te = X_tr + t * d_tr, X_te + t * d_te
        mu, sd = A_tr.mean(0), A_tr.std(0)
        sd = np.where(sd > 1e-12, sd, 1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = LogisticRegression(max_iter=1000).fit((A_tr - mu) / sd, y_tr)
        P = clf.predict_proba((A_te - mu) / sd)
        m = training.evaluate(P, np.searchsorted(clf.classes_, y_te), z_te, random_state=seed)
        rows.append({"t": float(t), **{k: m[k] for k in ("accuracy", "auc", "probe_auc", "knn_mi", "dp_gap",
                                                          "discrimination", "softmax_mi")}})
    return pd.DataFrame(rows)


def auc_se(ds, seed: int = 0) -> float:
    """Bootstrap standard error of a held-out AUC on Adult's test split (plain model's scores)."""
    from unlearn_core import metrics

    res = training.train(ds, lam=0.0, epochs=5, eval_every=0, eval_estimators=())
    _, test = datasets.split(ds, test_size=0.3, random_state=seed)
    p = res.predict(test.X.to_numpy(float))[:, 1]
    y = test.y.to_numpy()
    rng = np.random.default_rng(seed)
    vals = [metrics.auc(y[i], p[i]) for i in (rng.integers(0, y.size, y.size) for _ in range(200))]
    return float(np.std(vals))


def envelope(points: pd.DataFrame, lcol: str, leak: float) -> float:
    """Analytic utility at leakage ``leak``: linear interpolation of the analytic Pareto points.

    Mixing two released models at random realises the segment between them, so the piecewise-linear
    upper envelope is what the analytic method achieves between grid points. NaN below its least leakage.
    """
    from unlearn_core.frontier import pareto_mask

    pts = points[pareto_mask(points["auc"].to_numpy(), points[lcol].to_numpy())].sort_values(lcol)
    x, y = pts[lcol].to_numpy(), pts["auc"].to_numpy()
    if leak < x[0] - 1e-12:
        return float("nan")
    return float(np.interp(leak, x, y))


def compare_with_analytic(res: dict, out: list[str], *, epochs: int, warm_epochs: int) -> None:
    from unlearn_core.frontier.analytic import analytic_frontier

    ds = res["dataset"]
    ts = [0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.98, 0.99, 1.0]
    t0 = time.perf_counter()
    an = analytic_frontier(ds, method="gaussian", ts=ts, downstream="logistic", random_state=0)
    t_an = time.perf_counter() - t0
    ao = analytic_output_frontier(ds, ts)
    se = auc_se(ds)
    t0 = time.perf_counter()
    res["logistic"] = trained_frontier(ds, lambdas=DEFAULT_LAMBDAS, model="logistic", epochs=epochs,
                                       warm_epochs=warm_epochs, lr=1e-2)
    t_lo = time.perf_counter() - t0
    out.append("## Adult: trained frontier vs analytic (Gaussian barycenter, logistic downstream)\n")
    out.append(f"analytic_frontier ({len(ts)} t values) took {t_an:.1f} s. "
               "Its own `probe_auc` is an attacker on the *features* X_t; to compare with training, "
               "the table re-evaluates the downstream model's "
               "*outputs* with the same evaluator as the trained models (probe on [logit, logit^2], k-NN MI, "
               "DP gap).\n")
    merged = an.table[["t", "probe_auc"]].rename(columns={"probe_auc": "feature probe_auc"})
    merged = merged.merge(ao.rename(columns={"probe_auc": "output probe_auc"}), on="t")
    out.append(md(merged[["t", "auc", "accuracy", "feature probe_auc", "output probe_auc", "knn_mi", "dp_gap",
                          "discrimination"]]))
    out.append("")
    out.append(f"Trained *logistic* model (like-for-like with the analytic downstream model; lr 1e-2, warm): "
               f"{t_lo:.1f} s.\n")
    out.append(md(res["logistic"].table[["lam", "accuracy", "auc", "probe_auc", "knn_mi", "dp_gap",
                                         "discrimination", "epochs", "seconds"]]))
    out.append("")
    out.append(f"Bootstrap standard error of a held-out AUC here: {se:.4f} (200 resamples of the test "
               "split); a difference of two AUCs on the same rows has a standard error of at most about "
               "twice that.\n")
    rows = []
    for kind in ("warm", "cold", "logistic"):
        for _, r in res[kind].table.iterrows():
            for lcol in ("dp_gap", "probe_auc"):
                best = envelope(ao, lcol, r[lcol])
                rows.append({"run": kind if kind != "logistic" else "logistic (warm)", "lam": r["lam"],
                             "at equal": lcol, "leakage": r[lcol], "trained auc": r["auc"],
                             "analytic auc (envelope)": best, "trained - analytic": r["auc"] - best,
                             "in AUC se": (r["auc"] - best) / se})
    cmp = pd.DataFrame(rows)
    out.append("For each trained point: the analytic AUC at the same output leakage "
               "(piecewise-linear envelope of the analytic Pareto points; "
               "NaN: no analytic point is that private).\n")
    out.append(md(cmp))
    out.append("")
    summ = cmp.groupby(["run", "at equal"])["in AUC se"].max().reset_index().rename(
        columns={"in AUC se": "largest trained - analytic (AUC se)"})
    out.append(md(summ, "{:.2f}"))
    out.append("")
    res["comparison"] = cmp


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="toy-gaussians and digits only")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--warm-epochs", type=int, default=None, help="default: the library's ceil(epochs / 4)")
    ap.add_argument("--write", type=Path, default=None, help="also write the markdown here")
    args = ap.parse_args()
    head = [
        "# Regularised training and the trained frontier (issue 5)\n",
        f"Command: `python benchmarks/bench_training.py {' '.join(sys.argv[1:])}`  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; nproc = {os.cpu_count()}; "
        f"CPU: {cpu_model()}; "
        f"load average at start: {os.getloadavg()[0]:.1f} "
        "(the machine is shared: timings are noisy, read ratios).  ",
        "Settings: MLP 64-32, Adam lr 1e-3, batch 256 (stratified by Z), softmax-averaging penalty, "
        "torch 1 thread, "
        f"lam grid {list(DEFAULT_LAMBDAS)}; held-out evaluation by a cross-fitted probe and k-NN MI.\n",
    ]
    out: list[str] = []
    small_sweeps(args.repeats, out)
    if not args.quick:
        adult = []
        res = adult_sweeps(adult, epochs=args.epochs, warm_epochs=args.warm_epochs)
        out.append("## Adult sweeps (budget: warm 10-lam sweep <= 60 s)\n")
        out += adult
        compare_with_analytic(res, out, epochs=args.epochs, warm_epochs=args.warm_epochs)
    text = "\n".join(head + out)
    print(text)
    if args.write:
        args.write.write_text(text + "\n")


if __name__ == "__main__":
    main()
