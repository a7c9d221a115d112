"""Leakage: estimators of I(S'; Z), alternative leakage measures, ground truth and torch penalties.

>>> from unlearn_core import leakage
>>> leakage.methods()                       # the registry the UI builds its pickers from
>>> est = leakage.estimate(S, z, method="knn", n_boot=200, random_state=0)
>>> est.value, est.ci, est.bias

``leakage.method_spec(name)`` describes a method (title, is_mi, input kind, differentiable, bias, when
to use); ``leakage.guide()`` lists all of them as plain dicts. Differentiable versions for training are
in :mod:`unlearn_core.leakage.differentiable` (``PENALTIES``, imported on first use: it needs torch, which
the estimators import only inside the torch-based methods); synthetic worlds with a known MI in
:mod:`unlearn_core.leakage.ground_truth` (``WORLDS``).
"""

from importlib import import_module

from . import ground_truth
from ._registry import MethodSpec, estimate, method_spec, methods, specs
from ._types import LeakageEstimate
from .softmax import softmax_averaging_mi, softmax_averaging_mi_torch

#: The estimator modules; importing one registers its methods, so this order is the order in pickers
#: (after softmax averaging, registered by ``softmax`` above). Kept as data because sorted imports
#: would reorder the pickers.
_ESTIMATOR_MODULES = ("parametric", "knn", "probe", "neural", "kernel", "wasserstein")
for _module in _ESTIMATOR_MODULES:
    import_module(f".{_module}", __name__)
del _module


def __getattr__(name: str):
    # The torch penalties load on first use: importing the estimators (or a frontier) loads no torch.
    if name == "differentiable":
        return import_module(".differentiable", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def guide() -> list[dict]:
    """One JSON-friendly dict per method (MI estimators first) for the "which estimator when" table."""
    return [method_spec(name).as_dict() for name in methods()]


__all__ = [
    "LeakageEstimate",
    "MethodSpec",
    "differentiable",
    "estimate",
    "ground_truth",
    "guide",
    "method_spec",
    "methods",
    "softmax_averaging_mi",
    "softmax_averaging_mi_torch",
    "specs",
]
