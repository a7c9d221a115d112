"""Per-example membership audit (LiRA-style shadows) on digits, forget 75% of the 3s (issue 14).

For each seed: the original model, the retrained reference and the default-budget unlearned model;
K shadow models each trained on a random half of the 1,797 digits (each row in exactly K/2 of them);
per model, the LiRA AUC separating the forget rows from held-out 3s (bootstrap 95% interval), the
population loss attack's AUC on the same rows (the cheap option), and the share of forget rows above
the peers' 95th percentile of Lambda.

Usage::

    python benchmarks/bench_forget_audit.py --seeds 3 --shadows 32
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from unlearn_core import datasets  # noqa: E402
from unlearn_core import forgetting as fg  # noqa: E402
from unlearn_core.forgetting import _audit  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--shadows", type=int, default=32)
    args = ap.parse_args(argv)
    ds = datasets.load("digits")
    for seed in range(args.seeds):
        pb = fg.prepare(ds, fg.ForgetSpec(cls=3, random_state=seed), random_state=seed)
        o = fg.train_original(pb, random_state=seed)
        ref = fg.retrain(o, pb, random_state=seed)
        u = fg.unlearn(o, pb, random_state=seed, reference=ref)
        t0 = time.perf_counter()
        bank = _audit.train_shadows(pb, n_shadows=args.shadows, random_state=seed)
        models = {"original": o.model()}
        for name, rep in (("retrain", ref), ("unlearned (default budget)", u)):
            m = o.model()
            m.load_state_dict(rep.state_dict)
            models[name] = m
        res = _audit.audit(pb, bank, models, random_state=seed)
        print(f"seed {seed}: {args.shadows} shadows in {time.perf_counter() - t0:.0f} s wall")
        print(res.summary.round(3).to_markdown(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
