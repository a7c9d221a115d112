"""Data-point (marginal) unlearning: forget sets, the MI-regularised fine-tune, baselines, metrics.

The paper's Marginal Unlearning Principle (Xu & Strohmer 2025, docs/design.md 3.4): after unlearning, the
model's outputs on the forget set D_u carry no information about D_u's presence beyond what the
retained data D_r supports, measured by I(f(X); Z) with Z a source indicator (Z = 0: a sample of
D = D_r + D_u, Z = 1: a sample of D_r).

>>> from unlearn_core import forgetting as fg
>>> problem = fg.prepare(dataset, fg.ForgetSpec())            # forget 75% of class 3   # doctest: +SKIP
>>> original = fg.train_original(problem)                                              # doctest: +SKIP
>>> ref = fg.retrain(original, problem)                                                # doctest: +SKIP
>>> rep = fg.unlearn(original, problem, lam=4.0, epochs=5, reference=ref)              # doctest: +SKIP
>>> fg.compare([fg.original_report(original, problem, reference=ref), ref, rep])       # doctest: +SKIP
"""

from ._methods import (
    METHOD_TITLES,
    METHODS,
    PairedConfig,
    Trials,
    UnlearnConfig,
    finetune,
    neggrad,
    original_report,
    relabel,
    repeat,
    repeat_many,
    retrain,
    time_to_utility,
    trial_seeds,
    unlearn,
)
from ._problem import KINDS, OPS, ForgetProblem, ForgetSpec, Scaler, prepare
from ._report import (
    METRICS,
    OVER_UNLEARNING_MARGIN,
    UnlearnReport,
    compare,
    marginal_mi,
    membership_scores,
    summarize,
)
from ._train import ModelRun, train_original

__all__ = [
    "KINDS", "OPS", "METHODS", "METHOD_TITLES", "METRICS", "OVER_UNLEARNING_MARGIN",
    "ForgetSpec", "ForgetProblem", "Scaler", "ModelRun", "UnlearnReport", "Trials",
    "PairedConfig", "UnlearnConfig",
    "prepare", "train_original", "unlearn", "retrain", "finetune", "neggrad", "relabel",
    "original_report", "compare", "summarize", "repeat", "repeat_many", "trial_seeds", "time_to_utility",
    "marginal_mi", "membership_scores",
]
