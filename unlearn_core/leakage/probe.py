"""Cross-fitted classifier probes: a variational MI lower bound, and JS / TV measures through the probe.

A probe q(z | s) is fitted on k - 1 folds and evaluated on the held-out fold, for every fold
(cross-fitting), so every row gets an out-of-sample posterior. From those posteriors:

- ``probe``: I(S; Z) >= H(Z) - CE(q), the Barber-Agakov variational bound (held-out), plus the attacker's
  accuracy and AUC;
- ``js``: the equal-weight Jensen-Shannon divergence between the group laws (lower bound);
- ``tv``: the total-variation distance between the group laws (lower bound via balanced accuracy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import metrics
from .._utils import seed_from
from ._registry import MethodSpec, _Core, register

PROBE_MODELS = ("logistic", "hgb", "best")


@dataclass(frozen=True)
class ProbePosteriors:
    """Out-of-fold posteriors q(z | s_i) of one probe model, (n, K), and which model made them."""

    Q: np.ndarray
    model: str
    cross_entropy: float


def _make_model(name: str, seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    if name == "hgb":
        return HistGradientBoostingClassifier(
            max_iter=100, learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=40,
            l2_regularization=1.0, early_stopping=True, validation_fraction=0.15,
            n_iter_no_change=10, random_state=seed,
        )
    raise ValueError(f"probe model must be one of {PROBE_MODELS}, got {name!r}")


def cross_fitted_posteriors(
    S: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    *,
    model: str = "logistic",
    n_folds: int = 5,
    rng: np.random.Generator,
    n_threads: int | None = 1,
) -> ProbePosteriors:
    """Out-of-fold posteriors of a probe.

    ``model`` is ``"logistic"``, ``"hgb"`` or ``"best"`` (the better of the two by held-out CE).
    """
    from sklearn.model_selection import StratifiedKFold

    if model not in PROBE_MODELS:
        raise ValueError(f"probe model must be one of {PROBE_MODELS}, got {model!r}")
    counts = np.bincount(codes, minlength=n_groups)
    n_folds = int(n_folds)
    if n_folds < 2:
        raise ValueError(f"n_folds must be >= 2, got {n_folds}")
    if counts.min() < n_folds:
        raise ValueError(
            f"the smallest group has {counts.min()} rows, fewer than n_folds={n_folds}; lower n_folds"
        )
    from threadpoolctl import threadpool_limits

    seed = seed_from(rng)
    folds = list(StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed).split(S, codes))
    names = ["logistic", "hgb"] if model == "best" else [model]
    best: ProbePosteriors | None = None
    for name in names:
        Q = np.empty((codes.size, n_groups))
        # one thread: these fits are small, and on a shared CPU OpenMP threads spin-wait (HGB ran
        # 40x slower with 2 threads under load here)
        with threadpool_limits(limits=n_threads):
            for train, test in folds:
                clf = _make_model(name, seed).fit(S[train], codes[train])
                P = np.zeros((test.size, n_groups))
                P[:, clf.classes_] = clf.predict_proba(S[test])
                Q[test] = P
        Q = np.clip(Q, 1e-12, 1.0)
        Q /= Q.sum(axis=1, keepdims=True)
        ce = float(-np.mean(np.log(Q[np.arange(codes.size), codes])))
        if best is None or ce < best.cross_entropy:
            best = ProbePosteriors(Q=Q, model=name, cross_entropy=ce)
    assert best is not None
    return best


def _bound(Q: np.ndarray, codes: np.ndarray, n_groups: int) -> float:
    """H(Z) - CE with the plug-in group shares of these rows."""
    pi = np.bincount(codes, minlength=n_groups) / codes.size
    return float(np.mean(np.log(Q[np.arange(codes.size), codes]) - np.log(pi[codes])))


def _balanced(Q: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Posteriors re-weighted to equal group priors: q_b(z | s) proportional to q(z | s) / pi_z."""
    pi = np.bincount(codes, minlength=n_groups) / codes.size
    B = Q / pi[None, :]
    return B / B.sum(axis=1, keepdims=True)


def _js(Q: np.ndarray, codes: np.ndarray, n_groups: int) -> float:
    B = _balanced(Q, codes, n_groups)
    logs = np.log(n_groups * B[np.arange(codes.size), codes])
    return float(np.mean([logs[codes == g].mean() for g in range(n_groups)]))


def _tv(Q: np.ndarray, codes: np.ndarray, n_groups: int) -> float:
    B = _balanced(Q, codes, n_groups)
    best = -np.inf
    for a in range(n_groups):
        for b in range(a + 1, n_groups):
            says_a = B[:, a] > B[:, b]
            best = max(best, float(says_a[codes == a].mean() - says_a[codes == b].mean()))
    return best


def attack_stats(Q: np.ndarray, codes: np.ndarray, n_groups: int) -> dict[str, float]:
    """An attacker's scores from its posteriors ``Q`` (rows × groups) for group codes 0..n_groups-1:
    accuracy of argmax, one-vs-rest AUC, the majority baseline max_z π_z and the balanced accuracy."""
    pi = np.bincount(codes, minlength=n_groups) / codes.size
    return {
        "accuracy": metrics.accuracy(codes, Q.argmax(axis=1)),
        "auc": metrics.auc(codes, Q),
        "majority_baseline": float(pi.max()),
        "balanced_accuracy": float(
            np.mean([(Q.argmax(axis=1)[codes == g] == g).mean() for g in range(n_groups)])
        ),
    }


def probe_mi(
    S: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    *,
    rng: np.random.Generator,
    model: str = "logistic",
    n_folds: int = 5,
    n_threads: int | None = 1,
    bias_correction: bool = True,
) -> _Core:
    """Cross-fitted variational lower bound on I(S; Z) from a classifier probe.

    .. math::

        \\hat I = \\hat H(Z) - \\mathrm{CE}
               = \\frac1n \\sum_i \\big[\\log q_{-f(i)}(z_i \\mid s_i) - \\log \\hat\\pi_{z_i}\\big]

    where q_{-f(i)} is the probe fitted without row i's fold (``n_folds``-fold stratified cross-fitting)
    and pi_hat the group shares. Since E log q(z|s) <= E log p(z|s) for any q, this is a lower bound on
    I (Barber & Agakov 2003), tight when the probe is the Bayes posterior. ``model="logistic"``
    (multinomial logistic regression on z-scored S; exact family when the groups are Gaussian with a
    shared covariance), ``"hgb"`` (histogram gradient boosting: any shape, more variance) or
    ``"best"`` (the one with lower held-out cross-entropy, slightly optimistic).

    With ``bias_correction`` (default) and the logistic model, the expected excess held-out
    cross-entropy of a well-specified maximum-likelihood fit, p / (2 n_train) with
    p = (K - 1)(d + 1) parameters (Akaike), is added back: the value is then an approximately unbiased
    estimate of the MI a linear-logistic attacker can extract rather than a guaranteed lower bound
    (``bias_correction=False`` gives the bound). Diagnostics carry the attacker's held-out accuracy,
    balanced accuracy and AUC against the majority baseline. The interval resamples the held-out rows
    (the probe is not refitted).

    Notes
    -----
    Biased downwards: a bound (tight only when the probe family contains the Bayes posterior, e.g.
    Gaussian groups with a shared covariance for logistic), and without the correction also by the
    probe's excess risk. Do not use it as a certificate of *absence* of leakage on its own: a weak
    probe sees no leakage that a stronger one would (a Gaussian barycenter on one-hot data leaves
    groups that logistic cannot separate and gradient boosting separates perfectly); pair it with
    ``model="hgb"`` or ``"best"``.
    """
    post = cross_fitted_posteriors(
        S, codes, n_groups, model=model, n_folds=n_folds, rng=rng, n_threads=n_threads
    )
    Q = post.Q
    correction = 0.0
    if bias_correction and post.model == "logistic":
        n_train = codes.size * (n_folds - 1) / n_folds
        correction = (n_groups - 1) * (S.shape[1] + 1) / (2.0 * n_train)
    diag = {"model": post.model, "cross_entropy": post.cross_entropy, "n_folds": int(n_folds),
            "bound": _bound(Q, codes, n_groups), "bias_correction": correction}
    diag.update(attack_stats(Q, codes, n_groups))
    return _Core(raw=diag["bound"] + correction, diagnostics=diag,
                 boot_stat=lambda idx: _bound(Q[idx], codes[idx], n_groups) + correction)


def js_probe(
    S: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    *,
    rng: np.random.Generator,
    model: str = "logistic",
    n_folds: int = 5,
    n_threads: int | None = 1,
) -> _Core:
    """Equal-weight Jensen-Shannon divergence between the group laws of S', lower bound via the probe.

    .. math::

        \\mathrm{JS}(P_1, \\dots, P_K)
          = \\frac1K \\sum_z \\mathrm{KL}\\big(P_z \\,\\big\\|\\, \\tfrac1K \\textstyle\\sum_{z'} P_{z'}\\big)
          \\ \\ge\\ \\frac1K \\sum_z \\mathbb E_{s \\sim P_z} \\log\\big(K\\, q_b(z \\mid s)\\big)

    where q_b(z | s) = (q(z|s) / pi_z) / sum_z' (q(z'|s) / pi_z') is the cross-fitted probe posterior
    re-weighted to equal priors. JS is the MI between S' and a *balanced* Z, so it does not shrink when
    a group is rare (the MI does); in nats, between 0 and log K. Not the MI of the data unless groups
    are balanced. Same downward bias as ``probe``.
    """
    post = cross_fitted_posteriors(
        S, codes, n_groups, model=model, n_folds=n_folds, rng=rng, n_threads=n_threads
    )
    Q = post.Q
    return _Core(raw=_js(Q, codes, n_groups),
                 diagnostics={"model": post.model, "upper_limit": float(np.log(n_groups))},
                 boot_stat=lambda idx: _js(Q[idx], codes[idx], n_groups))


def tv_probe(
    S: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    *,
    rng: np.random.Generator,
    model: str = "logistic",
    n_folds: int = 5,
    n_threads: int | None = 1,
) -> _Core:
    """Total variation between group laws of S', lower bound through the probe's balanced accuracy.

    .. math::

        \\mathrm{TV}(P_a, P_b) = \\sup_A |P_a(A) - P_b(A)|
          \\ \\ge\\ P_a(A_q) - P_b(A_q) = 2\\,\\mathrm{BA}_{ab} - 1

    with A_q = {s : q_b(a|s) > q_b(b|s)} the held-out decision of the probe between groups a and b at
    equal priors and BA its balanced accuracy. The reported value is the largest over group pairs (the
    two-group TV when K = 2). A probability in [0, 1]; an attacker with equal priors is right with
    probability (1 + TV) / 2 at best. Downward biased (a weak probe finds a smaller set A).
    """
    post = cross_fitted_posteriors(
        S, codes, n_groups, model=model, n_folds=n_folds, rng=rng, n_threads=n_threads
    )
    Q = post.Q
    return _Core(raw=_tv(Q, codes, n_groups), diagnostics={"model": post.model},
                 boot_stat=lambda idx: _tv(Q[idx], codes[idx], n_groups))


_PROBE_WHEN = (
    "Any outputs, any dimension; the attacker's view of leakage (comes with accuracy and AUC). A lower "
    "bound: a weak probe under-reports, so use model='hgb' or 'best' for non-linear leakage."
)

register(MethodSpec(
    name="probe", title="Classifier probe (variational bound)", is_mi=True, input="any",
    differentiable=False, unit="nats",
    bias=("Downwards when the probe family misses the Bayes posterior (a variational bound); the "
          "logistic probe's finite-sample excess risk is added back by default."),
    when_to_use=_PROBE_WHEN, bootstrap="rows", fn=probe_mi,
))
register(MethodSpec(
    name="js", title="Jensen-Shannon between groups (not MI)", is_mi=False, input="any",
    differentiable=False, unit="nats (0 to log K)",
    bias="Downwards (variational lower bound through the probe).",
    when_to_use=("When groups are unbalanced and a rare group's leakage should count as much as a "
                 "common one's."),
    bootstrap="rows", fn=js_probe,
))
register(MethodSpec(
    name="tv", title="Total variation between groups (not MI)", is_mi=False, input="any",
    differentiable=False,
    unit="probability (0 to 1)", bias="Downwards (a weak probe finds a smaller distinguishing set).",
    when_to_use="To state leakage as an attacker's advantage: best balanced accuracy is (1 + TV) / 2.",
    bootstrap="rows", fn=tv_probe,
))
