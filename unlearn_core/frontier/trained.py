"""The trained frontier: a lam sweep of regularised training, evaluated held out (docs/design.md 3.3)."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

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


def trained_frontier(
    dataset,
    *,
    lambdas: Sequence[float] = DEFAULT_LAMBDAS,
    estimator: str = "softmax-averaging",
    model: str = "mlp",
    hidden: tuple[int, ...] = (64, 32),
    epochs: int = 20,
    warm_epochs: int | None = None,
    batch_size: int = 256,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    warm_start: bool = True,
    eval_estimators: Sequence[str] = ("probe", "knn"),
    test_size: float = 0.3,
    random_state: RandomState = 0,
    progress=None,
    should_stop=None,
    keep_results: bool = False,
    num_threads: int | None = 1,
    executor: Executor | None = None,
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
    from ..training import dataset_arrays, get_penalty, train_test_arrays

    start = time.perf_counter()
    lams = _check_lambdas(lambdas)
    if int(epochs) < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    w_epochs = math.ceil(int(epochs) / 4) if warm_epochs is None else int(warm_epochs)
    if w_epochs < 1:
        raise ValueError(f"warm_epochs must be >= 1, got {warm_epochs}")
    seed = seed_from(random_state)
    dataset_arrays(dataset)  # raises a clear ValueError when there is no target
    task = dataset.task
    if lams.max() > 0:
        get_penalty(estimator, task)  # fail before any training when the estimator cannot apply
    train_xyz, test_xyz, classes, groups = train_test_arrays(dataset, test_size=test_size, random_state=seed)
    steps_per_epoch = max(1, math.ceil(len(train_xyz[0]) / int(batch_size)))
    epoch_plan = [int(epochs) if (i == 0 or not warm_start) else w_epochs for i in range(lams.size)]
    total_steps = sum(epoch_plan) * steps_per_epoch

    rows: list[dict] = []
    results = []
    messages: list[str] = []
    stopped = False
    fit_kw = dict(task=task, estimator=estimator, model=model, hidden=hidden, batch_size=batch_size, lr=lr,
                  weight_decay=weight_decay, random_state=seed, eval_set=None, classes=classes, groups=groups)
    shared = _SweepData(train_xyz=train_xyz, test_xyz=test_xyz, fit_kw=fit_kw,
                        eval_estimators=tuple(eval_estimators), seed=seed)
    from ..training import torch_threads

    if executor is None:
        prev = None
        offset = 0
        with torch_threads(num_threads):  # once for the sweep: threadpoolctl's library scan is not free
            for lam, n_ep in zip(lams, epoch_plan, strict=True):
                t0 = time.perf_counter()
                res = _fit_lam(shared, float(lam), n_ep, prev if warm_start else None, progress=progress,
                               should_stop=should_stop, step_offset=offset, total_steps=total_steps)
                offset += n_ep * steps_per_epoch
                if res.stopped:
                    stopped = True
                    messages.append(f"lam={lam:g}: {res.message}; the sweep ended before this lam")
                    break
                row, res = _evaluate_lam(shared, res, float(lam), time.perf_counter() - t0)
                if res.diverged:
                    messages.append(f"lam={lam:g}: {res.message}")
                rows.append(row)
                results.append(res)
                prev = res
    else:
        from ..parallel import make_tasks, map_tasks, share, submit

        ids = [f"lam={float(lam)!r}" for lam in lams]
        if warm_start:
            # Each lam starts from the previous solution, so training is a chain: it stays here while each
            # finished model's held-out evaluation (probe attacker, k-NN MI: ~45% of a sweep on Adult) runs
            # on the executor, overlapping the next lam's training.
            tasks = make_tasks([None] * lams.size, ids=ids, base_seed=seed)
            ref = share(executor, shared)
            futures = []
            prev = None
            offset = 0
            with torch_threads(num_threads):
                for job, lam, n_ep in zip(tasks, lams, epoch_plan, strict=True):
                    t0 = time.perf_counter()
                    res = _fit_lam(shared, float(lam), n_ep, prev, progress=progress, should_stop=should_stop,
                                   step_offset=offset, total_steps=total_steps)
                    offset += n_ep * steps_per_epoch
                    if res.stopped:
                        stopped = True
                        messages.append(f"lam={lam:g}: {res.message}; the sweep ended before this lam")
                        break
                    job = dataclasses.replace(job, payload=(float(lam), res, time.perf_counter() - t0))
                    futures.append(submit(_evaluate_task, job, ref, executor=executor,
                                          num_threads=num_threads))
                    prev = res
            done = [f.result() for f in futures]
        else:
            payloads = [(float(lam), n_ep) for lam, n_ep in zip(lams, epoch_plan, strict=True)]
            tasks = make_tasks(payloads, ids=ids, base_seed=seed)
            per_task = epoch_plan[0] * steps_per_epoch
            sub = None if progress is None else (
                lambda k, n, m: progress(k * per_task, total_steps, {"lam": float(lams[int(m["task"])])}))
            done = map_tasks(_cold_task, tasks, executor, sub, should_stop, shared=shared,
                             num_threads=num_threads)
            if len(done) < len(tasks):
                stopped = True
                messages.append(f"lam={lams[len(done)]:g}: stopped; the sweep ended before this lam")
        for row, res in done:
            if res.diverged:
                messages.append(f"lam={row['lam']:g}: {res.message}")
            rows.append(row)
            results.append(res)

    columns = ["lam", *_ROW_COLUMNS[task], *_LEAK_COLUMNS, *_PARITY_COLUMNS, "softmax_mi", "reg", "test_reg",
               "task_loss", "epochs", "seconds", "diverged"]
    table = pd.DataFrame(rows, columns=columns)
    meta = {
        "dataset": dataset.name,
        "fingerprint": dataset.fingerprint(),
        "task": task,
        "sensitive": dataset.sensitive,
        "estimator": estimator,
        "eval_estimators": tuple(eval_estimators),
        "model": model,
        "hidden": tuple(hidden) if model == "mlp" else (),
        "epochs": int(epochs),
        "warm_epochs": w_epochs if warm_start else None,
        "warm_start": bool(warm_start),
        "batch_size": int(batch_size),
        "lr": lr,
        "random_state": seed,
        "test_size": test_size,
        "n_train": len(train_xyz[0]),
        "n_test": len(test_xyz[0]),
        "stopped": stopped,
        "messages": tuple(messages),
    }
    if keep_results:
        meta["results"] = tuple(results)
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
