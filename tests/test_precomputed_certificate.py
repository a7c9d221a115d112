"""The shipped certificate (assets/precomputed/adult-certificate): still what the engine computes, shown by
the Audit page on Adult's default view without computing, and never for another view or other data."""

from __future__ import annotations

import json
import math

import pytest

from ui import precomputed as pc
from ui.cache import DataKey
from ui.state import AppState
from unlearn_core import audit

ADULT = DataKey("adult", "sex", None)
DEFAULT = AppState()
VIEW = (DEFAULT.method, DEFAULT.seed, DEFAULT.t, DEFAULT.audit_boot)  # the Audit page's default view
#: What differs from run to run and is not a measurement: wall times, the date, the library versions.
UNTIMED = {"seconds", "created", "versions"}


def _numbers(obj, path=""):
    """(path, value) of every leaf, timings and dates left out."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k not in UNTIMED:
                yield from _numbers(v, f"{path}.{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _numbers(v, f"{path}[{i}]")
    else:
        yield path, obj


def _assert_same(now: dict, shipped: dict) -> None:
    a, b = dict(_numbers(now)), dict(_numbers(shipped))
    assert a.keys() == b.keys(), set(a) ^ set(b)
    for k, x in a.items():
        y = b[k]
        if isinstance(x, float) or isinstance(y, float):
            assert x is not None and y is not None, (k, x, y)
            assert math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9), (k, x, y)
        else:
            assert x == y, (k, x, y)


def _shipped_dict() -> dict:
    return pc.shipped()["adult-certificate"].manifest["meta"]["certificate"]


def test_the_shipped_study_is_the_audit_pages_default_view_on_adult():
    study = pc.shipped()["adult-certificate"].study
    assert study["dataset"] == {**study["dataset"], "name": "adult", "sensitive": "sex"}
    assert (study["method"]["barycenter"], study["seeds"]["random_state"], study["method"]["t"],
            study["evaluation"]["n_boot"]) == VIEW
    cert = audit.Certificate(**_shipped_dict())  # the page's HTML and PDF come from this JSON
    assert "Leakage certificate" in cert.to_html() and cert.to_pdf().startswith(b"%PDF")


def test_the_views_other_arguments_are_the_engines_defaults():
    import inspect

    sig = inspect.signature(audit.certificate).parameters
    assert pc.CERTIFICATE_DEFAULTS == {k: sig[k].default for k in pc.CERTIFICATE_DEFAULTS}


def test_served_only_for_its_own_view_and_data(monkeypatch):
    method, seed, t, n_boot = VIEW
    got = pc.certificate(ADULT, method, seed, t, n_boot)
    assert got is not None and json.loads(got.text) == _shipped_dict()
    assert got.label.startswith("precomputed on ")
    assert pc.certificate(ADULT, method, seed, 0.6, n_boot) is None  # another t
    assert pc.certificate(ADULT, method, seed + 1, t, n_boot) is None  # another seed
    assert pc.certificate(ADULT, method, seed, t, 100) is None  # other resamples
    assert pc.certificate(ADULT, "gaussian", seed, t, n_boot) is None  # another method
    assert pc.certificate(DataKey("adult", "race", None), method, seed, t, n_boot) is None  # another Z
    monkeypatch.setattr(pc, "_data_sha256", lambda key: "0" * 64)  # the data changed since the run
    assert pc.certificate(ADULT, method, seed, t, n_boot) is None


@pytest.mark.slow
def test_shipped_certificate_matches_the_engine_now():
    from unlearn_core import datasets

    res = pc.shipped()["adult-certificate"]
    ds = datasets.load("adult", sensitive="sex")
    assert ds.fingerprint() == res.manifest["data"]["sha256"]
    method, seed, t, n_boot = VIEW
    now = audit.certificate(ds, method=method, t=t, random_state=seed, n_boot=n_boot)
    _assert_same(now.as_dict(), _shipped_dict())


def _no_live_certificate(monkeypatch) -> list:
    calls = []

    def refuse(*args, **kwargs):
        calls.append(kwargs)
        raise RuntimeError("the certificate was computed live")

    monkeypatch.setattr(audit, "certificate", refuse)
    from ui.waits import results

    results.clear()  # the process-wide store (st.cache_resource): an earlier test may hold this certificate
    return calls


def test_audit_first_visit_on_adult_shows_the_shipped_certificate_without_computing(monkeypatch):
    from app_helpers import assert_clean, open_app

    calls = _no_live_certificate(monkeypatch)
    at = open_app(page="audit", dataset="adult")
    assert_clean(at)
    assert calls == []
    shipped = _shipped_dict()
    verdicts = [m.value for m in (*at.success, *at.warning)]
    assert any(v.startswith(f"**{shipped['verdict']['status']}.**") for v in verdicts), verdicts
    captions = " ".join(c.value for c in at.caption)
    assert "Certificate precomputed on" in captions
    assert f"The attacker on {shipped['attack']['n']:,} held-out rows" in captions
    assert f"{shipped['evaluation']['rows']:,} held-out rows, the certificate's random subset" in captions
    assert float(next(m.value for m in at.metric if m.label == "Attacker accuracy")) == pytest.approx(
        shipped["attack"]["accuracy"], abs=5e-4)
    html = at.get("html")[0].proto.body
    assert "Leakage certificate" in html and shipped["dataset"]["fingerprint"] in html
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"Certificate (JSON)", "Certificate (HTML)", "Certificate (PDF)"} <= set(labels)
    status = [getattr(e, "label", "") or "" for e in at.get("status")]
    assert not [x for x in status if x.startswith(("Measuring", "Computing"))], status


def test_audit_on_another_t_computes_live(monkeypatch):
    from app_helpers import open_app

    calls = _no_live_certificate(monkeypatch)
    at = open_app(page="audit", dataset="adult", t=0.6)
    assert len(calls) == 1 and calls[0]["t"] == pytest.approx(0.6)
    assert "Certificate precomputed on" not in " ".join(c.value for c in at.caption)


def test_audit_first_visit_with_the_shipped_certificate_loads_no_heavy_library():
    """What keeps the first visit fast without the start-up warm-up: the shipped certificate, its HTML and
    the shipped frontier need no scikit-learn, torch, POT or scipy.ndimage (0.5 to 2.5 s each to import)."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from app_helpers import open_app\n"
        "at = open_app(page='audit', dataset='adult')\n"
        "assert not at.exception, [e.value for e in at.exception]\n"
        "assert any('Certificate precomputed on' in c.value for c in at.caption)\n"
        "print(sorted(m for m in ('torch', 'sklearn', 'ot', 'scipy.ndimage') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_results_page_opens_the_shipped_certificate():
    """A certificate study's folder opens on the Results page like any batch run: no chart (it is not a
    frontier), its leakage table and what was run."""
    from app_helpers import assert_clean, open_app

    at = open_app(page="results")
    at.radio(key="results_source").set_value("shipped").run()
    at.selectbox(key="results_shipped").set_value("adult-certificate").run()
    assert_clean(at)
    assert any("Loaded **certificate** results" in s.value for s in at.success)
    assert list(at.dataframe[0].value["method"]) == list(pc.CERTIFICATE_DEFAULTS["estimates"])
