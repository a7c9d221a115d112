"""AppTest of the Leakage-lab page (pages/leakage.py), run on its own.

Fast estimators (gaussian, knn, probe) with few bootstrap resamples keep each test to seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from app_helpers import array as _arr
from app_helpers import figure_by_key as figure
from app_helpers import run_page, trace
from numpy.testing import assert_allclose

from unlearn_core import leakage

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "leakage.py")
TIMEOUT = 180


@pytest.fixture()
def at():
    return run_page(PAGE, TIMEOUT)


def test_defaults_estimate_a_known_mi_with_intervals(at):
    assert not at.error, [e.value for e in at.error]
    fig = figure(at, "lab_estimates")
    truth = _arr(trace(fig, "truth")["x"]).astype(float)
    assert_allclose(truth, 0.3, atol=1e-6)  # gaussian-mixture world at target 0.3 nats
    est = trace(fig, "MI estimates")
    assert list(est["y"]) == [leakage.method_spec(m).title for m in ("gaussian", "knn", "probe")]
    assert_allclose(_arr(est["x"]).astype(float), 0.3, atol=0.06)  # n = 2000: all three near the truth
    assert np.all(_arr(est["error_x"]["array"]).astype(float) > 0)  # bootstrap intervals drawn
    table = at.dataframe[0].value
    assert table["CI covers truth"].sum() >= 2
    timings = figure(at, "lab_timings")
    assert np.all(_arr(timings["data"][0]["x"]).astype(float) > 0)
    guide = at.table[0].value
    assert len(guide) == len(leakage.methods()) and guide["when to use"].str.len().min() > 10


def test_target_mi_and_world_change_the_truth(at):
    at.selectbox(key="lab_target").set_value(0.05)
    at.select_slider(key="lab_boot").set_value(0)
    at.run()
    assert_allclose(_arr(trace(figure(at, "lab_estimates"), "truth")["x"]).astype(float), 0.05, atol=1e-6)
    estimates = _arr(trace(figure(at, "lab_estimates"), "MI estimates")["x"]).astype(float)
    assert_allclose(estimates, 0.05, atol=0.04)
    at.selectbox(key="lab_world").set_value("independent").run()
    assert_allclose(_arr(trace(figure(at, "lab_estimates"), "truth")["x"]).astype(float), 0.0)
    assert np.all(_arr(trace(figure(at, "lab_estimates"), "MI estimates")["x"]).astype(float) < 0.03)


def test_estimator_picker_and_a_method_that_cannot_apply(at):
    at.select_slider(key="lab_boot").set_value(0)
    at.multiselect(key="lab_methods").set_value(["softmax-averaging", "knn", "w2"]).run()
    assert not at.exception
    # softmax averaging needs probabilities: a message, and the others still shown
    assert any(leakage.method_spec("softmax-averaging").title in w.value for w in at.warning)
    fig = figure(at, "lab_estimates")
    assert list(trace(fig, "MI estimates")["y"]) == [leakage.method_spec("knn").title]
    assert list(trace(fig, "other measures")["y"]) == [leakage.method_spec("w2").title]


def test_current_data_case_has_no_truth(at):
    at.select_slider(key="lab_boot").set_value(0)
    at.radio(key="lab_case").set_value("data").run()
    assert not at.exception, [e.value for e in at.exception]
    names = [d.get("name") for d in figure(at, "lab_estimates")["data"]]
    assert "truth" not in names
    assert any("no ground truth" in c.value for c in at.caption)
    # on the toy data the groups are separated: every MI estimate sees leakage
    assert np.all(_arr(trace(figure(at, "lab_estimates"), "MI estimates")["x"]).astype(float) > 0.05)
