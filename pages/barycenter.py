"""Feature unlearning: move every group to the W2 barycenter along the McCann path and see what it costs."""

from functools import partial

import numpy as np
import streamlit as st

import ui
from ui import access, waits, words
from ui.nav import ensure_frame
from ui.selection import param_from_vega_selection
from unlearn_core import plots
from unlearn_core.plots import vega
from unlearn_core.plots.transport import scale_displacement_stats

ensure_frame()  # must come first: a deep link on a fresh server may skip app.py
state = ui.state()
data = ui.current_data()
ds = data.dataset

from unlearn_core import transport  # noqa: E402  (after the dataset so a load error shows first)

st.title("Feature unlearning: the barycenter explorer")
st.caption(
    f"Dataset **{ds.name}**: {ds.n_samples:,} rows, {ds.n_features} features; forgetting "
    f"**Z = {ds.sensitive}** ({len(ds.groups)} groups)."
)

# -- controls that define the fit -------------------------------------------------------------------
methods = transport.methods()
if state.method not in methods:
    if state.method:
        ui.notice(f"Unknown barycenter method {state.method!r}; using {methods[0]!r}.")
    state.method = methods[0]
lesson = ui.lesson_mode()
top = st.columns([2, 2, 2] if not lesson else [2, 4])
top[0].selectbox(
    "Barycenter method", methods, key=ui.bound_key("method"), on_change=ui.commit, args=("method",),
    format_func=lambda m: f"{m}: {words.BARYCENTER_METHODS[m]}" if m in words.BARYCENTER_METHODS else m,
    help="\n\n".join(f"**{m}**: {transport.DESCRIPTIONS.get(m, '')}" for m in methods),
)
top[1].caption(transport.DESCRIPTIONS.get(state.method, ""))
PROBE = ui.DEFAULT_ESTIMATOR
if not lesson:
    # X_t is continuous: estimators that need probabilities (softmax averaging) do not apply. The names
    # come from ui.precomputed (equal to the leakage registry, tested) so a first visit loads no sklearn.
    titles = dict(ui.precomputed.FRONTIER_ESTIMATORS)
    estimators = [PROBE, *titles]
    if state.estimator not in estimators:
        ui.notice(f"Leakage estimator {state.estimator!r} does not apply here; using the attacker's AUC.")
        state.estimator = PROBE
    top[2].selectbox(
        "Leakage axis of the frontier", estimators, key=ui.bound_key("estimator"), on_change=ui.commit,
        args=("estimator",),
        format_func=lambda m: "attacker AUC (gradient boosting guessing Z)" if m == PROBE
        else words.estimator_label(m),
        help="The frontier's x axis: how well a gradient-boosting attacker recovers Z from X_t on held-out "
        "rows (AUC, 0.5 = chance), or an estimate of I(X_t; Z) by one of the leakage lab's estimators.",
    )
else:
    state.estimator = PROBE

columns = [str(c) for c in ds.X.columns]
d = len(columns)
with st.expander("Display options", expanded=False):
    o = st.columns(4)
    if d == 1:  # one feature: a 1-D view (the feature on x, one lane per group on y)
        axes = None
        o[0].caption(f"One feature: {columns[0]} on x, one lane per group on y")
    elif d == 2:
        axes = (0, 1)
        o[0].caption(f"Axes: {columns[0]} × {columns[1]}")
    else:  # every display option is a view knob (ui.state.PAGE_KNOBS): in the URL, reset by Reset
        projs = ["PCA", "two features"]
        proj = o[0].radio("Axes", projs, horizontal=True,
                          **ui.bind("bary_proj", "bary_proj", options=projs, fallback="PCA", what="Axes"))
        if proj == "PCA":
            axes = None
        else:
            cols_ = list(range(d))
            xi = o[1].selectbox("x feature", cols_, format_func=lambda j: columns[j],
                                **ui.bind("bary_x", "bary_x", options=cols_, fallback=0, what="x feature"))
            yi = o[1].selectbox("y feature", cols_, format_func=lambda j: columns[j],
                                **ui.bind("bary_y", "bary_y", options=cols_, fallback=1, what="y feature"))
            axes = (int(xi), int(yi)) if xi != yi else None
    arrows = o[2].checkbox("Arrows to the barycenter", **ui.bind("bary_arrows", "bary_arrows"))
    cap = ui.field_default("bary_cap")
    if not lesson:
        cap = int(o[2].number_input("Display cap (points)", 100, 5000, step=100, **ui.bind(
            "bary_cap", "bary_cap", options=range(100, 5001), fallback=cap, what="Display cap")))
    numeric = [c for c in columns if c in set(ds.numeric_columns)] or columns
    feature = columns.index(o[3].selectbox("Density of feature", numeric, **ui.bind(
        "bary_feature", "bary_feature", options=numeric, fallback=numeric[0], what="Density of feature")))

# A shipped view (ui.precomputed) draws the frontier at once; its maps are fitted after first paint.
bg_key = ui.precomputed.fit_key(data.key, state.method, state.seed, state.estimator)
fit_job = None if bg_key is None else ui.background.get(bg_key)
fit = pts = None
fit_key = ("fit", data.key, state.method, state.seed)
if bg_key is None or (fit_job is not None and fit_job.ready):
    if not ui.cache.fit_ready(data.key, state.method, state.seed):
        n_train = int(round(0.7 * ds.n_samples))
        with st.status(f"Fitting the {state.method} barycenter of {ds.name} for Z = {ds.sensitive}…",
                       expanded=True) as fit_status:
            st.write(f"Step 1 of 2: optimal-transport maps of the {len(ds.groups)} groups on the "
                     f"~{n_train:,} training rows, then every row mapped to t = 1. The engine reports no "
                     "progress inside this step, so it cannot be stopped; the faded panels below are the "
                     "previous view's.")
            with ui.engine_errors(f"Fitting the {state.method} barycenter"):
                ui.cached_fit(data.key, state.method, state.seed)
            st.write("Step 2 of 2: the 2-D display of the rows.")
            with ui.engine_errors("Preparing the display"):
                ui.cached_display(data.key, state.method, state.seed, axes, cap)
            waits.record(fit_key, waits.waited())
            fit_status.update(label=f"Fitted in {waits.waited():.1f} s", state="complete", expanded=False)
    with ui.engine_errors(f"Fitting the {state.method} barycenter"):
        fit = ui.cached_fit(data.key, state.method, state.seed)
        pts = ui.cached_display(data.key, state.method, state.seed, axes, cap)
if fit is not None:
    maps = fit.maps
    V = float(maps.total_cost)
    diag = (f"V = {V:.4g} (training split, {int(fit.train.sum()):,} rows; the same V on every page) · fit "
            f"{maps.seconds:.2f} s · " + ("exact" if maps.exact else "approximate"))
    if waits.waited_for(fit_key) is not None:
        diag += f" · you waited {waits.waited_for(fit_key):.1f} s for the fit"
    if not maps.converged:
        st.warning(f"The {state.method} barycenter did not converge ({maps.notes}). "
                   "Its maps are approximate.")
    st.caption(diag + (f" · {maps.notes}" if maps.notes else ""))


@ui.callback("Selecting a frontier point")
def _pick_t(chart_key: str) -> None:
    """A click on a frontier point selects its t."""
    t = param_from_vega_selection(st.session_state.get(chart_key), vega.PICK)
    if t is not None:
        state.set_t(t)


def _vega(data, spec, key: str, **kw) -> None:
    """A t panel: a fixed Vega-Lite spec whose data moves with t, so the browser updates it in place."""
    st.vega_lite_chart(data, spec, width="stretch", key=key, **kw)


def _verdicts(frontier, row) -> None:
    """The strong attacker's word and the utility's, next to the numbers they qualify."""
    if "attack_auc" in row:
        lo, hi = row["attack_auc_lo"], row["attack_auc_hi"]
        msg = (f"At t = {row['t']:.2f} a gradient-boosting attacker reaches AUC **{row['attack_auc']:.3f}** "
               f"({lo:.3f}–{hi:.3f}) on held-out rows")
        if row["attack_recovered"]:
            st.warning(msg + ": **Z is recoverable**.", icon=":material/gpp_maybe:")
        else:
            st.success(msg + ": at chance, no attacker we fielded recovers Z.", icon=":material/shield:")
    tab = frontier.table
    rise = ""
    if "attack_auc" in tab and len(tab) > 2:
        inner = tab[(tab["t"] > 0) & (tab["t"] < 1)]
        start = tab.loc[tab["t"] == tab["t"].min(), "attack_auc"]
        if len(inner) and len(start) and inner["attack_auc"].max() > float(start.iloc[0]) + 0.01:
            peak = inner.loc[inner["attack_auc"].idxmax()]
            end = tab.loc[tab["t"] == tab["t"].max(), "attack_auc"]
            falls = len(end) and float(end.iloc[0]) < peak["attack_auc"] - 0.01
            rise = (f"Here the attacker's AUC rises from {float(start.iloc[0]):.2f} at t = 0 to "
                    f"{peak['attack_auc']:.2f} at t = {peak['t']:.2f}"
                    + (f" and falls to {float(end.iloc[0]):.2f} only at t = 1. " if falls else
                       f" and is still {float(end.iloc[0]):.2f} at t = 1: this method does not make the "
                       "groups equal in law. "))
    st.caption(
        f":material/info: {rise}Why the attacker's AUC can *rise* for 0 < t < 1: X_t mixes where a row came "
        "from with where its group's map sends it, and on tabular data identical rows of different groups "
        "move apart as soon as t > 0. Only at t = 1, where rows keep nothing of X, can the groups be equal "
        "in law (the default method makes them so; the Gaussian method only equalises means and covariances)."
    )
    if frontier.utility == "r2" and row["r2"] < 0:
        st.warning(f"R² at this t is {row['r2']:.2f} on the test split: the downstream model does worse than "
                   "predicting the mean. This method wrecks utility on this data.", icon=":material/warning:")


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
    distortion_slot, leakage_slot = c[2].empty(), c[3].empty()
    if fit is not None:
        view = ui.cached_view_at(data.key, state.method, state.seed, t, feature)
        distortion_slot.metric(
            "Distortion D(t)", f"{view.distortion:.4g}",
            help=f"E‖X − X_t‖² over the {int(fit.train.sum()):,} training rows the maps were fitted on, "
            f"where V = {V:.4g} is measured; theory t²V = {ui.distortion_leakage(t, V)[0]:.4g}")
        leakage_slot.metric("W2 leakage L(t)", f"{ui.distortion_leakage(t, V)[1]:.4g}",
                            help="(1 − t)² V, from the fitted barycenter")
    utility_slot = c[4].empty()

    left, right = st.columns([1, 1])
    # A computed frontier is drawn in a plain container, as on every t step, so Vega updates its charts in
    # place; a frontier still to compute gets an st.empty() whose progress status replaces the old chart.
    fkey = ui.cache.frontier_key(data.key, state.method, state.seed, state.estimator)
    ready = ui.cache.frontier_ready(data.key, state.method, state.seed, state.estimator)
    frontier_slot = right.container() if ready else right.empty()
    a, b, c3 = st.columns(3)
    if fit is not None:
        with left:
            _vega(*vega.transport_at(pts, t=t, arrows=arrows), key="transport_at")
            words.note("Each dot is a row, coloured by its group of Z. As t grows the groups slide toward "
                       "one shared cloud (the barycenter); at t = 1 they overlap and a dot's place no longer "
                       "tells its group.")
        with a:
            _vega(*vega.densities_at(fit.X[:, feature], view.column_t, fit.z, feature_name=columns[feature],
                                     groups=fit.groups, random_state=state.seed), key="densities")
            words.note(f"Dashed: each group's spread of {columns[feature]} before; solid: at t. The solid "
                       "curves move together as t grows.")
        with b:
            stats = scale_displacement_stats(
                ui.cache.cached_move_stats(data.key, state.method, state.seed), t
            )
            _vega(*vega.who_pays_at(stats), key="who_pays")
            words.note("How far each group's rows move (feature units). A taller box means that group gives "
                       "up more of its data to make the groups alike.")
    else:
        with left:
            ui.background.wait_panel(bg_key, f"Fitting the {state.method} barycenter for the transport, "
                                     "density and who-pays panels", ui.precomputed.warm_fit, data.key,
                                     state.method, int(state.seed))
    dl_slot = c3.container() if ready else c3.empty()
    d1, d2, _ = st.columns([1, 1, 2])
    d1.download_button(
        f"Transformed data at t = {t:.2f} (CSV)",
        data=lambda: ui.cache.transformed_csv(data.key, state.method, state.seed, t),
        file_name=f"{data.key.label}-{state.method}-t{t:.2f}.csv", mime="text/csv", on_click="ignore",
        key="dl_data",
    )
    if fit is not None:
        st.session_state["_engine_seconds"] = view.seconds
    ui.sync_url()

    frontier = None
    if not ready:
        dl_slot.caption("The distortion-leakage chart follows the frontier.")
    with ui.engine_errors("Computing the frontier", stop=False):
        frontier = ui.cache.frontier_waited(
            data.key, state.method, state.seed, state.estimator, slot=frontier_slot,
            button_key="bary_frontier",
            what=f"Computing the frontier on {ds.name}: a downstream model and an attacker for each of "
            f"{len(ui.cache.FRONTIER_TS)} values of t")
    if frontier is None:
        if not ready:
            dl_slot.empty()
        return
    if fit is None:  # the numbers the pending maps would give, from the frontier's own fit
        V_fr = float(frontier.meta.get("V", np.nan))
        d_fr, l_fr = ui.distortion_leakage(t, V_fr)
        distortion_slot.metric("Distortion D(t)", f"{d_fr:.4g}",
                               help=f"t²V with V = {V_fr:.4g} from the precomputed fit (training split)")
        leakage_slot.metric("W2 leakage L(t)", f"{l_fr:.4g}",
                            help="(1 − t)² V, from the precomputed fit")
    tab = frontier.table
    row = tab.iloc[int(np.argmin(np.abs(tab["t"].to_numpy() - t)))]
    ulabel = words.label(frontier.utility, short=True)
    utility_slot.metric(
        f"{ulabel} at t", f"{row[frontier.utility]:.3f}",
        help=f"downstream {frontier.meta.get('downstream', 'model')} on the test split, at the grid t "
        f"nearest to yours; {words.label(frontier.leakage, short=True)} = {row[frontier.leakage]:.3f}",
    )
    with frontier_slot if ready else frontier_slot.container():
        _vega(*vega.frontier_at(frontier, current=t), key="frontier_chart",
              on_select=partial(_pick_t, "frontier_chart"), selection_mode=vega.PICK)
        words.note("The diamond is your t. Up means the downstream model predicts y better; right means an "
                   "attacker guesses Z more easily. The best trade-offs are up and to the left.")
        util_values = tab[frontier.utility].to_numpy(dtype=float)
        clip = plots.frontier.outlier_clip(util_values)
        if clip is not None:
            note = plots.frontier.clip_note(util_values, tab[frontier.param].to_numpy(dtype=float), clip,
                                            words.label(frontier.utility, short=True), "t")
            st.warning(f"The utility axis is clipped so the other points stay readable: {note}.",
                       icon=":material/unfold_less:")
        access.frontier_point_picker(frontier)  # the chart's points for the keyboard
        _verdicts(frontier, row)
        w = waits.waited_for(fkey)
        if w is not None:
            st.caption(f":material/timer: You waited {w:.1f} s for this frontier (from your click); it is "
                       f"cached now. The engine's own time: {frontier.seconds:.1f} s.")
        if "precomputed" in frontier.meta:
            st.caption(f"Frontier {frontier.meta['precomputed']} (batch command, shipped in "
                       "assets/precomputed/); another method, seed, Z or axis is computed live.",
                       help="tests/test_precomputed.py recomputes it with the engine and checks it matches.")
    if "distortion" in tab:
        V_fr = float(frontier.meta.get("V", V if fit is not None else np.nan))
        with dl_slot if ready else dl_slot.container():
            _vega(*vega.distortion_leakage_at(frontier, V=V_fr, t=t), key="dl_chart",
                  on_select=partial(_pick_t, "dl_chart"), selection_mode=vega.PICK)
            words.note("Measured points sit on the dashed curve √D + √L = √V: what you remove from the "
                       "leakage L you pay in distortion D. The diamond is your t.")
    elif not ready:
        dl_slot.empty()
    d2.download_button("Frontier (CSV)", data=frontier.to_csv(), file_name=f"{data.key.label}-{state.method}"
                       "-frontier.csv", mime="text/csv", on_click="ignore", key="dl_frontier")


explorer()
if fit is None:
    st.stop()  # the animation needs the maps; the fit's panel reruns the page when they are ready

st.subheader("The whole path, animated in your browser")
animated = plots.transport_figure(pts, t=state.t, arrows=arrows, title="The McCann path over a grid of t")
animated.layout.sliders = ()  # one t in the app: the t slider above; this chart only plays the path
st.plotly_chart(animated, key="transport", config={"displaylogo": False})
words.note("Press ▶ to watch every row travel its straight path to the barycenter; the groups' colours mix "
           "as they arrive.")
st.caption(
    f"Showing {pts.n_shown:,} of {pts.n_total:,} rows (display cap). Press ▶ to play the points along "
    "x ↦ (1 − t) x + t T_z(x) from t = 0 to 1 (21 frames, played in your browser); it opens at the view's t, "
    "which only the t slider above sets."
)
