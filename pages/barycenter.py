"""Feature unlearning: move every group to the W2 barycenter along the McCann path and see what it costs."""

from functools import partial

import numpy as np
import streamlit as st

import ui
from ui import feature_page as fp
from ui import waits, words
from ui.nav import ensure_frame
from unlearn_core.plots import vega
from unlearn_core.plots.transport import scale_displacement_stats

ensure_frame()  # must come first: a deep link on a fresh server may skip app.py
state = ui.state()
data = ui.current_data()
ds = data.dataset

st.title("Feature unlearning: the barycenter explorer")
st.caption(
    f"Dataset **{ds.name}**: {ds.n_samples:,} rows, {ds.n_features} features; forgetting "
    f"**Z = {ds.sensitive}** ({len(ds.groups)} groups)."
)
fp.method_controls(st.columns([2, 2, 2] if not ui.lesson_mode() else [2, 4]), ds)
shown = fp.display_options(ds)
fv = fp.fit_view(data, shown)
fit, pts = fv.fit, fv.pts


@ui.fragment  # st.fragment with the error boundary inside (ui.boundary)
def explorer() -> None:
    """Everything that depends on t: reruns alone when t changes (slider or a click on the frontier).

    Each panel is a Vega-Lite chart whose spec does not change with t: a t step only sends new data,
    which the browser swaps into the drawn chart (a changed plotly figure would be drawn from scratch).
    Fast panels are drawn first; the frontier (one downstream model and one attacker per t, slow on
    large data the first time) fills its placeholders last, so the transport shows at once.
    """
    waits.start_fragment_clock()
    c = st.columns([3, 1, 1, 1, 1])
    c[0].slider(
        "t: how far along the path to the barycenter (0 = original data, 1 = fully unlearned)",
        0.0, 1.0, step=ui.T_STEP, key=ui.bound_key("t"), on_change=ui.commit, args=("t",),
    )
    t = state.t
    lam = ui.lam_of(t)
    c[1].metric("λ = t/(1−t)", "∞" if np.isinf(lam) else f"{lam:.3g}")
    slots = {"distortion": c[2].empty(), "leakage": c[3].empty(), "utility": c[4].empty()}
    if fit is not None:
        view = ui.cached_view_at(data.key, state.method, state.seed, t, shown.feature)
        slots["distortion"].metric(
            "Distortion D(t)", f"{view.distortion:.4g}",
            help=f"E‖X − X_t‖² over the {int(fit.train.sum()):,} training rows the maps were fitted on, "
            f"where V = {fv.V:.4g} is measured; theory t²V = {ui.distortion_leakage(t, fv.V)[0]:.4g}")
        slots["leakage"].metric("W2 leakage L(t)", f"{ui.distortion_leakage(t, fv.V)[1]:.4g}",
                                help="(1 − t)² V, from the fitted barycenter")

    left, right = st.columns([1, 1])
    # A computed frontier is drawn in a plain container, as on every t step, so Vega updates its charts in
    # place; a frontier still to compute gets an st.empty() whose progress status replaces the old chart.
    slots["fkey"] = ui.cache.frontier_key(data.key, state.method, state.seed, state.estimator)
    slots["ready"] = ready = ui.cache.frontier_ready(data.key, state.method, state.seed, state.estimator)
    slots["frontier"] = right.container() if ready else right.empty()
    a, b, c3 = st.columns(3)
    feature, name = shown.feature, shown.columns[shown.feature]
    if fit is not None:
        with left:
            fp.vega_panel(*vega.transport_at(pts, t=t, arrows=shown.arrows), key="transport_at")
            words.note("Each dot is a row, coloured by its group of Z. As t grows the groups slide toward "
                       "one shared cloud (the barycenter); at t = 1 they overlap and a dot's place no longer "
                       "tells its group.")
        with a:
            fp.vega_panel(*vega.densities_at(fit.X[:, feature], view.column_t, fit.z, feature_name=name,
                                             groups=fit.groups, random_state=state.seed), key="densities")
            words.note(f"Dashed: each group's spread of {name} before; solid: at t. The solid curves move "
                       "together as t grows.")
        with b:
            moves = ui.cache.cached_move_stats(data.key, state.method, state.seed)
            stats = scale_displacement_stats(moves, t)
            fp.vega_panel(*vega.who_pays_at(stats), key="who_pays")
            words.note("How far each group's rows move (feature units). A taller box means that group gives "
                       "up more of its data to make the groups alike.")
    else:
        with left:
            ui.background.wait_panel(fv.bg_key, f"Fitting the {state.method} barycenter for the transport, "
                                     "density and who-pays panels", ui.precomputed.warm_fit, data.key,
                                     state.method, int(state.seed))
    slots["dl"] = c3.container() if ready else c3.empty()
    d1, slots["d2"], _ = st.columns([1, 1, 2])
    d1.download_button(
        f"Transformed data at t = {t:.2f} (CSV)",
        data=partial(ui.cache.transformed_csv, data.key, state.method, state.seed, t),
        file_name=f"{data.key.label}-{state.method}-t{t:.2f}.csv", mime="text/csv", on_click="ignore",
        key="dl_data",
    )
    if fit is not None:
        st.session_state["_engine_seconds"] = view.seconds
    ui.sync_url()
    fp.frontier_panel(data, fv, slots)


explorer()
if fit is None:
    st.stop()  # the animation needs the maps; the fit's panel reruns the page when they are ready
fp.animation(pts, shown.arrows)
