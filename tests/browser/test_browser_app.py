"""Real browser (Chromium via Playwright): pages load, the t slider and frontier clicks work, screenshots."""

from __future__ import annotations

import pytest
from browser_helpers import (
    ARTIFACTS,
    CHART_DRAWN,
    TIMEOUT_MS,
    assert_no_exception,
    figure_trace,
    open_page,
    screenshot,
    slider_input,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = {"home": "/", "barycenter": "/barycenter"}


def test_a_deep_link_on_a_fresh_server_reopens_the_view(app_url, browser_page):
    """First request of the server: Streamlit would run pages/barycenter.py without app.py (legacy
    pages/ folder mode) unless the page reroutes through the frame (ui.nav.ensure_frame)."""
    page = browser_page
    open_page(page, app_url + "/barycenter?method=marginal&t=0.25&seed=3")
    assert "Feature unlearning" in page.locator("h1").first.inner_text()
    assert page.locator("[data-testid='stSidebar']").get_by_text("Lesson mode").count() == 1  # the frame ran
    assert slider_input(page, "how far along the path").get_attribute("aria-valuetext") == "0.25"
    assert "method=marginal" in page.url and "seed=3" in page.url
    assert_no_exception(page)
    open_page(page, app_url + "/?page=barycenter&t=0.7")
    assert "Feature unlearning" in page.locator("h1").first.inner_text()
    assert slider_input(page, "how far along the path").get_attribute("aria-valuetext") == "0.70"
    assert ARTIFACTS.is_dir()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_without_an_exception(app_url, browser_page, name):
    open_page(browser_page, app_url + PAGES[name])
    assert_no_exception(browser_page)
    # wait_plots in open_page is vacuous while no chart is mounted yet (0 >= 0): wait for one to appear
    browser_page.wait_for_selector(CHART_DRAWN, timeout=TIMEOUT_MS)
    assert browser_page.locator("[data-testid='stAlertContentError']").count() == 0
    path = screenshot(browser_page, f"page-{name}")
    assert path.stat().st_size > 10_000
    # Every view is mirrored to the URL, so the address bar is a shareable link.
    assert "dataset=toy-gaussians" in browser_page.url


def test_t_slider_keyboard_and_frontier_click_move_the_marker(app_url, browser_page):
    page = browser_page
    open_page(page, app_url + "/barycenter?t=0.5")
    before = figure_trace(page, "Utility vs leakage", "current")
    assert before is not None and before["customdata"][0] == pytest.approx(0.5)
    slider = slider_input(page, "how far along the path")
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    wait_idle(page)
    page.wait_for_function("() => new URL(location.href).searchParams.get('t') === '0.6'", timeout=60_000)
    after = figure_trace(page, "Utility vs leakage", "current")
    assert after["customdata"][0] == pytest.approx(0.6)
    assert (after["x"][0], after["y"][0]) != (before["x"][0], before["y"][0])
    assert slider.get_attribute("aria-valuetext") == "0.60"
    assert_no_exception(page)
    screenshot(page, "barycenter-t-0.60")

    # Clicking a frontier point selects its t (plotly selection event -> rerun).
    sweep = figure_trace(page, "Utility vs leakage", "sweep over t")
    k = 3
    target_t = sweep["customdata"][k]
    chart = page.locator(".js-plotly-plot").filter(has_text="Utility vs leakage")
    point = chart.locator(".scatterlayer .trace").first.locator(".points path").nth(k)
    box = point.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_idle(page)
    page.wait_for_function(f"() => new URL(location.href).searchParams.get('t') === '{target_t:g}'",
                           timeout=60_000)
    cur = figure_trace(page, "Utility vs leakage", "current")
    assert cur["customdata"][0] == pytest.approx(target_t)
    assert slider.get_attribute("aria-valuetext") == f"{target_t:.2f}"
    assert_no_exception(page)




def test_home_demo_preview_moves_the_points_in_the_browser(app_url, browser_page):
    """The mini-demo's "preview t" slider redraws the points with no round trip to the server."""
    page = browser_page
    open_page(page, app_url + "/")
    page.wait_for_selector("[data-testid=stVegaLiteChart] svg.marks .mark-symbol path", timeout=TIMEOUT_MS)
    chart = page.locator("[data-testid=stVegaLiteChart]").first
    preview = chart.locator("input[type=range]")
    assert preview.count() == 1 and float(preview.input_value()) == pytest.approx(0.5)
    # Vega draws each point as an SVG path placed by its transform: read where the points are.
    where = "(c) => [...c.querySelectorAll('.mark-symbol.role-mark path')].map(p => p.getAttribute('transform'))"
    before = chart.evaluate(where)
    assert len(before) == 600
    page.evaluate("""() => { window.__scriptRuns = 0; const app = document.querySelector("[data-testid='stApp']");
        new MutationObserver(() => { if (app.getAttribute('data-test-script-state') === 'running') window.__scriptRuns++; })
          .observe(app, {attributes: true}); }""")
    preview.fill("1")
    page.wait_for_function(f"(b) => ({where})(document.querySelector('[data-testid=stVegaLiteChart]'))[0] !== b",
                           arg=before[0], timeout=10_000)
    moved = chart.evaluate(where)
    assert sum(a != b for a, b in zip(moved, before, strict=True)) > 500  # the points moved
    preview.fill("0.5")
    page.wait_for_timeout(300)
    assert chart.evaluate(where) == before  # the same t puts every point back
    assert page.evaluate("() => window.__scriptRuns") == 0  # all in the browser: the script never reran
    assert_no_exception(page)
