"""The trained frontier: a lam sweep of regularised training, evaluated held out (docs/design.md 3.3)."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._config import config_signature, resolve
from .._utils import RandomState, seed_from
from ._types import Frontier

# Softmax averaging compares the groups' mean output vectors; its values are hundredths of a nat, so
# lam must reach the tens before the demographic-parity gap closes (toy-gaussians: DP gap 0.39 at
# lam = 0, 0.07 at 10, 0.003 at 50; Adult, Z = sex: 0.18 at 0, 0.03 at 10, 0.01 at 50-100). Beyond
# about 100 there is no mean gap left to remove: more weight only costs utility, and the held-out probe
# sees leakage *rise* again (the model matches the group means while the shapes of the group output
# laws drift apart, which a first-moment estimator cannot see; Adult cold start, lam = 500: DP gap
# 0.0004 but probe AUC 0.64). So the grid stops at 100. Measured in benchmarks/results/training.md.
DEFAULT_LAMBDAS: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 35.0, 60.0, 100.0)

_ROW_COLUMNS = {
    "classification": ("accuracy", "auc", "majority"),
    "regression": ("mse", "r2", "ks_gap"),
}
_LEAK_COLUMNS = ("probe_acc", "probe_auc", "probe_mi", "knn_mi", "dp_gap", "discrimination")
_PARITY_COLUMNS = ("dp_gap_rate", "dp_gap_score")


def _parity_columns(res, test_xyz, task: str) -> dict[str, float]:
    """Both demographic-parity gaps on the held-out split; ``dp_gap`` is the selection-rate one.

    Classification: ``dp_gap_rate`` (Fairlearn's demographic-parity difference of the argmax decisions)
    and ``dp_gap_score`` (the gap in mean predicted probability that ``training.evaluate`` reports as
    its ``dp_gap``). Regression has no decisions: ``dp_gap_rate`` is NaN and ``dp_gap`` the mean gap.
    """
    from .. import metrics

    score = float(res.metrics.get("dp_gap", float("nan")))
    if task != "classification":
        return {"dp_gap": score, "dp_gap_rate": float("nan"), "dp_gap_score": score}
    Xe, _, ze = test_xyz
    gaps = metrics.parity_gaps(res.predict_outputs(Xe), ze)
    return {"dp_gap": gaps["dp_gap_rate"], **gaps}


def _check_lambdas(lambdas: Sequence[float]) -> np.ndarray:
    lams = np.asarray(list(lambdas), dtype=float)
    if lams.ndim != 1 or lams.size == 0:
        raise ValueError(f"lambdas must be a non-empty list of numbers, got {lambdas!r}")
    if not np.all(np.isfinite(lams)) or np.any(lams < 0):
        raise ValueError(f"lambdas must be finite and >= 0, got {lams.tolist()}")
    if np.unique(lams).size != lams.size:
        raise ValueError(f"lambdas must be distinct, got {lams.tolist()}")
    # Ascending, so each warm start moves from a less to a more regularised solution.
    return np.sort(lams)


@dataclass(frozen=True)
class TrainedFrontierConfig:
    """The settings of a lam sweep (:func:`trained_frontier`); the fields are described there."""

    lambdas: Sequence[float] = DEFAULT_LAMBDAS
    estimator: str = "softmax-averaging"
    model: str = "mlp"
    hidden: tuple[int, ...] = (64, 32)
    epochs: int = 20
    warm_epochs: int | None = None
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 0.0
    warm_start: bool = True
    eval_estimators: Sequence[str] = ("probe", "knn")
    test_size: float = 0.3
    random_state: RandomState = 0
    keep_results: bool = False
    num_threads: int | None = 1


@config_signature(TrainedFrontierConfig)
def trained_frontier(
    dataset,
    config: TrainedFrontierConfig | None = None,
    *,
    progress=None,
    should_stop=None,
    executor: Executor | None = None,
    **overrides: Any,
) -> Frontier:
    """Sweep lam in task loss + lam * I_hat(S'; Z) and evaluate each trained model on held-out data.

    For each lam (ascending) a model is trained with :func:`unlearn_core.training.fit` on the training
    split of ``datasets.split(dataset, test_size=test_size, random_state=random_state)`` and scored on the
    held-out split by :func:`unlearn_core.training.evaluate`: utility (accuracy / AUC, or MSE / R^2),
    leakage by estimators **different** from the trained one (the cross-fitted probe attacker's
    accuracy and AUC for Z, the k-NN MI in nats), both demographic-parity gaps and the discrimination
    ratio (docs/design.md sections 3.3 and 4). ``dp_gap_rate`` is Fairlearn's demographic-parity difference
    (the largest gap in the groups' rates of positive decisions), ``dp_gap_score`` the gap in mean
    predicted probability; ``dp_gap`` is the selection-rate one (the mean gap for regression), so that
    readers of ``dp_gap`` see the usual definition.

    Parameters
    ----------
    dataset : a Dataset with a classification or regression target.
    config : a :class:`TrainedFrontierConfig` with the settings below; any of them may also be given as a
        keyword, which overrides the config's value (an unknown keyword is a TypeError).
    lambdas : the lam grid (distinct, >= 0; sorted ascending). The default suits softmax averaging.
    estimator : the differentiable estimator trained against (``leakage.differentiable.PENALTIES``).
    model, hidden, batch_size, lr, weight_decay : as in :func:`~unlearn_core.training.train`.
    epochs : epochs of the first (or every, when cold) lam.
    warm_epochs : epochs of each later lam when ``warm_start`` (default ``ceil(epochs / 4)``): starting
        from the previous lam's solution, the model only has to move along the frontier. Fewer warm
        epochs move each lam less far (higher utility and leakage at the same lam); on Adult 3, 5 and
        10 warm epochs all trace a falling leakage curve (benchmarks/results/training.md).
    warm_start : start each lam from the previous solution (fresh Adam state); False trains every lam
        from the same seeded initialisation with ``epochs`` epochs.
    eval_estimators : held-out leakage evaluators ("probe", "knn").
    test_size, random_state : the split and all seeds (every lam uses the same batches' seed, so
        differences between rows come from lam, not from sampling noise).
    progress : ``progress(step, total, metrics)`` across the whole sweep (metrics carry ``lam``).
    should_stop : polled before every step; when True the sweep ends cleanly with the rows finished so
        far and ``meta["stopped"] = True``.
    keep_results : put the per-lam :class:`~unlearn_core.training.TrainResult` objects in
        ``meta["results"]`` (for showing a chosen model).
    num_threads : torch threads during the sweep (restored afterwards), and in each executor task.
    executor : a ``concurrent.futures.Executor`` (:mod:`unlearn_core.parallel`) or None (serial). Cold
        sweeps run one lam per task; warm sweeps train the chain here and evaluate each lam on the
        executor. The table is identical to the serial one for the same arguments (``seconds`` aside);
        progress then counts finished lam values (cold) and ``should_stop`` is polled between them.

    Returns
    -------
    Frontier(kind="trained", param="lam", utility="auc" or "r2", leakage="probe_auc"). Table columns:
    lam, accuracy, auc, majority (or mse, r2, ks_gap), probe_acc, probe_auc, probe_mi, knn_mi, dp_gap,
    discrimination, dp_gap_rate, dp_gap_score, softmax_mi (classification), reg (the training regulariser
    over the last epoch), test_reg (the same estimator on held-out rows), task_loss, epochs, seconds
    (train + evaluate), diverged, pareto.
    """
    start = time.perf_counter()
    c = resolve(TrainedFrontierConfig, config, overrides, "trained_frontier")
    plan = _plan(dataset, c)
    if executor is None:
        out = _serial_sweep(plan, c, progress, should_stop)
    elif c.warm_start:
        out = _warm_parallel_sweep(plan, c, progress, should_stop, executor)
    else:
        out = _cold_parallel_sweep(plan, c, progress, should_stop, executor)
    return _sweep_frontier(dataset, plan, c, out, start)


@dataclass(frozen=True, eq=False)
class _Plan:
    """The sweep's fixed plan: sorted lambdas, epochs per lam, step counts and the shared data."""

    lams: np.ndarray
    epoch_plan: list[int]
    w_epochs: int
    steps_per_epoch: int
    total_steps: int
    task: str
    shared: _SweepData


@dataclass
class _Outcome:
    """What a sweep collects: one row and one TrainResult per finished lam, messages, whether it stopped."""

    rows: list = field(default_factory=list)
    results: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    stopped: bool = False

    def add(self, row: dict, res) -> None:
        """Record one finished lam (and its divergence message, if any)."""
        if res.diverged:
            self.messages.append(f"lam={row['lam']:g}: {res.message}")
        self.rows.append(row)
        self.results.append(res)


def _plan(dataset, c: TrainedFrontierConfig) -> _Plan:
    """Step 1: check the settings, split the data and plan the epochs of every lam."""
    from ..training import dataset_arrays, get_penalty, train_test_arrays

    lams = _check_lambdas(c.lambdas)
    if int(c.epochs) < 1:
        raise ValueError(f"epochs must be >= 1, got {c.epochs}")
    w_epochs = math.ceil(int(c.epochs) / 4) if c.warm_epochs is None else int(c.warm_epochs)
    if w_epochs < 1:
        raise ValueError(f"warm_epochs must be >= 1, got {c.warm_epochs}")
    seed = seed_from(c.random_state)
    dataset_arrays(dataset)  # raises a clear ValueError when there is no target
    task = dataset.task
    if lams.max() > 0:
        get_penalty(c.estimator, task)  # fail before any training when the estimator cannot apply
    train_xyz, test_xyz, classes, groups = train_test_arrays(dataset, test_size=c.test_size,
                                                             random_state=seed)
    steps_per_epoch = max(1, math.ceil(len(train_xyz[0]) / int(c.batch_size)))
    epoch_plan = [int(c.epochs) if (i == 0 or not c.warm_start) else w_epochs for i in range(lams.size)]
    fit_kw = dict(task=task, estimator=c.estimator, model=c.model, hidden=c.hidden, batch_size=c.batch_size,
                  lr=c.lr, weight_decay=c.weight_decay, random_state=seed, eval_set=None, classes=classes,
                  groups=groups)
    shared = _SweepData(train_xyz=train_xyz, test_xyz=test_xyz, fit_kw=fit_kw,
                        eval_estimators=tuple(c.eval_estimators), seed=seed)
    return _Plan(lams=lams, epoch_plan=epoch_plan, w_epochs=w_epochs, steps_per_epoch=steps_per_epoch,
                 total_steps=sum(epoch_plan) * steps_per_epoch, task=task, shared=shared)


def _serial_sweep(plan: _Plan, c: TrainedFrontierConfig, progress, should_stop) -> _Outcome:
    """Step 2 (no executor): train and evaluate each lam in turn, warm-starting from the previous one."""
    from ..training import torch_threads

    out = _Outcome()
    prev = None
    offset = 0
    with torch_threads(c.num_threads):  # once for the sweep: threadpoolctl's library scan is not free
        for lam, n_ep in zip(plan.lams, plan.epoch_plan, strict=True):
            t0 = time.perf_counter()
            res = _fit_lam(plan.shared, float(lam), n_ep, prev if c.warm_start else None, progress=progress,
                           should_stop=should_stop, step_offset=offset, total_steps=plan.total_steps)
            offset += n_ep * plan.steps_per_epoch
            if res.stopped:
                out.stopped = True
                out.messages.append(f"lam={lam:g}: {res.message}; the sweep ended before this lam")
                break
            row, res = _evaluate_lam(plan.shared, res, float(lam), time.perf_counter() - t0)
            out.add(row, res)
            prev = res
    return out


def _warm_parallel_sweep(plan: _Plan, c: TrainedFrontierConfig, progress, should_stop, executor) -> _Outcome:
    """Step 2 (warm, executor): train the chain here, evaluate each finished lam on the executor."""
    from ..parallel import make_tasks, share, submit
    from ..training import torch_threads

    # Each lam starts from the previous solution, so training is a chain: it stays here while each
    # finished model's held-out evaluation (probe attacker, k-NN MI: ~45% of a sweep on Adult) runs
    # on the executor, overlapping the next lam's training.
    out = _Outcome()
    ids = [f"lam={float(lam)!r}" for lam in plan.lams]
    tasks = make_tasks([None] * plan.lams.size, ids=ids, base_seed=plan.shared.seed)
    ref = share(executor, plan.shared)
    futures = []
    prev = None
    offset = 0
    with torch_threads(c.num_threads):
        for job, lam, n_ep in zip(tasks, plan.lams, plan.epoch_plan, strict=True):
            t0 = time.perf_counter()
            res = _fit_lam(plan.shared, float(lam), n_ep, prev, progress=progress, should_stop=should_stop,
                           step_offset=offset, total_steps=plan.total_steps)
            offset += n_ep * plan.steps_per_epoch
            if res.stopped:
                out.stopped = True
                out.messages.append(f"lam={lam:g}: {res.message}; the sweep ended before this lam")
                break
            job = dataclasses.replace(job, payload=(float(lam), res, time.perf_counter() - t0))
            futures.append(submit(_evaluate_task, job, ref, executor=executor, num_threads=c.num_threads))
            prev = res
    for row, res in [f.result() for f in futures]:
        out.add(row, res)
    return out


def _cold_parallel_sweep(plan: _Plan, c: TrainedFrontierConfig, progress, should_stop, executor) -> _Outcome:
    """Step 2 (cold, executor): one lam per task, each trained from the seeded initialisation."""
    from ..parallel import make_tasks, map_tasks

    out = _Outcome()
    lams = plan.lams
    ids = [f"lam={float(lam)!r}" for lam in lams]
    payloads = [(float(lam), n_ep) for lam, n_ep in zip(lams, plan.epoch_plan, strict=True)]
    tasks = make_tasks(payloads, ids=ids, base_seed=plan.shared.seed)
    per_task = plan.epoch_plan[0] * plan.steps_per_epoch
    total_steps = plan.total_steps
    sub = None if progress is None else (
        lambda k, n, m: progress(k * per_task, total_steps, {"lam": float(lams[int(m["task"])])}))
    done = map_tasks(_cold_task, tasks, executor, sub, should_stop, shared=plan.shared,
                     num_threads=c.num_threads)
    if len(done) < len(tasks):
        out.stopped = True
        out.messages.append(f"lam={lams[len(done)]:g}: stopped; the sweep ended before this lam")
    for row, res in done:
        out.add(row, res)
    return out


def _sweep_frontier(dataset, plan: _Plan, c: TrainedFrontierConfig, out: _Outcome, start: float) -> Frontier:
    """Step 3: the table of finished lam values and the sweep's settings as a Frontier."""
    task = plan.task
    columns = ["lam", *_ROW_COLUMNS[task], *_LEAK_COLUMNS, *_PARITY_COLUMNS, "softmax_mi", "reg", "test_reg",
               "task_loss", "epochs", "seconds", "diverged"]
    table = pd.DataFrame(out.rows, columns=columns)
    meta = {
        "dataset": dataset.name,
        "fingerprint": dataset.fingerprint(),
        "task": task,
        "sensitive": dataset.sensitive,
        "estimator": c.estimator,
        "eval_estimators": tuple(c.eval_estimators),
        "model": c.model,
        "hidden": tuple(c.hidden) if c.model == "mlp" else (),
        "epochs": int(c.epochs),
        "warm_epochs": plan.w_epochs if c.warm_start else None,
        "warm_start": bool(c.warm_start),
        "batch_size": int(c.batch_size),
        "lr": c.lr,
        "random_state": plan.shared.seed,
        "test_size": c.test_size,
        "n_train": len(plan.shared.train_xyz[0]),
        "n_test": len(plan.shared.test_xyz[0]),
        "stopped": out.stopped,
        "messages": tuple(out.messages),
    }
    if c.keep_results:
        meta["results"] = tuple(out.results)
    return Frontier.build(
        table, kind="trained", param="lam", utility="auc" if task == "classification" else "r2",
        leakage="probe_auc", meta=meta, seconds=time.perf_counter() - start,
    )



def _test_reg(res, test_xyz) -> float:
    """The trained-against estimator on (up to 2048) held-out rows: what the model was taught to minimise."""
    import torch

    from ..training import get_penalty

    try:
        penalty = get_penalty(res.estimator, res.task)
    except ValueError:  # e.g. softmax averaging on a regression model (only possible at lam = 0)
        return float("nan")
    Xe, _, ze = test_xyz
    n = min(len(Xe), 2048)
    rows = np.sort(np.random.default_rng([res.config["random_state"], 2]).permutation(len(Xe))[:n])
    S = res.predict_outputs(Xe[rows])
    if res.task == "regression":
        S = ((S - res.target_mean) / res.target_std)[:, None]
    z_codes = np.searchsorted(res.groups, ze[rows])
    with torch.no_grad():
        val = penalty(torch.as_tensor(S, dtype=torch.float32),
                                                   torch.as_tensor(z_codes), res.groups.size)
    return float(val)


@dataclass(frozen=True, eq=False)
class _SweepData:
    """What every lam of a sweep reads: the split arrays and the fixed training options (shared once)."""

    train_xyz: tuple
    test_xyz: tuple
    fit_kw: dict
    eval_estimators: tuple[str, ...]
    seed: int


def _fit_lam(sh: _SweepData, lam: float, n_epochs: int, init, *, progress=None, should_stop=None,
             step_offset: int = 0, total_steps: int | None = None):
    from ..training import fit

    return fit(*sh.train_xyz, lam=lam, epochs=n_epochs, init=init, progress=progress, should_stop=should_stop,
               step_offset=step_offset, total_steps=total_steps, num_threads=None, **sh.fit_kw)


def _evaluate_lam(sh: _SweepData, res, lam: float, train_seconds: float) -> tuple[dict, Any]:
    """Held-out metrics of one trained lam and its table row (``seconds`` = train + evaluate)."""
    from ..training import finish

    t0 = time.perf_counter()
    task = res.task
    res = finish(res, sh.test_xyz, eval_estimators=sh.eval_estimators, random_state=sh.seed, num_threads=None)
    row = {
        "lam": float(lam),
        **{k: res.metrics.get(k, float("nan")) for k in _ROW_COLUMNS[task] + _LEAK_COLUMNS},
        **_parity_columns(res, sh.test_xyz, task),
        "softmax_mi": res.metrics.get("softmax_mi", float("nan")),
        "reg": res.metrics["reg"],
        "test_reg": _test_reg(res, sh.test_xyz),
        "task_loss": res.metrics["task_loss"],
        "epochs": res.n_epochs,
        "seconds": train_seconds + time.perf_counter() - t0,
        "diverged": res.diverged,
    }
    return row, res


def _evaluate_task(task, sh: _SweepData) -> tuple[dict, Any]:
    lam, res, train_seconds = task.payload
    return _evaluate_lam(sh, res, lam, train_seconds)


def _cold_task(task, sh: _SweepData) -> tuple[dict, Any]:
    """One lam of a cold sweep: train from the seeded initialisation, then evaluate."""
    lam, n_epochs = task.payload
    t0 = time.perf_counter()
    res = _fit_lam(sh, lam, n_epochs, None)
    return _evaluate_lam(sh, res, lam, time.perf_counter() - t0)
