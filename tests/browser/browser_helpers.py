"""Helpers for the real-browser tests (Streamlit's DOM conventions, screenshots)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]
# Generous: the machine is shared and the first run imports torch, sklearn and POT.
TIMEOUT_MS = 90_000


def wait_idle(page, *, settle_ms: int = 500, timeout_ms: int = TIMEOUT_MS) -> None:
    """Wait until Streamlit has finished running the script and stays idle for ``settle_ms``.

    The app root carries ``data-test-script-state`` ("running" / "notRunning"); a rerun can start a
    moment after an interaction, so idleness must hold across two checks.
    """
    idle = "[data-testid='stApp'][data-test-script-state='notRunning']"
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    for _ in range(2):
        page.wait_for_timeout(settle_ms)
        page.wait_for_selector(idle, timeout=timeout_ms)


# A chart counts as drawn when plotly has its SVG, or Vega its canvas (or SVG marks).
CHART = "[data-testid=stPlotlyChart], [data-testid=stVegaLiteChart]"
CHART_DRAWN = (
    "[data-testid=stPlotlyChart] .main-svg, [data-testid=stVegaLiteChart] canvas, "
    "[data-testid=stVegaLiteChart] svg.marks"
)


def wait_plots(page, *, timeout_ms: int = TIMEOUT_MS) -> None:
    """Wait until every chart on the page (plotly or Vega-Lite) has drawn itself."""
    page.wait_for_function(
        f"() => document.querySelectorAll({CHART_DRAWN!r}).length >= "
        f"document.querySelectorAll({CHART!r}).length",
        timeout=timeout_ms,
    )


def open_page(page, url: str, *, timeout_ms: int = TIMEOUT_MS) -> None:
    """Open ``url`` and wait until the script is idle, the title is shown and every chart is drawn."""
    page.goto(url, wait_until="domcontentloaded")
    wait_idle(page, timeout_ms=timeout_ms)
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=timeout_ms)
    wait_plots(page, timeout_ms=timeout_ms)


def assert_no_exception(page) -> None:
    boxes = page.locator("[data-testid='stException']")
    assert boxes.count() == 0, f"exception box on the page: {boxes.first.inner_text()[:500]}"


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # Streamlit scrolls inside its own container, so full_page does not help: use a tall viewport.
    page.screenshot(path=str(path))
    return path


JS_FIGURE_TRACE = """([titlePart, traceName]) => {
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const title = String((gd.layout && gd.layout.title && (gd.layout.title.text || gd.layout.title)) || '');
    if (!title.includes(titlePart)) continue;
    const tr = (gd.data || []).find(d => d.name === traceName);
    if (!tr) return null;
    return {x: Array.from(tr.x || []), y: Array.from(tr.y || []),
            customdata: tr.customdata ? Array.from(tr.customdata).map(r => Array.isArray(r) ? r[0] : r) \
: null};
  }
  return null;
}"""


def figure_trace(page, title_part: str, trace_name: str) -> dict | None:
    """A trace of the plotly figure whose title contains ``title_part``, read from the live chart."""
    return page.evaluate(JS_FIGURE_TRACE, [title_part, trace_name])


def slider_input(page, label_part: str):
    """The range input of the Streamlit slider whose label contains ``label_part``."""
    return page.locator("[data-testid='stSlider']").filter(has_text=label_part).locator("input[type='range']")


JS_VEGA_CURRENT_T = """(title) => {
  for (const c of document.querySelectorAll('[data-testid=stVegaLiteChart]')) {
    const text = [...c.querySelectorAll('.role-title text')].map(e => e.textContent).join(' ');
    if (!text.includes(title)) continue;
    const p = c.querySelector('g.current_marks path');
    const m = p && /(?:^|; )t: ([-0-9.e]+)/.exec(p.getAttribute('aria-label') || '');
    return m ? parseFloat(m[1]) : null;
  }
  return null;
}"""


def vega_current_t(page, title_part: str) -> float | None:
    """The t of the "current" marker of the Vega-Lite chart titled like ``title_part``
    (from its ARIA label)."""
    return page.evaluate(JS_VEGA_CURRENT_T, title_part)
