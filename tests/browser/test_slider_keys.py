"""Fast key presses on the t slider are never lost (issue 16).

The slider is bound to the session state through ``ui.bound_key``. When that re-seeded the widget on
every run, each run sent its (older) value back to the browser, overwriting presses that arrived while
it ran: 6 of 8 runs of 120 presses ended at the wrong t. 60 presses at 50 ms intervals here, in a
pattern that never reaches an end of [0, 1] (so a lost press cannot be hidden by clamping) and ends at
t = 0.50.
"""

from __future__ import annotations

import pytest
from browser_helpers import JS_VEGA_CURRENT_T, assert_no_exception, open_page, slider_input, wait_idle

# (key, presses): 0 -> 0.80 -> 0.20 -> 0.90 -> 0.50 -> 0.75 -> 0.50; never 0 or 1 after the start
PATTERN = [("ArrowRight", 16), ("ArrowLeft", 12), ("ArrowRight", 14), ("ArrowLeft", 8), ("ArrowRight", 5),
           ("ArrowLeft", 5)]
STEP = 0.05


def _expected(start: float) -> float:
    t = start
    for key, n in PATTERN:
        for _ in range(n):
            t = min(1.0, max(0.0, t + (STEP if key == "ArrowRight" else -STEP)))
            assert 0.0 < t < 1.0
    return round(t, 2)


def test_sixty_fast_arrow_presses_on_the_t_slider_all_count(app_url, browser_page):
    assert sum(n for _, n in PATTERN) == 60
    final = _expected(0.0)
    assert final == pytest.approx(0.5)
    page = browser_page
    console = []  # a frozen run shows why here (e.g. Streamlit's "Cached ForwardMsg MISS")
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    open_page(page, app_url + "/barycenter?t=0")
    slider = slider_input(page, "how far along the path")
    assert slider.get_attribute("aria-valuetext") == "0.00"
    slider.focus()
    for key, n in PATTERN:
        for _ in range(n):
            page.keyboard.press(key)
            page.wait_for_timeout(50)
    try:
        wait_idle(page, settle_ms=1000)
    except Exception as exc:  # noqa: BLE001 - re-raised with the browser's console, which says why
        raise AssertionError(
            f"the app did not become idle after the presses; console: {console[-5:]}"
        ) from exc
    in_url = f"() => new URL(location.href).searchParams.get('t') === '{final:g}'"
    page.wait_for_function(in_url, timeout=60_000)
    assert slider.get_attribute("aria-valuetext") == f"{final:.2f}"
    # the engine computed the panels at that t (the frontier's "current" marker is drawn from the state)
    page.wait_for_function(f"() => ({JS_VEGA_CURRENT_T})('Utility vs leakage') === {final:g}", timeout=60_000)
    assert_no_exception(page)
