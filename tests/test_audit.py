"""Audit: attackers, the Pinsker bound, and the certificate (toy data and a Gaussian-barycenter run
on Adult)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose

from unlearn_core import audit, leakage
from unlearn_core.leakage import ground_truth as gt


# -- Pinsker bound ---------------------------------------------------------------------------------
def test_pinsker_bound_closed_form_and_cap():
    assert_allclose(audit.pinsker_bound(0.0, 0.3), 0.7)
    assert_allclose(audit.pinsker_bound(0.02, 0.5), 0.5 + math.sqrt(0.01))
    assert_allclose(audit.pinsker_bound(0.02, 0.8), audit.pinsker_bound(0.02, 0.2))  # symmetric in the prior
    assert audit.pinsker_bound(5.0, 0.5) == 1.0
    # K groups: the largest share plus sqrt(I / 2)
    assert_allclose(audit.pinsker_bound(0.08, [0.2, 0.5, 0.3]), 0.5 + 0.2)
    with pytest.raises(ValueError, match="non-negative"):
        audit.pinsker_bound(-0.1, 0.5)
    with pytest.raises(ValueError, match="prior"):
        audit.pinsker_bound(0.1, 1.5)


def test_the_bound_holds_for_the_bayes_attacker_on_known_worlds():
    from scipy.stats import norm

    for target in (0.01, 0.05, 0.3):
        world = gt.gaussian_mixture_world(2, 1, target, 10, random_state=0)
        delta = abs(np.diff(np.array(world.params["means"])[:, 0])[0])
        bayes_accuracy = norm.cdf(delta / 2)  # equal priors, unit variance
        assert bayes_accuracy <= audit.pinsker_bound(world.true_mi, 0.5) + 1e-12


# -- attacker ----------------------------------------------------------------------------------------
def test_probe_attack_finds_leakage_and_reports_the_baseline():
    world = gt.gaussian_mixture_world(2, 2, 0.3, 800, weights=[0.7, 0.3], random_state=1)
    res = audit.probe_attack(world.S, world.z, random_state=0)
    assert_allclose(res.majority_baseline, np.bincount(world.z).max() / 800)
    assert res.accuracy > res.majority_baseline + 0.05 and res.auc > 0.75
    assert set(res.per_attacker) == {"logistic", "hgb"} and res.best_attacker in res.per_attacker
    assert res.accuracy == max(v["accuracy"] for v in res.per_attacker.values())
    assert_allclose(res.advantage, res.accuracy - res.majority_baseline)
    # below the Pinsker bound from the true MI (the attackers are held out, so this is a real check)
    assert res.accuracy <= audit.pinsker_bound(world.true_mi, np.bincount(world.z) / 800) + 0.03


def test_probe_attack_is_near_chance_on_independent_data_and_seeded():
    world = gt.independent_world(2, 3, 2000, random_state=2)
    a = audit.probe_attack(world.S, world.z, random_state=4)
    b = audit.probe_attack(world.S, world.z, random_state=4)
    assert a.as_dict() | {"seconds": 0} == b.as_dict() | {"seconds": 0}
    assert a.advantage < 0.05 and 0.4 < a.auc < 0.6
    with pytest.raises(ValueError, match="single group"):
        audit.probe_attack(world.S, np.zeros(2000))


# -- certificate ---------------------------------------------------------------------------------------
REQUIRED_KEYS = {"dataset", "z_name", "method", "t", "lam", "random_state", "versions", "evaluation",
                 "leakage", "attack", "verdict", "pinsker", "residual_w2", "utility", "notes", "created",
                 "schema_version"}


def check_certificate(cert, *, dataset_name: str, fingerprint: str):
    d = json.loads(cert.to_json())
    assert set(d) == REQUIRED_KEYS
    assert d == cert.as_dict() == cert.to_dict()
    assert d["dataset"]["name"] == dataset_name and d["dataset"]["fingerprint"] == fingerprint
    assert set(d["versions"]) == {"python", "numpy", "scipy", "torch", "POT", "scikit-learn"}
    H = -sum(p * np.log(p) for p in d["pinsker"]["prior"] if p > 0)
    for est in d["leakage"]:
        assert est["value"] >= 0 and 0 <= est["ci"][0] <= est["ci"][1]
        assert est["title"] == leakage.method_spec(est["method"]).title
        if est["is_mi"]:  # no MI value or interval outside [0, H(Z)]
            assert est["ci"][1] <= H + 1e-9 and est["value"] <= H + 1e-9
    a = d["attack"]
    assert 0 <= a["mi_ci"][0] <= a["mi_lower"] <= a["mi_ci"][1] <= a["entropy"] + 1e-12
    assert a["auc_ci"][0] <= a["auc"] <= a["auc_ci"][1]
    # PASS only when the strong attacker's interval reaches chance
    assert d["verdict"]["status"] == ("FAIL" if a["recovered"] else "PASS")
    assert d["verdict"]["status"] in cert.to_html()
    mi_uppers = [e["ci"][1] for e in d["leakage"] if e["is_mi"]]
    assert_allclose(d["pinsker"]["mi_used"], max(mi_uppers))
    if d["pinsker"]["contradicted"]:  # a bound the certificate's own attack beats is never stated
        assert d["pinsker"]["bound"] is None
    else:
        assert_allclose(d["pinsker"]["bound"], audit.pinsker_bound(max(mi_uppers), d["pinsker"]["prior"]))
        assert a["accuracy"] <= d["pinsker"]["bound"]
    html = cert.to_html()
    assert html.startswith("<!DOCTYPE html>") and dataset_name in html and fingerprint in html
    assert "not a proof" in html and "proven" not in html.lower()
    for est in d["leakage"]:
        assert leakage.method_spec(est["method"]).title in html
    return d


def test_certificate_from_outcome_arrays_on_toy_data(toy):
    from unlearn_core.datasets import split

    train, test = split(toy, test_size=0.5, random_state=0)
    X, z = test.X.to_numpy(float), test.z.to_numpy()
    shift = np.where(z == z[0], 0.0, 1.0)[:, None]
    S = X - shift * (X[z != z[0]].mean(0) - X[z == z[0]].mean(0))  # crude mean repair of the test rows
    cert = audit.certificate(toy, method="mean-shift", lam=2.0, S_test=S, z_test=z,
                             estimates=("knn", "probe"), utility={"note": "none"}, n_boot=20, random_state=3)
    d = check_certificate(cert, dataset_name=toy.name, fingerprint=toy.fingerprint())
    assert d["lam"] == 2.0 and d["t"] is None and d["method"] == "mean-shift" and d["random_state"] == 3
    assert d["evaluation"]["rows"] == len(z) and "held-out" in d["evaluation"]["split"]
    assert [e["method"] for e in d["leakage"]] == ["knn", "probe"]
    assert d["residual_w2"]["value"] < 0.05  # the means were matched
    same = audit.certificate(toy, method="mean-shift", lam=2.0, S_test=S, z_test=z,
                             estimates=("knn", "probe"), utility={"note": "none"}, n_boot=20,
                             random_state=3).as_dict()
    for key in ("leakage", "attack", "pinsker", "residual_w2"):
        if key == "leakage":
            assert [(e["value"], e["ci"]) for e in same[key]] == [(e["value"], e["ci"]) for e in d[key]]
        elif key == "attack":
            assert same[key]["accuracy"] == d[key]["accuracy"]
        else:
            assert same[key] == d[key]


def test_certificate_refuses_unusable_inputs(toy):
    with pytest.raises(ValueError, match="z_test"):
        audit.certificate(toy, method="x", S_test=np.zeros((5, 2)))
    with pytest.raises(ValueError, match="unknown leakage method"):
        audit.certificate(toy, method="x", S_test=toy.X.to_numpy(float), z_test=toy.z.to_numpy(),
                          estimates=("nope",))


def test_audit_imports_without_the_transport_module():
    code = ("import sys; import unlearn_core.audit; "
            "assert 'unlearn_core.transport' not in sys.modules, 'transport imported'; "
            "assert 'streamlit' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_certificate_for_a_gaussian_barycenter_run_on_adult():
    from unlearn_core import datasets, transport

    ds = datasets.load("adult")
    train, test = datasets.split(ds, test_size=0.3, random_state=0)
    maps = transport.fit_barycenter(train.X.to_numpy(float), train.z.to_numpy(), method="gaussian",
                                    random_state=0)
    S_test = maps.transform(test.X.to_numpy(float), test.z.to_numpy(), 1.0)
    cert = audit.certificate(
        ds, method="gaussian", t=1.0,
        S_train=maps.transform(train.X.to_numpy(float), train.z.to_numpy(), 1.0),
        S_test=S_test, z_test=test.z.to_numpy(),
        estimates=("gaussian", {"method": "probe", "model": "logistic"}),
        utility={"auc": 0.78}, n_boot=20, max_rows=1500, random_state=0,
    )
    d = check_certificate(cert, dataset_name="adult", fingerprint=ds.fingerprint())
    assert d["z_name"] == "sex" and d["t"] == 1.0 and d["method"] == "gaussian"
    assert d["evaluation"]["rows"] == 1500 and set(d["evaluation"]["group_counts"]) == {"Female", "Male"}
    assert (d["dataset"]["rows"] == ds.n_samples
            and d["dataset"]["groups"]["Male"] > d["dataset"]["groups"]["Female"])
    assert d["utility"] == {"auc": 0.78}
    # the Gaussian barycenter equalises means and covariances: the linear attacker and the Gaussian MI see
    # (almost) nothing, the residual W2 (Gaussian closed form; its covariance part keeps an O(d^2/n)
    # upward bias at d = 85, n = 1500) is well below the untransformed data's
    from unlearn_core.leakage.attacker import attack

    assert attack(S_test, test.z.to_numpy(), model="logistic", random_state=0).auc < 0.6
    assert d["leakage"][0]["value"] < 0.05
    before = leakage.estimate(test.X.to_numpy(float)[:1500], test.z.to_numpy()[:1500], method="w2").value
    assert d["residual_w2"]["value"] < 0.3 * before
    # but a non-linear attacker still separates the one-hot lattices: the certificate must show it
    assert d["attack"]["accuracy"] > d["attack"]["majority_baseline"] + 0.1
    assert d["verdict"]["status"] == "FAIL" and d["attack"]["auc"] > 0.9
    # ... which exceeds the Pinsker bound from the (moment-based) MI estimates: the certificate says so
    assert d["pinsker"]["attack_within_bound"] is False and d["pinsker"]["bound"] is None
    assert any("under-report" in n for n in d["notes"]) and "under-report" in cert.to_html()


def test_certificate_fits_the_barycenter_itself_when_given_only_the_dataset(toy):
    cert = audit.certificate(toy, method="gaussian", t=1.0, estimates=("gaussian",), n_boot=10,
                             random_state=0)
    d = cert.as_dict()
    assert "training split only" in d["evaluation"]["split"]
    assert d["evaluation"]["rows"] == round(0.3 * toy.n_samples)
    assert d["residual_w2"]["theory"] == 0.0 and d["residual_w2"]["value"] < 0.05
    assert {"accuracy", "auc", "discrimination"} <= set(d["utility"]) and d["utility"]["auc"] > 0.6
    half = audit.certificate(toy, method="gaussian", t=0.5, estimates=("gaussian",), n_boot=10,
                             random_state=0)
    assert half.as_dict()["leakage"][0]["value"] >= d["leakage"][0]["value"]


def test_group_counts_name_every_group_even_one_the_subset_missed(toy):
    """The estimators' random subset (max_rows) can miss a rare group: it is listed with 0 rows, never
    dropped (zip against a shorter bincount used to drop the last group silently)."""
    rng = np.random.default_rng(0)
    S = rng.normal(size=(400, 2))
    z = np.array(["a"] * 200 + ["b"] * 197 + ["c"] * 3)  # 3 rows of "c" (the attacker: 3 folds), last
    for seed in range(20):  # a seed whose 40-row subset leaves out every "c" row
        d = audit.certificate(toy, method="given", S_test=S, z_test=z, estimates=("gaussian",),
                              utility={"note": "none"}, n_boot=0, max_rows=40, random_state=seed).as_dict()
        counts = d["evaluation"]["group_counts"]
        assert set(counts) == {"a", "b", "c"} and sum(counts.values()) == 40
        if counts["c"] == 0:
            break
    else:
        pytest.fail("every seed's subset contained a 'c' row")
