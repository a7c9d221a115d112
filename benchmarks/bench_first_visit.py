"""Benchmark a cold first visit to every page of the explorer on one dataset (issues 15 and 17).

Run from the project root:

    python benchmarks/bench_first_visit.py [--dataset adult] [--repeats 1] [--port 8640]
                                           [--pages home,barycenter,...] [--profile] [--out FILE]
                                           [--entry serve.py|app.py] [--settle SECONDS]

For each page and repeat: a fresh ``streamlit run serve.py`` server (the README's command; every
Streamlit cache empty; ``--entry app.py``: without the start-up warm-up of ``ui.warmup``; ``--settle``:
visit that many seconds after the server answers, as a visitor who is not the one who started it)
and a fresh Chromium (empty browser cache), then ``goto http://.../<page>?dataset=<dataset>`` and the
time until the page is *done*: the script idle, the title shown, the page's main charts present and
drawn (plotly SVG or Vega canvas/SVG), and no spinner or progress bar left (polled every 10 ms, as
``benchmarks/bench_ui.py`` times the cold Home). A page that shows no chart but a run button (the
trained sweep and data unlearning on data too large to run by themselves) is timed to its first idle
paint ("idle, no chart"), then the button is clicked and the time to the chart is added ("+ click").

``--profile`` also runs each page once in AppTest in a fresh Python process under cProfile and reports
where the first run's time goes: importing the engine, loading the data, fitting maps, the frontier,
the attackers, the certificate, training, estimators (cumulative seconds of named functions).

The machine is shared: the load average is printed beside the figures; compare runs by ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

_VEGA = "[data-testid=stMain] [data-testid=stVegaLiteChart]"
_PLOTLY = "[data-testid=stMain] [data-testid=stPlotlyChart]"
#: page url_path -> (title, CSS selector of the page's main chart, run button or None). Streamlit marks a
#: keyed element with the class st-key-<key> only when it is a widget (a chart with on_select); the other
#: pages' main chart is their first chart of its kind.
PAGES: dict[str, tuple[str, str, str | None]] = {
    "home": ("Home", _VEGA, None),  # the mini-demo
    "barycenter": ("Feature unlearning", ".st-key-frontier_chart", None),
    "trained": ("Trained frontier", ".st-key-trained_chart", "Run sweep"),
    "forget": ("Data unlearning", _PLOTLY, "Run"),  # the epoch curves
    "images": ("Image unlearning", _VEGA, None),  # the image frontier (on tabular data: its refusal)
    "leakage": ("Leakage lab", _VEGA, None),  # the estimates (Vega-Lite)
    "audit": ("Audit & export", _VEGA, None),  # the attacker vs the bound (Vega-Lite; after the certificate)
}

# Done: script idle, title shown, the main chart present and drawn (plotly SVG, Vega canvas or SVG), no
# visible spinner or progress bar in the main area (a finished status keeps its bar, collapsed and hidden).
JS_DONE = (
    "(sel) => { const app = document.querySelector(\"[data-testid='stApp']\");"
    " if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;"
    " if (!document.querySelector(\"[data-testid='stMain'] h1\")) return false;"
    " if (Array.from(document.querySelectorAll(\"[data-testid='stMain'] [data-testid=stSpinner],"
    " [data-testid='stMain'] [data-testid=stProgress]\")).some(e => e.checkVisibility())) return false;"
    # a page that cannot use the dataset is done when its sentence and its "use this dataset" buttons show
    " if (document.querySelector(\"[data-testid='stMain'] [class*='st-key-use_']\")) return true;"
    " const main = document.querySelector(sel);"
    " return !!main && !!main.querySelector('.js-plotly-plot .main-svg, canvas, svg.marks'); }"
)
CHARTS = "[data-testid=stPlotlyChart], [data-testid=stVegaLiteChart]"
JS_IDLE = (
    "() => { const app = document.querySelector(\"[data-testid='stApp']\");"
    " return !!app && app.getAttribute('data-test-script-state') === 'notRunning'"
    " && !!document.querySelector(\"[data-testid='stMain'] h1\")"
    " && !document.querySelector(\"[data-testid='stMain'] [data-testid=stSpinner]\"); }"
)


REFERENCE_APP = """
import plotly.graph_objects as go
import streamlit as st

st.title("Reference: one slider, one chart")
t = st.slider("t (reference)", 0.0, 1.0, 0.5, step=0.05)
st.plotly_chart(go.Figure(go.Scatter(x=[0.0, t], y=[0.0, t])))
"""


def _start_server(port: int, root: Path = ROOT, script: str = "app.py"):
    log = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"],
        cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(480):
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                return proc, url, log
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"streamlit did not answer on {url}")


def _stop_server(proc, log) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    log.close()


def first_visit(path: str, dataset: str, port: int, timeout_s: float = 600, root: Path = ROOT,
                entry: str = "serve.py", settle: float = 0.0) -> dict:
    """One cold visit: fresh server, fresh Chromium; seconds to done (and to first idle paint).

    ``path`` "reference" opens the one-slider, one-chart reference app (Streamlit's and Chromium's own
    cold cost); ``root`` is the checkout whose app.py is served (e.g. an export of main, for "before");
    ``entry`` the script ``streamlit run`` starts (``serve.py``: the README's command, with the start-up
    warm-up of ``ui.warmup``; ``app.py``: the same app without it, also used for a checkout that has no
    serve.py); ``settle`` seconds between the server answering its health check and the visit.
    """
    from browser_helpers import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import TimeoutError as PwTimeout
    from playwright.sync_api import sync_playwright

    if path == "reference":
        ref = Path(tempfile.mkdtemp()) / "reference_app.py"
        ref.write_text(REFERENCE_APP)
        title, main_key, button = "Reference app", _PLOTLY, None
        proc, url, log = _start_server(port, ref.parent, ref.name)
        path = ""
    else:
        title, main_key, button = PAGES[path]
        if not (root / entry).is_file():
            entry = "app.py"
        proc, url, log = _start_server(port, root, entry)
    time.sleep(settle)
    out: dict = {"page": path, "entry": entry if title != "Reference app" else "reference", "settle": settle}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(timeout_s * 1000)
            start = time.perf_counter()
            page.goto(f"{url}/{'' if path in ('home', '') else path}?dataset={dataset}", wait_until="commit")
            deadline = start + timeout_s
            while True:  # done, or idle with a run button and no chart (needs a click)
                if page.evaluate(JS_DONE, main_key):
                    out["seconds"] = time.perf_counter() - start
                    break
                if button and page.evaluate(JS_IDLE):
                    btn = page.get_by_role("button", name=button, exact=True)
                    charts = page.locator(CHARTS).count()
                    if btn.count() and charts == 0:
                        # still idle and chartless for 2 s (a rerun, e.g. the deep link's reroute through
                        # app.py, makes the page idle for a moment): the page waits for the click
                        idle_at = time.perf_counter() - start
                        for _ in range(20):
                            page.wait_for_timeout(100)
                            if not page.evaluate(JS_IDLE) or page.locator(CHARTS).count():
                                break
                        else:
                            out["idle_no_chart"] = idle_at
                            btn.first.click()
                            page.wait_for_timeout(200)
                            try:
                                page.wait_for_function(JS_DONE, arg=main_key, polling=10,
                                                       timeout=max(1.0, deadline - time.perf_counter()) * 1e3)
                            except PwTimeout:
                                out["error"] = "timeout after the click"
                                break
                            out["seconds"] = time.perf_counter() - start
                            break
                if time.perf_counter() > deadline:
                    out["error"] = "timeout"
                    break
                page.wait_for_timeout(10)
            out["exception"] = page.locator("[data-testid='stException']").count() > 0
            out["precomputed_label"] = page.get_by_text("precomputed on", exact=False).count() > 0
            browser.close()
    finally:
        _stop_server(proc, log)
    return out


PROFILE = r"""
import cProfile, json, pstats, sys, time
sys.path.insert(0, {tests!r})
t0 = time.perf_counter()
import streamlit  # noqa: F401  (a server has it loaded before any page runs)
from app_helpers import open_app
from streamlit.runtime.scriptrunner import script_runner
prof = cProfile.Profile()
_orig = script_runner.ScriptRunner._run_script


def _profiled(self, *a, **k):  # the script runs in AppTest's own thread: profile that thread
    prof.enable()
    try:
        return _orig(self, *a, **k)
    finally:
        prof.disable()


script_runner.ScriptRunner._run_script = _profiled
start = time.perf_counter()
at = open_app(timeout=900, page={page!r}, dataset={dataset!r})
total = time.perf_counter() - start
stats = pstats.Stats(prof)
want = {wanted!r}
found = {{}}
for (file, line, fn), (cc, nc, tt, ct, callers) in stats.stats.items():
    for label, (fpart, name) in want.items():
        if fn == name and fpart in file:
            found[label] = max(found.get(label, 0.0), ct)
found["imports (all modules first imported by the run)"] = max(
    [ct for (file, line, fn), (cc, nc, tt, ct, callers) in stats.stats.items()
     if fn == "_find_and_load" and "importlib._bootstrap" in file] or [0.0])
errs = [str(e.value)[:200] for e in at.exception]
print(json.dumps({{"total": total, "found": found, "exceptions": errs}}))
"""

#: label -> (file part, function name): what a first run spends its time in.
WANTED = {
    "load the dataset": ("ui/cache.py", "_load"),
    "fit the barycenter (held-out maps)": ("ui/cache.py", "cached_heldout_maps"),
    "map every row to t = 1": ("ui/cache.py", "cached_fit"),
    "analytic frontier (model + attacker per t)": ("frontier/analytic.py", "analytic_frontier"),
    "attacker (gradient boosting, cross-fitted)": ("leakage/attacker.py", "attack"),
    "certificate": ("unlearn_core/audit.py", "certificate"),
    "trained sweep": ("frontier/trained.py", "trained_frontier"),
    "forgetting: original + retrain": ("forgetting", "train_original"),
    "leakage estimators": ("leakage/__init__.py", "estimate"),
    "precomputed results (read)": ("ui/precomputed.py", "load"),
}


def profile_page(path: str, dataset: str) -> dict:
    code = PROFILE.format(tests=str(ROOT / "tests"), page=path, dataset=dataset, wanted=WANTED)
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if res.returncode != 0:
        return {"error": res.stderr[-1500:]}
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", default="adult")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--port", type=int, default=8640)
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--before", type=Path, default=None,
                    help="also time this checkout (e.g. `git archive main | tar -x -C DIR`), interleaved")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--entry", default="serve.py",
                    help="script to `streamlit run`: serve.py (README) or app.py")
    ap.add_argument("--settle", type=float, default=0.0,
                    help="seconds between the server's health check and the visit (0: at once)")
    args = ap.parse_args()
    os.chdir(ROOT)
    pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    runs: dict[str, list[dict]] = {p: [] for p in pages}
    before: dict[str, list[dict]] = {p: [] for p in pages}
    ref: list[float] = []
    load_before = os.getloadavg()
    for _ in range(args.repeats):  # interleaved: the reference, then each page (before, after), per round
        r = first_visit("reference", args.dataset, args.port)
        ref.append(r["seconds"])
        print(json.dumps(r), file=sys.stderr, flush=True)
        for p in pages:
            if args.before is not None:
                r = first_visit(p, args.dataset, args.port, root=args.before, entry=args.entry,
                                settle=args.settle)
                before[p].append(r)
                print("before", json.dumps(r), file=sys.stderr, flush=True)
            r = first_visit(p, args.dataset, args.port, entry=args.entry, settle=args.settle)
            runs[p].append(r)
            print(json.dumps(r), file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    lines = [
        f"Command: `python benchmarks/bench_first_visit.py --dataset {args.dataset} --repeats {args.repeats}"
        f"{' --before ' + str(args.before) if args.before else ''}{' --profile' if args.profile else ''}"
        f" --entry {args.entry} --settle {args.settle:g}`",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; nproc = {os.cpu_count()}; load average before "
        f"{load_before[0]:.1f} / {load_before[1]:.1f}, after {load_after[0]:.1f} / {load_after[1]:.1f} "
        "(1 / 5 min; shared machine).",
        f"Each visit: fresh `streamlit run {args.entry}` and fresh Chromium, visited {args.settle:g} s after "
        f"the server answered, `/<page>?dataset={args.dataset}`, time to script idle + title + main charts "
        "drawn + no visible spinner/progress. Median of the repeats.",
        "",
        f"Reference (a one-slider, one-chart plotly app, cold, same method): median "
        f"{statistics.median(ref):.2f} s ({', '.join(f'{x:.2f}' for x in ref)}): Streamlit's and Chromium's "
        "own cold cost on this machine now.",
        "",
        "| page | before (main) | after (this branch) | after / reference | idle, no chart (after) | "
        "precomputed label (after) | < 3 s (after) |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    rmed = statistics.median(ref)

    def med(rs: list[dict]) -> tuple[float, str]:
        ok = [r["seconds"] for r in rs if "seconds" in r]
        errs = [r.get("error") for r in rs if r.get("error")] + (
            ["exception box"] if any(r.get("exception") for r in rs) else [])
        idle = [r["idle_no_chart"] for r in rs if "idle_no_chart" in r]
        m = statistics.median(ok) if ok else float("nan")
        note = (f" (idle without chart at {statistics.median(idle):.2f} s, then a click)" if idle else "") + (
            f" ({', '.join(errs)})" if errs else "")
        return m, note

    for p in pages:
        a, anote = med(runs[p])
        b, bnote = med(before[p]) if before[p] else (float("nan"), "")
        idle = [r["idle_no_chart"] for r in runs[p] if "idle_no_chart" in r]
        lines.append(
            f"| {PAGES[p][0]} | {'-' if not before[p] else f'{b:.2f} s{bnote}'} | {a:.2f} s{anote} | "
            f"{a / rmed:.2f} | {f'{statistics.median(idle):.2f} s' if idle else '-'} | "
            f"{'yes' if any(r.get('precomputed_label') for r in runs[p]) else 'no'} | "
            f"{'met' if a < 3 and not idle else 'MISSED'} |")
    if args.profile:
        lines += ["", "Where a first run's time goes (AppTest, fresh process, cProfile cumulative seconds; "
                  "profiling adds overhead, compare within a row):", ""]
        for p in pages:
            prof = profile_page(p, args.dataset)
            if "error" in prof:
                lines.append(f"- {PAGES[p][0]}: profiling failed: {prof['error'][-300:]}")
                continue
            found = sorted(prof["found"].items(), key=lambda kv: -kv[1])
            parts = ", ".join(f"{k} {v:.1f} s" for k, v in found
                              if v >= 0.05)
            lines.append(f"- {PAGES[p][0]}: total {prof['total']:.1f} s: {parts or 'nothing named above'}")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
