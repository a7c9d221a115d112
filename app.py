"""Streamlit entry point: the router and the shared frame of the unlearning explorer.

Run with ``streamlit run app.py``. Pages are registered explicitly in ``PAGES``; the sidebar, the
session state and the URL mirror are shared (package ``ui``; its docstring says how to add a page).
"""

from pathlib import Path

import streamlit as st

import ui
from ui import presenter, theme, waits, words
from ui.boundary import boundary, page_boundary, show_pending
from ui.nav import FRAME_KEY, register_pages, start_page
from ui.sidebar import render_sidebar, show_notices
from ui.state import leave_page_messages

# A local file: a ":material/…:" page icon makes the browser fetch the favicon from a font CDN on every load.
ICON = Path(__file__).resolve().parent / "assets" / "icon.png"
st.set_page_config(page_title="Unlearning explorer", page_icon=str(ICON), layout="wide")
theme.inject()  # small-screen layout (ui/theme.py); colours follow the browser's light / dark preference

waits.start_clock()  # the wall clock of this run: what a user waits from their click (ui.waits)
waits.stale_style()  # panels of the previous view fade out while a slow rerun computes the new one
state = ui.init_state()

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", url_path="home", default=True),
    st.Page("pages/barycenter.py", title="Feature unlearning", icon=":material/join_inner:",
            url_path="barycenter"),
    st.Page("pages/trained.py", title="Trained frontier", icon=":material/model_training:",
            url_path="trained"),
    st.Page("pages/forget.py", title="Data unlearning", icon=":material/delete_sweep:", url_path="forget"),
    st.Page("pages/images.py", title="Image unlearning", icon=":material/image:", url_path="images"),
    st.Page("pages/leakage.py", title="Leakage lab", icon=":material/science:", url_path="leakage"),
    st.Page("pages/audit.py", title="Audit & export", icon=":material/verified:", url_path="audit"),
    st.Page("pages/results.py", title="Results", icon=":material/inventory_2:", url_path="results"),
]
register_pages(PAGES)
page = st.navigation(PAGES)

# A shared link opens on its page: in a browser the path does it; ?page=<url_path> does it anywhere.
_start = start_page()
if _start and not st.session_state.get("_start_page_done"):
    st.session_state["_start_page_done"] = True
    target = next((p for p in PAGES if p.url_path == _start), None)  # the default page has url_path ""
    if target is not None and target is not page:
        st.switch_page(target)
st.session_state["_start_page_done"] = True

state.page = page.url_path
presenter.apply_step()  # before the sidebar: a presenter step sets the view its widgets are seeded from
leave_page_messages(page.url_path)
with boundary("Drawing the sidebar"):
    render_sidebar()
    with st.sidebar:
        words.glossary()  # one shared glossary on every page
show_notices()
show_pending()  # messages of widget callbacks that failed before this run (ui.boundary.callback)
with boundary("Drawing the presenter's story"):
    presenter.render()
st.session_state[FRAME_KEY] = True  # pages check it (ui.nav.ensure_frame)
try:
    with page_boundary(page.title):  # an unexpected error is a message on the page, never a traceback
        page.run()
finally:
    st.session_state[FRAME_KEY] = False
    ui.sync_url()
