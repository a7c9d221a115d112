"""The Data-unlearning page's machinery: the cache of finished runs, running what is missing under one
progress bar with a cancel, the forget-set controls, the metric strip with its verdict, the comparison
table and the detail charts.

``pages/forget.py`` reads its widgets and calls these; the store lives here, so the page holds none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

from unlearn_core import forgetting as fg

from . import runs, words
from .boundary import callback
from .cache import DataKey
from .errors import engine_errors
from .state import bind, bound_key, choice, commit, field_default
from .state import state as app_state

# The engine's names the page lists (so the page imports no engine module itself)
METHODS, METHOD_TITLES, KINDS, ForgetSpec = fg.METHODS, fg.METHOD_TITLES, fg.KINDS, fg.ForgetSpec
FRACTIONS: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 21))  # the fraction sliders' stops
MAX_ENTRIES = 48
CANCEL_KEY = "_forget_cancel"


class Base(NamedTuple):
    """What the original and the retrained (reference) models depend on.

    A NamedTuple so that keys made on different reruns (which re-create this class) compare equal.
    """

    data: DataKey
    spec: fg.ForgetSpec
    seed: int


@dataclass(frozen=True, eq=False)
class Prepared:
    problem: fg.ForgetProblem
    original: fg.ModelRun
    original_report: fg.UnlearnReport
    reference: fg.UnlearnReport


@st.cache_resource(show_spinner=False)
def store_() -> dict:
    """Finished runs (Prepared by Base, reports by (Base, method, lam, epochs)); shared by reruns.

    Not ``st.cache_data``: the runs update a progress bar drawn outside them, which cached-element
    replay forbids.
    """
    return {}


def _remember(key, value) -> None:
    store = store_()
    store.pop(key, None)
    store[key] = value
    while len(store) > MAX_ENTRIES:
        store.pop(next(iter(store)))


@callback("Cancelling the run")
def _cancel() -> None:
    st.session_state[CANCEL_KEY] = True
    runs.clear("forget_run")


def _stop() -> bool:
    return bool(st.session_state.get(CANCEL_KEY, False))


def parse_value(text: str):
    """A cohort value typed by the user: a number when it reads as one, else the text."""
    text = text.strip()
    try:
        v = float(text)
    except ValueError:
        return text
    return int(v) if v.is_integer() and "." not in text else v


def run(base: Base, todo_runs: list[tuple[str, float, int]], ds) -> bool:
    """Compute what is missing (original, retrain, then each run) under one progress bar.

    Returns False when the user cancelled.
    """
    store = store_()
    todo_base = base not in store
    todo = [r for r in todo_runs if (base, *r) not in store]
    if not todo_base and not todo:
        return True
    st.session_state[CANCEL_KEY] = False
    slot = st.empty()  # emptied when the run ends (emptying the container itself would add an element to it)
    box = slot.container(border=True)
    bar = box.progress(0.0, text="Starting…")
    box.button("Cancel", key="forget_cancel_btn", on_click=_cancel, icon=":material/cancel:")
    stages = (["original", "retrain"] if todo_base else []) + [m for m, _, _ in todo]
    done = 0

    def progress(step: int, total: int, metrics=None) -> None:
        """The engine's ``progress(step, total_steps, metrics)``, mapped onto one bar over all stages."""
        metrics = metrics or {}
        frac = (done + min(max(step / max(total, 1), 0.0), 1.0)) / len(stages)
        epoch = f"epoch {metrics['epoch']}" if "epoch" in metrics else f"step {step:,} of {total:,}"
        bar.progress(min(frac, 1.0), text=f"{stages[min(done, len(stages) - 1)]}: {epoch}")

    with engine_errors("Preparing the forget set"):
        if todo_base:
            problem = fg.prepare(ds, base.spec, random_state=base.seed)
            original = fg.train_original(problem, random_state=base.seed, progress=progress,
                                         should_stop=_stop)
            if original.stopped:
                slot.empty()
                return False
            done += 1
            reference = fg.retrain(original, problem, random_state=base.seed, progress=progress,
                                   should_stop=_stop)
            if reference.stopped:
                slot.empty()
                return False
            done += 1
            report = fg.original_report(original, problem, reference=reference)
            _remember(base, Prepared(problem, original, report, reference))
    prep = store[base]
    for method, lam, epochs in todo:
        with engine_errors(f"Running {fg.METHOD_TITLES.get(method, method)}"):
            rep = fg.METHODS[method](prep.original, prep.problem, lam=lam, epochs=epochs,
                                     random_state=base.seed, progress=progress, should_stop=_stop,
                                     reference=prep.reference)
        if rep.stopped:
            slot.empty()
            return False
        _remember((base, method, lam, epochs), rep)
        done += 1
    slot.empty()
    return True


@callback("Switching the cohort column")
def column_changed() -> None:
    commit("forget_column", "forget_column")
    app_state().forget_value = None  # the new column's default value




def forget_set_controls(kind: str, ds) -> dict[str, Any]:
    """The widgets of the chosen kind of forget set; returns the ``ForgetSpec`` arguments."""
    state = app_state()
    classes = sorted(pd.unique(ds.y.astype(str)).tolist(), key=lambda v: (len(v), v))
    if kind == "class-fraction":
        k1, k2 = st.columns(2)
        cls = k1.selectbox("Class", classes, **bind("forget_class", "forget_class", options=classes,
                                                       fallback="3" if "3" in classes else classes[0],
                                                       what="Class"))
        frac = k2.slider("Fraction of the class", 0.05, 1.0, step=0.05, **bind(
            "forget_fraction", "forget_fraction", options=FRACTIONS,
            fallback=field_default("forget_fraction"), what="Fraction of the class"))
        spec_args = dict(kind="class-fraction", cls=cls, fraction=float(frac))
    elif kind == "cohort":
        k1, k2, k3 = st.columns([3, 1, 2])
        columns = [str(c) for c in ds.X.columns] + [ds.sensitive] + [str(ds.y.name)]
        columns = list(dict.fromkeys(columns))
        col = k1.selectbox("Column", columns, on_change=column_changed, key=bound_key(
            "forget_column", "forget_column",
            value=choice("forget_column", columns, columns[-2], what="Cohort column")))
        ops = list(fg.OPS[:-1])
        op = k2.selectbox("Op", ops, **bind("forget_op", "forget_op", options=ops, fallback=ops[0],
                                               what="Cohort operator"))
        default_val = str(ds.z.iloc[0]) if col == ds.sensitive else ""
        val_key = f"forget_value_{col}"
        val = k3.text_input("Value", on_change=commit, args=("forget_value", val_key), key=bound_key(
            "forget_value", val_key, value=default_val if state.forget_value is None else state.forget_value))
        frac = st.slider("Fraction of the cohort", 0.05, 1.0, step=0.05, **bind(
            "forget_cohort_fraction", "forget_cohort_fraction", options=FRACTIONS,
            fallback=field_default("forget_cohort_fraction"), what="Fraction of the cohort"))
        spec_args = dict(kind="cohort", cls=None, column=col, op=op, value=parse_value(val),
                         fraction=None if frac >= 1.0 else float(frac))
    elif kind == "random":
        n_max = max(1, ds.n_samples // 2)
        n = st.number_input("Rows to forget", 1, n_max, **bind(
            "forget_n", "forget_n", options=range(1, n_max + 1), fallback=min(50, ds.n_samples // 4),
            what="Rows to forget"))
        spec_args = dict(kind="random", cls=None, n=int(n), fraction=None)
    else:
        idx = st.number_input("Row of the dataset", 0, ds.n_samples - 1, **bind(
            "forget_index", "forget_index", options=range(ds.n_samples), fallback=0, what="Row index"),
            help="This row is kept in the training split and then forgotten.")
        spec_args = dict(kind="index", cls=None, fraction=None, index=int(idx))

    return spec_args


def metric_strip(mi, ref) -> None:
    """The MI run's UA / RA / TA / Î / MIA against retraining, its time and confidence, and the verdict."""
    m = st.columns(4) + st.columns(4)[:3]  # two rows: the accuracies and Î, then attack, time, confidence
    for col, (k, label, fmt) in zip(m, (
        ("ua", "UA (forget acc)", "{:.1%}"), ("ra", "RA (retain acc)", "{:.1%}"),
        ("ta", "TA (test acc)", "{:.1%}"), ("mi", "Î (nats)", "{:.4f}"),
        ("mia_loss_auc", "MIA AUC", "{:.3f}"),
    ), strict=False):  # 7 columns, 5 metrics: m[5] and m[6] are filled below
        gap = mi.gap.get(k, float("nan"))
        # accuracies are shown in %, so their gaps are in percentage points
        delta = f"{100 * gap:+.1f} pts vs retrain" if fmt.endswith("%}") else f"{gap:+.3f} vs retrain"
        col.metric(label, fmt.format(getattr(mi, k)), delta=delta, delta_color="off",
                   help=f"Retrained model: {fmt.format(getattr(ref, k))}. The goal is a gap near 0.")
    m[5].metric("Time", f"{mi.seconds:.2f} s", delta=f"{mi.time_ratio:.2f}× the retraining time",
                delta_color="off", delta_arrow="off",
                help=f"Optimisation time; retraining from scratch took {ref.seconds:.2f} s.")
    m[6].metric("Confidence on D_u", f"{mi.forget_confidence:.3f}",
                delta=f"{mi.forget_confidence - mi.forget_confidence_before:+.3f} vs original",
                delta_color="off",
                help=f"Mean probability of the true label on D_u; retrained model: "
                f"{ref.forget_confidence:.3f}.")
    if mi.verdict == "over-unlearning":
        st.error(f"**Over-unlearning.** {mi.message} Driving Î to 0 makes the outputs on D_u look like the "
                 "retained class mix, which is stronger than matching a model that never saw D_u.",
                 icon=":material/warning:")
    elif mi.verdict == "under-unlearning":
        st.error(f"**Under-unlearning.** Forget accuracy {mi.ua:.1%} is more than "
                 f"{fg.OVER_UNLEARNING_MARGIN:.0%} above the retrained model's {ref.ua:.1%}: the model still "
                 "predicts D_u the way only a model trained on it can. Raise λ or the epochs (or, when D_r "
                 "has no rows of D_u's classes, expect retraining to predict none of them).",
                 icon=":material/warning:")
    else:
        st.success(f"Matches retraining: forget accuracy {mi.ua:.1%} against the retrained model's "
                   f"{ref.ua:.1%} (flagged when more than {fg.OVER_UNLEARNING_MARGIN:.0%} below or above).",
                   icon=":material/check_circle:")
    if mi.stop_reason:
        st.caption(f"Stopped by **{mi.stop_rule}**: {mi.stop_reason}.")
    if mi.stopped or not mi.converged:
        st.warning(mi.message or "The run ended early.", icon=":material/warning:")



def comparison_table(prep, mi, others) -> None:
    """Every method beside the original and the retrained reference (screen labels; the Audit page's CSV
    keeps the engine's names)."""
    ref = prep.reference
    table = fg.compare([prep.original_report, ref, mi, *others])
    table.loc[table["method"] == "retrain", "time_ratio"] = 1.0  # the reference, against itself
    st.session_state["_last_forget_table"] = table  # the Audit page exports it
    show = ["method", "lam", "epochs", "ua", "ra", "ta", "mi", "mia_loss_auc", "seconds", "time_ratio",
            "verdict"]
    shown = words.screen_table(table, show)  # screen labels; the CSV on the Audit page keeps the raw names
    st.dataframe(shown, hide_index=True, column_config={
        words.label(k, short=True): st.column_config.NumberColumn(words.label(k, short=True), format="%.3f")
        for k in ("ua", "ra", "ta", "mia_loss_auc")
    } | {words.label("mi", short=True): st.column_config.NumberColumn(words.label("mi", short=True),
                                                                      format="%.4f"),
         words.label("seconds", short=True): st.column_config.NumberColumn(words.label("seconds", short=True),
                                                                           format="%.2f"),
         words.label("time_ratio", short=True): st.column_config.NumberColumn(
             words.label("time_ratio", short=True), format="%.2f")})
    words.note("Compare every row with the retrained reference: the goal is UA, RA, TA and MIA AUC close to "
               "its values, in much less time.")



def detail_charts(prep, mi, others) -> None:
    """Epoch curves, per-class accuracy by split and, for images, the forgotten samples."""
    from unlearn_core.plots import forgetting as fplots

    problem, ref = prep.problem, prep.reference
    left, right = st.columns(2)
    with left:
        curve_metrics = ("ua", "ta", "mi", "mia_loss_auc")
        st.plotly_chart(fplots.epoch_curves_figure([mi, *others], reference=ref, metrics=curve_metrics),
                        key="forget_curves", config={"displaylogo": False})
        words.note("Each line should end near the dashed line (the retrained model): above it on forget "
                   "accuracy is under-unlearning, far below it over-unlearning.")
    with right:
        splits = ["test", "retain", "forget"]
        split = st.radio("Per-class accuracy on", splits, horizontal=True, **bind(
            "forget_split", "forget_split", options=splits, fallback="test", what="Per-class accuracy split"))
        forgotten = sorted({problem.names[int(v)] for v in problem.y_forget})
        st.plotly_chart(fplots.per_class_figure([prep.original_report, ref, mi, *others], split=split,
                                                forgotten=forgotten if len(forgotten) <= 3 else ()),
                        key="forget_per_class", config={"displaylogo": False})
        words.note("Bars per class and model; the starred class is the one being forgotten. Only its bar "
                   "should drop, to about the retrained model's height.")

    if problem.image_shape is not None and problem.X_train_raw is not None and problem.forget_idx.size:
        k = min(16, problem.forget_idx.size)
        rows = problem.forget_idx[:k]
        names_ = np.asarray(problem.names)
        st.plotly_chart(fplots.forgotten_samples_figure(
            problem.X_train_raw[rows], shape=problem.image_shape, true=names_[problem.y_train[rows]],
            before=names_[prep.original_report.forget_pred[:k]], after=names_[mi.forget_pred[:k]],
            after_name="unlearned"), key="forget_images", config={"displaylogo": False})
        st.caption(f"The first {k} of {problem.forget_idx.size:,} forgotten images.")
        words.note("Red titles are images whose predicted label changed after unlearning.")
