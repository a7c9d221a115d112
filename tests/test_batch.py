"""Headless batch runs (python -m unlearn_core run): results, resume after a kill, strict study files."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from unlearn_core import batch
from unlearn_core.frontier import trained_frontier
from unlearn_core.results import read_results, validate_manifest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "studies"

TINY = """
kind = "trained_frontier"
[dataset]
name = "toy-gaussians"
n_samples = {n}
[seeds]
random_state = 3
[grid]
lambdas = [0.0, 1.0, 2.0, 5.0, 10.0, 20.0]
[options]
epochs = {epochs}
warm_start = false
"""


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "unlearn_core", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


def _counts(stderr: str) -> tuple[int, int]:
    m = re.search(r"done \((\d+) tasks computed, (\d+) resumed\)", stderr)
    assert m, stderr
    return int(m.group(1)), int(m.group(2))


def test_example_studies_are_valid():
    kinds = {batch.load_study(p).kind for p in sorted(EXAMPLES.glob("*.toml"))}
    assert kinds == {"analytic_frontier", "trained_frontier", "forgetting"}
    st = batch.load_study(EXAMPLES / "adult_trained.toml")
    assert len(st.get("grid", "lambdas")) == 8 and len(batch.plan(st)) == 8
    assert len(batch.plan(batch.load_study(EXAMPLES / "digits_forgetting.toml"))) == 5 * 4


def test_cli_writes_parquet_and_manifest_equal_to_the_engine(tmp_path):
    study = tmp_path / "tiny.toml"
    study.write_text(TINY.format(n=400, epochs=2))
    out = tmp_path / "out"
    res = _cli("run", str(study), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert _counts(res.stderr) == (6, 0)
    assert "6/6 tasks" in res.stderr  # the progress bar
    got = read_results(out)
    assert validate_manifest(got.manifest) == [] and got.complete
    assert got.manifest["tasks"] == {
        "done": [f"lam={x!r}" for x in (0.0, 1.0, 2.0, 5.0, 10.0, 20.0)],
        "total": 6,
    }
    assert set(got.manifest["timings"]["per_task_s"]) == set(got.manifest["tasks"]["done"])
    ds = batch.load_data(batch.load_study(study))
    assert got.manifest["data"]["sha256"] == ds.fingerprint()
    ref = trained_frontier(
        ds, lambdas=[0.0, 1.0, 2.0, 5.0, 10.0, 20.0], epochs=2, warm_start=False, random_state=3
    ).table
    pd.testing.assert_frame_equal(
        got.tables["frontier"].drop(columns="seconds"), ref.drop(columns="seconds"), check_exact=True
    )
    again = _cli("run", str(study), "--out", str(out))
    assert again.returncode == 0 and "nothing to do" in again.stderr


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_run_resumes_without_redoing_finished_tasks(tmp_path, sig):
    study = tmp_path / "tiny.toml"
    study.write_text(TINY.format(n=1500, epochs=6))
    full = tmp_path / "full"
    assert _cli("run", str(study), "--out", str(full), "--quiet").returncode == 0
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "unlearn_core", "run", str(study), "--out", str(out), "--quiet"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 240
    while time.time() < deadline and not list((out / "tasks").glob("*.parquet")):
        time.sleep(0.05)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    done_before = {p.stem for p in (out / "tasks").glob("*.parquet")}
    assert 1 <= len(done_before) < 6, done_before  # killed half-way
    res = _cli("run", str(study), "--out", str(out), "--quiet")
    assert res.returncode == 0, res.stderr
    computed, resumed = _counts(res.stderr)
    assert resumed == len(done_before) and computed == 6 - len(done_before)
    a, b = read_results(full).tables["frontier"], read_results(out).tables["frontier"]
    pd.testing.assert_frame_equal(b.drop(columns="seconds"), a.drop(columns="seconds"), check_exact=True)


def test_a_folder_of_another_study_is_refused(tmp_path):
    study = tmp_path / "tiny.toml"
    study.write_text(TINY.format(n=200, epochs=1))
    out = tmp_path / "out"
    assert _cli("run", str(study), "--out", str(out), "--quiet").returncode == 0
    study.write_text(TINY.format(n=200, epochs=2))
    res = _cli("run", str(study), "--out", str(out), "--quiet")
    assert res.returncode == 2 and "different study" in res.stderr and "Traceback" not in res.stderr


MALFORMED = {
    "negative_lambda": (
        'kind = "trained_frontier"\n[dataset]\nname = "adult"\n[grid]\nlambdas = [0.0, 1.0, -1]\n',
        "[grid].lambdas[2] = -1: λ must be >= 0",
    ),
    "unknown_key": (
        'kind = "trained_frontier"\n[dataset]\nname = "adult"\n[options]\nepoch = 5\n',
        "[options].epoch: unknown key",
    ),
    "wrong_type": (
        'kind = "trained_frontier"\n[dataset]\nname = "adult"\n[options]\nepochs = "five"\n',
        '[options].epochs = "five": must be a whole number >= 1',
    ),
    "unknown_dataset": (
        'kind = "analytic_frontier"\n[dataset]\nname = "adultt"\n',
        '[dataset].name = "adultt": unknown dataset',
    ),
    "unknown_method": (
        'kind = "forgetting"\n[dataset]\nname = "digits"\n[method]\nmethods = ["mi", "scrub"]\n',
        '[method].methods[1] = "scrub": unknown method',
    ),
    "unknown_estimator": (
        'kind = "trained_frontier"\n[dataset]\nname = "adult"\n[method]\nestimator = "magic"\n',
        '[method].estimator = "magic": unknown name',
    ),
    "t_out_of_range": (
        'kind = "analytic_frontier"\n[dataset]\nname = "adult"\n[grid]\nts = [0.0, 1.5]\n',
        "[grid].ts[1] = 1.5: t must be a number in [0, 1]",
    ),
    "unknown_kind": (
        'kind = "frontier"\n[dataset]\nname = "adult"\n',
        'kind = "frontier": unknown study kind',
    ),
    "missing_dataset": ('kind = "analytic_frontier"\n', "[dataset]: missing"),
    "bad_toml": ('kind = "analytic_frontier"\n[dataset\nname = "adult"\n', "not valid TOML"),
    "unknown_section": (
        'kind = "analytic_frontier"\n[dataset]\nname = "adult"\n[extras]\nx = 1\n',
        "[extras]: unknown section",
    ),
    "test_size": (
        'kind = "analytic_frontier"\n[dataset]\nname = "adult"\n[options]\ntest_size = 1.5\n',
        "[options].test_size = 1.5: must be a number strictly between 0 and 1",
    ),
    "unknown_attacker": (
        'kind = "analytic_frontier"\n[dataset]\nname = "adult"\n[evaluation]\nattackers = ["svm"]\n',
        '[evaluation].attackers[0] = "svm": unknown attacker',
    ),
    "negative_seed": (
        'kind = "analytic_frontier"\n[dataset]\nname = "adult"\n[seeds]\nrandom_state = -1\n',
        "[seeds].random_state = -1: must be a whole number in [0, 2**32)",
    ),
    "forget_kind": (
        'kind = "forgetting"\n[dataset]\nname = "digits"\n[forget]\nkind = "everything"\n',
        '[forget].kind = "everything": unknown forget set kind',
    ),
    "csv_without_path": (
        'kind = "analytic_frontier"\n[dataset]\nname = "csv"\nsensitive = "sex"\n',
        "[dataset].path: required",
    ),
    "cap_needs_ot_randomized": (
        'kind = "analytic_frontier"\n[dataset]\nname = "adult"\n[method]\nbarycenter = "gaussian"\n'
        "max_plan_rows = 1000\n",
        '[method].max_plan_rows = 1000: only applies to barycenter = "ot-randomized"',
    ),
    "certificate_t": (
        'kind = "certificate"\n[dataset]\nname = "adult"\n[method]\nt = 1.5\n',
        "[method].t = 1.5: must be a number in [0, 1]",
    ),
    "certificate_n_boot": (
        'kind = "certificate"\n[dataset]\nname = "adult"\n[evaluation]\nn_boot = 1\n',
        "[evaluation].n_boot = 1: must be 0 (no intervals) or a whole number >= 2",
    ),
    "certificate_estimate": (
        'kind = "certificate"\n[dataset]\nname = "adult"\n[evaluation]\nestimates = ["knn", "magic"]\n',
        '[evaluation].estimates[1] = "magic": unknown estimator',
    ),
    "certificate_barycenter": (
        'kind = "certificate"\n[dataset]\nname = "adult"\n[method]\nbarycenter = "magic"\n',
        '[method].barycenter = "magic": unknown name',
    ),
    "certificate_grid": (
        'kind = "certificate"\n[dataset]\nname = "adult"\n[grid]\nts = [0.5]\n',
        "[grid]: this section does not apply",
    ),
    "section_of_other_kind": (
        'kind = "analytic_frontier"\n[dataset]\nname = "adult"\n[forget]\nkind = "random"\n',
        "[forget]: this section does not apply",
    ),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_study_names_the_field(tmp_path, name):
    text, expected = MALFORMED[name]
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(batch.StudyError) as err:
        batch.load_study(path)
    msg = str(err.value)
    assert msg.startswith("study.toml: ") and expected in msg, msg


def test_cli_refuses_a_malformed_study_with_exit_code_2(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text(MALFORMED["negative_lambda"][0] + "[options]\nepoch = 3\n", encoding="utf-8")
    res = _cli("run", str(path), "--out", str(tmp_path / "out"))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert res.stderr.splitlines() == [  # one line per problem; unknown keys are reported before values
        "study.toml: [options].epoch: unknown key (known: epochs, warm_epochs, warm_start, batch_size, lr, "
        "hidden, test_size)"
    ]
    assert not (tmp_path / "out").exists()
    missing = _cli("run", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_certificate_study_writes_the_engines_certificate(tmp_path):
    """kind = "certificate": one task, the certificate whole in the manifest (the page rebuilds it from
    there) and its estimates as a table, equal to audit.certificate with the same arguments."""
    import json

    from unlearn_core import audit

    study = batch.parse_study({
        "kind": "certificate", "dataset": {"name": "toy-gaussians", "n_samples": 300},
        "seeds": {"random_state": 2}, "method": {"barycenter": "gaussian", "t": 0.25},
        "evaluation": {"n_boot": 2, "estimates": ["gaussian", "probe"]},
    })
    assert [t.id for t in batch.plan(study)] == ["certificate"]
    batch.run_study(study, tmp_path / "out", progress=False, log=lambda msg: None)
    got = read_results(tmp_path / "out")
    assert got.complete and validate_manifest(got.manifest) == [] and set(got.tables) == {"leakage"}
    shipped = json.loads(json.dumps(got.manifest["meta"]["certificate"]))  # a copy: its timings go below
    now = audit.certificate(batch.load_data(study), method="gaussian", t=0.25, random_state=2, n_boot=2,
                            estimates=("gaussian", "probe")).as_dict()
    for d in (shipped, now):
        for k in ("created", "versions"):
            d.pop(k)
        d["attack"].pop("seconds")
        for e in d["leakage"]:
            e.pop("seconds")
    assert json.loads(json.dumps(shipped)) == json.loads(json.dumps(now))
    assert list(got.tables["leakage"]["method"]) == ["gaussian", "probe"]
    assert got.tables["leakage"]["value"].tolist() == [e["value"] for e in now["leakage"]]
    assert audit.Certificate(**got.manifest["meta"]["certificate"]).to_html().startswith("<!DOCTYPE html>")
