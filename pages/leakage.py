"""Leakage lab: how well does each estimator measure I(S'; Z)? Estimates and intervals beside the truth."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

import ui
from ui import words
from ui.cache import DataKey
from ui.nav import ensure_frame
from unlearn_core import leakage
from unlearn_core.leakage import ground_truth
from unlearn_core.plots import leakage as lplots

DEFAULT_METHODS: tuple[str, ...] = ui.field_default("lab_methods")  # the defaults live on ui.AppState
N_CHOICES = (500, 1000, 2000, 5000, 10000)
BOOT_CHOICES = (0, 20, 50, 100, 200)
MI_TARGETS = (0.0, 0.05, 0.1, 0.3, 0.5, 1.0)
K_CHOICES = (2, 3, 4)
D_CHOICES = (1, 2, 5, 10)
DEFAULT_BOOT: int = ui.field_default("lab_boot")
BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "leakage.md"
CASE_LABELS = {
    "world": "a ground-truth world (known MI)",
    "data": "the current data: features X vs Z",
    "outcome": "the barycenter outcome X_t at the current t",
}


class Case(NamedTuple):
    """What is measured: a synthetic world with its parameters, or the current data / outcome.

    A NamedTuple so that keys made on different reruns (which re-create this class) compare equal.
    """

    kind: str  # "world" | "data" | "outcome"
    world: str = ""
    K: int = 2
    d: int = 1
    target_mi: float = 0.3
    n: int = 2000
    data: DataKey | None = None
    method: str = ""
    t: float = 0.0
    seed: int = 0


@st.cache_data(max_entries=16, show_spinner="Drawing the sample…")
def case_data(case: Case) -> tuple[np.ndarray, np.ndarray, float | None, float, str]:
    """(S, z, true MI or None, its numerical error, a description); data cases use ``case.n`` random rows.

    A plain tuple: st.cache_data pickles the value, and a class defined in a page script (module
    ``__main__`` under ``streamlit run``) cannot be pickled.
    """
    rng = np.random.default_rng([case.seed, 7])
    if case.kind == "world":
        spec = ground_truth.WORLDS[case.world]
        opts = {"K": case.K, "n": case.n, "random_state": case.seed}
        if case.world != "identity":
            opts["d"] = case.d
        if case.world == "gaussian-mixture":
            opts["target_mi"] = case.target_mi
        w = spec.fn(**opts)
        return (np.asarray(w.S, dtype=float), np.asarray(w.z), float(w.true_mi), float(w.true_mi_error),
                f"{spec.title}: {spec.description} K = {case.K}"
                + (f", d = {case.d}" if case.world != "identity" else "") + f", n = {case.n:,}.")
    if case.kind == "data":
        ds = ui.load_data(case.data)
        S, z = ds.X.to_numpy(dtype=float), ds.z.to_numpy().astype(str)
        what = f"{ds.name}: its {ds.n_features} features X against Z = {ds.sensitive}"
    else:
        fit = ui.cached_fit(case.data, case.method, case.seed)
        S, z = (1.0 - case.t) * fit.X + case.t * fit.X_end, fit.z
        what = f"X_t on the path to the {case.method} barycenter at t = {case.t:.2f}"
    rows = np.sort(rng.choice(len(S), size=case.n, replace=False)) if len(S) > case.n else np.arange(len(S))
    drawn = rows.size < len(S)
    note = f" ({rows.size:,} of {len(S):,} rows, drawn at random)" if drawn else f" ({len(S):,} rows)"
    return S[rows], z[rows], None, 0.0, what + note + "; no ground truth."


@st.cache_data(max_entries=256, show_spinner=False)
def cached_estimate(case: Case, method: str, n_boot: int, seed: int):
    """``leakage.estimate`` on the case's sample (one entry per method, so adding one reuses the rest)."""
    S, z, *_ = case_data(case)
    return leakage.estimate(S, z, method=method, n_boot=n_boot, random_state=seed)


ensure_frame()  # must come first: a deep link on a fresh server may skip app.py
state = ui.state()
lesson = ui.lesson_mode()
specs = leakage.specs()
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
kinds = list(CASE_LABELS)
kind = c[0].radio("Measure leakage in", kinds, format_func=CASE_LABELS.get,
                  **ui.bind("lab_case", "lab_case", options=kinds, fallback=kinds[0], what="Case"))
with c[1]:
    if kind == "world":
        worlds = list(ground_truth.WORLDS)
        k = st.columns(4)
        world = k[0].selectbox("World", worlds, format_func=lambda w: ground_truth.WORLDS[w].title,
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
        case = Case("world", world=world, K=int(K), d=int(d), target_mi=float(target), n=int(n),
                    seed=int(state.seed))
    else:
        data = ui.current_data()
        n = st.select_slider("Rows used (a random subset of larger data)", N_CHOICES, **_bind_n)
        if kind == "data":
            case = Case("data", n=int(n), data=data.key, seed=int(state.seed))
        else:
            st.caption(f"Barycenter method **{state.method}**, t = **{state.t:.2f}** (set them on the "
                       "Feature-unlearning page).")
            case = Case("outcome", n=int(n), data=data.key, method=state.method, t=float(state.t),
                        seed=int(state.seed))
            with ui.engine_errors("Attacking the held-out view", stop=False):
                att = ui.cached_view_attack(data.key, state.method, int(state.seed), float(state.t))
                (st.warning if att.recovered else st.success)(
                    f"**The strong attacker on this view** (held-out rows, the number the Feature-unlearning "
                    f"and Audit pages show): AUC **{att.auc:.3f}** "
                    f"({att.auc_ci[0]:.3f}–{att.auc_ci[1]:.3f}). "
                    + att.verdict(), icon=":material/gpp_maybe:" if att.recovered else ":material/shield:")

names = leakage.methods()
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
    _, _, truth, truth_error, description = case_data(case)
st.caption(description + (f" True I(S; Z) = **{truth:.4f} nats**." if truth is not None else ""))

estimates, failures = [], []
bar = st.progress(0.0, text="Estimating…") if len(chosen) > 1 else None
for i, method in enumerate(chosen):
    if bar is not None:
        bar.progress(i / len(chosen), text=f"{titles.get(method, method)} ({i + 1} of {len(chosen)})…")
    try:
        estimates.append(cached_estimate(case, method, n_boot, int(state.seed)))
    except Exception as exc:  # one estimator that cannot apply must not hide the others
        failures.append((method, str(exc).strip() or type(exc).__name__))
if bar is not None:
    bar.empty()
for method, msg in failures:
    st.warning(f"**{titles.get(method, method)}** did not run: {msg}", icon=":material/block:")
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

rows = []
for est in estimates:
    row = {"estimator": titles.get(est.method, est.method), "value": est.value,
           "CI low": est.ci[0] if est.ci else np.nan, "CI high": est.ci[1] if est.ci else np.nan,
           "unit": specs[est.method].unit, "seconds": est.seconds, "value before clipping at 0": est.raw}
    if truth is not None and est.is_mi:
        row["error vs truth"] = est.value - truth
        row["CI covers truth"] = bool(est.ci[0] <= truth <= est.ci[1]) if est.ci else None
    row["known bias"] = est.bias
    rows.append(row)
st.dataframe(pd.DataFrame(rows), hide_index=True, column_config={
    k: st.column_config.NumberColumn(k, format="%.4f")
    for k in ("value", "CI low", "CI high", "value before clipping at 0", "error vs truth")
} | {"seconds": st.column_config.NumberColumn("time (s)", format="%.3f")})

# -- the guide -------------------------------------------------------------------------------------
st.subheader("Which estimator when")
guide = pd.DataFrame([{
    "estimator": s.title, "MI?": "yes (nats)" if s.is_mi else f"no ({s.unit})", "input": s.input,
    "differentiable": "yes" if s.differentiable else "", "when to use": s.when_to_use, "known bias": s.bias,
} for s in (specs[m] for m in names)])
st.table(guide.set_index("estimator"))  # a table wraps the long "when to use" text; a dataframe would cut it
if BENCHMARK.is_file():
    with st.expander("The estimator benchmark (bias, spread, interval coverage, time)", expanded=False):
        st.markdown(BENCHMARK.read_text(encoding="utf-8"))
else:
    st.caption("The benchmark table (benchmarks/results/leakage.md) is not in this build.")
