"""Datasets: the :class:`Dataset` type, built-in real and synthetic data, and user CSVs.

>>> from unlearn_core import datasets
>>> ds = datasets.load("toy-gaussians", n_samples=500, random_state=0)
>>> train, test = datasets.split(ds, test_size=0.3, random_state=0)
"""

from ._base import Dataset, DatasetError, DatasetSpec, load, names, registry, split
from . import toy as _toy  # noqa: F401  (registers the built-ins, default first)
from .toy import toy_gaussians

__all__ = [
    "Dataset",
    "DatasetError",
    "DatasetSpec",
    "load",
    "names",
    "registry",
    "split",
    "toy_gaussians",
]
