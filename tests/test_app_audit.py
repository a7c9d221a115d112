"""AppTest of the Audit & export page (pages/audit.py), run on its own on the toy data."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_helpers import figure_by_key as figure
from app_helpers import run_page, vega_chart

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "audit.py")
TIMEOUT = 180


def metric(at, label: str) -> float:
    """The value of the metric whose label ends with ``label``."""
    for m in at.metric:
        if m.label.endswith(label):
            return float(m.value)
    raise AssertionError(f"no metric {label!r}; metrics: {[m.label for m in at.metric]}")


def app(**params):
    return run_page(PAGE, TIMEOUT, **params)


def test_defaults_render_attack_check_and_downloads():
    at = app()
    assert not at.error, [e.value for e in at.error]
    acc, bound = metric(at, "Attacker accuracy"), metric(at, "Pinsker bound")
    assert 0.5 <= acc <= bound <= 1.0  # the bound from the k-NN interval holds for the probe
    bars = vega_chart(at, "Can an attacker recover Z?")[1]
    assert list(bars["bar"]) == ["majority baseline", "attacker (held out)", "Pinsker bound from Î"]
    assert bars["accuracy"].iloc[1] == pytest.approx(acc, abs=5e-4)
    assert not at.get("plotly_chart")  # no plotly.js on a first visit: the figure preview is on request
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Analytic frontier" in labels and "Download figure (HTML)" in labels
    assert any(label.startswith("Transformed data at t = 0.50") for label in labels)
    try:
        from unlearn_core import audit  # noqa: F401
        has_cert = hasattr(audit, "certificate")
    except ImportError:
        has_cert = False
    if not has_cert:
        assert any("certificate engine" in i.value for i in at.info)
    else:  # the certificate is rendered on the page and offered as JSON and HTML
        assert {"Certificate (JSON)", "Certificate (HTML)", "Certificate (PDF)"} <= set(labels)
        html = at.get("html")[0].proto.body
        assert "Leakage certificate" in html and "toy-gaussians" in html
        assert any("barycenter fitted on the training split only" in c.value for c in at.caption)


def test_t_moves_the_attack_check():
    before, after = app(t="0"), app(t="1")
    acc0, acc1 = metric(before, "Attacker accuracy"), metric(after, "Attacker accuracy")
    assert acc0 > 0.75 and acc1 < 0.6  # at the barycenter the attacker is back near chance
    assert metric(after, "(nats)") < metric(before, "(nats)")


def test_figure_picker_changes_the_preview():
    at = app()
    at.toggle(key="audit_preview_on").set_value(True).run()
    assert figure(at, "audit_preview")["data"][0]["name"] == "sweep over t"
    at.selectbox(key="audit_figure").set_value("Distortion vs W2 leakage").run()
    names = [d.get("name") for d in figure(at, "audit_preview")["data"]]
    assert "theory √D + √L = √V" in names


def test_trained_frontier_from_the_session_is_offered():
    import pandas as pd
    from streamlit.testing.v1 import AppTest

    from unlearn_core.frontier import Frontier

    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    table = pd.DataFrame({"lam": [0.0, 10.0], "auc": [0.9, 0.8], "probe_auc": [0.8, 0.6]})
    at.session_state["_last_trained_frontier"] = Frontier.build(
        table, kind="trained", param="lam", utility="auc", leakage="probe_auc")
    at.run()
    assert "Trained frontier (last sweep)" in [b.proto.label for b in at.get("download_button")]
    at.toggle(key="audit_preview_on").set_value(True)
    at.selectbox(key="audit_figure").set_value("Trained frontier (last sweep)").run()
    assert figure(at, "audit_preview")["data"][0]["name"] == "trained (λ sweep)"


def test_bootstrap_resamples_control_the_certificate_intervals():
    at = app()
    mi = next(m for m in at.metric if m.label.endswith("(nats)"))
    assert "[" in mi.proto.help  # an interval with the default resamples
    at.select_slider(key="audit_boot").set_value(0).run()
    mi = next(m for m in at.metric if m.label.endswith("(nats)"))
    assert "n/a" in mi.proto.help  # no resamples, no interval
