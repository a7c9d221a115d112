"""The regularised training loop on arrays: stratified batches, optimiser, objective, the steps of ``fit``.

Objective (docs/design.md section 3.3; Xu & Strohmer 2025, arXiv 2502.05684):

.. math::

    \\min_\\theta \\; \\frac1{|B|} \\sum_{i \\in B} \\ell(f_\\theta(x_i), y_i)
    \\; + \\; \\lambda \\, \\hat I\\big(S'_B; Z_B\\big)

where B is a minibatch holding every group of Z, ell the cross-entropy (classification) or squared
error (regression, on standardised targets), S' the model output (softmax probabilities, or the (n, 1)
prediction for regression) and I_hat a differentiable estimator from
:data:`unlearn_core.leakage.differentiable.PENALTIES`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .._utils import as_2d_float, limit_threads
from .._validation import check_labels, check_scalar, check_seed
from ..models import make_model, to_tensor
from ._types import ModelSpec, Scaler, TrainResult

Progress = Callable[[int, int, Mapping[str, float]], None]
ShouldStop = Callable[[], bool]

TASKS = ("classification", "regression")
# Rows of the evaluation set on which the regulariser is recomputed each epoch: kernel and transport
# penalties are O(n^2) in memory, so the full held-out split would not fit for Adult-sized data.
_EVAL_REG_ROWS = 2048


def stratified_batches(
    codes: np.ndarray, batch_size: int, rng: np.random.Generator, *, n_groups: int | None = None
) -> list[np.ndarray]:
    """One epoch of minibatch row indices, each batch holding every group of ``codes``.

    Each group's rows are shuffled and dealt into ``ceil(n / batch_size)`` nearly equal chunks; batch b
    takes chunk b of every group, so each batch keeps the groups' proportions (to within one row). A
    group with fewer rows than there are batches is resampled (its shuffled rows are repeated) so that
    it still appears in every batch: the regulariser I_hat(S'_B; Z_B) is only defined when all groups
    are present.

    Parameters
    ----------
    codes : (n,) integer group codes in 0..K-1.
    batch_size : target rows per batch (batches may differ by a few rows).
    rng : numpy Generator driving the shuffles.
    n_groups : K (default ``codes.max() + 1``); every code in 0..K-1 must occur.

    Returns
    -------
    list of int64 index arrays, in random order, covering every row at least once.
    """
    codes = np.asarray(codes)
    n = codes.size
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
    k = int(codes.max()) + 1 if n_groups is None else int(n_groups)
    counts = np.bincount(codes, minlength=k)
    if np.any(counts == 0):
        raise ValueError(
            "every group must have at least one row to be present in every batch; "
            f"group counts are {counts.tolist()}"
        )
    n_batches = max(1, math.ceil(n / batch_size))
    chunks_per_group = []
    for g in range(k):
        rows = np.flatnonzero(codes == g)
        perm = rng.permutation(rows)
        if perm.size < n_batches:  # a tiny group: repeat it so that every batch sees it
            reps = math.ceil(n_batches / perm.size)
            perm = np.concatenate([perm] + [rng.permutation(rows) for _ in range(reps - 1)])[:n_batches]
        chunks_per_group.append(np.array_split(perm, n_batches))
    batches = [np.concatenate([chunks[b] for chunks in chunks_per_group]) for b in range(n_batches)]
    # Shuffle rows inside each batch (order is irrelevant to the loss, but keeps batches unsorted by group).
    return [rng.permutation(b).astype(np.int64) for b in batches]


def make_optimizer(model: nn.Module, *, lr: float = 1e-3, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """Adam (Kingma & Ba 2015) on all parameters; AdamW-style decoupled decay when ``weight_decay > 0``."""
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    if weight_decay > 0:
        return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return torch.optim.Adam(model.parameters(), lr=lr)


def task_loss(logits: torch.Tensor, target: torch.Tensor, task: str) -> torch.Tensor:
    """Mean cross-entropy (``target`` = class codes) or mean squared error (``target`` = floats)."""
    if task == "classification":
        return F.cross_entropy(logits, target)
    return F.mse_loss(logits.squeeze(-1), target)


def model_outputs(logits: torch.Tensor, task: str) -> torch.Tensor:
    """S' as the penalty sees it: softmax probabilities (n, C), or the (n, 1) prediction for regression."""
    return torch.softmax(logits, dim=1) if task == "classification" else logits


def get_penalty(estimator: str, task: str):
    """The differentiable estimator ``estimator`` from the registry, checked against ``task``."""
    from ..leakage.differentiable import NEEDS_PROBABILITIES, PENALTIES

    if estimator not in PENALTIES:
        raise ValueError(f"unknown estimator {estimator!r}; choose one of {', '.join(PENALTIES)}")
    if task == "regression" and estimator in NEEDS_PROBABILITIES:
        usable = [name for name in PENALTIES if name not in NEEDS_PROBABILITIES]
        raise ValueError(
            f"estimator {estimator!r} needs class probabilities and cannot regularise a regression model; "
            f"choose one of {', '.join(usable) or '(none registered yet)'}"
        )
    return PENALTIES[estimator]


def _penalties():
    from ..leakage.differentiable import PENALTIES

    return PENALTIES


def _nan_penalty(outputs: torch.Tensor, z: torch.Tensor, n_groups: int) -> torch.Tensor:
    return torch.tensor(float("nan"))


# Kept under its public name (training.torch_threads); the one implementation is in _utils.
torch_threads = limit_threads


def _codes(values: np.ndarray, labels: np.ndarray, what: str) -> np.ndarray:
    values = np.asarray(values)
    pos = np.searchsorted(labels, values)
    pos = np.clip(pos, 0, labels.size - 1)
    if not np.all(labels[pos] == values):
        bad = values[labels[pos] != values][:3]
        raise ValueError(
            f"{what} has labels {bad.tolist()} not seen in training; known labels are {labels.tolist()}"
        )
    return pos.astype(np.int64)


def _init_state(init: Any) -> Mapping[str, torch.Tensor] | None:
    if init is None:
        return None
    if isinstance(init, TrainResult):
        return init.state_dict
    if isinstance(init, Mapping):
        return init
    raise ValueError(f"init must be a TrainResult, a state dict or None, got {type(init).__name__}")


def _validate(lam: float, epochs: int, batch_size: int, eval_every: int, task: str, *, lr: float = 1e-3,
              weight_decay: float = 0.0, random_state: Any = 0, num_threads: int | None = 1) -> None:
    """Check the public arguments of :func:`fit` / ``train`` (types and ranges; errors name the argument).

    ``lr`` may be any positive number, inf included: a step too large to be finite is reported as
    divergence (``diverged=True`` and a message), not refused, as any other too-large step would be.
    """
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    check_scalar(lam, "lam", float, min_val=0.0)
    check_scalar(epochs, "epochs", int, min_val=0)
    if check_scalar(batch_size, "batch_size", int) < 2:
        raise ValueError(
            f"batch_size must be at least 2 (the regulariser needs several rows), got {batch_size}"
        )
    if check_scalar(eval_every, "eval_every", int) < 0:
        raise ValueError(f"eval_every must be >= 0 (0 = evaluate only at the end), got {eval_every}")
    check_scalar(lr, "lr", float, min_val=0.0, include_boundaries="neither", allow_inf=True)
    check_scalar(weight_decay, "weight_decay", float, min_val=0.0)
    check_seed(random_state)
    if num_threads is not None:
        check_scalar(num_threads, "num_threads", int, min_val=1)


def _check_arrays(X: np.ndarray, y: np.ndarray, z: np.ndarray, task: str) -> tuple[np.ndarray, ...]:
    """Step 1 of ``fit``: X as 2-D floats, z (and y for classification) checked as labels, same lengths."""
    X = as_2d_float(X, "X")
    z = check_labels(z, "z")  # NaN / None / mixed types are not a group
    y = check_labels(y, "y") if task == "classification" else np.asarray(y)
    if not (len(y) == len(z) == len(X)):
        raise ValueError(f"X, y and z must have the same number of rows, got {len(X)}, {len(y)} and {len(z)}")
    return X, y, z


def _pick_penalty(estimator: str, task: str, lam: float):
    """Step 2 of ``fit``: the penalty to train against (lam > 0), or only to log (NaN if it cannot)."""
    if lam > 0:
        return get_penalty(estimator, task)
    try:  # plain training: log the penalty when it applies to this task, never fail because of it
        return get_penalty(estimator, task)
    except ValueError:
        if estimator not in _penalties():
            raise
        return _nan_penalty


@dataclasses.dataclass
class _Targets:
    """Step 3 of ``fit``: label orders, integer codes and the training target tensor."""

    groups: np.ndarray
    z_codes: np.ndarray
    classes: np.ndarray | None
    y_t: torch.Tensor
    n_outputs: int
    t_mean: float
    t_std: float


def _encode_targets(y: np.ndarray, z: np.ndarray, task: str, classes, groups) -> _Targets:
    """Step 3 of ``fit``: code z (and a class y) in their label orders; standardise a regression y."""
    groups = np.unique(z) if groups is None else np.asarray(groups)
    z_codes = _codes(z, groups, "z")
    if groups.size < 2:
        raise ValueError(f"z must have at least two groups to regularise I(S'; Z), got {groups.tolist()}")
    if task == "classification":
        classes = np.unique(y) if classes is None else np.asarray(classes)
        if classes.size < 2:
            raise ValueError(f"classification needs at least two classes in y, got {classes.tolist()}")
        y_t = torch.as_tensor(_codes(y, classes, "y"))
        return _Targets(groups, z_codes, classes, y_t, classes.size, 0.0, 1.0)
    y_f = np.asarray(y, dtype=float)
    if not np.all(np.isfinite(y_f)):
        raise ValueError("y contains NaN or infinite values; drop or impute those rows first")
    t_mean, t_std = float(y_f.mean()), float(y_f.std()) or 1.0
    return _Targets(groups, z_codes, None, to_tensor((y_f - t_mean) / t_std), 1, t_mean, t_std)


def _build_model(X: np.ndarray, n_outputs: int, init: Any, *, model: str, hidden, seed: int):
    """Step 4 of ``fit``: the scaler (reused from a warm start), the model spec and the (warm-started) net."""
    init_state = _init_state(init)
    warm_scaler = isinstance(init, TrainResult) and init.scaler.mean.shape == (X.shape[1],)
    scaler = init.scaler if warm_scaler else Scaler.fit(X)
    spec = ModelSpec(model, X.shape[1], n_outputs, tuple(int(h) for h in hidden) if model == "mlp" else ())
    options = {"hidden": spec.hidden} if model == "mlp" else {}
    net = make_model(model, X.shape[1], n_outputs, random_state=seed, **options)
    if init_state is not None:
        try:
            net.load_state_dict(init_state)
        except RuntimeError as exc:
            raise ValueError(
                f"init does not fit a {model} with {X.shape[1]} inputs and {n_outputs} outputs: {exc}"
            ) from exc
    return scaler, spec, net


def _eval_tensors(eval_set, scaler: Scaler, tg: _Targets, task: str, seed: int) -> dict | None:
    """Step 5 of ``fit``: the held-out arrays, scaled and coded, with the subsample the regulariser sees."""
    if eval_set is None:
        return None
    Xe, ye, ze = eval_set
    Xe_s = scaler.transform(as_2d_float(Xe, "eval X"))
    ze_codes = _codes(np.asarray(ze), tg.groups, "eval z")
    sub = np.sort(np.random.default_rng([seed, 2]).permutation(len(Xe_s))[:_EVAL_REG_ROWS])
    if task == "classification":
        ye_arr = _codes(np.asarray(ye), tg.classes, "eval y")
    else:
        ye_arr = np.asarray(ye, float)
    return dict(X=to_tensor(Xe_s), y=ye_arr, z=ze_codes, sub=torch.as_tensor(sub),
                z_sub=torch.as_tensor(ze_codes[sub]))


@dataclasses.dataclass
class _LoopState:
    """What the epochs of ``fit`` carry from one to the next: steps, history rows and how it ended."""

    step: int = 0
    stopped: bool = False
    diverged: bool = False
    message: str = ""
    rows: list = dataclasses.field(default_factory=list)
    last: dict = dataclasses.field(default_factory=lambda: {"task_loss": float("nan"), "reg": float("nan")})


@dataclasses.dataclass
class _Loop:
    """The fixed pieces of one training loop: net, optimiser, tensors, penalty and settings."""

    net: nn.Module
    optimizer: torch.optim.Optimizer
    X_t: torch.Tensor
    tg: _Targets
    z_t: torch.Tensor
    penalty: Any
    rng: np.random.Generator
    ev: dict | None
    task: str
    lam: float
    lr: float
    start: float


def _weights_finite(net: nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in net.parameters())


def _batch_step(lp: _Loop, idx: np.ndarray, st: _LoopState, epoch: int) -> torch.Tensor | None:
    """One minibatch: loss + lam * penalty, an optimiser step; None (``st.diverged``) on a non-finite loss."""
    idx_t = torch.from_numpy(idx)
    logits = lp.net(lp.X_t[idx_t])
    loss = task_loss(logits, lp.tg.y_t[idx_t], lp.task)
    out = model_outputs(logits, lp.task)
    if lp.lam > 0:
        reg = lp.penalty(out, lp.z_t[idx_t], lp.tg.groups.size)
        total_loss = loss + lp.lam * reg
    else:  # plain training: the penalty is logged, never differentiated
        with torch.no_grad():
            reg = lp.penalty(out.detach(), lp.z_t[idx_t], lp.tg.groups.size)
        total_loss = loss
    if not torch.isfinite(total_loss):
        st.diverged = True
        st.message = (
            f"training diverged at epoch {epoch}, step {st.step + 1}: the loss became "
            f"{float(total_loss.detach())} (task {float(loss.detach()):.4g}, "
            f"regulariser {float(reg.detach()):.4g}); "
            f"lower lr (now {lp.lr:g}) or lam (now {lp.lam:g}), or try another estimator"
        )
        return None
    lp.optimizer.zero_grad(set_to_none=True)
    total_loss.backward()
    lp.optimizer.step()
    st.step += 1
    return torch.stack([loss.detach(), reg.detach(), total_loss.detach()]).double()


def _epoch(lp: _Loop, st: _LoopState, epoch: int, batch_size: int, should_stop) -> tuple[torch.Tensor, int]:
    """One epoch of stratified minibatches; the summed (task, reg, total) losses and the batch count."""
    sums = torch.zeros(3, dtype=torch.float64)
    n_b = 0
    for idx in stratified_batches(lp.tg.z_codes, batch_size, lp.rng, n_groups=lp.tg.groups.size):
        if should_stop is not None and should_stop():
            st.stopped = True
            st.message = f"stopped by request after {epoch - 1} full epochs and {st.step} steps"
            break
        losses = _batch_step(lp, idx, st, epoch)
        if losses is None:
            break
        sums += losses
        n_b += 1
    return sums, n_b


def _run_epochs(lp: _Loop, st: _LoopState, *, epochs: int, batch_size: int, eval_every: int, should_stop,
               report) -> None:
    """Step 6 of ``fit``: the epochs, each logged as a history row (held-out figures every ``eval_every``)."""
    lp.net.train()
    for epoch in range(1, int(epochs) + 1):
        sums, n_b = _epoch(lp, st, epoch, int(batch_size), should_stop)
        if n_b == 0:
            break
        if not st.diverged and not _weights_finite(lp.net):
            # the losses were finite but an update was not (e.g. lr = inf): report it as divergence
            st.diverged = True
            st.message = (f"training diverged at epoch {epoch} (by step {st.step}): the weights became "
                          f"non-finite; lower lr (now {lp.lr:g}) or lam (now {lp.lam:g})")
        means = (sums / n_b).tolist()
        st.last = {"task_loss": means[0], "reg": means[1], "total": means[2]}
        row = {"epoch": epoch, "step": st.step, **st.last}
        is_last = epoch == int(epochs) or st.stopped or st.diverged
        if lp.ev is not None and ((eval_every and epoch % int(eval_every) == 0) or is_last):
            row.update(_eval_light(lp.net, lp.ev, lp.task, lp.penalty, lp.tg.groups.size, lp.tg.t_mean,
                                   lp.tg.t_std))
        row["seconds"] = time.perf_counter() - lp.start
        st.rows.append(row)
        report(st.step, row)
        if st.stopped or st.diverged:
            break


def _check_final_weights(lp: _Loop, st: _LoopState) -> None:
    """Step 7 of ``fit``: weights made non-finite by the very last update mark the run as diverged."""
    if not st.diverged and not _weights_finite(lp.net):
        # the last step's loss was finite but the update was not (e.g. lr = inf): the weights are unusable
        st.diverged = True
        st.message = (f"training diverged after step {st.step}: the weights became non-finite; lower lr "
                      f"(now {lp.lr:g}) or lam (now {lp.lam:g})")


@torch.no_grad()
def _eval_light(
    net: nn.Module, ev: dict, task: str, penalty, n_groups: int, t_mean: float, t_std: float
) -> dict[str, float]:
    """Cheap per-epoch held-out figures: utility, DP gap and the training regulariser on a subsample."""
    from .. import metrics as M

    net.eval()
    logits = net(ev["X"])
    net.train()
    out = model_outputs(logits, task)
    if not bool(torch.isfinite(out).all()):  # a diverged model: no held-out figure exists
        keys = ("test_accuracy", "test_auc") if task == "classification" else ("test_mse", "test_r2")
        return {k: float("nan") for k in (*keys, "test_dp_gap", "test_reg")}
    reg = float(penalty(out[ev["sub"]], ev["z_sub"], n_groups))
    if task == "classification":
        P = out.double().numpy()
        y = ev["y"]
        res = {"test_accuracy": M.accuracy(y, P.argmax(axis=1)), "test_auc": M.auc(y, P)}
        res["test_dp_gap"] = max(M.demographic_parity_gap(P[:, c], ev["z"]) for c in range(P.shape[1]))
    else:
        pred = out.squeeze(-1).double().numpy() * t_std + t_mean
        res = {"test_mse": M.mse(ev["y"], pred), "test_r2": M.r2(ev["y"], pred)}
        res["test_dp_gap"] = M.demographic_parity_gap(pred, ev["z"])
    res["test_reg"] = reg
    return res
