"""Engine errors become readable messages on the page, never tracebacks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st


def show_error(what: str, exc: BaseException) -> None:
    """Show ``exc`` as a one-paragraph error: what was being done, then the engine's own message."""
    msg = str(exc).strip() or type(exc).__name__
    st.error(f"**{what} failed.** {msg}", icon=":material/error:")


@contextmanager
def engine_errors(what: str, *, stop: bool = True) -> Iterator[None]:
    """Run engine calls; on any error show it with :func:`show_error` and stop this (fragment) run.

    Streamlit's own control flow (``st.stop``, ``st.rerun``) derives from ``BaseException`` and passes
    through untouched.
    """
    try:
        yield
    except Exception as exc:  # the UI must never show a traceback
        show_error(what, exc)
        if stop:
            st.stop()


def notice(message: str) -> None:
    """A value from the link or the session could not be used; say what was used instead."""
    st.warning(message, icon=":material/link_off:")
