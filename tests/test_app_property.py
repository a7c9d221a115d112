"""Property-based AppTest: random valid interactions with every widget of every page never end in a traceback.

Each Hypothesis example opens the app on one page (through app.py, as a link does) with one dataset, a
shipped one or a degenerate upload (one feature column; a group of one row; constant columns; a binary
target of one class; non-ASCII column names), then draws a sequence of interactions: any widget drawn on
the page (sidebar included), set to a random valid value of that widget (an option of a select box, a
subset of a multiselect, a point of a slider's grid, a number in a number input's range, random text in
a text input, a click on a button). After every rerun it asserts that

* there is no exception element (Streamlit's traceback), and
* no message of the error boundary is tagged as an *unexpected* error (``ui.boundary.UNEXPECTED_ICON``);
  expected refusals (a ``ValueError`` naming the fix, e.g. "the analytic frontier needs y") are fine.

The run is seeded (``derandomize=True``; no example database) so CI sees the same interactions every
time. To keep it to a few minutes on two cores, values that only change how long a fit takes are drawn
from a cheap subset on the pages that train models (seeds 0-2, 1-2 epochs, at most two λ / estimators,
sample sizes up to 1,000, up to 30 bootstrap resamples; the analytic frontier on a 3-point t grid, with
the caches cleared around the module), and Adult (45,222 rows) is driven on the pages
that only load or sample it (Home and the Leakage lab); the other shipped datasets are driven everywhere
they apply. Failing examples are not shrunk: the failure message lists the interactions that led to it.
"""

from __future__ import annotations

import json
import os
import random
import time

import pytest
from app_helpers import APP, upload
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as hs
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Widget

from ui.boundary import UNEXPECTED_ICON
from unlearn_core import datasets

pytestmark = pytest.mark.slow

# -- the data -------------------------------------------------------------------------------------
_rng = random.Random(15)


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    lines = [",".join(header)] + [",".join(str(v) for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _uploads() -> dict[str, tuple[bytes, str, str]]:
    """Degenerate CSVs: name -> (bytes, target column or "(none)", sensitive column)."""
    r = random.Random(15)
    n = 160
    return {
        "one-feature.csv": (_csv(["score", "sex", "label"], [
            [round(r.gauss(i % 2, 1), 3), "m" if i % 2 else "f", int(r.random() < 0.3 + 0.4 * (i % 2))]
            for i in range(n)]), "label", "sex"),
        "one-row-group.csv": (_csv(["x1", "x2", "grp", "label"], [
            [round(r.gauss(0, 1), 3), round(r.gauss(0, 1), 3), "b" if i == 0 else "a", i % 2]
            for i in range(n)]), "label", "grp"),
        "constant-columns.csv": (_csv(["c1", "c2", "x", "sex", "label"], [
            [1, "k", round(r.gauss(i % 2, 1), 3), "m" if i % 2 else "f", int(r.random() < 0.5)]
            for i in range(n)]), "label", "sex"),
        "one-class-target.csv": (_csv(["x1", "x2", "sex", "label"], [
            [round(r.gauss(i % 2, 1), 3), round(r.gauss(0, 1), 3), "m" if i % 2 else "f", 1]
            for i in range(n)]), "label", "sex"),
        "non-ascii.csv": (_csv(["âge", "revenu €", "sexe ♀♂", "étiquette"], [
            [20 + i % 50, round(r.gauss(30 + 5 * (i % 2), 5), 2), "femme" if i % 2 else "homme",
             "oui" if r.random() < 0.5 else "non"] for i in range(n)]), "étiquette", "sexe ♀♂"),
    }


UPLOADS = _uploads()
LIGHT = ["toy-gaussians", "toy-nonlinear", "gmm-10d", "german", "crime", "digits"]
#: page -> (datasets it is opened on, sidebar datasets a random interaction may switch to)
PAGE_DATA: dict[str, list[str]] = {
    "home": [*LIGHT, "adult", *UPLOADS],
    "barycenter": [*LIGHT, *UPLOADS],
    "trained": ["toy-gaussians", "toy-nonlinear", "german", "crime", "one-feature.csv",
                "constant-columns.csv", "non-ascii.csv"],
    "forget": ["digits", "toy-gaussians", "german", "crime", *UPLOADS],
    "images": ["toy-gaussians"],  # the page picks its own image data
    "leakage": [*LIGHT, "adult", *UPLOADS],
    "audit": ["toy-gaussians", "toy-nonlinear", "german", "crime", *UPLOADS],
}
#: page -> (examples, interactions per example): at least 300 interactions in all
BUDGET: dict[str, tuple[int, int]] = {
    "home": (8, 8), "barycenter": (10, 7), "trained": (6, 6), "forget": (5, 6), "images": (3, 6),
    "leakage": (8, 7), "audit": (6, 6),
}
HEAVY = {"barycenter", "trained", "forget", "images", "audit", "leakage"}
VERBOSE = bool(os.environ.get("PROPERTY_VERBOSE"))  # print every example's interactions
DONE: dict[str, int] = {}  # page -> interactions run (the last test checks the total)


def _title(name: str) -> str:
    if name == "upload":
        return "Upload CSV…"
    return datasets.registry()[name].title


# -- widgets and their random valid values ------------------------------------------------------
_KINDS = {"selectbox", "radio", "multiselect", "select_slider", "slider", "number_input", "checkbox",
          "toggle", "text_input", "button"}


def _widgets(at) -> list:
    out = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if getattr(node, "type", "") in ("plotly_chart", "arrow_vega_lite_chart", "vega_lite_chart") and \
                proto is not None and list(getattr(proto, "selection_mode", [])) and proto.id:
            out.append(node)  # a chart with on_select is a widget too: a click sends a selection event
            continue
        if not isinstance(node, Widget) or node.type not in _KINDS:
            continue
        if getattr(node.proto, "disabled", False) or getattr(node.proto, "form_id", ""):
            continue  # a disabled widget cannot be changed; the upload form is driven by the setup
        out.append(node)
    return out


def _key(w: Widget) -> str:
    return w.key or ""


def _chart_event(rnd: random.Random, w) -> tuple[WidgetState, str]:
    """A click on a random point of a selectable chart, as the browser reports it (Streamlit 1.67).

    plotly: ``customdata`` of a numpy column arrives as a typed-array row, i.e. ``{"0": v}`` (or a list,
    or absent); Vega-Lite: the point-selection parameter's fields. Sometimes an empty selection.
    """
    ws = WidgetState(id=w.proto.id)
    spec = json.loads(w.proto.spec)
    if "data" in spec and isinstance(spec.get("data"), list):  # plotly figure JSON
        points = []
        curves = [(c, tr) for c, tr in enumerate(spec["data"]) if tr.get("x") is not None]
        if curves and rnd.random() < 0.9:
            c, tr = rnd.choice(curves)
            xs = tr["x"]
            n = len(xs) if isinstance(xs, list) else 1
            i = rnd.randrange(max(n, 1))
            p = {"curve_number": c, "point_number": i, "point_index": i, "x": 0.5, "y": 0.5}
            cd = tr.get("customdata")
            if cd is not None:  # what the browser sends: a typed-array row {"0": v} or a list row [v]
                from app_helpers import array

                rows = array(cd)
                row = rows[min(i, len(rows) - 1)] if len(rows) else [0.0]
                v = float(row[0] if getattr(row, "ndim", 0) else row)
                p["customdata"] = {"0": v} if isinstance(cd, dict) else [v]
            points.append(p)
        event = {"selection": {"points": points, "point_indices": [p["point_index"] for p in points],
                               "box": [], "lasso": []}}
    else:  # Vega-Lite: {"selection": {param: [{field: value}]}}
        name = rnd.choice(list(w.proto.selection_mode))  # the point-selection parameters
        v = rnd.choice([0.0, 0.3, 0.5, 1.0, 0.95])
        event = {"selection": {name: [{"param": v}] if rnd.random() < 0.9 else []}}
    ws.string_value = json.dumps(event)
    return ws, f"select on chart {w.proto.id[-24:]}: {json.dumps(event)[:140]}"


def _draw_value(rnd: random.Random, page: str, w) -> tuple[WidgetState | None, str]:
    """A random valid value for ``w`` (within the cost limits of the module docstring) and its log line."""
    if not isinstance(w, Widget):
        return _chart_event(rnd, w)
    ws = WidgetState(id=w.id)
    key, cheap = _key(w), page in HEAVY
    if w.type in ("selectbox", "radio"):
        opts = list(w.options)
        if key == "_w_dataset":
            allowed = {_title(n) for n in PAGE_DATA[page] if n in datasets.names()} | {_title("upload")}
            opts = [o for o in opts if o in allowed]
        if not opts:
            return None, ""
        ws.string_value = rnd.choice(opts)
        return ws, f"{w.type} {w.label!r} = {ws.string_value!r}"
    if w.type == "multiselect":
        opts = list(w.options)
        most = {"trained_lams": 2, "lab_methods": 2, "forget_baselines": 1}.get(key, len(opts))
        chosen = rnd.sample(opts, rnd.randint(0, min(most, len(opts))))
        ws.string_array_value.data[:] = chosen
        return ws, f"multiselect {w.label!r} = {chosen!r}"
    if w.type == "select_slider":
        opts = list(w.options)
        if key == "lab_n":
            opts = opts[:2]  # n = 500 or 1,000
        elif key in ("lab_boot", "audit_boot"):
            opts = opts[:2]  # 0 or the first positive count
        v = rnd.choice(opts)
        ws.string_array_value.data[:] = [v]
        return ws, f"select_slider {w.label!r} = {v!r}"
    if w.type == "slider":
        lo, hi, step = float(w.proto.min), float(w.proto.max), float(w.proto.step or 1)
        k = rnd.randint(0, int(round((hi - lo) / step)))
        v = round(lo + k * step, 10)
        if key == "forget_epochs":
            v = min(v, 2.0)
        ws.double_array_value.data[:] = [v]
        return ws, f"slider {w.label!r} = {v:g}"
    if w.type == "number_input":
        lo = float(w.proto.min) if w.proto.has_min else 0.0
        hi = float(w.proto.max) if w.proto.has_max else lo + 1e6
        if key == "_w_seed" and cheap:
            hi = 2
        if key in ("trained_epochs",):
            hi = min(hi, 2)
        if key == "forget_n":
            hi = min(hi, 200)
        is_int = w.proto.data_type == w.proto.INT
        v = float(rnd.randint(int(lo), int(hi))) if is_int else rnd.uniform(lo, hi)
        ws.double_value = v
        return ws, f"number_input {w.label!r} = {v:g}"
    if w.type in ("checkbox", "toggle"):
        ws.bool_value = rnd.random() < 0.5
        return ws, f"{w.type} {w.label!r} = {ws.bool_value}"
    if w.type == "text_input":
        typical = ["8", "16,8", "0", "2000", "a,b", "", "f", "m", "1", " 3 "]
        text = rnd.choice(typical) if rnd.random() < 0.7 else "".join(
            rnd.choice("aZ09 ,.-_é€♀\u0000'\"*[]()") for _ in range(rnd.randint(0, 12)))
        ws.string_value = text
        return ws, f"text_input {w.label!r} = {text!r}"
    ws.trigger_value = True  # a button
    return ws, f"click {w.label!r}"


def _check(at, log: list[str]) -> None:
    where = "\n  ".join(log)
    assert not at.exception, f"exception after:\n  {where}\n" + "\n".join(e.value for e in at.exception)
    bugs = [e.value for e in at.error if e.icon == UNEXPECTED_ICON]
    assert not bugs, f"unexpected error after:\n  {where}\n" + "\n".join(bugs)


def _open(page: str, dataset: str, seed: int):
    at = AppTest.from_file(str(APP), default_timeout=600)
    at.query_params.update({"page": page, "seed": str(seed)})
    if dataset not in UPLOADS:
        at.query_params["dataset"] = dataset
    at.run()
    if dataset in UPLOADS:
        data, target, sensitive = UPLOADS[dataset]
        at = upload(at, data, dataset, target=target, sensitive=sensitive)  # refused: the page asks for one
    return at


@pytest.fixture(scope="module", autouse=True)
def coarse_frontier_grid():
    """A 3-point t grid for the analytic frontier (0, 0.5, 1) instead of 11: the frontier fits one model and
    one attacker per t, and this test is about the UI, not the frontier's resolution. The caches are
    cleared before and after, so no other test sees a coarse frontier."""
    import streamlit as st

    from ui import cache

    st.cache_data.clear()
    st.cache_resource.clear()
    saved = cache.FRONTIER_TS
    cache.FRONTIER_TS = (0.0, 0.5, 1.0)
    yield
    cache.FRONTIER_TS = saved
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("page", list(BUDGET))
def test_random_interactions_never_end_in_a_traceback(page: str) -> None:
    examples, steps = BUDGET[page]
    start = time.perf_counter()
    count = 0

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(example=hs.integers(0, 2**32 - 1))
    def run(example: int) -> None:
        # Hypothesis draws one integer per example and a seeded Random makes every choice from it: its
        # first examples are "minimal" (every draw zero), which would click the first widget over and over.
        nonlocal count
        rnd = random.Random(example)
        dataset = rnd.choice(PAGE_DATA[page])
        seed = rnd.randint(0, 2)
        t0 = time.perf_counter()
        at = _open(page, dataset, seed)
        log = [f"open page={page} dataset={dataset} seed={seed} (example {example})  "
               f"[{time.perf_counter() - t0:.1f} s]"]
        _check(at, log)
        for _ in range(steps):
            widgets = _widgets(at)
            if not widgets:
                break
            charts = [x for x in widgets if not isinstance(x, Widget)]
            w = rnd.choice(charts if charts and rnd.random() < 0.25 else widgets)  # clicks are rarer widgets
            ws, line = _draw_value(rnd, page, w)
            if ws is None:
                continue
            log.append(line)
            t0 = time.perf_counter()
            states = at._tree.get_widget_states()
            kept = [s for s in states.widgets if s.id != ws.id]
            del states.widgets[:]
            states.widgets.extend([*kept, ws])
            at._run(states)
            log[-1] += f"  [{time.perf_counter() - t0:.1f} s]"
            count += 1
            _check(at, log)
        if VERBOSE:
            print("\n  ".join(log) + f"\n  -> query {dict(at.query_params)}")

    run()
    DONE[page] = count
    print(f"\n{page}: {count} interactions in {time.perf_counter() - start:.1f} s")


def test_the_property_run_made_at_least_300_interactions() -> None:
    if set(DONE) != set(BUDGET):
        pytest.skip("runs only after every page's property test (run the whole module)")
    total = sum(DONE.values())
    print(f"\ninteractions: {json.dumps(DONE)}; total {total}")
    assert total >= 300, DONE
