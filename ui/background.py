"""Slow work after first paint: one background thread per server process, polled by the page.

A page that can draw its main chart from shipped results (``ui.precomputed``) still needs objects that
are not tables (fitted maps, a certificate) for its other panels. Rather than make the first visit wait
for them, the page submits the work here, draws what it has with placeholders marked as pending, and a
polling fragment reruns the page when the work is done::

    job = background.get(("fit", key, method, seed))
    if job is not None and job.ready:
        fit = job.result()          # re-raises the work's exception (show it with ui.engine_errors)
    else:                           # submits the work after first paint, polls, reruns when done
        background.wait_panel(("fit", key, method, seed), "Fitting the barycenter", fit_fn, key, method, seed)

The work runs on a single worker thread shared by all sessions (a 2-core machine should not run two
fits at once), keyed so that two sessions asking for the same thing share one run. Work must not touch
``st.session_state``: pass it only what it needs (the cached wrappers keyed by a built-in dataset's
``DataKey`` qualify; an upload's does not).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import streamlit as st

from .boundary import fragment

POLL_SECONDS = 1.0


@dataclass(frozen=True, eq=False)
class Job:
    """A submitted piece of work: its future and when it started (wall clock, for the wait message)."""

    key: Hashable
    future: Future
    started: float

    @property
    def ready(self) -> bool:
        return self.future.done()

    def result(self) -> Any:
        return self.future.result()

    @property
    def waited(self) -> float:
        return time.time() - self.started


@st.cache_resource(show_spinner=False)
def _pool() -> tuple[ThreadPoolExecutor, dict, threading.Lock]:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="explorer-bg"), {}, threading.Lock()


def submit(key: Hashable, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Job:
    """The job for ``key``: the running or finished one, or ``fn(*args, **kwargs)`` submitted now.

    A failed job is kept (its error is shown) until :func:`forget` drops it.
    """
    pool, jobs, lock = _pool()
    with lock:
        job = jobs.get(key)
        if job is None:
            job = Job(key, pool.submit(_quiet, fn, *args, **kwargs), time.time())
            jobs[key] = job
            while len(jobs) > 64:  # finished jobs only; their results live in the caches they filled
                old = next((k for k, j in jobs.items() if j.ready), None)
                if old is None:
                    break
                jobs.pop(old)
    return job


def forget(key: Hashable) -> None:
    """Drop a finished job (e.g. to retry one that failed)."""
    pool, jobs, lock = _pool()
    with lock:
        if key in jobs and jobs[key].ready:
            jobs.pop(key)


def _quiet(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` off the script thread: a cached wrapper's spinner has no page to draw on there."""
    import logging

    log = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = log.level
    log.setLevel(logging.ERROR)  # "missing ScriptRunContext" is expected in this thread
    try:
        return fn(*args, **kwargs)
    finally:
        log.setLevel(level)


def get(key: Hashable) -> Job | None:
    """The job for ``key`` if one was submitted (running or finished), else None."""
    return _pool()[1].get(key)


def wait_panel(key: Hashable, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """A placeholder for panels that wait for ``fn(*args, **kwargs)``; reruns the page once it is done.

    Drawn as a fragment that polls every ``POLL_SECONDS``. The work is submitted on the fragment's first
    *scheduled* run, after the page has been drawn, so that it never competes with the first paint for
    the interpreter; the page stays usable (and the script idle between polls) while it runs.
    """
    count_key = f"_bg_polls_{hash(key)}"
    st.session_state[count_key] = 0

    @fragment(what="waiting for the background work", run_every=POLL_SECONDS)
    def _poll() -> None:
        polls = st.session_state.get(count_key, 0)
        st.session_state[count_key] = polls + 1
        job = get(key)
        if job is None and polls > 0:
            job = submit(key, fn, *args, **kwargs)
        if job is not None and job.ready:
            st.rerun()  # the whole page: the panels that waited can now be drawn
        waited = f"running in the background for {job.waited:.0f} s" if job is not None else "starting"
        st.info(f"{what}… ({waited}; this panel fills in by itself)", icon=":material/hourglass_top:")

    _poll()
