"""One upload cannot take the server down, and stays in its session (issue 16).

The 15 MB many-category CSV of the issue (8,000 rows x 498 categorical columns x 50 levels) would expand
to a 1.5 GB design matrix. Uploaded through the sidebar under AppTest (the script runs in this process,
as it does in the server), it must be refused with a message that says what to drop, before the matrix
is built, and the process's peak memory may grow by less than 300 MB.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from app_helpers import open_app

from unlearn_core.datasets import usercsv

MB = 2**20


def many_category_csv(n_rows: int = 8000, n_cols: int = 498, n_levels: int = 50) -> bytes:
    """The issue's file: n_cols categorical columns with n_levels levels each, then sex and label."""
    rng = np.random.default_rng(0)
    codes = rng.integers(0, n_levels, size=(n_rows, n_cols))
    cells = np.char.add("L", codes.astype(str))
    body = [",".join(row) + f",{'F' if i % 2 else 'M'},{i % 2}" for i, row in enumerate(cells)]
    header = ",".join([f"c{j}" for j in range(n_cols)] + ["sex", "label"])
    return ("\n".join([header, *body]) + "\n").encode()


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


class PeakMemory:
    """Peak resident memory of this process while the block runs, minus the resident memory before.

    Uses the kernel's high-water mark (VmHWM, reset through /proc/self/clear_refs) and, as a check, a
    thread sampling VmRSS every 10 ms; the larger of the two is reported.
    """

    def __enter__(self) -> PeakMemory:
        self.before = _status("VmRSS")
        try:
            Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
            self.hwm = True
        except OSError:
            self.hwm = False
        self.sampled = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.sampled = max(self.sampled, _status("VmRSS"))
            time.sleep(0.01)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        peak = max(self.sampled, _status("VmHWM") if self.hwm else 0)
        self.growth = peak - self.before


@pytest.fixture(scope="module")
def big_csv() -> bytes:
    data = many_category_csv()
    assert 14 * MB < len(data) < 16 * MB, len(data) / MB
    return data


def test_many_category_upload_is_refused_before_the_matrix_is_built(big_csv, monkeypatch):
    def one_hot_must_not_run(*args, **kwargs):
        raise AssertionError("one_hot ran: the design-matrix budget must be checked before it is built")

    monkeypatch.setattr(usercsv, "one_hot", one_hot_must_not_run)
    at = open_app()
    at.selectbox(key="_w_dataset").set_value("upload").run()
    with PeakMemory() as mem:
        at.file_uploader(key="upload_file").set_value(("many.csv", big_csv, "text/csv")).run()
        at.selectbox(key="upload_target").set_value("label")
        at.selectbox(key="upload_sensitive").set_value("sex")
        at.button[0].click().run()  # "Use this file"
    assert not at.exception, [e.value for e in at.exception]
    errors = " ".join(e.value for e in at.error)
    assert "8,000 x 24,900 design matrix" in errors, errors
    assert "drop" in errors and "c0 (50 levels)" in errors, errors
    assert "one\\_hot ran" not in errors and "one_hot ran" not in errors
    assert at.session_state["app"].upload is None
    print(f"peak memory growth {mem.growth / MB:.0f} MB (VmHWM reset: {mem.hwm})")
    assert mem.growth < 300 * MB, f"{mem.growth / MB:.0f} MB"


GOOD = "\n".join(
    ["age,income,sex,label"]
    + [f"{20 + (7 * i) % 50},{30 + (13 * i) % 40}.5,{'F' if i % 3 else 'M'},{i % 2}" for i in range(240)]
).encode()


def test_an_upload_stays_out_of_other_sessions_and_of_the_shared_cache(monkeypatch):
    import ui.cache

    shared_keys = []
    real_load = ui.cache._load
    monkeypatch.setattr(ui.cache, "_load", lambda key: shared_keys.append(key) or real_load(key))

    a = open_app()
    a.selectbox(key="_w_dataset").set_value("upload").run()
    a.file_uploader(key="upload_file").set_value(("people.csv", GOOD, "text/csv")).run()
    a.selectbox(key="upload_target").set_value("label")
    a.selectbox(key="upload_sensitive").set_value("sex")
    a.button[0].click().run()
    assert not a.exception and not a.error, [e.value for e in a.error]
    upload = a.session_state["app"].upload
    key, ds = a.session_state[ui.cache.UPLOAD_DATASET_KEY]
    assert ds.n_samples == 240 and key.session == upload.session and len(upload.session) == 32

    # another session (same server process) opening the upload view sees no data of session a
    b = open_app(page="barycenter", dataset="upload")
    assert any("stays in the session that uploaded it" in w.value for w in b.warning)
    b.selectbox(key="_w_dataset").set_value("upload").run()
    assert not b.exception
    assert b.session_state["app"].upload is None
    assert any("Upload a CSV" in i.value for i in b.info)
    assert ui.cache.UPLOAD_DATASET_KEY not in b.session_state
    # and no uploaded dataset ever went through the cross-session cache
    assert all(k.name != "upload" for k in shared_keys), shared_keys


def _smallest_valid_csv() -> bytes:
    """The smallest file from_csv accepts: two groups of MIN_GROUP_ROWS rows (two classes as large)."""
    n = max(usercsv.MIN_ROWS, 2 * usercsv.MIN_GROUP_ROWS)
    rows = ["age,score,sex,label"] + [f"{20 + i},{(7 * i) % 11}.5,{'FM'[i % 2]},{(i // 2) % 2}"
                                      for i in range(n)]
    data = ("\n".join(rows) + "\n").encode()
    ds = usercsv.from_csv(data, target="label", sensitive="sex")
    assert ds.group_counts().min() == usercsv.MIN_GROUP_ROWS
    return data


def test_the_smallest_valid_upload_works_on_the_pages():
    """It used to pass from_csv, then fail on every page with "lower n_folds" (the user cannot do that)."""
    at = open_app()
    at.selectbox(key="_w_dataset").set_value("upload").run()
    at.file_uploader(key="upload_file").set_value(("tiny.csv", _smallest_valid_csv(), "text/csv")).run()
    at.selectbox(key="upload_target").set_value("label")
    at.selectbox(key="upload_sensitive").set_value("sex")
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.switch_page("pages/barycenter.py").run()
    assert not at.exception, [e.value for e in at.exception]
    errors = " ".join(e.value for e in at.error)
    assert "n_folds" not in errors and not errors, errors


FORMULA = '=HYPERLINK("http://e.invalid","x")'


def test_user_text_is_shown_as_text_and_exported_without_formulas():
    import csv
    import io

    import pandas as pd

    import ui.cache
    from unlearn_core.datasets import safe_csv

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["age", "=cmd|' /C calc'!A0", "sex", "label"])
    writer.writerows([20 + i, FORMULA if i % 2 else "plain", "FM"[i % 2], (i // 2) % 2] for i in range(60))
    name = "**bold**[link](http://e.invalid).csv"
    at = open_app()
    at.selectbox(key="_w_dataset").set_value("upload").run()
    at.file_uploader(key="upload_file").set_value((name, buf.getvalue().encode(), "text/csv")).run()
    at.selectbox(key="upload_target").set_value("label")
    at.selectbox(key="upload_sensitive").set_value("sex")
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    success = " ".join(s.value for s in at.success)
    assert "Loaded \\*\\*bold\\*\\*\\[link\\](http://e.invalid).csv" in success, success
    # the dataset's name, which pages show inside Markdown, carries no Markdown of its own
    assert at.session_state["app"].upload.filename == "--bold---link-(http://e.invalid).csv"
    # the export of the transformed data (ui.cache.transformed_csv) writes its frame with safe_csv
    _, ds = at.session_state[ui.cache.UPLOAD_DATASET_KEY]
    frame = ds.X.copy()
    frame["sex"] = ds.z.to_numpy()
    assert any(str(c).startswith("=") for c in frame.columns)  # the raw one-hot names carry the formula
    back = pd.read_csv(io.BytesIO(safe_csv(frame)), dtype=str)
    cells = [str(c) for c in back.columns] + back.to_numpy().ravel().tolist()
    assert not any(c.startswith(("=", "+", "@")) for c in cells), [c for c in cells if c[:1] in "=+@"]
    assert "'" + FORMULA in " ".join(back.columns) or any(c.startswith("'=cmd") for c in back.columns)
