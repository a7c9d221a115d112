"""MI-regularised unlearning (the paper's method), its baselines, and repeated trials."""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from .._config import config_signature, resolve
from .._utils import RandomState, check_random_state, seed_from
from ..leakage.differentiable import PENALTIES
from ..models import make_model, predict_outputs, torch_generator
from . import _budget
from ._problem import ForgetProblem
from ._report import UnlearnReport, evaluate_probs, per_class_accuracy, summarize
from ._train import (
    Clock,
    LoopHooks,
    ModelRun,
    Progress,
    ShouldStop,
    StepLoss,
    _check_common,
    _snapshot,
    fit_paired,
    fit_plain,
    single_thread,
)

HISTORY_COLUMNS = ["epoch", "ua", "ra", "ta", "mi", "mia_loss_auc", "mia_entropy_auc", "forget_confidence",
                   "loss", "batch_mi", "seconds", "cpu_seconds"]


def _check_inputs(original: ModelRun, problem: ForgetProblem, lam: float, epochs: int) -> None:
    if not isinstance(original, ModelRun):
        raise ValueError(
            f"original must be the ModelRun from train_original(), got {type(original).__name__}")
    if not isinstance(problem, ForgetProblem):
        raise ValueError(f"problem must be the ForgetProblem from prepare(), got {type(problem).__name__}")
    if (original.n_features, original.n_classes) != (problem.n_features, problem.n_classes):
        raise ValueError(
            f"the original model has {original.n_features} inputs / {original.n_classes} classes but the "
            f"problem has {problem.n_features} / {problem.n_classes}; train the original on this problem")
    if not (isinstance(lam, (int, float, np.number)) and math.isfinite(lam) and lam >= 0):
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}")
    if int(epochs) != epochs or epochs < 0:
        raise ValueError(f"epochs must be a whole number >= 0, got {epochs!r}")


def _run(
    method: str,
    problem: ForgetProblem,
    model: nn.Module,
    train: Callable[..., tuple[Clock, int, bool, bool]],
    *,
    lam: float,
    epochs: int,
    confidence_before: float,
    reference: UnlearnReport | None,
    options: dict,
) -> UnlearnReport:
    """Evaluate the starting model, run ``train`` with per-epoch evaluation, and build the report."""
    rows: list[dict] = []
    eval_time = [0.0]
    last: dict[str, Any] = {}

    def evaluate(m: nn.Module, epoch: int, clock: Clock, loss: float, batch_mi: float) -> dict:
        t0 = time.perf_counter()
        P_tr, P_te = predict_outputs(m, problem.X_train), predict_outputs(m, problem.X_test)
        mets = evaluate_probs(problem, P_tr, P_te)
        rows.append({"epoch": epoch, **{k: mets[k] for k in HISTORY_COLUMNS[1:8]}, "loss": loss,
                     "batch_mi": batch_mi, "seconds": clock.seconds, "cpu_seconds": clock.cpu_seconds})
        last.update(mets=mets, P_tr=P_tr, P_te=P_te)
        eval_time[0] += time.perf_counter() - t0
        return rows[-1]

    with single_thread():
        evaluate(model, 0, Clock(), float("nan"), float("nan"))
        clock, steps, stopped, finite = train(model, on_epoch=evaluate)
        done = len(rows) - 1
        if stopped and rows[-1]["seconds"] < clock.seconds:  # evaluate the partial epoch too
            evaluate(model, done + 1, clock, float("nan"), float("nan"))
    message, converged = "", finite and not stopped
    if stopped:
        message = f"stopped by the user after {done} of {epochs} epochs ({steps} steps)"
    if not finite:
        message = f"{method}: the loss became NaN/inf; lower lr or lam"
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    mets, P_tr, P_te = last["mets"], last["P_tr"], last["P_te"]
    report = UnlearnReport(
        method=method, lam=float(lam), epochs=int(epochs),
        history=pd.DataFrame(rows, columns=HISTORY_COLUMNS),
        **mets,
        forget_confidence_before=float(confidence_before),
        seconds=float(clock.seconds), cpu_seconds=float(clock.cpu_seconds), eval_seconds=eval_time[0],
        n_iter=int(steps),
        per_class=per_class_accuracy(problem, P_tr, P_te),
        forget_pred=P_tr[problem.forget_idx].argmax(1),
        forget_proba=P_tr[problem.forget_idx],
        state_dict=_snapshot(model), options=dict(options),
        converged=converged, stopped=stopped, message=message,
    )
    return report.with_reference(reference)


def _confidence(original: ModelRun, problem: ForgetProblem) -> float:
    P = original.predict_proba(problem.X_forget)
    return float(np.mean(P[np.arange(len(P)), problem.y_forget]))


@dataclass(frozen=True)
class PairedConfig:
    """The settings of the paired loop that :func:`finetune`, :func:`neggrad` and :func:`relabel` run.

    ``lam`` weighs the method's second term, ``epochs`` passes of the loop, ``lr`` Adam's step,
    ``retain_batch`` / ``forget_batch`` the rows of D_r / D_u per step, ``random_state`` the batches'
    seed (and relabel's fake labels).
    """

    lam: float = 1.0
    epochs: int = 5
    lr: float = 1e-3
    retain_batch: int = 64
    forget_batch: int = 16
    random_state: RandomState = 0


@dataclass(frozen=True)
class UnlearnConfig(PairedConfig):
    """:func:`unlearn`'s settings: the paired loop's, with ``lam`` / ``epochs`` None for the default
    budget, and the differentiable ``estimator`` (a key of ``leakage.differentiable.PENALTIES``)."""

    lam: float | None = None
    epochs: int | None = None
    estimator: str = "softmax-averaging"


def _paired(
    method: str, original: ModelRun, problem: ForgetProblem, step: StepLoss, c: PairedConfig,
    hooks: LoopHooks, *, reference: UnlearnReport | None, y_forget: np.ndarray | None = None,
    extra: dict | None = None,
) -> UnlearnReport:
    """Run ``step`` in the paired loop with the settings ``c`` and report it (the baselines' common body)."""
    lam, epochs, lr, random_state = c.lam, c.epochs, c.lr, c.random_state
    retain_batch, forget_batch = c.retain_batch, c.forget_batch
    _check_inputs(original, problem, lam, epochs)
    _check_common(epochs, lr, retain_batch, forget_batch)
    gen = torch_generator(random_state)
    opts = dict(lr=lr, retain_batch=retain_batch, forget_batch=forget_batch,
                random_state=seed_from(random_state) if isinstance(random_state, (int, np.integer)) else None,
                **(extra or {}))

    def train(model: nn.Module, on_epoch) -> tuple[Clock, int, bool, bool]:
        return fit_paired(model, problem, step, epochs=int(epochs), retain_batch=int(retain_batch),
                          forget_batch=int(forget_batch), lr=lr, gen=gen, y_forget=y_forget,
                          hooks=replace(hooks, on_epoch=on_epoch, label=method))

    return _run(method, problem, original.model(), train, lam=lam, epochs=epochs,
                confidence_before=_confidence(original, problem), reference=reference, options=opts)


def _baseline_config(config: PairedConfig | None, defaults: PairedConfig, options: dict) -> PairedConfig:
    """A baseline's settings: ``config`` (or its defaults) with the options that name a field applied.

    Other options are ignored, as they always were: :func:`repeat` passes one option set to any method.
    """
    names = {f.name for f in dataclasses.fields(PairedConfig)}
    return replace(config if config is not None else defaults,
                   **{k: v for k, v in options.items() if k in names})


@config_signature(UnlearnConfig)
def unlearn(
    original: ModelRun,
    problem: ForgetProblem,
    config: UnlearnConfig | None = None,
    *,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    reference: UnlearnReport | None = None,
    **overrides: Any,
) -> UnlearnReport:
    """MI-regularised unlearning: fine-tune the original with CE on D_r + lam * I_hat(f(X); Z).

    Each step draws a retained batch B_r (``retain_batch`` rows of D_r) and a forget batch B_u
    (``forget_batch`` rows of D_u) and minimises

    .. math::

        \\mathcal L = \\mathrm{CE}(f(B_r), y_r) + \\lambda \\, \\hat I(f(X); Z), \\quad
        X = [B_r ; B_u ; B_r], \\; Z = [0, \\dots, 0 ; 0, \\dots, 0 ; 1, \\dots, 1]

    where [B_r ; B_u] (a sample of D) is labelled Z = 0, the *same* retained batch B_r is labelled Z = 1
    (as in the authors' ``create_train_labels(remain_images, unlearn_images)``), and I_hat is
    ``PENALTIES[estimator]`` on the softmax outputs (softmax averaging, docs/design.md 3.2). Starts from the
    original weights with a fresh Adam at ``lr`` (the authors: 1e-3, batches 64 / 16, lam = 4 for 5
    epochs on MNIST). One forward pass over [B_r ; B_u] serves both terms: the model has no dropout or
    batch norm, so the outputs of the repeated B_r are identical and the gradient equals the authors'.

    Parameters
    ----------
    original : the model trained on all of D (:func:`train_original`).
    problem : the prepared split and forget set (:func:`prepare`).
    config : an :class:`UnlearnConfig` holding ``lam``, ``epochs``, ``estimator``, ``lr``,
        ``retain_batch``, ``forget_batch`` and ``random_state``; each may also be given as a keyword,
        which overrides the config's value (an unknown keyword is a TypeError).
    lam : weight of the leakage penalty (lam = 0 is plain fine-tuning on D_r, :func:`finetune`); None
        (default) takes ``forgetting._budget.DEFAULT_LAM`` (1).
    epochs : passes of the paired loop (each ``min(ceil(n_r/64), ceil(n_u/16))`` steps). None (default)
        is the *retrain-free default budget*: run until the forget set looks unseen, i.e. until the
        forget accuracy reaches the retrain-free target UA* (``forgetting._budget``: the model's own
        accuracy on held-out rows like D_u, 0 on classes D_r no longer has), checked about ten times
        an epoch, keeping the closer of the last two checkpoints; or when UA* itself falls more than
        ``_budget.COLLAPSE_MARGIN`` below its start ("peer collapse"); or until the time cap (0.2 x the
        original's training CPU time x n_r / n, an estimate of retraining's cost that needs no
        retraining) or ``DEFAULT_MAX_EPOCHS``. ``report.stop_rule`` / ``stop_reason`` say which ended
        the run and why.
    estimator : a key of ``unlearn_core.leakage.differentiable.PENALTIES``.
    reference : the retrained model's report; fills gaps, time ratio and the over-unlearning flag.
    progress, should_stop : as in :mod:`unlearn_core.training`: ``progress(step, total_steps, metrics)``
        after each epoch (metrics: that epoch's history row plus ``method``); ``should_stop()`` is polled
        before each step and ends the run early (the report says ``stopped=True``).

    Notes
    -----
    I_hat compares mean softmax vectors only, and it is 0 iff the mean prediction on D_u equals the
    retained class mix. With a one-class forget set that is stronger than matching a retrained model, so
    large budgets over-unlearn (forget accuracy far below retraining's; the report flags it against a
    ``reference``). I_hat can also fall the other way round: at very large lam (e.g. 10 on digits)
    some runs move the *retained* outputs toward D_u's instead (retained 8s and 9s start being predicted
    as 3: mean P(3) on D_r rose from 0.03 to 0.07 in one run), so forget accuracy stays at 100% while
    test accuracy drops; read ``per_class`` and ``ra`` next to ``ua``.
    """
    c = resolve(UnlearnConfig, config, overrides, "unlearn")
    estimator, epochs = c.estimator, c.epochs
    if estimator not in PENALTIES:
        raise ValueError(f"unknown estimator {estimator!r}; choose one of {', '.join(PENALTIES)}")
    penalty = PENALTIES[estimator]
    auto = epochs is None
    lam = _budget.DEFAULT_LAM if c.lam is None else c.lam
    c = replace(c, lam=lam)
    _check_inputs(original, problem, lam, 0 if auto else epochs)
    hooks = LoopHooks(progress=progress, should_stop=should_stop)

    def step(model: nn.Module, Xr, yr, Xu, yu) -> tuple[torch.Tensor, float]:
        nr = len(Xr)
        logits = model(torch.cat([Xr, Xu]))
        ce = F.cross_entropy(logits[:nr], yr)
        out = torch.softmax(logits, dim=1)  # PENALTIES take class probabilities for classifiers
        S = torch.cat([out, out[:nr]])
        z = torch.cat([torch.zeros(len(logits), dtype=torch.long), torch.ones(nr, dtype=torch.long)])
        mi = penalty(S, z, 2)
        return ce + lam * mi, float(mi.detach())

    if not auto:
        rep = _paired("mi", original, problem, step, c, hooks, reference=reference,
                      extra={"estimator": estimator})
        return _finish(rep, original, problem, "user" if rep.stopped else "budget",
                       rep.message if rep.stopped else f"the explicit budget: λ = {lam:g}, {epochs} epochs")
    return _auto(original, problem, step, c, hooks, reference=reference)


def _peer_target(model: nn.Module, problem: ForgetProblem) -> tuple[float, _budget.Target, float]:
    """(forget accuracy, retrain-free target, forget confidence) of ``model`` now."""
    Pu = predict_outputs(model, problem.X_forget)
    Pp = predict_outputs(model, problem.X_test[_budget._peer_rows(problem)])
    yu = problem.y_forget
    return (float(np.mean(Pu.argmax(1) == yu)), _budget.target(problem, Pp),
            float(np.mean(Pu[np.arange(len(yu)), yu])))


def _finish(rep: UnlearnReport, original: ModelRun, problem: ForgetProblem, rule: str,
            reason: str) -> UnlearnReport:
    """Record the stopping rule and judge the report against the retrain-free target (when no reference)."""
    from dataclasses import replace

    if rep.state_dict is None:
        return replace(rep, stop_rule=rule, stop_reason=reason)
    m = original.model()
    m.load_state_dict(rep.state_dict)
    with single_thread():
        _, tgt, _ = _peer_target(m, problem)
    return replace(rep, stop_rule=rule, stop_reason=reason).with_target(tgt.ua, tgt.confidence)


def _auto(original: ModelRun, problem: ForgetProblem, step: StepLoss, c: UnlearnConfig, hooks: LoopHooks, *,
          reference: UnlearnReport | None) -> UnlearnReport:
    """The retrain-free default budget (see :func:`unlearn` and ``forgetting._budget``)."""
    retain_batch, forget_batch = c.retain_batch, c.forget_batch
    n_r, n_u = len(problem.retain_idx), len(problem.forget_idx)
    per_epoch = min(math.ceil(n_r / retain_batch), math.ceil(n_u / forget_batch))
    every = max(1, per_epoch // _budget.CHECKS_PER_EPOCH)
    cap = _budget.time_cap(original.cpu_seconds, n_r, len(problem.y_train))
    with single_thread():
        ua0, tgt0, conf0 = _peer_target(original.model(), problem)
    state: dict[str, Any] = {"rule": "epoch cap", "prev": None, "prev_gap": ua0 - tgt0.ua, "prev_ua": ua0,
                             "checks": 0, "reason": ""}
    collapse = _budget.collapse_margin(tgt0.ua, len(_budget._peer_rows(problem)))
    if ua0 <= tgt0.ua and not (_budget.RULE == "both" and conf0 > tgt0.confidence):
        state.update(rule="target", reason=(
            f"the original's forget accuracy {ua0:.1%} is already at or below the target {tgt0.ua:.1%} "
            "(its accuracy on held-out rows like D_u): nothing to unlearn by this rule"))

    def check(model: nn.Module, steps: int, clock: Clock) -> bool:
        state["checks"] += 1
        ua, tgt, conf = _peer_target(model, problem)
        gap = ua - tgt.ua
        if _budget.RULE == "both" and tgt.unpredictable == 0 and conf > tgt.confidence:
            gap = max(gap, 1e-9)  # accuracy reached but the forget set is still more confident than peers
        if gap <= 0:
            keep_prev = state["prev"] is not None and abs(state["prev_gap"]) < abs(gap)
            if keep_prev:
                model.load_state_dict(state["prev"])
            ua_kept = state["prev_ua"] if keep_prev else ua
            lacks = (f"; 0 on the {tgt.unpredictable:.0%} of D_u in classes D_r lacks"
                     if tgt.unpredictable else "")
            state.update(rule="target", reason=(
                f"forget accuracy reached the retrain-free target after {steps} steps: {ua:.1%} <= "
                f"{tgt.ua:.1%} (the model's accuracy on {len(_budget._peer_rows(problem))} held-out rows "
                f"like D_u{lacks}); "
                f"kept the {'previous' if keep_prev else 'current'} checkpoint (forget accuracy "
                f"{ua_kept:.1%}), the closer of the last two"))
            return True
        if tgt.ua < tgt0.ua - collapse and tgt.unpredictable < 1.0:
            keep_prev = state["prev"] is not None
            if keep_prev:
                model.load_state_dict(state["prev"])
            state.update(rule="peer collapse", reason=(
                f"the model's accuracy on the held-out rows like D_u fell from {tgt0.ua:.1%} to {tgt.ua:.1%} "
                f"(more than {collapse:.1%}): the penalty is erasing the class itself, which "
                "retraining on D_r would not; kept the previous checkpoint"))
            return True
        if clock.cpu_seconds >= cap:
            state.update(rule="time cap", reason=(
                f"the time cap ({cap:.2f} CPU s = {_budget.DEFAULT_TIME_SHARE:g} x the original's training "
                f"time x n_r / n) came first: forget accuracy {ua:.1%} is still above the target "
                f"{tgt.ua:.1%}"))
            return True
        state["prev"], state["prev_gap"], state["prev_ua"] = _snapshot(model), gap, ua
        return False

    epochs = 0 if state["rule"] == "target" else _budget.DEFAULT_MAX_EPOCHS
    rep = _paired("mi", original, problem, step, replace(c, epochs=epochs),
                  replace(hooks, on_check=check, check_every=every), reference=reference,
                  extra={"estimator": c.estimator, "budget": "default", "check_every": every,
                         "time_cap_cpu": cap})
    if rep.stopped:
        state.update(rule="user", reason=rep.message)
    elif state["rule"] == "epoch cap":
        state["reason"] = (f"ran the maximum of {_budget.DEFAULT_MAX_EPOCHS} epochs without reaching the "
                           "target")
    done = int(rep.history["epoch"].max()) if len(rep.history) else 0
    return _finish(replace(rep, epochs=done), original, problem, state["rule"], state["reason"])


_FINETUNE_DEFAULTS = PairedConfig(lam=0.0)


@config_signature(PairedConfig, _FINETUNE_DEFAULTS)
def finetune(
    original: ModelRun, problem: ForgetProblem, config: PairedConfig | None = None, *,
    progress: Progress | None = None, should_stop: ShouldStop | None = None,
    reference: UnlearnReport | None = None, **options: Any,
) -> UnlearnReport:
    """Fine-tune the original on D_r only: CE(f(B_r), y_r) per step, same batches as :func:`unlearn`.

    It runs the paired loop with the same random stream, so it is exactly ``unlearn(lam=0)`` (D_u is
    drawn but unused); ``lam`` is ignored and recorded as 0. Settings: :class:`PairedConfig`, as
    ``config`` or keywords; keywords that name no setting are ignored (:func:`repeat` passes one set to
    every method).
    """
    c = replace(_baseline_config(config, _FINETUNE_DEFAULTS, options), lam=0.0)

    def step(model: nn.Module, Xr, yr, Xu, yu) -> tuple[torch.Tensor, float]:
        return F.cross_entropy(model(Xr), yr), float("nan")

    hooks = LoopHooks(progress=progress, should_stop=should_stop)
    return _paired("finetune", original, problem, step, c, hooks,
                   reference=reference)


_NEGGRAD_DEFAULTS = PairedConfig(lam=1.0)


@config_signature(PairedConfig, _NEGGRAD_DEFAULTS)
def neggrad(
    original: ModelRun, problem: ForgetProblem, config: PairedConfig | None = None, *,
    progress: Progress | None = None, should_stop: ShouldStop | None = None,
    reference: UnlearnReport | None = None, **options: Any,
) -> UnlearnReport:
    """Gradient ascent on D_u with a retain term (NegGrad+): minimise CE(f(B_r), y_r) - lam * CE(f(B_u), y_u).

    The ascent term is unbounded: with large ``lam`` or many epochs forget accuracy collapses to 0
    (far below retraining), which is the usual behaviour of this baseline. Settings: as :func:`finetune`.
    """
    c = _baseline_config(config, _NEGGRAD_DEFAULTS, options)
    lam = c.lam

    def step(model: nn.Module, Xr, yr, Xu, yu) -> tuple[torch.Tensor, float]:
        nr = len(Xr)
        logits = model(torch.cat([Xr, Xu]))
        return F.cross_entropy(logits[:nr], yr) - lam * F.cross_entropy(logits[nr:], yu), float("nan")

    hooks = LoopHooks(progress=progress, should_stop=should_stop)
    return _paired("neggrad", original, problem, step, c, hooks,
                   reference=reference)


_RELABEL_DEFAULTS = PairedConfig(lam=1.0)


@config_signature(PairedConfig, _RELABEL_DEFAULTS)
def relabel(
    original: ModelRun, problem: ForgetProblem, config: PairedConfig | None = None, *,
    progress: Progress | None = None, should_stop: ShouldStop | None = None,
    reference: UnlearnReport | None = None, **options: Any,
) -> UnlearnReport:
    """Random relabelling of D_u: minimise CE(f(B_r), y_r) + lam * CE(f(B_u), y'_u).

    y'_u is drawn once per run, uniformly among the classes other than the true one (seeded by
    ``random_state``), so the model is trained to be wrong on D_u. Settings: as :func:`finetune`.
    """
    c = _baseline_config(config, _RELABEL_DEFAULTS, options)
    lam = c.lam
    rng = check_random_state(seed_from(c.random_state) + 7919)
    yu = problem.y_forget
    shift = rng.integers(1, problem.n_classes, size=len(yu))
    y_fake = (yu + shift) % problem.n_classes

    def step(model: nn.Module, Xr, yr, Xu, yfake) -> tuple[torch.Tensor, float]:
        nr = len(Xr)
        logits = model(torch.cat([Xr, Xu]))
        return F.cross_entropy(logits[:nr], yr) + lam * F.cross_entropy(logits[nr:], yfake), float("nan")

    hooks = LoopHooks(progress=progress, should_stop=should_stop)
    return _paired("relabel", original, problem, step, c, hooks,
                   reference=reference, y_forget=y_fake)


def retrain(
    original: ModelRun, problem: ForgetProblem, *, lam: float = 0.0, epochs: int | None = None,
    lr: float | None = None, batch_size: int | None = None, random_state: RandomState = 0,
    progress: Progress | None = None, should_stop: ShouldStop | None = None,
    reference: UnlearnReport | None = None, **_ignored: Any,
) -> UnlearnReport:
    """Retrain from scratch on D_r only: the reference every unlearning method is measured against.

    Same architecture and training options as the original (``epochs``, ``lr``, ``batch_size`` default
    to the original's), a fresh initialisation seeded by ``random_state``. History epoch 0 is the
    untrained model; ``lam`` is ignored and recorded as 0.
    """
    _check_inputs(original, problem, 0.0, 0)
    epochs = original.epochs if epochs is None else epochs
    lr = original.lr if lr is None else lr
    batch_size = original.batch_size if batch_size is None else batch_size
    _check_inputs(original, problem, 0.0, epochs)
    _check_common(epochs, lr, batch_size)
    seed = seed_from(random_state)
    model = make_model("mlp", problem.n_features, problem.n_classes, hidden=original.hidden,
                       random_state=seed)
    gen = torch_generator(seed + 1)

    def train(m: nn.Module, on_epoch) -> tuple[Clock, int, bool, bool]:
        return fit_plain(m, problem.X_retain, problem.y_retain, epochs=int(epochs),
                         batch_size=int(batch_size), lr=lr, gen=gen,
                         hooks=LoopHooks(on_epoch=on_epoch, progress=progress, should_stop=should_stop,
                                         label="retrain"))

    return _run("retrain", problem, model, train, lam=0.0, epochs=epochs,
                confidence_before=_confidence(original, problem), reference=reference,
                options=dict(lr=lr, batch_size=batch_size, random_state=seed))


def original_report(
    original: ModelRun, problem: ForgetProblem, *, reference: UnlearnReport | None = None
) -> UnlearnReport:
    """The original model's metrics as a report (method ``"original"``, seconds = its training time)."""
    _check_inputs(original, problem, 0.0, 0)
    t0 = time.perf_counter()
    model = original.model()
    with single_thread():
        P_tr, P_te = predict_outputs(model, problem.X_train), predict_outputs(model, problem.X_test)
    mets = evaluate_probs(problem, P_tr, P_te)
    hist = pd.DataFrame([{"epoch": 0, **{k: mets[k] for k in HISTORY_COLUMNS[1:8]}, "loss": float("nan"),
                          "batch_mi": float("nan"), "seconds": 0.0, "cpu_seconds": 0.0}],
                        columns=HISTORY_COLUMNS)
    report = UnlearnReport(
        method="original", lam=0.0, epochs=original.epochs, history=hist, **mets,
        forget_confidence_before=mets["forget_confidence"], seconds=original.seconds,
        cpu_seconds=original.cpu_seconds,
        eval_seconds=time.perf_counter() - t0, n_iter=0, per_class=per_class_accuracy(problem, P_tr, P_te),
        forget_pred=P_tr[problem.forget_idx].argmax(1), forget_proba=P_tr[problem.forget_idx],
        state_dict=original.state_dict, options={}, converged=original.converged, stopped=original.stopped,
        message=original.message,
    )
    return report.with_reference(reference)


#: name -> method, all called as ``fn(original, problem, *, lam=..., epochs=..., random_state=...,
#: progress=..., should_stop=..., reference=...) -> UnlearnReport``. The UI builds its picker from this.
#: Baselines accept and ignore options they do not use (``estimator``, ``lam`` for finetune / retrain);
#: pass ``epochs=None`` to ``retrain`` to retrain with the original's schedule (the reference).
METHODS: dict[str, Callable[..., UnlearnReport]] = {
    "mi": unlearn,
    "retrain": retrain,
    "finetune": finetune,
    "neggrad": neggrad,
    "relabel": relabel,
}

METHOD_TITLES: dict[str, str] = {
    "mi": "MI-regularised fine-tune (the paper)",
    "retrain": "Retrain from scratch on D_r (reference)",
    "finetune": "Fine-tune on D_r only",
    "neggrad": "Gradient ascent on D_u (NegGrad+)",
    "relabel": "Random relabelling of D_u",
}


def _monotone_fit(y: np.ndarray) -> np.ndarray:
    """Least-squares non-decreasing fit of ``y`` (pool-adjacent-violators, equal weights)."""
    means: list[float] = []
    sizes: list[int] = []
    for v in np.asarray(y, dtype=float):
        means.append(float(v))
        sizes.append(1)
        while len(means) > 1 and means[-2] > means[-1]:  # pool a violating pair into its mean
            n = sizes[-2] + sizes[-1]
            means[-2] = (means[-2] * sizes[-2] + means[-1] * sizes[-1]) / n
            sizes[-2] = n
            del means[-1], sizes[-1]
    return np.repeat(means, sizes)


def time_to_utility(report: UnlearnReport, target_ta: float, *, clock: str = "cpu") -> float:
    """Training seconds a retraining run needs to reach test accuracy ``target_ta``, read off its curve.

    This is the cost of retraining "to the same utility" as an unlearned model whose test accuracy is
    ``target_ta``. With the retraining history's test accuracy a_e after epochs e = 0..E (e = 0 is the
    untrained model) and its total training time T over the E epochs:

    .. math::

        t^\\star = e^\\star \\, \\frac{T}{E}, \\quad
        e^\\star = \\min\\{e \\in [0, E] : \\tilde a(e) \\ge a^\\star\\}

    where a* is ``target_ta``, \\tilde a is the least-squares non-decreasing fit of (a_0, ..., a_E)
    (isotonic regression) joined linearly between epochs, and T / E is the run's mean cost of an epoch.
    When the fit never reaches a*, the whole run's T is returned (a lower bound of the cost).

    ``clock="cpu"`` (default) uses the training thread's CPU seconds (``report.cpu_seconds``),
    ``clock="wall"`` the wall seconds; compare an unlearning run's seconds on the same clock.

    Notes
    -----
    Why not "the first epoch whose test accuracy reaches a*" (this function's definition until November
    2026): a_e is noisy (the binomial SE of an accuracy of 95% on 2,000 test rows is 0.5 points, and SGD
    adds epoch-to-epoch jitter of the same size), and the unlearned model's accuracy typically sits on
    retraining's plateau, so the first crossing is the earliest of many noisy chances: biased early, and
    unstable (in one MNIST-subset trial it moved from epoch 11 to epoch 18 of 30 when the target rose by
    0.3 points). "Reaches a* and never falls below it again" is biased late for the same reason (one
    late dip moves it to the end of the run). The monotone fit pools neighbouring epochs so their noise
    averages out, and assumes only that expected test accuracy does not fall with more training (true of
    these small MLPs over the budgets used here). Linear interpolation between epochs removes the
    up-to-one-epoch overstatement of counting the whole epoch in which the target is crossed. Every
    epoch does the same work, so the run's mean epoch cost T / E estimates an epoch's cost with less
    variance than the cumulative time of the first few epochs, which a load spike on a shared CPU can
    inflate. Evaluation is excluded from T, as from an unlearning run's seconds, and both run with one
    torch thread.
    """
    if clock not in ("cpu", "wall"):
        raise ValueError(f"clock must be 'cpu' or 'wall', got {clock!r}")
    total = float(report.cpu_seconds if clock == "cpu" else report.seconds)
    if clock == "cpu" and not math.isfinite(total):
        raise ValueError("this report has no cpu_seconds (built before CPU timing); use clock='wall'")
    h = report.history.sort_values("epoch")
    epochs = h["epoch"].to_numpy(dtype=float)
    fit = _monotone_fit(h["ta"].to_numpy(dtype=float))
    n_epochs = float(epochs[-1]) if len(epochs) else 0.0
    target = float(target_ta) - 1e-12
    hit = np.flatnonzero(fit >= target)
    if n_epochs <= 0 or not len(hit):
        return total
    k = int(hit[0])
    if k == 0:
        return 0.0
    e_star = epochs[k - 1] + (epochs[k] - epochs[k - 1]) * (target - fit[k - 1]) / (fit[k] - fit[k - 1])
    return float(min(max(e_star, 0.0), n_epochs) * total / n_epochs)


@dataclass(frozen=True, eq=False)
class Trials:
    """Repeated runs of one method with different seeds; ``summary()`` gives mean and SD per metric."""

    method: str
    reports: tuple[UnlearnReport, ...]
    seeds: tuple[int, ...]

    def summary(self) -> pd.DataFrame:
        return summarize(self.reports)

    def table(self) -> pd.DataFrame:
        from ._report import compare

        return compare(self.reports).assign(seed=list(self.seeds))


def trial_seeds(random_state: RandomState, n_trials: int) -> tuple[int, ...]:
    """``n_trials`` independent 31-bit seeds derived from ``random_state`` (SeedSequence spawning)."""
    ss = np.random.SeedSequence(seed_from(random_state))
    return tuple(int(c.generate_state(1)[0] % (2**31 - 1)) for c in ss.spawn(int(n_trials)))


def repeat(
    method: str, original: ModelRun, problem: ForgetProblem, *, n_trials: int = 5,
    random_state: RandomState = 0,
    reference: UnlearnReport | None = None, progress: Progress | None = None,
    should_stop: ShouldStop | None = None, executor: Executor | None = None, **options: Any,
) -> Trials:
    """Run ``METHODS[method]`` ``n_trials`` times from the same original with independent seeds.

    As in the authors' script, the original model and the forget set are fixed and the method's own
    randomness (batch order, initialisation for retraining, fake labels) varies. Trial i's seed is
    ``trial_seeds(random_state, n_trials)[i]``, a function of (seed, i) only.

    ``executor`` (a ``concurrent.futures.Executor``, :mod:`unlearn_core.parallel`) runs the trials
    concurrently with the same seeds and so the same reports as the serial loop; the original, the
    problem and the reference go to the workers once, and ``progress`` then reports finished trials
    (``progress(done, n_trials, {"trial": i})``) rather than steps.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if int(n_trials) < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    seeds = trial_seeds(random_state, n_trials)
    if executor is not None:
        from ..parallel import Task, map_tasks

        tasks = [Task(id=f"trial={i}", index=i, seed=s, payload=None) for i, s in enumerate(seeds)]
        sub = None if progress is None else (lambda k, n, m: progress(k, n, {"trial": m["task"]}))
        reports = map_tasks(_trial_task, tasks, executor, sub, should_stop, shared=(
            method, original, problem, reference, dict(options)))
        return Trials(method=method, reports=tuple(reports), seeds=seeds[: len(reports)])
    reports = []
    for i, s in enumerate(seeds):
        if should_stop is not None and should_stop():
            break
        sub = None if progress is None else (
            lambda s, n, m, i=i: progress(i * n + s, len(seeds) * n, {**m, "trial": i}))
        reports.append(METHODS[method](original, problem, random_state=s, reference=reference, progress=sub,
                                       should_stop=should_stop, **options))
    return Trials(method=method, reports=tuple(reports), seeds=seeds[: len(reports)])


def repeat_many(
    methods: list[str] | tuple[str, ...], original: ModelRun, problem: ForgetProblem, *, n_trials: int = 5,
    random_state: RandomState = 0, reference: UnlearnReport | None = None, progress: Progress | None = None,
    should_stop: ShouldStop | None = None, executor: Executor | None = None, **options: Any,
) -> dict[str, Trials]:
    """:func:`repeat` for several methods at once: ``{method: Trials}``, the same reports as one
    ``repeat(method, ...)`` call per method (trial i of every method has seed ``trial_seeds(random_state,
    n_trials)[i]``).

    With an ``executor`` every (method, trial) pair is one task of a single submission, and the
    original, the problem and the reference go to the workers once for all of them: a digits trial
    takes about 0.1 s, so a submission per method would leave workers idle at each method's end and
    pay the shipping five times. Tasks are submitted slowest method first (retraining), so the last
    tasks to finish are short ones. ``progress(done, total, {"method": k, "trial": i})`` reports
    finished tasks; after ``should_stop`` each method keeps its longest finished prefix of trials.
    """
    methods = list(dict.fromkeys(methods))
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"unknown method {m!r}; choose one of {', '.join(METHODS)}")
    if int(n_trials) < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    if executor is None:
        out: dict[str, Trials] = {}
        for k, m in enumerate(methods):
            if should_stop is not None and should_stop():
                break
            sub = None if progress is None else (
                lambda d, n, meta, k=k: progress(k * n + d, len(methods) * n, {**meta, "method": float(k)}))
            out[m] = repeat(m, original, problem, n_trials=n_trials, random_state=random_state,
                            reference=reference, progress=sub, should_stop=should_stop, **options)
        return out
    from ..parallel import Task, map_tasks

    seeds = trial_seeds(random_state, n_trials)
    order = sorted(range(len(methods)), key=lambda k: methods[k] != "retrain")  # slowest first
    pairs = [(k, i) for k in order for i in range(len(seeds))]
    tasks = [Task(id=f"{methods[k]}.trial={i}", index=j, seed=seeds[i], payload=methods[k])
             for j, (k, i) in enumerate(pairs)]
    done: dict[int, UnlearnReport] = {}

    def keep(task, report) -> None:
        done[task.index] = report

    sub = None if progress is None else (
        lambda d, n, meta: progress(d, n, {"method": float(pairs[int(meta["task"])][0]),
                                           "trial": float(pairs[int(meta["task"])][1])}))
    map_tasks(_method_trial_task, tasks, executor, sub, should_stop, on_result=keep,
              shared=(original, problem, reference, dict(options)))
    out = {}
    for k, m in enumerate(methods):
        reports = []
        for i in range(len(seeds)):
            j = pairs.index((k, i))
            if j not in done:
                break
            reports.append(done[j])
        if reports:
            out[m] = Trials(method=m, reports=tuple(reports), seeds=seeds[: len(reports)])
    return out


def _method_trial_task(task, shared) -> UnlearnReport:
    """One (method, trial) task of :func:`repeat_many` (module level, so workers can run it)."""
    original, problem, reference, options = shared
    return METHODS[task.payload](original, problem, random_state=task.seed, reference=reference, **options)


def _trial_task(task, shared) -> UnlearnReport:
    """One trial of :func:`repeat` (module level, so process and Dask workers can run it)."""
    method, original, problem, reference, options = shared
    return METHODS[method](original, problem, random_state=task.seed, reference=reference, **options)
