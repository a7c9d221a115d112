"""A link reopens the same view on every page: AppTest through app.py with the page knobs in the URL.

Each test opens a page the way a shared link does (``open_app(page=..., <knobs>)``), then checks the
widgets show the link's values, the outputs follow them, and the frame writes the same knobs back to the
query string. Views are small (toy data, tiny sweeps, few resamples) so the file runs in seconds.
"""

from __future__ import annotations

from app_helpers import assert_clean, figure_by_key, open_app, vega_chart
from numpy.testing import assert_allclose

from unlearn_core import leakage

TIMEOUT = 240


def page_params(at) -> dict[str, str]:
    """The query string minus the frame's keys."""
    frame = {"dataset", "z", "seed", "method", "estimator", "t", "lam", "lesson", "page"}
    return {k: v for k, v in at.query_params.items() if k not in frame}


def link_warnings(at) -> list[str]:
    return [w.value for w in at.warning]


def test_trained_link_restores_penalty_model_grid_epochs_and_selected_lambda():
    link = dict(penalty="hsic", model="logistic", grid="0,100", epochs="1", pick="0")
    at = open_app(page="trained", timeout=TIMEOUT, **link)  # the first visit runs the sweep on the toy data
    assert_clean(at)
    assert at.selectbox(key="trained_estimator").value == "hsic"
    assert at.selectbox(key="trained_model").value == "logistic"
    assert at.multiselect(key="trained_lams").value == [0.0, 100.0]
    assert at.number_input(key="trained_epochs").value == 1
    assert at.selectbox(key="trained_lam").value == 0.0
    sweep = vega_chart(at, "Trained frontier over")[1]
    sweep = sweep[sweep.series == "trained (λ sweep)"]
    assert_allclose(sweep["param"].to_numpy(dtype=float), [0.0, 100.0])
    assert "λ = 0 " in figure_by_key(at, "trained_outputs")["layout"]["title"]["text"]  # the picked λ
    assert page_params(at) == link  # written back unchanged
    at.selectbox(key="trained_lam").set_value(100.0).run()
    assert at.query_params["pick"] == "100"
    assert "λ = 100" in figure_by_key(at, "trained_outputs")["layout"]["title"]["text"]


def test_forget_link_restores_the_class_fraction_lambda_epochs_and_baselines():
    link = {"class": "5", "frac": "0.5", "flam": "2", "fepochs": "3", "baselines": "neggrad"}
    at = open_app(page="forget", timeout=TIMEOUT, dataset="digits", **link)
    assert_clean(at)
    assert at.selectbox(key="_w_dataset").value == "digits"  # the page follows the sidebar
    assert at.selectbox(key="forget_kind").value == "class-fraction"
    assert at.selectbox(key="forget_class").value == "5"
    assert at.slider(key="forget_fraction").value == 0.5
    assert at.select_slider(key="forget_lam").value == 2.0
    assert at.slider(key="forget_epochs").value == 3
    assert at.multiselect(key="forget_baselines").value == ["neggrad"]
    assert any("forgetting 50% of class 5" in c.value for c in at.caption)
    assert at.subheader[0].value == "MI unlearning at λ = 2, 3 epochs"
    # screen names; the CSV keeps original/retrain/mi/neggrad
    assert list(at.dataframe[0].value["method"]) == [
        "original model (trained on all rows)", "retrain on D_r (reference)", "MI unlearning (the paper)",
        "gradient ascent on D_u (NegGrad+)"]
    assert page_params(at) == link
    # a change is mirrored; back at the default the key leaves the link
    at.select_slider(key="forget_lam").set_value(3.0).run()
    assert at.query_params["flam"] == "3"
    at.select_slider(key="forget_lam").set_value(1.5).run()
    assert "flam" not in at.query_params


def test_forget_link_restores_a_cohort_and_reports_a_bad_value():
    link = {"forget": "cohort", "col": "parity", "op": "==", "val": "odd", "cfrac": "0.5"}
    at = open_app(page="forget", timeout=TIMEOUT, dataset="digits", fepochs="99", **link)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="forget_kind").value == "cohort"
    assert at.selectbox(key="forget_column").value == "parity"
    assert at.selectbox(key="forget_op").value == "=="
    assert at.text_input(key="forget_value_parity").value == "odd"
    assert at.slider(key="forget_cohort_fraction").value == 0.5
    assert at.slider(key="forget_epochs").value == 5  # the bad value is replaced by the default...
    assert any("Epochs '99' in the link must be an integer between 1 and 20" in w for w in link_warnings(at))
    assert page_params(at) == link  # ...which the link no longer carries
    assert any("50% of rows with parity ==" in c.value and "odd" in c.value for c in at.caption)


def test_leakage_link_restores_the_world_and_the_estimators():
    link = dict(world="gaussian-mixture", k="3", d="1", mi="0.1", n="1000", est="knn,gaussian", boot="0")
    at = open_app(page="leakage", timeout=TIMEOUT, **link)
    assert_clean(at)
    assert at.radio(key="lab_case").value == "world"
    assert (at.selectbox(key="lab_K").value, at.selectbox(key="lab_d").value) == (3, 1)
    assert at.selectbox(key="lab_target").value == 0.1
    assert at.select_slider(key="lab_n").value == 1000
    assert at.multiselect(key="lab_methods").value == ["knn", "gaussian"]
    assert at.select_slider(key="lab_boot").value == 0
    est = vega_chart(at, "Estimates with bootstrap")[1]
    assert_allclose(est["truth"], 0.1, atol=1e-6)
    assert list(est["estimator"]) == [leakage.method_spec(m).title for m in ("knn", "gaussian")]
    assert_allclose(est["hi"] - est["lo"], 0.0)  # boot = 0: no intervals
    assert page_params(at) == link


def test_leakage_link_to_the_current_data_case():
    at = open_app(page="leakage", timeout=TIMEOUT, case="data", n="500", est="knn", boot="0")
    assert_clean(at)
    assert at.radio(key="lab_case").value == "data"
    assert any("500 rows" in c.value or "500 of" in c.value for c in at.caption)
    assert page_params(at) == dict(case="data", n="500", est="knn", boot="0")


def test_leakage_link_with_values_the_page_does_not_offer_says_so():
    at = open_app(page="leakage", timeout=TIMEOUT, world="mars", k="9", mi="0.2", est="knn,nope", boot="0")
    assert not at.exception, [e.value for e in at.exception]
    msgs = link_warnings(at)
    assert any("World 'mars'" in m and "gaussian-mixture" in m for m in msgs)
    assert any("Groups K 9" in m for m in msgs) and any("Target MI 0.2" in m for m in msgs)
    assert any("'nope' not available" in m for m in msgs)
    assert at.selectbox(key="lab_K").value == 2 and at.multiselect(key="lab_methods").value == ["knn"]
    assert page_params(at) == dict(est="knn", boot="0")  # what is shown, not what was asked for


def test_audit_link_restores_the_bootstrap_resamples():
    at = open_app(page="audit", timeout=TIMEOUT, aboot="0")
    assert_clean(at)
    assert at.select_slider(key="audit_boot").value == 0
    mi = next(m for m in at.metric if m.label.endswith("(nats)"))
    assert "n/a" in mi.proto.help  # no resamples, no interval
    assert page_params(at) == {"aboot": "0"}


def test_page_knobs_stay_off_other_pages_links():
    """Knobs belong to their page: a link to the barycenter page does not carry them on."""
    at = open_app(page="barycenter", timeout=TIMEOUT, aboot="0", boot="0", flam="2", epochs="1")
    assert_clean(at)
    assert page_params(at) == {}
