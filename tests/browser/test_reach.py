"""Reach, in a real Chromium: dark and light themes, a 390 px phone, no request off the machine, presenter
links, keyboard access to frontier points (issue 15, part C).

Screenshots go to ``test-artifacts/screenshots/`` (listed in benchmarks/results/issue-15c.md).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from browser_helpers import (
    ARTIFACTS,
    TIMEOUT_MS,
    assert_no_exception,
    open_page,
    slider_input,
    vega_current_t,
    wait_idle,
)

from ui import presenter

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "screenshots"
TOY = "dataset=toy-gaussians"
PAGES = ("", "barycenter", "trained", "forget", "images", "leakage", "audit")


@pytest.fixture()
def context_factory(chromium_browser):
    made = []

    def make(**kw):
        ctx = chromium_browser.new_context(**{"viewport": {"width": 1400, "height": 1000}, **kw})
        made.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        return page

    yield make
    for ctx in made:
        ctx.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def luminance(css_color: str) -> float:
    """Relative luminance (WCAG) of an ``rgb(...)`` / ``rgba(...)`` colour."""
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css_color)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


JS_COLOURS = """() => {
  const fill = sel => [...document.querySelectorAll(sel)].map(e => getComputedStyle(e).fill).filter(Boolean);
  return {
    app: getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor,
    h1: getComputedStyle(document.querySelector('[data-testid=stMain] h1')).color,
    vegaText: fill('[data-testid=stVegaLiteChart] .role-axis-label text, '
                   + '[data-testid=stVegaLiteChart] .role-axis-title text, '
                   + '[data-testid=stVegaLiteChart] .role-title-text text, '
                   + '[data-testid=stVegaLiteChart] .role-title-subtitle text'),
    plotlyText: fill('[data-testid=stPlotlyChart] .xtick text, [data-testid=stPlotlyChart] .ytick text, '
                     + '[data-testid=stPlotlyChart] .gtitle'),
  };
}"""


def contrast(a: float, b: float) -> float:
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_the_system_theme_is_honoured_and_chart_text_is_readable(app_url, context_factory, scheme):
    page = context_factory(color_scheme=scheme)
    open_page(page, f"{app_url}/barycenter?{TOY}&t=0.5")
    page.wait_for_timeout(500)
    assert_no_exception(page)
    c = page.evaluate(JS_COLOURS)
    bg = luminance(c["app"])
    if scheme == "dark":
        assert bg < 0.05, c["app"]
        assert luminance(c["h1"]) > 0.6, c["h1"]
    else:
        assert bg > 0.9, c["app"]
        assert luminance(c["h1"]) < 0.1, c["h1"]
    assert c["vegaText"] and c["plotlyText"], c
    # every axis label, axis title, chart title and subtitle reads on this background (WCAG large-text 3:1)
    for colour in c["vegaText"] + c["plotlyText"]:
        assert contrast(luminance(colour), bg) >= 3.0, (scheme, colour, c["app"])
    shot(page, f"reach-{scheme}-barycenter")
    page.mouse.move(700, 500)
    page.mouse.wheel(0, 900)
    page.wait_for_timeout(800)
    shot(page, f"reach-{scheme}-barycenter-charts")


JS_KATEX = """() => [...document.querySelectorAll('[data-testid=stMain] .katex-display')].map(d => {
  const box = d.closest('[data-testid=stElementContainer]').getBoundingClientRect();
  const k = d.querySelector('.katex').getBoundingClientRect();
  return {scroll: d.scrollWidth, client: d.clientWidth, left: k.left - box.left, right: box.right - k.right};
})"""


def test_phone_width_formulas_fit_thumbnails_readable_slider_near_charts(app_url, context_factory):
    page = context_factory(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    open_page(page, f"{app_url}/?{TOY}")
    assert_no_exception(page)
    formulas = page.evaluate(JS_KATEX)
    assert len(formulas) >= 3
    for f in formulas:  # nothing cut off, nothing to scroll: the formula fits its box
        assert f["scroll"] <= f["client"] + 2 and f["left"] >= -1 and f["right"] >= -1, f
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "reach-390-home")

    open_page(page, f"{app_url}/barycenter?{TOY}&t=0.5")
    gap = page.evaluate("""() => {
      const s = document.querySelector('.st-key-_w_t').getBoundingClientRect();
      const charts = [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
        .map(c => c.getBoundingClientRect().top).filter(t => t > s.bottom);
      return Math.min(...charts) - s.bottom;
    }""")
    assert gap < 250, f"the first chart is {gap:.0f} px below the t slider"
    shot(page, "reach-390-barycenter")

    open_page(page, f"{app_url}/images?dataset=digits")  # the image page works on image data only
    widths = page.evaluate("""() => [...document.querySelectorAll('[data-testid=stImage] img')]
                                .map(i => i.getBoundingClientRect().width)""")
    assert widths and min(widths) >= 500, widths  # 8 thumbnails a row: >= 60 px each, not slivers
    shot(page, "reach-390-images")


@pytest.mark.slow
def test_no_request_leaves_the_machine_and_every_page_reads_in_the_dark(app_url, context_factory):
    page = context_factory(color_scheme="dark")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    for p in PAGES:
        open_page(page, f"{app_url}/{p}?{TOY}")
        page.wait_for_timeout(1500)  # favicon, fonts, late chart assets
        assert_no_exception(page)
        c = page.evaluate(JS_COLOURS)
        bg = luminance(c["app"])
        assert bg < 0.05, (p, c["app"])
        low = sorted({x for x in c["vegaText"] + c["plotlyText"] if contrast(luminance(x), bg) < 3.0})
        assert not low, (p, low)
        shot(page, f"reach-dark-{p or 'home'}")
    host = urlparse(app_url).hostname
    off = sorted({u for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")
                  and urlparse(u).hostname != host})
    assert not off, off
    assert any("/media/" in u for u in requests)  # the favicon, served by this server


def test_a_presenter_link_opens_its_step_and_next_moves_on(app_url, context_factory):
    sto = presenter.STORIES["barycenter"]
    page = context_factory()
    open_page(page, f"{app_url}/barycenter?{TOY}&present=1&step=3")
    assert_no_exception(page)
    box = page.locator(".st-key-presenter_story")
    assert sto.steps[2].text in box.inner_text()
    assert "step 3 of" in box.inner_text()
    # the view of step 3: t = 1 on the slider, in the URL and on the frontier's diamond
    assert slider_input(page, "t: how far").get_attribute("aria-valuetext") == "1.00"
    assert vega_current_t(page, "Utility vs leakage") == pytest.approx(1.0)
    q = parse_qs(urlparse(page.url).query)
    assert q["t"] == ["1"] and q["present"] == ["1"] and q["step"] == ["3"]
    # hidden: the lesson-mode controls, the story's listed downloads and the technical captions
    assert page.get_by_text("Leakage axis of the frontier").count() == 0
    assert not page.locator(".st-key-dl_data").is_visible()
    captions = page.locator("[data-testid=stMain] [data-testid=stCaptionContainer]")
    assert captions.count() > 0 and not any(captions.nth(i).is_visible() for i in range(captions.count()))
    zoom = page.evaluate("getComputedStyle(document.querySelector('[data-testid=stMainBlockContainer]'))"
                         ".zoom")
    assert float(zoom) == pytest.approx(presenter.SCALE)
    for chart in page.locator("[data-testid=stMain] [data-testid=stVegaLiteChart]").all()[:2]:
        col = chart.locator("xpath=ancestor::*[@data-testid='stColumn'][1]").bounding_box()
        rect = chart.bounding_box()  # zoomed charts still fit their column
        assert rect["x"] >= col["x"] - 1 and rect["x"] + rect["width"] <= col["x"] + col["width"] + 1
    shot(page, "reach-presenter-barycenter-step3")
    # a click on a frontier point still selects its t in the zoomed main area
    points = page.locator("[data-testid=stVegaLiteChart]").filter(has_text="Utility vs leakage") \
        .locator("g.sweep_marks path")
    target = float(points.nth(3).get_attribute("aria-label").split("t: ")[1].split(";")[0])
    points.nth(3).scroll_into_view_if_needed()
    pt = points.nth(3).bounding_box()
    page.mouse.click(pt["x"] + pt["width"] / 2, pt["y"] + pt["height"] / 2)
    page.wait_for_function(f"() => new URL(location.href).searchParams.get('t') === '{target:g}'",
                           timeout=TIMEOUT_MS)
    wait_idle(page)
    box.get_by_role("button", name="Next").click()
    page.wait_for_function("() => location.search.includes('step=4')", timeout=TIMEOUT_MS)
    wait_idle(page)
    assert sto.steps[3].text in page.locator(".st-key-presenter_story").inner_text()
    assert parse_qs(urlparse(page.url).query)["method"] == ["gaussian"]


def test_frontier_points_are_reachable_with_the_keyboard(app_url, context_factory):
    page = context_factory()
    open_page(page, f"{app_url}/barycenter?{TOY}&t=0.5")
    slider_input(page, "t: how far").focus()
    for _ in range(40):  # Tab through the page from the slider to the list of frontier points
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('.st-key-frontier_points input')"):
            break
    else:
        pytest.fail("Tab never reached the frontier points")
    page.keyboard.press("ArrowDown")  # open the list
    page.keyboard.press("ArrowDown")  # the next point
    page.keyboard.press("Enter")
    page.wait_for_function("() => new URLSearchParams(location.search).get('t') !== '0.5'",
                           timeout=TIMEOUT_MS)
    wait_idle(page)
    t = float(parse_qs(urlparse(page.url).query)["t"][0])
    assert t != 0.5 and 0.0 <= t <= 1.0
    assert slider_input(page, "t: how far").get_attribute("aria-valuetext") == f"{t:.2f}"
