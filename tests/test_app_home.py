"""AppTest: the frame (sidebar, URL, upload, errors) and the Home page."""

from __future__ import annotations

import numpy as np
import pytest
from app_helpers import assert_clean, metrics, open_app, vega_chart


@pytest.fixture(scope="module")
def home():
    return open_app()


def test_home_renders_the_idea_demo_links_and_summary(home):
    assert_clean(home)
    assert len(home.latex) >= 3
    latex = " ".join(el.value for el in home.latex)
    assert r"\lambda" in latex and "W_2" in latex and "(1-t)" in latex
    m = metrics(home)
    # not "Groups of group" (issue 15)
    assert m["Rows"] == "1,000" and m["Features"] == "2" and m["Groups of Z"] == "2"
    spec, data = vega_chart(home, "barycenter")
    assert len(data) == 600 and not spec.get("params")  # one t in the app: no "preview t" twin
    links = [el.proto.label for el in home.get("page_link")]
    assert "Feature unlearning" in links
    md = " ".join(el.value for el in home.markdown)
    assert "Source:" in md and "License:" in md
    # The default view is mirrored to the URL.
    assert home.query_params["dataset"] == "toy-gaussians" and home.query_params["t"] == "0.5"


def _demo_points(at) -> tuple[np.ndarray, np.ndarray, float]:
    """The demo's points (at the app's t) and their groups, and that t."""
    spec, data = vega_chart(at, "barycenter")
    return data[["x", "y"]].to_numpy(), data["group"].to_numpy(), at.session_state["app"].t


def test_mini_demo_slider_moves_the_points(home):
    before, groups, s0 = _demo_points(home)
    d_before = metrics(home)["D(t) = t²V"]
    assert s0 == pytest.approx(0.5)
    home.slider(key="home_t").set_value(1.0).run()
    assert_clean(home)
    after, groups, s1 = _demo_points(home)
    assert s1 == pytest.approx(1.0) and not np.allclose(before, after)
    # At t = 1 every group sits on the barycenter: the two groups' displayed means (nearly) coincide,
    # which they do not at t = 0.5.
    gap = lambda xy: np.linalg.norm(xy[groups == "group 0"].mean(0) - xy[groups == "group 1"].mean(0))  # noqa: E731
    assert gap(after) < 0.25 * gap(before)
    V = float(metrics(home)["V of this demo"])
    assert float(metrics(home)["D(t) = t²V"]) == pytest.approx(V, rel=1e-2)  # D(1) = V
    assert d_before != metrics(home)["D(t) = t²V"]


def test_seed_changes_the_data_and_goes_to_the_url():
    at = open_app()
    v0 = metrics(at)["V of this demo"]
    at.number_input(key="_w_seed").set_value(7).run()
    assert_clean(at)
    assert at.query_params["seed"] == "7"
    assert metrics(at)["V of this demo"] != v0


def test_dataset_picker_switches_the_summary():
    at = open_app()
    at.selectbox(key="_w_dataset").set_value("toy-nonlinear").run()
    assert_clean(at)
    assert at.query_params["dataset"] == "toy-nonlinear"
    assert "toy-nonlinear" in " ".join(el.value for el in at.markdown) or metrics(at)["Rows"] != ""


def test_lesson_mode_goes_to_the_url_and_hides_advanced_controls():
    at = open_app(page="barycenter")
    assert any(sb.label.startswith("Leakage axis") for sb in at.selectbox)
    at.toggle(key="_w_lesson").set_value(True).run()
    assert_clean(at)
    assert at.query_params["lesson"] == "1"
    assert not any(sb.label.startswith("Leakage axis") for sb in at.selectbox)


def test_url_restores_a_view_and_reports_bad_values():
    at = open_app(page="barycenter", dataset="toy-nonlinear", method="marginal", t="0.3", seed="4")
    assert_clean(at)
    s = at.session_state["app"]
    assert (s.dataset, s.method, s.t, s.seed, s.page) == ("toy-nonlinear", "marginal", 0.3, 4, "barycenter")
    assert at.slider(key="_w_t").value == pytest.approx(0.3)
    assert at.selectbox(key="_w_method").value == "marginal"
    assert at.title[0].value.startswith("Feature unlearning")
    # λ in the link sets t = λ / (1 + λ), snapped to the grid.
    at2 = open_app(page="barycenter", lam="3")
    assert at2.session_state["app"].t == pytest.approx(0.75)
    bad = open_app(dataset="no-such-data", seed="x")
    assert not bad.exception
    warnings = " ".join(w.value for w in bad.warning)
    assert "no-such-data" in warnings and "Seed" in warnings
    assert bad.query_params["dataset"] == "toy-gaussians"


GOOD_CSV = "\n".join(
    ["age,income,sex,label"]
    + [f"{20 + (7 * i) % 50},{30 + (13 * i) % 40}.5,{'F' if i % 3 else 'M'},{i % 2}" for i in range(240)]
).encode()


def _upload(at, data: bytes, name: str = "people.csv"):
    at.selectbox(key="_w_dataset").set_value("upload").run()
    at.file_uploader(key="upload_file").set_value((name, data, "text/csv")).run()
    return at


def test_upload_accepts_a_good_csv():
    at = _upload(open_app(), GOOD_CSV)
    assert_clean(at)
    at.selectbox(key="upload_target").set_value("label")
    at.selectbox(key="upload_sensitive").set_value("sex")
    at.button[0].click().run()  # "Use this file" (the form's submit button)
    assert_clean(at)
    assert any("Loaded people.csv: 240 rows" in s.value for s in at.success), [s.value for s in at.success]
    m = metrics(at)
    assert m["Rows"] == "240" and m["Groups of Z = sex"] == "2"
    assert at.session_state["app"].upload.sensitive == "sex"
    assert at.query_params["dataset"] == "upload" and at.query_params["z"] == "sex"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"\x00\x01\x02\x03binary\x00", "binary"),
        (b"a,b\n1,2\n3,4\n", "feature"),
    ],
)
def test_upload_shows_a_clear_message_for_a_bad_csv(data, message):
    at = _upload(open_app(), data, "bad.csv")
    if not at.error:  # the header was readable: the column check in from_csv must catch it
        at.selectbox(key="upload_target").set_value("b")
        at.selectbox(key="upload_sensitive").set_value("a")
        at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = " ".join(e.value for e in at.error)
    assert message in errors.lower(), errors
    assert at.session_state["app"].upload is None
