"""Training loops for data-point unlearning: the original model, and the paired retain/forget loop.

Two protocols, both from the authors' MNIST script (docs/design.md section 3.4):

- plain epochs over one set in shuffled mini-batches (the original model on D, retraining on D_r);
- the paired loop of the fine-tuning methods: each step takes a retained batch (64) and a forget batch
  (16); an epoch is ``min(ceil(n_r / 64), ceil(n_u / 16))`` steps, which is what ``zip`` over the two
  data loaders gives in the authors' code (one pass over D_u when it is the shorter one).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from .._utils import RandomState, limit_threads, seed_from
from ..models import make_model, predict_outputs, to_tensor, torch_generator
from ._problem import ForgetProblem

# as in unlearn_core.training: progress(step, total_steps, metrics of the epoch just finished)
Progress = Callable[[int, int, Mapping[str, float]], None]
ShouldStop = Callable[[], bool]
# step(model, Xr, yr, Xu, yu) -> (loss, batch I_hat or nan)
StepLoss = Callable[
    [nn.Module, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, float]
]
# on_epoch(model, epoch, clock, mean_loss, mean_mi) -> metrics of the epoch (or None); clock holds the
# training seconds so far (wall and CPU)
OnEpoch = Callable[[nn.Module, int, "Clock", float, float], "Mapping[str, float] | None"]
# on_check(model, steps, clock) -> True to end the run now (a stopping rule polled every check_every steps;
# its own cost is counted in the clock, since a user waits for it too)
OnCheck = Callable[[nn.Module, int, "Clock"], bool]


@dataclass
class Clock:
    """Training time of a loop, accumulated over the optimisation steps only (evaluation excluded).

    ``seconds`` is wall time (``time.perf_counter``); ``cpu_seconds`` is the CPU time of the training
    thread (``time.thread_time``). The loops run torch with one intra-op thread (:func:`single_thread`),
    so every step executes on the calling thread and its CPU time is the work done. On an idle machine
    the two agree; on a shared CPU wall time also counts the time the scheduler gives other processes,
    which differs between two runs made a few seconds apart (measured on the 2-core team machine under
    load: 5-15 ms wall for a 1.4-1.8 ms CPU step), so cost *ratios* between runs use ``cpu_seconds``.
    """

    seconds: float = 0.0
    cpu_seconds: float = 0.0
    _t0: float = 0.0
    _c0: float = 0.0

    def start(self) -> None:
        self._t0, self._c0 = time.perf_counter(), time.thread_time()

    def stop(self) -> None:
        self.seconds += time.perf_counter() - self._t0
        self.cpu_seconds += time.thread_time() - self._c0


def single_thread():
    """Run the block with one torch / BLAS thread (see :func:`unlearn_core._utils.limit_threads`).

    The models here are small MLPs on mini-batches of 64-144 rows: intra-op parallelism costs more than
    it saves (the digits model trained in 13.6 s with 2 threads against 0.33 s with 1 on the shared team
    machine). Timings in reports and benchmarks are therefore single-threaded for every method alike.
    """
    return limit_threads(1)


@dataclass(frozen=True, eq=False)
class ModelRun:
    """A trained classifier and how it was trained (the UI caches the original model's run).

    Attributes
    ----------
    state_dict : the weights (tensors, detached copies).
    n_features, n_classes, hidden : the MLP's shape (``make_model("mlp", ...)``).
    epochs, batch_size, lr, random_state : the training options.
    seconds : wall time of the optimisation steps (evaluation excluded).
    history : one row per epoch: epoch, loss, train_acc, test_acc, seconds and cpu_seconds (cumulative).
    cpu_seconds : CPU time of the training thread over the same steps (see :class:`Clock`).
    stopped : True when ``should_stop`` ended training early.
    """

    state_dict: dict
    n_features: int
    n_classes: int
    hidden: tuple[int, ...]
    epochs: int
    batch_size: int
    lr: float
    random_state: int
    seconds: float
    history: pd.DataFrame
    stopped: bool = False
    converged: bool = True
    message: str = ""
    cpu_seconds: float = float("nan")

    def model(self) -> nn.Module:
        """A fresh torch module holding these weights (safe to train: the run is not modified)."""
        m = make_model("mlp", self.n_features, self.n_classes, hidden=self.hidden, random_state=0)
        m.load_state_dict({k: v.clone() for k, v in self.state_dict.items()})
        return m

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        with single_thread():
            return predict_outputs(self.model(), X)


def _snapshot(model: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _check_common(epochs: int, lr: float, *batches: int) -> None:
    if int(epochs) < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"lr must be a positive learning rate, got {lr}")
    for b in batches:
        if int(b) < 1:
            raise ValueError(f"batch sizes must be positive, got {b}")


@dataclass(frozen=True)
class LoopHooks:
    """What a training loop calls back: per-epoch evaluation, progress, stop requests and checks.

    ``on_epoch(model, epoch, clock, loss, mi)`` after each epoch (its returned metrics go to
    ``progress(step, total, metrics)`` with ``method=label``); ``should_stop()`` before each step;
    ``on_check(model, steps, clock)`` every ``check_every`` steps (:func:`fit_paired` only).
    """

    on_epoch: OnEpoch | None = None
    progress: Progress | None = None
    should_stop: ShouldStop | None = None
    label: str = "training"
    on_check: OnCheck | None = None
    check_every: int = 0


def fit_plain(
    model: nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    gen: torch.Generator,
    hooks: LoopHooks = LoopHooks(),
) -> tuple[float, int, bool, bool]:
    """Adam on mean cross-entropy over shuffled mini-batches of (X, y), ``epochs`` passes.

    Returns (clock, steps, stopped, finite); the clock holds the training time (:class:`Clock`).
    """
    on_epoch, progress, should_stop, label = hooks.on_epoch, hooks.progress, hooks.should_stop, hooks.label
    Xt, yt = to_tensor(X), torch.as_tensor(np.asarray(y), dtype=torch.long)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    ce = nn.CrossEntropyLoss()
    n = len(Xt)
    clock, steps = Clock(), 0
    model.train()
    for epoch in range(1, epochs + 1):
        clock.start()
        perm = torch.randperm(n, generator=gen)
        total, nb = 0.0, 0
        for start in range(0, n, batch_size):
            if should_stop is not None and should_stop():
                clock.stop()
                return clock, steps, True, True
            b = perm[start : start + batch_size]
            opt.zero_grad()
            loss = ce(model(Xt[b]), yt[b])
            loss.backward()
            opt.step()
            total += float(loss.detach())
            nb += 1
            steps += 1
        clock.stop()
        if not math.isfinite(total):
            return clock, steps, False, False
        _report_epoch(on_epoch, progress, model, epoch, clock, total / max(nb, 1), float("nan"),
                      steps, epochs * math.ceil(n / batch_size), label)
    return clock, steps, False, True


def _report_epoch(on_epoch: OnEpoch | None, progress: Progress | None, model: nn.Module, epoch: int,
                  clock: Clock, loss: float, mi: float, steps: int, total: int, label: str) -> None:
    metrics = on_epoch(model, epoch, clock, loss, mi) if on_epoch is not None else None
    if progress is not None:
        progress(steps, total, {"epoch": epoch, "loss": loss, **(metrics or {}), "method": label})


def fit_paired(
    model: nn.Module,
    problem: ForgetProblem,
    step_loss: StepLoss,
    *,
    epochs: int,
    retain_batch: int,
    forget_batch: int,
    lr: float,
    gen: torch.Generator,
    y_forget: np.ndarray | None = None,
    hooks: LoopHooks = LoopHooks(label="unlearning"),
) -> tuple[float, int, bool, bool]:
    """The authors' paired loop: fresh Adam, each step one retained batch and one forget batch.

    Both sets are reshuffled every epoch from ``gen``; an epoch is
    ``min(ceil(n_r / retain_batch), ceil(n_u / forget_batch))`` steps (``zip`` of the two loaders in
    the authors' script). Every method built on this loop consumes the random stream identically, so
    methods differ only in their step loss (hence lam = 0 equals plain fine-tuning).

    ``on_check(model, steps, clock)``, when given, is called every ``check_every`` steps (and after the
    last step of each epoch); when it returns True the run ends there (the partial epoch is reported
    through ``on_epoch``), which is how a stopping rule ends :func:`unlearn`'s default budget.

    Returns (clock, steps, stopped, finite); the clock holds the training time (:class:`Clock`).
    """
    on_epoch, progress, should_stop, label = hooks.on_epoch, hooks.progress, hooks.should_stop, hooks.label
    on_check, check_every = hooks.on_check, hooks.check_every
    Xr = to_tensor(problem.X_retain)
    yr = torch.as_tensor(problem.y_retain, dtype=torch.long)
    Xu = to_tensor(problem.X_forget)
    yu = torch.as_tensor(problem.y_forget if y_forget is None else y_forget, dtype=torch.long)
    n_r, n_u = len(Xr), len(Xu)
    steps_per_epoch = min(math.ceil(n_r / retain_batch), math.ceil(n_u / forget_batch))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    clock, steps = Clock(), 0
    model.train()
    for epoch in range(1, epochs + 1):
        clock.start()
        pr = torch.randperm(n_r, generator=gen)
        pu = torch.randperm(n_u, generator=gen)
        total, total_mi, nb = 0.0, 0.0, 0
        for k in range(steps_per_epoch):
            if should_stop is not None and should_stop():
                clock.stop()
                return clock, steps, True, True
            br = pr[k * retain_batch : (k + 1) * retain_batch]
            bu = pu[k * forget_batch : (k + 1) * forget_batch]
            opt.zero_grad()
            loss, mi = step_loss(model, Xr[br], yr[br], Xu[bu], yu[bu])
            loss.backward()
            opt.step()
            total += float(loss.detach())
            total_mi += mi
            nb += 1
            steps += 1
            if on_check is not None and (
                    (check_every > 0 and steps % check_every == 0) or k == steps_per_epoch - 1):
                clock.stop()
                clock.start()  # the check's own time counts as training time
                if on_check(model, steps, clock):
                    clock.stop()
                    _report_epoch(on_epoch, progress, model, epoch, clock, total / max(nb, 1),
                                  total_mi / max(nb, 1), steps, epochs * steps_per_epoch, label)
                    return clock, steps, False, math.isfinite(total)
        clock.stop()
        if not math.isfinite(total):
            return clock, steps, False, False
        _report_epoch(on_epoch, progress, model, epoch, clock, total / max(nb, 1), total_mi / max(nb, 1),
                      steps, epochs * steps_per_epoch, label)
    return clock, steps, False, True


def train_original(
    problem: ForgetProblem,
    *,
    hidden: Sequence[int] = (128, 64),
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 1e-3,
    random_state: RandomState = 0,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> ModelRun:
    """Train the original model on all of D = D_r + D_u (the model unlearning starts from).

    An MLP ``n_features -> hidden -> n_classes`` (the authors' 784-128-64-10 on MNIST) trained with Adam
    (``lr``) on mean cross-entropy over shuffled mini-batches of ``batch_size`` for ``epochs`` passes.
    The authors trained 100 epochs on 60,000 MNIST images; on the small built-in sets 30 epochs reach
    a training accuracy of about 100%, so the forget set is memorised as in the paper.
    """
    _check_common(epochs, lr, batch_size)
    seed = seed_from(random_state)
    model = make_model("mlp", problem.n_features, problem.n_classes, hidden=tuple(hidden), random_state=seed)
    gen = torch_generator(seed + 1)
    rows: list[dict] = []

    def on_epoch(m: nn.Module, epoch: int, clock: Clock, loss: float, _mi: float) -> dict:
        rows.append({
            "epoch": epoch, "loss": loss,
            "train_acc": float(np.mean(predict_outputs(m, problem.X_train).argmax(1) == problem.y_train)),
            "test_acc": float(np.mean(predict_outputs(m, problem.X_test).argmax(1) == problem.y_test)),
            "seconds": clock.seconds, "cpu_seconds": clock.cpu_seconds,
        })
        return rows[-1]

    with single_thread():
        clock, _steps, stopped, finite = fit_plain(
            model, problem.X_train, problem.y_train, epochs=int(epochs), batch_size=int(batch_size), lr=lr,
            gen=gen, hooks=LoopHooks(on_epoch=on_epoch, progress=progress, should_stop=should_stop,
                                     label="original"))
    message = ""
    if stopped:
        message = f"stopped by the user after {len(rows)} of {epochs} epochs"
    if not finite:
        message = "the training loss became NaN/inf; lower lr"
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    return ModelRun(
        state_dict=_snapshot(model), n_features=problem.n_features, n_classes=problem.n_classes,
        hidden=tuple(int(h) for h in hidden), epochs=int(epochs), batch_size=int(batch_size), lr=float(lr),
        random_state=seed, seconds=clock.seconds,
        history=pd.DataFrame(rows, columns=["epoch", "loss", "train_acc", "test_acc", "seconds",
                                            "cpu_seconds"]),
        stopped=stopped, converged=finite and not stopped, message=message, cpu_seconds=clock.cpu_seconds,
    )
