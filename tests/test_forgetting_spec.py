"""ForgetSpec selection and validation, and prepare(): the data side of data-point unlearning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from unlearn_core.datasets import Dataset
from unlearn_core.forgetting import ForgetProblem, ForgetSpec, prepare


@pytest.fixture(scope="module")
def tab() -> Dataset:
    rng = np.random.default_rng(0)
    n = 300
    age = rng.integers(18, 80, size=n)
    inc = rng.normal(50, 10, size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    onehot = pd.get_dummies(pd.Series(colour), prefix="colour").astype(float)
    X = pd.concat([pd.DataFrame({"age": age.astype(float), "income": inc}), onehot], axis=1)
    y = pd.Series((inc + rng.normal(0, 5, n) > 50).astype(int), name="rich")
    z = pd.Series(rng.choice(["F", "M"], size=n), name="sex")
    return Dataset(name="tab", X=X, y=y, task="classification", z=z, numeric_columns=("age", "income"),
                   categorical_groups={"colour": tuple(onehot.columns)})


@pytest.fixture(scope="module")
def digits_ds() -> Dataset:
    from sklearn.datasets import load_digits

    d = load_digits()
    return Dataset(name="digits", X=pd.DataFrame(d.data, columns=[f"px{i}" for i in range(64)]),
                   y=pd.Series(d.target, name="digit"), task="classification",
                   z=pd.Series(d.target == 3, name="is_3"), image_shape=(8, 8))


def test_spec_is_hashable_and_compares_by_value():
    a, b = ForgetSpec(), ForgetSpec(kind="class-fraction", cls=3, fraction=0.75, random_state=0)
    assert a == b and hash(a) == hash(b)
    assert ForgetSpec(random_state=1) != a
    assert {a: 1}[b] == 1


def test_spec_defaults_are_normalised(tab):
    assert ForgetSpec().fraction == 0.75 and ForgetSpec() == ForgetSpec(fraction=0.75)
    assert ForgetSpec(kind="random", n=10).fraction is None and ForgetSpec(kind="random", n=10).cls is None
    # a cohort is not thinned unless asked
    cohort = ForgetSpec(kind="cohort", column="age", op=">=", value=60).select(tab)
    assert_array_equal(cohort, np.flatnonzero(tab.X["age"] >= 60))
    assert ForgetSpec.cohort("age", ">=", 60) == ForgetSpec(kind="cohort", column="age", op=">=", value=60)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(kind="everything"), "kind must be one of"),
        (dict(fraction=0.0), "fraction must be in"),
        (dict(fraction=1.5), "fraction must be in"),
        (dict(kind="cohort", cls=None), "needs a column"),
        (dict(kind="cohort", cls=None, column="age", op="~"), "op must be one of"),
        (dict(kind="cohort", cls=None, column="age", op="in", value=[1, 2]), "tuple"),
        (dict(kind="random", cls=None, n=5, fraction=0.1), "exactly one of n"),
        (dict(kind="random", cls=None, n=0, fraction=None), "positive"),
        (dict(kind="index", cls=None, index="3"), "int or a tuple"),
        (dict(random_state=None), "random_state must be an int"),
    ],
)
def test_spec_validation_names_the_problem(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ForgetSpec(**kwargs)


def test_class_fraction_selects_floor_fraction_of_the_class_seeded(tab):
    y = tab.y.to_numpy()
    n1 = int((y == 1).sum())
    idx = ForgetSpec.class_fraction(1, 0.75, random_state=3).select(tab)
    assert idx.size == int(np.floor(0.75 * n1))
    assert np.all(y[idx] == 1)
    assert np.all(np.diff(idx) > 0)
    assert_array_equal(idx, ForgetSpec.class_fraction(1, 0.75, random_state=3).select(tab))
    assert not np.array_equal(idx, ForgetSpec.class_fraction(1, 0.75, random_state=4).select(tab))
    assert ForgetSpec.class_fraction(1, 1.0).select(tab).size == n1


def test_class_fraction_accepts_string_labels_and_rejects_missing_class(tab):
    X, y = tab.X, tab.y.astype(str).to_numpy()
    assert_array_equal(ForgetSpec.class_fraction("1", 1.0).select((X, y)), np.flatnonzero(y == "1"))
    with pytest.raises(ValueError, match="class 7 has no rows"):
        ForgetSpec.class_fraction(7).select(tab)


@pytest.mark.parametrize(
    "column, op, value, expected",
    [
        ("age", ">=", 60, lambda d: d.X["age"] >= 60),
        ("age", "<", 30, lambda d: d.X["age"] < 30),
        ("age", "!=", 18, lambda d: d.X["age"] != 18),
        ("sex", "==", "F", lambda d: d.z == "F"),
        ("sex", "in", ("F",), lambda d: d.z == "F"),
        ("rich", "==", 1, lambda d: d.y == 1),
        ("colour", "==", "red", lambda d: d.X["colour_red"] == 1),
        ("colour", "!=", "red", lambda d: d.X["colour_red"] == 0),
        ("colour", "in", ("red", "blue"), lambda d: (d.X["colour_red"] + d.X["colour_blue"]) == 1),
    ],
)
def test_cohort_predicates_match_the_mask(tab, column, op, value, expected):
    got = ForgetSpec.cohort(column, op, value).select(tab)
    assert_array_equal(got, np.flatnonzero(np.asarray(expected(tab))))


def test_cohort_on_a_one_hot_group_named_with_equals_signs(tab):
    X = tab.X.rename(columns=lambda c: c.replace("colour_", "colour="))
    groups = {"colour": tuple(c for c in X.columns if c.startswith("colour="))}
    ds = Dataset(name="eq", X=X, y=tab.y, task="classification", z=tab.z, categorical_groups=groups)
    got = ForgetSpec.cohort("colour", "==", "blue").select(ds)
    assert_array_equal(got, np.flatnonzero(X["colour=blue"] == 1))


def test_cohort_fraction_thins_the_cohort(tab):
    full = ForgetSpec.cohort("age", ">=", 50).select(tab)
    part = ForgetSpec.cohort("age", ">=", 50, fraction=0.5, random_state=1).select(tab)
    assert part.size == int(np.floor(0.5 * full.size)) and np.isin(part, full).all()


def test_cohort_errors(tab):
    with pytest.raises(ValueError, match="unknown column 'height'"):
        ForgetSpec.cohort("height", ">", 1).select(tab)
    with pytest.raises(ValueError, match="is empty"):
        ForgetSpec.cohort("age", ">", 1000).select(tab)
    with pytest.raises(ValueError, match="covers all"):
        ForgetSpec.cohort("age", ">", 0).select(tab)
    with pytest.raises(ValueError, match="numeric"):
        ForgetSpec.cohort("sex", ">", 1).select(tab)


def test_random_and_index_kinds(tab):
    idx = ForgetSpec.random(n=17, random_state=2).select(tab)
    assert idx.size == 17 and np.unique(idx).size == 17
    assert ForgetSpec.random(fraction=0.1).select(tab).size == 30
    assert_array_equal(ForgetSpec.rows(5).select(tab), [5])
    assert_array_equal(ForgetSpec.rows((9, 2, 2)).select(tab), [2, 9])
    with pytest.raises(ValueError, match="out of range"):
        ForgetSpec.rows(300).select(tab)
    with pytest.raises(ValueError, match="something must be retained"):
        ForgetSpec.random(n=300).select(tab)
    with pytest.raises(ValueError, match="Dataset or a tuple"):
        ForgetSpec().select(np.zeros((3, 2)))


def test_prepare_partitions_train_and_scales_with_training_statistics(tab):
    pb = prepare(tab, ForgetSpec.cohort("age", ">=", 60), test_size=0.25, random_state=0)
    assert isinstance(pb, ForgetProblem)
    n_tr = len(pb.X_train)
    assert n_tr + len(pb.X_test) == tab.n_samples
    assert_array_equal(np.sort(np.r_[pb.forget_idx, pb.retain_idx]), np.arange(n_tr))
    assert np.intersect1d(pb.forget_idx, pb.retain_idx).size == 0
    # the forget set is the cohort of the *training* split, read on raw values
    assert np.all(pb.X_train_raw[pb.forget_idx, 0] >= 60) and np.all(pb.X_train_raw[pb.retain_idx, 0] < 60)
    # tabular: per-column standardisation fitted on the training rows only
    assert_allclose(pb.X_train.mean(axis=0), 0.0, atol=1e-10)
    assert_allclose(pb.X_train.std(axis=0), 1.0, atol=1e-10)
    assert not np.allclose(pb.X_test.mean(axis=0), 0.0, atol=1e-3)
    assert_allclose(pb.scaler.inverse_transform(pb.X_train), pb.X_train_raw, atol=1e-10)
    assert pb.n_classes == 2 and pb.names == ("0", "1")
    # stratified by the label: class shares agree within one row
    assert abs(pb.y_test.mean() * len(pb.y_test) - tab.y.mean() * len(pb.y_test)) <= 1.0


def test_prepare_images_use_one_global_scale(digits_ds):
    pb = prepare(digits_ds, ForgetSpec(), random_state=0)
    assert pb.scaler.mean.shape == () and pb.image_shape == (8, 8)
    assert_allclose(pb.X_train.mean(), 0.0, atol=1e-10)
    assert_allclose(pb.X_train.std(), 1.0, atol=1e-10)
    assert np.all(pb.y_forget == pb.names.index("3"))


def test_prepare_rejects_bad_inputs(tab):
    with pytest.raises(ValueError, match="test_size"):
        prepare(tab, ForgetSpec.cohort("age", ">=", 60), test_size=1.0)
    with pytest.raises(ValueError, match="ForgetSpec"):
        prepare(tab, {"kind": "random"})
    reg = Dataset(name="r", X=tab.X, y=tab.X["income"], task="regression", z=tab.z)
    with pytest.raises(ValueError, match="classification"):
        prepare(reg, ForgetSpec.random(n=3))
