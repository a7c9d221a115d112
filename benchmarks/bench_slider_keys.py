"""Fast t-slider input in a real browser (issue 16): lost presses, frozen pages, and the cost of a step.

Two servers of this branch run side by side, identical but for Streamlit's ForwardMsg cache:
``cache on`` (Streamlit's default, ``--global.minCachedMessageSize 10000``) and ``cache off`` (this
project's config, ``1e12``). For each, alternating, every repeat opens the barycenter page in a fresh
Chromium context and

1. presses the t slider's arrow keys 60 times at 50 ms (the pattern of ``tests/browser/test_slider_keys.py``,
   which should end at t = 0.50) and records whether the page became idle within 60 s, the t it ended at,
   and any "Cached ForwardMsg MISS" in the browser console;
2. times 5 single steps (key press -> script idle -> the frontier marker at the new t); the median is the
   step time.

Usage: python benchmarks/bench_slider_keys.py [--dataset toy-gaussians] [--repeats 4]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, JS_VEGA_CURRENT_T, open_page, slider_input  # noqa: E402
from test_slider_keys import PATTERN, _expected  # noqa: E402

CONFIGS = {"cache on (Streamlit default)": "10000", "cache off (this config)": "1e12"}


def start(port: int, min_size: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
         str(port), "--server.fileWatcherType", "none", "--global.minCachedMessageSize", min_size],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("server did not start")


def idle(page, timeout_ms: int) -> bool:
    sel = "[data-testid='stApp'][data-test-script-state='notRunning']"
    try:
        for _ in range(2):
            page.wait_for_timeout(400)
            page.wait_for_selector(sel, timeout=timeout_ms)
        return True
    except Exception:  # noqa: BLE001 - a timeout is the measurement
        return False


def one_repeat(browser, url: str) -> dict:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    open_page(page, url + "/barycenter?t=0")
    slider = slider_input(page, "how far along the path")
    slider.focus()
    for key, n in PATTERN:
        for _ in range(n):
            page.keyboard.press(key)
            page.wait_for_timeout(50)
    ok = idle(page, 60_000)
    final = slider.get_attribute("aria-valuetext") if ok else None
    steps = []
    if ok:
        t = float(final)
        for _ in range(5):
            key, t = ("ArrowRight", round(t + 0.05, 2)) if t < 0.9 else ("ArrowLeft", round(t - 0.05, 2))
            t0 = time.perf_counter()
            page.keyboard.press(key)
            at_t = f"() => ({JS_VEGA_CURRENT_T})('Utility vs leakage') === {t:g}"
            page.wait_for_function(at_t, timeout=60_000)
            idle(page, 60_000)
            steps.append(time.perf_counter() - t0)
    ctx.close()
    return {"idle": ok, "final": final, "miss": any("ForwardMsg MISS" in c for c in console),
            "step": statistics.median(steps) if steps else float("nan")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=4)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    want = f"{_expected(0.0):.2f}"
    ports = {name: 8600 + i for i, name in enumerate(CONFIGS)}
    procs = {name: start(ports[name], size) for name, size in CONFIGS.items()}
    results: dict[str, list[dict]] = {name: [] for name in CONFIGS}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for _ in range(args.repeats):
                for name in CONFIGS:  # alternate, so load drifts hit both alike
                    results[name].append(one_repeat(browser, f"http://127.0.0.1:{ports[name]}"))
            browser.close()
    finally:
        for p in procs.values():
            p.terminate()
            p.wait(timeout=15)
    print(f"| server | runs | froze (not idle in 60 s) | ForwardMsg MISS | ended at t = {want} "
          "| median step s |")
    print("|---|---|---|---|---|---|")
    for name, rs in results.items():
        steps = [r["step"] for r in rs if r["idle"]]
        print(f"| {name} | {len(rs)} | {sum(not r['idle'] for r in rs)} | {sum(r['miss'] for r in rs)} | "
              f"{sum(r['final'] == want for r in rs)} | "
              f"{statistics.median(steps) if steps else float('nan'):.3f} |")


if __name__ == "__main__":
    main()
