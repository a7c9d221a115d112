"""Engine errors become readable messages on the page, never tracebacks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

# the characters that start Markdown / HTML structure inline (emphasis, code, links, HTML, math, tables)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>~$|#])")


def md_text(text: object) -> str:
    """``text`` with every Markdown special character escaped, so that it renders as itself.

    Use it for anything a user typed or uploaded (a file name, a column name, a cell) inside Markdown:
    ``**[x](javascript:...)**.csv`` then shows as those characters, not as a link or bold text.
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def show_error(what: str, exc: BaseException) -> None:
    """Show ``exc`` as a one-paragraph error: what was being done, then the engine's own message.

    Both are shown as plain text (Markdown escaped): the message may quote a user's file name, column
    names or cells. A ``ValueError`` is an expected refusal; anything else is tagged as an unexpected
    error (:mod:`ui.boundary`).
    """
    from .boundary import report  # the boundary tags a refusal (ValueError) apart from a bug

    report(what, exc)


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
    """A value from the link or the session could not be used; say what was used instead (as plain text)."""
    st.warning(md_text(message), icon=":material/link_off:")
