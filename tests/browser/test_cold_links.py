"""A cold first request to a deep link (issue 15): the right page, no "Page not found" modal."""

from __future__ import annotations

import pytest
from browser_helpers import assert_no_exception, open_page, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_cold_first_request_to_leakage_shows_the_page_without_page_not_found(fresh_app_url, browser_page):
    """On a server's first request Streamlit routes as an old-style ``pages/`` app (``_mpa_v1``: a page per
    file, its URL the file's name) until ``st.navigation`` has run. ``/leakage`` named no file
    (``pages/leakage_lab.py``), so that first pass sent "Page not found" and ran app.py, which then showed
    the right page under the modal. The file is now ``pages/leakage.py``: the first pass runs it, and
    ``ensure_frame`` reroutes it through app.py."""
    page = browser_page
    open_page(page, fresh_app_url + "/leakage?seed=1")
    wait_idle(page)
    assert "Leakage lab" in page.locator("h1").first.inner_text()
    assert page.get_by_text("Page not found").count() == 0
    assert page.locator("[data-testid='stSidebar']").get_by_text("Lesson mode").count() == 1  # the frame ran
    assert "seed=1" in page.url and "page=leakage" in page.url
    assert_no_exception(page)
