"""One validation layer for the engine's public arguments (in the spirit of scikit-learn's).

Every public function checks its arguments up front with these helpers, so a bad value fails at once
with an error that names the argument, says what was expected and what was given:

- ``TypeError`` when the *type* is wrong (a string where a number is expected, a float seed, a bool
  where a count is expected);
- ``ValueError`` when the type is right but the *value* is not (out of range, NaN, an unknown name,
  labels with missing values).

Seeds follow one rule everywhere: numpy's, ``0 <= seed < 2**32`` (what ``np.random.default_rng``,
scikit-learn and torch all accept), or a ``numpy.random.Generator``, or None.

>>> check_scalar(0.5, "t", float, min_val=0.0, max_val=1.0)
0.5
>>> check_seed(2**32)
Traceback (most recent call last):
...
ValueError: random_state must be an integer in [0, 2**32 - 1] (numpy's seed range), got 4294967296
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

#: Seeds are integers in [0, SEED_MAX]: numpy's range, which scikit-learn and torch also accept.
SEED_MAX = 2**32 - 1


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_seed(seed: Any, name: str = "random_state", *, allow_generator: bool = True,
               allow_none: bool = True) -> int | np.random.Generator | None:
    """Check a seed: an int in [0, 2**32 - 1], a ``numpy.random.Generator`` or None.

    Returns the seed as a Python int (or the Generator / None unchanged). Raises ``TypeError`` for other
    types (floats, strings, bools, legacy ``RandomState``) and ``ValueError`` for ints out of range.
    """
    if seed is None:
        if allow_none:
            return None
        raise TypeError(f"{name} must be an integer seed, got None")
    if isinstance(seed, np.random.Generator):
        if allow_generator:
            return seed
        raise TypeError(f"{name} must be an integer seed, got a numpy Generator")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (numbers.Integral, np.integer)):
        kinds = "an integer in [0, 2**32 - 1]" + (", a numpy Generator" if allow_generator else "") + (
            " or None" if allow_none else "")
        raise TypeError(f"{name} must be {kinds}, got {type(seed).__name__} {_show(seed)}")
    value = int(seed)
    if not 0 <= value <= SEED_MAX:
        raise ValueError(f"{name} must be an integer in [0, 2**32 - 1] (numpy's seed range), got {value}")
    return value


def check_scalar(
    x: Any,
    name: str,
    target_type: type | tuple[type, ...],
    *,
    min_val: float | None = None,
    max_val: float | None = None,
    include_boundaries: str = "both",
    allow_inf: bool = False,
) -> Any:
    """Check a scalar's type and range (like ``sklearn.utils.check_scalar``); return it.

    ``target_type`` is ``int`` (any integral type, never bool), ``float`` (any real number, ints
    included, never bool) or ``bool``. NaN is always refused; infinities unless ``allow_inf``.
    ``include_boundaries`` is "both", "left", "right" or "neither". Ints come back as ``int``, reals as
    ``float``.
    """
    types = target_type if isinstance(target_type, tuple) else (target_type,)
    if bool in types:
        if isinstance(x, (bool, np.bool_)):
            return bool(x)
        raise TypeError(f"{name} must be a bool, got {type(x).__name__} {_show(x)}")
    is_bool = isinstance(x, (bool, np.bool_))
    if int in types and float not in types:
        if is_bool or not isinstance(x, (numbers.Integral, np.integer)):
            if isinstance(x, (float, np.floating)) and math.isfinite(x) and float(x).is_integer():
                x = int(x)  # 5.0 is an integer count; 5.5 is not
            else:
                raise TypeError(f"{name} must be an integer, got {type(x).__name__} {_show(x)}")
        value: float | int = int(x)
    else:
        if is_bool or not isinstance(x, (numbers.Real, np.integer, np.floating)):
            raise TypeError(f"{name} must be a real number, got {type(x).__name__} {_show(x)}")
        value = float(x)
        if math.isnan(value):
            raise ValueError(f"{name} must be a number, got NaN")
        if math.isinf(value) and not allow_inf:
            raise ValueError(f"{name} must be finite, got {value}")
    closed_lo = include_boundaries in ("both", "left")
    closed_hi = include_boundaries in ("both", "right")
    lo_ok = min_val is None or (value >= min_val if closed_lo else value > min_val)
    hi_ok = max_val is None or (value <= max_val if closed_hi else value < max_val)
    if not (lo_ok and hi_ok):
        left = "[" if include_boundaries in ("both", "left") else "("
        right = "]" if include_boundaries in ("both", "right") and max_val is not None else ")"
        left = left if min_val is not None else "("
        lo = "-inf" if min_val is None else f"{min_val:g}"
        hi = "inf" if max_val is None else f"{max_val:g}"
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {value:g}")
    return value


def check_option(value: Any, name: str, options: Iterable[Any], *, what: str | None = None) -> Any:
    """Check that ``value`` is one of ``options`` (the names of a registry); return it.

    ``what`` names the kind of thing in the message ("barycenter method"); default ``name``.
    """
    opts = list(options)
    if isinstance(value, str) and value in opts:
        return value
    if not isinstance(value, str) and all(isinstance(o, str) for o in opts):
        raise TypeError(f"{name} must be a string, one of {', '.join(map(str, opts))}; got "
                        f"{type(value).__name__} {_show(value)}")
    if not isinstance(value, str) and any(value is o for o in opts):
        return value
    raise ValueError(f"unknown {what or name} {_show(value)}; {name} must be one of "
                     f"{', '.join(map(str, opts))}")


def check_n_boot(n_boot: Any, name: str = "n_boot") -> int:
    """Number of resamples for an interval: 0 (no interval) or at least 2.

    One resample has no spread: its "interval" would have zero width and need not contain the
    estimate, so it is refused rather than shown.
    """
    n = check_scalar(n_boot, name, int, min_val=0)
    if n == 1:
        raise ValueError(f"{name} must be 0 (no interval) or at least 2 (an interval needs a spread); got 1")
    return n


def check_labels(z: Any, name: str = "z", *, n_rows: int | None = None) -> np.ndarray:
    """Check a vector of group or class labels: 1-D, non-empty, no missing values, one kind of value.

    NaN / None / pandas NA are refused (they are not a group: drop or impute those rows), and so are
    mixed types (``[1, "1"]``: numbers and strings mixed cannot be ordered and usually mean a parsing
    problem). Returns the labels as a numpy array.
    """
    try:
        import pandas as pd

        if isinstance(z, (pd.Series, pd.Index, pd.Categorical)):
            missing = pd.isna(z)
            if np.any(missing):
                raise ValueError(
                    f"{name} has {int(np.sum(missing))} missing label(s) (NaN/None); drop or impute those "
                    "rows: a missing value is not a group")
            z = np.asarray(z)
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    if isinstance(z, (str, bytes)) or np.isscalar(z):
        raise TypeError(f"{name} must be a 1-D array of labels, got {type(z).__name__} {_show(z)}")
    if isinstance(z, (list, tuple)):
        # np.asarray would silently turn [1, "1"] into two strings: check the items' kinds first
        obj = np.empty(len(z), dtype=object)
        obj[:] = list(z)
        check_labels(obj, name, n_rows=n_rows)
    arr = np.asarray(z)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one label per row), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: at least one row per group is needed")
    if n_rows is not None and arr.size != n_rows:
        raise ValueError(f"{name} has {arr.size} labels but there are {n_rows} rows; align them row by row")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ValueError(
                f"{name} has {int(bad.sum())} missing or infinite label(s) (NaN/inf); drop or impute those "
                "rows: a missing value is not a group")
    elif arr.dtype.kind == "O":
        from pandas.api.types import infer_dtype

        if infer_dtype(arr, skipna=False) in ("string", "integer", "boolean", "bytes", "mixed-integer-float"):
            return arr  # one kind of value, nothing missing (the common case, checked in C)
        kinds: set[str] = set()
        n_missing = 0
        for v in arr:
            if v is None or (isinstance(v, float) and math.isnan(v)) or _is_pd_na(v):
                n_missing += 1
            elif isinstance(v, (str, np.str_)):
                kinds.add("string")
            elif isinstance(v, (bool, np.bool_)):
                kinds.add("bool")
            elif isinstance(v, (numbers.Number, np.number)):
                kinds.add("number")
            else:
                kinds.add(type(v).__name__)
        if n_missing:
            raise ValueError(
                f"{name} has {n_missing} missing label(s) (NaN/None); drop or impute those rows: a missing "
                "value is not a group")
        if len(kinds) > 1:
            raise TypeError(
                f"{name} mixes label types ({', '.join(sorted(kinds))}); use one type, e.g. all strings")
    elif arr.dtype.kind not in "biuUSM":
        raise TypeError(f"{name} must hold numbers or strings as labels, got dtype {arr.dtype}")
    return arr


def _is_pd_na(v: Any) -> bool:
    try:
        import pandas as pd

        return v is pd.NA or v is pd.NaT
    except ImportError:  # pragma: no cover
        return False


__all__ = ["SEED_MAX", "check_labels", "check_n_boot", "check_option", "check_scalar", "check_seed"]
