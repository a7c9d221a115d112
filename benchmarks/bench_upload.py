"""Cost of reading an upload (issue 16): the budget refusal of a hostile file, and a normal file's read time.

Each measurement runs in a fresh subprocess so its peak memory (VmHWM) is its own. Prints a Markdown
table: the issue's 15 MB many-category file (8,000 rows x 498 categorical columns x 50 levels) is refused
before one-hot encoding; an Adult-sized file (30,000 rows, 6 numeric + 8 categorical columns) is read by
this branch's ``from_csv`` and, as the reference in the same run, by ``from_csv`` as it was on ``main``
(``git show main:unlearn_core/datasets/usercsv.py``, when git and that branch are available).

Usage: python benchmarks/bench_upload.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time, types
from pathlib import Path
sys.path.insert(0, {root!r})
def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
import unlearn_core.datasets as d
from unlearn_core.datasets import usercsv
if {which!r} == "main":
    src = {main_src!r}
    mod = types.ModuleType("unlearn_core.datasets._usercsv_main")
    mod.__package__ = "unlearn_core.datasets"
    exec(compile(src, "usercsv_main.py", "exec"), mod.__dict__)
    from_csv = mod.from_csv
else:
    from_csv = usercsv.from_csv
data = Path({path!r}).read_bytes()
Path("/proc/self/clear_refs").write_text("5")
before = status("VmRSS")
t0 = time.perf_counter()
try:
    ds = from_csv(data, target="label", sensitive="sex")
    outcome = f"loaded {{ds.n_samples:,}} x {{ds.n_features:,}}"
except Exception as exc:
    outcome = type(exc).__name__ + ": " + str(exc)[:70]
seconds = time.perf_counter() - t0
print(json.dumps({{"seconds": seconds, "growth_mb": status("VmHWM") - before, "outcome": outcome}}))
"""


def many_category_csv(path: Path) -> None:
    rng = np.random.default_rng(0)
    n, m = 8000, 498
    cells = np.char.add("L", rng.integers(0, 50, size=(n, m)).astype(str))
    body = [",".join(row) + f",{'F' if i % 2 else 'M'},{i % 2}" for i, row in enumerate(cells)]
    header = ",".join([f"c{j}" for j in range(m)] + ["sex", "label"])
    path.write_text("\n".join([header, *body]) + "\n")


def adult_like_csv(path: Path, n: int = 30_000) -> None:
    rng = np.random.default_rng(1)
    cats = {"workclass": 8, "education": 16, "marital": 7, "occupation": 14, "relationship": 6, "race": 5,
            "country": 40, "band": 4}
    header = [f"num{j}" for j in range(6)] + list(cats) + ["sex", "label"]
    cols = [np.round(rng.normal(40, 12, n), 1).astype(str) for _ in range(6)]
    cols += [np.char.add(f"{name[:3]}_", rng.integers(0, k, n).astype(str)) for name, k in cats.items()]
    cols += [np.where(rng.random(n) < 0.5, "F", "M"), (rng.random(n) < 0.25).astype(int).astype(str)]
    rows = [",".join(r) for r in zip(*cols, strict=True)]
    path.write_text(",".join(header) + "\n" + "\n".join(rows) + "\n")


def run(path: Path, which: str, main_src: str) -> dict:
    code = CHILD.format(root=str(ROOT), which=which, main_src=main_src, path=str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    try:
        main_src = subprocess.run(["git", "show", "main:unlearn_core/datasets/usercsv.py"], cwd=ROOT,
                                  capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        main_src = ""
    with tempfile.TemporaryDirectory() as tmp:
        many, adult = Path(tmp) / "many.csv", Path(tmp) / "adult.csv"
        many_category_csv(many)
        adult_like_csv(adult)
        cases = [("many-category, 15 MB", many, "branch"), ("Adult-sized, 30,000 rows", adult, "branch")]
        if main_src:
            cases.append(("Adult-sized, 30,000 rows", adult, "main"))
        print("| file | MB | from_csv | median s | median peak growth MB | outcome |")
        print("|---|---|---|---|---|---|")
        for label, path, which in cases:
            rs = [run(path, which, main_src) for _ in range(args.repeats)]
            print(f"| {label} | {path.stat().st_size / 2**20:.1f} | {which} | "
                  f"{statistics.median(r['seconds'] for r in rs):.2f} | "
                  f"{statistics.median(r['growth_mb'] for r in rs):.0f} | {rs[0]['outcome']} |")


if __name__ == "__main__":
    main()
