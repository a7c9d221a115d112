"""Regularised training: torch models minimising task loss + lam * I_hat(S'; Z).

docs/design.md section 3.3 (Xu & Strohmer 2025, arXiv 2502.05684). The output S' of a classifier (softmax
probabilities) or regressor (the prediction) is pushed towards independence from the attribute Z by a
differentiable leakage estimate from :data:`unlearn_core.leakage.differentiable.PENALTIES`; held-out
leakage is then measured by *other* estimators (a probe attacker, k-NN MI) so the model cannot have
simply fooled its own regulariser.

>>> from unlearn_core import datasets, training
>>> ds = datasets.load("toy-gaussians", n_samples=600, random_state=0)
>>> res = training.train(ds, lam=100.0, epochs=10)
>>> res.metrics["dp_gap"], res.metrics["probe_auc"]  # doctest: +SKIP

Public pieces for reuse (data-point unlearning builds on them): :func:`fit` (the loop on raw arrays),
:func:`stratified_batches`, :func:`make_optimizer`, :func:`task_loss`, :func:`model_outputs`,
:func:`get_penalty`, :func:`evaluate`, :func:`probe_attack`, :func:`knn_mi`.
"""

from ._evaluate import EVAL_ESTIMATORS, attack_view, evaluate, knn_mi, probe_attack
from ._loop import (
    get_penalty,
    make_optimizer,
    model_outputs,
    stratified_batches,
    task_loss,
    torch_threads,
)
from ._train import FitConfig, TrainConfig, dataset_arrays, finish, fit, train, train_test_arrays
from ._types import ModelSpec, Scaler, TrainResult

__all__ = [
    "EVAL_ESTIMATORS",
    "FitConfig",
    "ModelSpec",
    "Scaler",
    "TrainConfig",
    "TrainResult",
    "attack_view",
    "dataset_arrays",
    "evaluate",
    "finish",
    "fit",
    "get_penalty",
    "knn_mi",
    "make_optimizer",
    "model_outputs",
    "probe_attack",
    "stratified_batches",
    "task_loss",
    "torch_threads",
    "train",
    "train_test_arrays",
]
