"""Long runs a page starts (a λ sweep, an unlearning run) that the user may walk away from.

Streamlit ends a running script when the user goes to another page (or changes a widget): the run is
interrupted by a ``RerunException`` at its next progress update and its work is lost. Without a word
the user would come back to a page that simply forgot the run. :func:`tracked` marks a run as under way
and clears the mark when it ends on its own (finished, cancelled, or an error the page showed); a run
interrupted by Streamlit keeps its mark, and :func:`report_interrupted` says so the next time its page
is drawn ("your sweep was stopped when you left this page").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException

_KEY = "_runs_under_way"


@contextmanager
def tracked(name: str, what: str) -> Iterator[None]:
    """Mark the run ``name`` (described by ``what``, e.g. "the sweep of 4 λ values") as under way."""
    runs = st.session_state.setdefault(_KEY, {})
    runs[name] = what
    try:
        yield
    except RerunException:
        raise  # interrupted by Streamlit (the user left or changed a setting): keep the mark
    except BaseException:
        runs.pop(name, None)  # ended by the page itself (an error shown, st.stop): nothing to report
        raise
    runs.pop(name, None)


def clear(name: str) -> None:
    """Forget the mark of ``name`` (its Cancel button: a cancelled run is reported as cancelled)."""
    st.session_state.get(_KEY, {}).pop(name, None)


def report_interrupted(name: str, *, again: str) -> None:
    """If the run ``name`` was interrupted, say so once (``again``: how to start it again)."""
    what = st.session_state.get(_KEY, {}).pop(name, None)
    if what:
        st.warning(f"Your {what} was stopped before it finished, when you left this page or changed a "
                   f"setting; its results were not kept. {again}", icon=":material/history:")
