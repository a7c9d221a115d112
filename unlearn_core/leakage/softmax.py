"""The paper's softmax-averaging estimator of I(Y_hat; Z), in numpy and in torch (differentiable)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._utils import encode_groups

if TYPE_CHECKING:  # torch is imported inside the torch version only
    import torch


def softmax_averaging_mi(P: np.ndarray, z: np.ndarray) -> float:
    """Plug-in MI between a classifier's (soft) prediction and Z, from averaged softmax outputs.

    .. math::

        P(c, z) = \\frac1N \\sum_i p_i[c] \\, 1\\{z_i = z\\}, \\quad
        I = \\sum_{c, z} P(c, z) \\log \\frac{P(c, z)}{P(c) \\, \\pi_z}

    where p_i is row i of ``P`` (a probability vector over C classes), pi_z = P(Z = z) the empirical
    group share and P(c) = sum_z P(c, z) (Xu & Strohmer 2025, docs/design.md section 3.2). Equivalently the
    pi-weighted Jensen-Shannon divergence of the groups' mean probability vectors. In nats; bounded by
    H(Z); compares first moments of the outputs only (0 does not imply independence).
    """
    P = np.asarray(P, dtype=float)
    if P.ndim != 2:
        raise ValueError(f"P must be (n_samples, n_classes) probabilities, got shape {P.shape}")
    codes, labels = encode_groups(z)
    if codes.size != P.shape[0]:
        raise ValueError(f"P has {P.shape[0]} rows but z has {codes.size}")
    n = P.shape[0]
    onehot = np.zeros((n, labels.size))
    onehot[np.arange(n), codes] = 1.0
    joint = onehot.T @ P / n  # (K, C)
    pz = joint.sum(axis=1, keepdims=True)
    pc = joint.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(joint > 0, joint * np.log(joint / (pz * pc)), 0.0)
    return float(terms.sum())


def softmax_averaging_mi_torch(
    probs: torch.Tensor, z: torch.Tensor, n_groups: int, eps: float = 1e-12
) -> torch.Tensor:
    """Differentiable version of :func:`softmax_averaging_mi` for training regularisers.

    ``probs`` is (n, C) softmax outputs (gradients flow through them), ``z`` integer group codes
    in 0..n_groups-1. Returns a 0-d tensor in nats.
    """
    import torch
    onehot = torch.nn.functional.one_hot(z.long(), n_groups).to(probs.dtype)
    joint = onehot.T @ probs / probs.shape[0]  # (K, C)
    pz = joint.sum(dim=1, keepdim=True)
    pc = joint.sum(dim=0, keepdim=True)
    return (joint * (torch.log(joint + eps) - torch.log(pz * pc + eps))).sum()


def _softmax_estimator(P: np.ndarray, codes: np.ndarray, n_groups: int, *, rng=None):
    from ._registry import _Core

    return _Core(raw=softmax_averaging_mi(P, codes), diagnostics={"n_classes": int(P.shape[1])})


def _register() -> None:
    from ._registry import MethodSpec, register

    register(MethodSpec(
        name="softmax-averaging",
        title="Softmax averaging (the paper's estimator)",
        is_mi=True,
        input="probabilities",
        differentiable=True,
        unit="nats",
        bias=(
            "Downwards as a measure of I(S'; Z): it sees only the groups' mean probability vectors (0 does "
            "not mean independence); slightly upwards from sampling noise at small n."
        ),
        when_to_use=(
            "Classifier outputs; the quantity the paper trains against (cheap, differentiable). Evaluate "
            "trained models with another estimator too: training drives this one to 0 first."
        ),
        bootstrap="refit",
        fn=_softmax_estimator,
    ))


_register()
