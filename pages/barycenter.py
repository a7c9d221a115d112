"""Feature unlearning: move every group to the W2 barycenter along the McCann path and see what it costs."""

from functools import partial

import numpy as np
import streamlit as st

import ui
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
    help="\n\n".join(f"**{m}**: {transport.DESCRIPTIONS.get(m, '')}" for m in methods),
)
top[1].caption(transport.DESCRIPTIONS.get(state.method, ""))
PROBE = ui.DEFAULT_ESTIMATOR
if not lesson:
    estimators = [PROBE]
    try:
        from unlearn_core import leakage

        # X_t is continuous: estimators that need probabilities (softmax averaging) do not apply.
        estimators += [m for m in leakage.methods() if leakage.method_spec(m).input != "probabilities"]
        titles = {m: leakage.method_spec(m).title for m in estimators[1:]}
    except (ImportError, AttributeError):
        titles = {}
    if state.estimator not in estimators:
        ui.notice(f"Leakage estimator {state.estimator!r} does not apply here; using the attacker's AUC.")
        state.estimator = PROBE
    top[2].selectbox(
        "Leakage axis of the frontier", estimators, key=ui.bound_key("estimator"), on_change=ui.commit,
        args=("estimator",),
        format_func=lambda m: "attacker AUC (gradient boosting guessing Z)" if m == PROBE
        else f"I(X_t; Z): {titles.get(m, m)}",
        help="The frontier's x axis: how well a gradient-boosting attacker recovers Z from X_t on held-out rows "
        "(AUC, 0.5 = chance), or an estimate of I(X_t; Z) by one of the leakage lab's estimators.",
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

with ui.engine_errors(f"Fitting the {state.method} barycenter"):
    fit = ui.cached_fit(data.key, state.method, state.seed)
    pts = ui.cached_display(data.key, state.method, state.seed, axes, cap)
maps = fit.maps
V = float(maps.total_cost)
diag = f"V = {V:.4g} · fit {maps.seconds:.2f} s · " + ("exact" if maps.exact else "approximate")
if not maps.converged:
    st.warning(f"The {state.method} barycenter did not converge ({maps.notes}). Its maps are approximate.")
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
    st.caption(
        "Why the attacker's AUC can *rise* for 0 < t < 1: X_t mixes where a row came from with where its "
        "group's map sends it, and on tabular data identical rows of different groups move apart as soon as "
        "t > 0. Only at t = 1, where rows keep nothing of X, can the groups be equal in law "
        "(the default method makes them so; second-moment `gaussian` only equalises means and covariances)."
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
    c = st.columns([3, 1, 1, 1, 1])
    c[0].slider(
        "t: how far along the path to the barycenter (0 = original data, 1 = fully unlearned)",
        0.0, 1.0, step=ui.T_STEP, key=ui.bound_key("t"), on_change=ui.commit, args=("t",),
    )
    t = state.t
    lam = ui.lam_of(t)
    view = ui.cached_view_at(data.key, state.method, state.seed, t, feature)
    c[1].metric("λ = t/(1−t)", "∞" if np.isinf(lam) else f"{lam:.3g}")
    c[2].metric("Distortion D(t)", f"{view.distortion:.4g}",
                help=f"E‖X − X_t‖² over the {int(fit.train.sum()):,} training rows the maps were fitted on, "
                f"where V = {V:.4g} is measured; theory t²V = {t * t * V:.4g}")
    c[3].metric("W2 leakage L(t)", f"{(1 - t) ** 2 * V:.4g}", help="(1 − t)² V, from the fitted barycenter")
    utility_slot = c[4].empty()

    left, right = st.columns([1, 1])
    with left:
        _vega(*vega.transport_at(pts, t=t, arrows=arrows), key="transport_at")
    frontier_slot = right.container()
    a, b, c3 = st.columns(3)
    with a:
        _vega(*vega.densities_at(fit.X[:, feature], view.column_t, fit.z, feature_name=columns[feature],
                                 groups=fit.groups, random_state=state.seed), key="densities")
    with b:
        stats = scale_displacement_stats(ui.cache.cached_move_stats(data.key, state.method, state.seed), t)
        _vega(*vega.who_pays_at(stats), key="who_pays")
    dl_slot = c3.container()
    d1, d2, _ = st.columns([1, 1, 2])
    d1.download_button(
        f"Transformed data at t = {t:.2f} (CSV)",
        data=lambda: ui.cache.transformed_csv(data.key, state.method, state.seed, t),
        file_name=f"{data.key.label}-{state.method}-t{t:.2f}.csv", mime="text/csv", on_click="ignore",
        key="dl_data",
    )
    st.session_state["_engine_seconds"] = view.seconds
    ui.sync_url()

    frontier = None
    with frontier_slot, ui.engine_errors("Computing the frontier", stop=False):
        frontier = ui.cached_frontier(data.key, state.method, state.seed, state.estimator)
    if frontier is None:
        return
    tab = frontier.table
    row = tab.iloc[int(np.argmin(np.abs(tab["t"].to_numpy() - t)))]
    ulabel = plots.frontier.LABELS.get(frontier.utility, frontier.utility)
    utility_slot.metric(
        f"{ulabel} at t", f"{row[frontier.utility]:.3f}",
        help=f"downstream {frontier.meta.get('downstream', 'model')} on the test split, at the grid t nearest "
        f"to yours; {frontier.leakage} = {row[frontier.leakage]:.3f}",
    )
    with frontier_slot:
        _vega(*vega.frontier_at(frontier, current=t), key="frontier_chart",
              on_select=partial(_pick_t, "frontier_chart"), selection_mode=vega.PICK)
        _verdicts(frontier, row)
    if "distortion" in tab:
        V_fr = float(frontier.meta.get("V", V))
        with dl_slot:
            _vega(*vega.distortion_leakage_at(frontier, V=V_fr, t=t), key="dl_chart",
                  on_select=partial(_pick_t, "dl_chart"), selection_mode=vega.PICK)
    d2.download_button("Frontier (CSV)", data=frontier.to_csv(), file_name=f"{data.key.label}-{state.method}"
                       "-frontier.csv", mime="text/csv", on_click="ignore", key="dl_frontier")


explorer()

st.subheader("The whole path, animated in your browser")
animated = plots.transport_figure(pts, t=state.t, arrows=arrows, title="The McCann path over a grid of t")
animated.layout.sliders = ()  # one t in the app: the t slider above; this chart only plays the path
st.plotly_chart(animated, key="transport", config={"displaylogo": False})
st.caption(
    f"Showing {pts.n_shown:,} of {pts.n_total:,} rows (display cap). Press ▶ to play the points along "
    "x ↦ (1 − t) x + t T_z(x) from t = 0 to 1 (21 frames, played in your browser); it opens at the view's t, "
    "which only the t slider above sets."
)
