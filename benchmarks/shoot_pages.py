"""Screenshots of every page for the reader's check (issue 15): default dataset, Adult, Crime + gaussian.

Run from the project root:

    python benchmarks/shoot_pages.py [--port 8624] [--out test-artifacts/screenshots]

Starts one ``streamlit run serve.py`` server (the README's command), opens each page in Chromium
(1280 px wide, a tall viewport: Streamlit scrolls its own container, so a full-page shot would cut),
waits until the script is idle and every chart is drawn (on Adult the Trained frontier's "Run sweep" is
pressed first), and saves a PNG reduced to a 256-colour palette (about a third of the size). Prints
each file with the time it took. Home is opened at "/" (its address), the other pages at "/<page>".
"""

from __future__ import annotations

import argparse
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
PAGES = ["home", "barycenter", "trained", "forget", "images", "leakage", "audit"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
CHARTS = ("() => document.querySelectorAll('[data-testid=stPlotlyChart] .main-svg, "
          "[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg.marks').length >= "
          "document.querySelectorAll("
          "'[data-testid=stPlotlyChart], [data-testid=stVegaLiteChart]').length")


def wait_ready(page, timeout_ms: int) -> None:
    for _ in range(3):
        page.wait_for_timeout(700)
        page.wait_for_selector(IDLE, timeout=timeout_ms)
    page.wait_for_function(CHARTS, timeout=timeout_ms)
    page.wait_for_timeout(800)


def shrink(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as im:
        im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8624)
    ap.add_argument("--out", default=str(ROOT / "test-artifacts" / "screenshots"))
    ap.add_argument("--only", default="", help="comma-separated shot names to take (default: all)")
    ap.add_argument("--root", default=str(ROOT), help="the project copy to serve (default: this one)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{args.port}"
    log = open(Path(tempfile.gettempdir()) / f"shoot-pages-{args.port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true", "--server.port",
         str(args.port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"],
        cwd=args.root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    def route(p: str) -> str:  # Home is the default page: its address is "/", not "/home"
        return "/" if p == "home" else f"/{p}"

    shots = [(f"{p}-default", route(p), None) for p in PAGES]
    shots += [(f"{p}-adult", f"{route(p)}?dataset=adult", "sweep" if p == "trained" else None)
              for p in PAGES]
    shots += [("barycenter-crime-gaussian", "/barycenter?dataset=crime&method=gaussian&t=1.0", None)]
    only = {s for s in args.only.split(",") if s}
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("streamlit did not start") from None
                time.sleep(0.3)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 2600})
            for name, path, action in shots:
                if only and name not in only:
                    continue
                start = time.perf_counter()
                try:
                    page.goto(url + path, wait_until="domcontentloaded")
                    wait_ready(page, 400_000)
                    if action == "sweep":
                        page.get_by_role("button", name=re.compile("Run sweep")).click()
                        wait_ready(page, 400_000)
                    file = out / f"{name}.png"
                    page.screenshot(path=str(file))
                    shrink(file)
                    took = time.perf_counter() - start
                    print(f"{file} {took:.1f} s {file.stat().st_size // 1024} KB", flush=True)
                except Exception as exc:  # noqa: BLE001 - one failed shot is reported, the others still run
                    print(f"{name}: FAILED {type(exc).__name__}: {str(exc)[:200]}", flush=True)
            browser.close()
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)
        log.close()


if __name__ == "__main__":
    main()
