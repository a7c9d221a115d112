"""The error boundary (ui/boundary.py): every page body, fragment and callback; refusals apart from bugs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from app_helpers import open_app

from ui.boundary import REFUSAL_ICON, UNEXPECTED_ICON, error_message
from unlearn_core.datasets import DatasetError

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), ROOT / "app.py"])


def test_a_refusal_and_a_bug_read_differently():
    text, icon = error_message("Loading the dataset", DatasetError("target 'y' has a single class"))
    assert icon == REFUSAL_ICON and text.startswith("**Loading the dataset failed.**")
    assert "single class" in text
    text, icon = error_message("Drawing the panel", TypeError("float() argument must be ... not 'dict'"))
    assert icon == UNEXPECTED_ICON and "Unexpected error while drawing the panel" in text
    assert "(TypeError)" in text and "not 'dict'" in text and "bug" in text
    text, _ = error_message("Reading x", ValueError("**[x](javascript:alert(1))**"))
    assert "\\*\\*\\[x\\]" in text  # the message is Markdown-escaped


def _decorated(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(functions decorated with ui.callback / callback, functions decorated with st.fragment)."""
    cb, frag = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for d in node.decorator_list:
                src = ast.unparse(d)
                if src.startswith(("ui.callback(", "callback(")):
                    cb.add(node.name)
                if src.startswith("st.fragment"):
                    frag.add(node.name)
    return cb, frag


def test_every_callback_and_fragment_runs_under_the_boundary():
    """Structural: a callback passed to a widget is decorated with ``@ui.callback`` (or is ``ui.commit``),
    and no fragment uses ``@st.fragment`` directly (``@ui.fragment`` carries the boundary)."""
    allowed = {"commit", "ui.commit"}
    problems = []
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES}
    cb = set().union(*(_decorated(t)[0] for t in trees.values()))  # callbacks may be imported (reset_view)
    for path, tree in trees.items():
        frag = _decorated(tree)[1]
        problems += [f"{path.name}: @st.fragment on {f}" for f in frag]
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg not in ("on_change", "on_click", "on_select") or isinstance(kw.value, ast.Constant):
                    continue
                fn = kw.value
                if isinstance(fn, ast.Call) and ast.unparse(fn.func) == "partial":
                    fn = fn.args[0]
                name = ast.unparse(fn)  # a callback from a page's ui module is named module.function
                if name not in allowed and name not in cb and name.split(".")[-1] not in cb:
                    problems.append(f"{path.name}:{node.lineno}: {kw.arg}={name} is not a @ui.callback")
    assert not problems, problems


def test_an_unexpected_error_in_a_page_body_is_a_message_not_a_traceback(monkeypatch):
    import ui.nav

    def broken(path):
        raise IndexError("index 1 is out of bounds for axis 1 with size 1")

    monkeypatch.setattr(ui.nav, "page_blurb", broken)  # Home draws the blurbs outside any engine_errors
    at = open_app()
    assert not at.exception, [e.value for e in at.exception]
    bugs = [e for e in at.error if e.icon == UNEXPECTED_ICON]
    assert len(bugs) == 1 and "Unexpected error while drawing the Home page" in bugs[0].value
    assert "IndexError" in bugs[0].value and at.sidebar  # the frame (sidebar, URL) is still drawn
    assert at.query_params["dataset"] == "toy-gaussians"  # and the URL sync ran after the page


def test_an_error_in_a_fragment_rerun_stays_inside_the_fragment(monkeypatch):
    import ui

    at = open_app(page="barycenter", timeout=300)
    assert not at.exception

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(ui, "cached_view_at", broken)
    at.slider(key="_w_t").set_value(0.7).run()
    assert not at.exception, [e.value for e in at.exception]
    bugs = [e.value for e in at.error if e.icon == UNEXPECTED_ICON]
    assert bugs and "explorer panel" in bugs[0] and "ZeroDivisionError" in bugs[0]
    assert any("Feature unlearning" in t.value for t in at.title)  # the rest of the page is still there


def test_an_error_in_a_callback_is_shown_at_the_top_of_the_page(monkeypatch):
    import sys

    at = open_app(timeout=300)

    def broken(t):
        raise TypeError("unsupported operand")

    # AppState.set_t calls snap_t; the t slider's callback calls set_t (ui.state is also a function)
    monkeypatch.setattr(sys.modules["ui.state"], "snap_t", broken)
    at.slider(key="home_t").set_value(0.7).run()
    assert not at.exception, [e.value for e in at.exception]
    bugs = [e.value for e in at.error if e.icon == UNEXPECTED_ICON]
    assert bugs and "Unexpected error while applying that setting" in bugs[0] and "TypeError" in bugs[0]
    at.run()
    assert not [e for e in at.error if e.icon == UNEXPECTED_ICON]  # shown once


@pytest.mark.parametrize("exc, icon", [(ValueError("bad"), REFUSAL_ICON), (KeyError("k"), UNEXPECTED_ICON)])
def test_engine_errors_tags_what_it_catches(exc, icon):
    text, got = error_message("x", exc)
    assert got == icon
