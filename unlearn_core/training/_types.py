"""Result types of regularised training: ModelSpec, Scaler, TrainResult (TrainConfig is beside ``train``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # torch is imported lazily so that importing the types stays cheap
    import torch
    from torch import nn


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to rebuild a trained torch model: registry name, sizes and options."""

    name: str
    n_features: int
    n_outputs: int
    hidden: tuple[int, ...] = ()

    def build(self) -> nn.Module:
        from ..models import make_model

        options = {"hidden": tuple(self.hidden)} if self.name == "mlp" else {}
        return make_model(self.name, self.n_features, self.n_outputs, random_state=0, **options)


@dataclass(frozen=True, eq=False)
class Scaler:
    """Feature standardisation x -> (x - mean) / std, with statistics from the training rows only."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray) -> Scaler:
        mean = X.mean(axis=0)
        std = X.std(axis=0)
        # Constant columns (e.g. an absent one-hot level) are left unscaled instead of divided by 0.
        std = np.where(std > 1e-12, std, 1.0)
        return cls(mean, std)

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.std


@dataclass(frozen=True, eq=False)
class TrainResult:
    """A model trained with task loss + lam * I_hat(S'; Z), its history and its held-out metrics.

    Attributes
    ----------
    state_dict : the trained weights (cloned tensors).
    spec : how to rebuild the model (:meth:`build_model`).
    task : "classification" or "regression".
    scaler : feature standardisation fitted on the training rows; :meth:`predict` applies it.
    classes : class labels (classification; output column c is ``classes[c]``), else None.
    target_mean, target_std : regression targets are standardised for training; predictions are
        mapped back to the original units.
    groups : the labels of Z, in the order of the group codes used in training.
    lam, estimator : the regularisation weight and the differentiable estimator trained against.
    history : one row per evaluated epoch: epoch, step, task_loss, reg, total (training means over the
        epoch), the held-out utility, DP gap and regulariser (``test_*`` columns), seconds.
    metrics : final held-out metrics (see :func:`~unlearn_core.training.evaluate`), plus the final
        training ``task_loss`` and ``reg``.
    seconds : wall time of training (and of the final evaluation in ``train``).
    n_epochs, n_steps : epochs and optimiser steps actually done.
    stopped : ``should_stop()`` returned True and training ended early (the weights are usable).
    diverged : the loss became NaN/inf; training stopped before applying the bad step.
    message : a sentence for the user when ``stopped`` or ``diverged`` (else "").
    config : the options the run was called with.
    """

    state_dict: Mapping[str, torch.Tensor]
    spec: ModelSpec
    task: str
    scaler: Scaler
    classes: np.ndarray | None
    target_mean: float
    target_std: float
    groups: np.ndarray
    lam: float
    estimator: str
    history: pd.DataFrame
    metrics: Mapping[str, float] = field(default_factory=dict)
    seconds: float = float("nan")
    n_epochs: int = 0
    n_steps: int = 0
    stopped: bool = False
    diverged: bool = False
    message: str = ""
    config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def converged(self) -> bool:
        """True when training ran all its epochs without divergence or cancellation."""
        return not (self.stopped or self.diverged)

    def build_model(self) -> nn.Module:
        """A fresh torch module carrying the trained weights (in eval mode)."""
        model = self.spec.build()
        model.load_state_dict(self.state_dict)
        model.eval()
        return model

    def predict_outputs(self, X) -> np.ndarray:
        """S' on raw features: (n, C) class probabilities, or (n,) predictions in the target's units."""
        from .._utils import as_2d_float
        from ..models import predict_outputs

        Xs = self.scaler.transform(as_2d_float(X))
        out = predict_outputs(self.build_model(), Xs, task=self.task)
        if self.task == "regression":
            out = out * self.target_std + self.target_mean
        return out

    def predict(self, X) -> np.ndarray:
        """Same as :meth:`predict_outputs`: probabilities (classification) or predictions (regression)."""
        return self.predict_outputs(X)

    def predict_labels(self, X) -> np.ndarray:
        """Most probable class label per row (classification only)."""
        if self.task != "classification":
            raise ValueError("predict_labels is for classification; use predict for regression")
        return self.classes[np.argmax(self.predict_outputs(X), axis=1)]
