"""The Results page (issue 17): opens a batch run's folder or archive, validates it, draws it."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from app_helpers import assert_clean, open_app

from ui import precomputed as pc
from ui import results_view as rv

SHIPPED = pc.PRECOMPUTED_DIR / "adult-analytic"


@pytest.fixture
def results_dir(tmp_path) -> Path:
    dst = tmp_path / "run"
    shutil.copytree(SHIPPED, dst)
    return dst


def _zip(folder: Path, prefix: str = "run/") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                zf.write(f, prefix + f.relative_to(folder).as_posix())
    return buf.getvalue()


def _open_folder(path: Path):
    at = open_app(page="results")
    at.radio(key="results_source").set_value("folder").run()
    at.text_input(key="results_path").input(str(path)).run()
    return at


def test_valid_folder_is_drawn_with_its_manifest(results_dir):
    at = _open_folder(results_dir)
    assert_clean(at)
    assert any("Loaded **analytic_frontier** results" in s.value for s in at.success)
    assert len(at.get("vega_lite_chart")) == 2  # the frontier and distortion vs W2 leakage, as live
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert "Utility vs leakage" in json.dumps(spec.get("title", ""))
    table = " ".join(str(v) for v in at.table[0].value.to_numpy().ravel())
    manifest = json.loads((results_dir / "manifest.json").read_text())
    assert manifest["data"]["sha256"] in table and manifest["versions"]["numpy"] in table


def test_valid_zip_reads_like_the_folder(results_dir):
    opened = rv.open_archive(_zip(results_dir), "run.zip")
    folder = rv.open_folder(results_dir)
    assert opened.manifest == folder.manifest and not opened.warnings
    assert opened.tables["frontier"].equals(folder.tables["frontier"])
    a = rv.frontier(opened.manifest, opened.tables)
    b = rv.frontier(folder.manifest, folder.tables)
    assert a.table.equals(b.table) and a.leakage == "attack_auc"


def test_tampered_manifest_is_refused_naming_the_field(results_dir):
    m = json.loads((results_dir / "manifest.json").read_text())
    del m["tables"]
    (results_dir / "manifest.json").write_text(json.dumps(m))
    at = _open_folder(results_dir)
    assert not at.exception
    assert len(at.error) == 1 and "tables" in at.error[0].value
    assert not at.get("vega_lite_chart")


def test_wrong_data_hash_is_flagged_naming_the_field(results_dir):
    m = json.loads((results_dir / "manifest.json").read_text())
    m["data"]["sha256"] = "ab" * 32
    (results_dir / "manifest.json").write_text(json.dumps(m))
    at = _open_folder(results_dir)
    assert not at.exception
    assert any("data.sha256 does not match" in w.value for w in at.warning)


@pytest.mark.parametrize("members", [
    {"notes.txt": b"hello"},  # not a results archive
    {"run/frontier.parquet": b"PAR1"},  # no manifest
    {"../evil/manifest.json": b"{}"},  # path traversal
])
def test_non_results_zip_is_refused(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(rv.ResultsError) as err:
        rv.open_archive(buf.getvalue(), "x.zip")
    assert str(err.value)
    with pytest.raises(rv.ResultsError, match="not a zip"):
        rv.open_archive(b"not a zip at all", "x.zip")


def test_missing_folder_says_so():
    at = _open_folder(Path("/nonexistent/results"))
    assert not at.exception
    assert "is not a folder" in at.error[0].value
