"""Data unlearning: make a trained model forget a set of rows, next to retraining and the usual baselines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

import ui
from ui import runs as runs_  # "runs" is this page's list of (method, λ, epochs)
from ui import words
from ui.cache import DataKey
from ui.nav import ensure_frame
from ui.usable import current_data_for, title_of
from unlearn_core import forgetting as fg
from unlearn_core.plots import forgetting as fplots

DEFAULT_DATASET = "digits"
LAM_CHOICES: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 3.5, 4.0, 5.0, 8.0, 10.0, 20.0, 50.0)
# The forgetting benchmark's choice (benchmarks/results/forgetting.md). Digits, 75% of the 3s, seed 0:
# forget accuracy 89.0% vs retrain 84.4%, test 96.9% vs original 97.2%; λ = 3.5 for 20 epochs over-unlearns.
# The defaults live on ui.AppState (a link without the knob opens them).
DEFAULT_LAM: float = ui.field_default("forget_lam")
DEFAULT_EPOCHS: int = ui.field_default("forget_epochs")
FRACTIONS: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 21))  # the fraction sliders' stops
BASELINES = tuple(m for m in fg.METHODS if m not in ("mi", "retrain"))
AUTO_RUN_MAX_ROWS = 5000  # on data this small every change runs by itself; larger data waits for "Run"
MAX_ENTRIES = 48
CANCEL_KEY = "_forget_cancel"
KIND_LABELS = {
    "class-fraction": "a fraction of one class",
    "cohort": "a cohort (column predicate)",
    "random": "random rows",
    "index": "one row",
}


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
def _store() -> dict:
    """Finished runs (Prepared by Base, reports by (Base, method, lam, epochs)); shared by reruns.

    Not ``st.cache_data``: the runs update a progress bar drawn outside them, which cached-element
    replay forbids.
    """
    return {}


def _remember(key, value) -> None:
    store = _store()
    store.pop(key, None)
    store[key] = value
    while len(store) > MAX_ENTRIES:
        store.pop(next(iter(store)))


@ui.callback("Cancelling the run")
def _cancel() -> None:
    st.session_state[CANCEL_KEY] = True
    runs_.clear("forget_run")


def _stop() -> bool:
    return bool(st.session_state.get(CANCEL_KEY, False))


def _parse_value(text: str):
    """A cohort value typed by the user: a number when it reads as one, else the text."""
    text = text.strip()
    try:
        v = float(text)
    except ValueError:
        return text
    return int(v) if v.is_integer() and "." not in text else v


def _run(base: Base, runs: list[tuple[str, float, int]], ds) -> bool:
    """Compute what is missing (original, retrain, then each run) under one progress bar.

    Returns False when the user cancelled.
    """
    store = _store()
    todo_base = base not in store
    todo = [r for r in runs if (base, *r) not in store]
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

    with ui.engine_errors("Preparing the forget set"):
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
        with ui.engine_errors(f"Running {fg.METHOD_TITLES.get(method, method)}"):
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


@ui.callback("Switching the cohort column")
def _column_changed() -> None:
    ui.commit("forget_column", "forget_column")
    ui.state().forget_value = None  # the new column's default value


ensure_frame()  # must come first: a deep link on a fresh server may skip app.py
state = ui.state()
lesson = ui.lesson_mode()
st.title("Data unlearning: forget a set of rows")
st.caption(
    "Fine-tune the trained model with cross-entropy on the retained rows D_r plus λ·Î(f(X); Z), Z "
    "telling a sample of all training rows (Z = 0) from a sample of the retained ones (Z = 1): at Î = 0 "
    "the outputs carry no trace of the forget set D_u beyond what D_r explains. Retraining from scratch "
    "on D_r is the reference every method is compared with."
)

# -- data and forget set: the sidebar's dataset ---------------------------------------------------
# Data unlearning needs a classification target; a dataset without one gets a sentence and buttons to
# the datasets this page can use (ui.usable), never a failure.
data = current_data_for("forget", "Data unlearning", prefer=DEFAULT_DATASET)
dkey, ds = data.key, data.dataset
top = st.columns([2, 2, 3])
top[0].caption(f"Dataset **{title_of(data)}** (the sidebar's): {ds.n_samples:,} rows, "
               f"{len(pd.unique(ds.y.astype(str)))} classes.")

kinds = list(fg.KINDS)
kind = top[1].selectbox("Forget", kinds, format_func=lambda k: KIND_LABELS.get(k, k),
                        **ui.bind("forget_kind", "forget_kind", options=kinds, fallback=kinds[0],
                                  what="Forget-set kind"))
classes = sorted(pd.unique(ds.y.astype(str)).tolist(), key=lambda v: (len(v), v))
with top[2]:
    if kind == "class-fraction":
        k1, k2 = st.columns(2)
        cls = k1.selectbox("Class", classes, **ui.bind("forget_class", "forget_class", options=classes,
                                                       fallback="3" if "3" in classes else classes[0],
                                                       what="Class"))
        frac = k2.slider("Fraction of the class", 0.05, 1.0, step=0.05, **ui.bind(
            "forget_fraction", "forget_fraction", options=FRACTIONS,
            fallback=ui.field_default("forget_fraction"), what="Fraction of the class"))
        spec_args = dict(kind="class-fraction", cls=cls, fraction=float(frac))
    elif kind == "cohort":
        k1, k2, k3 = st.columns([3, 1, 2])
        columns = [str(c) for c in ds.X.columns] + [ds.sensitive] + [str(ds.y.name)]
        columns = list(dict.fromkeys(columns))
        col = k1.selectbox("Column", columns, on_change=_column_changed, key=ui.bound_key(
            "forget_column", "forget_column",
            value=ui.choice("forget_column", columns, columns[-2], what="Cohort column")))
        ops = list(fg.OPS[:-1])
        op = k2.selectbox("Op", ops, **ui.bind("forget_op", "forget_op", options=ops, fallback=ops[0],
                                               what="Cohort operator"))
        default_val = str(ds.z.iloc[0]) if col == ds.sensitive else ""
        val_key = f"forget_value_{col}"
        val = k3.text_input("Value", on_change=ui.commit, args=("forget_value", val_key), key=ui.bound_key(
            "forget_value", val_key, value=default_val if state.forget_value is None else state.forget_value))
        frac = st.slider("Fraction of the cohort", 0.05, 1.0, step=0.05, **ui.bind(
            "forget_cohort_fraction", "forget_cohort_fraction", options=FRACTIONS,
            fallback=ui.field_default("forget_cohort_fraction"), what="Fraction of the cohort"))
        spec_args = dict(kind="cohort", cls=None, column=col, op=op, value=_parse_value(val),
                         fraction=None if frac >= 1.0 else float(frac))
    elif kind == "random":
        n_max = max(1, ds.n_samples // 2)
        n = st.number_input("Rows to forget", 1, n_max, **ui.bind(
            "forget_n", "forget_n", options=range(1, n_max + 1), fallback=min(50, ds.n_samples // 4),
            what="Rows to forget"))
        spec_args = dict(kind="random", cls=None, n=int(n), fraction=None)
    else:
        idx = st.number_input("Row of the dataset", 0, ds.n_samples - 1, **ui.bind(
            "forget_index", "forget_index", options=range(ds.n_samples), fallback=0, what="Row index"),
            help="This row is kept in the training split and then forgotten.")
        spec_args = dict(kind="index", cls=None, fraction=None, index=int(idx))

c = st.columns([2, 2, 3])
lam = float(c[0].select_slider("λ", LAM_CHOICES, **ui.bind("forget_lam", "forget_lam", options=LAM_CHOICES,
                                                           fallback=DEFAULT_LAM, what="λ", fmt="{:g}".format),
                               help="Weight of Î(f(X); Z) in the fine-tune. Too large (or too many epochs) "
                               "over-unlearns: forget accuracy falls far below the retrained model's."))
epochs = int(c[1].slider("Epochs", 1, 20, **ui.bind("forget_epochs", "forget_epochs")))
baselines = [] if lesson else c[2].multiselect(
    "Baselines (retraining is always run: it is the reference)", BASELINES,
    format_func=lambda m: fg.METHOD_TITLES.get(m, m),
    **ui.bind("forget_baselines", "forget_baselines", options=BASELINES, what="Baselines"))

with ui.engine_errors("Reading the forget set"):
    spec = fg.ForgetSpec(random_state=int(state.seed), **spec_args)
base = Base(dkey, spec, int(state.seed))
runs = [("mi", lam, epochs)] + [(m, 1.0 if m != "finetune" else 0.0, epochs) for m in baselines]

b = st.columns([1, 4])
go = b[0].button("Run", type="primary", key="forget_run", icon=":material/play_arrow:")
small = ds.n_samples <= AUTO_RUN_MAX_ROWS
runs_.report_interrupted("forget_run", again="Press **Run** to start it again.")
if st.session_state.pop(CANCEL_KEY, False) and not go:
    st.warning("Run cancelled.", icon=":material/cancel:")
elif go or small:
    with runs_.tracked("forget_run", "unlearning run"):
        _run(base, runs, ds)
store = _store()
prep = store.get(base)
reports = [store.get((base, *r)) for r in runs]
if prep is None or reports[0] is None:
    b[1].info(f"Press **Run** to train the original model and the retrained reference on "
              f"{ds.n_samples:,} rows, then unlearn.", icon=":material/model_training:")
    st.stop()
problem, mi = prep.problem, reports[0]
others = [r for r in reports[1:] if r is not None]
s = problem.summary()
b[1].caption(
    f"**{s['dataset']}**: forgetting {s['forget']} — {s['n_forget']:,} of {s['n_train']:,} training rows "
    f"(D_r: {s['n_retain']:,}; {s['n_test']:,} unseen test rows). Original model trained in "
    f"{prep.original.seconds:.2f} s, retrained reference in {prep.reference.seconds:.2f} s; cached."
)

# -- metric strip ----------------------------------------------------------------------------------
st.subheader(f"MI unlearning at λ = {lam:g}, {epochs} epoch{'s' * (epochs != 1)}")
ref = prep.reference
m = st.columns(4) + st.columns(4)[:3]  # two rows: the accuracies and Î, then attack, time, confidence
for col, (k, label, fmt) in zip(m, (
    ("ua", "UA (forget acc)", "{:.1%}"), ("ra", "RA (retain acc)", "{:.1%}"),
    ("ta", "TA (test acc)", "{:.1%}"), ("mi", "Î (nats)", "{:.4f}"), ("mia_loss_auc", "MIA AUC", "{:.3f}"),
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
            delta=f"{mi.forget_confidence - mi.forget_confidence_before:+.3f} vs original", delta_color="off",
            help=f"Mean probability of the true label on D_u; retrained model: {ref.forget_confidence:.3f}.")
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
    st.success(f"Matches retraining: forget accuracy {mi.ua:.1%} against the retrained model's {ref.ua:.1%} "
               f"(flagged when more than {fg.OVER_UNLEARNING_MARGIN:.0%} below or above).",
               icon=":material/check_circle:")
if mi.stop_reason:
    st.caption(f"Stopped by **{mi.stop_rule}**: {mi.stop_reason}.")
if mi.stopped or not mi.converged:
    st.warning(mi.message or "The run ended early.", icon=":material/warning:")

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

# -- curves and per-class bars ---------------------------------------------------------------------
left, right = st.columns(2)
with left:
    curve_metrics = ("ua", "ta", "mi", "mia_loss_auc")
    st.plotly_chart(fplots.epoch_curves_figure([mi, *others], reference=ref, metrics=curve_metrics),
                    key="forget_curves", config={"displaylogo": False})
    words.note("Each line should end near the dashed line (the retrained model): above it on forget "
               "accuracy is under-unlearning, far below it over-unlearning.")
with right:
    splits = ["test", "retain", "forget"]
    split = st.radio("Per-class accuracy on", splits, horizontal=True, **ui.bind(
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
