"""ui.warmup and serve.py: the start-up warm-up fills the caches a first visit needs, never slows a running
page, never takes the server down, and can be turned off."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_serve_py_is_an_asgi_app_streamlit_run_discovers():
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(ROOT / "serve.py")
    assert found.is_asgi_app and found.app_name == "app"


def test_warm_up_fills_the_caches_a_first_visit_on_adult_reads():
    from ui import precomputed, warmup
    from ui.cache import _load, data_key

    _load.clear()
    precomputed._data_sha256.clear()
    timings = warmup.warm_up()
    assert list(timings) == [name for name, _, _ in warmup.STEPS]  # every step ran, none failed
    assert all(v >= 0 for v in timings.values())
    # the Feature-unlearning page's shipped view on Adult: data and hash now come from the caches
    key = data_key("adult", sensitive="sex", seed=0)
    t0 = time.perf_counter()
    precomputed._data_sha256(key)
    _load(key)
    assert time.perf_counter() - t0 < 0.05, "Adult and its hash were not in the caches after the warm-up"


def test_a_failing_step_is_logged_and_ends_the_warm_up(monkeypatch, caplog):
    from ui import warmup

    ran = []

    def boom() -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(warmup, "STEPS", (("first", lambda: ran.append(1), False), ("boom", boom, False),
                                          ("never", lambda: ran.append(3), False)))
    with caplog.at_level("ERROR"):
        timings = warmup.warm_up()  # does not raise
    assert ran == [1] and list(timings) == ["first"]
    assert "boom" in caplog.text and "disk on fire" in caplog.text
    assert warmup.wait(0)  # finished (a waiter is never left hanging)


def test_heavy_steps_wait_while_a_session_script_runs(monkeypatch):
    from ui import warmup

    monkeypatch.setattr(warmup, "QUIET_S", 0.2)
    release = threading.Event()
    script = threading.Thread(target=release.wait, name="ScriptRunner.scriptThread", daemon=True)
    script.start()
    assert warmup.scripts_running()
    threading.Timer(0.6, release.set).start()
    t0 = time.perf_counter()
    warmup._wait_until_quiet(limit_s=10, poll_s=0.02)
    waited = time.perf_counter() - t0
    script.join(1)
    assert not warmup.scripts_running()
    assert 0.6 + 0.2 - 0.05 <= waited < 3.0  # until the script ended, then QUIET_S without one


def test_quiet_wait_gives_up_at_its_limit(monkeypatch):
    from ui import warmup

    release = threading.Event()
    script = threading.Thread(target=release.wait, name="ScriptRunner.scriptThread", daemon=True)
    script.start()
    try:
        t0 = time.perf_counter()
        warmup._wait_until_quiet(limit_s=0.3, poll_s=0.02)
        assert 0.25 <= time.perf_counter() - t0 < 2.0
    finally:
        release.set()
        script.join(1)


@pytest.mark.parametrize("value", ["0", "false", "off"])
def test_unlearn_warmup_off_starts_nothing(monkeypatch, value):
    from ui import warmup

    monkeypatch.setenv("UNLEARN_WARMUP", value)
    assert warmup.start() is None
    assert warmup.wait(0)


def test_serve_tells_streamlit_the_app_routes_with_navigation_before_any_session(monkeypatch):
    """Without it a cold deep link runs the page file alone first (the pages/ folder's legacy mode) and
    ui.nav.ensure_frame reruns it through app.py: one more round trip on a first visit."""
    from streamlit.runtime.pages_manager import PagesManager

    from ui import warmup

    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    warmup.use_navigation_from_the_start()
    assert PagesManager.uses_pages_directory is False
    assert "use_navigation_from_the_start()" in (ROOT / "serve.py").read_text(encoding="utf-8")


def test_warm_up_computes_the_leakage_labs_default_view(monkeypatch):
    """After the warm-up the Leakage lab's first run reads its default estimates from the cache."""
    from app_helpers import open_app

    from ui import warmup
    from unlearn_core import leakage

    warmup._lab()

    def no_estimate(*args, **kwargs):
        raise RuntimeError("estimated again on the first visit")

    monkeypatch.setattr(leakage, "estimate", no_estimate)
    at = open_app(page="leakage")
    assert not at.exception, [e.value for e in at.exception]
    assert not [w.value for w in at.warning if "did not run" in w.value]  # every estimate came from the cache
    assert "the Leakage lab's default estimates" in [name for name, _, _ in warmup.STEPS]
