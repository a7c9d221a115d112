"""AppTest of the Data-unlearning page (pages/forget.py), run on its own.

The default view (digits, forget 75% of the 3s) trains the original and the retrained reference once
(cached process-wide); the other tests change only what reruns the cheap fine-tune.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from app_helpers import array as _arr
from app_helpers import figure_by_key as figure
from app_helpers import run_page

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "forget.py")
TIMEOUT = 240


def metric(at, label: str):
    for m in at.metric:
        if m.label == label:
            return m
    raise AssertionError(f"no metric {label!r}; metrics: {[m.label for m in at.metric]}")


@pytest.fixture()
def at():
    return run_page(PAGE, TIMEOUT, dataset="digits")  # the page follows the sidebar's dataset


@pytest.mark.slow
def test_defaults_unlearn_75pct_of_the_3s_on_digits(at):
    assert not at.error, [e.value for e in at.error]
    labels = [m.label for m in at.metric]
    assert labels[:5] == ["UA (forget acc)", "RA (retain acc)", "TA (test acc)", "Î (nats)", "MIA AUC"]
    assert "vs retrain" in metric(at, "UA (forget acc)").delta  # every metric shows its gap to retrain
    # accuracies are in %, so their gap is in percentage points: UA − UA(retrain), to the shown precision
    ua_metric = metric(at, "UA (forget acc)")
    ua, ua_ref = float(ua_metric.value.rstrip("%")), float(ua_metric.help.split(": ")[1].split("%")[0])
    gap = float(ua_metric.delta.split(" pts")[0])
    assert gap == pytest.approx(ua - ua_ref, abs=0.11)
    assert at.dataframe[0].value.set_index("method").loc["retrain on D_r (reference)",
                                                         "time / retrain"] == 1.0
    assert "× the retraining time" in metric(at, "Time").delta
    assert any("75% of class 3" in c.value for c in at.caption)
    # defaults are chosen not to over-unlearn; the flag is shown plainly either way
    assert any("Matches retraining" in s.value for s in at.success)
    table = at.dataframe[0].value
    # screen names (issue 15): the CSV keeps "original", "retrain", "mi", "finetune"
    assert list(table["method"]) == ["original model (trained on all rows)", "retrain on D_r (reference)",
                                     "MI unlearning (the paper)", "fine-tune on D_r"]
    # cheaper than retraining
    assert table.loc[table["method"] == "MI unlearning (the paper)", "time / retrain"].iloc[0] < 1.0
    curves = figure(at, "forget_curves")
    names = {d.get("name") for d in curves["data"]}
    assert {"mi · ua", "finetune · ua", "retrain · ua"} <= names
    grid = figure(at, "forget_images")
    heat = [d for d in grid["data"] if d.get("type") == "heatmap"]
    assert len(heat) == 16 and _arr(heat[0]["z"]).size == 64  # 8x8 digits


def test_large_lambda_and_epochs_flag_over_unlearning(at):
    ua_default = float(metric(at, "UA (forget acc)").value.rstrip("%"))
    at.select_slider(key="forget_lam").set_value(8.0)
    at.slider(key="forget_epochs").set_value(8)
    at.run()
    assert not at.exception
    ua = float(metric(at, "UA (forget acc)").value.rstrip("%"))
    assert ua < ua_default - 10
    assert any("Over-unlearning" in e.value for e in at.error)


def test_baselines_widget_adds_rows_and_curves(at):
    at.multiselect(key="forget_baselines").set_value(["neggrad", "relabel"]).run()
    assert not at.exception
    assert list(at.dataframe[0].value["method"]) == [
        "original model (trained on all rows)", "retrain on D_r (reference)",
        "MI unlearning (the paper)", "gradient ascent on D_u (NegGrad+)", "random relabelling of D_u"]
    names = {d.get("name") for d in figure(at, "forget_curves")["data"]}
    assert {"neggrad · ua", "relabel · ua"} <= names and "finetune · ua" not in names


def test_per_class_split_changes_the_bars(at):
    test_bars = figure(at, "forget_per_class")
    at.radio(key="forget_split").set_value("forget").run()
    forget_bars = figure(at, "forget_per_class")
    assert "forget set" in forget_bars["layout"]["title"]["text"]
    y_test = _arr(test_bars["data"][2]["y"]).astype(float)  # the MI run
    y_forget = _arr(forget_bars["data"][2]["y"]).astype(float)
    assert np.isnan(y_forget).sum() == 9 and not np.isnan(y_test).any()  # only class 3 was forgotten


def test_empty_cohort_and_regression_data_are_messages(at):
    at.selectbox(key="forget_kind").set_value("cohort").run()
    at.text_input(key=f"forget_value_{at.selectbox(key='forget_column').value}").input("no-such-group").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("empty" in e.value for e in at.error)
    at.session_state["app"].dataset = "crime"  # the sidebar's dataset (this test runs the page alone)
    at.run()
    assert not at.exception
    assert any("needs a classification target" in e.value for e in at.info)
    assert "Handwritten digits 8x8 (scikit-learn)" in [b.label for b in at.button]


def test_cancel_message():
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    app.query_params["dataset"] = "digits"
    app.session_state["_forget_cancel"] = True  # what the Cancel button's callback sets
    app.run()
    assert any("cancelled" in w.value.lower() for w in app.warning)
