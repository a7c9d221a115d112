"""Shipped precomputed results (ui.precomputed): valid, served only for their own view, and still what
the engine computes now."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ui import precomputed as pc
from ui import results_view as rv
from ui.cache import FRONTIER_TS, DataKey
from unlearn_core.batch import parse_study

SHIPPED = sorted(p for p in pc.PRECOMPUTED_DIR.glob("*") if (p / "manifest.json").is_file())
ADULT = DataKey("adult", "sex", None)


def test_picker_names_equal_the_engine_registries():
    from unlearn_core.leakage.differentiable import PENALTIES
    from unlearn_core.models import MODELS

    assert pc.PENALTY_NAMES == tuple(PENALTIES)
    assert pc.MODEL_NAMES == tuple(MODELS)
    from unlearn_core import leakage

    assert pc.FRONTIER_ESTIMATORS == {m: leakage.method_spec(m).title for m in leakage.methods()
                                      if leakage.method_spec(m).input != "probabilities"}


def test_shipped_folders_are_valid_complete_small_and_match_their_study_file():
    assert {p.name for p in SHIPPED} >= {"adult-analytic", "adult-trained"}
    for folder in SHIPPED:
        opened = rv.open_folder(folder)
        assert opened.manifest["complete"] is True
        study = parse_study(tomllib.loads(folder.with_suffix(".toml").read_text())).to_dict()
        assert opened.manifest["study"] == study, folder.name  # written by the batch command from it
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        assert size < 200_000, f"{folder.name} is {size:,} bytes"


def test_served_only_for_its_own_view_and_data(monkeypatch):
    assert pc.analytic_frontier(ADULT, "ot-randomized", 0, "probe-auc") is not None
    assert pc.analytic_frontier(ADULT, "ot-randomized", 1, "probe-auc") is None  # another seed
    assert pc.analytic_frontier(ADULT, "gaussian", 0, "probe-auc") is None  # another method
    assert pc.analytic_frontier(ADULT, "ot-randomized", 0, "knn") is None  # another leakage axis
    assert pc.analytic_frontier(DataKey("adult", "race", None), "ot-randomized", 0, "probe-auc") is None
    sweep = ("softmax-averaging", "mlp", (64, 32), (0.0, 5.0, 20.0, 100.0), 5, True, 0)
    assert pc.trained_sweep(ADULT, *sweep) is not None
    assert pc.trained_sweep(ADULT, *sweep[:4], 6, *sweep[5:]) is None  # other epochs
    monkeypatch.setattr(pc, "_data_sha256", lambda key: "0" * 64)  # the data changed since the run
    assert pc.analytic_frontier(ADULT, "ot-randomized", 0, "probe-auc") is None


def test_label_names_date_and_versions():
    res = pc.shipped()["adult-analytic"]
    text = pc.label(res)
    assert text.startswith(f"precomputed on {res.manifest['created'][:10]} with ")
    assert f"numpy {res.manifest['versions']['numpy']}" in text


@pytest.mark.slow
def test_shipped_analytic_frontier_matches_the_engine_now():
    """Recompute two of the shipped t (the ends: each t's row depends only on the maps, the split and the
    seed) and compare every column."""
    from unlearn_core import datasets
    from unlearn_core.frontier.analytic import analytic_frontier

    shipped = pc.frontier_from(pc.shipped()["adult-analytic"])
    assert np.allclose(shipped.table["t"], FRONTIER_TS)
    ds = datasets.load("adult", sensitive="sex")
    ts = [0.0, 1.0]
    now = analytic_frontier(ds, method="ot-randomized", ts=np.asarray(ts), downstream="logistic",
                            random_state=0)
    old = shipped.table.set_index("t").loc[ts].reset_index()
    cols = [c for c in now.table.columns if c != "pareto"]
    pd.testing.assert_frame_equal(now.table[cols].reset_index(drop=True), old[cols], check_exact=False,
                                  rtol=1e-6, atol=1e-9)
    assert now.meta["V"] == pytest.approx(shipped.meta["V"], rel=1e-9)


@pytest.mark.slow
def test_shipped_trained_sweep_matches_the_engine_now():
    """Retrain the sweep's first λ (the later ones warm-start from it) and compare its row."""
    from unlearn_core import datasets
    from unlearn_core.frontier.trained import trained_frontier

    shipped = pc.frontier_from(pc.shipped()["adult-trained"])
    study = pc.shipped()["adult-trained"].study
    ds = datasets.load("adult", sensitive="sex")
    o = study["options"]
    now = trained_frontier(ds, lambdas=(study["grid"]["lambdas"][0],), estimator=study["method"]["estimator"],
                           model=study["method"]["model"], hidden=tuple(o["hidden"]), epochs=o["epochs"],
                           warm_start=o["warm_start"], random_state=study["seeds"]["random_state"])
    cols = [c for c in now.table.columns if c not in ("seconds", "pareto") and c in shipped.table]
    assert {"lam", shipped.utility, "probe_auc"} <= set(cols)
    pd.testing.assert_frame_equal(now.table[cols].reset_index(drop=True), shipped.table[cols].iloc[:1]
                                  .reset_index(drop=True), check_exact=False, rtol=1e-5, atol=1e-7)


def test_barycenter_first_visit_draws_the_shipped_frontier_without_fitting(monkeypatch):
    from app_helpers import assert_clean, open_app

    _fresh_store()
    at = open_app(page="barycenter", dataset="adult")
    assert_clean(at)
    captions = " ".join(c.value for c in at.caption)
    assert "precomputed on" in captions
    assert any("in the background" in i.value or "starting" in i.value for i in at.info)
    assert len(at.get("vega_lite_chart")) >= 1  # the frontier (the transport panels wait for the fit)
    _assert_no_computing_status(at)


def _fresh_store() -> None:
    from ui.waits import results

    results.clear()  # the process-wide store of computed results (st.cache_resource)


def _assert_no_computing_status(at) -> None:
    """A shipped frontier was not computed now: no "Computing the …: done in 0.1 s" status box.

    (Call :func:`_fresh_store` before opening the page: an earlier test may have stored the frontier.)"""
    labels = [getattr(e, "label", "") or "" for e in at.get("status")]
    assert not [x for x in labels if x.startswith("Computing the")], labels


def test_trained_first_visit_draws_the_shipped_sweep():
    from app_helpers import assert_clean, open_app

    _fresh_store()
    at = open_app(page="trained", dataset="adult")
    assert_clean(at)
    assert "precomputed on" in " ".join(c.value for c in at.caption)
    # the sweep over the analytic overlay, in Vega-Lite; no model to detail, so no plotly chart (and no
    # plotly.js for the browser to fetch on this first visit)
    assert [el.proto.id.endswith("trained_chart") for el in at.get("vega_lite_chart")] == [True]
    assert not at.get("plotly_chart")
    assert any("Run sweep" in i.value for i in at.info)
    _assert_no_computing_status(at)  # the analytic overlay is shipped too


def test_first_visits_with_shipped_results_load_no_heavy_library():
    """What makes the first visit fast: the frame, the shipped frontier and sweep load no torch,
    scikit-learn, POT or scipy.ndimage (each costs 0.5 to 2.5 s to import on this machine)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from app_helpers import open_app\n"
        "for page in ('barycenter', 'trained'):\n"
        "    at = open_app(page=page, dataset='adult')\n"
        "    assert not at.exception, [e.value for e in at.exception]\n"
        "print(sorted(m for m in ('torch', 'sklearn', 'ot', 'scipy.ndimage') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
