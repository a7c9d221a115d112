"""Cached wrappers around the engine: the only place pages get data and results from.

Keys are small and hashable (a :class:`DataKey`, method names, the seed, the snapped t), so reruns hit
the caches. Read-only heavy objects (datasets, fitted maps with their endpoint arrays) use
``st.cache_resource`` — no copy on every hit, which keeps a slider move on Adult cheap; small results
(frontier tables, the per-t view) use ``st.cache_data``.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

from unlearn_core import datasets
from unlearn_core.datasets import Dataset

from .errors import engine_errors
from .state import DEFAULT_ESTIMATOR, T_GRID, UPLOAD, UploadedCSV, state


@dataclass(frozen=True)
class DataKey:
    """What identifies a loaded dataset: a registry name and its options, or an uploaded file's hash."""

    name: str
    sensitive: str = ""
    seed: int | None = None  # only for loaders that take random_state (synthetic data)
    upload_sha: str = ""
    filename: str = ""
    target: str | None = None
    features: tuple[str, ...] | None = None
    session: str = ""  # an upload's owner session: its key never matches another session's

    @property
    def label(self) -> str:
        return f"upload {self.upload_sha[:8]}" if self.name == UPLOAD else self.name


@dataclass(frozen=True, eq=False)
class LoadedData:
    key: DataKey
    dataset: Dataset


def _loader_params(name: str) -> set[str] | None:
    """Keyword names the built-in loader accepts (None when it takes **options)."""
    sig = inspect.signature(datasets.registry()[name].loader)
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return None
    return set(sig.parameters)


def data_key(name: str, *, sensitive: str = "", seed: int = 0, upload: UploadedCSV | None = None) -> DataKey:
    """The cache key of the dataset the sidebar selects."""
    if name == UPLOAD:
        if upload is None:
            raise ValueError("no CSV uploaded yet: choose a file in the sidebar")
        return DataKey(UPLOAD, upload.sensitive, None, upload.sha, upload.filename, upload.target,
                       upload.features, upload.session)
    params = _loader_params(name)
    takes_seed = params is None or "random_state" in params
    return DataKey(name, sensitive, seed if takes_seed else None)


def from_upload(data: bytes, filename: str, target: str | None, sensitive: str,
                features: tuple[str, ...] | None) -> Dataset:
    """``datasets.from_csv`` on uploaded bytes, the file's own name in its messages."""
    return datasets.from_csv(data, target=target, sensitive=sensitive,
                             features=list(features) if features else None, name=filename or None)


@st.cache_resource(max_entries=8, show_spinner="Loading the dataset…")
def _load(key: DataKey) -> Dataset:
    params = _loader_params(key.name)
    opts: dict = {}
    if key.sensitive and (params is None or "sensitive" in params):
        opts["sensitive"] = key.sensitive
    if key.seed is not None:
        opts["random_state"] = key.seed
    return datasets.load(key.name, **opts)


def load_data(key: DataKey) -> Dataset:
    """The dataset for ``key``: built-ins from the shared cache, an upload from this session only.

    An uploaded dataset is parsed once and kept in the session's own state (one at a time), never in the
    cross-session cache: another session cannot reach it, and it goes when the session ends.
    """
    if key.name != UPLOAD:
        return _load(key)
    held = st.session_state.get(UPLOAD_DATASET_KEY)
    if held is not None and held[0] == key:
        return held[1]
    upload = state().upload
    if upload is None or upload.sha != key.upload_sha:
        raise ValueError("the uploaded file is no longer in this session; upload it again")
    ds = from_upload(upload.data, key.filename, key.target, key.sensitive, key.features)
    st.session_state[UPLOAD_DATASET_KEY] = (key, ds)
    return ds


UPLOAD_DATASET_KEY = "_upload_dataset"


def current_data() -> LoadedData:
    """The dataset selected in the sidebar; on an error shows the message and stops the page.

    Also makes sure the page runs inside app.py's frame (:func:`ui.nav.ensure_frame`).
    """
    from .nav import ensure_frame

    ensure_frame()
    s = state()
    if s.dataset == UPLOAD and s.upload is None:
        st.info("Upload a CSV file in the sidebar and pick its target and sensitive columns to start.",
                icon=":material/upload_file:")
        st.stop()
    from .remote_files import ensure_files

    if s.dataset != UPLOAD and not ensure_files(s.dataset):  # not shipped and not here: say how to get it
        st.stop()
    with engine_errors("Loading the dataset"):
        key = data_key(s.dataset, sensitive=s.sensitive, seed=s.seed, upload=s.upload)
        return LoadedData(key, load_data(key))


# -- feature unlearning ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Fitted:
    """The view's maps (fitted on its training split) with every row's endpoint, which the explorer draws.

    ``X_end`` = T_Z(X) (t = 1): every point of the McCann path is an interpolation of X and X_end.
    ``train`` marks the rows of the training split, where V = sum_z w_z W2^2(mu_z, mu_bar) is measured.
    """

    maps: object  # unlearn_core.transport.BarycenterMaps
    X: np.ndarray
    X_end: np.ndarray
    z: np.ndarray  # group labels as strings
    groups: tuple[str, ...]  # the sorted distinct labels of z
    columns: tuple[str, ...]
    move: np.ndarray  # ||T_Z(x) - x|| per row: the displacement at t is t * move
    seconds: float  # fit + endpoint transform
    train: np.ndarray  # bool per row: in the training split the maps were fitted on


@st.cache_resource(max_entries=12, show_spinner="Mapping every row to the barycenter…")
def cached_fit(key: DataKey, method: str, seed: int) -> Fitted:
    """The view's maps (fitted on its training split) and every row of ``key``'s data mapped to t = 1."""
    ds = load_data(key)
    start = time.perf_counter()
    X = ds.X.to_numpy(dtype=float)
    z = ds.z.to_numpy()
    # the maps of the view (fitted on its training split, as the frontier and the attackers use them),
    # applied to every row: one fit per view, and one V on every page
    maps = cached_heldout_maps(key, method, seed)
    X_end = np.asarray(maps.transform(X, z, 1.0), dtype=float)
    move = np.linalg.norm(X_end - X, axis=1)
    train = np.zeros(len(X), dtype=bool)
    train[datasets.split_indices(ds, test_size=0.3, random_state=seed)[0]] = True
    for a in (X, X_end, move, train):
        a.setflags(write=False)
    zs = z.astype(str)
    _fitted().add((key, method, seed))
    return Fitted(maps, X, X_end, zs, tuple(sorted(set(zs.tolist()))), tuple(map(str, ds.X.columns)), move,
                  time.perf_counter() - start, train)


@st.cache_resource(show_spinner=False)
def _fitted() -> set:
    """Keys (data, method, seed) whose :func:`cached_fit` has run in this process."""
    return set()


def fit_ready(key: DataKey, method: str, seed: int) -> bool:
    """Whether :func:`cached_fit` for these arguments is (very likely) cached: a page can skip its wait UI."""
    return (key, method, seed) in _fitted()


@dataclass(frozen=True, eq=False)
class ViewAt:
    """What the t-dependent panels need at one t (all rows; display subsampling happens in plots)."""

    t: float
    feature: int
    column_t: np.ndarray  # the shown feature at t
    displacement: np.ndarray  # ||x - x_t|| per row
    distortion: float  # E||X - X_t||^2 over all rows
    seconds: float  # engine work for this t


@st.cache_data(max_entries=64, show_spinner=False)
def cached_view_at(key: DataKey, method: str, seed: int, t: float, feature: int) -> ViewAt:
    """The McCann point X_t = (1 - t) X + t T_Z(X) on all rows, reduced to what the panels show."""
    from unlearn_core.plots.transport import mccann

    fit = cached_fit(key, method, seed)
    start = time.perf_counter()
    column_t = mccann(fit.X[:, feature], fit.X_end[:, feature], t)
    disp = t * fit.move  # ||x - x_t|| = t ||x - T_z(x)|| on the McCann path
    distortion = float(np.mean(disp[fit.train] ** 2))  # where V is measured: D(t) = t^2 V
    return ViewAt(t, feature, column_t, disp, distortion, time.perf_counter() - start)


@st.cache_data(max_entries=16, show_spinner=False)
def cached_move_stats(key: DataKey, method: str, seed: int) -> list[dict]:
    """Per-group statistics of the full displacement ||x - T_z(x)|| (t = 1); scale them by t for any t."""
    from unlearn_core.plots.transport import displacement_stats

    fit = cached_fit(key, method, seed)
    return displacement_stats(fit.move, fit.z)


#: The frontier's t grid: every other slider step (each t costs a downstream model and a cross-fitted
#: gradient-boosting attacker; 11 points keep the first visit on Adult to about 20 s on 2 cores).
FRONTIER_TS: tuple[float, ...] = tuple(T_GRID[::2])


@st.cache_resource(max_entries=12, show_spinner="Fitting the barycenter on the training split…")
def cached_heldout_maps(key: DataKey, method: str, seed: int):
    """The maps of a view fitted on its training split: what the frontier and every attacker measure."""
    from unlearn_core.frontier.analytic import heldout_view

    return heldout_view(load_data(key), method=method, t=0.0, random_state=seed)[2]


def frontier_key(key: DataKey, method: str, seed: int, estimator: str = DEFAULT_ESTIMATOR) -> tuple:
    """The store key of :func:`cached_frontier`'s result (``ui.waits.ready`` tells whether it is computed)."""
    return ("frontier", key, method, int(seed), estimator)


def frontier_ready(key: DataKey, method: str, seed: int, estimator: str = DEFAULT_ESTIMATOR) -> bool:
    """True when :func:`cached_frontier` returns at once: computed in this process, or shipped for this
    view."""
    from .precomputed import analytic_frontier as shipped_frontier
    from .waits import ready

    return ready(frontier_key(key, method, seed, estimator)) or (
        shipped_frontier(key, method, seed, estimator) is not None)


def cached_frontier(key: DataKey, method: str, seed: int, estimator: str = DEFAULT_ESTIMATOR, *,
                    progress=None):
    """The analytic frontier over ``FRONTIER_TS`` (``unlearn_core.frontier.analytic.analytic_frontier``).

    The shipped result of this view comes first (``ui.precomputed``: the same table, computed by the
    batch command; tests/test_precomputed.py checks it matches the engine). Otherwise it is kept in the
    process-wide store of :mod:`ui.waits` (not ``st.cache_data``, which cannot report progress):
    ``progress(fraction, message)`` is called once per t on a miss. Pages that may wait for it call it
    through ``ui.waits.compute`` (a progress bar and a cancel).
    """
    from .precomputed import analytic_frontier as shipped_frontier

    if (shipped := shipped_frontier(key, method, seed, estimator)) is not None:
        return shipped
    from unlearn_core.frontier.analytic import analytic_frontier

    from .waits import results

    k = frontier_key(key, method, seed, estimator)
    hit = results().get(k)
    if hit is not None:
        return hit
    ds = load_data(key)
    maps = cached_heldout_maps(key, method, seed)
    n_t = len(FRONTIER_TS)

    def each_t(frac: float, msg: str) -> None:
        if progress is not None:
            done = round(frac * n_t) + 1
            progress(frac, f"{msg}: a downstream model and an attacker ({done} of {n_t} values of t)")

    out = analytic_frontier(
        ds, method=method, ts=np.asarray(FRONTIER_TS), downstream="logistic",
        leakage_estimator=None if estimator == DEFAULT_ESTIMATOR else estimator, random_state=seed,
        maps=maps, progress=each_t,
    )
    results().put(k, out)
    return out


def frontier_waited(key: DataKey, method: str, seed: int, estimator: str = DEFAULT_ESTIMATOR, *, what: str,
                    slot=None, button_key: str | None = None):
    """:func:`cached_frontier` as a page shows it: a shipped result at once and without a status (it was
    not computed now, so no "done in 0.1 s"); otherwise through ``ui.waits.compute`` (a progress bar and a
    cancel on a miss; None when cancelled). ``what`` says what is computed, in words."""
    from .precomputed import analytic_frontier as shipped_frontier
    from .waits import compute

    if (shipped := shipped_frontier(key, method, seed, estimator)) is not None:
        return shipped
    return compute(frontier_key(key, method, seed, estimator), what,
                   lambda p: cached_frontier(key, method, seed, estimator, progress=p), slot=slot,
                   button_key=button_key)


@st.cache_data(max_entries=64, show_spinner="Attacking the held-out rows (gradient boosting, cross-fitted)…")
def cached_view_attack(key: DataKey, method: str, seed: int, t: float):
    """The project's attacker on the view's held-out rows at t: the leakage number every page shows.

    Equal to the frontier's ``attack_*`` columns at the same t (same split, maps, rows and seed).
    """
    from unlearn_core.frontier.analytic import view_attack

    return view_attack(load_data(key), method=method, t=float(t), random_state=seed,
                       maps=cached_heldout_maps(key, method, seed))


@st.cache_data(max_entries=8, show_spinner=False)
def transformed_csv(key: DataKey, method: str, seed: int, t: float) -> bytes:
    """The whole dataset at t (features X_t, then the target and Z columns) as CSV bytes."""
    fit = cached_fit(key, method, seed)
    ds = load_data(key)
    import pandas as pd

    from unlearn_core.plots.transport import mccann

    out = pd.DataFrame(mccann(fit.X, fit.X_end, t), columns=ds.X.columns)
    if ds.y is not None:
        out[str(ds.y.name)] = ds.y.to_numpy()
    out[ds.sensitive] = ds.z.to_numpy()
    return datasets.safe_csv(out)  # a user's labels and headers must not run as spreadsheet formulas


@st.cache_resource(max_entries=24, show_spinner=False)
def cached_display(key: DataKey, method: str, seed: int, features: tuple[int, int] | None, max_points: int):
    """The capped 2-D view of the transport (``unlearn_core.plots.display_points``), PCA fitted once."""
    from unlearn_core.plots import display_points

    fit = cached_fit(key, method, seed)
    return display_points(fit.X, fit.X_end, fit.z, features=features, columns=fit.columns,
                          max_points=max_points, random_state=seed)


def downloaded(name: str) -> bool:
    """True for a registered dataset that is not shipped (downloaded once on first use, then cached)."""
    from unlearn_core import datasets

    spec = datasets.registry().get(name)
    return spec is not None and not spec.shipped
