"""Keyboard access to frontier points (ui/access.py): the list of points sets t and follows it."""

from __future__ import annotations

import math

from app_helpers import assert_clean, open_app

from ui.access import FRONTIER_KEY, point_labels
from unlearn_core.frontier._types import Frontier

TIMEOUT = 300


def test_point_labels_name_t_leakage_utility_and_pareto():
    import pandas as pd

    tab = pd.DataFrame({"t": [0.0, 0.5, 1.0], "attack_auc": [0.9, 0.7, 0.5], "auc": [0.86, 0.84, 0.8],
                        "pareto": [True, False, True]})
    fr = Frontier(table=tab, kind="analytic", param="t", utility="auc", leakage="attack_auc")
    labels = point_labels(fr)
    assert list(labels) == [0.0, 0.5, 1.0]
    assert labels[0.5] == "t = 0.50 · attacker AUC for Z 0.700 · AUC for y on the test split 0.840"
    assert labels[1.0].endswith("· Pareto") and "lam" not in labels[1.0]


def test_picking_a_frontier_point_sets_t_and_the_slider_follows():
    at = open_app(timeout=TIMEOUT, page="barycenter", dataset="toy-gaussians", t=0.5)
    assert_clean(at)
    box = at.selectbox(key=FRONTIER_KEY)
    assert box.value is None  # a one-shot control: empty between picks
    assert len(box.options) >= 11 and box.options[0].startswith("t = 0.00 · ")
    box.set_value(0.8).run()
    assert_clean(at)
    assert math.isclose(at.session_state["app"].t, 0.8)
    assert math.isclose(at.slider(key="_w_t").value, 0.8)
    assert at.query_params["t"] == "0.8"
    assert at.selectbox(key=FRONTIER_KEY).value is None  # emptied for the next pick
    at.slider(key="_w_t").set_value(0.3).run()  # moving the slider does not touch the list, nor t through it
    assert at.selectbox(key=FRONTIER_KEY).value is None
    assert math.isclose(at.session_state["app"].t, 0.3)
