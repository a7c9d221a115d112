"""One state for the whole app (issue 15): one t, the sidebar's dataset on every page, every knob in the URL,
a Reset button, page messages that stay on their page, and runs interrupted by leaving a page reported."""

from __future__ import annotations

import pytest
from app_helpers import open_app

from ui.state import PAGE_KNOBS, AppState, field_default

TIMEOUT = 300


def test_home_t_is_carried_to_feature_unlearning_and_back():
    at = open_app(timeout=TIMEOUT)
    at.slider(key="home_t").set_value(0.3).run()
    assert at.session_state["app"].t == 0.3 and at.query_params["t"] == "0.3"
    at.switch_page("pages/barycenter.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.slider(key="_w_t").value == 0.3
    at.slider(key="_w_t").set_value(0.85).run()
    at.switch_page("pages/home.py").run()
    assert at.slider(key="home_t").value == 0.85 and at.query_params["t"] == "0.85"


def test_data_unlearning_follows_the_sidebar_and_offers_usable_datasets():
    at = open_app(page="forget", dataset="crime", timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    info = " ".join(i.value for i in at.info)
    assert "needs a classification target" in info and "Communities and crime" in info
    buttons = {b.label: b for b in at.button if b.key and b.key.startswith("use_forget_")}
    assert ("Handwritten digits 8x8 (scikit-learn)" in buttons
            and not any("crime" in b.lower() for b in buttons))
    assert not [w for w in at.selectbox if w.key == "forget_dataset"]  # no picker of its own
    # the sidebar lists only what the page can use (and the one in use), and says what it left out
    assert "Communities and crime (UCI)" in at.selectbox(key="_w_dataset").options  # in use: kept
    buttons["German credit (UCI)"].click().run()
    assert at.session_state["app"].dataset == "german" and at.query_params["dataset"] == "german"
    assert "Communities and crime (UCI)" not in at.selectbox(key="_w_dataset").options
    assert any("Not listed on this page" in c.value and "Communities and crime" in c.value
               for c in at.caption)
    assert any("German credit" in c.value and "sidebar" in c.value for c in at.caption)


def test_reset_returns_every_knob_to_its_default_and_clears_the_url():
    link = dict(page="barycenter", dataset="toy-nonlinear", seed=3, t=0.8, method="gaussian", cap=2000,
                arrows=1)
    at = open_app(timeout=TIMEOUT, **link)
    assert at.number_input(key="bary_cap").value == 2000 and at.checkbox(key="bary_arrows").value is True
    assert at.query_params["cap"] == "2000" and at.query_params["arrows"] == "1"
    at.session_state["_trained_msg"] = "Sweep cancelled."
    at.button(key="reset_view").click().run()
    assert not at.exception, [e.value for e in at.exception]
    s = at.session_state["app"]
    fresh = AppState(page="barycenter")
    fresh.set_t(fresh.t)
    for f in ("dataset", "seed", "t", "lam", "method", "bary_cap", "bary_arrows", "sensitive"):
        want = getattr(fresh, f) if f != "sensitive" else "group"
        assert getattr(s, f) == want, f
    assert at.number_input(key="bary_cap").value == 1000 and at.checkbox(key="bary_arrows").value is False
    assert at.slider(key="_w_t").value == 0.5
    assert "cap" not in at.query_params and "arrows" not in at.query_params
    assert at.query_params["dataset"] == "toy-gaussians" and at.query_params["seed"] == "0"
    assert "_trained_msg" not in at.session_state


def test_display_options_round_trip_through_the_url():
    link = {"proj": "two features", "xcol": "3", "ycol": "0", "arrows": "1", "cap": "500", "feat": "x5"}
    at = open_app(page="barycenter", dataset="gmm-10d", timeout=TIMEOUT, **link)
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="bary_proj").value == "two features"
    assert at.selectbox(key="bary_x").value == 3 and at.selectbox(key="bary_y").value == 0
    assert at.checkbox(key="bary_arrows").value is True and at.number_input(key="bary_cap").value == 500
    assert at.selectbox(key="bary_feature").value == "x5"
    assert {k: at.query_params[k] for k in link} == link
    at.selectbox(key="bary_y").set_value(7).run()
    assert at.query_params["ycol"] == "7"


@pytest.mark.parametrize("page", sorted({k.page for k in PAGE_KNOBS}))
def test_every_knob_of_a_page_is_in_its_url_when_not_default(page):
    """Every PAGE_KNOBS field away from its default appears in the link of its page (and parses back)."""
    from test_app_ui import PAGE_VIEWS

    from ui.state import _parse_url, url_params

    view = PAGE_VIEWS[page]
    assert set(view) == {k.field for k in PAGE_KNOBS if k.page == page}
    params = url_params(AppState(page=page, **view))
    back = AppState()
    _parse_url(params, back)
    assert back.notices == [] and all(getattr(back, f) == v for f, v in view.items())
    assert all(v != field_default(f) for f, v in view.items())


def test_a_page_message_does_not_follow_the_user_to_another_page():
    at = open_app(page="trained", timeout=TIMEOUT)
    at.session_state["_trained_msg"] = "Sweep cancelled."
    at.run()
    assert any("Sweep cancelled." in w.value for w in at.warning)
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/trained.py").run()
    assert not any("Sweep cancelled." in w.value for w in at.warning)


def test_a_run_interrupted_by_leaving_the_page_is_reported_on_return():
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st
        from streamlit.runtime.scriptrunner_utils.exceptions import RerunException
        from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

        from ui import runs

        if st.session_state.get("phase") == "leave":  # what Streamlit raises when the user leaves mid-run
            st.session_state["phase"] = "back"
            with runs.tracked("demo", "sweep of 4 λ values"):
                raise RerunException(RerunData())
        runs.report_interrupted("demo", again="Press Run to start it again.")
        with runs.tracked("done", "finished run"):
            st.write("a run that finishes")
        runs.report_interrupted("done", again="")

    at = AppTest.from_function(script, default_timeout=60)
    at.session_state["phase"] = "leave"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    msgs = [w.value for w in at.warning]
    assert len(msgs) == 1 and "sweep of 4 λ values was stopped" in msgs[0]
    at.run()
    assert not at.warning  # said once


def test_image_unlearning_uses_the_sidebars_images_or_offers_them():
    at = open_app(page="images", dataset="german", timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    info = " ".join(i.value for i in at.info)
    assert "Image unlearning needs image data" in info and "German credit" in info
    labels = [b.label for b in at.button if b.key and b.key.startswith("use_images_")]
    assert labels == ["Handwritten digits 8x8 (scikit-learn)", "MNIST digits 28x28 (download)"]
    assert set(at.selectbox(key="_w_dataset").options) == {  # image data, the one in use, an upload
        "German credit (UCI)", "Handwritten digits 8x8 (scikit-learn)", "MNIST digits 28x28 (download)",
        "Upload CSV…"}
