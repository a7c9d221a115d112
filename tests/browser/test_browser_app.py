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
    charts = ("'.js-plotly-plot, [data-testid=stVegaLiteChart] svg.marks,"
              " [data-testid=stVegaLiteChart] canvas'")
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


def test_the_animated_path_plays_in_the_browser(app_url, browser_page):
    """The plotly view under the t panels carries 21 animation frames; ▶ plays them (no t slider of its
    own: the app has one t, issue 15)."""
    page = browser_page
    open_page(page, app_url + "/barycenter?t=0.5")
    gd = page.locator(".js-plotly-plot").filter(has_text="McCann path")
    gd.scroll_into_view_if_needed()
    n_frames = gd.evaluate("(g) => (g._transitionData && g._transitionData._frames || []).length")
    assert n_frames == 21
    assert gd.evaluate("(g) => (g._fullLayout.sliders || []).length") == 0
    where = ("(g) => [...g.querySelectorAll('.scatterlayer .points path')].slice(0, 20)"
             ".map(p => p.getAttribute('transform'))")
    before = gd.evaluate(where)
    gd.locator(".updatemenu-button").first.click()
    gd.evaluate("(g) => new Promise(r => setTimeout(r, 3000))")
    after = gd.evaluate(where)
    moved = sum(a != b for a, b in zip(after, before, strict=True))
    assert len(after) == 20 and moved >= 15
    assert_no_exception(page)


def test_home_t_is_the_apps_t_in_the_browser(app_url, browser_page):
    """Home's demo has one t (no "preview t" twin under the chart): its slider is the app's t, in the URL
    and carried to Feature unlearning."""
    page = browser_page
    open_page(page, app_url + "/?t=0.3")
    page.wait_for_selector("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg",
                           timeout=TIMEOUT_MS)
    chart = page.locator("[data-testid=stVegaLiteChart]").first
    assert chart.locator("input[type=range]").count() == 0
    assert slider_input(page, "t (0 = original").get_attribute("aria-valuetext") == "0.30"
    page.get_by_role("link", name="Feature unlearning").first.click()
    page.wait_for_function("() => location.pathname.endsWith('/barycenter')", timeout=TIMEOUT_MS)
    wait_idle(page)
    assert slider_input(page, "how far along the path").get_attribute("aria-valuetext") == "0.30"
    assert_no_exception(page)
