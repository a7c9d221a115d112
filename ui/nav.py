"""The registered pages, so Home can link to each one with its blurb."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import streamlit as st

_PAGES_KEY = "_registered_pages"
_START_KEY = "_start_page"
FRAME_KEY = "_frame_running"


def ensure_frame() -> None:
    """Make sure this page runs inside app.py's frame (sidebar, state, URL); rerun through it if not.

    Streamlit treats a ``pages/`` folder next to the entry point as an old-style multipage app until
    ``st.navigation`` has run once in the server process. So when the very first request to a fresh
    server is a deep link (``/barycenter?...``), the page file runs on its own, without app.py. Every
    page calls this first: it switches that legacy mode off (as ``st.navigation`` does) and reruns,
    which goes through app.py and lands on the same page.
    """
    if st.session_state.get(FRAME_KEY) or st.session_state.get("_frame_rerun_tried"):
        return  # inside the frame, or a page run on its own on purpose (e.g. AppTest of one page file)
    st.session_state["_frame_rerun_tried"] = True
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    st.rerun()


def start_page() -> str:
    """The page named in the URL when the session started ("" = Home); fixed for the whole session."""
    from .state import state

    if _START_KEY not in st.session_state:
        st.session_state[_START_KEY] = state().page
    return st.session_state[_START_KEY]


def register_pages(pages: list) -> None:
    st.session_state[_PAGES_KEY] = list(pages)


def registered_pages() -> list:
    """The ``st.Page`` objects app.py registered (empty when a page runs on its own)."""
    return list(st.session_state.get(_PAGES_KEY, []))


@lru_cache(maxsize=64)
def page_blurb(path: str) -> str:
    """First line of a page file's module docstring."""
    try:
        doc = ast.get_docstring(ast.parse(Path(path).read_text(encoding="utf-8"))) or ""
    except (OSError, SyntaxError):
        return ""
    return doc.strip().splitlines()[0] if doc.strip() else ""
