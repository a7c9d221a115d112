"""Real browser (Chromium): the Results page opens an uploaded .zip of a batch run and draws its frontier."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from browser_helpers import assert_no_exception, open_page, screenshot, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "assets" / "precomputed" / "adult-analytic"


def test_results_page_opens_an_uploaded_zip(app_url, browser_page, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sorted(SHIPPED.iterdir()):
            zf.write(f, "adult-analytic/" + f.name)
    archive = tmp_path / "adult-analytic.zip"
    archive.write_bytes(buf.getvalue())

    page = browser_page
    open_page(page, app_url + "/?page=results")
    page.get_by_text("an uploaded .zip archive").click()
    wait_idle(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(archive))
    drawn = "[data-testid=stVegaLiteChart] svg.marks, [data-testid=stVegaLiteChart] canvas"
    page.wait_for_selector(drawn, timeout=120_000)
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text("Loaded", exact=False).first.is_visible()
    assert page.get_by_text("adult-analytic.zip", exact=False).count() > 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    screenshot(page, "results-page-zip")
