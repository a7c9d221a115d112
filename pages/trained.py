"""Trained frontier: train with task loss + λ·Î(S'; Z) over a λ grid, beside the barycenter optimum."""

from __future__ import annotations

from functools import partial

import streamlit as st

import ui
from ui import trained as sweeps
from ui import words
from unlearn_core.plots import training as tplots
from unlearn_core.plots import vega

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
estimators, models = list(sweeps.PENALTIES), list(sweeps.MODELS)
estimator = c[0].selectbox("Differentiable estimator Î", estimators,
                           format_func=lambda m: words.PENALTIES.get(m, m),
                           **ui.bind("train_penalty", "trained_estimator", options=estimators,
                                     fallback=estimators[0], what="Training penalty"),
                           help="The leakage penalty trained against "
                           "(unlearn_core.leakage.differentiable.PENALTIES).")
model = c[1].selectbox("Model", models, format_func=lambda m: words.MODELS.get(m, m),
                       **ui.bind("train_model", "trained_model", options=models,
                                 fallback="mlp" if "mlp" in models else models[0], what="Model"))
if not lesson:
    choices = sweeps.lam_choices()
    lams = c[2].multiselect("λ grid", choices, format_func=lambda v: f"{v:g}",
                            **ui.bind("train_lams", "trained_lams", options=choices, what="λ grid",
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
    lams, epochs, hidden_txt = list(sweeps.DEFAULT_GRID), sweeps.DEFAULT_EPOCHS, "64,32"
    warm = overlay = True

if not lams:
    st.warning("Pick at least one λ in the grid.", icon=":material/tune:")
    st.stop()
with ui.engine_errors("Reading the settings"):
    hidden = sweeps.parse_hidden(hidden_txt) if model == "mlp" else ()
key = sweeps.SweepKey(data.key, estimator, model, hidden, tuple(sorted(float(v) for v in lams)), int(epochs),
                      bool(warm), int(state.seed))

ui.runs.report_interrupted("trained_sweep", again="Press **Run sweep** to start it again.")
b = st.columns([1, 4])
run = b[0].button("Run sweep", type="primary", key="trained_run", icon=":material/play_arrow:")
if (run or sweeps.auto_run(key, ds.n_samples)) and sweeps.stored(key) is None:
    sweeps.run_sweep(key, ds)
elif st.session_state.pop(sweeps.CANCEL_KEY, False):
    st.session_state["_trained_msg"] = "Sweep cancelled."
if msg := st.session_state.get("_trained_msg"):
    st.warning(msg, icon=":material/cancel:")

frontier = sweeps.stored(key)
shipped = None
if frontier is None:
    shipped = frontier = ui.precomputed.trained_sweep(*key)  # the batch command's run of this very sweep
if frontier is None:
    b[1].info(f"Press **Run sweep** to train {len(key.lambdas)} models ({ds.n_samples:,} rows).",
              icon=":material/model_training:")
    st.stop()
caption = b[1].empty()  # a live sweep's is filled at the end: the wait includes the overlay and the charts
if shipped is not None:
    sweeps.shipped_caption(caption, frontier)
for m in frontier.meta.get("messages", ()):
    st.warning(m, icon=":material/warning:")

# -- the frontier ----------------------------------------------------------------------------------
analytic = sweeps.overlay(data.key, ds.name) if overlay else None
lam_values = [float(v) for v in frontier.table["lam"]]
if state.train_pick not in lam_values:  # not picked yet, or not in this sweep: the largest λ, as a default
    state.train_pick = None
left, right = st.columns([3, 2])
with right:
    st.selectbox("Show the model trained at λ", lam_values, format_func=lambda v: f"{v:g}",
                 **ui.bind("train_pick", "trained_lam", options=lam_values, fallback=lam_values[-1]))
    current = float(st.session_state["trained_lam"])
    sweeps.model_panel(frontier, current)
with left:
    # Vega-Lite, not plotly: a first visit then loads no plotly.js for this page's only chart
    st.vega_lite_chart(*vega.trained_frontier_at(frontier, analytic, current=current), width="stretch",
                       key="trained_chart", on_select=partial(sweeps.pick_lam, "trained_chart", vega.PICK),
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
with d2, ui.engine_errors("Scoring the held-out rows", stop=False):
    S, z, groups = sweeps.held_out_outputs(key, lam_values.index(current), frontier)
    name = f"P(y = {res.classes[-1]})" if S.ndim == 2 and res.classes is not None else None
    st.plotly_chart(tplots.group_outputs_figure(S, z, groups=groups, output_name=name, lam=current),
                    key="trained_outputs", config={"displaylogo": False})
    words.note("One histogram per group of Z. The more they overlap, the less the outputs say about Z.")
sweeps.sweep_table(frontier, data.key.label)
if shipped is None:  # (a shipped sweep's caption was written when it was loaded)
    sweeps.sweep_caption(caption, key, frontier)
