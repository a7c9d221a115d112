"""Real browser (Chromium via Playwright): the Image unlearning page on the shipped digits.

The page renders the grid of originals and images at t, a t change (keyboard on the slider) redraws
the grid with different pixels, and the PNG export downloads a real PNG. Screenshots go to
``test-artifacts/images-*.png``.
"""

from __future__ import annotations

import pytest
from browser_helpers import TIMEOUT_MS, assert_no_exception, open_page, screenshot, slider_input, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GRID = "[data-testid='stImage'] img, [data-testid='stFullScreenFrame'] img"


def _grid_src(page) -> str:
    page.wait_for_selector(GRID, timeout=TIMEOUT_MS)
    return page.locator(GRID).first.get_attribute("src") or ""


def test_images_page_grid_updates_with_t_and_png_downloads(app_url, browser_page, tmp_path):
    page = browser_page
    open_page(page, app_url + "/?page=images&dataset=digits&t=0.0")  # the page uses the sidebar's images
    assert "Image unlearning" in page.locator("h1").first.inner_text()
    # the first visit fits the barycenter and computes the frontier: wait for both charts to draw
    page.wait_for_selector(
        "[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg.marks",
        timeout=3 * TIMEOUT_MS,
    )
    wait_idle(page)
    assert_no_exception(page)
    before = _grid_src(page)
    assert before
    screenshot(page, "images-t0")

    slider = slider_input(page, "how far along the path")
    slider.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    wait_idle(page)
    assert slider.get_attribute("aria-valuetext") == "0.50"
    page.wait_for_function(
        "([sel, old]) => { const i = document.querySelector(sel); "
        "return i && i.getAttribute('src') !== old; }",
        arg=[GRID, before],
        timeout=TIMEOUT_MS,
    )
    assert "t=0.5" in page.url
    assert_no_exception(page)
    screenshot(page, "images-t05")

    button = page.locator("[data-testid='stDownloadButton']").filter(has_text="Image grid (PNG)")
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        button.locator("button").click()
    path = tmp_path / "grid.png"
    info.value.save_as(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    assert info.value.suggested_filename.endswith("t0.50.png")
