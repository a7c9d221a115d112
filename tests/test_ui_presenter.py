"""Presenter mode (ui/presenter.py): the story table, links to a step, Back / Next, hidden controls.

The story table is checked against the pages' own menus (a step that names a method, dataset or λ the
page does not offer would silently show something else). The AppTest tests open steps the way a shared
link does (``?present=1&step=N``) and walk each story with Next, checking that every step sets its view.
"""

from __future__ import annotations

import math
import re

import pytest
from app_helpers import assert_clean, open_app

from ui import presenter
from ui.state import AppState, _parse_url, field_default, snap_t, url_params
from unlearn_core import datasets, transport

TIMEOUT = 300
APP_PAGES = ("", "barycenter", "trained", "forget", "images", "leakage", "audit")


def _app_pages() -> set[str]:
    text = (presenter.__file__.rsplit("/ui/", 1)[0] + "/app.py")
    return set(re.findall(r'url_path="([^"]*)"', open(text, encoding="utf-8").read()))


def test_every_page_has_a_story_of_three_to_six_one_sentence_steps():
    # Home is the default page (url_path "" at run time). The Results page opens the user's own files and
    # has no view in the app's state for a story to set: it has no story (presenter mode shows it as is).
    pages = _app_pages() - {"home", "results"} | {""}
    assert pages == set(APP_PAGES)
    assert set(presenter.STORIES) == pages
    for page, sto in presenter.STORIES.items():
        assert 3 <= len(sto.steps) <= 6, page
        for step in sto.steps:
            # one sentence: ends with . ? or !, and no other sentence end inside (decimals are fine)
            assert step.text.endswith((".", "?", "!")), (page, step.text)
            assert not re.search(r"[.!?]\s+[A-Z]", step.text[:-1]), (page, step.text)
            assert step.view, (page, step.text)


def test_story_views_use_values_the_pages_offer():
    fields = set(AppState.__dataclass_fields__)
    registry = datasets.registry()
    for page, sto in presenter.STORIES.items():
        for step in sto.steps:
            v = step.view
            assert set(v) <= fields - {"present", "step", "upload", "notices", "page"}, (page, v)
            if "t" in v:
                assert 0.0 <= v["t"] <= 1.0 and math.isclose(snap_t(v["t"]), v["t"]), (page, v)
            if "dataset" in v:
                assert v["dataset"] in datasets.names(), (page, v)
                if "sensitive" in v:
                    assert v["sensitive"] in registry[v["dataset"]].sensitive_choices, (page, v)
            if "method" in v:
                assert v["method"] in transport.methods(), (page, v)
            if "train_pick" in v:
                assert v["train_pick"] in field_default("train_lams"), (page, v)
            if "forget_lam" in v:  # pages/forget.py's LAM_CHOICES (the page module runs on import)
                assert v["forget_lam"] in (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 3.5, 4.0, 5.0, 8.0, 10.0,
                                           20.0, 50.0), (page, v)
            if "lab_world" in v:
                from unlearn_core.leakage import ground_truth

                assert v["lab_world"] in ground_truth.WORLDS, (page, v)


def test_url_carries_present_and_step_only_while_presenting():
    s = AppState(page="barycenter")
    assert "present" not in url_params(s) and "step" not in url_params(s)
    s.present, s.step = True, 3
    assert url_params(s)["present"] == "1" and url_params(s)["step"] == "3"
    s.present = False
    assert "step" not in url_params(s)


def test_a_bad_present_or_step_in_a_link_gets_a_notice():
    s = AppState()
    _parse_url({"present": "maybe", "step": "two"}, s)
    assert not s.present and s.step == 1
    assert any("Presenter mode" in n for n in s.notices) and any("Step 'two'" in n for n in s.notices)


def test_css_hides_technical_captions_and_the_story_widgets_and_scales_once():
    css = presenter.css(("dl_data", "dl_frontier"))
    assert ".st-key-dl_data," in css and ".st-key-dl_frontier," in css
    assert "stCaptionContainer" in css and "display: none" in css
    assert f'[data-testid="stMainBlockContainer"] {{ zoom: {presenter.SCALE}; }}' in css


def _story_text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_a_link_opens_the_step_and_hides_the_advanced_controls():
    sto = presenter.STORIES["barycenter"]
    at = open_app(timeout=TIMEOUT, page="barycenter", present=1, step=3)
    assert_clean(at)
    s = at.session_state["app"]
    assert s.present and s.step == 3
    assert presenter.step_views_equal(s, sto.steps[2].view)
    assert sto.steps[2].text in _story_text(at)
    assert at.query_params["present"] == "1" and at.query_params["step"] == "3"
    assert at.query_params["t"] == "1"
    # lesson-mode controls are absent in presenter mode (the estimator picker, the display cap)
    labels = {w.label for w in [*at.selectbox, *at.number_input]}
    assert "Leakage axis of the frontier" not in labels and "Display cap (points)" not in labels
    assert "Barycenter method" in labels  # the story's own knob stays
    # Back sets the previous step's view (a different t); Exit brings the controls back
    at.button(key="presenter_back").click().run()
    s = at.session_state["app"]
    assert s.step == 2 and presenter.step_views_equal(s, sto.steps[1].view) and math.isclose(s.t, 0.5)
    assert at.query_params["step"] == "2" and at.query_params["t"] == "0.5"
    at.button(key="presenter_exit").click().run()
    assert not at.session_state["app"].present and "present" not in at.query_params
    labels = {w.label for w in at.selectbox}
    assert "Leakage axis of the frontier" in labels
    assert not [b for b in at.button if b.key == "presenter_next"]


def test_a_step_outside_the_story_is_clamped_with_a_notice():
    at = open_app(timeout=TIMEOUT, page="barycenter", present=1, step=9)
    n = len(presenter.STORIES["barycenter"].steps)
    assert at.session_state["app"].step == n
    assert any(f"Step 9 is not in this page's story (1 to {n})" in w.value for w in at.warning)


@pytest.mark.slow
@pytest.mark.parametrize("page", APP_PAGES)
def test_next_walks_the_story_and_every_step_sets_its_view(page):
    sto = presenter.STORIES[page]
    at = open_app(timeout=TIMEOUT, page=page or "home", present=1, step=1)
    assert not at.exception, [e.value for e in at.exception]
    for i, step in enumerate(sto.steps, start=1):
        s = at.session_state["app"]
        assert s.step == i, (page, i)
        assert presenter.step_views_equal(s, step.view), (page, i, step.view)
        assert step.text in _story_text(at), (page, i)
        assert at.query_params["step"] == str(i)
        assert not at.exception, [e.value for e in at.exception]
        if i < len(sto.steps):
            at.button(key="presenter_next").click().run()
    assert [b for b in at.button if b.key == "presenter_next"][0].disabled
