"""The project's one attacker: how well Z can be recovered from an outcome S', on rows it did not train on.

Leakage is what the strongest attacker we can field recovers. A linear probe at chance proves nothing
(on Adult at t = 1 of the Gaussian path a logistic probe is at AUC 0.51 while gradient boosting reaches
1.00), so every page, frontier and certificate measures leakage with :func:`attack`:

- a cross-fitted classifier q(z | s): ``n_folds`` folds, each row scored by a model that never saw it;
  ``model="hgb"`` (default) is scikit-learn's HistGradientBoostingClassifier, ``"logistic"`` the cheap
  linear option;
- its held-out accuracy and ROC AUC (one-vs-rest macro average for K > 2 groups), with a percentile
  bootstrap interval over the rows (the fitted posteriors are resampled, not refitted);
- the variational lower bound on mutual information (Barber & Agakov 2003; docs/design.md section 3.2)

.. math::

    I(S'; Z) \\;\\ge\\; H(Z) - \\mathbb{E}[-\\log q(Z \\mid S')] ,

where H(Z) is the plug-in entropy of the attacked rows' groups; the bound and its interval are clipped
to [0, H(Z)] (an MI of a K-group Z lies in [0, ln K]), the raw value is kept in ``mi_raw``.

Z counts as **recovered** when the AUC interval lies wholly above chance (0.5). An interval that reaches
0.5 means "no attacker we fielded beat chance on these rows", which is evidence, not proof, of
unlearning: say so next to the number.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .._utils import RandomState, as_2d_float, check_random_state, encode_groups, seed_from

ATTACKERS: dict[str, str] = {
    "hgb": "gradient boosting (scikit-learn HistGradientBoosting), cross-fitted: the strong attacker",
    "logistic": "logistic regression on standardised features, cross-fitted: the cheap linear attacker",
}

DEFAULT_ATTACKER = "hgb"


@dataclass(frozen=True)
class AttackResult:
    """Held-out performance of one cross-fitted attacker guessing Z from S'.

    Attributes
    ----------
    model : "hgb" or "logistic" (see ``ATTACKERS``).
    accuracy : held-out accuracy; compare with ``majority_baseline`` (always guessing the largest group).
    balanced_accuracy : mean over groups of the held-out recall.
    auc, auc_ci : held-out ROC AUC (macro one-vs-rest for K > 2) and its bootstrap interval; 0.5 is chance.
    mi_lower, mi_ci : the lower bound H(Z) - CE on I(S'; Z) in nats, clipped to [0, H(Z)], and its interval.
    mi_raw : the unclipped H(Z) - CE (negative when the attacker's posteriors are worse than the prior).
    entropy : H(Z) in nats of the attacked rows (the most any MI of Z can be).
    recovered : True when the AUC interval lies above 0.5: Z is recoverable from S'.
    n, n_folds, level, seconds : rows attacked, folds, interval level, wall time.
    """

    model: str
    accuracy: float
    balanced_accuracy: float
    majority_baseline: float
    auc: float
    auc_ci: tuple[float, float]
    mi_lower: float
    mi_ci: tuple[float, float]
    mi_raw: float
    entropy: float
    recovered: bool
    n: int
    n_folds: int
    level: float
    seconds: float

    def verdict(self) -> str:
        """One sentence for a person: was Z recovered, and how sure is that."""
        lo, hi = self.auc_ci
        who = "the gradient-boosting attacker" if self.model == "hgb" else "the logistic attacker"
        if self.recovered:
            return (f"Z is recoverable: {who} reaches AUC {self.auc:.3f} (interval {lo:.3f}–{hi:.3f}, above "
                    "chance 0.5) on rows it did not train on.")
        return (f"{who.capitalize()} is at chance: AUC {self.auc:.3f} (interval {lo:.3f}–{hi:.3f} contains "
                "0.5) on rows it did not train on. This is evidence, not proof, that Z is gone.")

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["auc_ci"], d["mi_ci"] = list(self.auc_ci), list(self.mi_ci)
        return d


def _auc_matrix(codes: np.ndarray, Q: np.ndarray, n_groups: int, idx: np.ndarray) -> np.ndarray:
    """AUC (binary, or macro one-vs-rest) for each row-resample in ``idx`` (B, n), by Mann-Whitney ranks."""
    from scipy.stats import rankdata

    cols = [1] if n_groups == 2 else list(range(n_groups))
    out = np.zeros(idx.shape[0])
    for c in cols:
        scores = Q[idx, c]  # (B, n)
        pos = codes[idx] == c
        ranks = rankdata(scores, axis=1)
        n_pos = pos.sum(axis=1)
        n_neg = idx.shape[1] - n_pos
        with np.errstate(invalid="ignore", divide="ignore"):
            auc = ((ranks * pos).sum(axis=1) - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)
        out += auc
    return out / len(cols)


def _mi_rows(Q: np.ndarray, codes: np.ndarray, idx: np.ndarray, n_groups: int) -> np.ndarray:
    """H(Z) - CE for each resample (plug-in group shares of that resample)."""
    z = codes[idx]
    logq = np.log(Q[idx, z])
    out = np.empty(idx.shape[0])
    for b in range(idx.shape[0]):
        pi = np.bincount(z[b], minlength=n_groups) / z.shape[1]
        out[b] = float(np.mean(logq[b] - np.log(pi[z[b]])))
    return out


def _interval(values: np.ndarray, estimate: float, level: float, lo: float, hi: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (estimate, estimate)
    a, b = np.quantile(finite, [(1 - level) / 2, (1 + level) / 2])
    # a percentile interval can miss its own estimate when the bootstrap law is skewed: widen to hold it
    a, b = min(float(a), estimate), max(float(b), estimate)
    return (float(np.clip(a, lo, hi)), float(np.clip(b, lo, hi)))


def attack(
    S: Any,
    z: Any,
    *,
    model: str = DEFAULT_ATTACKER,
    n_folds: int = 3,
    n_boot: int = 200,
    level: float = 0.95,
    max_rows: int | None = 8000,
    random_state: RandomState = 0,
    n_threads: int | None = 1,
) -> AttackResult:
    """Cross-fitted attacker predicting Z from S', scored on held-out rows (module docstring).

    Parameters
    ----------
    S : (n, d) outcome (transformed features, or a model's outputs as given by ``outputs.attack_view``).
    z : (n,) group labels; every group needs at least ``n_folds`` rows.
    model : "hgb" (default, the strong attacker) or "logistic".
    n_folds : cross-fitting folds (>= 2).
    n_boot : bootstrap resamples of the held-out posteriors for the intervals (>= 20).
    level : interval level in (0, 1).
    max_rows : attack at most this many rows (seeded random subset; None for all).
    random_state : seeds the subset, the folds, the models and the bootstrap.
    n_threads : OpenMP / BLAS threads for the fits (1 keeps a shared machine responsive).
    """
    from .probe import cross_fitted_posteriors

    if model not in ATTACKERS:
        raise ValueError(f"model must be one of {', '.join(ATTACKERS)}, got {model!r}")
    if int(n_boot) < 20:
        raise ValueError(f"n_boot must be at least 20 for an interval, got {n_boot}")
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    S_arr = as_2d_float(S, "S")
    codes, labels = encode_groups(z)
    if codes.size != S_arr.shape[0]:
        raise ValueError(f"S has {S_arr.shape[0]} rows but z has {codes.size}; they must be aligned")
    K = labels.size
    if K < 2:
        raise ValueError(f"z has a single group ({labels[0]!r}); there is nothing to attack")
    start = time.perf_counter()
    rng = check_random_state(random_state)
    if max_rows is not None and codes.size > int(max_rows):
        rows = np.sort(rng.choice(codes.size, size=int(max_rows), replace=False))
        S_arr, codes = S_arr[rows], codes[rows]
    counts = np.bincount(codes, minlength=K)
    if counts.min() < n_folds:
        small = [str(labels[g]) for g in np.flatnonzero(counts < n_folds)]
        raise ValueError(
            f"groups {small} have fewer than n_folds={n_folds} rows here; the attacker cannot be "
            "cross-fitted (merge small groups or use more rows)"
        )
    post = cross_fitted_posteriors(S_arr, codes, K, model=model, n_folds=n_folds,
                                   rng=np.random.default_rng(seed_from(rng)), n_threads=n_threads)
    Q, n = post.Q, codes.size
    pred = Q.argmax(axis=1)
    pi = counts / n
    entropy = float(-np.sum(pi[pi > 0] * np.log(pi[pi > 0])))
    full = np.arange(n)[None, :]
    auc = float(_auc_matrix(codes, Q, K, full)[0])
    mi_raw = float(_mi_rows(Q, codes, full, K)[0])
    boot = np.random.default_rng(seed_from(rng)).integers(0, n, size=(int(n_boot), n))
    auc_ci = _interval(_auc_matrix(codes, Q, K, boot), auc, level, 0.0, 1.0)
    mi = float(np.clip(mi_raw, 0.0, entropy))
    mi_ci = _interval(_mi_rows(Q, codes, boot, K), mi, level, 0.0, entropy)
    return AttackResult(
        model=model,
        accuracy=float(np.mean(pred == codes)),
        balanced_accuracy=float(np.mean([np.mean(pred[codes == g] == g) for g in range(K)])),
        majority_baseline=float(pi.max()),
        auc=auc,
        auc_ci=auc_ci,
        mi_lower=mi,
        mi_ci=mi_ci,
        mi_raw=mi_raw,
        entropy=entropy,
        recovered=bool(auc_ci[0] > 0.5),
        n=int(n),
        n_folds=int(n_folds),
        level=float(level),
        seconds=time.perf_counter() - start,
    )


__all__ = ["ATTACKERS", "DEFAULT_ATTACKER", "AttackResult", "attack"]
