"""The Dataset type, the registry of built-ins, and the train/test split."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._utils import RandomState, seed_from
from .._validation import check_scalar, check_seed

Task = Literal["classification", "regression"]


class DatasetError(ValueError):
    """Raised for any problem caused by the data or by the caller's options.

    The message always names the problem and how to fix it, so the UI can show it as is.
    """


@dataclass(frozen=True, eq=False)
class Dataset:
    """A tabular (or flattened image) dataset with a sensitive attribute Z to forget.

    Attributes
    ----------
    name : registry name (or the uploaded file's name).
    X : numeric features, named columns, no NaN. One-hot columns of a categorical are listed in
        ``categorical_groups``.
    y : target (class labels for classification, floats for regression) or None.
    task : "classification", "regression" or None when there is no target.
    z : group labels of the sensitive attribute, a Series named after the attribute.
    numeric_columns : names of the continuous / ordinal columns of X.
    categorical_groups : {original categorical name: (its one-hot column names, ...)}.
    description, source, license, citation : shown to the user next to the data.
    image_shape : (h, w) for image data whose rows are flattened pixels, else None.
    notes : what the loader did that a user should know (rows dropped, columns removed, ...).
    options : the options the loader was called with (for reproducibility and certificates).
    """

    name: str
    X: pd.DataFrame
    y: pd.Series | None
    task: Task | None
    z: pd.Series
    numeric_columns: tuple[str, ...] = ()
    categorical_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    description: str = ""
    source: str = ""
    license: str = ""
    citation: str = ""
    image_shape: tuple[int, int] | None = None
    notes: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.X)
        if len(self.z) != n or (self.y is not None and len(self.y) != n):
            raise DatasetError(
                f"dataset {self.name!r}: X has {n} rows but z has {len(self.z)}"
                + ("" if self.y is None else f" and y has {len(self.y)}")
                + "; they must be aligned row by row"
            )

    # -- conveniences -------------------------------------------------------------------------
    @property
    def n_samples(self) -> int:
        return len(self.X)

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def sensitive(self) -> str:
        """Name of the sensitive attribute Z."""
        return str(self.z.name)

    @property
    def groups(self) -> list[Any]:
        """Distinct group labels of Z, sorted."""
        return sorted(pd.unique(self.z).tolist(), key=str)

    def group_counts(self) -> pd.Series:
        return self.z.value_counts().sort_index()

    def fingerprint(self) -> str:
        """SHA-256 of the contents (X, y, z), for cache keys and certificates."""
        h = hashlib.sha256()
        h.update(pd.util.hash_pandas_object(self.X, index=False).values.tobytes())
        h.update(",".join(map(str, self.X.columns)).encode())
        h.update(pd.util.hash_pandas_object(self.z.astype(str), index=False).values.tobytes())
        if self.y is not None:
            h.update(pd.util.hash_pandas_object(self.y, index=False).values.tobytes())
        return h.hexdigest()

    def subset(self, rows: np.ndarray | pd.Index | list[int]) -> Dataset:
        """The same dataset restricted to positional ``rows`` (index reset)."""
        rows = np.asarray(rows)
        return replace(
            self,
            X=self.X.iloc[rows].reset_index(drop=True),
            y=None if self.y is None else self.y.iloc[rows].reset_index(drop=True),
            z=self.z.iloc[rows].reset_index(drop=True),
        )

    def summary(self) -> dict[str, Any]:
        """A small, JSON-friendly summary (rows, features, groups, task, source)."""
        return {
            "name": self.name,
            "rows": self.n_samples,
            "features": self.n_features,
            "sensitive": self.sensitive,
            "groups": {str(k): int(v) for k, v in self.group_counts().items()},
            "task": self.task,
            "target": None if self.y is None else str(self.y.name),
            "source": self.source,
            "license": self.license,
        }


@dataclass(frozen=True)
class DatasetSpec:
    """A registry entry: how to load a built-in dataset and what the UI may offer for it.

    ``sensitive_choices`` lists the values of the ``sensitive=`` option; ``shipped`` says whether the
    raw data ships with the project (offline) or must be downloaded once; ``task`` is the task of the
    default target (what a page may need before it loads the data, e.g. data unlearning needs
    "classification").
    """

    name: str
    title: str
    loader: Callable[..., Dataset]
    description: str
    sensitive_choices: tuple[str, ...] = ()
    shipped: bool = True
    kind: Literal["toy", "tabular", "image"] = "tabular"
    task: Task | None = "classification"


_REGISTRY: dict[str, DatasetSpec] = {}


def register(spec: DatasetSpec) -> DatasetSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"dataset {spec.name!r} is registered twice")
    _REGISTRY[spec.name] = spec
    return spec


def registry() -> dict[str, DatasetSpec]:
    """All built-in datasets, name -> spec, in registration order (the default first)."""
    return dict(_REGISTRY)


def names() -> list[str]:
    """Names of the built-in datasets, the default (``toy-gaussians``) first."""
    return list(_REGISTRY)


def load(name: str, **options: Any) -> Dataset:
    """Load the built-in dataset ``name`` with loader-specific ``options`` (e.g. ``sensitive=``)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a dataset name (a string), got {type(name).__name__}")
    if name not in _REGISTRY:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(_REGISTRY)}")
    if "random_state" in options:
        check_seed(options["random_state"])
    spec = _REGISTRY[name]
    # check the option names against the loader's signature first, so a TypeError raised inside
    # a loader (a bug) is not reported to the user as a bad option
    import inspect

    try:
        inspect.signature(spec.loader).bind(**options)
    except TypeError as exc:
        params = [
            p.name for p in inspect.signature(spec.loader).parameters.values()
            if p.kind is p.KEYWORD_ONLY
        ]
        raise DatasetError(
            f"dataset {name!r} does not accept these options {sorted(options)} ({exc}); its "
            f"options are {', '.join(params)}"
        ) from exc
    return spec.loader(**options)


def split(
    dataset: Dataset, *, test_size: float = 0.3, random_state: RandomState = 0
) -> tuple[Dataset, Dataset]:
    """Split into (train, test), stratified by (z, y) where every stratum has >= 2 rows.

    Falls back to stratifying by z alone, then to a plain random split, when the finer strata are
    too small (regression targets are never used for stratification). The row positions of both parts
    are :func:`split_indices`.
    """
    tr, te = split_indices(dataset, test_size=test_size, random_state=random_state)
    return dataset.subset(tr), dataset.subset(te)


def split_indices(
    dataset: Dataset, *, test_size: float = 0.3, random_state: RandomState = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted row positions (train, test) of :func:`split` with the same arguments."""
    from sklearn.model_selection import train_test_split

    if not isinstance(dataset, Dataset):
        raise TypeError(f"dataset must be a Dataset, got {type(dataset).__name__}")
    try:
        check_scalar(test_size, "test_size", float, min_val=0.0, max_val=1.0, include_boundaries="neither")
    except ValueError as exc:
        raise DatasetError(str(exc)) from None
    n = dataset.n_samples
    idx = np.arange(n)
    seed = seed_from(random_state)  # checked: an int in numpy's range, a Generator or None
    tr = te = None
    candidates: list[pd.Series | None] = []
    z_str = dataset.z.astype(str).reset_index(drop=True)
    if dataset.y is not None and dataset.task == "classification":
        candidates.append(z_str + "|" + dataset.y.astype(str).reset_index(drop=True))
    candidates += [z_str, None]
    for strata in candidates:
        if strata is not None and strata.value_counts().min() < 2:
            continue
        try:
            tr, te = train_test_split(idx, test_size=test_size, random_state=seed, stratify=strata)
            break
        except ValueError as exc:
            reason = str(exc)
            continue
    if tr is None:
        raise DatasetError(f"cannot split {n} rows with test_size={test_size}: {reason}; use more rows or "
                           "another test_size")
    return np.sort(tr), np.sort(te)
