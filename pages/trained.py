"""Trained frontier: train with task loss + λ·Î(S'; Z) over a λ grid, beside the barycenter optimum."""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import numpy as np
import streamlit as st

import ui
from ui import runs, waits, words
from ui.cache import DataKey
from ui.selection import param_from_vega_selection
from unlearn_core.frontier.trained import DEFAULT_LAMBDAS, trained_frontier
from unlearn_core.plots import training as tplots
from unlearn_core.plots import vega

# The registries' names without importing torch (ui.precomputed; a test keeps them equal): a first visit
# draws the shipped sweep without loading torch, which only a sweep that trains needs.
PENALTIES = ui.precomputed.PENALTY_NAMES
MODELS = ui.precomputed.MODEL_NAMES

# The defaults live on ui.AppState (a link without the knob opens them).
DEFAULT_GRID: tuple[float, ...] = ui.field_default("train_lams")  # a 4-point subset of the engine's grid
#: λ values offered by the grid picker (a fixed menu, so repeated sweeps hit the cache).
LAM_CHOICES: tuple[float, ...] = tuple(sorted({*DEFAULT_LAMBDAS, *DEFAULT_GRID, 50.0, 200.0, 500.0}))
DEFAULT_EPOCHS: int = ui.field_default("train_epochs")
AUTO_RUN_MAX_ROWS = 5000  # the first visit runs the default sweep by itself on data this small
MAX_SWEEPS = 16
CANCEL_KEY = "_trained_cancel"


class SweepKey(NamedTuple):
    """Everything that defines a sweep: the cache key of its Frontier.

    A NamedTuple, not a dataclass: the page script re-runs and so re-creates this class, and a
    dataclass compares equal only to instances of the very same class object; tuples compare by value.
    """

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


def _remember(key: SweepKey, frontier) -> None:
    store = _sweeps()
    store.pop(key, None)
    store[key] = frontier
    while len(store) > MAX_SWEEPS:
        store.pop(next(iter(store)))


@st.cache_data(max_entries=32, show_spinner="Scoring the held-out rows…")
def held_out_outputs(key: SweepKey, index: int, _frontier) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(S', z, groups) of the λ = lambdas[index] model on the sweep's held-out split."""
    from unlearn_core import datasets

    res = _frontier.meta["results"][index]
    ds = ui.load_data(key.data)
    meta = _frontier.meta
    _, test = datasets.split(ds, test_size=meta["test_size"], random_state=meta["random_state"])
    S = res.predict_outputs(test.X.to_numpy(dtype=float))
    return S, test.z.to_numpy().astype(str), tuple(str(g) for g in res.groups)


@ui.callback("Cancelling the sweep")
def _cancel() -> None:
    st.session_state[CANCEL_KEY] = True
    runs.clear("trained_sweep")


def _parse_hidden(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError:
        raise ValueError(f"hidden widths {text!r} must be integers separated by commas, e.g. 64,32") from None
    if not widths or any(w < 1 or w > 1024 for w in widths):
        raise ValueError(f"hidden widths {text!r} must be 1 to 1024 units per layer, e.g. 64,32")
    return widths


def _run_sweep(key: SweepKey, ds) -> None:
    """Train the sweep with a progress bar and a cancel button; store it on success."""
    st.session_state[CANCEL_KEY] = False
    slot = st.empty()  # emptied when the run ends (emptying the container itself would add an element to it)
    box = slot.container(border=True)
    bar = box.progress(0.0, text="Starting the sweep…")
    box.button("Cancel", key="trained_cancel_btn", on_click=_cancel, icon=":material/cancel:")

    def progress(step: int, total: int, metrics) -> None:
        lam, loss = metrics.get("lam", float("nan")), metrics.get("task_loss", float("nan"))
        bar.progress(min(step / max(total, 1), 1.0),
                     text=f"λ = {lam:g} · step {step:,} of {total:,} · task loss {loss:.3f}")

    def should_stop() -> bool:
        return bool(st.session_state.get(CANCEL_KEY, False))

    with runs.tracked("trained_sweep", f"sweep of {len(key.lambdas)} λ values"), \
            ui.engine_errors("Training the λ sweep"):
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
    waits.record(("sweep", key), waits.waited())  # completed below, once the page has drawn the sweep
    st.session_state["_trained_msg"] = ""


@ui.callback("Selecting a trained point")
def _pick_lam(chart_key: str) -> None:
    """A click on a trained point selects its λ (the ``param`` field of the chart's point selection)."""
    lam = param_from_vega_selection(st.session_state.get(chart_key), vega.PICK)
    if lam is not None:
        ui.state().train_pick = lam


state = ui.state()
data = ui.current_data()
ds = data.dataset
lesson = ui.lesson_mode()

st.title("Trained frontier: regularised training over a λ grid")
st.caption(
    f"Dataset **{ds.name}** ({ds.n_samples:,} rows, task: {ds.task or 'none'}); forgetting "
    f"**Z = {ds.sensitive}**. Each model minimises task loss + λ·Î(S'; Z) with S' its output; leakage is "
    "then measured on held-out rows by estimators it was *not* trained against (an attacker guessing Z from "
    "the outputs, a k-NN estimate of the mutual information)."
)
st.latex(r"\min_\theta\; \mathbb{E}\,\ell\big(f_\theta(X), Y\big) \;+\; "
         r"\lambda\,\hat I\big(f_\theta(X);\,Z\big)")

# -- controls --------------------------------------------------------------------------------------
c = st.columns([2, 2, 3, 2] if not lesson else [3, 3])
estimators = list(PENALTIES)
estimator = c[0].selectbox("Differentiable estimator Î", estimators,
                           format_func=lambda m: words.PENALTIES.get(m, m),
                           **ui.bind("train_penalty", "trained_estimator", options=estimators,
                                     fallback=estimators[0], what="Training penalty"),
                           help="The leakage penalty trained against "
                           "(unlearn_core.leakage.differentiable.PENALTIES).")
models = list(MODELS)
model = c[1].selectbox("Model", models, format_func=lambda m: words.MODELS.get(m, m),
                       **ui.bind("train_model", "trained_model", options=models,
                                 fallback="mlp" if "mlp" in models else models[0],
                                 what="Model"))
if not lesson:
    lams = c[2].multiselect("λ grid", LAM_CHOICES, format_func=lambda v: f"{v:g}",
                            **ui.bind("train_lams", "trained_lams", options=LAM_CHOICES, what="λ grid",
                                      fmt=lambda v: f"{v:g}"),
                            help="Softmax averaging's values are hundredths of a nat, so useful λ reach the "
                            "tens; beyond about 100 there is no mean gap left to remove and more weight only "
                            "costs utility.")
    epochs = int(c[3].number_input("Epochs (first λ)", 1, 100, **ui.bind("train_epochs", "trained_epochs"),
                                   help="Later λ warm-start from the previous model and train a fraction "
                                   "as long."))
    o = st.columns([2, 2, 3, 2])
    hidden_txt = o[0].text_input("MLP hidden widths", disabled=model != "mlp",
                                 **ui.bind("train_hidden", "trained_hidden"))
    warm = o[1].checkbox("Warm starts", **ui.bind("train_warm", "trained_warm"),
                         help="Start each λ from the previous solution (faster; the frontier is traced "
                         "continuously).")
    overlay = o[2].checkbox("Analytic frontier overlay", **ui.bind("train_overlay", "trained_overlay"),
                         help="Draw the barycenter (McCann path) frontier of the sidebar's method on the "
                         "same axes.")
else:
    lams, epochs, hidden_txt, warm, overlay = list(DEFAULT_GRID), DEFAULT_EPOCHS, "64,32", True, True

if not lams:
    st.warning("Pick at least one λ in the grid.", icon=":material/tune:")
    st.stop()
with ui.engine_errors("Reading the settings"):
    hidden = _parse_hidden(hidden_txt) if model == "mlp" else ()
key = SweepKey(data.key, estimator, model, hidden, tuple(sorted(float(v) for v in lams)), int(epochs),
               bool(warm), int(state.seed))

runs.report_interrupted("trained_sweep", again="Press **Run sweep** to start it again.")
b = st.columns([1, 4])
run = b[0].button("Run sweep", type="primary", key="trained_run", icon=":material/play_arrow:")
cached = key in _sweeps()
auto = (not cached and ds.n_samples <= AUTO_RUN_MAX_ROWS and not st.session_state.get("_trained_auto_done"))
if auto:
    st.session_state["_trained_auto_done"] = True
if (run or auto) and not cached:
    _run_sweep(key, ds)
elif st.session_state.pop(CANCEL_KEY, False):
    st.session_state["_trained_msg"] = "Sweep cancelled."
if msg := st.session_state.get("_trained_msg"):
    st.warning(msg, icon=":material/cancel:")

frontier = _sweeps().get(key)
shipped = None
if frontier is None:
    shipped = frontier = ui.precomputed.trained_sweep(*key)  # the batch command's run of this very sweep
if frontier is None:
    b[1].info(f"Press **Run sweep** to train {len(key.lambdas)} models ({ds.n_samples:,} rows).",
              icon=":material/model_training:")
    st.stop()
sweep_caption = b[1].empty()  # filled at the end: the wait includes the overlay and the charts
if shipped is not None:
    sweep_caption.caption(
        f"Sweep of {len(frontier.table)} λ values {frontier.meta['precomputed']} "
        f"({frontier.meta['n_train']:,} training / {frontier.meta['n_test']:,} held-out rows; it took "
        f"{frontier.seconds:.0f} s). **Run sweep** retrains it live.")
for m in frontier.meta.get("messages", ()):
    st.warning(m, icon=":material/warning:")

# -- the frontier ----------------------------------------------------------------------------------
analytic = None
if overlay:
    with ui.engine_errors("Computing the analytic frontier", stop=False):
        analytic = ui.cache.frontier_waited(
            data.key, state.method, state.seed, button_key="trained_overlay_wait",
            what=f"Computing the analytic overlay (the {state.method} barycenter path on {ds.name}): a "
            f"downstream model and an attacker for each of {len(ui.cache.FRONTIER_TS)} values of t")
lam_values = [float(v) for v in frontier.table["lam"]]
if state.train_pick not in lam_values:  # not picked yet, or not in this sweep: the largest λ, as a default
    state.train_pick = None
left, right = st.columns([3, 2])
with right:
    st.selectbox("Show the model trained at λ", lam_values, format_func=lambda v: f"{v:g}",
                 **ui.bind("train_pick", "trained_lam", options=lam_values, fallback=lam_values[-1]))
    current = float(st.session_state["trained_lam"])
    row = frontier.table.iloc[lam_values.index(current)]
    m = st.columns(2)
    util = frontier.utility
    base = frontier.table.iloc[0]
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
with left:
    # Vega-Lite, not plotly: a first visit then loads no plotly.js for this page's only chart
    st.vega_lite_chart(*vega.trained_frontier_at(frontier, analytic, current=current), width="stretch",
                       key="trained_chart", on_select=partial(_pick_lam, "trained_chart"),
                       selection_mode=vega.PICK)
    words.note("Each blue point is a model trained at one λ; the star is the one shown. Left means an "
               "attacker guesses Z less well from the outputs, up means better predictions of y.")
    st.caption(
        "Leakage on this chart is an attacker's AUC for Z from a model's **outputs** on held-out rows: the "
        "trained model's (points) or, for the dotted curve, a logistic model's trained on the transported "
        f"features X_t ({state.method} barycenter). The Feature-unlearning page's frontier attacks X_t "
        "itself, so its curve differs from this one. Click a trained point to select its λ."
    )

# -- per-λ detail ----------------------------------------------------------------------------------
st.session_state["_last_trained_frontier"] = frontier  # the Audit page exports it
if "results" not in frontier.meta:  # a shipped sweep: tables only, no trained models
    st.info("The training curves and the outputs by group need the trained models, which are not shipped: "
            f"press **Run sweep** to train the {len(lam_values)} models live.",
            icon=":material/model_training:")
    st.stop()
res = frontier.meta["results"][lam_values.index(current)]
if not res.converged and res.message:
    st.warning(f"λ = {current:g}: {res.message}", icon=":material/warning:")
d1, d2 = st.columns(2)
with d1:
    st.plotly_chart(tplots.training_curves_figure(res.history, lam=current), key="trained_curves",
                    config={"displaylogo": False})
    words.note("Task loss should fall and level off; Î (right axis, nats) is the leakage penalty the model "
               "was trained against. The dotted line is Î on held-out rows.")
with d2:
    with ui.engine_errors("Scoring the held-out rows", stop=False):
        S, z, groups = held_out_outputs(key, lam_values.index(current), frontier)
        name = None
        if S.ndim == 2 and res.classes is not None:
            name = f"P(y = {res.classes[-1]})"
        st.plotly_chart(tplots.group_outputs_figure(S, z, groups=groups, output_name=name, lam=current),
                        key="trained_outputs", config={"displaylogo": False})
        words.note("One histogram per group of Z. The more they overlap, the less the outputs say about Z.")

with st.expander("Sweep table", expanded=False):
    wanted = ("lam", "accuracy", "auc", "r2", "mse", "probe_auc", "probe_acc", "knn_mi", "dp_gap",
              "discrimination", "reg", "test_reg", "epochs", "seconds", "pareto")
    cols = [c for c in wanted if c in frontier.table]
    st.dataframe(words.screen_table(frontier.table, cols), hide_index=True)
    st.caption("The CSV download keeps the engine's short column names, for scripts.")
    st.download_button("Trained frontier (CSV)", data=frontier.to_csv(),
                       file_name=f"{data.key.label}-trained-frontier.csv", mime="text/csv", on_click="ignore",
                       key="trained_dl")
st.session_state["_last_trained_frontier"] = frontier  # the Audit page exports it

# the wait the user had, from the click to here (the sweep, the overlay, the scoring and the charts)
_sweep_wait = waits.waited_for(("sweep", key))
if _sweep_wait is not None and not st.session_state.get("_trained_wait_done") == key:
    waits.record(("sweep", key), waits.waited())
    st.session_state["_trained_wait_done"] = key
    _sweep_wait = waits.waited_for(("sweep", key))
if shipped is None:  # (a shipped sweep's caption was written when it was loaded)
    sweep_caption.caption(
        f"Sweep of {len(frontier.table)} λ values ({frontier.meta['n_train']:,} training / "
        f"{frontier.meta['n_test']:,} held-out rows): "
        + (f"you waited {_sweep_wait:.1f} s from your click, of which training took "
           f"{frontier.seconds:.1f} s; cached now." if _sweep_wait is not None
           else "cached, shown at once (training took "
           f"{frontier.seconds:.1f} s when it ran).")
    )
