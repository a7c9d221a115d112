"""What to forget (:class:`ForgetSpec`) and the prepared problem (:class:`ForgetProblem`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._utils import RandomState, check_random_state, seed_from

KINDS = ("class-fraction", "cohort", "random", "index")
OPS = ("==", "!=", "<", "<=", ">", ">=", "in")
DEFAULT_FRACTION = 0.75


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (str, bytes, int, float, bool, np.generic))


@dataclass(frozen=True)
class ForgetSpec:
    """What to forget: a seeded, hashable description of the forget set D_u.

    Kinds and the fields they use:

    - ``"class-fraction"``: a ``fraction`` (in (0, 1], default 0.75) of the training rows of class
      ``cls``, drawn at random (the authors' MNIST experiment: 75% of the 3s). The count is
      ``floor(fraction * n_cls)`` (at least 1), as in the authors' code.
    - ``"cohort"``: every training row where ``column op value`` holds (``op`` in ``==, !=, <, <=, >,
      >=, in``; ``value`` a tuple for ``in``), optionally thinned to a ``fraction`` of that cohort.
      ``column`` is a feature column, the sensitive attribute's name, the target's name, or a
      categorical group (then ``value`` names the category of its one-hot columns).
    - ``"random"``: ``n`` rows, or a ``fraction`` of the training rows, drawn uniformly.
    - ``"index"``: the row(s) at position ``index`` (an int or a tuple of ints) of the data given to
      :meth:`select`; :func:`prepare` reads them as rows of the full dataset and keeps them in training.

    ``random_state`` seeds the draw, so the same spec always selects the same rows.
    """

    kind: str = "class-fraction"
    cls: Any = 3
    fraction: float | None = None
    column: str | int | None = None
    op: str = "=="
    value: Any = None
    n: int | None = None
    index: int | tuple[int, ...] | None = None
    random_state: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"ForgetSpec kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        # normalise so that equal selections are equal cache keys: the class fraction defaults to 0.75
        # (the authors' experiment) and only class-fraction specs carry a class
        if self.kind == "class-fraction" and self.fraction is None:
            object.__setattr__(self, "fraction", DEFAULT_FRACTION)
        if self.kind != "class-fraction":
            object.__setattr__(self, "cls", None)
        if self.fraction is not None and not (0.0 < float(self.fraction) <= 1.0):
            raise ValueError(
                f"fraction must be in (0, 1], got {self.fraction}; e.g. 0.75 forgets 75% of the rows")
        if self.kind == "class-fraction" and (self.cls is None or not _is_scalar(self.cls)):
            raise ValueError(f"kind 'class-fraction' needs a class label cls (a scalar), got {self.cls!r}")
        if self.kind == "cohort":
            if self.column is None:
                raise ValueError("kind 'cohort' needs a column (the predicate is column op value)")
            if self.op not in OPS:
                raise ValueError(f"op must be one of {', '.join(OPS)}, got {self.op!r}")
            if self.op == "in" and not isinstance(self.value, tuple):
                raise ValueError(f"op 'in' needs a tuple of values (hashable), got {self.value!r}")
            if self.op != "in" and not _is_scalar(self.value):
                raise ValueError(f"value must be a scalar for op {self.op!r}, got {self.value!r}")
        if self.kind == "random":
            if (self.n is None) == (self.fraction is None):
                raise ValueError(
                    "kind 'random' needs exactly one of n (a count) or fraction; set the other to None")
            if self.n is not None and int(self.n) < 1:
                raise ValueError(f"n must be a positive number of rows, got {self.n}")
        if self.kind == "index":
            idx = self.index if isinstance(self.index, tuple) else (self.index,)
            if self.index is None or not all(isinstance(i, (int, np.integer)) for i in idx):
                raise ValueError(f"kind 'index' needs index: an int or a tuple of ints, got {self.index!r}")
        if not isinstance(self.random_state, (int, np.integer)):
            raise ValueError(
                f"random_state must be an int (the spec is a cache key), got {self.random_state!r}")

    # -- convenience constructors --------------------------------------------------------------
    @classmethod
    def class_fraction(cls, label: Any = 3, fraction: float = 0.75, *, random_state: int = 0) -> ForgetSpec:
        return cls(kind="class-fraction", cls=label, fraction=fraction, random_state=random_state)

    @classmethod
    def cohort(cls, column: str | int, op: str, value: Any, *, fraction: float | None = None,
               random_state: int = 0) -> ForgetSpec:
        return cls(kind="cohort", column=column, op=op, value=value, fraction=fraction,
                   random_state=random_state)

    @classmethod
    def random(
        cls, *, n: int | None = None, fraction: float | None = None, random_state: int = 0
    ) -> ForgetSpec:
        return cls(kind="random", n=n, fraction=fraction, random_state=random_state)

    @classmethod
    def rows(cls, index: int | tuple[int, ...]) -> ForgetSpec:
        return cls(kind="index", index=index)

    def describe(self) -> str:
        """A short human-readable description (for captions and tables)."""
        if self.kind == "class-fraction":
            return f"{self.fraction:.0%} of class {self.cls}"
        if self.kind == "cohort":
            base = f"rows with {self.column} {self.op} {self.value!r}"
            return base if self.fraction is None else f"{self.fraction:.0%} of {base}"
        if self.kind == "random":
            return f"{self.n} random rows" if self.n is not None else f"{self.fraction:.0%} of rows at random"
        return f"row(s) {self.index}"

    # -- selection -------------------------------------------------------------------------------
    def select(self, data: Any) -> np.ndarray:
        """Positional row indices (sorted int64) of the forget set in ``data``.

        ``data`` is a :class:`~unlearn_core.datasets.Dataset` (normally the training split) or a tuple
        ``(X, y)`` of a DataFrame / array and labels. Raises ``ValueError`` when the forget set would be
        empty or would leave nothing to retain.
        """
        X, y, extra, groups = _unpack(data)
        n = len(X)
        rng = check_random_state(self.random_state)
        if self.kind == "class-fraction":
            if y is None:
                raise ValueError("kind 'class-fraction' needs labels y; this data has no target")
            mask = _equals(y, self.cls)
            if not mask.any():
                present = ", ".join(map(str, pd.unique(pd.Series(y)).tolist()[:20]))
                raise ValueError(
                    f"class {self.cls!r} has no rows in the training data; classes present: {present}")
            idx = _thin(np.flatnonzero(mask), self.fraction, rng)
        elif self.kind == "cohort":
            idx = _thin(np.flatnonzero(_predicate(X, extra, groups, self.column, self.op, self.value)),
                        self.fraction, rng)
            if idx.size == 0:
                raise ValueError(f"the cohort {self.describe()} is empty in the training data; "
                                 "change the column, operator or value")
        elif self.kind == "random":
            k = int(self.n) if self.n is not None else max(1, int(np.floor(self.fraction * n)))
            if k >= n:
                raise ValueError(
                    f"cannot forget {k} of {n} training rows: something must be retained; lower n")
            idx = rng.choice(n, size=k, replace=False)
        else:
            idx = np.asarray(self.index if isinstance(self.index, tuple) else (self.index,), dtype=np.int64)
            bad = idx[(idx < 0) | (idx >= n)]
            if bad.size:
                raise ValueError(f"index {bad.tolist()} is out of range for {n} training rows (0..{n - 1})")
        idx = np.unique(np.asarray(idx, dtype=np.int64))
        if idx.size == 0:
            raise ValueError(
                f"the forget set ({self.describe()}) is empty; raise the fraction or pick another set")
        if idx.size >= n:
            raise ValueError(f"the forget set ({self.describe()}) covers all {n} training rows; "
                             "nothing would be retained: lower the fraction or narrow the cohort")
        return idx


def _unpack(data: Any) -> tuple[pd.DataFrame, np.ndarray | None, dict[str, np.ndarray], dict]:
    """(X as DataFrame, y, extra named columns (sensitive, target), categorical groups)."""
    from ..datasets import Dataset

    if isinstance(data, Dataset):
        extra = {data.sensitive: data.z.to_numpy()}
        y = None if data.y is None else data.y.to_numpy()
        if data.y is not None:
            extra[str(data.y.name)] = y
        return data.X, y, extra, dict(data.categorical_groups)
    if isinstance(data, tuple) and len(data) == 2:
        X, y = data
        X = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
        y = None if y is None else np.asarray(y)
        if y is not None and len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        return X, y, {}, {}
    raise ValueError(f"select() takes a Dataset or a tuple (X, y), got {type(data).__name__}")


def _equals(values: np.ndarray, target: Any) -> np.ndarray:
    values = np.asarray(values)
    try:
        mask = values == target
        if isinstance(mask, np.ndarray) and mask.any():
            return mask
    except (TypeError, ValueError):
        pass
    return np.asarray(pd.Series(values).astype(str) == str(target))


def _thin(idx: np.ndarray, fraction: float | None, rng: np.random.Generator) -> np.ndarray:
    if fraction is None or fraction >= 1.0 or idx.size == 0:
        return idx
    k = max(1, int(np.floor(fraction * idx.size)))
    return rng.choice(idx, size=k, replace=False)


def _predicate(X: pd.DataFrame, extra: dict, groups: dict, column: Any, op: str, value: Any) -> np.ndarray:
    if column in X.columns:
        col = X[column].to_numpy()
    elif column in extra:
        col = extra[column]
    elif column in groups:
        # one-hot group: the category's column is named "value", "column=value" or "column_value"
        want = value if op == "in" else (value,)
        cols = [c for c in groups[column]
                if any(str(c) in (str(v), f"{column}={v}", f"{column}_{v}") for v in want)]
        if not cols or op not in ("==", "!=", "in"):
            raise ValueError(f"categorical {column!r} takes op '==', '!=' or 'in' with one of its categories "
                             f"{list(groups[column])}, got {op} {value!r}")
        hit = X[cols].to_numpy().sum(axis=1) > 0
        return ~hit if op == "!=" else hit
    else:
        known = [str(c) for c in X.columns][:30] + list(extra) + list(groups)
        raise ValueError(f"unknown column {column!r}; choose one of {', '.join(map(str, known))}")
    s = pd.Series(col)
    if op == "in":
        return np.asarray(s.isin(list(value)) | s.astype(str).isin([str(v) for v in value]))
    if op in ("==", "!="):
        m = _equals(col, value)
        return ~m if op == "!=" else m
    try:
        num = pd.to_numeric(s, errors="raise").to_numpy(dtype=float)
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"op {op!r} needs a numeric column and value; {column!r} {op} {value!r} is not") from exc
    return {"<": num < v, "<=": num <= v, ">": num > v, ">=": num >= v}[op]


@dataclass(frozen=True, eq=False)
class Scaler:
    """Affine standardisation fitted on the training split: ``(x - mean) / scale``.

    Tabular data: per-column mean and standard deviation (a constant column keeps scale 1). Images: one
    global mean and standard deviation over all training pixels (like the usual MNIST normalisation),
    because per-pixel scaling blows up the nearly constant border pixels.
    """

    mean: np.ndarray
    scale: np.ndarray
    per_column: bool

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=float) - self.mean) / self.scale

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=float) * self.scale + self.mean

    @classmethod
    def fit(cls, X: np.ndarray, *, per_column: bool = True) -> Scaler:
        X = np.asarray(X, dtype=float)
        if per_column:
            mean, scale = X.mean(axis=0), X.std(axis=0)
        else:
            mean, scale = np.array(X.mean()), np.array(X.std())
        scale = np.where(scale > 1e-12, scale, 1.0)
        return cls(mean=mean, scale=scale, per_column=per_column)


@dataclass(frozen=True, eq=False)
class ForgetProblem:
    """A prepared data-point unlearning problem: scaled splits and the forget / retain partition.

    ``forget_idx`` and ``retain_idx`` are positions in ``X_train`` (D_u and D_r, D = D_u + D_r);
    labels are integer codes 0..n_classes-1 whose names are ``names``. Features are scaled with
    training statistics only (``scaler``); ``X_test`` rows were never trained on.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    forget_idx: np.ndarray
    retain_idx: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    scaler: Scaler
    n_classes: int
    image_shape: tuple[int, int] | None
    names: tuple[str, ...]
    spec: ForgetSpec = field(default_factory=ForgetSpec)
    dataset_name: str = ""
    feature_names: tuple[str, ...] = ()
    X_train_raw: np.ndarray | None = None
    #: positions in ``X_test`` of the held-out rows that resemble D_u (its "peers"): the test rows of the
    #: forgotten class (class-fraction), of the same cohort (cohort), or every test row (random, index);
    #: the retrain-free stopping rule compares the model on D_u with the model on these unseen rows
    peer_idx: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def X_forget(self) -> np.ndarray:
        return self.X_train[self.forget_idx]

    @property
    def y_forget(self) -> np.ndarray:
        return self.y_train[self.forget_idx]

    @property
    def X_retain(self) -> np.ndarray:
        return self.X_train[self.retain_idx]

    @property
    def y_retain(self) -> np.ndarray:
        return self.y_train[self.retain_idx]

    def summary(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset_name,
            "forget": self.spec.describe(),
            "n_train": int(len(self.X_train)),
            "n_forget": int(self.forget_idx.size),
            "n_retain": int(self.retain_idx.size),
            "n_test": int(len(self.X_test)),
            "n_classes": self.n_classes,
        }


def prepare(
    dataset: Any, spec: ForgetSpec, *, test_size: float = 0.2, random_state: RandomState = 0
) -> ForgetProblem:
    """Split ``dataset`` into train / test (stratified by the label), select D_u in the training split
    with ``spec``, and standardise features with training statistics.

    Parameters
    ----------
    dataset : a classification :class:`~unlearn_core.datasets.Dataset`.
    spec : what to forget, selected in the training split; for ``kind="index"`` the indices are rows of
        ``dataset`` itself, which are then kept in the training split.
    test_size : share of rows held out as unseen data (test accuracy and the membership attack).
    random_state : seeds the split (the forget set is seeded by ``spec.random_state``).
    """
    from sklearn.model_selection import train_test_split

    from ..datasets import Dataset

    if not isinstance(dataset, Dataset):
        raise ValueError(f"prepare() takes a Dataset, got {type(dataset).__name__}")
    if not isinstance(spec, ForgetSpec):
        raise ValueError(f"spec must be a ForgetSpec, got {type(spec).__name__}")
    if dataset.y is None or dataset.task != "classification":
        raise ValueError(f"data-point unlearning needs a classification target; {dataset.name!r} has "
                         f"task {dataset.task!r}")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    labels, codes = np.unique(dataset.y.astype(str).to_numpy() if dataset.y.dtype == object
                              or pd.api.types.is_string_dtype(dataset.y) else dataset.y.to_numpy(),
                              return_inverse=True)
    if labels.size < 2:
        raise ValueError(f"the target of {dataset.name!r} has a single class; nothing to classify")
    idx = np.arange(dataset.n_samples)
    # kind "index" names rows of the dataset as given (e.g. gmm-10d's appended point); they are kept
    # in the training split, the other rows are split as usual.
    pinned = spec.select(dataset) if spec.kind == "index" else np.empty(0, dtype=np.int64)
    rest = np.setdiff1d(idx, pinned)
    counts = np.bincount(codes[rest], minlength=labels.size)
    strat = codes[rest] if counts[counts > 0].min() >= 2 else None
    tr, te = train_test_split(rest, test_size=test_size, random_state=seed_from(random_state), stratify=strat)
    tr, te = np.sort(np.r_[tr, pinned]).astype(np.int64), np.sort(te)
    train = dataset.subset(tr)
    forget = np.searchsorted(tr, pinned) if spec.kind == "index" else spec.select(train)
    retain = np.setdiff1d(np.arange(tr.size), forget)
    peers = _peers(spec, dataset.subset(te), codes[te], codes[tr][forget])
    Xraw = dataset.X.to_numpy(dtype=float)
    scaler = Scaler.fit(Xraw[tr], per_column=dataset.image_shape is None)
    return ForgetProblem(
        X_train=scaler.transform(Xraw[tr]),
        y_train=codes[tr].astype(np.int64),
        forget_idx=forget,
        retain_idx=retain,
        X_test=scaler.transform(Xraw[te]),
        y_test=codes[te].astype(np.int64),
        scaler=scaler,
        n_classes=int(labels.size),
        image_shape=dataset.image_shape,
        names=tuple(str(v) for v in labels),
        spec=spec,
        dataset_name=dataset.name,
        feature_names=tuple(str(c) for c in dataset.X.columns),
        X_train_raw=Xraw[tr],
        peer_idx=peers,
    )


def _peers(spec: ForgetSpec, test: Any, y_test: np.ndarray, y_forget: np.ndarray) -> np.ndarray:
    """Held-out rows like D_u: the test rows the same spec selects (unthinned), else those of D_u's classes.

    A cohort predicate is applied to the test split as it was to the training split; a class fraction
    keeps the test rows of that class; a random or single-row forget set is compared with every test
    row of its classes. Falls back to all test rows when the selection is empty.
    """
    from dataclasses import replace as _replace

    idx = np.empty(0, dtype=np.int64)
    if spec.kind == "cohort":
        try:
            idx = _replace(spec, fraction=None).select(test)
        except ValueError:  # empty (or all) in the test split
            idx = np.empty(0, dtype=np.int64)
    if idx.size == 0 and spec.kind != "random":
        idx = np.flatnonzero(np.isin(y_test, np.unique(y_forget)))
    if idx.size == 0:
        idx = np.arange(len(y_test))
    return np.asarray(idx, dtype=np.int64)
