"""The Trained-frontier page's machinery: the sweep key, the store of finished sweeps, running a sweep with
progress and cancel, the held-out outputs of one λ, and the selected model's panel.

``pages/trained.py`` reads its widgets and hands their values here; everything that keeps state across
reruns (the sweep store, the cached held-out outputs) lives in this module, so the page holds no cache.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import streamlit as st

from . import precomputed, runs, waits, words
from .boundary import callback
from .cache import DataKey, load_data
from .errors import engine_errors
from .selection import param_from_vega_selection
from .state import field_default, state

# The registries' names without importing torch (ui.precomputed; a test keeps them equal): a first visit
# draws the shipped sweep without loading torch, which only a sweep that trains needs.
PENALTIES = precomputed.PENALTY_NAMES
MODELS = precomputed.MODEL_NAMES
DEFAULT_GRID: tuple[float, ...] = field_default("train_lams")  # a 4-point subset of the engine's grid
DEFAULT_EPOCHS: int = field_default("train_epochs")
AUTO_RUN_MAX_ROWS = 5000  # the first visit runs the default sweep by itself on data this small
MAX_SWEEPS = 16
CANCEL_KEY = "_trained_cancel"


def lam_choices() -> tuple[float, ...]:
    """λ values offered by the grid picker (a fixed menu, so repeated sweeps hit the cache)."""
    from unlearn_core.frontier.trained import DEFAULT_LAMBDAS

    return tuple(sorted({*DEFAULT_LAMBDAS, *DEFAULT_GRID, 50.0, 200.0, 500.0}))


class SweepKey(NamedTuple):
    """Everything that defines a sweep: the cache key of its Frontier (a tuple: compares by value)."""

    data: DataKey
    estimator: str
    model: str
    hidden: tuple[int, ...]
    lambdas: tuple[float, ...]
    epochs: int
    warm_start: bool
    seed: int


@st.cache_resource(show_spinner=False)
def _sweeps() -> dict:
    """Finished sweeps by SweepKey, shared by reruns (a progress bar cannot live inside st.cache_data)."""
    return {}


def stored(key: SweepKey):
    """The finished sweep of ``key`` (trained in this server), or None."""
    return _sweeps().get(key)


def _remember(key: SweepKey, frontier) -> None:
    store = _sweeps()
    store.pop(key, None)
    store[key] = frontier
    while len(store) > MAX_SWEEPS:
        store.pop(next(iter(store)))


def auto_run(key: SweepKey, n_rows: int) -> bool:
    """True once per session for an untrained sweep on data of at most AUTO_RUN_MAX_ROWS rows: the first
    visit runs the default sweep by itself on small data."""
    if stored(key) is not None or n_rows > AUTO_RUN_MAX_ROWS or st.session_state.get("_trained_auto_done"):
        return False
    st.session_state["_trained_auto_done"] = True
    return True


@st.cache_data(max_entries=32, show_spinner="Scoring the held-out rows…")
def held_out_outputs(key: SweepKey, index: int, _frontier) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(S', z, groups) of the λ = lambdas[index] model on the sweep's held-out split."""
    from unlearn_core import datasets

    res = _frontier.meta["results"][index]
    meta = _frontier.meta
    _, test = datasets.split(load_data(key.data), test_size=meta["test_size"],
                             random_state=meta["random_state"])
    S = res.predict_outputs(test.X.to_numpy(dtype=float))
    return S, test.z.to_numpy().astype(str), tuple(str(g) for g in res.groups)


@callback("Cancelling the sweep")
def cancel() -> None:
    st.session_state[CANCEL_KEY] = True
    runs.clear("trained_sweep")


@callback("Selecting a trained point")
def pick_lam(chart_key: str, pick: str) -> None:
    """A click on a trained point selects its λ (the ``param`` field of the chart's point selection)."""
    lam = param_from_vega_selection(st.session_state.get(chart_key), pick)
    if lam is not None:
        state().train_pick = lam


def parse_hidden(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError:
        raise ValueError(f"hidden widths {text!r} must be integers separated by commas, e.g. 64,32") from None
    if not widths or any(w < 1 or w > 1024 for w in widths):
        raise ValueError(f"hidden widths {text!r} must be 1 to 1024 units per layer, e.g. 64,32")
    return widths


def run_sweep(key: SweepKey, ds) -> None:
    """Train the sweep with a progress bar and a cancel button; store it on success."""
    from unlearn_core.frontier.trained import trained_frontier

    st.session_state[CANCEL_KEY] = False
    slot = st.empty()  # emptied when the run ends (emptying the container itself would add an element to it)
    box = slot.container(border=True)
    bar = box.progress(0.0, text="Starting the sweep…")
    box.button("Cancel", key="trained_cancel_btn", on_click=cancel, icon=":material/cancel:")

    def progress(step: int, total: int, metrics) -> None:
        lam, loss = metrics.get("lam", float("nan")), metrics.get("task_loss", float("nan"))
        bar.progress(min(step / max(total, 1), 1.0),
                     text=f"λ = {lam:g} · step {step:,} of {total:,} · task loss {loss:.3f}")

    def should_stop() -> bool:
        return bool(st.session_state.get(CANCEL_KEY, False))

    with runs.tracked("trained_sweep", f"sweep of {len(key.lambdas)} λ values"), \
            engine_errors("Training the λ sweep"):
        frontier = trained_frontier(
            ds, lambdas=key.lambdas, estimator=key.estimator, model=key.model, hidden=key.hidden,
            epochs=key.epochs, warm_start=key.warm_start, random_state=key.seed, progress=progress,
            should_stop=should_stop, keep_results=True,
        )
    slot.empty()
    if frontier.meta.get("stopped"):
        st.session_state["_trained_msg"] = ("Sweep cancelled after "
                                            f"{len(frontier.table)} of {len(key.lambdas)} λ values.")
        if len(frontier.table):
            _remember(key, frontier)
        return
    _remember(key, frontier)
    waits.record(("sweep", key), waits.waited())  # completed by sweep_caption, once the page has drawn it
    st.session_state["_trained_msg"] = ""


def model_panel(frontier, current: float) -> None:
    """The selected model's numbers (utility, attacker AUC, parity gap, k-NN MI) with their warnings."""
    lam_values = [float(v) for v in frontier.table["lam"]]
    row = frontier.table.iloc[lam_values.index(current)]
    util, base = frontier.utility, frontier.table.iloc[0]
    m = st.columns(2)
    m[0].metric(words.label(util, short=True), f"{row[util]:.3f}",
                delta=f"{row[util] - base[util]:+.3f} vs λ = {base['lam']:g}",
                help=words.label(util) + ", on held-out rows")
    m[1].metric("attacker AUC for Z", f"{row['probe_auc']:.3f}",
                delta=f"{row['probe_auc'] - base['probe_auc']:+.3f}", delta_color="inverse",
                help="A held-out attacker's AUC guessing Z from the model's outputs; "
                "0.5 = nothing to recover.")
    m = st.columns(2)
    m[0].metric("Demographic-parity gap", f"{row['dp_gap']:.3f}",
                delta=f"{row['dp_gap'] - base['dp_gap']:+.3f}", delta_color="inverse")
    m[1].metric("k-NN MI (nats)", f"{row['knn_mi']:.4f}", help="Held-out k-NN estimate of I(S'; Z), in nats.")
    st.caption(f"This model: {int(row['epochs'])} epochs of training ({row['seconds']:.2f} s of computing).")
    if row["probe_auc"] >= 0.6:
        st.warning(f"An attacker still recovers Z from this model's outputs (AUC {row['probe_auc']:.2f}; "
                   "0.5 is chance). Raise λ to remove more.", icon=":material/gpp_maybe:")
    if util == "r2" and row[util] < 0:
        st.warning(f"R² is {row[util]:.2f} on held-out rows: the model is worse than predicting the mean.",
                   icon=":material/warning:")


def sweep_table(frontier, label: str) -> None:
    """The sweep's table in screen words, with its CSV download (engine column names)."""
    with st.expander("Sweep table", expanded=False):
        wanted = ("lam", "accuracy", "auc", "r2", "mse", "probe_auc", "probe_acc", "knn_mi", "dp_gap",
                  "discrimination", "reg", "test_reg", "epochs", "seconds", "pareto")
        cols = [c for c in wanted if c in frontier.table]
        st.dataframe(words.screen_table(frontier.table, cols), hide_index=True)
        st.caption("The CSV download keeps the engine's short column names, for scripts.")
        st.download_button("Trained frontier (CSV)", data=frontier.to_csv(),
                           file_name=f"{label}-trained-frontier.csv", mime="text/csv", on_click="ignore",
                           key="trained_dl")


def overlay(data_key: DataKey, name: str):
    """The analytic (barycenter path) frontier of the sidebar's method, shipped or computed with a wait."""
    from .cache import FRONTIER_TS, frontier_waited

    s = state()
    with engine_errors("Computing the analytic frontier", stop=False):
        return frontier_waited(
            data_key, s.method, s.seed, button_key="trained_overlay_wait",
            what=f"Computing the analytic overlay (the {s.method} barycenter path on {name}): a downstream "
            f"model and an attacker for each of {len(FRONTIER_TS)} values of t")
    return None


def shipped_caption(slot, frontier) -> None:
    """A shipped sweep's caption: where it comes from, its split and how long it took when it ran."""
    slot.caption(f"Sweep of {len(frontier.table)} λ values {frontier.meta['precomputed']} "
                 f"({frontier.meta['n_train']:,} training / {frontier.meta['n_test']:,} held-out rows; it "
                 f"took {frontier.seconds:.0f} s). **Run sweep** retrains it live.")


def sweep_caption(slot, key: SweepKey, frontier) -> None:
    """The live sweep's caption: the wait the user had from the click to the drawn page, or "cached"."""
    wait = waits.waited_for(("sweep", key))
    if wait is not None and not st.session_state.get("_trained_wait_done") == key:
        waits.record(("sweep", key), waits.waited())
        st.session_state["_trained_wait_done"] = key
        wait = waits.waited_for(("sweep", key))
    slot.caption(
        f"Sweep of {len(frontier.table)} λ values ({frontier.meta['n_train']:,} training / "
        f"{frontier.meta['n_test']:,} held-out rows): "
        + (f"you waited {wait:.1f} s from your click, of which training took "
           f"{frontier.seconds:.1f} s; cached now." if wait is not None
           else f"cached, shown at once (training took {frontier.seconds:.1f} s when it ran).")
    )
