"""Real browser (Chromium via Playwright): pages load, the t slider and frontier clicks work, screenshots."""

from __future__ import annotations

import pytest
from browser_helpers import (
    ARTIFACTS,
    CHART_DRAWN,
    JS_VEGA_CURRENT_T,
    TIMEOUT_MS,
    assert_no_exception,
    open_page,
    screenshot,
    slider_input,
    vega_current_t,
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


def _marker_xy(page) -> tuple[float, float]:
    """Screen position of the frontier's "current" marker (Vega places each mark with a transform)."""
    chart = page.locator("[data-testid=stVegaLiteChart]").filter(has_text="Utility vs leakage")
    box = chart.locator("g.current_marks path").first.bounding_box()
    return box["x"], box["y"]


def test_t_slider_keyboard_and_frontier_click_move_the_marker(app_url, browser_page):
    page = browser_page
    open_page(page, app_url + "/barycenter?t=0.5")
    assert vega_current_t(page, "Utility vs leakage") == pytest.approx(0.5)
    before = _marker_xy(page)
    charts = "'.js-plotly-plot, [data-testid=stVegaLiteChart] svg.marks, [data-testid=stVegaLiteChart] canvas'"
    # five Vega-Lite t panels (the transport on a canvas, the others as SVG) and the animated plotly view
    assert page.evaluate(f"() => document.querySelectorAll({charts}).length") == 6
    page.evaluate(f"() => document.querySelectorAll({charts}).forEach(d => {{ d.__kept = 1; }})")
    slider = slider_input(page, "how far along the path")
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    wait_idle(page)
    page.wait_for_function("() => new URL(location.href).searchParams.get('t') === '0.6'", timeout=60_000)
    page.wait_for_function(f"() => ({JS_VEGA_CURRENT_T})('Utility vs leakage') === 0.6", timeout=60_000)
    assert _marker_xy(page) != before
    assert slider.get_attribute("aria-valuetext") == "0.60"
    # The t panels were updated in place: no chart was unmounted and drawn again.
    assert page.evaluate(f"() => [...document.querySelectorAll({charts})].filter(d => !d.__kept).length") == 0
    assert_no_exception(page)
    screenshot(page, "barycenter-t-0.60")

    # Clicking a frontier point selects its t (Vega point selection -> rerun).
    chart = page.locator("[data-testid=stVegaLiteChart]").filter(has_text="Utility vs leakage")
    points = chart.locator("g.sweep_marks path")
    assert points.count() == 11  # ui.cache.FRONTIER_TS: every other slider step
    k = 3
    label = points.nth(k).get_attribute("aria-label")
    target_t = float(label.split("t: ")[1].split(";")[0])
    box = points.nth(k).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_idle(page)
    page.wait_for_function(f"() => new URL(location.href).searchParams.get('t') === '{target_t:g}'",
                           timeout=60_000)
    assert vega_current_t(page, "Utility vs leakage") == pytest.approx(target_t)
    assert slider.get_attribute("aria-valuetext") == f"{target_t:.2f}"
    assert_no_exception(page)


def test_the_animated_path_scrubs_in_the_browser(app_url, browser_page):
    """The plotly view under the t panels carries 21 animation frames; its slider moves the points."""
    page = browser_page
    open_page(page, app_url + "/barycenter?t=0.5")
    gd = page.locator(".js-plotly-plot").filter(has_text="McCann path")
    gd.scroll_into_view_if_needed()
    n_frames = gd.evaluate("(g) => (g._transitionData && g._transitionData._frames || []).length")
    assert n_frames == 21
    where = "(g) => [...g.querySelectorAll('.scatterlayer .points path')].slice(0, 20).map(p => p.getAttribute('transform'))"
    before = gd.evaluate(where)
    assert gd.evaluate("(g) => g._fullLayout.sliders[0].active") == 10  # opened at t = 0.5
    # Drag plotly's own slider (its grip) to the end of the rail: the last frame, t = 1.
    grip = gd.locator(".slider-grip-rect").first
    rail = gd.locator(".slider-rail-rect").first
    g, r = grip.bounding_box(), rail.bounding_box()
    page.mouse.move(g["x"] + g["width"] / 2, g["y"] + g["height"] / 2)
    page.mouse.down()
    page.mouse.move(r["x"] + r["width"] - 1, g["y"] + g["height"] / 2, steps=8)
    page.mouse.up()
    gd.evaluate("(g) => new Promise(r => setTimeout(r, 300))")
    assert gd.evaluate("(g) => g._fullLayout.sliders[0].active") == 20
    after = gd.evaluate(where)
    assert len(after) == 20 and sum(a != b for a, b in zip(after, before, strict=True)) >= 15  # the points moved
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
