"""Warm the server at start: what every first visit needs, done once in the background.

``serve.py`` (the README's ``streamlit run serve.py``) starts :func:`start` when the server starts,
before any browser connects. A first visit then finds the libraries imported and the default data and
shipped results in the process-wide caches (``st.cache_resource`` / ``st.cache_data`` are per
process, not per session), instead of paying for them while the user looks at an empty page:

1. the libraries every page imports (the ``ui`` package, pandas, plotly, the Vega-Lite builders);
2. the shipped results in ``assets/precomputed`` (every folder there: the frontiers, the trained sweep,
   the Audit page's certificate) with the data each was computed on (loaded and hashed, so a page can
   trust them at once: :mod:`ui.precomputed`);
3. the Home page's default dataset and its mini-demo fit (the toy Gaussians, closed-form maps);
4. scikit-learn and POT, which the Leakage lab and the live frontiers import on first use;
5. the Leakage lab's default view: its ground-truth world and the default estimators with their
   bootstrap intervals (about 1 s), which the page would otherwise compute on its first visit.

It is a plain daemon thread: a visit that arrives while it runs waits only for the import or cache
entry it shares (Python's import lock, Streamlit's cache lock), never for the whole warm-up. Steps 3
and 4 hold the interpreter for seconds, so they wait until no session's script has run for a second
(:func:`scripts_running`: Streamlit runs each session's script in a thread of its own): they do not
slow a page someone is opening. Any error is logged and ends the warm-up; the pages then compute as
they would without it. ``UNLEARN_WARMUP=0`` turns it off. ``streamlit run app.py`` still works: the
same app, without the warm-up.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

_log = logging.getLogger(__name__)

#: What the last warm-up did: step name -> seconds (read by tests and the first-visit benchmark).
TIMINGS: dict[str, float] = {}
_DONE = threading.Event()
#: seconds without a running script before a heavy step starts (a page's reruns come in quick bursts)
QUIET_S = 1.0
_SCRIPT_THREAD = "ScriptRunner.scriptThread"  # Streamlit's name for the thread that runs a session's script


def scripts_running() -> bool:
    """Whether any session's script (or fragment) is running in this process now."""
    return any(t.name == _SCRIPT_THREAD and t.is_alive() for t in threading.enumerate())


def _wait_until_quiet(limit_s: float = 60.0, poll_s: float = 0.1) -> None:
    """Block until no script has run for :data:`QUIET_S` seconds (at most ``limit_s`` in all)."""
    deadline = time.monotonic() + limit_s
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        if scripts_running():
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_S:
            return
        time.sleep(poll_s)


def _imports() -> None:
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401

    import ui  # noqa: F401
    from unlearn_core.plots import training, vega  # noqa: F401


def _shipped() -> None:
    from . import precomputed
    from .cache import data_key

    for res in precomputed.shipped().values():
        data = (res.study or {}).get("dataset") or {}
        if not data.get("name"):
            continue
        key = data_key(str(data["name"]), sensitive=str(data.get("sensitive") or ""),
                       seed=int((res.study.get("seeds") or {}).get("random_state", 0)))
        precomputed._data_sha256(key)  # loads the data (cached) and its hash (cached)


def _home() -> None:
    from .cache import DataKey, cached_display, cached_fit, data_key, load_data
    from .state import AppState

    default = AppState()
    load_data(data_key(default.dataset, sensitive=default.sensitive, seed=default.seed))
    toy = DataKey("toy-gaussians", seed=default.seed)
    cached_fit(toy, "gaussian", default.seed)
    cached_display(toy, "gaussian", default.seed, None, 600)


def _estimators() -> None:
    import ot  # noqa: F401
    import sklearn.ensemble  # noqa: F401
    import sklearn.linear_model  # noqa: F401

    import unlearn_core.leakage  # noqa: F401


def _lab() -> None:
    from . import lab

    lab.warm_default()


#: (name, step, heavy): a heavy step first waits until no page is running (:func:`_wait_until_quiet`).
STEPS: tuple[tuple[str, Callable[[], None], bool], ...] = (
    ("imports", _imports, False),
    ("shipped results and their data", _shipped, False),
    ("Home's default data and mini-demo", _home, True),
    ("scikit-learn and POT", _estimators, True),
    ("the Leakage lab's default estimates", _lab, True),
)


def warm_up() -> dict[str, float]:
    """Run every step in order; returns seconds per step (a failed step is logged and ends the run)."""
    TIMINGS.clear()
    try:
        for name, step, heavy in STEPS:
            if heavy:
                _wait_until_quiet()
            t0 = time.perf_counter()
            try:
                step()
            except Exception:  # noqa: BLE001  (a warm-up must never take the server down)
                _log.exception("warm-up step %r failed; the pages will compute it on first use", name)
                break
            TIMINGS[name] = time.perf_counter() - t0
        _log.info("warm-up done: %s", ", ".join(f"{k} {v:.2f} s" for k, v in TIMINGS.items()))
    finally:
        _DONE.set()
    return dict(TIMINGS)


def use_navigation_from_the_start() -> None:
    """Tell Streamlit now that this app routes with ``st.navigation`` (which it learns on app.py's first run).

    Until then a ``pages/`` folder next to the entry script makes it serve a cold deep link
    (``/barycenter``) by running that page file alone; ``ui.nav.ensure_frame`` then reruns it through
    app.py, a second round trip on every first visit to a fresh server. This sets the flag
    ``st.navigation`` itself sets (``PagesManager.uses_pages_directory = False``) before any session.
    """
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def enabled() -> bool:
    return os.environ.get("UNLEARN_WARMUP", "1").strip().lower() not in ("0", "false", "no", "off")


def start() -> threading.Thread | None:
    """Start :func:`warm_up` in a daemon thread (None when ``UNLEARN_WARMUP=0``)."""
    if not enabled():
        _DONE.set()
        return None
    _DONE.clear()
    thread = threading.Thread(target=warm_up, name="unlearn-warm-up", daemon=True)
    thread.start()
    return thread


def wait(timeout: float | None = None) -> bool:
    """Block until the warm-up has finished (or was off); False on timeout."""
    return _DONE.wait(timeout)
