"""The Feature-unlearning page's machinery: the method and axis pickers, the display options, the fit
of the view (shipped, in the background, or here with a status), the frontier panel with its verdicts,
and the animated path.

``pages/barycenter.py`` keeps the layout and the t fragment; everything else it calls is here, so the
page holds no cache and no mathematics.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import streamlit as st

from unlearn_core.transport import distortion_leakage

from . import access, background, cache, precomputed, waits, words
from .boundary import callback
from .errors import engine_errors, notice
from .selection import param_from_vega_selection
from .state import DEFAULT_ESTIMATOR, bind, bound_key, commit, field_default, lesson_mode
from .state import state as app_state


def method_controls(top, ds) -> None:
    """The barycenter method picker (with its description) and, outside lesson mode, the leakage axis."""
    from unlearn_core import transport

    state = app_state()
    lesson = lesson_mode()
    methods = transport.methods()
    if state.method not in methods:
        if state.method:
            notice(f"Unknown barycenter method {state.method!r}; using {methods[0]!r}.")
        state.method = methods[0]
    lesson = lesson_mode()
    top = st.columns([2, 2, 2] if not lesson else [2, 4])
    top[0].selectbox(
        "Barycenter method", methods, key=bound_key("method"), on_change=commit, args=("method",),
        format_func=lambda m: f"{m}: {words.BARYCENTER_METHODS[m]}" if m in words.BARYCENTER_METHODS else m,
        help="\n\n".join(f"**{m}**: {transport.DESCRIPTIONS.get(m, '')}" for m in methods),
    )
    top[1].caption(transport.DESCRIPTIONS.get(state.method, ""))
    PROBE = DEFAULT_ESTIMATOR
    if not lesson:
        # X_t is continuous: estimators that need probabilities (softmax averaging) do not apply. The names
        # come from ui.precomputed (equal to the leakage registry, tested) so a first visit loads no sklearn.
        titles = dict(precomputed.FRONTIER_ESTIMATORS)
        estimators = [PROBE, *titles]
        if state.estimator not in estimators:
            notice(f"Leakage estimator {state.estimator!r} does not apply here; using the attacker's AUC.")
            state.estimator = PROBE
        top[2].selectbox(
            "Leakage axis of the frontier", estimators, key=bound_key("estimator"), on_change=commit,
            args=("estimator",),
            format_func=lambda m: "attacker AUC (gradient boosting guessing Z)" if m == PROBE
            else words.estimator_label(m),
            help="The frontier's x axis: how well a gradient-boosting attacker recovers Z from X_t on "
            "held-out rows (AUC, 0.5 = chance), or an estimate of I(X_t; Z) by one of the leakage lab's "
            "estimators.",
        )
    else:
        state.estimator = PROBE



@dataclass(frozen=True)
class Display:
    """The display options of the view: the 2-D axes (None: PCA), arrows, the point cap, the density's
    feature and the feature names."""

    axes: tuple[int, int] | None
    arrows: bool
    cap: int
    feature: int
    columns: list[str]


def display_options(ds) -> Display:
    """The "Display options" expander; every option is a view knob (in the URL, reset by Reset)."""
    lesson = lesson_mode()
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
                              **bind("bary_proj", "bary_proj", options=projs, fallback="PCA", what="Axes"))
            if proj == "PCA":
                axes = None
            else:
                cols_ = list(range(d))
                xi = o[1].selectbox("x feature", cols_, format_func=lambda j: columns[j],
                                    **bind("bary_x", "bary_x", options=cols_, fallback=0, what="x feature"))
                yi = o[1].selectbox("y feature", cols_, format_func=lambda j: columns[j],
                                    **bind("bary_y", "bary_y", options=cols_, fallback=1, what="y feature"))
                axes = (int(xi), int(yi)) if xi != yi else None
        arrows = o[2].checkbox("Arrows to the barycenter", **bind("bary_arrows", "bary_arrows"))
        cap = field_default("bary_cap")
        if not lesson:
            cap = int(o[2].number_input("Display cap (points)", 100, 5000, step=100, **bind(
                "bary_cap", "bary_cap", options=range(100, 5001), fallback=cap, what="Display cap")))
        numeric = [c for c in columns if c in set(ds.numeric_columns)] or columns
        feature = columns.index(o[3].selectbox("Density of feature", numeric, **bind(
            "bary_feature", "bary_feature", options=numeric, fallback=numeric[0], what="Density of feature")))

    return Display(axes, bool(arrows), int(cap), int(feature), columns)


@dataclass
class FitView:
    """The fitted maps of the view and its display points (both None while a shipped view's maps are
    being fitted in the background), with the background job's key and V."""

    fit: Any
    pts: Any
    bg_key: Any
    V: float = float("nan")


def fit_view(data, shown: Display) -> FitView:
    """The view's fit: at once when cached; in the background after first paint for a shipped view;
    else here, with a two-step status. Writes the fit's diagnostics caption."""
    state = app_state()
    ds = data.dataset
    axes, cap = shown.axes, shown.cap
    # A shipped view (ui.precomputed) draws the frontier at once; its maps are fitted after first paint.
    bg_key = precomputed.fit_key(data.key, state.method, state.seed, state.estimator)
    fit_job = None if bg_key is None else background.get(bg_key)
    fit = pts = None
    fit_key = ("fit", data.key, state.method, state.seed)
    if bg_key is None or (fit_job is not None and fit_job.ready):
        if not cache.fit_ready(data.key, state.method, state.seed):
            n_train = int(round(0.7 * ds.n_samples))
            with st.status(f"Fitting the {state.method} barycenter of {ds.name} for Z = {ds.sensitive}…",
                           expanded=True) as fit_status:
                st.write(f"Step 1 of 2: optimal-transport maps of the {len(ds.groups)} groups on the "
                         f"~{n_train:,} training rows, then every row mapped to t = 1. The engine reports no "
                         "progress inside this step, so it cannot be stopped; the faded panels below are the "
                         "previous view's.")
                with engine_errors(f"Fitting the {state.method} barycenter"):
                    cache.cached_fit(data.key, state.method, state.seed)
                st.write("Step 2 of 2: the 2-D display of the rows.")
                with engine_errors("Preparing the display"):
                    cache.cached_display(data.key, state.method, state.seed, axes, cap)
                waits.record(fit_key, waits.waited())
                fit_status.update(label=f"Fitted in {waits.waited():.1f} s", state="complete", expanded=False)
        with engine_errors(f"Fitting the {state.method} barycenter"):
            fit = cache.cached_fit(data.key, state.method, state.seed)
            pts = cache.cached_display(data.key, state.method, state.seed, axes, cap)
    if fit is not None:
        maps = fit.maps
        V = float(maps.total_cost)
        diag = (f"V = {V:.4g} (training split, {int(fit.train.sum()):,} rows; the same V on every page) · "
                f"fit {maps.seconds:.2f} s · " + ("exact" if maps.exact else "approximate"))
        if waits.waited_for(fit_key) is not None:
            diag += f" · you waited {waits.waited_for(fit_key):.1f} s for the fit"
        if not maps.converged:
            st.warning(f"The {state.method} barycenter did not converge ({maps.notes}). "
                       "Its maps are approximate.")
        st.caption(diag + (f" · {maps.notes}" if maps.notes else ""))
    return FitView(fit, pts, bg_key, V if fit is not None else float("nan"))


@callback("Selecting a frontier point")
def pick_t(chart_key: str) -> None:
    """A click on a frontier point selects its t."""
    from unlearn_core.plots import vega

    t = param_from_vega_selection(st.session_state.get(chart_key), vega.PICK)
    if t is not None:
        app_state().set_t(t)


def verdicts(frontier, row) -> None:
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


def frontier_panel(data, fv: FitView, slots: dict) -> None:
    """The frontier (computed with a wait, or shipped) in its slot, the utility metric, the verdicts, the
    distortion-leakage chart and the frontier's download; the numbers of a pending fit from its V."""
    from unlearn_core import plots
    from unlearn_core.plots import vega

    state = app_state()
    ds, t, fit, V = data.dataset, state.t, fv.fit, fv.V
    ready, fkey = slots["ready"], slots["fkey"]
    frontier_slot, dl_slot, d2 = slots["frontier"], slots["dl"], slots["d2"]
    distortion_slot, leakage_slot, utility_slot = slots["distortion"], slots["leakage"], slots["utility"]
    frontier = None
    if not ready:
        dl_slot.caption("The distortion-leakage chart follows the frontier.")
    with engine_errors("Computing the frontier", stop=False):
        frontier = cache.frontier_waited(
            data.key, state.method, state.seed, state.estimator, slot=frontier_slot,
            button_key="bary_frontier",
            what=f"Computing the frontier on {ds.name}: a downstream model and an attacker for each of "
            f"{len(cache.FRONTIER_TS)} values of t")
    if frontier is None:
        if not ready:
            dl_slot.empty()
        return
    if fit is None:  # the numbers the pending maps would give, from the frontier's own fit
        V_fr = float(frontier.meta.get("V", np.nan))
        d_fr, l_fr = distortion_leakage(t, V_fr)
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
        vega_panel(*vega.frontier_at(frontier, current=t), key="frontier_chart",
                   on_select=partial(pick_t, "frontier_chart"), selection_mode=vega.PICK)
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
        verdicts(frontier, row)
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
            vega_panel(*vega.distortion_leakage_at(frontier, V=V_fr, t=t), key="dl_chart",
                       on_select=partial(pick_t, "dl_chart"), selection_mode=vega.PICK)
            words.note("Measured points sit on the dashed curve √D + √L = √V: what you remove from the "
                       "leakage L you pay in distortion D. The diamond is your t.")
    elif not ready:
        dl_slot.empty()
    d2.download_button("Frontier (CSV)", data=frontier.to_csv(), file_name=f"{data.key.label}-{state.method}"
                       "-frontier.csv", mime="text/csv", on_click="ignore", key="dl_frontier")


def vega_panel(data, spec, key: str, **kw) -> None:
    """A t panel: a fixed Vega-Lite spec whose data moves with t, so the browser updates it in place."""
    st.vega_lite_chart(data, spec, width="stretch", key=key, **kw)


def animation(pts, arrows: bool) -> None:
    """The whole McCann path as a plotly animation played in the browser."""
    from unlearn_core import plots

    state = app_state()
    st.subheader("The whole path, animated in your browser")
    animated = plots.transport_figure(pts, t=state.t, arrows=arrows,
                                      title="The McCann path over a grid of t")
    animated.layout.sliders = ()  # one t in the app: the t slider above; this chart only plays the path
    st.plotly_chart(animated, key="transport", config={"displaylogo": False})
    words.note("Press ▶ to watch every row travel its straight path to the barycenter; the groups' colours "
               "mix as they arrive.")
    st.caption(
        f"Showing {pts.n_shown:,} of {pts.n_total:,} rows (display cap). Press ▶ to play the points along "
        "x ↦ (1 − t) x + t T_z(x) from t = 0 to 1 (21 frames, played in your browser); it opens at the "
        "view's t, which only the t slider above sets."
    )
