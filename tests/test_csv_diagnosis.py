"""from_csv diagnoses a file like a person would (issue 16): stray tokens, encodings, decimal commas,
the delimiter by parsing, missing-value markers, a group named "NA", and the design-matrix budget."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from unlearn_core import datasets
from unlearn_core.datasets import DatasetError, usercsv


def _rows(n: int = 60, sep: str = ",", income=None, region=None) -> str:
    rng = np.random.default_rng(1)
    lines = [sep.join(["age", "income", "job", "region", "label"])]
    for i in range(n):
        inc = f"{rng.normal(50, 10):.2f}" if income is None else income(i)
        reg = ("F" if i % 2 else "M") if region is None else region(i)
        lines.append(sep.join([str(20 + i), inc, ["clerk", "nurse", "chef"][i % 3], reg, str(i % 2)]))
    return "\n".join(lines) + "\n"


def _load(text_or_bytes, **kw):
    data = text_or_bytes.encode() if isinstance(text_or_bytes, str) else text_or_bytes
    return datasets.from_csv(data, **{"target": "label", "sensitive": "region", **kw})


def test_stray_token_in_a_numeric_column_is_named_with_its_row():
    text = _rows(income=lambda i: "n.a" if i == 6 else f"{40 + i}.5")
    with pytest.raises(DatasetError) as info:
        _load(text)
    msg = str(info.value)
    assert "column 'income' is numeric except 1 cell(s): row 7 'n.a'" in msg, msg


def test_stray_token_no_longer_reported_as_a_categorical_with_60_levels():
    # 60 distinct numbers and one stray word: the old reader called it a categorical with 61 levels
    text = _rows(income=lambda i: "unknown" if i == 59 else str(1000 + i))
    with pytest.raises(DatasetError) as info:
        _load(text)
    assert "row 60 'unknown'" in str(info.value) and "levels" not in str(info.value)


def test_many_text_values_are_still_a_categorical():
    ds = _load(_rows(income=lambda i: ["low", "mid", "high"][i % 3]))
    assert ds.categorical_groups["income"] == ("income=high", "income=low", "income=mid")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_are_read_and_named(encoding):
    text = _rows().replace("chef", "café")
    ds = _load(text.encode(encoding))
    assert ds.n_samples == 60 and "job=café" in ds.X.columns
    assert any("encoding utf-16" in note for note in ds.notes), ds.notes


def test_decimal_commas_are_read_as_decimals():
    text = _rows(sep=";", income=lambda i: f"{40 + i},25")
    ds = _load(text)
    assert "income" in ds.numeric_columns
    np.testing.assert_allclose(ds.X["income"].to_numpy(), np.arange(60) + 40.25)
    assert any("decimal commas" in note and "income" in note for note in ds.notes)


def test_a_nul_byte_after_the_first_8_kib_is_refused_with_its_line():
    text = _rows(800)
    at = text.index("\n", 9000) + 1
    data = (text[:at] + "30,1\x00,chef,F,0\n" + text[at:]).encode()
    line = text[:at].count("\n") + 1
    with pytest.raises(DatasetError, match=f"NUL byte on line {line}"):
        _load(data)


def test_the_delimiter_is_chosen_by_parsing_not_sniffing():
    # a valid comma file with a quoted formula containing semicolons: csv.Sniffer picks ';'
    text = _rows().replace("clerk", '"=SUM(A1;B1;C1)"')
    assert usercsv._sniff(text, "f.csv") == ","
    ds = _load(text)
    assert "job==SUM(A1;B1;C1)" in ds.X.columns


def test_missing_markers_are_counted_per_column():
    text = _rows(80, income=lambda i: "?" if i < 3 else ("" if i == 3 else f"{i}.5"))
    ds = _load(text)
    note = next(n for n in ds.notes if n.startswith("missing values"))
    assert "income 4 ('?' 3, blank 1)" in note, note
    assert ds.n_samples == 76


def test_a_group_named_NA_is_reported_not_silently_dropped():
    text = _rows(80, region=lambda i: "NA" if i % 4 == 0 else ("EU" if i % 2 else "ASIA"))
    with pytest.warns(UserWarning, match="'NA' .* read as missing"):
        ds = _load(text)
    assert any("'NA' (20 rows)" in note for note in ds.notes), ds.notes


def test_design_matrix_budget_is_checked_before_one_hot(monkeypatch):
    monkeypatch.setattr(usercsv, "MAX_DESIGN_COLUMNS", 4)

    def boom(*a, **k):
        raise AssertionError("one_hot ran: the budget must be checked before the matrix is built")

    monkeypatch.setattr(usercsv, "one_hot", boom)
    with pytest.raises(DatasetError) as info:
        _load(_rows())
    msg = str(info.value)
    assert "60 x 5 design matrix" in msg, msg
    assert "drop 1 categorical column(s) from features: job (3 levels)" in msg, msg


def test_raw_cell_budget_is_checked_before_parsing(monkeypatch):
    monkeypatch.setattr(usercsv, "MAX_RAW_CELLS", 100)
    monkeypatch.setattr(usercsv.pd, "read_csv", lambda *a, **k: pytest.fail("parsed"))
    with pytest.raises(DatasetError, match="60 rows x 5 columns = 300 cells"):
        _load(_rows())


def test_a_target_class_with_one_row_is_explained():
    text = _rows().replace("\n20,", "\n20,", 1)
    lines = text.splitlines()
    lines[1] = lines[1][: lines[1].rfind(",")] + ",7"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DatasetError, match=r"class\(es\) \['7'\] have only \[1\] row\(s\).*AUC"):
            _load("\n".join(lines) + "\n")
