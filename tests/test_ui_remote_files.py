"""Datasets not shipped (ui/remote_files.py): offline, the page says where to get the file and takes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_helpers import open_app

from ui.boundary import REFUSAL_ICON

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TIMEOUT = 300


@pytest.fixture()
def offline(tmp_path, monkeypatch):
    monkeypatch.setenv("UNLEARN_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("UNLEARN_OFFLINE", "1")
    return tmp_path


def _texts(at) -> str:
    parts = [e.value for kind in ("info", "markdown", "error", "warning", "caption", "success")
             for e in getattr(at, kind)]
    return " ".join(parts)


MISSING = [("compas", ["compas-scores-two-years.csv"]), ("law", ["law_data.csv"]),
           ("mnist", ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"])]


@pytest.mark.parametrize("name, files", MISSING)
def test_offline_a_missing_file_is_explained_with_an_upload_button(offline, name, files):
    at = open_app(page="home", dataset=name, timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    text = _texts(at)
    assert "not on this machine" in text and "upload" in text.lower()
    assert "path=" not in text and "data_dir" not in text and "UNLEARN_" not in text  # no library advice
    uploaders = {u.proto.label for u in at.get("file_uploader")}
    assert {f"Upload {f} (plain or .gz)" for f in files} <= uploaders
    assert any(b.label == "Try the download" for b in at.button)
    assert "(download)" in at.selectbox(key="_w_dataset").format_func(name)


def test_offline_try_the_download_says_it_did_not_work(offline):
    at = open_app(page="home", dataset="compas", timeout=TIMEOUT)
    next(b for b in at.button if b.label == "Try the download").click().run()
    assert not at.exception
    assert any("did not work" in w.value for w in at.warning)


def test_a_wrong_file_is_refused_and_not_kept(offline):
    at = open_app(page="home", dataset="compas", timeout=TIMEOUT)
    up = at.file_uploader(key="remote_upload_compas-scores-two-years.csv")
    up.set_value(("compas.csv", b"id,race\n1,a\n", "text/csv")).run()
    assert not at.exception
    errors = [e for e in at.error if "checksum" in e.value]
    assert errors and errors[0].icon == REFUSAL_ICON
    assert not list(offline.iterdir())


@pytest.mark.shared_data
def test_uploading_the_real_file_loads_the_dataset(offline):
    src = SHARED / "compas-scores-two-years.csv.gz"
    if not src.is_file():
        pytest.skip("../shared/data has no COMPAS file")
    at = open_app(page="home", dataset="compas", timeout=TIMEOUT)
    at.file_uploader(key="remote_upload_compas-scores-two-years.csv").set_value(
        (src.name, src.read_bytes(), "application/gzip")).run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert (offline / "compas-scores-two-years.csv.gz").is_file()
    assert {m.label: m.value for m in at.metric}["Rows"] == "5,278"
