"""AppTest of the Image unlearning page (pages/images.py) through app.py, on the shipped digits."""

from __future__ import annotations

import pytest
from app_helpers import assert_clean, open_app

TIMEOUT = 300


@pytest.fixture(scope="module")
def at():
    return open_app(page="images", dataset="digits", t="0.0", timeout=TIMEOUT)


def _grid_bytes(at) -> str:
    imgs = at.get("image")
    assert imgs, "no image grid on the page"
    return imgs[0].proto.imgs[0].url  # a media URL named by the content's hash


def test_page_renders_grid_frontier_and_exports(at):
    assert_clean(at)
    assert "Image unlearning" in at.title[0].value
    assert any("Handwritten digits" in c.value and "sidebar" in c.value for c in at.caption)
    assert at.selectbox(key="img_method").value == "ot-by-digit"
    assert len(at.get("vega_lite_chart")) == 2  # frontier and analytic D(t), L(t)
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Image grid (PNG)" in labels and "Frontier (CSV)" in labels
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["D(t) = t²V"] == "0"  # t = 0: no distortion yet


def test_t_change_redraws_the_grid_and_the_metrics(at):
    before = _grid_bytes(at)
    (slider,) = at.slider  # the t slider, bound to the shared state
    slider.set_value(0.5).run()
    assert_clean(at)
    assert _grid_bytes(at) != before
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["D(t) = t²V"] != "0"


def test_slant_choice_refits(at):
    at.selectbox(key="img_attribute").set_value("slant").run()
    assert_clean(at)
    assert "slant" in at.caption[-1].value or any("Z = slant" in c.value for c in at.caption)
