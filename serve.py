"""Serve the explorer: ``streamlit run serve.py`` (the README's command).

The same app as ``streamlit run app.py`` (app.py is the script every session runs), plus a warm-up
that starts with the server, before any browser connects: the libraries, the default data and the
shipped results are loaded into the process-wide caches in the background (``ui.warmup``), so a first
visit does not wait for them. ``UNLEARN_WARMUP=0`` turns the warm-up off.
"""

from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st


@asynccontextmanager
async def _lifespan(_app):
    from ui import warmup

    warmup.use_navigation_from_the_start()  # a cold deep link goes through app.py at once
    warmup.start()
    yield


app = st.App(str(Path(__file__).resolve().parent / "app.py"), lifespan=_lifespan)
