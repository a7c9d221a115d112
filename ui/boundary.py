"""The error boundary: no code path of the UI may end in Streamlit's traceback element.

Three kinds of code run in a Streamlit script, and each gets the boundary structurally:

* the **page body**: ``app.py`` runs ``page.run()`` inside :func:`page_boundary`;
* **fragments** (``@ui.fragment`` instead of ``@st.fragment``): a fragment's own reruns happen outside
  the page run, so the boundary wraps the fragment function itself;
* **widget callbacks** (``@ui.callback("what")``): they run before the script, outside the page run;
  an error is kept in the session and shown at the top of the page by :func:`show_pending`.

A failure is one of two kinds, and the message says which (tests tell them apart by the icon):

* an **expected refusal** (:data:`REFUSAL_ICON`): the engine or the page refused the input with a
  ``ValueError`` (``DatasetError`` and friends are ``ValueError``\\ s) that names the value and the fix;
* an **unexpected error** (:data:`UNEXPECTED_ICON`): anything else (``TypeError``, ``IndexError``, ...) is
  a bug. The message says what was being done and the exception's text, Markdown-escaped; the traceback
  goes to the server's log, never to the page.

Streamlit's own control flow (``st.stop``, ``st.rerun``, fragment reruns) derives from
``BaseException`` and passes through untouched.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import streamlit as st

from .errors import md_text

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger("unlearn_explorer")

REFUSAL_ICON = ":material/error:"
UNEXPECTED_ICON = ":material/bug_report:"
_PENDING_KEY = "_boundary_pending"

#: Exception types that are an expected refusal of the input, not a bug. ``ValueError`` covers the
#: engine's validation (``DatasetError``), numpy's ``LinAlgError`` and scikit-learn's input checks.
REFUSALS: tuple[type[BaseException], ...] = (ValueError,)


def is_refusal(exc: BaseException) -> bool:
    """True when ``exc`` is an expected refusal of the input (a ``ValueError``), False for a bug."""
    return isinstance(exc, REFUSALS)


def error_message(what: str, exc: BaseException) -> tuple[str, str]:
    """(Markdown text, icon) of the message for ``exc`` raised while doing ``what``.

    A refusal reads "**<what> failed.** <message>"; anything else reads "**Unexpected error while
    <what>** (<type>): <message> ..." so that a reader (and a test) can tell a bug from a refusal.
    """
    msg = str(exc).strip() or type(exc).__name__
    if is_refusal(exc):
        return f"**{md_text(what)} failed.** {md_text(msg)}", REFUSAL_ICON
    lead = what[:1].lower() + what[1:]
    return (f"**Unexpected error while {md_text(lead)}** ({md_text(type(exc).__name__)}): {md_text(msg)}. "
            "This is a bug in the explorer, not in your data; the details are in the server's log. "
            "Change a setting or reload the page to carry on."), UNEXPECTED_ICON


def report(what: str, exc: BaseException) -> None:
    """Show ``exc`` on the page as a tagged message (and log the traceback when it is a bug)."""
    text, icon = error_message(what, exc)
    if not is_refusal(exc):
        log.error("Unexpected error while %s", what, exc_info=exc)
    st.error(text, icon=icon)


@contextmanager
def boundary(what: str) -> Iterator[None]:
    """Catch every ``Exception`` raised inside and show it with :func:`report` (the run then goes on)."""
    try:
        yield
    except Exception as exc:  # the UI must never show a traceback
        report(what, exc)


def page_boundary(title: str) -> Any:
    """The boundary around a whole page run (``app.py``): "drawing the <title> page"."""
    return boundary(f"Drawing the {title} page")


def fragment(func: F | None = None, *, what: str | None = None, **fragment_kwargs: Any) -> Any:
    """``st.fragment`` with the error boundary inside it: use ``@ui.fragment`` on every fragment.

    A fragment's own reruns are not inside the page's boundary, so the fragment body carries its own.
    ``what`` names the panel in the message (default: the function's name).
    """

    def wrap(fn: F) -> F:
        label = what or f"drawing the {fn.__name__.replace('_', ' ')} panel"

        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            with boundary(label):
                return fn(*args, **kwargs)

        return st.fragment(guarded, **fragment_kwargs)

    return wrap(func) if func is not None else wrap


def callback(what: str) -> Callable[[F], F]:
    """Decorator for widget callbacks (``on_change`` / ``on_click`` / ``on_select``).

    Callbacks run before the script, outside every boundary; an error is kept in the session and shown
    at the top of the page (:func:`show_pending`) instead of Streamlit's traceback.
    """

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - shown on the page by show_pending
                text, icon = error_message(what, exc)
                if not is_refusal(exc):
                    log.error("Unexpected error while %s", what, exc_info=exc)
                st.session_state.setdefault(_PENDING_KEY, []).append((text, icon))
                return None

        guarded.__ui_callback__ = True  # type: ignore[attr-defined]  # checked by tests/test_ui_boundary.py
        return guarded  # type: ignore[return-value]

    return wrap


def show_pending() -> None:
    """Show (once) the messages of callbacks that failed before this run."""
    for text, icon in st.session_state.pop(_PENDING_KEY, []):
        st.error(text, icon=icon)
