"""Small helpers shared by every engine module: randomness, group encoding, validation."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, Union

import numpy as np

from ._validation import check_labels, check_seed

RandomState = int | np.random.Generator | None
Weights = Union[Literal["empirical", "uniform"], "np.typing.ArrayLike"]


def check_random_state(random_state: RandomState) -> np.random.Generator:
    """Normalise ``random_state`` (int seed, Generator or None) to a ``numpy.random.Generator``.

    An int gives a fresh, reproducible generator; a Generator is returned as is (so callers can
    share one stream); None gives an unseeded generator. Seeds follow numpy's rule everywhere:
    ``0 <= seed < 2**32`` (:func:`unlearn_core._validation.check_seed`), else ``ValueError`` /
    ``TypeError`` naming ``random_state``.
    """
    seed = check_seed(random_state)
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def seed_from(random_state: RandomState) -> int:
    """An integer seed in [0, 2**32) from ``random_state`` (for libraries that want an int, e.g. torch).

    An int is checked (:func:`check_seed`) and returned as is; a Generator or None gives a draw.
    """
    seed = check_seed(random_state)
    if isinstance(seed, int):
        return seed
    return int(check_random_state(seed).integers(0, 2**31 - 1))


def encode_groups(z: np.typing.ArrayLike, name: str = "z") -> tuple[np.ndarray, np.ndarray]:
    """Map group labels to integer codes 0..K-1.

    The labels are checked first (:func:`check_labels`): NaN / None / mixed types are refused with a
    message naming ``name``, never turned into a group of their own.

    Returns
    -------
    codes : (n,) int64 array with values in 0..K-1
    labels : (K,) array of the distinct labels, sorted, so ``labels[codes]`` recovers ``z``.
    """
    z_arr = check_labels(z, name)
    labels, codes = np.unique(z_arr, return_inverse=True)
    return codes.astype(np.int64), labels


def group_weights(codes: np.ndarray, n_groups: int, weights: Weights = "empirical") -> np.ndarray:
    """Group weights w_z used in the barycenter objective sum_z w_z W2^2(mu_z, nu).

    ``"empirical"`` gives the proportions P(Z = z); ``"uniform"`` gives 1/K; an array is checked to be
    non-negative with K entries and renormalised to sum to 1.
    """
    if isinstance(weights, str):
        if weights == "empirical":
            w = np.bincount(codes, minlength=n_groups).astype(float)
        elif weights == "uniform":
            w = np.ones(n_groups)
        else:
            raise ValueError(f"weights must be 'empirical', 'uniform' or an array, got {weights!r}")
    else:
        w = np.asarray(weights, dtype=float).ravel()
        if w.shape != (n_groups,):
            raise ValueError(f"weights must have one entry per group ({n_groups}), got shape {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(f"weights must be finite, non-negative and not all zero, got {w}")
    return w / w.sum()


def as_2d_float(X: np.typing.ArrayLike, name: str = "X") -> np.ndarray:
    """Return ``X`` as a C-contiguous float64 (n, d) array, checking it is finite."""
    arr = np.asarray(X, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values; impute or drop them first")
    return np.ascontiguousarray(arr)


@contextmanager
def timer() -> Iterator[list[float]]:
    """Context manager measuring wall time: ``with timer() as t: ...; seconds = t[0]``."""
    out = [0.0]
    start = time.perf_counter()
    try:
        yield out
    finally:
        out[0] = time.perf_counter() - start


_CONTROLLER: tuple[int, object] | None = None  # (len(sys.modules) when made, ThreadpoolController)


def _threadpool_controller():
    """threadpoolctl's controller, made once and again only when new modules have been imported.

    ``threadpool_limits(...)`` scans the process's shared libraries (``/proc/self/maps``) on every
    call: about 4 ms here, paid by every small task and probe fit. The libraries it finds are loaded
    by imports, so the scan is redone when ``len(sys.modules)`` has changed since the last one.
    """
    global _CONTROLLER
    from threadpoolctl import ThreadpoolController

    key = len(sys.modules)
    if _CONTROLLER is None or _CONTROLLER[0] != key:
        _CONTROLLER = (key, ThreadpoolController())
    return _CONTROLLER[1]


def blas_limits(n: int):
    """``threadpool_limits(limits=n)`` through a cached controller (a context manager; restored on exit)."""
    return _threadpool_controller().limit(limits=int(n))


@contextmanager
def limit_threads(n: int | None = 1) -> Iterator[None]:
    """Limit BLAS / OpenMP pools (threadpoolctl) and, when torch is loaded, torch's intra-op threads to ``n``.

    Restored on exit; ``None`` leaves everything alone. The engine's fits are small (mini-batches,
    d x d eigen-decompositions, probes on a few columns): threads cost more than they save, and on a
    shared or oversubscribed CPU their spin-waiting is ruinous (measured on the 2-core team machine:
    12-40x slower torch critics and gradient boosting, 10-30x slower small eigen-decompositions and
    lbfgs fits with 2 threads under load). torch's setting is process-wide, so concurrent sessions of
    the app may briefly see each other's limit; both use 1.
    """
    if n is None:
        yield
        return
    n = int(n)
    torch = sys.modules.get("torch")
    old = torch.get_num_threads() if torch is not None else None
    if torch is not None and old != n:
        torch.set_num_threads(n)
    try:
        with blas_limits(n):
            yield
    finally:
        if torch is not None and old != n:
            torch.set_num_threads(old)
