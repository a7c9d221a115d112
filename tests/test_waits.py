"""ui.waits (issue 15, honest waits): progress with a cancel on a miss, the store, the user's real wait."""

from __future__ import annotations

import pytest
from app_helpers import open_app
from streamlit.testing.v1 import AppTest


def _script():
    import time

    import streamlit as st

    from ui import waits

    waits.start_clock()
    key = ("demo", st.session_state.get("demo_n", 3))
    calls = st.session_state.setdefault("calls", [])

    def work(progress):
        for i in range(3):
            progress(i / 3, f"step {i + 1} of 3")
            time.sleep(0.05)
        calls.append(key)
        return key[1] * 2

    value = waits.compute(key, "Doing the demo work", work, button_key="demo")
    st.write(f"value={value}")
    w = waits.waited_for(key)
    st.write(f"waited={w}")


def _app() -> AppTest:
    return AppTest.from_function(_script, default_timeout=60)


def test_a_miss_shows_progress_and_a_cancel_then_the_store_answers_at_once():
    at = _app()
    at.session_state["demo_n"] = 101  # a key no other test stored
    at.run()
    assert not at.exception
    assert "value=202" in [m.value for m in at.markdown]
    status = at.status
    assert len(status) == 1 and "done in" in status[0].label and status[0].state == "complete"
    assert any(b.label == "Cancel" for b in at.button)
    assert len(at.get("progress")) == 1
    assert at.session_state["calls"] == [("demo", 101)]
    waited = float(next(m.value for m in at.markdown if m.value.startswith("waited=")).split("=")[1])
    assert waited >= 0.15  # three steps of 50 ms, from the clock started at the top of the run
    at.run()  # a rerun: from the store, no status, no second computation
    assert at.session_state["calls"] == [("demo", 101)]
    assert not at.status and not at.get("progress")


def test_cancel_is_remembered_and_compute_it_resumes():
    at = _app()
    at.session_state["demo_n"] = 102
    at.run()
    at.button(key="demo_cancel").click().run()  # the click's callback marks the key cancelled
    from ui import waits

    assert ("demo", 102) in at.session_state[waits.CANCELLED_KEY]
    at.session_state["demo_n"] = 103  # a new key while 103 is cancelled: nothing is computed
    at.session_state[waits.CANCELLED_KEY] = {("demo", 103)}
    at.run()
    assert "value=None" in [m.value for m in at.markdown]
    assert any("Cancelled" in i.value for i in at.info)
    assert ("demo", 103) not in at.session_state["calls"]
    at.button(key="demo_resume").click().run()
    assert "value=206" in [m.value for m in at.markdown]


def test_the_store_keeps_the_most_recent_results():
    from ui.waits import _Store

    store = _Store(2)
    store.put("a", 1)
    store.put("b", 2)
    store.put("c", 3)  # least recently used "a" goes
    assert store.get("a") is None and store.get("c") == 3 and "b" in store


@pytest.mark.slow
def test_barycenter_reports_the_wait_for_a_new_frontier():
    at = open_app(page="barycenter", seed="4242", timeout=300)  # a seed no other test computes
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(c.value for c in at.caption)
    assert "You waited" in captions and "for this frontier" in captions
    assert "training split" in captions  # V says where it is measured
    at.run()  # later reruns: from the store, no progress bar
    assert not at.get("progress")
