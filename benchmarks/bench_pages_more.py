"""Benchmark the Trained-frontier, Data-unlearning, Leakage-lab and Audit pages: cold, warm and one change.

Run from the project root:

    python benchmarks/bench_pages_more.py [--repeats 5] [--adult]

Every page runs on its own through Streamlit's AppTest in this process. For each page, on its default
view (toy-gaussians in the sidebar; digits on the Data-unlearning page):

- **cold**: the first run after clearing every Streamlit cache (the engine work the page starts:
  the default λ sweep, the original + retrained models and the fine-tunes, the estimates, the
  certificate), once;
- **warm**: a rerun with nothing changed (what a slider drag elsewhere costs), median of ``--repeats``;
- **change**: a rerun after the page's main knob moves to a value not seen before (a new λ to show,
  a new λ to unlearn at, a new target MI, a new t), median of ``--repeats`` different values.

The reference row is an AppTest rerun of a one-line app in the same process, so the ratio column
separates each page's cost from Streamlit's own per-run overhead. ``--adult`` adds the default
4-λ sweep on Adult (the page does not start it by itself on data that large). The machine is shared
(2 cores, several engineers' jobs): absolute times are noisy; compare ratios.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _machine import cpu_model  # noqa: E402  (benchmarks/ is the script's folder)

TIMEOUT = 600


def _clear() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def _timed_run(at) -> float:
    t0 = time.perf_counter()
    at.run()
    dt = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"the page raised: {[e.value for e in at.exception]}")
    return dt


def _app(page: str, **session):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=TIMEOUT)
    for k, v in session.items():
        at.session_state[k] = v
    return at


def bench_page(page: str, change, values, repeats: int) -> dict:
    _clear()
    at = _app(page)
    cold = _timed_run(at)
    warm = statistics.median(_timed_run(at) for _ in range(repeats))
    changes = []
    for v in values[:repeats]:
        change(at, v)
        changes.append(_timed_run(at))
    return {"cold": cold, "warm": warm, "change": statistics.median(changes)}


def reference(repeats: int) -> float:
    from streamlit.testing.v1 import AppTest

    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write("import streamlit as st\nst.write('reference')\n")
    at = AppTest.from_file(f.name, default_timeout=TIMEOUT)
    at.run()
    out = statistics.median(_timed_run(at) for _ in range(repeats))
    os.unlink(f.name)
    return out


def adult_sweep() -> float:
    """The Trained-frontier page's default 4-λ sweep on Adult, started with the Run button."""
    _clear()
    at = _app("trained.py", _trained_auto_done=True)
    at.query_params["dataset"] = "adult"
    at.run()
    at.button(key="trained_run").click()
    return _timed_run(at)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--adult", action="store_true", help="also time the default sweep on Adult")
    args = ap.parse_args()
    r = args.repeats

    def set_lam_shown(at, v):  # trained: choose which swept λ to show (the sweep is cached)
        at.selectbox(key="trained_lam").set_value(v)

    def set_forget_lam(at, v):  # forget: unlearn at a new λ (original and retrain cached)
        at.select_slider(key="forget_lam").set_value(v)

    def set_target(at, v):  # leakage lab: a new ground-truth world
        at.selectbox(key="lab_target").set_value(v)

    def set_t(at, v):  # audit: a new t (new certificate / attack check)
        at.session_state["app"].set_t(v)

    rows = {
        "Trained frontier (toy, 4 λ)": bench_page("trained.py", set_lam_shown,
                                                  [0.0, 5.0, 20.0, 100.0, 0.0], r),
        "Data unlearning (digits, 75% of the 3s)": bench_page(
            "forget.py", set_forget_lam, [0.5, 1.0, 3.0, 4.0, 5.0, 8.0, 10.0], r),
        "Leakage lab (3 estimators, 50 resamples)": bench_page("leakage.py", set_target,
                                                               [0.05, 0.1, 0.5, 1.0, 0.0], r),
        "Audit & export (toy, certificate)": bench_page("audit.py", set_t, [0.1, 0.2, 0.3, 0.4, 0.6, 0.7], r),
    }
    ref = reference(max(r, 5))
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Explorer pages: Trained frontier, Data unlearning, Leakage lab, Audit & export",
        "",
        f"Command: `python benchmarks/bench_pages_more.py --repeats {r}{' --adult' if args.adult else ''}`"
        f" · {now} · nproc {os.cpu_count()} · {cpu_model()} · Python {platform.python_version()}.",
        "Shared machine (2 cores, other engineers' jobs running): absolute times are noisy; the ratio column "
        "divides by a one-line app's rerun measured in the same run.",
        "",
        "| page (default view) | cold first run (s) | warm rerun (s) | main knob changed (s) "
        "| warm / reference | change / reference |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, m in rows.items():
        lines.append(f"| {name} | {m['cold']:.2f} | {m['warm']:.3f} | {m['change']:.3f} | "
                     f"{m['warm'] / ref:.1f}× | {m['change'] / ref:.1f}× |")
    lines.append(f"| reference: one-line app rerun | | {ref:.3f} | | 1.0× | |")
    if args.adult:
        lines += ["", f"Default 4-λ sweep on Adult (Run button, cold caches): {adult_sweep():.1f} s."]
    lines += ["", "Main knob: the λ shown (trained; sweep cached), the λ unlearned at (forget; original and "
              "retrained models cached), the target MI (leakage lab), t (audit: a new certificate)."]
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "benchmarks" / "results" / "pages_more.md"
    out.write_text(text, encoding="utf-8")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
