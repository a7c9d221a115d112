"""The explorer's shared frame: one typed session state, URL sync, the sidebar, cached engine calls.

Layers: ``app.py`` (router) -> ``pages/*.py`` (UI only) -> ``ui`` (this package: shared UI code) ->
``unlearn_core`` (the engine, which never imports streamlit).

How to add a page
-----------------
1. Write ``pages/<name>.py``. Its module docstring's first line is the blurb Home shows next to the
   link. The page runs top to bottom on every rerun; the sidebar (dataset, Z, seed, lesson mode) has
   already been drawn by ``app.py``. A page typically does::

       import streamlit as st
       import ui
       from unlearn_core import plots

       state = ui.state()                     # the typed session state (ui.state.AppState)
       data = ui.current_data()               # ui.cache.LoadedData (key + Dataset); shows errors and stops
       with ui.engine_errors("Computing the frontier"):   # engine errors -> st.error, never a traceback
           frontier = ui.cached_frontier(data.key, state.method, state.seed, state.estimator)
       st.plotly_chart(plots.frontier_figure(frontier, current=state.t))

   Rules: never compute mathematics in a page (read widgets, call one cached wrapper, hand the result
   to one figure builder in ``unlearn_core.plots``, show it); build pickers from the engine
   registries; hide advanced controls when ``ui.lesson_mode()`` is true.
2. Knobs that define the view (dataset, sensitive, seed, method, estimator, t, lam, page) live on
   :class:`ui.state.AppState` and are mirrored to the URL by ``app.py``. To draw a widget bound to one of
   them use ``ui.bound_key("t")`` as the widget's key (it survives page switches and programmatic
   changes, e.g. a click on a frontier point sets ``state.t``)::

       st.slider("t", 0.0, 1.0, step=ui.T_STEP, key=ui.bound_key("t"), on_change=ui.commit, args=("t",))

   A page's own view-defining knobs (its estimator, grid, forget set, case...) are AppState fields too,
   listed in ``ui.state.PAGE_KNOBS`` with their URL key, owner page and parser: the URL carries them on
   that page when they differ from the default. Bind them the same way, keeping the page's widget key,
   and check a value against the page's menu with ``ui.choice`` (a bad value from a link becomes the
   default and a notice)::

       lam = st.select_slider("λ", LAM_CHOICES, **ui.bind("forget_lam", "forget_lam", options=LAM_CHOICES,
                                                         fallback=1.5, what="λ"))

   (``ui.bind`` is ``ui.choice`` + ``ui.bound_key`` + ``on_change=ui.commit``.)

   Do not give a bound widget a default (``value=``, ``index=``, ``default=``): the state is its default.
   Every knob that changes what the page shows is a view knob, display options included: the URL carries
   it and the sidebar's Reset button returns it to its default (``ui.state.reset_view``).

   No traceback, ever (``ui.boundary``): ``app.py`` runs the page inside the error boundary; decorate a
   fragment with ``@ui.fragment`` (not ``@st.fragment``) and every widget callback with
   ``@ui.callback("what it does")`` (``ui.commit`` already is). A ``ValueError`` is shown as an expected
   refusal, anything else as an unexpected error (a bug); ``tests/test_app_property.py`` drives every
   widget of every page with random values and fails on either a traceback or an unexpected error.
   A page that needs something of the data (a classification target) declares it in ``ui.usable.NEEDS``
   and calls ``ui.usable.current_data_for``: the sidebar then lists only usable datasets and the page
   offers them as buttons when the one in use cannot serve it.
3. Cache heavy work in a wrapper here (``ui/cache.py``) or in the page: ``st.cache_data`` with small
   hashable arguments (a ``DataKey``, method names, the snapped t, the seed) and
   ``st.cache_resource`` only for read-only heavy objects (datasets, fitted maps).
4. Register the page in ``app.py``'s ``PAGES`` list (``st.Page("pages/x.py", title=..., icon=...,
   url_path="x")``); Home links to every registered page automatically, with the first line of the
   page's module docstring as its blurb. Call ``ui.current_data()`` (or ``ui.nav.ensure_frame()``)
   before drawing anything: when the first request to a fresh server is a deep link, Streamlit runs the
   page file without app.py (legacy ``pages/`` folder mode) and this reroutes it through the frame.
5. Test it with AppTest through app.py: ``tests/app_helpers.open_app(page="x", dataset=..., t=...)``
   opens the page the way a shared link does (importing ``app_helpers`` also works around an AppTest
   quirk with ``pages/`` folders; see its docstring), and ``figure(at, title_part)`` / ``trace`` /
   ``values`` / ``metrics`` read what is shown. Browser tests use the fixtures ``app_url`` (a
   ``streamlit run app.py`` server) and ``browser_page`` from ``tests/browser/conftest.py`` and the
   helpers in ``tests/browser/browser_helpers.py`` (``open_page``, ``wait_idle``, ``figure_trace``,
   ``slider_input``, ``assert_no_exception``, ``screenshot``).
"""

from unlearn_core.transport import distortion_leakage  # (D(t), L(t)) = (t²V, (1 − t)²V), the one formula

from . import background, precomputed
from .boundary import boundary, callback, fragment
from .cache import (
    DataKey,
    LoadedData,
    cached_display,
    cached_fit,
    cached_frontier,
    cached_heldout_maps,
    cached_view_at,
    cached_view_attack,
    current_data,
    data_key,
    load_data,
)
from .errors import engine_errors, md_text, notice, show_error
from .state import (
    DEFAULT_ESTIMATOR,
    T_GRID,
    T_STEP,
    UPLOAD,
    AppState,
    bind,
    bound_key,
    choice,
    commit,
    field_default,
    init_state,
    lam_of,
    lesson_mode,
    snap_t,
    state,
    sync_url,
)

__all__ = [
    "AppState",
    "DEFAULT_ESTIMATOR",
    "DataKey",
    "LoadedData",
    "cached_heldout_maps",
    "cached_view_attack",
    "T_GRID",
    "T_STEP",
    "UPLOAD",
    "background",
    "bind",
    "boundary",
    "bound_key",
    "callback",
    "cached_display",
    "cached_fit",
    "cached_frontier",
    "cached_view_at",
    "choice",
    "commit",
    "current_data",
    "data_key",
    "engine_errors",
    "field_default",
    "fragment",
    "init_state",
    "distortion_leakage",
    "lam_of",
    "lesson_mode",
    "load_data",
    "md_text",
    "notice",
    "precomputed",
    "show_error",
    "snap_t",
    "state",
    "sync_url",
]
