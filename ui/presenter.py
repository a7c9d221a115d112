"""Presenter mode: a guided story per page, big type for a projector, and a link per step.

``?present=1`` (or the sidebar's *Presenter mode* toggle, mirrored to the URL by :mod:`ui.state`) turns it
on; ``&step=N`` names the step, so a copied link reopens exactly that step's view, as TensorFlow
Playground's hide flags do. In presenter mode

- every page's story (:data:`STORIES`) is shown above the page: one sentence per step, *Back* / *Next*,
  and each step sets its view (the AppState fields of :attr:`Step.view`: t, dataset, Z, method, ...);
- the advanced controls that lesson mode hides are absent too (:func:`ui.state.lesson_mode`), and the
  widgets a story lists in :attr:`Story.hide` are hidden by CSS;
- the technical captions are hidden (the story's sentence says what to look at) and the main area,
  type and charts together, is zoomed by one factor, :data:`SCALE` (so every chart's height and font
  follow that one setting and its width still fits its column).

Stories are data, one table for all pages: to add or change a step, edit :data:`STORIES`. A step's view
holds AppState field names and values (checked by ``tests/test_ui_presenter.py`` against the pages'
menus); fields a step does not name keep their value. ``app.py`` calls :func:`apply_step` before the
sidebar is drawn (so every widget is seeded from the step's view) and :func:`render` before the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from .boundary import callback
from .state import AppState, field_default, state

#: The one size setting of presenter mode: type and charts are drawn this many times larger.
SCALE = 1.3
_APPLIED_KEY = "_presenter_applied"  # (page, step) whose view was last applied


@dataclass(frozen=True)
class Step:
    """One step of a story: the sentence the presenter says and the view it sets."""

    text: str
    view: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Story:
    """A page's guided story (3-6 steps) and the widget keys presenter mode hides on that page."""

    title: str
    steps: tuple[Step, ...]
    hide: tuple[str, ...] = ()


_TOY = {"dataset": "toy-gaussians", "sensitive": "group"}

#: page url_path ("" = Home) -> its story.
STORIES: dict[str, Story] = {
    "": Story("The idea in four steps", (
        Step("Two groups of people, two clouds of points: the group (Z) is what we want the data to forget.",
             {**_TOY, "t": 0.0}),
        Step("Move every point part of the way to the groups' common average shape, the W2 barycenter.",
             {**_TOY, "t": 0.5}),
        Step("At t = 1 both groups have the same distribution: the data says nothing about Z any more.",
             {**_TOY, "t": 1.0}),
        Step("The price is distortion D(t) = t²V: how far the points moved. λ sets where we stop.",
             {**_TOY, "t": 0.5}),
    )),
    "barycenter": Story("Feature unlearning on two Gaussian groups", (
        Step("At t = 0 the data is untouched: an attacker guesses the group well above chance.",
             {**_TOY, "method": "ot-randomized", "estimator": "probe-auc", "t": 0.0}),
        Step("Halfway (t = 0.5) the groups overlap more: the attacker's AUC falls, the distortion grows.",
             {**_TOY, "method": "ot-randomized", "estimator": "probe-auc", "t": 0.5}),
        Step("At t = 1 every point sits on the barycenter: the attacker is at chance (AUC 0.5).",
             {**_TOY, "method": "ot-randomized", "estimator": "probe-auc", "t": 1.0}),
        Step("The 'gaussian' method only matches means and covariances: cheaper, but not equal in law.",
             {**_TOY, "method": "gaussian", "estimator": "probe-auc", "t": 1.0}),
    ), hide=("dl_data", "dl_frontier")),
    "trained": Story("Training with a leakage penalty", (
        Step("λ = 0 is plain training: the model's outputs still reveal the group.",
             {**_TOY, "train_penalty": "softmax-averaging", "train_model": "mlp", "train_pick": 0.0}),
        Step("A moderate penalty (λ = 20) removes most of what the outputs say about the group.",
             {**_TOY, "train_penalty": "softmax-averaging", "train_model": "mlp", "train_pick": 20.0}),
        Step("A large penalty (λ = 100) reaches chance and pays for it in accuracy.",
             {**_TOY, "train_penalty": "softmax-averaging", "train_model": "mlp", "train_pick": 100.0}),
    ), hide=("trained_dl",)),
    "forget": Story("Forgetting rows of the training set", (
        Step("The model forgets 75% of the images of a 3; retraining without them is the reference.",
             {"forget_kind": "class-fraction", "forget_fraction": 0.75, "forget_lam": 1.5}),
        Step("A small λ barely moves the model: the forgotten 3s are still recognised.",
             {"forget_kind": "class-fraction", "forget_fraction": 0.75, "forget_lam": 0.25}),
        Step("Too large a λ over-forgets: the model does worse on the 3s than a retrained one.",
             {"forget_kind": "class-fraction", "forget_fraction": 0.75, "forget_lam": 20.0}),
    )),
    "images": Story("Removing stroke thickness from digits", (
        Step("The original digits: thick and thin strokes are the two groups.",
             {"dataset": "digits", "t": 0.0}),
        Step("Halfway, every image moves towards its group's barycenter image.",
             {"dataset": "digits", "t": 0.5}),
        Step("At t = 1 thickness no longer tells the groups apart; the digits stay readable.",
             {"dataset": "digits", "t": 1.0}),
    ), hide=("img_dl_png", "img_dl_csv")),
    "leakage": Story("Measuring leakage where the answer is known", (
        Step("Independent groups: every estimator should say zero.",
             {"lab_case": "world", "lab_world": "independent", "lab_n": 2000}),
        Step("A mixture with a known 0.3 nats of mutual information: who finds it?",
             {"lab_case": "world", "lab_world": "gaussian-mixture", "lab_target": 0.3, "lab_n": 2000}),
        Step("More data narrows the intervals around the truth.",
             {"lab_case": "world", "lab_world": "gaussian-mixture", "lab_target": 0.3, "lab_n": 10000}),
    )),
    "audit": Story("A certificate of what was measured", (
        Step("Before unlearning (t = 0) the attacker recovers the group: the verdict is FAIL.",
             {**_TOY, "method": "ot-randomized", "t": 0.0}),
        Step("After full unlearning (t = 1) the attacker is at chance: PASS, with its interval.",
             {**_TOY, "method": "ot-randomized", "t": 1.0}),
        Step("Download the certificate as HTML or PDF: the numbers, the split, what it does not show.",
             {**_TOY, "method": "ot-randomized", "t": 1.0}),
    )),
}


def story(page: str) -> Story | None:
    """The story of the page with url_path ``page`` (None if it has none)."""
    return STORIES.get(page)


def set_view(s: AppState, view: Mapping[str, Any]) -> None:
    """Set the AppState fields of a step's view (t through ``set_t``, so λ follows)."""
    for name, value in view.items():
        if name == "t":
            s.set_t(float(value))
        elif isinstance(field_default(name), tuple):
            setattr(s, name, tuple(value))
        else:
            setattr(s, name, value)


def apply_step() -> None:
    """Apply the current step's view when the step (or the page) changed; call before the sidebar.

    A link opens its ``step``; moving to another page in presenter mode starts that page's story at
    step 1. A step outside the story is clamped (with a notice).
    """
    s = state()
    if not s.present:
        st.session_state.pop(_APPLIED_KEY, None)
        return
    sto = story(s.page)
    if sto is None:
        return
    applied = st.session_state.get(_APPLIED_KEY)
    if applied is not None and applied[0] != s.page:
        s.step = 1
    n = len(sto.steps)
    if not 1 <= s.step <= n:
        s.notices.append(f"Step {s.step} is not in this page's story (1 to {n}); showing step "
                         f"{min(max(s.step, 1), n)}.")
        s.step = min(max(s.step, 1), n)
    if applied != (s.page, s.step):
        set_view(s, sto.steps[s.step - 1].view)
        st.session_state[_APPLIED_KEY] = (s.page, s.step)


@callback("Moving through the story")
def _go(delta: int) -> None:
    """Back / Next: the next run applies the new step's view (:func:`apply_step`)."""
    s = state()
    sto = story(s.page)
    if sto is not None:
        s.step = min(max(s.step + delta, 1), len(sto.steps))


@callback("Leaving presenter mode")
def _exit() -> None:
    state().present = False


def css(hide: tuple[str, ...] = ()) -> str:
    """The presenter style sheet: the main area zoomed by :data:`SCALE` (type and charts together, so a
    chart's width still fits its column), no technical captions, the story's hidden widgets gone."""
    hidden = "".join(f".st-key-{k}," for k in hide)
    return f"""<style>
[data-testid="stMainBlockContainer"] {{ zoom: {SCALE}; }}
[data-testid="stMain"] [data-testid="stCaptionContainer"] {{ display: none; }}
{hidden} .presenter-hidden {{ display: none !important; }}
.st-key-presenter_story p {{ font-size: 1.3rem; line-height: 1.4; }}
</style>"""


def render() -> None:
    """Draw the story box (step sentence, Back / Next) and the presenter style; call before the page."""
    s = state()
    if not s.present:
        return
    sto = story(s.page)
    st.html(css(sto.hide if sto else ()))
    if sto is None:
        return
    n = len(sto.steps)
    with st.container(border=True, key="presenter_story"):
        st.markdown(f"**{sto.title}** · step {s.step} of {n}  \n{sto.steps[s.step - 1].text}")
        cols = st.columns([1, 1, 1, 3])
        cols[0].button("Back", key="presenter_back", on_click=_go, args=(-1,), disabled=s.step <= 1,
                       icon=":material/arrow_back:", width="stretch")
        cols[1].button("Next", key="presenter_next", on_click=_go, args=(1,), disabled=s.step >= n,
                       icon=":material/arrow_forward:", type="primary", width="stretch")
        cols[2].button("Exit", key="presenter_exit", on_click=_exit, icon=":material/close:",
                       width="stretch", help="Leave presenter mode (the controls come back).")


def step_views_equal(s: AppState, view: Mapping[str, Any]) -> bool:
    """True when ``s`` shows ``view`` (numbers within rounding): used by the tests."""
    for name, want in view.items():
        got = getattr(s, name)
        if isinstance(want, float) or isinstance(got, float):
            if not math.isclose(float(got), float(want), abs_tol=1e-9):
                return False
        elif isinstance(want, (list, tuple)):
            if tuple(got) != tuple(want):
                return False
        elif got != want:
            return False
    return True
