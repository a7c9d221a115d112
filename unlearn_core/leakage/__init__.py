"""Leakage: estimators of I(S'; Z) and alternative leakage measures."""

from ._types import LeakageEstimate
from .softmax import softmax_averaging_mi, softmax_averaging_mi_torch

__all__ = ["LeakageEstimate", "softmax_averaging_mi", "softmax_averaging_mi_torch"]
