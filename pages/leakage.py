"""Leakage lab: how well does each estimator measure I(S'; Z)? Estimates and intervals beside the truth."""

from __future__ import annotations

import streamlit as st

import ui
from ui import lab, words
from ui.nav import ensure_frame
from unlearn_core.plots import leakage as lplots

DEFAULT_METHODS: tuple[str, ...] = ui.field_default("lab_methods")  # the defaults live on ui.AppState
N_CHOICES = (500, 1000, 2000, 5000, 10000)
BOOT_CHOICES = (0, 20, 50, 100, 200)
MI_TARGETS = (0.0, 0.05, 0.1, 0.3, 0.5, 1.0)
K_CHOICES = (2, 3, 4)
D_CHOICES = (1, 2, 5, 10)
DEFAULT_BOOT: int = ui.field_default("lab_boot")

ensure_frame()  # must come first: a deep link on a fresh server may skip app.py
state = ui.state()
lesson = ui.lesson_mode()
specs = lab.specs()
titles = {n: s.title for n, s in specs.items()}

st.title("Leakage lab: measuring I(S'; Z)")
st.caption(
    "Every frontier in this explorer puts a leakage estimate on one axis. Here the estimators face cases "
    "whose mutual information is known, or your data, and show their value, a bootstrap interval and their "
    "cost. MI is in nats; measures marked *not MI* have their own units."
)

# -- the case --------------------------------------------------------------------------------------
_bind_n = ui.bind("lab_n", "lab_n", options=N_CHOICES, fallback=ui.field_default("lab_n"),
                  what="Sample size n")  # one knob, drawn in either branch below
c = st.columns([2, 3])
kinds = list(lab.CASE_LABELS)
kind = c[0].radio("Measure leakage in", kinds, format_func=lab.CASE_LABELS.get,
                  **ui.bind("lab_case", "lab_case", options=kinds, fallback=kinds[0], what="Case"))
with c[1]:
    if kind == "world":
        worlds = list(lab.worlds())
        k = st.columns(4)
        world = k[0].selectbox("World", worlds, format_func=lambda w: lab.worlds()[w].title,
                               **ui.bind("lab_world", "lab_world", options=worlds, fallback=worlds[0],
                                         what="World"))
        K = k[1].selectbox("Groups K", K_CHOICES, **ui.bind("lab_K", "lab_K", options=K_CHOICES,
                                                            fallback=K_CHOICES[0], what="Groups K"))
        d = k[2].selectbox("Dimension d", D_CHOICES, disabled=world == "identity", **ui.bind(
            "lab_d", "lab_d", options=D_CHOICES, fallback=ui.field_default("lab_d"), what="Dimension d"))
        target = k[3].selectbox(
            "Target MI (nats)", MI_TARGETS, disabled=world != "gaussian-mixture", **ui.bind(
            "lab_target", "lab_target", options=MI_TARGETS, fallback=ui.field_default("lab_target"),
            what="Target MI"))
        n = st.select_slider("Sample size n", N_CHOICES, **_bind_n)
        case = lab.world_case(world, K, d, target, n, state.seed)
    else:
        data = ui.current_data()
        n = st.select_slider("Rows used (a random subset of larger data)", N_CHOICES, **_bind_n)
        if kind == "data":
            case = lab.Case("data", n=int(n), data=data.key, seed=int(state.seed))
        else:
            st.caption(f"Barycenter method **{state.method}**, t = **{state.t:.2f}** (set them on the "
                       "Feature-unlearning page).")
            case = lab.Case("outcome", n=int(n), data=data.key, method=state.method, t=float(state.t),
                        seed=int(state.seed))
            with ui.engine_errors("Attacking the held-out view", stop=False):
                att = ui.cached_view_attack(data.key, state.method, int(state.seed), float(state.t))
                (st.warning if att.recovered else st.success)(
                    f"**The strong attacker on this view** (held-out rows, the number the Feature-unlearning "
                    f"and Audit pages show): AUC **{att.auc:.3f}** "
                    f"({att.auc_ci[0]:.3f}–{att.auc_ci[1]:.3f}). "
                    + att.verdict(), icon=":material/gpp_maybe:" if att.recovered else ":material/shield:")

names = lab.methods()
e = st.columns([4, 1])
chosen = e[0].multiselect(
    "Estimators", names, format_func=lambda m: titles.get(m, m),
    **ui.bind("lab_methods", "lab_methods", options=names, what="Estimators"),
    help="Neural (dv, infonce) and kernel (hsic, mmd) estimators take seconds; the rest are fast.",
)
n_boot = DEFAULT_BOOT if lesson else int(e[1].select_slider(
    "Bootstrap resamples", BOOT_CHOICES, **ui.bind("lab_boot", "lab_boot", options=BOOT_CHOICES,
                                                   fallback=DEFAULT_BOOT, what="Bootstrap resamples"),
    help="0 turns the intervals off (much faster)."))
if not chosen:
    st.info("Pick at least one estimator.", icon=":material/tune:")
    st.stop()

with ui.engine_errors("Preparing the case"):
    _, _, truth, truth_error, description = lab.case_data(case)
st.caption(description + (f" True I(S; Z) = **{truth:.4f} nats**." if truth is not None else ""))

estimates = lab.run_estimates(case, chosen, n_boot, int(state.seed), titles)
if not estimates:
    st.stop()

left, right = st.columns([3, 2])
with left:  # Vega-Lite, not plotly: a first visit then fetches no plotly.js
    st.vega_lite_chart(*lplots.estimates_at(estimates, truth=truth, truth_error=truth_error, titles=titles),
                       key="lab_estimates")
    words.note("Each dot is an estimate with its bootstrap interval. A good MI estimator's interval covers "
               "the red truth line; measures that are not MI sit in their own panel, in their own units.")
with right:
    st.vega_lite_chart(*lplots.timings_at(estimates, titles=titles), width="stretch", key="lab_timings")
    words.note("Seconds per estimate on a log scale: each step right is ten times slower.")

lab.results_table(estimates, truth, specs, titles)
lab.guide(names, specs)
