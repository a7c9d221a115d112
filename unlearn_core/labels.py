"""The one vocabulary of the screen: engine names (table columns, methods, estimators) to human labels.

Every axis, legend, table column and metric the explorer shows is named here, with its unit and which
way is better, so that a figure builder, a page and the certificate say the same thing. The engine
keeps its short machine names (``lam``, ``probe_auc``, ``knn_mi``, ...) in tables and CSV files; only
the screen uses these labels. Pure data and string functions: no streamlit (``ui.words`` adds the
glossary on top).

>>> label("probe_auc")
'attacker AUC for Z (held out; 0.5 = chance)'
>>> label("est_knn")
'k-NN estimate of I(X_t; Z) (nats)'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "BARYCENTER_METHODS", "LABELS", "METHODS", "MODELS", "PENALTIES", "RAW_NAMES", "SHORT", "columns",
    "attacked_rows", "estimator_label", "estimator_short", "group_count", "label", "measured_rows",
    "method_label", "nats", "relabel",
]

#: Table columns and metrics -> screen labels (units in brackets or after a comma).
LABELS: dict[str, str] = {
    # the sweep parameters
    "t": "t (0 = original, 1 = barycenter)",
    "lam": "λ (weight of the leakage penalty)",
    # utility of the downstream / trained model, on the test split
    "auc": "AUC for y on the test split (1 = perfect, 0.5 = chance)",
    "accuracy": "accuracy for y on the test split",
    "r2": "R² for y on the test split (1 = perfect, 0 = predicting the mean)",
    "mse": "mean squared error for y on the test split",
    # leakage: attackers guessing Z on held-out rows
    "probe_auc": "attacker AUC for Z (held out; 0.5 = chance)",
    "probe_acc": "attacker accuracy for Z (held out)",
    "out_probe_auc": "attacker AUC for Z from the model's outputs (held out; 0.5 = chance)",
    "out_probe_acc": "attacker accuracy for Z from the model's outputs (held out)",
    "attack_auc": "attacker AUC for Z (gradient boosting, held out; 0.5 = chance)",
    "attack_acc": "attacker accuracy for Z (gradient boosting, held out)",
    "attack_mi": "attacker's lower bound on I(X_t; Z) (nats)",
    "attack_recovered": "Z recovered by the attacker",
    "knn_mi": "k-NN estimate of I(S'; Z) (nats)",
    # geometry of the McCann path
    "w2_leakage": "W2 leakage L (squared feature units)",
    "w2_leakage_pred": "W2 leakage (1 − t)²V (squared feature units)",
    "distortion": "distortion D = E‖X − X_t‖² (squared feature units)",
    "distortion_pred": "distortion t²V (squared feature units)",
    # fairness of the downstream predictions
    "dp_gap": "demographic-parity gap (largest difference in selection rate)",
    "dp_gap_rate": "demographic-parity gap (largest difference in selection rate)",
    "dp_gap_score": "mean-score parity gap (largest difference in mean score)",
    "demographic_parity_gap": "demographic-parity gap (largest difference in selection rate)",
    "model": "model",
    "discrimination": "discrimination max |1 − v_a / v_b|",
    "ks": "largest KS distance between groups' predictions",
    # training
    "reg": "Î on the training rows (nats)",
    "test_reg": "Î on the held-out rows (nats)",
    "task_loss": "task loss (cross-entropy or squared error)",
    "epochs": "epochs",
    "epoch": "epoch",
    "seconds": "time (s)",
    "pareto": "on the Pareto front",
    # data-point unlearning (forgetting reports)
    "method": "method",
    "ua": "UA: accuracy on the forget set D_u",
    "ra": "RA: accuracy on the retained set D_r",
    "ta": "TA: accuracy on the test set",
    "mi": "Î(f(X); Z) (nats)",
    "mia_loss_auc": "MIA AUC (loss attack; 0.5 = cannot tell)",
    "mia_entropy_auc": "MIA AUC (entropy attack; 0.5 = cannot tell)",
    "mia_loss_acc": "MIA accuracy (loss attack)",
    "mia_entropy_acc": "MIA accuracy (entropy attack)",
    "forget_confidence": "confidence on D_u (mean probability of the true label)",
    "time_ratio": "time / retraining time",
    "verdict": "verdict",
}

#: Short labels for narrow places (metric tiles, legends, table headers).
SHORT: dict[str, str] = {
    "t": "t", "lam": "λ", "auc": "AUC (test)", "accuracy": "accuracy (test)", "r2": "R² (test)",
    "mse": "MSE (test)", "probe_auc": "attacker AUC for Z", "probe_acc": "attacker accuracy for Z",
    "attack_auc": "attacker AUC for Z", "attack_acc": "attacker accuracy for Z",
    "knn_mi": "k-NN MI (nats)", "dp_gap": "demographic-parity gap", "discrimination": "discrimination",
    "reg": "Î train (nats)", "test_reg": "Î held out (nats)", "epochs": "epochs", "seconds": "time (s)",
    "pareto": "Pareto", "ua": "UA (forget acc.)", "ra": "RA (retain acc.)", "ta": "TA (test acc.)",
    "mi": "Î (nats)", "mia_loss_auc": "MIA AUC", "time_ratio": "time / retrain", "method": "method",
    "verdict": "verdict", "w2_leakage": "W2 leakage L", "distortion": "distortion D",
}

#: Data-point unlearning methods (``forgetting.METHODS`` and the two reference models).
METHODS: dict[str, str] = {
    "original": "original model (trained on all rows)",
    "retrain": "retrain on D_r (reference)",
    "mi": "MI unlearning (the paper)",
    "finetune": "fine-tune on D_r",
    "neggrad": "gradient ascent on D_u (NegGrad+)",
    "relabel": "random relabelling of D_u",
}

#: Training penalties Î (``leakage.differentiable.PENALTIES``) and models (``models.MODELS``).
PENALTIES: dict[str, str] = {
    "softmax-averaging": "softmax averaging (the paper's estimator)",
    "hsic": "HSIC (kernel dependence)",
    "dv": "Donsker-Varadhan (neural MI bound)",
    "sinkhorn": "Sinkhorn divergence between groups",
}
MODELS: dict[str, str] = {"logistic": "logistic regression", "mlp": "neural network (MLP)"}

#: Barycenter methods (``transport.methods()``).
BARYCENTER_METHODS: dict[str, str] = {
    "ot-randomized": "exact OT, randomised rows (groups equal at t = 1)",
    "gaussian": "Gaussian (equal means and covariances only)",
    "marginal": "per-feature quantiles (marginals only)",
    "ot-exact": "exact OT (deterministic)",
    "ot-sinkhorn": "entropic OT (Sinkhorn)",
}

#: Raw code names that must never reach the screen (tests/test_app_words.py reads every page for them).
RAW_NAMES: tuple[str, ...] = (
    "lam", "probe_auc", "probe_acc", "knn_mi", "dp_gap", "test_reg", "attack_auc", "w2_leakage",
    "mia_loss_auc", "time_ratio", "finetune", "neggrad", "est_", "leakage estimate: knn",
)


def label(name: str, *, short: bool = False) -> str:
    """The screen label of a table column or metric (``short`` for tiles, legends and headers).

    ``est_<name>`` (the analytic frontier's column for a named leakage estimator) becomes that
    estimator's title with its unit; unknown names lose their underscores.
    """
    if name.startswith("est_"):
        return estimator_label(name[4:].replace("_", "-"))
    table = SHORT if short else LABELS
    return table.get(name, LABELS.get(name, name.replace("_", " ")))


#: (title, is MI, unit) of every registered leakage estimator, so that labelling a chart loads no
#: estimator (importing the registry imports scikit-learn, about 1 s on a page's first visit).
#: tests/test_labels.py checks it equals ``unlearn_core.leakage.specs()``.
ESTIMATORS: dict[str, tuple[str, bool, str]] = {
    "softmax-averaging": ("Softmax averaging (the paper's estimator)", True, "nats"),
    "gaussian": ("Gaussian class-conditionals (parametric)", True, "nats"),
    "knn": ("k-nearest neighbours (Ross 2014)", True, "nats"),
    "probe": ("Classifier probe (variational bound)", True, "nats"),
    "js": ("Jensen-Shannon between groups (not MI)", False, "nats (0 to log K)"),
    "tv": ("Total variation between groups (not MI)", False, "probability (0 to 1)"),
    "dv": ("Donsker-Varadhan / MINE (neural)", True, "nats"),
    "infonce": ("InfoNCE (neural)", True, "nats"),
    "hsic": ("HSIC (kernel dependence)", False, "kernel units"),
    "mmd": ("MMD between group conditionals (not MI)", False, "kernel units"),
    "w2": ("W2 between group conditionals (not MI)", False, "squared units of S"),
}


def estimator_label(method: str, of: str = "X_t") -> str:
    """A leakage estimator as an axis title: an MI estimate "… estimate of I(of; Z) (nats)", or a
    measure that is not an MI named as itself with its own unit (never "I(X_t; Z): … (not MI)")."""
    entry = ESTIMATORS.get(method)
    if entry is None:  # registered after this table was written: ask the registry
        try:
            from .leakage import specs

            spec = specs().get(method)
        except ImportError:  # pragma: no cover - the registry ships with the engine
            spec = None
        if spec is None:
            return f"{method} estimate"
        entry = (spec.title, spec.is_mi, spec.unit)
    title, is_mi, unit = entry
    title = re.sub(r"\s*\(not MI\)", "", title)
    short = estimator_short(method)
    if is_mi:
        return f"{short} estimate of I({of}; Z) (nats)"
    return f"{title}, a dependence measure, not MI ({unit})"


def estimator_short(method: str) -> str:
    """A leakage estimator's short name for running text ("k-NN", "Gaussian", ...)."""
    known = {"knn": "k-NN", "gaussian": "Gaussian", "probe": "classifier-probe", "js": "Jensen-Shannon",
             "tv": "total-variation", "dv": "Donsker-Varadhan", "infonce": "InfoNCE", "hsic": "HSIC",
             "mmd": "MMD", "w2": "W2", "softmax-averaging": "softmax-averaging"}
    return known.get(method, method)


def method_label(name: str) -> str:
    """A data-point unlearning method's screen name."""
    return METHODS.get(name, name)


def columns(names: Iterable[str], *, short: bool = True) -> dict[str, str]:
    """``{column: label}`` for renaming a table's columns on screen (CSV downloads keep the raw names)."""
    return {n: label(n, short=short) for n in names}


def relabel(values: Iterable[str], mapping: Mapping[str, str]) -> list[str]:
    """Values through ``mapping`` (unknown ones unchanged): method names in a table, for instance."""
    return [mapping.get(str(v), str(v)) for v in values]


def nats(value: float, digits: int = 3) -> str:
    """A value in nats as a plain decimal with ``digits`` significant digits ("0.000494 nats"), never an
    SI prefix ("494µ") or an exponent."""
    import numpy as np

    if value is None or not math.isfinite(float(value)):
        return "n/a"
    return f"{np.format_float_positional(float(value), precision=digits, fractional=False, trim='-')} nats"


def group_count(sensitive: str) -> str:
    """The label of the number of groups of Z (avoids "Groups of group" when Z is named "group")."""
    if sensitive.strip().lower() in {"group", "groups", ""}:
        return "Groups of Z"
    return f"Groups of Z = {sensitive}"


def number(x: object, digits: int = 3) -> str:
    """A number for a report: ``digits`` decimals (significant digits below 0.001), "n/a" when missing."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    if isinstance(x, float):
        return f"{x:.{digits}g}" if abs(x) < 1e-3 and x != 0 else f"{x:.{digits}f}"
    return str(x)


def measured_rows(ev: Mapping[str, Any], a: Mapping[str, Any]) -> str:
    """A certificate's measured rows in words (its ``evaluation`` and ``attack`` dicts): the estimates'
    rows, and the attacker's when they differ (each draws its own seeded subset of the held-out rows:
    ``audit.certificate``'s ``max_rows``, at most 8,000 in ``leakage.attacker.attack``). The HTML and the
    PDF both say it this way."""
    rows, n = ev.get("rows", "n/a"), a.get("n")
    if n is None or n == rows:
        return f"{rows} rows"
    return f"{rows} rows for the leakage estimates and the residual W2, {n} rows for the attacker"


def attacked_rows(a: Mapping[str, Any]) -> str:
    """The rows a certificate's attacker guessed on, in words."""
    return "the held-out rows" if a.get("n") is None else f"the {a['n']} held-out rows it attacked"
