"""Torch models used by regularised training and data-point unlearning, built from a registry.

Numpy lives at the public boundary of the engine; this module is where arrays become tensors
(:func:`to_tensor`) and where models are built with a private, seeded generator (never the global
torch seed).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from ._utils import RandomState, seed_from
from ._validation import check_option, check_scalar, check_seed

__all__ = ["MODELS", "make_model", "to_tensor", "torch_generator", "predict_outputs"]


def torch_generator(random_state: RandomState) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded from ``random_state`` (int, numpy Generator or None)."""
    g = torch.Generator()
    g.manual_seed(seed_from(random_state))
    return g


def to_tensor(a: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Convert a numpy array (or pandas object) to a CPU tensor of ``dtype`` without sharing memory."""
    return torch.as_tensor(np.array(a, copy=True), dtype=dtype)


def _init_linear(layer: nn.Linear, gen: torch.Generator) -> None:
    # Same law as torch's default nn.Linear init (Kaiming-uniform with a = sqrt(5)), drawn from gen.
    fan_in = layer.in_features
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=gen)
        if layer.bias is not None:
            layer.bias.uniform_(-bound, bound, generator=gen)


def logistic(n_features: int, n_outputs: int, *, random_state: RandomState = 0) -> nn.Module:
    """Multinomial logistic regression: one linear layer producing logits."""
    gen = torch_generator(random_state)
    model = nn.Linear(n_features, n_outputs)
    _init_linear(model, gen)
    return model


def mlp(
    n_features: int,
    n_outputs: int,
    *,
    hidden: Sequence[int] = (64, 32),
    dropout: float = 0.0,
    random_state: RandomState = 0,
) -> nn.Module:
    """Multi-layer perceptron with ReLU activations: n_features -> hidden[0] -> ... -> n_outputs logits."""
    if any(int(h) <= 0 for h in hidden):
        raise ValueError(f"hidden widths must be positive integers, got {tuple(hidden)}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    gen = torch_generator(random_state)
    layers: list[nn.Module] = []
    width = n_features
    for h in hidden:
        lin = nn.Linear(width, int(h))
        _init_linear(lin, gen)
        layers += [lin, nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = int(h)
    out = nn.Linear(width, n_outputs)
    _init_linear(out, gen)
    layers.append(out)
    return nn.Sequential(*layers)


MODELS: dict[str, Callable[..., nn.Module]] = {"logistic": logistic, "mlp": mlp}


def make_model(
    name: str, n_features: int, n_outputs: int, *, random_state: RandomState = 0, **options
) -> nn.Module:
    """Build the registered model ``name`` (``"logistic"`` or ``"mlp"``) with a seeded initialisation."""
    check_option(name, "model", MODELS)
    n_features = check_scalar(n_features, "n_features", int, min_val=1)
    n_outputs = check_scalar(n_outputs, "n_outputs", int, min_val=1)
    check_seed(random_state)
    return MODELS[name](n_features, n_outputs, random_state=random_state, **options)


@torch.no_grad()
def predict_outputs(
    model: nn.Module, X: np.ndarray, *, task: str = "classification", batch_size: int = 8192
) -> np.ndarray:
    """Model outputs on ``X`` as numpy.

    Class probabilities (n, C) for classification, predictions (n,) for regression.
    """
    was_training = model.training
    model.eval()
    outs = []
    Xt = to_tensor(X)
    for start in range(0, len(Xt), batch_size):
        out = model(Xt[start : start + batch_size])
        outs.append(torch.softmax(out, dim=1) if task == "classification" else out.squeeze(-1))
    model.train(was_training)
    return torch.cat(outs).numpy().astype(np.float64)
