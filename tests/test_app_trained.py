"""AppTest of the Trained-frontier page (pages/trained.py), run on its own on the toy data.

Sweeps use tiny settings (2 λ, 1–2 epochs) so each test trains in seconds; finished sweeps are cached
in a process-wide store, so later tests reuse them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from app_helpers import figure_by_key as figure
from app_helpers import vega_chart
from numpy.testing import assert_allclose

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "trained.py")
TIMEOUT = 180
CHART = "Trained frontier over"  # the title of the sweep chart (Vega-Lite)
TRAINED = "trained (λ sweep)"
ANALYTIC = "analytic (barycenter path, t sweep)"


def sweep_chart(at):
    """The sweep chart's rows (series, param, leakage, utility, zero, end, current)."""
    return vega_chart(at, CHART)[1]


def new_app(*, auto: bool = False):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    if not auto:
        at.session_state["_trained_auto_done"] = True
    return at


def tiny_sweep(at, lams=(0.0, 100.0), epochs: int = 2, overlay: bool = False):
    at.run()
    at.multiselect(key="trained_lams").set_value(list(lams))
    at.number_input(key="trained_epochs").set_value(epochs)
    at.checkbox(key="trained_overlay").set_value(overlay)
    at.button(key="trained_run").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.slow
def test_defaults_run_the_sweep_and_draw_it_over_the_analytic_frontier():
    at = new_app(auto=True)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    d = sweep_chart(at)
    sweep = d[d.series == TRAINED]
    assert_allclose(sweep["param"], [0.0, 5.0, 20.0, 100.0])
    probe = sweep["leakage"].to_numpy(dtype=float)
    assert probe.shape == (4,) and np.all((probe >= 0.4) & (probe <= 1.0))
    assert probe[-1] < probe[0]  # leakage falls as λ rises on the toy groups
    analytic = d[d.series == ANALYTIC]
    assert len(analytic) > 2 and analytic["end"].sum() == 1  # the barycenter endpoint t = 1 is marked
    assert sweep["zero"].sum() == 1 and sweep[sweep.zero]["param"].iloc[0] == 0.0
    labels = [m.label for m in at.metric]
    assert "attacker AUC for Z" in labels and "Demographic-parity gap" in labels


def test_sweep_button_widgets_change_the_view():
    at = tiny_sweep(new_app())
    d = sweep_chart(at)
    assert set(d.series) == {TRAINED}  # overlay off
    assert len(d) == 2
    # the selected λ drives the metrics and the detail figures
    at.selectbox(key="trained_lam").set_value(100.0).run()
    gap_100 = next(m.value for m in at.metric if m.label == "Demographic-parity gap")
    title_100 = figure(at, "trained_outputs")["layout"]["title"]["text"]
    at.selectbox(key="trained_lam").set_value(0.0).run()
    gap_0 = next(m.value for m in at.metric if m.label == "Demographic-parity gap")
    title_0 = figure(at, "trained_outputs")["layout"]["title"]["text"]
    assert float(gap_100) < float(gap_0)  # λ = 100 closes the parity gap
    assert "λ = 100" in title_100 and "λ = 0" in title_0
    d = sweep_chart(at)
    assert d["current"].sum() == 1 and d[d.current]["param"].iloc[0] == 0.0


def test_rerun_and_run_again_reuse_the_cached_sweep():
    at = tiny_sweep(new_app())
    first = at.session_state["_last_trained_frontier"]
    at.button(key="trained_run").click()
    at.run()
    at.run()
    assert at.session_state["_last_trained_frontier"] is first  # no retraining
    assert any("cached" in c.value for c in at.caption)


def test_cancelled_sweep_says_so():
    at = new_app()
    at.run()
    at.session_state["_trained_cancel"] = True  # what the Cancel button's callback sets
    at.run()
    assert any("cancelled" in w.value.lower() for w in at.warning)
    assert not at.exception


def test_no_lambda_and_bad_widths_are_messages_not_tracebacks():
    at = new_app()
    at.run()
    at.text_input(key="trained_hidden").input("64,abc").run()
    assert not at.exception
    assert any("hidden widths" in e.value for e in at.error)
    at.text_input(key="trained_hidden").input("64,32")
    at.multiselect(key="trained_lams").set_value([]).run()
    assert any("at least one λ" in w.value for w in at.warning)


def test_regression_data_with_a_probability_penalty_shows_the_engine_message():
    at = new_app()
    at.query_params["dataset"] = "crime"
    at.run()
    at.multiselect(key="trained_lams").set_value([0.0, 10.0])
    at.number_input(key="trained_epochs").set_value(1)
    at.button(key="trained_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Training the λ sweep failed" in e.value and "regression" in e.value for e in at.error)


def _select(at, chart_key: str, event: dict):
    """Rerun ``at`` as the browser does after a click on a Vega-Lite chart with ``on_select``.

    Streamlit's frontend sends the selection as the chart widget's JSON string value; the server parses
    it into ``st.session_state[key]`` and runs the ``on_select`` callback, the path a real click takes.
    """
    import json

    from streamlit.proto.WidgetStates_pb2 import WidgetState

    el = next(e for e in at.get("vega_lite_chart") if e.proto.id.endswith(chart_key))
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(id=el.proto.id, string_value=json.dumps(event)))
    return at._run(states)


@pytest.mark.parametrize("picked", [[{"param": 100.0}], {"param": [100.0]}], ids=["list", "mapping"])
def test_clicking_a_trained_point_selects_its_lambda(picked):
    """Regression (issue 15): a click on a trained point raised ``TypeError: float() argument must be ...
    not 'dict'`` in ``_pick_lam`` (then a plotly chart). The chart is Vega-Lite now; its point selection
    reports the clicked row's ``param``, as a list of points or as one mapping."""
    at = tiny_sweep(new_app(), lams=(0.0, 100.0), epochs=1)
    at.selectbox(key="trained_lam").set_value(0.0).run()
    assert at.session_state["trained_lam"] == 0.0
    _select(at, "trained_chart", {"selection": {"pick": picked}})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["app"].train_pick == 100.0
    assert at.session_state["trained_lam"] == 100.0


def test_a_click_on_empty_space_keeps_the_lambda():
    at = tiny_sweep(new_app(), lams=(0.0, 100.0), epochs=1)
    at.selectbox(key="trained_lam").set_value(100.0).run()
    _select(at, "trained_chart", {"selection": {"pick": []}})
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["trained_lam"] == 100.0
