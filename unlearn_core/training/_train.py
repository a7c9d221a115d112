"""``train``: regularised training on a Dataset, with a held-out split for evaluation; ``TrainConfig``."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from .._utils import RandomState, seed_from
from .._validation import check_scalar
from ._evaluate import EVAL_ESTIMATORS, evaluate
from ._loop import TASKS, Progress, ShouldStop, _validate, fit, torch_threads
from ._types import TrainResult


def dataset_arrays(dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, y, z) of a Dataset as numpy arrays, checking it has a target to train on."""
    if dataset.y is None or dataset.task not in ("classification", "regression"):
        raise ValueError(
            f"dataset {dataset.name!r} has no classification or regression target (task={dataset.task!r}); "
            "training needs one: pick a dataset with a target"
        )
    X = dataset.X.to_numpy(dtype=float)
    y = dataset.y.to_numpy()
    if dataset.task == "regression":
        y = y.astype(float)
    return X, y, dataset.z.to_numpy()


def train_test_arrays(dataset, *, test_size: float, random_state: RandomState):
    """Split ``dataset`` with ``datasets.split`` and return ((X, y, z) train, (X, y, z) test, labels)."""
    from ..datasets import split

    tr, te = split(dataset, test_size=test_size, random_state=random_state)
    train_arrays, test_arrays = dataset_arrays(tr), dataset_arrays(te)
    # Label orders from the whole dataset, so train and test share class and group codes.
    _, y_all, z_all = dataset_arrays(dataset)
    classes = np.unique(y_all) if dataset.task == "classification" else None
    return train_arrays, test_arrays, classes, np.unique(z_all)


def finish(result: TrainResult, test: tuple[np.ndarray, np.ndarray, np.ndarray], *,
           eval_estimators: Sequence[str], random_state: RandomState, extra_seconds: float = 0.0,
           num_threads: int | None = 1) -> TrainResult:
    """Add the final held-out metrics (:func:`evaluate`) and timing to a fitted result."""
    start = time.perf_counter()
    Xe, ye, ze = test
    if result.diverged and not all(bool(torch.isfinite(v).all()) for v in result.state_dict.values()):
        # a model whose weights blew up has no finite outputs: no held-out metric can be computed, and
        # the message already says what to change (a NaN loss stops before the update: those weights
        # are still usable and are evaluated as usual)
        nan = float("nan")
        nan_metrics = {k: nan for k in ("accuracy", "auc", "dp_gap", "probe_auc", "probe_mi")}
        metrics = {**nan_metrics, **result.metrics}
        return dataclasses.replace(result, metrics=metrics,
                                   seconds=result.seconds + extra_seconds + (time.perf_counter() - start))
    with torch_threads(num_threads):
        S = result.predict_outputs(Xe)
        if result.task == "classification":
            y_eval = np.searchsorted(result.classes, ye)
        else:
            y_eval = np.asarray(ye, dtype=float)
        metrics = evaluate(S, y_eval, ze, task=result.task, estimators=eval_estimators,
                           random_state=random_state)
    nan = float("nan")
    metrics = {**metrics, "task_loss": result.metrics.get("task_loss", nan),
               "reg": result.metrics.get("reg", nan), "test_reg": result.metrics.get("test_reg", nan)}
    seconds = result.seconds + extra_seconds + (time.perf_counter() - start)
    return dataclasses.replace(result, metrics=metrics, seconds=seconds)


def train(
    dataset,
    *,
    lam: float,
    estimator: str = "softmax-averaging",
    model: str = "mlp",
    hidden: tuple[int, ...] = (64, 32),
    epochs: int = 20,
    batch_size: int = 256,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    random_state: RandomState = 0,
    init: TrainResult | Mapping[str, torch.Tensor] | None = None,
    test_size: float = 0.3,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    eval_every: int = 1,
    eval_estimators: Sequence[str] = EVAL_ESTIMATORS,
    num_threads: int | None = 1,
) -> TrainResult:
    """Train a model on ``dataset`` minimising task loss + lam * I_hat(S'; Z); evaluate it held out.

    .. math::

        \\min_\\theta \\; \\mathbb E\\,\\ell(f_\\theta(X), Y) + \\lambda \\, \\hat I(f_\\theta(X); Z)

    (docs/design.md section 3.3; Xu & Strohmer 2025). The dataset is split with
    ``datasets.split(dataset, test_size=test_size, random_state=random_state)`` (stratified by Z and Y);
    features are standardised with training-split statistics; the model is trained on the training
    split with minibatches that contain every group of Z (:func:`stratified_batches`) and evaluated on
    the held-out split by :func:`evaluate` with estimators different from the trained one.

    Parameters
    ----------
    dataset : a :class:`~unlearn_core.datasets.Dataset` with a classification or regression target.
    lam : regularisation weight >= 0 (0 is plain training). Softmax averaging measures only the
        first moment of the outputs and its values are small (hundredths of a nat), so useful lam
        values run from about 1 to 100; see ``unlearn_core.frontier.trained.DEFAULT_LAMBDAS``.
    estimator : the differentiable estimator trained against (``leakage.differentiable.PENALTIES``).
    model, hidden : "mlp" (ReLU, hidden widths) or "logistic".
    epochs, batch_size, lr, weight_decay : Adam optimisation.
    random_state : seeds the split, the initialisation and the batches; the same seed gives the same
        numbers.
    init : warm start from a previous TrainResult or a state dict.
    test_size : held-out share.
    progress : ``progress(step, total, metrics)`` after each epoch (metrics of that epoch).
    should_stop : polled before every step; True stops cleanly with ``stopped=True``.
    eval_every : epochs between held-out history rows (0: only at the end).
    eval_estimators : held-out leakage evaluators, any of ("probe", "knn").
    num_threads : torch threads during training (restored afterwards); None leaves torch's setting.
        Default 1: small models gain nothing from intra-op threads and suffer badly from
        oversubscription on a busy machine (see :func:`fit`).

    Returns
    -------
    TrainResult. Divergence (a NaN loss) does not raise: ``diverged=True`` and ``message`` explain it.
    """
    task = dataset.task if getattr(dataset, "task", None) in TASKS else "classification"
    _validate(lam, epochs, batch_size, eval_every, task, lr=lr, weight_decay=weight_decay,
              random_state=random_state, num_threads=num_threads)
    check_scalar(test_size, "test_size", float, min_val=0.0, max_val=1.0, include_boundaries="neither")
    start = time.perf_counter()
    seed = seed_from(random_state)
    train_xyz, test_xyz, classes, groups = train_test_arrays(dataset, test_size=test_size, random_state=seed)
    result = fit(
        *train_xyz, task=dataset.task, lam=lam, estimator=estimator, model=model, hidden=hidden,
        epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay, random_state=seed, init=init,
        eval_set=test_xyz, eval_every=eval_every, classes=classes, groups=groups, progress=progress,
        should_stop=should_stop, num_threads=num_threads,
    )
    prep = time.perf_counter() - start - result.seconds
    return finish(result, test_xyz, eval_estimators=eval_estimators, random_state=seed, extra_seconds=prep,
                  num_threads=num_threads)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """The knobs of one regularised training run (hashable, so it makes a good UI cache key).

    ``TrainConfig(lam=50).run(dataset)`` is the same as ``train(dataset, lam=50)``.
    """

    model: str = "mlp"
    hidden: tuple[int, ...] = (64, 32)
    epochs: int = 20
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 0.0
    estimator: str = "softmax-averaging"
    lam: float = 0.0
    random_state: int = 0

    def kwargs(self) -> dict[str, Any]:
        """The options as keyword arguments of :func:`~unlearn_core.training.train`."""
        out = dataclasses.asdict(self)
        out["hidden"] = tuple(self.hidden)
        return out

    def run(self, dataset, **options: Any) -> TrainResult:
        """Train on ``dataset`` with this configuration (``options`` are passed on to ``train``)."""
        return train(dataset, **{**self.kwargs(), **options})
