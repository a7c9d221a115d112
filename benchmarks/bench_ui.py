"""Benchmark the explorer's speed budgets (issue 7, Speed): cold Home, and a t change on Adult.

Run from the project root:

    python benchmarks/bench_ui.py [--dataset adult] [--repeats 7] [--no-browser]

Measures, each as the median of ``--repeats`` runs (wall time, ``time.perf_counter``):

1. Cold first render of Home on the default dataset, in a fresh Python process per repeat (AppTest;
   the process has imported streamlit but none of the engine), and in a real browser on a freshly
   started ``streamlit run app.py`` (page open -> script idle and every chart drawn).
2. Changing t on the barycenter page with a warm cache (the barycenter fit and the frontier already
   computed; every t is new to the per-t cache):
   - engine work: the per-t wrapper ``ui.cached_view_at`` (X_t on all rows for the shown feature,
     displacements, distortion) and, for reference, the engine's exact ``maps.transform(X, z, t)``;
   - page re-render: AppTest full-script rerun after ``slider.set_value`` (stricter than the browser,
     which reruns only the fragment) and the browser's keyboard step -> script idle -> marker moved.
   The reference row is an AppTest rerun of a one-line app in the same process, so the ratio column
   separates this page's cost from Streamlit's own per-run overhead.

3. Why the browser's t change costs what it does: how many plotly charts one step replaces (a chart
   whose figure changed is a new Streamlit element), and ``Plotly.newPlot`` of each of the page's figures
   in the same Chromium without Streamlit.

Browser cold loads start a fresh server and a fresh Chromium per repeat and stop at the first moment
(polled every 10 ms) the script is idle, the title is shown and every chart has drawn.

The machine is shared (2 cores, several engineers' jobs): absolute times are noisy; the ratios less so.
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
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from _machine import cpu_model  # noqa: E402  (benchmarks/ is the script's folder)

COLD_HOME = r"""
import json, sys, time
sys.path.insert(0, {tests!r})
import streamlit  # noqa: F401  (the server has it loaded before any page runs)
from app_helpers import APP  # noqa: E402  (also applies the AppTest/pages shim)
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(str(APP), default_timeout=120)
start = time.perf_counter()
at.run()
elapsed = time.perf_counter() - start
assert not at.exception, [e.value for e in at.exception]
print(json.dumps({{"seconds": elapsed}}))
"""


def _median(xs):
    return float(statistics.median(xs))


def cold_home_apptest(repeats: int) -> list[float]:
    out = []
    code = COLD_HOME.format(tests=str(ROOT / "tests"))
    for _ in range(repeats):
        res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                             timeout=300)
        if res.returncode != 0:
            raise RuntimeError(res.stderr[-2000:])
        out.append(json.loads(res.stdout.strip().splitlines()[-1])["seconds"])
    return out


def reference_rerun(repeats: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(
        "import streamlit as st\nst.slider('x', 0.0, 1.0, 0.5, key='x')\nst.write(st.session_state.x)"
    )
    at.run()
    out = []
    for i in range(repeats):
        at.slider(key="x").set_value(round(0.05 * (i + 1), 2))
        start = time.perf_counter()
        at.run()
        out.append(time.perf_counter() - start)
    return out


def t_change_apptest(dataset: str, repeats: int) -> dict:
    import numpy as np
    from app_helpers import open_app

    import ui

    start = time.perf_counter()
    at = open_app(timeout=1800, page="barycenter", dataset=dataset, t="0.5")
    cold = time.perf_counter() - start
    assert not at.exception and not at.error, ([e.value for e in at.exception], [e.value for e in at.error])
    ts = [0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.45, 0.4, 0.35, 0.3][:repeats]
    rerun, engine = [], []
    for t in ts:
        at.slider(key="_w_t").set_value(t)
        s = time.perf_counter()
        at.run()
        rerun.append(time.perf_counter() - s)
        assert not at.exception
        engine.append(float(at.session_state["_engine_seconds"]))
    # The engine's exact transform of every row at one t, for reference.
    s = at.session_state["app"]
    key = ui.data_key(s.dataset, sensitive=s.sensitive, seed=s.seed)
    fit = ui.cached_fit(key, s.method, s.seed)
    ds = ui.load_data(key)
    z = ds.z.to_numpy()
    exact = []
    for t in ts:
        st_ = time.perf_counter()
        fit.maps.transform(fit.X, z, t)
        exact.append(time.perf_counter() - st_)
    return dict(cold=cold, rerun=rerun, engine=engine, exact=exact, n=int(fit.X.shape[0]),
                d=int(fit.X.shape[1]), fit_seconds=float(fit.maps.seconds), V=float(fit.maps.total_cost),
                np=np.__version__)


REFERENCE_APP = """
import plotly.graph_objects as go
import streamlit as st

st.title("Reference: one slider, one chart")
t = st.slider("t (reference)", 0.0, 1.0, 0.5, step=0.05)
st.plotly_chart(go.Figure(go.Scatter(x=[0.0, t], y=[0.0, t], customdata=[[0.0], [t]], name="current")))
"""

from browser_helpers import JS_VEGA_CURRENT_T  # noqa: E402  (tests/browser is on sys.path above)

JS_MARKER_AT = (
    "([title, name, idx, t]) => { for (const gd of document.querySelectorAll('.js-plotly-plot')) {"
    " const tt = String((gd.layout && gd.layout.title && gd.layout.title.text) || '');"
    " if (title && !tt.includes(title)) continue;"
    " const c = (gd.data || []).find(d => d.name === name);"
    " return !!c && Math.abs(c.customdata[idx][0] - t) < 1e-9 &&"
    " document.querySelector(\"[data-testid='stApp']\")"
    ".getAttribute('data-test-script-state') === 'notRunning'; }"
    " return false; }"
)


JS_RENDERED = (
    "(minCharts) => { const app = document.querySelector(\"[data-testid='stApp']\");"
    " if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;"
    " if (!document.querySelector(\"[data-testid='stMain'] h1\")) return false;"
    " const charts = document.querySelectorAll('[data-testid=stPlotlyChart], [data-testid=stVegaLiteChart]');"
    " if (charts.length < minCharts) return false;"
    " return Array.from(charts).every(c =>"
    "   c.querySelector('.js-plotly-plot .main-svg, canvas, svg.marks')); }"
)


def _open_timed(page, url: str, min_charts: int, timeout_ms: int = 300_000) -> float:
    """Seconds from navigation to the page rendered: script idle, title shown, every chart drawn.

    Polls every 10 ms and stops at the first moment all of that holds, so it adds no settling time
    (``browser_helpers.open_page`` waits twice 0.5 s for idleness, which suits tests, not timings).
    ``min_charts`` guards against a vacuous pass before the first chart element has arrived.
    """
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(JS_RENDERED, arg=min_charts, polling=10, timeout=timeout_ms)
    return time.perf_counter() - start


def _start_server(script: Path, cwd: Path):
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"],
        cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                break
        except OSError:
            time.sleep(0.5)
    return proc, url, log


def _stop_server(proc, log) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


JS_VEGA_MARKER_AT = (
    "([title, t]) => { const app = document.querySelector(\"[data-testid='stApp']\");"
    " if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;"
    " const got = (" + JS_VEGA_CURRENT_T + ")(title); return got !== null && Math.abs(got - t) < 1e-9; }"
)


def _key_steps(page, slider, repeats: int, ready) -> list[float]:
    """Press arrow keys on ``slider``; time each until ``ready(page, t)`` sees the new t, script idle."""
    steps = []
    slider.focus()
    for i in range(repeats):
        key = "ArrowRight" if i < repeats // 2 + 1 else "ArrowLeft"
        s = time.perf_counter()
        page.keyboard.press(key)
        ready(page, float(slider.get_attribute("aria-valuetext")))
        steps.append(time.perf_counter() - s)
    return steps


def _plotly_marker_at(title: str, trace: str, idx: int):
    return lambda page, t: page.wait_for_function(JS_MARKER_AT, arg=[title, trace, idx, t], polling=10)


def _vega_marker_at(title: str):
    return lambda page, t: page.wait_for_function(JS_VEGA_MARKER_AT, arg=[title, t], polling=10)


def _open_browser(pw):
    """Debian's Chromium (headless, the tests' flags) and one 1400 x 1000 page."""
    from browser_helpers import CHROMIUM, CHROMIUM_ARGS

    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    return browser, browser.new_page(viewport={"width": 1400, "height": 1000})


def browser_cold(script: Path, cwd: Path, n: int) -> list[float]:
    """Cold loads: for each repeat a fresh ``streamlit run`` server and a fresh Chromium (empty cache)."""
    from playwright.sync_api import sync_playwright

    out = []
    for _ in range(n):
        proc, url, log = _start_server(script, cwd)
        try:
            with sync_playwright() as pw:
                browser, page = _open_browser(pw)
                out.append(_open_timed(page, url + "/", min_charts=1))
                browser.close()
        finally:
            _stop_server(proc, log)
    return out


def browser_reference(repeats: int) -> dict:
    """The same browser measurements on a one-slider, one-chart app: Streamlit's and Chromium's own cost."""
    from browser_helpers import slider_input
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp())
    script = tmp / "reference_app.py"
    script.write_text(REFERENCE_APP)
    proc, url, log = _start_server(script, tmp)
    out: dict = {}
    try:
        with sync_playwright() as pw:
            browser, page = _open_browser(pw)
            page.set_default_timeout(120_000)
            page.goto(url + "/", wait_until="commit")
            page.wait_for_function(JS_RENDERED, arg=1, polling=10)
            out["t_change"] = _key_steps(page, slider_input(page, "t (reference)"), repeats,
                                         _plotly_marker_at("", "current", 1))
            browser.close()
    finally:
        _stop_server(proc, log)
    return out


def browser_measurements(dataset: str, repeats: int) -> dict:
    from browser_helpers import assert_no_exception, open_page, slider_input
    from playwright.sync_api import sync_playwright

    proc, url, log = _start_server(ROOT / "app.py", ROOT)
    out: dict = {}
    try:
        with sync_playwright() as pw:
            browser, page = _open_browser(pw)
            page.set_default_timeout(120_000)
            page.goto(url + "/", wait_until="commit")
            page.wait_for_function(JS_RENDERED, arg=1, polling=10)
            assert_no_exception(page)
            s = time.perf_counter()
            open_page(page, url + f"/barycenter?dataset={dataset}&t=0.25", timeout_ms=900_000)
            out["bary_cold"] = time.perf_counter() - s
            assert_no_exception(page)
            page.set_default_timeout(60_000)
            slider = slider_input(page, "how far along the path")
            ready = _vega_marker_at("Utility vs leakage")
            out["t_change"] = _key_steps(page, slider, repeats, ready)
            # How many charts one more step replaces (a new element: drawn from scratch) rather than updates.
            charts = ("'.js-plotly-plot, [data-testid=stVegaLiteChart] svg.marks,"
                      " [data-testid=stVegaLiteChart] canvas'")
            page.evaluate(f"() => document.querySelectorAll({charts}).forEach(d => {{ d.__kept = 1; }})")
            _key_steps(page, slider, 1, ready)
            out["replaced"] = page.evaluate(
                f"() => [...document.querySelectorAll({charts})].filter(d => !d.__kept).length"
            )
            out["charts"] = page.evaluate(f"() => document.querySelectorAll({charts}).length")
            browser.close()
    finally:
        _stop_server(proc, log)
    return out


def raw_plotly(dataset: str, repeats: int) -> dict[str, float]:
    """Median ms of ``Plotly.newPlot`` for each barycenter-page figure at a new t, in Chromium, no Streamlit.

    Streamlit gives a plotly chart an element id computed from its figure spec, so a chart whose figure
    changes is unmounted and drawn anew (``Plotly.newPlot``) on every t change; this is the plotly part
    of that cost, measured with the plotly.js bundled with the plotly Python package.
    """
    import plotly
    from playwright.sync_api import sync_playwright

    import ui
    from unlearn_core import plots

    key = ui.data_key(dataset, sensitive="", seed=0)
    fit = ui.cached_fit(key, "gaussian", 0)
    pts = ui.cached_display(key, "gaussian", 0, None, 1000)
    fr = ui.cached_frontier(key, "gaussian", 0)
    V = float(fit.maps.total_cost)
    ts = [round(0.5 + 0.05 * i, 2) for i in range(max(3, repeats))]

    def figures(t: float) -> dict[str, str]:
        view = ui.cached_view_at(key, "gaussian", 0, t, 0)
        return {k: f.to_json() for k, f in {
            "transport (1,000 points, 21 frames)": plots.transport_figure(pts, t=t),
            "densities": plots.marginal_densities_figure(fit.X[:, [0]], view.column_t[:, None], fit.z, t=t),
            "who pays": plots.displacement_figure(view.displacement, fit.z, t=t),
            "utility vs leakage": plots.frontier_figure(fr, current=t),
            "distortion vs W2 leakage": plots.distortion_leakage_figure(fr, V=V, t=t),
        }.items()}

    specs = [figures(t) for t in ts]
    js = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()
    draw = (
        "async (s) => { const old = document.getElementById('p');"
        " if (old) { Plotly.purge(old); old.remove(); }\n"
        "        const d = document.createElement('div'); d.id = 'p'; d.style.width = '650px';"
        " document.body.appendChild(d);\n"
        "        const t0 = performance.now(); await Plotly.newPlot(d, JSON.parse(s));\n"
        "        await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));"
        " return performance.now() - t0; }"
    )
    out = {}
    with sync_playwright() as pw:
        browser, page = _open_browser(pw)
        page.set_content("<html><body></body></html>")
        page.add_script_tag(content=js)
        for name in specs[0]:
            out[name] = _median([page.evaluate(draw, sp[name]) for sp in specs])
        browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", default="adult")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="also write the markdown table here")
    args = ap.parse_args()
    os.chdir(ROOT)

    ref = reference_rerun(args.repeats)
    cold = cold_home_apptest(max(3, args.repeats // 2))
    tc = t_change_apptest(args.dataset, args.repeats)
    raw = None if args.no_browser else raw_plotly(args.dataset, args.repeats)
    br = None if args.no_browser else browser_measurements(args.dataset, args.repeats)
    bref = None if args.no_browser else browser_reference(args.repeats)
    if br is not None:  # cold loads alternate between the app and the reference, fresh server each
        n_cold = max(3, args.repeats // 2)
        ref_script = Path(tempfile.mkdtemp()) / "reference_app.py"
        ref_script.write_text(REFERENCE_APP)
        br["home_cold"], bref["cold"] = [], []
        for _ in range(n_cold):
            br["home_cold"] += browser_cold(ROOT / "app.py", ROOT, 1)
            bref["cold"] += browser_cold(ref_script, ref_script.parent, 1)

    ms = lambda x: f"{1000 * x:.0f} ms"  # noqa: E731
    rows = [
        ("Reference: AppTest rerun of a one-slider app", ms(_median(ref)), "1.0", "-", "-"),
        ("Home, cold first render, AppTest (fresh process)", ms(_median(cold)),
         f"{_median(cold) / _median(ref):.0f}", "≤ 3000 ms", "met" if _median(cold) <= 3 else "MISSED"),
        (f"Barycenter page, first render on {args.dataset} (fit + frontier, cold)", ms(tc["cold"]),
         "-", "-", "-"),
        (f"t change, engine work (ui.cached_view_at, {tc['n']:,} rows)", ms(_median(tc["engine"])),
         f"{_median(tc['engine']) / _median(ref):.2f}", "≤ 50 ms",
         "met" if _median(tc["engine"]) <= 0.05 else "MISSED"),
        (f"t change, engine exact maps.transform(X, z, t) on {tc['n']:,} × {tc['d']} (reference)",
         ms(_median(tc["exact"])), f"{_median(tc['exact']) / _median(ref):.2f}", "-", "-"),
        ("t change, page re-render, AppTest full rerun", ms(_median(tc["rerun"])),
         f"{_median(tc['rerun']) / _median(ref):.1f}", "≤ 300 ms",
         "met" if _median(tc["rerun"]) <= 0.3 else "MISSED"),
    ]
    if br is not None:
        bt, rt = _median(br["t_change"]), _median(bref["t_change"])
        hc = _median(br["home_cold"])
        rows += [
            ("Browser reference: cold load of a one-slider, one-chart (plotly) app (fresh server)",
             ms(_median(bref["cold"])), "1.0", "-", "-"),
            ("Home, cold first render, browser (fresh server and browser: imports + run + charts drawn)",
             ms(hc), f"{hc / _median(bref['cold']):.1f}", "≤ 3000 ms", "met" if hc <= 3 else "MISSED"),
            (f"Barycenter page on {args.dataset}, browser, cold", ms(br["bary_cold"]), "-", "-", "-"),
            ("Browser reference: key press -> rerun -> chart updated, idle (one-chart app)", ms(rt),
             "1.0", "-", "-"),
            ("t change, browser: key press -> fragment rerun -> 5 Vega-Lite panels updated, "
             "marker moved, idle", ms(bt), f"{bt / rt:.1f}", "≤ 300 ms", "met" if bt <= 0.3 else "MISSED"),
        ]
    cpu = cpu_model()
    try:
        load = os.getloadavg()
    except OSError:
        load = (float("nan"),) * 3
    browser_cold_note = "" if br is None else f"; {len(br['home_cold'])} fresh servers and browsers"
    head = [
        f"Command: `python benchmarks/bench_ui.py --dataset {args.dataset} --repeats {args.repeats}"
        f"{' --no-browser' if args.no_browser else ''}`",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; nproc = {os.cpu_count()}; CPU: {cpu}; "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (shared machine: noisy).",
        f"Medians of {args.repeats} runs (cold Home: {len(cold)} fresh processes in "
        f"AppTest{browser_cold_note}). "
        f"Dataset {args.dataset}: {tc['n']:,} rows × {tc['d']} features, gaussian barycenter "
        f"(fit {tc['fit_seconds']:.2f} s, "
        f"V = {tc['V']:.4g}).",
        "",
        "| measurement | median | ratio to reference | budget | status |",
        "|---|---:|---:|---|---|",
    ]
    table = "\n".join(head + [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows])
    detail = (
        "\nAll runs (s): " + json.dumps({
            "reference": [round(x, 4) for x in ref], "cold_home_apptest": [round(x, 3) for x in cold],
            "engine": [round(x, 5) for x in tc["engine"]],
            "exact_transform": [round(x, 4) for x in tc["exact"]],
            "apptest_rerun": [round(x, 4) for x in tc["rerun"]],
            **({"browser_cold_home": [round(x, 3) for x in br["home_cold"]],
                "browser_cold_reference": [round(x, 3) for x in bref["cold"]],
                "browser_t_change": [round(x, 4) for x in br["t_change"]],
                "browser_reference_t_change": [round(x, 4) for x in bref["t_change"]]} if br else {}),
        })
    )
    if br is not None:
        detail += (f"\n\nCharts replaced (unmounted and drawn anew) by one t step: {br['replaced']} of "
                   f"{br['charts']} charts on the page (the others updated in place or untouched).")
    if raw is not None:
        detail += (
            "\n\nFor comparison, the plotly versions of the five panels (what each t step cost when the "
            "page drew them with plotly): `Plotly.newPlot` alone in the same Chromium, no Streamlit, "
            "median ms per figure: "
            + "; ".join(f"{k} {v:.0f}" for k, v in raw.items()) + f"; sum {sum(raw.values()):.0f} ms."
        )
    print(table + "\n" + detail)
    if args.out:
        args.out.write_text(table + "\n" + detail + "\n")


if __name__ == "__main__":
    main()
