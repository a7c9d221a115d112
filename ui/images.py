"""Cached engine calls of the image unlearning page (``pages/images.py``).

The fit and the frontier take seconds to a minute the first time, so the page shows a progress bar
while they run. ``st.cache_resource`` cannot drive a progress bar drawn outside the cached function
(Streamlit refuses to replay such calls), so the heavy results live in a small process-wide LRU store
that *is* a cache resource: the page looks a key up, and on a miss runs the engine with a progress
callback and stores the result. Everything else (the grid at t) is cheap and computed per rerun.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from unlearn_core import datasets, images
from unlearn_core.datasets import Dataset

from .cache import DataKey, load_data

TEST_SIZE = 0.3
PER_GROUP = 8  # images of each group in the grid
Progress = Callable[[float, str], None]


def image_datasets() -> list[str]:
    """Registered image datasets, the shipped ones first (digits works offline)."""
    specs = [s for s in datasets.registry().values() if getattr(s, "kind", "") == "image"]
    return [s.name for s in sorted(specs, key=lambda s: not s.shipped)]


@dataclass(frozen=True)
class ImageKey:
    """What identifies a fit on this page: dataset, attribute, method, seed."""

    dataset: str
    attribute: str
    method: str
    seed: int

    @property
    def label(self) -> str:
        return f"{self.dataset}-{self.attribute}-{self.method}-seed{self.seed}"


@dataclass(frozen=True, eq=False)
class ImageFit:
    """A fitted transport with the split it was fitted on and the grid's sample."""

    key: ImageKey
    dataset: Dataset
    train: tuple[np.ndarray, np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray, np.ndarray]
    fit: images.ImageTransport
    sample: images.GridSample


class _Store:
    """A thread-safe LRU map for heavy results (one per server process, via ``st.cache_resource``)."""

    def __init__(self, max_entries: int) -> None:
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key: Any) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._max:
                self._data.popitem(last=False)


@st.cache_resource
def _fits() -> _Store:
    return _Store(6)


@st.cache_resource
def _frontiers() -> _Store:
    return _Store(12)


def load_images(dataset: str, attribute: str) -> Dataset:
    """The image dataset with Z = the measured ``attribute`` (cached with the app's other datasets)."""
    return load_data(DataKey(dataset, attribute, None))


def is_fitted(key: ImageKey) -> bool:
    return _fits().get(key) is not None


def image_fit(key: ImageKey, progress: Progress | None = None) -> ImageFit:
    """The fitted transport for ``key`` (train/test split seeded by ``key.seed``), fitted on a miss."""
    hit = _fits().get(key)
    if hit is not None:
        return hit
    ds = load_images(key.dataset, key.attribute)
    train, test = datasets.split(ds, test_size=TEST_SIZE, random_state=key.seed)
    tr = (train.X.to_numpy(), train.y.to_numpy(), train.z.to_numpy())
    te = (test.X.to_numpy(), test.y.to_numpy(), test.z.to_numpy())
    fit = images.fit_image_transport(
        tr[0],
        tr[2],
        image_shape=ds.image_shape,
        method=key.method,
        random_state=key.seed,
        progress=progress,
        y=tr[1],
    )
    rows = images.pick_sample(te[2], per_group=PER_GROUP, random_state=key.seed)
    sample = images.grid_sample(fit, te[0], te[2], rows, key.attribute)
    out = ImageFit(key=key, dataset=ds, train=tr, test=te, fit=fit, sample=sample)
    _fits().put(key, out)
    return out


def image_frontier(key: ImageKey, progress: Progress | None = None) -> images.ImageFrontier:
    """Accuracy and attacker AUC along ``images.DEFAULT_TS`` for ``key`` (computed on a miss)."""
    hit = _frontiers().get(key)
    if hit is not None:
        return hit
    f = image_fit(key)
    out = images.image_frontier(f.fit, f.train, f.test, random_state=key.seed, progress=progress)
    _frontiers().put(key, out)
    return out


def frontier_ready(key: ImageKey) -> bool:
    return _frontiers().get(key) is not None


def grid_png(key: ImageKey, t: float) -> bytes:
    """The grid of originals and images at t as PNG bytes (fast: blends and measures 16 images)."""
    return images.render_grid(image_fit(key).sample, t)


# -- what the page lists, so that it imports no engine module itself -------------------------------
def method_titles() -> dict[str, str]:
    """Image transport methods in menu order, with their one-line descriptions."""
    return {m: images.METHODS[m] for m in images.methods()}


def attributes() -> dict[str, tuple[tuple[str, str], str]]:
    """Measured attributes (Morpho-MNIST style): name -> ((group names), unit)."""
    from unlearn_core.datasets import morpho

    return {a: (tuple(morpho.GROUPS[a]), morpho.UNITS[a]) for a in morpho.ATTRIBUTES}


def dataset_title(name: str) -> str:
    return datasets.registry()[name].title
