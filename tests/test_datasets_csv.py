"""from_csv: a user's own file, the good paths and a table of malformed inputs."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from unlearn_core import datasets
from unlearn_core.datasets import DatasetError, usercsv


def _good_rows(n: int = 40, sep: str = ",") -> str:
    rng = np.random.default_rng(0)
    lines = [sep.join(["age", "income", "job", "sex", "label"])]
    for i in range(n):
        lines.append(sep.join([
            str(20 + i), f"{rng.normal(50, 10):.2f}", ["clerk", "nurse", "chef"][i % 3],
            "F" if i % 2 else "M", str(i % 3 == 0 and 1 or 0),
        ]))
    return "\n".join(lines) + "\n"


GOOD = _good_rows()


# -- good paths ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["bytes", "path", "binary-file", "text-file"])
def test_sources_give_the_same_dataset(kind, tmp_path):
    if kind == "bytes":
        source = GOOD.encode()
    elif kind == "path":
        source = tmp_path / "people.csv"
        source.write_text(GOOD)
    elif kind == "binary-file":
        source = io.BytesIO(GOOD.encode())
    else:
        source = io.StringIO(GOOD)
    ds = datasets.from_csv(source, target="label", sensitive="sex")
    assert ds.n_samples == 40
    assert ds.task == "classification"
    assert ds.y.dtype.kind == "i" and set(ds.y) == {0, 1}
    assert ds.sensitive == "sex" and ds.group_counts().to_dict() == {"F": 20, "M": 20}
    assert list(ds.X.columns) == ["age", "income", "job=chef", "job=clerk", "job=nurse"]
    assert ds.numeric_columns == ("age", "income")
    assert ds.categorical_groups == {"job": ("job=chef", "job=clerk", "job=nurse")}
    assert all(dt == np.float64 for dt in ds.X.dtypes)
    assert_allclose(ds.X["age"].to_numpy(), np.arange(20, 60))


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_delimiter_is_sniffed(sep):
    ds = datasets.from_csv(_good_rows(sep=sep).encode(), target="label", sensitive="sex")
    assert ds.X.shape == (40, 5)
    assert any(repr(sep) in note for note in ds.notes)


def test_task_inference_and_override():
    reg = datasets.from_csv(GOOD.encode(), target="income", sensitive="sex")
    assert reg.task == "regression" and reg.y.dtype == np.float64
    cls = datasets.from_csv(GOOD.encode(), target="job", sensitive="sex")
    assert cls.task == "classification" and set(cls.y) == {"clerk", "nurse", "chef"}
    forced = datasets.from_csv(GOOD.encode(), target="label", sensitive="sex", task="regression")
    assert forced.task == "regression"
    none = datasets.from_csv(GOOD.encode(), target=None, sensitive="sex")
    assert none.y is None and none.task is None and "label" in none.X.columns


def test_features_subset_and_missing_rows_dropped():
    lines = _good_rows(45).splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[1], "", 1)  # a missing income
    ds = datasets.from_csv("\n".join(lines).encode(), target="label", sensitive="sex",
                           features=["income"])
    assert list(ds.X.columns) == ["income"]
    assert ds.n_samples == 44
    assert any("1 rows with a missing value" in note for note in ds.notes)
    assert any("missing values: income 1 (blank 1)" in note for note in ds.notes), ds.notes
    # a missing value in an unused column does not drop the row
    ds2 = datasets.from_csv("\n".join(lines).encode(), target="label", sensitive="sex",
                            features=["age"])
    assert ds2.n_samples == 45


def test_constant_column_dropped_with_warning():
    text = "\n".join(line + (",const" if i == 0 else ",7") for i, line in enumerate(GOOD.splitlines()))
    with pytest.warns(UserWarning, match="constant column"):
        ds = datasets.from_csv(text.encode(), target="label", sensitive="sex")
    assert "const" not in ds.X.columns
    assert any("constant" in note for note in ds.notes)


def test_numeric_sensitive_codes_become_labels():
    text = GOOD.replace(",F,", ",1,").replace(",M,", ",2,")
    ds = datasets.from_csv(text.encode(), target="label", sensitive="sex")
    assert ds.groups == ["1", "2"]


# -- malformed inputs: each raises DatasetError with a specific message ------------------------------


def _with_column(values, name="extra"):
    lines = GOOD.splitlines()
    out = [lines[0] + f",{name}"] + [ln + f",{v}" for ln, v in zip(lines[1:], values, strict=True)]
    return "\n".join(out) + "\n"


MALFORMED = [
    ("empty", b"", {}, "is empty"),
    ("whitespace only", b"   \n\n  \n", {}, "is empty"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), {}, "looks binary"),
    ("gzip", b"\x1f\x8b\x08\x00" + b"\x00" * 40, {}, "gzip-compressed"),
    ("header only", b"age,sex,label\n", {}, "no data rows"),
    ("no delimiter", b"just some words\nmore words here\nand a third line\n", {},
     "cannot tell the delimiter"),
    ("duplicate names", GOOD.replace("age,income", "age,age", 1).encode(), {},
     "duplicate column names ['age']"),
    ("blank name", GOOD.replace("age,income", "age,", 1).encode(), {}, "blank name"),
    ("missing target", GOOD.encode(), {"target": "salary"}, "target column 'salary' is not in"),
    ("missing sensitive", GOOD.encode(), {"sensitive": "race"}, "sensitive column 'race' is not in"),
    ("target is sensitive", GOOD.encode(), {"target": "sex"}, "target and sensitive are the same column"),
    ("unknown feature", GOOD.encode(), {"features": ["age", "height"]},
     "features ['height'] are not columns"),
    ("feature is sensitive", GOOD.encode(), {"features": ["age", "sex"]},
     "include the target or the sensitive"),
    ("features as string", GOOD.encode(), {"features": "age"}, "must be a list of column names"),
    ("one group", GOOD.replace(",M,", ",F,").encode(), {}, "fewer than 2 groups"),
    ("tiny group", _with_column(["a"] * 37 + ["b"] * 3).encode(), {"sensitive": "extra"},
     "too few rows ([3])"),
    ("group below the attacker's minimum", _with_column(["a"] * 25 + ["b"] * 15).encode(),
     {"sensitive": "extra"},
     "too few rows ([15]); each group needs at least 20 rows"),
    ("too many groups", _with_column(range(40)).encode(), {"sensitive": "extra"},
     "40 groups (limit 20)"),
    ("all missing column", _with_column([""] * 40).encode(), {}, "entirely missing"),
    ("infinite value", _with_column(["1.5"] * 39 + ["inf"]).encode(), {}, "infinite values (inf)"),
    ("ragged rows", (GOOD + "1,2,3,4,5,6,7\n").encode(), {}, "different numbers of fields"),
    ("too few rows", _good_rows(10).encode(), {}, "at least 40 are needed"),
    ("bad task", GOOD.encode(), {"task": "ranking"}, "task must be 'classification'"),
    ("regression on text", GOOD.encode(), {"target": "job", "task": "regression"}, "is not numeric"),
    ("single-class target", GOOD.replace(",1\n", ",0\n").encode(), {}, "single class"),
    ("one-row class", _with_column(["x"] + ["y"] * 39).encode(), {"target": "extra"},
     "class(es) ['x'] have only [1] row(s)"),
    ("not a source", 12345, {}, "source must be a path, bytes or a file-like"),
]


@pytest.mark.parametrize(
    ("data", "kwargs", "fragment"),
    [pytest.param(d, k, f, id=name) for name, d, k, f in MALFORMED],
)
def test_malformed_csv_raises_specific_error(data, kwargs, fragment):
    opts = {"target": "label", "sensitive": "sex", **kwargs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(DatasetError) as info:
            datasets.from_csv(data, **opts)
    assert fragment in str(info.value), str(info.value)


def test_the_table_is_long_enough():
    assert len(MALFORMED) >= 15


def test_categorical_with_too_many_levels():
    values = [f"level{i}" for i in range(60)]
    rows = ["x,cat,sex,label"] + [f"{i},{values[i]},{'F' if i % 2 else 'M'},{i % 2}" for i in range(60)]
    with pytest.raises(DatasetError, match="60 levels"):
        datasets.from_csv("\n".join(rows).encode(), target="label", sensitive="sex")


def test_missing_path_and_size_caps(tmp_path, monkeypatch):
    with pytest.raises(DatasetError, match="does not exist"):
        datasets.from_csv(tmp_path / "nope.csv", target="label", sensitive="sex")
    monkeypatch.setattr(usercsv, "MAX_BYTES", 100)
    big = tmp_path / "big.csv"
    big.write_text(GOOD)
    with pytest.raises(DatasetError, match="over the 0 MB limit"):
        datasets.from_csv(big, target="label", sensitive="sex")
    with pytest.raises(DatasetError, match="over the 0 MB limit"):
        datasets.from_csv(GOOD.encode(), target="label", sensitive="sex")
    with pytest.raises(DatasetError, match="over the 0 MB limit"):
        datasets.from_csv(io.BytesIO(GOOD.encode()), target="label", sensitive="sex")
    monkeypatch.setattr(usercsv, "MAX_BYTES", 50 * 2**20)
    monkeypatch.setattr(usercsv, "MAX_ROWS", 25)
    with pytest.raises(DatasetError, match="more than 25 rows"):
        datasets.from_csv(GOOD.encode(), target="label", sensitive="sex")


def test_failure_leaves_nothing_behind():
    """A failed call returns nothing and changes no shared state: the registry is untouched."""
    before = datasets.names()
    with pytest.raises(DatasetError):
        datasets.from_csv(b"", target="label", sensitive="sex")
    assert datasets.names() == before
    ok = datasets.from_csv(GOOD.encode(), target="label", sensitive="sex")
    assert ok.n_samples == 40


@pytest.mark.parametrize(
    ("data", "job_columns"),
    [
        (("\ufeff" + GOOD.replace("\n", "\r\n")).encode("utf-8"), ["job=chef", "job=clerk", "job=nurse"]),
        (GOOD.replace("clerk", '"clerk, senior"').encode(), ["job=chef", "job=clerk, senior", "job=nurse"]),
        (GOOD.replace("chef", "café").encode("latin-1"), ["job=café", "job=clerk", "job=nurse"]),
    ],
    ids=["bom-crlf", "quoted-comma", "latin-1"],
)
def test_common_file_variants(data, job_columns):
    ds = datasets.from_csv(data, target="label", sensitive="sex")
    assert ds.n_samples == 40
    assert list(ds.X.columns) == ["age", "income", *job_columns]


def test_csv_columns_for_the_pickers():
    assert datasets.csv_columns(GOOD.encode()) == ["age", "income", "job", "sex", "label"]
    assert datasets.csv_columns(_good_rows(sep=";").encode()) == ["age", "income", "job", "sex", "label"]
    with pytest.raises(DatasetError, match="people.csv: duplicate column names"):
        datasets.csv_columns(GOOD.replace("age,income", "age,age", 1).encode(), name="people.csv")
    with pytest.raises(DatasetError, match="people.csv is empty"):
        datasets.csv_columns(b"", name="people.csv")


def test_messages_use_the_given_name():
    with pytest.raises(DatasetError, match="survey.csv looks binary"):
        datasets.from_csv(b"\x00\x01\x02" * 50, target="label", sensitive="sex", name="survey.csv")
    ds = datasets.from_csv(GOOD.encode(), target="label", sensitive="sex", name="survey.csv")
    assert ds.name == "survey.csv"
