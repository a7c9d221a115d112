"""Measure the explorer's long waits on Adult in Chromium, as a user meets them (issue 15, honest waits).

Run from the project root (or from any copy of the project, to measure another version):

    python benchmarks/bench_waits.py [--port 8620] [--root PATH] [--out results.json]

One fresh ``streamlit run app.py`` server (cold caches) and one Chromium session walk through:

1. a cold deep link ``/barycenter?dataset=adult`` (the first request to the fresh server);
2. the sidebar's Z switched to ``race``, then 3. to ``age`` (Feature unlearning page);
4. the seed changed from 0 to 1;
5. the Trained frontier page, Z back to ``sex``, then "Run sweep" (the sweep and the analytic overlay);
6. the Audit & export page on that view.

For each step it records, from the moment of the action (wall clock, ``time.perf_counter``):

- ``feedback_s``: the first moment a progress element (``st.status``, ``st.progress`` or a spinner) is
  on screen;
- ``done_s``: the moment the script is idle (and stays so for 0.6 s, which is not counted) with every
  chart drawn: what the user waited;
- ``stale_charts``: the largest number of charts from the previous view still on the page (Streamlit
  marks them ``data-stale``) while the step ran, and ``stale_visible``, how many of them were shown at
  more than 60% opacity more than 2 s after the rerun started (unmarked old panels under the new title);
- ``shown_wait``: the longest waiting time the page itself reports afterwards (text "waited … s").

The machine is shared (2 cores): absolute times are noisy; run ``uptime`` beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

PROBE = """() => {
  const q = s => document.querySelectorAll(s);
  const app = document.querySelector("[data-testid='stApp']");
  const charts = [...q('[data-testid=stPlotlyChart], [data-testid=stVegaLiteChart]')];
  const stale = charts.filter(c => c.closest('[data-stale=true]'));
  const staleVisible = stale.filter(c => {
    let e = c, op = 1;
    while (e && e !== document.body) {
      op *= parseFloat(getComputedStyle(e).opacity || '1'); e = e.parentElement;
    }
    return op > 0.6 && c.getBoundingClientRect().height > 0;
  });
  const drawn = q('[data-testid=stPlotlyChart] .main-svg, [data-testid=stVegaLiteChart] canvas, '
                  + '[data-testid=stVegaLiteChart] svg.marks').length;
  const feedback = q("[data-testid=stProgress], [data-testid=stSpinner], "
                     + "[data-testid=stExpanderIconSpinner]").length;
  return {running: app ? app.getAttribute('data-test-script-state') !== 'notRunning' : true,
          charts: charts.length, drawn: drawn, stale: stale.length, staleVisible: staleVisible.length,
          feedback: feedback};
}"""


def _wait_server(url: str, proc, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("streamlit did not start")


def measure(page, action, *, timeout: float = 240.0) -> dict:
    """Run ``action`` and poll the page every 100 ms until the script is idle for 0.6 s and charts drawn."""
    start = time.perf_counter()
    action()
    feedback = None
    stale_max = stale_vis = 0
    stale_since = None
    idle_since = None
    seen_running = False
    while True:
        now = time.perf_counter() - start
        if now > timeout:
            raise TimeoutError(f"still running after {timeout} s")
        p = page.evaluate(PROBE)
        seen_running |= p["running"]
        if p["feedback"] and feedback is None:
            feedback = now
        stale_max = max(stale_max, p["stale"])
        if p["stale"] and stale_since is None:
            stale_since = now  # the rerun has started: the browser marks the old elements stale
        if stale_since is not None and now - stale_since > 2.0:  # old panels must be faded (or gone) by now
            stale_vis = max(stale_vis, p["staleVisible"])
        ready = not p["running"] and p["drawn"] >= p["charts"] and (seen_running or now > 1.5)
        if ready:
            idle_since = idle_since if idle_since is not None else now
            if now - idle_since >= 0.6:
                break
        else:
            idle_since = None
        page.wait_for_timeout(100)
    text = page.locator("[data-testid=stMain]").inner_text()
    shown = [float(v) for v in re.findall(r"[Ww]aited ([0-9.]+) s", text)]
    return {"feedback_s": None if feedback is None else round(feedback, 2), "done_s": round(idle_since, 2),
            "stale_charts": stale_max, "stale_visible": stale_vis,
            "shown_wait": max(shown) if shown else None}


def _select(page, label: str, option: str) -> None:
    box = page.locator("[data-testid=stSelectbox]").filter(has_text=label).first
    box.click()
    page.get_by_role("option", name=option, exact=True).click()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8620)
    ap.add_argument("--root", default=str(ROOT), help="the project copy to serve")
    ap.add_argument("--out", default="")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds one step may take")
    ap.add_argument("--quick", default="", metavar="DATASET",
                    help="only the cold link and the seed change, on DATASET (e.g. crime): a short check")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    url = f"http://127.0.0.1:{args.port}"
    log = open(Path(tempfile.gettempdir()) / f"bench-waits-server-{args.port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
         str(args.port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"],
        cwd=args.root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    results: dict[str, dict] = {}
    try:
        _wait_server(url, proc)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(int(args.timeout * 1000))
            steps = [
                ("cold deep link /barycenter (Adult)",
                 lambda: page.goto(url + "/barycenter?dataset=adult", wait_until="commit")),
                ("Z -> race", lambda: _select(page, "Sensitive attribute", "race")),
                ("Z -> age", lambda: _select(page, "Sensitive attribute", "age")),
                ("seed 0 -> 1", lambda: (page.locator("[data-testid=stNumberInput]").filter(has_text="Seed")
                                         .locator("input").fill("1"), page.keyboard.press("Enter"))),
                ("Trained frontier page (Z = age, seed 1)",
                 lambda: page.locator("[data-testid=stSidebarNav] a").filter(has_text="Trained frontier")
                 .click()),
                ("Z -> sex on Trained frontier", lambda: _select(page, "Sensitive attribute", "sex")),
                ("Run sweep + analytic overlay",
                 lambda: page.get_by_role("button", name=re.compile("Run sweep")).click()),
                ("Audit & export page", lambda: page.locator("[data-testid=stSidebarNav] a")
                 .filter(has_text="Audit").click()),
            ]
            if args.quick:  # the same page and seed change on another (smaller) dataset
                steps = [(f"cold deep link /barycenter ({args.quick})",
                          lambda: page.goto(url + f"/barycenter?dataset={args.quick}", wait_until="commit")),
                         steps[3]]
            for name, action in steps:
                try:
                    results[name] = measure(page, action, timeout=args.timeout)
                except Exception as exc:  # noqa: BLE001 - a step that fails is reported, the rest still run
                    results[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                print(f"{name:45s} {results[name]}", flush=True)
            browser.close()
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)
        log.close()
    results["_uptime"] = {"uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()}
    print(results["_uptime"]["uptime"])
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
