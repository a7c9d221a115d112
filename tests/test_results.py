"""Results folders (unlearn_core.results): round trip, validation, archives refused when unsafe."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from unlearn_core import datasets
from unlearn_core.results import (
    FORMAT,
    MANIFEST,
    ResultsError,
    check_task_id,
    data_sha256,
    data_summary,
    read_archive,
    read_results,
    read_tasks,
    validate_manifest,
    write_archive,
    write_results,
    write_task,
)


@pytest.fixture
def table():
    return pd.DataFrame({"lam": [0.0, 1.0, np.inf], "auc": [0.9, 0.85, 0.7], "pareto": [True, True, False],
                         "method": ["mi", "mi", "retrain"]})


@pytest.fixture
def written(tmp_path, table):
    ds = datasets.load("toy-gaussians", n_samples=200, random_state=0)
    manifest = write_results(
        tmp_path / "run", kind="trained_frontier",
        study={"kind": "trained_frontier", "grid": {"lambdas": [0, 1]}},
        data=data_summary(ds), seeds={"random_state": 0}, tables={"frontier": table},
        tasks_done=["lam=0.0", "lam=1.0"], tasks_total=2, total_s=1.5,
        per_task_s={"lam=0.0": 1.0, "lam=1.0": 0.5},
        complete=True, meta={"frontier": {"utility": "auc", "V": np.float64(0.25)}}, notes=["a note"])
    return tmp_path / "run", manifest, ds


def test_round_trip_keeps_tables_and_manifest(written, table):
    path, manifest, ds = written
    res = read_results(path)
    pd.testing.assert_frame_equal(res.tables["frontier"], table, check_exact=True)
    assert res.manifest == manifest == json.loads((path / MANIFEST).read_text())
    assert res.kind == "trained_frontier" and res.complete
    assert manifest["data"] == {"name": "toy-gaussians", "sha256": ds.fingerprint(), "n_rows": 200,
                                "n_features": 2}
    assert set(manifest["versions"]) == {"python", "numpy", "torch", "pot", "scikit-learn", "pandas",
                                         "unlearn_core"}
    assert manifest["meta"]["frontier"]["V"] == 0.25 and validate_manifest(manifest) == []
    assert not list(path.glob(".*tmp"))  # atomic writes leave no temporaries


def test_data_sha256_changes_with_the_data():
    a = datasets.load("toy-gaussians", n_samples=200, random_state=0)
    b = datasets.load("toy-gaussians", n_samples=200, random_state=1)
    assert data_sha256(a) == data_sha256(a) != data_sha256(b)
    assert len(data_sha256(a)) == 64


def test_task_files_round_trip_and_unsafe_ids_are_refused(tmp_path, table):
    write_task(tmp_path, "lam=0.5", table)
    write_task(tmp_path, "trial=3", table.head(1))
    (tmp_path / "tasks" / "broken.parquet").write_bytes(b"not parquet")
    got = read_tasks(tmp_path)
    assert set(got) == {"lam=0.5", "trial=3"}  # the unreadable one is skipped (it will be recomputed)
    pd.testing.assert_frame_equal(got["lam=0.5"], table)
    assert set(read_tasks(tmp_path, ids=["trial=3"])) == {"trial=3"}
    for bad in ("../x", "a/b", "", "..", "x" * 200):
        with pytest.raises(ValueError, match="task id"):
            check_task_id(bad)


@pytest.mark.parametrize("change, field", [
    ({"format": "other"}, "manifest.format"),
    ({"version": 2}, "manifest.version"),
    ({"kind": "nonsense"}, "manifest.kind"),
    ({"data": {"name": "x", "sha256": "abc", "n_rows": 1, "n_features": 1}}, "manifest.data.sha256"),
    ({"data": {"name": "x", "sha256": "0" * 64, "n_rows": -1, "n_features": 1}}, "manifest.data.n_rows"),
    ({"tables": {"frontier": "../evil.parquet"}}, "manifest.tables.frontier"),
    ({"tables": {"frontier": "frontier.csv"}}, "manifest.tables.frontier"),
    ({"tasks": {"done": ["a", "b", "c"], "total": 2}}, "manifest.tasks.done"),
    ({"complete": "yes"}, "manifest.complete"),
    ({"created": "yesterday"}, "manifest.created"),
    ({"timings": {"total_s": "fast", "per_task_s": {}}}, "manifest.timings.total_s"),
    ({"surprise": 1}, "manifest.surprise"),
])
def test_validate_manifest_names_the_field(written, change, field):
    _, manifest, _ = written
    problems = validate_manifest({**manifest, **change})
    assert len(problems) >= 1 and any(p.startswith(field) for p in problems), problems


def test_validate_manifest_missing_fields_and_not_an_object(written):
    _, manifest, _ = written
    m = dict(manifest)
    del m["seeds"]
    assert validate_manifest(m) == ["manifest.seeds: missing"]
    assert validate_manifest([1, 2])[0].startswith("manifest: must be a JSON object")
    incomplete = {**manifest, "tasks": {"done": ["lam=0.0"], "total": 2}}
    assert any("manifest.complete" in p for p in validate_manifest(incomplete))


def test_read_results_reports_a_missing_table_and_a_bad_manifest(written):
    path, manifest, _ = written
    (path / "frontier.parquet").unlink()
    with pytest.raises(ResultsError, match="manifest.tables.frontier"):
        read_results(path)
    (path / MANIFEST).write_text("{not json")
    with pytest.raises(ResultsError, match="not valid JSON"):
        read_results(path)
    with pytest.raises(ResultsError, match="no manifest.json"):
        read_results(path / "nowhere")


def test_write_results_refuses_an_invalid_manifest(tmp_path, table):
    with pytest.raises(ValueError, match="manifest.kind"):
        write_results(tmp_path, kind="bogus", study={},
                      data={"name": "x", "sha256": "0" * 64, "n_rows": 1, "n_features": 1}, seeds={},
                      tables={"t": table}, tasks_done=[], tasks_total=0, total_s=0.0, per_task_s={},
                      complete=True)
    assert not (tmp_path / MANIFEST).exists()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_archive_round_trip_and_nested_folder(written, table):
    path, manifest, _ = written
    res = read_archive(write_archive(path))
    pd.testing.assert_frame_equal(res.tables["frontier"], table)
    nested = _zip({f"run/{MANIFEST}": (path / MANIFEST).read_bytes(),
                   "run/frontier.parquet": (path / "frontier.parquet").read_bytes()})
    assert read_archive(nested).manifest == manifest


@pytest.mark.parametrize("member, match", [
    ("../evil.parquet", "outside the folder"),
    ("/etc/evil.parquet", "outside the folder"),
    ("run/../../evil.parquet", "outside the folder"),
    ("script.py", "neither manifest.json nor a .parquet"),
])
def test_archive_refuses_unsafe_members(written, member, match):
    path, _, _ = written
    data = _zip({MANIFEST: (path / MANIFEST).read_bytes(),
                 "frontier.parquet": (path / "frontier.parquet").read_bytes(), member: b"x"})
    with pytest.raises(ResultsError, match=match):
        read_archive(data)


def test_archive_size_limits_and_garbage(written):
    path, _, _ = written
    data = write_archive(path)
    with pytest.raises(ResultsError, match="over the"):
        read_archive(data, max_bytes=100)
    with pytest.raises(ResultsError, match="unpacks to more"):
        read_archive(data, max_unpacked=100)
    bomb = _zip({MANIFEST: (path / MANIFEST).read_bytes(), "frontier.parquet": b"\0" * (3 * 2**20)})
    with pytest.raises(ResultsError, match="unpacks to more"):
        read_archive(bomb, max_unpacked=2**20)
    with pytest.raises(ResultsError, match="not a zip"):
        read_archive(b"hello")
    bad = json.loads((path / MANIFEST).read_text())
    bad["format"] = "nope"
    with pytest.raises(ResultsError, match="manifest.format"):
        read_archive(_zip({MANIFEST: json.dumps(bad).encode()}))
    assert FORMAT == "unlearn-explorer-results"
