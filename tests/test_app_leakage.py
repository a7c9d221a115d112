"""AppTest of the Leakage-lab page (pages/leakage.py), run on its own.

Fast estimators (gaussian, knn, probe) with few bootstrap resamples keep each test to seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from app_helpers import run_page, vega_chart
from numpy.testing import assert_allclose

from unlearn_core import leakage

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "leakage.py")
TIMEOUT = 180


def estimates(at, panel: str = "MI"):
    """The estimates chart's rows of one panel ("MI" or "other"), in the page's order."""
    d = vega_chart(at, "Estimates with bootstrap")[1]
    return d[d.panel.str.startswith(panel)]


def truth(at) -> float:
    return float(vega_chart(at, "Estimates with bootstrap")[1]["truth"].iloc[0])


@pytest.fixture()
def at():
    return run_page(PAGE, TIMEOUT)


def test_defaults_estimate_a_known_mi_with_intervals(at):
    assert not at.error, [e.value for e in at.error]
    assert_allclose(truth(at), 0.3, atol=1e-6)  # gaussian-mixture world at target 0.3 nats
    est = estimates(at)
    assert list(est["estimator"]) == [leakage.method_spec(m).title for m in ("gaussian", "knn", "probe")]
    assert_allclose(est["value"], 0.3, atol=0.06)  # n = 2000: all three near the truth
    assert np.all(est["hi"] - est["lo"] > 0)  # bootstrap intervals drawn
    assert np.all((est["lo"] <= est["value"]) & (est["value"] <= est["hi"]))
    table = at.table[0].value  # the results (a static table), then the guide
    assert table["CI covers truth"].sum() >= 2
    timings = vega_chart(at, "Time per estimate")[1]
    assert len(timings) == 3 and np.all(timings["seconds"] > 0)
    guide = at.table[1].value
    assert len(guide) == len(leakage.methods()) and guide["when to use"].str.len().min() > 10


def test_target_mi_and_world_change_the_truth(at):
    at.selectbox(key="lab_target").set_value(0.05)
    at.select_slider(key="lab_boot").set_value(0)
    at.run()
    assert_allclose(truth(at), 0.05, atol=1e-6)
    assert_allclose(estimates(at)["value"], 0.05, atol=0.04)
    at.selectbox(key="lab_world").set_value("independent").run()
    assert_allclose(truth(at), 0.0)
    assert np.all(estimates(at)["value"] < 0.03)


def test_estimator_picker_and_a_method_that_cannot_apply(at):
    at.select_slider(key="lab_boot").set_value(0)
    at.multiselect(key="lab_methods").set_value(["softmax-averaging", "knn", "w2"]).run()
    assert not at.exception
    # softmax averaging needs probabilities: a message, and the others still shown
    assert any(leakage.method_spec("softmax-averaging").title in w.value for w in at.warning)
    assert list(estimates(at)["estimator"]) == [leakage.method_spec("knn").title]
    assert list(estimates(at, "other")["estimator"]) == [leakage.method_spec("w2").title]
    spec = vega_chart(at, "Estimates with bootstrap")[0]
    assert [p["title"] for p in spec["vconcat"]] == ["MI estimates (nats)",
                                                     "other measures (own units; not MI)"]


def test_current_data_case_has_no_truth(at):
    at.select_slider(key="lab_boot").set_value(0)
    at.radio(key="lab_case").set_value("data").run()
    assert not at.exception, [e.value for e in at.exception]
    assert np.isnan(truth(at))
    panels = vega_chart(at, "Estimates with bootstrap")[0]["vconcat"]
    assert not [layer for p in panels for layer in p["layer"] if layer.get("name") == "truth"]
    assert any("no ground truth" in c.value for c in at.caption)
    # on the toy data the groups are separated: every MI estimate sees leakage
    assert np.all(estimates(at)["value"] > 0.05)


def test_the_estimator_benchmark_shows_on_request(at):
    """The 32 kB benchmark table is drawn only when asked for (it cost ~0.7 s of a first visit)."""
    from ui.lab import BENCHMARK

    if not BENCHMARK.is_file():
        pytest.skip("benchmarks/results/leakage.md is not in this build")
    first_line = BENCHMARK.read_text(encoding="utf-8").strip().splitlines()[0].lstrip("# ").strip()
    assert not any(first_line in m.value for m in at.markdown)
    at.toggle(key="lab_show_benchmark").set_value(True).run()
    assert any(first_line in m.value for m in at.markdown)
