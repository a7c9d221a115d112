"""``fit`` (the loop on arrays), ``train`` (on a Dataset, evaluated held out); ``TrainConfig``, ``FitConfig``.

Objective (docs/design.md section 3.3; Xu & Strohmer 2025, arXiv 2502.05684): see :mod:`._loop`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from .._config import config_signature, resolve
from .._utils import RandomState, seed_from
from .._validation import check_scalar
from ..models import to_tensor
from ._evaluate import EVAL_ESTIMATORS, evaluate
from ._loop import (
    TASKS,
    Progress,
    ShouldStop,
    _build_model,
    _check_arrays,
    _check_final_weights,
    _encode_targets,
    _eval_tensors,
    _Loop,
    _LoopState,
    _pick_penalty,
    _run_epochs,
    _validate,
    make_optimizer,
    torch_threads,
)
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


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """The knobs of one regularised training run (hashable, so it makes a good UI cache key).

    ``TrainConfig(lam=50).run(dataset)`` is the same as ``train(dataset, lam=50)``. ``eval_every`` and
    ``num_threads`` are described in :func:`fit`.
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
    eval_every: int = 1
    num_threads: int | None = 1

    def kwargs(self) -> dict[str, Any]:
        """The options as keyword arguments of :func:`~unlearn_core.training.train`."""
        out = dataclasses.asdict(self)
        out["hidden"] = tuple(self.hidden)
        return out

    def run(self, dataset, **options: Any) -> TrainResult:
        """Train on ``dataset`` with this configuration (``options`` are passed on to ``train``)."""
        return train(dataset, **{**self.kwargs(), **options})


@dataclasses.dataclass(frozen=True)
class FitConfig(TrainConfig):
    """:class:`TrainConfig` plus what :func:`fit` alone needs: the task and the progress bar's span."""

    task: str = "classification"
    step_offset: int = 0
    total_steps: int | None = None


def _fit_config(config: TrainConfig | None, overrides: dict[str, Any]) -> FitConfig:
    """``fit``'s settings: a TrainConfig is widened to a FitConfig, then the keyword overrides applied."""
    if config is not None and type(config) is TrainConfig:
        config = FitConfig(**{f.name: getattr(config, f.name) for f in dataclasses.fields(TrainConfig)})
    return resolve(FitConfig, config, overrides, "fit")


@config_signature(FitConfig)
def fit(
    X: np.ndarray,
    y: np.ndarray,
    z: np.ndarray,
    config: TrainConfig | None = None,
    *,
    init: TrainResult | Mapping[str, torch.Tensor] | None = None,
    eval_set: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    classes: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    **overrides: Any,
) -> TrainResult:
    """Train a torch model on raw arrays with task loss + lam * I_hat(S'; Z) (see the module docstring).

    Parameters
    ----------
    X : (n, d) raw features; standardised inside with statistics of these rows (``result.scaler``).
    y : (n,) class labels (classification) or real targets (regression, standardised inside).
    z : (n,) labels of the attribute to forget.
    config : a :class:`FitConfig` (or :class:`TrainConfig`) holding the settings below; any of them may
        also be given as a keyword, which overrides the config's value (an unknown keyword is a TypeError).
    task : "classification" or "regression".
    lam : weight of the regulariser (>= 0). lam = 0 is plain training: the penalty is then only logged,
        never differentiated, so the weights equal those of an unregularised loop with the same seed.
    estimator : name in ``leakage.differentiable.PENALTIES``.
    model, hidden : a name in ``models.MODELS`` and (for "mlp") the hidden widths.
    epochs, batch_size, lr, weight_decay : optimisation (Adam; AdamW when weight_decay > 0).
    random_state : seeds the initialisation and the batches (a private torch/numpy generator; no
        global seeding).
    init : a previous TrainResult or a state dict to start from (warm start); its scaler is reused when
        it is a TrainResult, so warm starts along a lam sweep see identical inputs.
    eval_set : optional raw (X, y, z) held-out arrays for the per-epoch history.
    eval_every : evaluate the held-out history every this many epochs (0: only after the last epoch).
    classes, groups : label orders for y and z (default: sorted distinct values of ``y`` / ``z``).
    progress : called as ``progress(step, total, metrics)`` after each epoch.
    should_stop : polled before every step; when it returns True training stops cleanly
        (``stopped=True``, weights usable).
    step_offset, total_steps : let a sweep report one progress bar across several runs.
    num_threads : torch intra-op threads during this call (restored afterwards); None leaves torch's
        setting. The default 1 is deliberate: these models are small (a 256 x 64 matmul gains nothing
        from a second thread) and on a busy machine oversubscribed intra-op threads spin-wait; on the
        shared 2-core box a 5-epoch Adult fit took 2.5 s with 1 thread and 78 s with 2.

    Returns
    -------
    TrainResult with ``metrics`` holding the last training epoch's ``task_loss`` and ``reg`` and the
    last held-out evaluation (``test_*``) when ``eval_set`` is given.
    """
    c = _fit_config(config, overrides)
    _validate(c.lam, c.epochs, c.batch_size, c.eval_every, c.task, lr=c.lr, weight_decay=c.weight_decay,
              random_state=c.random_state, num_threads=c.num_threads)
    start = time.perf_counter()
    X, y, z = _check_arrays(X, y, z, c.task)
    penalty = _pick_penalty(c.estimator, c.task, c.lam)
    tg = _encode_targets(y, z, c.task, classes, groups)
    seed = seed_from(c.random_state)
    scaler, spec, net = _build_model(X, tg.n_outputs, init, model=c.model, hidden=c.hidden, seed=seed)
    lp = _Loop(net=net, optimizer=make_optimizer(net, lr=c.lr, weight_decay=c.weight_decay),
               X_t=to_tensor(scaler.transform(X)), tg=tg, z_t=torch.as_tensor(tg.z_codes), penalty=penalty,
               rng=np.random.default_rng([seed, 1]),  # batches: a stream separate from the initialisation
               ev=None, task=c.task, lam=c.lam, lr=c.lr, start=start)
    lp.ev = _eval_tensors(eval_set, scaler, tg, c.task, seed)
    steps_per_epoch = max(1, math.ceil(len(X) / int(c.batch_size)))
    total = c.total_steps if c.total_steps is not None else c.step_offset + int(c.epochs) * steps_per_epoch

    def report(step: int, row: dict[str, float]) -> None:
        if progress is not None:
            progress(c.step_offset + step, total, {"lam": float(c.lam), **row})

    st = _LoopState()
    with torch_threads(c.num_threads):
        _run_epochs(lp, st, epochs=c.epochs, batch_size=c.batch_size, eval_every=c.eval_every,
                    should_stop=should_stop, report=report)
    _check_final_weights(lp, st)
    net.eval()
    return _fit_result(c, lp, st, scaler, spec, seed)


def _fit_result(c: FitConfig, lp: _Loop, st: _LoopState, scaler, spec, seed: int) -> TrainResult:
    """The last step of ``fit``: the trained weights, history and settings as a TrainResult."""
    metrics = dict(st.last)
    if st.rows:
        metrics.update({k: v for k, v in st.rows[-1].items() if k.startswith("test_")})
    return TrainResult(
        state_dict={k: v.detach().clone() for k, v in lp.net.state_dict().items()},
        spec=spec,
        task=c.task,
        scaler=scaler,
        classes=lp.tg.classes,
        target_mean=lp.tg.t_mean,
        target_std=lp.tg.t_std,
        groups=lp.tg.groups,
        lam=float(c.lam),
        estimator=c.estimator,
        history=pd.DataFrame(st.rows),
        metrics=metrics,
        seconds=time.perf_counter() - lp.start,
        n_epochs=len(st.rows),
        n_steps=st.step,
        stopped=st.stopped,
        diverged=st.diverged,
        message=st.message,
        config=dict(
            task=c.task, lam=float(c.lam), estimator=c.estimator, model=c.model, hidden=spec.hidden,
            epochs=int(c.epochs), batch_size=int(c.batch_size), lr=c.lr, weight_decay=c.weight_decay,
            random_state=seed,
        ),
    )


@config_signature(TrainConfig)
def train(
    dataset,
    config: TrainConfig | None = None,
    *,
    init: TrainResult | Mapping[str, torch.Tensor] | None = None,
    test_size: float = 0.3,
    eval_estimators: Sequence[str] = EVAL_ESTIMATORS,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    **overrides: Any,
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
    config : a :class:`TrainConfig` with the settings below (``lam`` is then optional); any of them may
        also be given as a keyword, which overrides the config's value.
    lam : regularisation weight >= 0 (0 is plain training; required when no ``config`` is given).
        Softmax averaging measures only the first moment of the outputs and its values are small
        (hundredths of a nat), so useful lam values run from about 1 to 100; see
        ``unlearn_core.frontier.trained.DEFAULT_LAMBDAS``.
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
    c = resolve(TrainConfig, config, overrides, "train")
    if config is None and "lam" not in overrides:  # lam has a default in TrainConfig, not in train
        raise TypeError("train() missing 1 required keyword-only argument: 'lam'")
    task = dataset.task if getattr(dataset, "task", None) in TASKS else "classification"
    _validate(c.lam, c.epochs, c.batch_size, c.eval_every, task, lr=c.lr, weight_decay=c.weight_decay,
              random_state=c.random_state, num_threads=c.num_threads)
    check_scalar(test_size, "test_size", float, min_val=0.0, max_val=1.0, include_boundaries="neither")
    start = time.perf_counter()
    seed = seed_from(c.random_state)
    train_xyz, test_xyz, classes, groups = train_test_arrays(dataset, test_size=test_size, random_state=seed)
    fit_config = _fit_config(dataclasses.replace(c, random_state=seed), {"task": dataset.task})
    result = fit(*train_xyz, fit_config, init=init, eval_set=test_xyz, classes=classes, groups=groups,
                 progress=progress, should_stop=should_stop)
    prep = time.perf_counter() - start - result.seconds
    return finish(result, test_xyz, eval_estimators=eval_estimators, random_state=seed, extra_seconds=prep,
                  num_threads=c.num_threads)
