"""The Leakage lab page's machinery: the case being measured, its sample, the cached estimates, the
results table and the estimator guide.

``pages/leakage.py`` reads its widgets and hands their values here; the caches live in this module, so
the page holds none.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

from .cache import DataKey, cached_fit, load_data

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "leakage.md"
CASE_LABELS = {
    "world": "a ground-truth world (known MI)",
    "data": "the current data: features X vs Z",
    "outcome": "the barycenter outcome X_t at the current t",
}


def specs() -> dict:
    """The leakage estimators' specs (title, unit, input, bias, when to use), by name."""
    from unlearn_core import leakage

    return leakage.specs()


def methods() -> list[str]:
    """The leakage estimators' names, in the registry's order."""
    from unlearn_core import leakage

    return leakage.methods()


def worlds() -> dict:
    """The ground-truth worlds (known I(S; Z)) by name, each with its ``title``."""
    from unlearn_core.leakage import ground_truth

    return ground_truth.WORLDS


class Case(NamedTuple):
    """What is measured: a synthetic world with its parameters, or the current data / outcome.

    A NamedTuple so that keys made on different reruns compare equal.
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


def world_case(world: str, K: int, d: int, target_mi: float, n: int, seed: int) -> Case:
    """The Case of a ground-truth world (the page's and the start-up warm-up's: one constructor, so both
    make the same cache key)."""
    return Case("world", world=world or next(iter(worlds())), K=int(K), d=int(d), target_mi=float(target_mi),
                n=int(n), seed=int(seed))


def warm_default() -> None:
    """Compute the Leakage lab's default view (its world, estimators and resamples) into the caches."""
    from .state import AppState

    s = AppState()
    case = world_case(s.lab_world, s.lab_K, s.lab_d, s.lab_target, s.lab_n, s.seed)
    case_data(case)
    for method in s.lab_methods:
        cached_estimate(case, method, int(s.lab_boot), int(s.seed))


@st.cache_data(max_entries=16, show_spinner="Drawing the sample…")
def case_data(case: Case) -> tuple[np.ndarray, np.ndarray, float | None, float, str]:
    """(S, z, true MI or None, its numerical error, a description); data cases use ``case.n`` random rows.

    A plain tuple: st.cache_data pickles the value.
    """
    from unlearn_core.leakage import ground_truth
    from unlearn_core.transport import mccann

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
        ds = load_data(case.data)
        S, z = ds.X.to_numpy(dtype=float), ds.z.to_numpy().astype(str)
        what = f"{ds.name}: its {ds.n_features} features X against Z = {ds.sensitive}"
    else:
        fit = cached_fit(case.data, case.method, case.seed)
        S, z = mccann(fit.X, fit.X_end, case.t), fit.z
        what = f"X_t on the path to the {case.method} barycenter at t = {case.t:.2f}"
    rows = np.sort(rng.choice(len(S), size=case.n, replace=False)) if len(S) > case.n else np.arange(len(S))
    drawn = rows.size < len(S)
    note = f" ({rows.size:,} of {len(S):,} rows, drawn at random)" if drawn else f" ({len(S):,} rows)"
    return S[rows], z[rows], None, 0.0, what + note + "; no ground truth."


@st.cache_data(max_entries=256, show_spinner=False)
def cached_estimate(case: Case, method: str, n_boot: int, seed: int):
    """``leakage.estimate`` on the case's sample (one entry per method, so adding one reuses the rest)."""
    from unlearn_core import leakage

    S, z, *_ = case_data(case)
    return leakage.estimate(S, z, method=method, n_boot=n_boot, random_state=seed)


def run_estimates(case: Case, chosen: Sequence[str], n_boot: int, seed: int, titles: dict) -> list:
    """Every chosen estimator on the case, with a progress bar; one that cannot apply is a warning, not an
    error that hides the others."""
    estimates, failures = [], []
    bar = st.progress(0.0, text="Estimating…") if len(chosen) > 1 else None
    for i, method in enumerate(chosen):
        if bar is not None:
            bar.progress(i / len(chosen), text=f"{titles.get(method, method)} ({i + 1} of {len(chosen)})…")
        try:
            estimates.append(cached_estimate(case, method, n_boot, seed))
        except Exception as exc:  # noqa: BLE001 - one estimator that cannot apply must not hide the others
            failures.append((method, str(exc).strip() or type(exc).__name__))
    if bar is not None:
        bar.empty()
    for method, msg in failures:
        st.warning(f"**{titles.get(method, method)}** did not run: {msg}", icon=":material/block:")
    return estimates


def results_table(estimates: Sequence, truth: float | None, specs: dict, titles: dict) -> None:
    """One row per estimate: value, interval, unit, time, and (with a truth) its error and coverage."""
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
    # A static table (st.table), not a data grid: the grid's script is the heaviest thing a first visit
    # would fetch for three rows. Numbers to 4 decimals (time to 3); "–" where a value does not apply.
    table = pd.DataFrame(rows).rename(columns={"seconds": "time (s)"}).set_index("estimator")
    fmt = {k: "{:.4f}" for k in ("value", "CI low", "CI high", "value before clipping at 0", "error vs truth")
           if k in table} | {"time (s)": "{:.3f}"}
    st.table(table.style.format(fmt, na_rep="–"))


def guide(names: Sequence[str], specs: dict) -> None:
    """"Which estimator when": every estimator's kind, input, bias and use; then the benchmark table."""
    st.subheader("Which estimator when")
    table = pd.DataFrame([{
        "estimator": s.title, "MI?": "yes (nats)" if s.is_mi else f"no ({s.unit})", "input": s.input,
        "differentiable": "yes" if s.differentiable else "", "when to use": s.when_to_use,
        "known bias": s.bias,
    } for s in (specs[m] for m in names)])
    st.table(table.set_index("estimator"))  # a table wraps the long "when to use" text; a dataframe cuts it
    if BENCHMARK.is_file():
        # on request, not in a collapsed expander: an expander's content is still sent and drawn, and
        # these 32 kB of Markdown tables took about 0.7 s of the page's first visit
        if st.toggle("Show the estimator benchmark (bias, spread, interval coverage, time)",
                     key="lab_show_benchmark"):
            st.markdown(BENCHMARK.read_text(encoding="utf-8"))
    else:
        st.caption("The benchmark table (benchmarks/results/leakage.md) is not in this build.")
