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
- ``adult``: Adult cohorts (10,000-row subsample): the widowed, the never-married, age above 1.5 SD (the loader standardises age).

Usage::

    python benchmarks/bench_forget_default.py --suite digits-classes --seeds 3 --out FILE.csv
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
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


def run(suite: str, seeds: int) -> pd.DataFrame:
    rows, cache = [], {}
    for name, label, make, epochs in cases(suite, seeds):
        ds = cache.setdefault(name, load(name))
        for s in range(seeds):
            pb = fg.prepare(ds, make(s), random_state=s)
            orig = fg.train_original(pb, epochs=epochs, random_state=s)
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
            print(f"{suite} {label} seed {s}: dUA {100 * rows[-1]['d_ua']:+.1f} dTA {100 * rows[-1]['d_ta']:+.1f} "
                  f"cpu {rows[-1]['cpu_ratio']:.3f} {r.stop_rule} {r.verdict}", file=sys.stderr, flush=True)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suite", required=True,
                    choices=["digits-classes", "digits-other", "mnist-classes", "adult"])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", type=Path, required=True, help="CSV of one row per run")
    args = ap.parse_args(argv)
    df = run(args.suite, args.seeds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out, index=False)
    a = df.d_ua.abs() * 100
    print(f"mean |dUA| {a.mean():.2f} worst {a.max():.2f}; mean dTA {100 * df.d_ta.mean():+.2f}; "
          f"median cpu ratio {df.cpu_ratio.median():.3f}; max {df.cpu_ratio.max():.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
