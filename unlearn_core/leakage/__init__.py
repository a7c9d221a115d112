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

from ._registry import MethodSpec, estimate, method_spec, methods, specs
from ._types import LeakageEstimate
from .softmax import softmax_averaging_mi, softmax_averaging_mi_torch

# Importing the estimator modules registers them (order = order in pickers).
from . import parametric as _parametric  # noqa: E402,F401
from . import knn as _knn  # noqa: E402,F401
from . import probe as _probe  # noqa: E402,F401
from . import neural as _neural  # noqa: E402,F401
from . import kernel as _kernel  # noqa: E402,F401
from . import wasserstein as _wasserstein  # noqa: E402,F401
from . import ground_truth  # noqa: E402


def __getattr__(name: str):
    # The torch penalties load on first use: importing the estimators (or a frontier) loads no torch.
    if name == "differentiable":
        from importlib import import_module

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
