"""Datasets: the :class:`Dataset` type, built-in real and synthetic data, and user CSVs.

>>> from unlearn_core import datasets
>>> ds = datasets.load("toy-gaussians", n_samples=500, random_state=0)
>>> train, test = datasets.split(ds, test_size=0.3, random_state=0)

Built-ins, in registry order (the default first): toy-gaussians, toy-nonlinear, gmm-10d, digits,
adult, adult-calmon, german, crime (all offline), then compas, law and mnist (downloaded once into
a cache; see :mod:`unlearn_core.datasets.remote`). Every loader accepts ``sensitive=`` (the choices
in its :class:`DatasetSpec`) and ``random_state=``.
"""

from ._base import Dataset, DatasetError, DatasetSpec, load, names, register, registry, split
from . import toy as _toy  # noqa: F401  (registers the toys, the default first)
from .images import DIGITS_SPEC, MNIST_SPEC, digits, mnist, parse_idx
from .remote import SPECS as _REMOTE_SPECS
from .remote import RemoteFile, cache_dir, compas, law
from .tabular import SPECS as _TABULAR_SPECS
from .tabular import adult, adult_calmon, crime, german
from .toy import gmm_10d, toy_gaussians, toy_nonlinear
from ._files import escape_formulas, safe_csv
from .usercsv import csv_columns, from_csv

for _spec in (DIGITS_SPEC, *_TABULAR_SPECS, *_REMOTE_SPECS, MNIST_SPEC):
    if _spec.name not in registry():
        register(_spec)

__all__ = [
    "Dataset",
    "DatasetError",
    "DatasetSpec",
    "RemoteFile",
    "adult",
    "adult_calmon",
    "cache_dir",
    "compas",
    "crime",
    "csv_columns",
    "digits",
    "escape_formulas",
    "from_csv",
    "german",
    "gmm_10d",
    "law",
    "load",
    "mnist",
    "names",
    "parse_idx",
    "registry",
    "safe_csv",
    "split",
    "toy_gaussians",
    "toy_nonlinear",
]
