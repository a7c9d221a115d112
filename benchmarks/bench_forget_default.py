"""Validation of the retrain-free default budget of ``forgetting.unlearn`` against retraining (issue 14).

For each case (dataset, forget set, seed): prepare the seeded split and forget set, train the original
model (MLP 128-64, 30 epochs; 20 on Adult), retrain it on D_r (the reference, used only to *judge*),
and run ``fg.unlearn(original, problem, random_state=seed)`` with no lam and no epochs. The table gives
UA (forget accuracy) of the original, the retrained and the unlearned model, |UA - UA_retrain|, TA
(test accuracy) of the original and the unlearned model, the unlearned model's CPU seconds / the
retraining's CPU seconds (single-threaded torch; wall time is also recorded), the rule that stopped
the run, and the verdict (against retraining, margin 10 points).

Cases (``--suite``):

- ``digits-classes``: 75% of each class 0-9 of digits, seeds 0..S-1;
- ``digits-other``: digits cohorts (parity == even: every even digit, a whole-class forget set that
  retraining cannot predict; a pixel cohort px_2_2 > 0.5) and random forget sets (100 rows), seeds;
- ``mnist-classes``: 75% of each class of the MNIST subset (the 10,000 test images split 80/20);
- ``adult``: Adult cohorts (10,000-row subsample): the widowed, the never-married, age above 1.5 SD
  (the loader standardises age).

Usage::

    python benchmarks/bench_forget_default.py --suite digits-classes --seeds 3 --out FILE.csv
    python benchmarks/bench_forget_default.py --report FILE.csv ...     # markdown tables of the CSVs
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from unlearn_core import datasets  # noqa: E402
from unlearn_core import forgetting as fg  # noqa: E402

MNIST_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def cases(suite: str, seeds: int):
    """(dataset loader, label, spec factory(seed), original epochs) for each case of the suite."""
    if suite == "digits-classes":
        for c in range(10):
            yield "digits", f"class {c} (75%)", (lambda s, c=c: fg.ForgetSpec(cls=c, random_state=s)), 30
    elif suite == "digits-other":
        yield "digits", "cohort parity == even", lambda s: fg.ForgetSpec.cohort(
            "parity", "==", "even", random_state=s), 30
        yield "digits", "cohort px_2_2 > 0.5", lambda s: fg.ForgetSpec.cohort(
            "px_2_2", ">", 0.5, random_state=s), 30
        yield "digits", "random 100 rows", lambda s: fg.ForgetSpec.random(n=100, random_state=s), 30
    elif suite == "mnist-classes":
        for c in range(10):
            yield "mnist", f"class {c} (75%)", (lambda s, c=c: fg.ForgetSpec(cls=c, random_state=s)), 30
    elif suite == "adult":
        yield "adult", "cohort widowed", lambda s: fg.ForgetSpec.cohort(
            "marital_status", "==", "Widowed", random_state=s), 20
        yield "adult", "cohort never married", lambda s: fg.ForgetSpec.cohort(
            "marital_status", "==", "Never-married", random_state=s), 20
        yield "adult", "cohort age > 1.5 SD (about 58+)", lambda s: fg.ForgetSpec.cohort(
            "age", ">", 1.5, random_state=s), 20
    else:
        raise ValueError(f"unknown suite {suite!r}")


def load(name: str) -> datasets.Dataset:
    if name == "mnist":
        return datasets.load("mnist", data_dir=str(MNIST_DIR), download=False)
    if name == "adult":
        return datasets.load("adult", n_samples=10_000, random_state=0)
    return datasets.load(name)


def run(suite: str, seeds: int, out: Path | None = None) -> pd.DataFrame:
    """Every case x seed; the CSV at ``out`` is rewritten after each run (partial results survive)."""
    rows, cache, originals = [], {}, {}
    for name, label, make, epochs in cases(suite, seeds):
        ds = cache.setdefault(name, load(name))
        for s in range(seeds):
            pb = fg.prepare(ds, make(s), random_state=s)
            # the split and so the original depend on the seed only, not on the forget set: train it once
            key = (name, s, epochs)
            if key not in originals:
                originals[key] = fg.train_original(pb, epochs=epochs, random_state=s)
            orig = originals[key]
            ref = fg.retrain(orig, pb, random_state=s)
            o = fg.original_report(orig, pb, reference=ref)
            t0 = time.perf_counter()
            r = fg.unlearn(orig, pb, random_state=s, reference=ref)
            wall = time.perf_counter() - t0
            rows.append(dict(
                suite=suite, dataset=name, case=label, seed=s, n_forget=int(pb.forget_idx.size),
                ua_orig=o.ua, ua_retrain=ref.ua, ua=r.ua, d_ua=r.ua - ref.ua, ta_orig=o.ta, ta_retrain=ref.ta,
                ta=r.ta, d_ta=r.ta - o.ta, cpu_ratio=r.cpu_seconds / ref.cpu_seconds,
                wall_ratio=r.seconds / ref.seconds, wall_total_ratio=wall / ref.seconds, epochs=r.epochs,
                stop_rule=r.stop_rule, target_ua=r.target_ua, verdict=r.verdict,
                mia_auc=r.mia_loss_auc, mia_auc_retrain=ref.mia_loss_auc, mia_auc_orig=o.mia_loss_auc,
            ))
            last = rows[-1]
            print(f"{suite} {label} seed {s}: dUA {100 * last['d_ua']:+.1f} dTA {100 * last['d_ta']:+.1f} "
                  f"cpu {last['cpu_ratio']:.3f} {r.stop_rule} {r.verdict}", file=sys.stderr, flush=True)
            if out is not None:
                out.parent.mkdir(parents=True, exist_ok=True)
                pd.DataFrame(rows).to_csv(out, index=False)
    return pd.DataFrame(rows)


def _pm(x: pd.Series, scale: float = 100.0, digits: int = 1) -> str:
    sd = x.std(ddof=1) if len(x) > 1 else 0.0
    return f"{scale * x.mean():.{digits}f} ± {scale * sd:.{digits}f}"


def markdown(df: pd.DataFrame) -> str:
    """Per-case table (mean ± SD over seeds) and the acceptance summary of one suite's CSV."""
    lines = ["| case | seeds | n_forget | UA original % | UA retrain % | UA default % "
             "| mean (worst) |ΔUA| pts | TA original % | TA default % | CPU ÷ retrain (median) "
             "| stop rules | verdicts |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for case, g in df.groupby("case", sort=False):
        a = 100 * g.d_ua.abs()
        rules = ", ".join(f"{k} {v}" for k, v in g.stop_rule.value_counts().items())
        verdicts = ", ".join(f"{k} {v}" for k, v in g.verdict.value_counts().items())
        lines.append(f"| {case} | {len(g)} | {int(g.n_forget.median())} | {_pm(g.ua_orig)} "
                     f"| {_pm(g.ua_retrain)} | {_pm(g.ua)} | {a.mean():.1f} ({a.max():.1f}) "
                     f"| {_pm(g.ta_orig)} | {_pm(g.ta)} "
                     f"| {g.cpu_ratio.median():.3f} | {rules} | {verdicts} |")
    a = 100 * df.d_ua.abs()
    lines += ["", f"All {len(df)} runs: mean |UA − UA_retrain| = {a.mean():.2f} points, "
              f"worst {a.max():.2f}; "
              f"TA − TA_original = {100 * df.d_ta.mean():+.2f} ± {100 * df.d_ta.std(ddof=1):.2f} points; "
              f"CPU ÷ retraining: median {df.cpu_ratio.median():.3f}, max {df.cpu_ratio.max():.3f}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--report", nargs="+", type=Path, default=None,
                    help="instead of running: print the markdown tables of these CSVs")
    ap.add_argument("--suite",
                    choices=["digits-classes", "digits-other", "mnist-classes", "adult"])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="CSV of one row per run")
    args = ap.parse_args(argv)
    if args.report:
        for path in args.report:
            text = markdown(pd.read_csv(path))
            print(f"### {path.stem}\n\n{text}\n")
        return 0
    if args.suite is None or args.out is None:
        ap.error("--suite and --out are required unless --report is given")
    df = run(args.suite, args.seeds, args.out)
    a = df.d_ua.abs() * 100
    print(f"mean |dUA| {a.mean():.2f} worst {a.max():.2f}; mean dTA {100 * df.d_ta.mean():+.2f}; "
          f"median cpu ratio {df.cpu_ratio.median():.3f}; max {df.cpu_ratio.max():.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
