"""Differentiable leakage penalties (torch) for use as training regularisers.

``PENALTIES`` maps a name to ``fn(outputs, z, n_groups) -> 0-d tensor`` where ``outputs`` is the model
output S' as an (n, C) tensor (class probabilities for classification, an (n, 1) prediction for
regression), ``z`` holds integer group codes in 0..n_groups-1 and the result is differentiable in
``outputs``. Training and data-point unlearning pick their regulariser from this registry.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .softmax import softmax_averaging_mi_torch

Penalty = Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]

PENALTIES: dict[str, Penalty] = {
    "softmax-averaging": softmax_averaging_mi_torch,
}

# Which penalties need probability vectors (classification only).
NEEDS_PROBABILITIES: set[str] = {"softmax-averaging"}
