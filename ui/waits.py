"""Honest waits: progress with a cancel for anything slow, and the time the user really waited.

Three pieces, used by every page that can take more than about 2 s:

- a **clock** per run: :func:`start_clock` (``app.py``, first thing) starts it when the user's click
  reaches the server; a fragment's own rerun restarts it (:func:`start_fragment_clock`). :func:`waited`
  is the wall time since, which is what the user has waited, not the engine's own timing;
- a **store** of finished results (:func:`results`, one per server process, a small LRU shared by the
  sessions). ``st.cache_data`` cannot drive a progress bar drawn outside the cached function (Streamlit
  refuses to replay such calls), so slow results that report progress live here;
- :func:`compute`: on a store hit it returns at once; on a miss it draws an ``st.status`` with a
  progress bar saying what is being done and how far, and a Cancel button, runs the engine with a
  ``progress(fraction, message)`` callback, stores the result and records how long the user waited
  (:func:`report` shows it). A click on Cancel makes Streamlit stop the run at the engine's next
  progress call (the rerun interrupts the script there); the rerun then shows what was cancelled and
  a button to compute it after all, instead of starting the same work again.

Old panels: a caller gives :func:`compute` the ``slot`` (an ``st.empty()``) where the result will be
drawn, so the status replaces the previous view's panels instead of sitting above them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import streamlit as st

from .boundary import callback

T = TypeVar("T")
Progress = Callable[[float, str], None]

CLOCK_KEY = "_wait_clock"
CANCELLED_KEY = "_wait_cancelled"  # the keys whose computation the user cancelled (a set)
WAITED_KEY = "_wait_seconds"  # key -> seconds the user waited for it in this session


def start_clock() -> None:
    """Start this run's wall clock (``app.py`` calls it before anything else)."""
    st.session_state[CLOCK_KEY] = time.perf_counter()


def start_fragment_clock() -> None:
    """Restart the clock when this is a fragment's own rerun (a click inside the fragment)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is not None and getattr(ctx, "fragment_ids_this_run", None):
            start_clock()
    except ImportError:  # pragma: no cover - the runtime API moved; keep the page's clock
        pass


def waited() -> float:
    """Seconds since the user's click reached the server (this run's clock)."""
    return time.perf_counter() - st.session_state.get(CLOCK_KEY, time.perf_counter())


class _Store:
    """A thread-safe LRU map of finished results (one per server process)."""

    def __init__(self, max_entries: int) -> None:
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._data

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._max:
                self._data.popitem(last=False)


@st.cache_resource(show_spinner=False)
def results() -> _Store:
    """The process-wide store of slow results (frontiers, certificates): 32 entries."""
    return _Store(32)


def ready(key: Hashable) -> bool:
    """Whether ``key``'s result is stored (a page can then skip its waiting UI)."""
    return key in results()


@callback("Cancelling")
def _cancel(key: Hashable) -> None:
    st.session_state.setdefault(CANCELLED_KEY, set()).add(key)


@callback("Resuming the computation")
def _resume(key: Hashable) -> None:
    st.session_state.setdefault(CANCELLED_KEY, set()).discard(key)


def cancelled(key: Hashable) -> bool:
    return key in st.session_state.get(CANCELLED_KEY, set())


def _fmt_seconds(s: float) -> str:
    return f"{s:.0f} s" if s >= 10 else f"{s:.1f} s"


def compute(key: Hashable, what: str, fn: Callable[[Progress], T], *, slot: Any = None,
            button_key: str | None = None) -> T | None:
    """``fn(progress)``'s result for ``key``: from the store, or computed under a progress bar.

    Parameters
    ----------
    key : what identifies the result (hashable; a tuple of the page's cache keys).
    what : what is being done, in words ("Computing the frontier: one model and one attacker per t").
    fn : the engine call; it receives ``progress(fraction_done, message)`` and should call it between
        steps (each call updates the bar and is where a Cancel takes effect).
    slot : where the status is drawn (an ``st.empty()`` in the place the result will be shown, so the
        previous view's panels there are replaced); default: here.

    Returns None when the user cancelled it (the slot then says so, with a button to compute it).
    Engine errors propagate (wrap the call in ``ui.engine_errors``).
    """
    store = results()
    hit = store.get(key)
    if hit is not None:
        return hit
    where = slot if slot is not None else st
    bkey = button_key or f"wait_{abs(hash(key)) % 10**10}"
    if cancelled(key):
        box = where.container(border=True)
        box.info(f"**Cancelled:** {what}. The panels that need it are hidden.", icon=":material/cancel:")
        box.button("Compute it", key=f"{bkey}_resume", on_click=_resume, args=(key,),
                   icon=":material/play_arrow:")
        return None
    start = time.perf_counter()
    status = where.status(what, expanded=True)
    with status:
        bar = st.progress(0.0, text="Starting…")
        st.button("Cancel", key=f"{bkey}_cancel", on_click=_cancel, args=(key,), icon=":material/cancel:",
                  help="Stop this computation; the panels that need it stay hidden.")

    def progress(frac: float, message: str) -> None:
        frac = min(max(float(frac), 0.0), 1.0)
        bar.progress(frac, text=f"{message} · {frac:.0%} done · {_fmt_seconds(time.perf_counter() - start)} "
                     "so far")

    try:
        value = fn(progress)
    except Exception:
        status.update(label=f"{what}: failed", state="error", expanded=False)
        raise
    store.put(key, value)
    record(key, waited())
    status.update(label=f"{what}: done in {_fmt_seconds(time.perf_counter() - start)}", state="complete",
                  expanded=False)
    return value


def record(key: Hashable, seconds: float) -> None:
    """Remember that the user waited ``seconds`` (from their click) for ``key`` in this session."""
    st.session_state.setdefault(WAITED_KEY, {})[key] = float(seconds)


def waited_for(key: Hashable) -> float | None:
    """Seconds the user waited for ``key`` in this session, or None when it came from the cache."""
    return st.session_state.get(WAITED_KEY, {}).get(key)


def phrase(key: Hashable, *, engine_seconds: float | None = None) -> str:
    """"you waited 24 s for this (training 4.3 s); cached now" or "from the cache" (for a caption)."""
    w = waited_for(key)
    inner = f" ({engine_seconds:.1f} s of it computing)" if engine_seconds is not None else ""
    if w is None:
        return "shown from the cache" + (f" (computed in {engine_seconds:.1f} s)" if engine_seconds else "")
    return f"you waited {_fmt_seconds(w)} for this from your click{inner}; cached now"


#: Panels left from the previous run fade out (greyed, 15% opacity) when a rerun lasts over half a second:
#: a slow recomputation never shows the previous view's charts as if they were current. Short reruns (a t
#: step) do not flicker: the fade only starts after the delay.
STALE_CSS = """<style>
[data-testid="stMain"] [data-testid="stElementContainer"][data-stale="true"] {
  opacity: 0.15 !important; filter: grayscale(1);
  transition: opacity 0.3s ease-in 0.5s, filter 0.3s ease-in 0.5s !important;
}
</style>"""


def stale_style() -> None:
    """Inject :data:`STALE_CSS` (``app.py`` calls it once per run)."""
    st.html(STALE_CSS)
