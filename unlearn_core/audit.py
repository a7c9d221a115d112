"""Audit helpers: attackers that try to recover Z, the Pinsker bound, and the leakage certificate.

A certificate records what was unlearned and how well it was measured: the data (name and content
hash), Z, the unlearning method and its t or lambda, the seed, library versions, each leakage estimate
with its interval, the best attacker's accuracy next to the bound implied by the MI estimate, the
residual W2 between groups, and utility. It is a measurement report, not a proof: the HTML says what
was measured, on which rows, with which uncertainty, and what the numbers do not show.

The transport module is imported only inside :func:`certificate` when it has to fit a barycenter, and
the estimators, the attacker and the metrics (scikit-learn, about 1 s to import) only inside the
functions that measure: a page that shows a shipped certificate (``Certificate(**json)``, its HTML and
PDF) imports this module without them.
"""

from __future__ import annotations

import datetime
import html
import json
import math
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._config import config_signature, resolve
from ._utils import RandomState, as_2d_float, check_random_state, encode_groups, seed_from
from ._validation import check_n_boot, check_scalar, check_seed
from .labels import attacked_rows, estimator_short, label, measured_rows, number

if TYPE_CHECKING:
    from .leakage import LeakageEstimate

__all__ = ["AttackResult", "Certificate", "CertificateOptions", "certificate", "pinsker_bound",
           "probe_attack"]

SCHEMA_VERSION = 1


# --------------------------------------------------------------------------------------------------
# attackers
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AttackResult:
    """Best held-out performance of attackers predicting Z from S'.

    Attributes
    ----------
    accuracy : best cross-fitted (held-out) accuracy over the attackers.
    auc : best held-out ROC AUC (one-vs-rest macro for K > 2) over the attackers.
    balanced_accuracy : best held-out balanced accuracy.
    majority_baseline : accuracy of always guessing the largest group (what "no leakage" looks like).
    advantage : accuracy - majority_baseline.
    best_attacker : name of the attacker with the best accuracy.
    per_attacker : {name: {"accuracy", "auc", "balanced_accuracy"}}.
    n : rows attacked. n_folds : cross-fitting folds. seconds : wall time.
    """

    accuracy: float
    auc: float
    balanced_accuracy: float
    majority_baseline: float
    advantage: float
    best_attacker: str
    per_attacker: Mapping[str, Mapping[str, float]]
    n: int
    n_folds: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


def probe_attack(
    S: np.typing.ArrayLike,
    z: np.typing.ArrayLike,
    *,
    attackers: Sequence[str] = ("logistic", "hgb"),
    n_folds: int = 5,
    random_state: RandomState = 0,
) -> AttackResult:
    """Cross-fitted attackers predicting Z from S'; the best held-out accuracy and AUC.

    Each attacker (``"logistic"``: multinomial logistic regression on z-scored S; ``"hgb"``: histogram
    gradient boosting) is fitted on ``n_folds`` - 1 folds and scored on the held-out fold, for every
    fold, so every row is predicted by a model that never saw it. Reporting the best of several
    attackers is slightly optimistic for the attacker (a max over noisy scores), which is the safe
    direction for an audit. Compare ``accuracy`` with ``majority_baseline``.
    """
    from .leakage.probe import attack_stats, cross_fitted_posteriors

    S_arr = as_2d_float(S, "S")
    codes, labels = encode_groups(z)
    if codes.size != S_arr.shape[0]:
        raise ValueError(f"S has {S_arr.shape[0]} rows but z has {codes.size}; they must be aligned")
    if labels.size < 2:
        raise ValueError(f"z has a single group ({labels[0]!r}); there is nothing to attack")
    if not attackers:
        raise ValueError("attackers is empty; pass e.g. ('logistic', 'hgb')")
    rng = check_random_state(random_state)
    start = time.perf_counter()
    per: dict[str, dict[str, float]] = {}
    for name in attackers:
        post = cross_fitted_posteriors(S_arr, codes, labels.size, model=name, n_folds=n_folds,
                                       rng=np.random.default_rng(seed_from(rng)))
        stats = attack_stats(post.Q, codes, labels.size)
        per[name] = {k: float(stats[k]) for k in ("accuracy", "auc", "balanced_accuracy")}
    best = max(per, key=lambda k: per[k]["accuracy"])
    baseline = float(np.bincount(codes).max() / codes.size)
    aucs = [v["auc"] for v in per.values() if not math.isnan(v["auc"])]
    return AttackResult(
        accuracy=per[best]["accuracy"],
        auc=max(aucs) if aucs else float("nan"),
        balanced_accuracy=max(v["balanced_accuracy"] for v in per.values()),
        majority_baseline=baseline,
        advantage=per[best]["accuracy"] - baseline,
        best_attacker=best,
        per_attacker=per,
        n=int(codes.size),
        n_folds=int(n_folds),
        seconds=time.perf_counter() - start,
    )


def pinsker_bound(I: float, prior: float | np.typing.ArrayLike) -> float:
    """Upper bound on any attacker's accuracy at guessing Z from S' given I(S'; Z) = I nats.

    .. math:: \\Pr[\\hat Z(S') = Z] \\ \\le\\ \\max_z \\pi_z + \\sqrt{I / 2}, \\quad \\text{capped at } 1

    where pi is the prior of Z. For binary Z with P(Z = 1) = pi this is max(pi, 1 - pi) + sqrt(I/2)
    (docs/design.md section 3.2). Proof for any K: the event E = {guess is right} has probability at most
    max_z pi_z under P_S' x P_Z (the guess is then independent of Z), and |P_{S'Z}(E) - (P_S' x P_Z)(E)|
    <= TV <= sqrt(KL / 2) = sqrt(I / 2) by Pinsker's inequality.

    Parameters
    ----------
    I : mutual information in nats (use an upper confidence limit for a conservative bound).
    prior : P(Z = 1) for binary Z (a float in [0, 1]), or the vector of group shares for any K.
    """
    I = float(I)
    if not math.isfinite(I) or I < 0:
        raise ValueError(f"I must be a finite, non-negative number of nats, got {I}")
    p = np.atleast_1d(np.asarray(prior, dtype=float))
    if p.size == 1:
        pi = float(p[0])
        if not 0.0 <= pi <= 1.0:
            raise ValueError(f"prior must be P(Z = 1) in [0, 1] or a vector of group shares, got {prior}")
        top = max(pi, 1.0 - pi)
    else:
        if np.any(p < 0) or not math.isclose(float(p.sum()), 1.0, rel_tol=0, abs_tol=1e-6):
            raise ValueError(f"prior must be non-negative group shares summing to 1, got {p.tolist()}")
        top = float(p.max())
    return float(min(1.0, top + math.sqrt(I / 2.0)))


# --------------------------------------------------------------------------------------------------
# certificate
# --------------------------------------------------------------------------------------------------
def _jsonable(obj: Any) -> Any:
    """Plain JSON types: numpy scalars and arrays to Python, NaN and infinities to None."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if obj is None or isinstance(obj, (int, str)):
        return obj
    return str(obj)


def library_versions() -> dict[str, str]:
    """Versions of the libraries the numbers depend on."""
    import ot
    import scipy
    import sklearn
    import torch

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "torch": torch.__version__,
        "POT": ot.__version__,
        "scikit-learn": sklearn.__version__,
    }


@dataclass(frozen=True, eq=False)
class Certificate:
    """A JSON-serialisable record of one unlearning run and the leakage measured on its outcome.

    Attributes
    ----------
    dataset : {"name", "fingerprint" (SHA-256 of X, y, z), "rows", "sensitive", "groups"}.
    z_name : the attribute that was unlearned.
    method : the unlearning method (barycenter method or training estimator).
    t, lam : the interpolation parameter or the unlearning weight (either may be None).
    random_state : the seed.
    versions : library versions.
    evaluation : which rows the measurements used ({"split", "rows", "group_counts"}).
    leakage : one dict per estimate (method, title, is_mi, unit, value, ci, ci_level, raw, bias, n).
    attack : the project's attacker (:func:`unlearn_core.leakage.attacker.attack`, gradient boosting,
        cross-fitted on the held-out rows, at most the attacker's own 8,000-row seeded subset of them,
        drawn before the estimators' ``max_rows`` subset) as a dict.
    verdict : {"status": "PASS" | "FAIL", "sentence"}: PASS only when the attacker's AUC interval
        contains chance (0.5).
    pinsker : {"bound", "mi_used", "mi_method", "prior", "attack_within_bound", "contradicted"}: the
        accuracy bound from the largest upper confidence limit among the valid MI estimates (interval
        inside [0, H(Z)] and containing its value); None when the attack contradicts it.
    residual_w2 : {"value" (pairwise-weighted W2^2 between groups), "ci", "kind", "theory"}.
    utility : metrics of the task (accuracy, AUC, discrimination, ...), possibly empty.
    notes : remarks on how the numbers were produced.
    created : UTC timestamp (ISO 8601).
    """

    dataset: Mapping[str, Any]
    z_name: str
    method: str
    t: float | None
    lam: float | None
    random_state: Any
    versions: Mapping[str, str]
    evaluation: Mapping[str, Any]
    leakage: tuple[Mapping[str, Any], ...]
    attack: Mapping[str, Any]
    verdict: Mapping[str, str]
    pinsker: Mapping[str, Any]
    residual_w2: Mapping[str, Any]
    utility: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    created: str = ""
    schema_version: int = SCHEMA_VERSION

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON dict (NaN becomes None)."""
        return _jsonable({f: getattr(self, f) for f in self.__dataclass_fields__})

    to_dict = as_dict  # alias (pages/audit.py calls to_dict)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.as_dict(), indent=indent, allow_nan=False)

    def to_html(self) -> str:
        """A standalone HTML page a person can read (calibrated wording; no claim beyond the measurements)."""
        return _render_html(self)

    def to_pdf(self) -> bytes:
        """The same report as :meth:`to_html`, as PDF bytes
        (:func:`unlearn_core.audit_pdf.certificate_pdf`)."""
        from .audit_pdf import certificate_pdf

        return certificate_pdf(self)


_fmt = number  # the reports' number format (unlearn_core.labels.number)


def _render_html(c: Certificate) -> str:
    e = html.escape
    d = c.dataset
    knob = []
    if c.t is not None:
        knob.append(f"t = {_fmt(c.t, 2)}")
    if c.lam is not None:
        knob.append(f"λ = {_fmt(c.lam, 3)}")
    rows = []
    for est in c.leakage:
        ci = est.get("ci")
        ci_txt = f"{_fmt(ci[0], 4)} – {_fmt(ci[1], 4)}" if ci else "not computed"
        rows.append(
            f"<tr><td>{e(est['title'])}</td><td>{'yes' if est['is_mi'] else 'no'}</td>"
            f"<td>{_fmt(est['value'], 4)}</td>"
            f"<td>{e(ci_txt)}</td><td>{e(str(est['unit']))}</td><td>{e(est['bias'])}</td></tr>"
        )
    a = c.attack
    p = c.pinsker
    w = c.residual_w2
    ev = c.evaluation
    util = "".join(
        f"<tr><td>{e(label(str(k)))}</td>"
        f"<td>{_fmt(v, 4) if isinstance(v, float) else e(str(v))}</td></tr>"
        for k, v in c.utility.items()
    ) or "<tr><td colspan=2>no utility metric was recorded</td></tr>"
    bound_txt = (
        f"If the mutual information is at most {_fmt(p['mi_used'], 4)} nats (the upper end of the "
        f"{e(estimator_short(str(p['mi_method'])))} estimate's interval), no attacker can guess "
        f"{e(c.z_name)} correctly more often than "
        f"<b>{_fmt(p['bound'], 3)}</b> of the time (Pinsker's inequality). This bound is only as good as "
        "that estimate."
        if p.get("bound") is not None else "No MI estimate was available, so no accuracy bound is stated."
    )
    if p.get("contradicted"):
        bound_txt = (
            "<b>No accuracy bound is stated: the attacker's measured accuracy exceeds what the MI estimates "
            "would allow, so they under-report the leakage. Rely on the attacker.</b>"
        )
    notes = "".join(f"<li>{e(n)}</li>" for n in c.notes)
    versions = ", ".join(f"{e(k)} {e(v)}" for k, v in c.versions.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">\
<title>Leakage certificate: {e(d['name'])}, Z = {e(c.z_name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;line-height:1.45}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}
.muted{{opacity:.72}}</style></head><body>
<h1>Leakage certificate</h1>
<p class="muted">A record of measurements, not a proof of fairness or of complete unlearning.</p>
<h2>What was unlearned</h2>
<p>Attribute <b>{e(c.z_name)}</b> of dataset <b>{e(d['name'])}</b> ({d.get('rows', 'n/a')} rows;
content SHA-256 <code>{e(str(d.get('fingerprint', 'n/a')))}</code>), with method <b>{e(c.method)}</b>
{e(', '.join(knob))}, seed {e(str(c.random_state))}.</p>
<h2>On which data it was measured</h2>
<p>{e(measured_rows(ev, a))} ({e(str(ev.get('split', '')))}); \
group sizes {e(json.dumps(ev.get('group_counts', {})))}.</p>
<h2>How much of {e(c.z_name)} is left in the outcome</h2>
<table><tr><th>measure</th><th>mutual information?</th><th>value</th>\
<th>{int(round(100 * (c.leakage[0]['ci_level'] if c.leakage else 0.9)))}% bootstrap interval</th>\
<th>unit</th><th>known bias</th></tr>
{''.join(rows)}</table>
<p>Residual W2 between groups (pairwise-weighted W2², {e(str(w.get('kind', '')))}):
{_fmt(w.get('value'), 4)}\
{'' if w.get('theory') is None else f"; the fitted maps predict (1 − t)² V = {_fmt(w['theory'], 4)}"}.</p>
<h2>Can an attacker recover {e(c.z_name)}? <b>{e(c.verdict.get('status', ''))}</b></h2>
<p>{e(c.verdict.get('sentence', ''))} It guessed {e(c.z_name)} right on {_fmt(a.get('accuracy'), 3)} of
{e(attacked_rows(a))}, against {_fmt(a.get('majority_baseline'), 3)} for always guessing the largest
group; its lower bound on the mutual information is {_fmt(a.get('mi_lower'), 3)} nats (interval
{_fmt((a.get('mi_ci') or [None, None])[0], 3)} – {_fmt((a.get('mi_ci') or [None, None])[1], 3)}).</p>
<p>{bound_txt}</p>
<h2>Utility</h2>
<table>{util}</table>
<h2>What this does not show</h2>
<ul><li>Estimates are statistical: with other data, another seed or more rows they would differ within (and
sometimes beyond) the stated intervals. Lower-bound estimators (the probe, neural bounds) can miss leakage
that a stronger model would find.</li>
<li>Low leakage here is measured for this outcome, these rows and these estimators only; it does not
certify other models trained on the outcome, other attributes correlated with {e(c.z_name)}, or fairness
criteria that were not measured.</li>{notes}</ul>
<p class="muted">Created {e(c.created)}; {versions}; schema {c.schema_version}.</p>
</body></html>
"""


def _estimate_dict(est: LeakageEstimate) -> dict[str, Any]:
    from . import leakage

    spec = leakage.method_spec(est.method)
    return {
        "method": est.method,
        "title": spec.title,
        "is_mi": est.is_mi,
        "unit": spec.unit,
        "value": est.value,
        "ci": list(est.ci) if est.ci is not None else None,
        "ci_level": est.ci_level,
        "raw": est.raw,
        "bias": est.bias,
        "n": est.n,
        "seconds": est.seconds,
    }


def _dataset_info(dataset: Any) -> dict[str, Any]:
    if isinstance(dataset, Mapping):
        if "name" not in dataset:
            raise ValueError("dataset given as a mapping needs at least a 'name' "
                             "(and ideally a 'fingerprint')")
        return dict(dataset)
    if hasattr(dataset, "fingerprint") and hasattr(dataset, "name"):
        return {
            "name": dataset.name,
            "fingerprint": dataset.fingerprint(),
            "rows": int(dataset.n_samples),
            "sensitive": dataset.sensitive,
            "groups": {str(k): int(v) for k, v in dataset.group_counts().items()},
        }
    raise ValueError(f"dataset must be a Dataset or a mapping with 'name', got {type(dataset).__name__}")


def _utility_logistic(S_train, y_train, S_test, y_test, z_test) -> dict[str, float]:
    """Logistic regression trained on the transformed training rows, scored on the transformed test rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    from . import metrics

    with threadpool_limits(limits=1):
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(S_train, y_train)
        proba = clf.predict_proba(S_test)
    classes = list(clf.classes_)
    y_codes = np.array([classes.index(v) for v in y_test])
    out = {"model": "logistic regression on the unlearned training rows",
           "accuracy": metrics.accuracy(y_codes, proba.argmax(axis=1)),
           "auc": metrics.auc(y_codes, proba)}
    if proba.shape[1] == 2:
        out["discrimination"] = metrics.discrimination_ratio(proba[:, 1], z_test)
        out["demographic_parity_gap"] = metrics.demographic_parity_gap(proba[:, 1], z_test)
    return out


def _valid_mi(est: LeakageEstimate, entropy: float) -> str | None:
    """Why an MI estimate cannot feed a bound (None when it can)."""
    if est.ci is None:
        return "it has no interval"
    lo, hi = est.ci
    if not (math.isfinite(est.value) and math.isfinite(lo) and math.isfinite(hi)):
        return "it is not finite"
    if not lo - 1e-12 <= est.value <= hi + 1e-12:
        return f"its interval [{lo:.3g}, {hi:.3g}] does not contain its value {est.value:.3g}"
    if lo < -1e-12 or hi > entropy + 1e-9:
        return f"its interval [{lo:.3g}, {hi:.3g}] leaves [0, H(Z) = {entropy:.3g}] nats"
    return None


def _pinsker(ests: Sequence[LeakageEstimate], codes: np.ndarray, labels: np.ndarray, strong: Any,
             notes: list[str]) -> dict[str, Any]:
    """Pinsker's accuracy bound from the valid MI estimates, withheld when the attack contradicts it."""
    prior = np.bincount(codes, minlength=labels.size) / codes.size
    entropy = float(-np.sum(prior[prior > 0] * np.log(prior[prior > 0])))
    usable = []
    for e in ests:
        if not e.is_mi:
            continue
        why = _valid_mi(e, entropy)
        if why is None:
            usable.append((float(e.ci[1]), e.method))
        else:
            notes.append(f"{e.method} is left out of the accuracy bound: {why}")
    empty = {"bound": None, "mi_used": None, "mi_method": None, "prior": prior.tolist(),
             "groups": [str(g) for g in labels], "attack_within_bound": None, "contradicted": False}
    if not usable:
        return empty
    mi_used, mi_method = max(usable)
    bound = pinsker_bound(mi_used, prior)
    if strong.accuracy > bound:
        notes.append(
            f"no accuracy bound is stated: the attacker's held-out accuracy {strong.accuracy:.3f} exceeds "
            f"the {bound:.3f} that the {mi_method} estimate would imply, so the MI estimates under-report "
            "the leakage"
        )
        return {**empty, "mi_used": mi_used, "mi_method": mi_method, "attack_within_bound": False,
                "contradicted": True}
    return {**empty, "bound": bound, "mi_used": mi_used, "mi_method": mi_method, "attack_within_bound": True}


def _verdict(strong: Any, c_name: str) -> dict[str, str]:
    """PASS only when the strong attacker is within its interval of chance."""
    if strong.recovered:
        return {"status": "FAIL", "sentence": f"{c_name} was recovered. " + strong.verdict()}
    return {"status": "PASS", "sentence": f"{c_name} was not recovered. " + strong.verdict()}


@dataclass(frozen=True)
class CertificateOptions:
    """The settings of one :func:`certificate` (what is measured and how); the fields are described there."""

    method: str
    z_name: str | None = None
    t: float | None = None
    lam: float | None = None
    estimates: Sequence[str | Mapping[str, Any] | LeakageEstimate] = ("knn", "probe", "gaussian")
    utility: Mapping[str, Any] | None = None
    random_state: RandomState = 0
    n_boot: int = 100
    ci_level: float = 0.9
    max_rows: int = 4000
    test_size: float = 0.3
    notes: Sequence[str] = ()


@dataclass
class _Measured:
    """The outcome rows a certificate measures, where they come from, and what theory predicts for them."""

    S: np.ndarray
    z: np.ndarray
    split: str
    t: float | None
    theory: float | None = None
    utility: dict = field(default_factory=dict)


@config_signature(CertificateOptions)
def certificate(
    dataset: Any,
    config: CertificateOptions | None = None,
    *,
    maps: Any = None,
    S_train: np.typing.ArrayLike | None = None,
    z_train: np.typing.ArrayLike | None = None,
    S_test: np.typing.ArrayLike | None = None,
    z_test: np.typing.ArrayLike | None = None,
    progress: Callable[[float, str], None] | None = None,
    **overrides: Any,
) -> Certificate:
    """Measure the leakage left in an unlearning outcome and record it as a :class:`Certificate`.

    Which outcome is measured, in order of preference:

    1. ``S_test`` and ``z_test`` (outcome arrays on held-out rows, e.g. transformed test data or model
       outputs) -- measured as given; ``S_train``/``z_train`` only add their row count;
    2. ``maps`` (a fitted ``transport.BarycenterMaps``) and ``t``: the maps are applied at t to the
       dataset's own rows (the caller decides whether those were used for fitting; the certificate says
       "rows the maps were applied to");
    3. neither: ``method`` names a barycenter method of :mod:`unlearn_core.transport` (imported here,
       not at module import); the dataset is split (``test_size``), the barycenter is fitted on the
       training rows only, and the test rows are transformed at ``t`` (default 1) and measured. When the
       dataset has a classification target and ``utility`` is None, a logistic regression trained on
       the transformed training rows gives AUC, accuracy and discrimination on the test rows.

    At most ``max_rows`` rows (random, seeded) are measured. ``estimates`` are method names from
    :func:`unlearn_core.leakage.methods` (estimated here with ``n_boot`` resamples for the interval),
    mappings ``{"method": name, **options}`` (e.g. ``{"method": "probe", "model": "best"}``) or ready
    :class:`LeakageEstimate` objects. The Pinsker accuracy bound uses the largest upper
    confidence limit among the MI estimates (conservative); the attack is :func:`probe_attack`; the
    residual W2 is the ``w2`` estimator (Gaussian closed form) on the measured rows.

    ``progress(fraction_done, message)``, when given, is called before each step (the barycenter fit,
    the attacker, each estimator, the residual W2): the UI draws a progress bar from it, and a UI may
    stop the run by raising from it.

    The settings (``method``, which is required, ``z_name``, ``t``, ``lam``, ``estimates``, ``utility``,
    ``random_state``, ``n_boot``, ``ci_level``, ``max_rows``, ``test_size``, ``notes``) are the fields of
    a :class:`CertificateOptions`, passed as ``config`` or as keywords (which override the config's).
    """
    def step(frac: float, msg: str) -> None:
        if progress is not None:
            progress(frac, msg)

    c = resolve(CertificateOptions, config, overrides, "certificate")
    _check_options(c)
    info = _dataset_info(dataset)
    z_name = c.z_name or str(info.get("sensitive", "Z"))
    rng = check_random_state(c.random_state)
    note_list = list(c.notes)
    if S_test is not None or S_train is not None:
        m = _given_outcome(c, S_train, z_train, S_test, z_test, note_list)
    elif maps is not None:
        m = _mapped_outcome(dataset, c, maps)
    else:
        m = _fitted_outcome(dataset, c, step, note_list)
    codes, labels = encode_groups(m.z)
    if codes.size != m.S.shape[0]:
        raise ValueError(f"the outcome has {m.S.shape[0]} rows but z has {codes.size}")
    from . import leakage  # lazy (module docstring); the attacker's own <= 8,000 rows, before max_rows
    from .leakage.attacker import attack
    step(0.25, f"a gradient-boosting attacker guessing {z_name} on {codes.size:,} held-out rows")
    strong = attack(m.S, m.z, random_state=seed_from(c.random_state))
    S, zz = m.S, m.z
    if codes.size > c.max_rows:
        rows = np.sort(rng.choice(codes.size, size=int(c.max_rows), replace=False))
        S, zz, codes = S[rows], zz[rows], codes[rows]
        note_list.append(f"measured on a random subset of {c.max_rows} rows")
    ests = _leakage_estimates(S, zz, c, rng, step, note_list)
    pinsker = _pinsker(ests, codes, labels, strong, note_list)
    step(0.9, "the residual W2 between the groups")
    w2 = leakage.estimate(S, zz, method="w2", n_boot=c.n_boot, ci_level=c.ci_level,
                          random_state=seed_from(rng))
    residual = {"value": w2.value, "ci": list(w2.ci) if w2.ci else None, "kind": "gaussian closed form",
                "unit": "squared units of the outcome", "theory": m.theory}
    rs = c.random_state
    return Certificate(
        dataset=info,
        z_name=z_name,
        method=c.method,
        t=None if m.t is None else float(m.t),
        lam=None if c.lam is None else float(c.lam),
        random_state=rs if isinstance(rs, (int, np.integer, type(None))) else "generator",
        versions=library_versions(),
        evaluation={"split": m.split, "rows": int(codes.size),
                    # every group, 0 for one the estimators' random subset missed
                    "group_counts": {str(g): int(n) for g, n in
                                     zip(labels, np.bincount(codes, minlength=len(labels)), strict=True)}},
        leakage=tuple(_estimate_dict(e) for e in ests),
        attack=strong.as_dict(),
        verdict=_verdict(strong, c_name=z_name),
        pinsker=pinsker,
        residual_w2=residual,
        utility=m.utility,
        notes=tuple(note_list),
        created=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    )


def _check_options(c: CertificateOptions) -> None:
    """Step 1: the numeric options are in range (errors name the option)."""
    check_n_boot(c.n_boot)
    check_scalar(c.ci_level, "ci_level", float, min_val=0.0, max_val=1.0, include_boundaries="neither")
    check_scalar(c.max_rows, "max_rows", int, min_val=10)
    check_scalar(c.test_size, "test_size", float, min_val=0.0, max_val=1.0, include_boundaries="neither")
    if c.t is not None:
        check_scalar(c.t, "t", float, min_val=0.0, max_val=1.0)
    check_seed(c.random_state)


def _given_outcome(c: CertificateOptions, S_train, z_train, S_test, z_test, note_list: list) -> _Measured:
    """Step 2, first choice: the caller's outcome arrays (held-out ones when given, else training ones)."""
    util = dict(c.utility) if c.utility is not None else {}
    if S_test is not None:
        if z_test is None:
            raise ValueError("S_test needs z_test (the group of each row)")
        S = as_2d_float(S_test, "S_test")
        if S_train is not None:
            note_list.append(f"{as_2d_float(S_train, 'S_train').shape[0]} training rows were given; "
                             "leakage is measured on the held-out rows only")
        return _Measured(S, np.asarray(z_test), "held-out outcome rows given by the caller", c.t, None, util)
    if z_train is None:
        raise ValueError("S_train needs z_train (the group of each row)")
    split = "training rows (no held-out rows were given; estimates may be optimistic)"
    return _Measured(as_2d_float(S_train, "S_train"), np.asarray(z_train), split, c.t, None, util)


def _mapped_outcome(dataset: Any, c: CertificateOptions, maps: Any) -> _Measured:
    """Step 2, second choice: fitted maps applied at t (default 1) to the dataset's own rows."""
    if not hasattr(dataset, "X"):
        raise ValueError("maps need the Dataset itself (its X and z) to be transformed")
    tt = 1.0 if c.t is None else float(c.t)
    X = dataset.X.to_numpy(dtype=float)
    zz = dataset.z.to_numpy()
    S = np.asarray(maps.transform(X, zz, tt), dtype=float)
    theory = None
    total = getattr(maps, "total_cost", None)
    if total is not None:
        from .transport import distortion_leakage  # lazy, as below

        theory = distortion_leakage(tt, float(total))[1]  # L(t) = (1 - t)^2 V
    util = dict(c.utility) if c.utility is not None else {}
    return _Measured(S, zz, "rows the maps were applied to (the dataset as given)", tt, theory, util)


def _fitted_outcome(dataset: Any, c: CertificateOptions, step, note_list: list) -> _Measured:
    """Step 2, otherwise: split, fit the barycenter on the training rows, transform the test rows at t."""
    if not hasattr(dataset, "X"):
        raise ValueError("without outcome arrays or maps, certificate needs the Dataset to fit a "
                         "barycenter")
    from . import transport  # lazy: only this path needs it
    from .datasets import split as split_dataset

    tt = 1.0 if c.t is None else float(c.t)
    seed = seed_from(c.random_state)  # the frontier's and view_attack's seed: the same view, the same rows
    train, test = split_dataset(dataset, test_size=c.test_size, random_state=seed)
    step(0.0, f"fitting the {c.method} barycenter on {len(train.z):,} training rows")
    fit = transport.fit_barycenter(train.X, train.z.to_numpy(), method=c.method, random_state=seed)
    S_tr = np.asarray(fit.transform(train.X.to_numpy(dtype=float), train.z.to_numpy(), tt), dtype=float)
    S = np.asarray(fit.transform(test.X.to_numpy(dtype=float), test.z.to_numpy(), tt), dtype=float)
    zz = test.z.to_numpy()
    theory = transport.distortion_leakage(tt, float(fit.total_cost))[1]
    note_list.append("theory = (1 - t)^2 V with V the training-split barycenter cost; the measured "
                     "value is on test rows")
    util = dict(c.utility) if c.utility is not None else {}
    if c.utility is None and train.y is not None and train.task == "classification":
        util = _utility_logistic(S_tr, train.y.to_numpy(), S, test.y.to_numpy(), zz)
    split = f"test split ({c.test_size:.0%}); barycenter fitted on the training split only"
    return _Measured(S, zz, split, tt, theory, util)


def _leakage_estimates(S: np.ndarray, zz: np.ndarray, c: CertificateOptions, rng, step,
                       note_list: list) -> list[LeakageEstimate]:
    """Step 3: each requested leakage estimate on the measured rows (ready estimates are kept as given)."""
    from . import leakage
    from .leakage import LeakageEstimate

    estimates = c.estimates
    ests: list[LeakageEstimate] = []
    for i, item in enumerate(estimates):
        step(0.5 + 0.4 * i / max(len(estimates), 1), f"leakage estimate {i + 1} of {len(estimates)}"
             + (f" ({c.n_boot} bootstrap resamples)" if c.n_boot else ""))
        if isinstance(item, LeakageEstimate):
            ests.append(item)
            continue
        if isinstance(item, Mapping):
            opts = dict(item)
            name = str(opts.pop("method", ""))
        else:
            name, opts = str(item), {}
        if name not in leakage.methods():
            raise ValueError(f"unknown leakage method {name!r} in estimates; "
                             f"choose from {', '.join(leakage.methods())}")
        is_prob = (bool(np.all(S >= -1e-9) and np.allclose(S.sum(axis=1), 1.0, atol=1e-6))
                   if S.shape[1] > 1 else False)
        if leakage.method_spec(name).input == "probabilities" and not is_prob:
            note_list.append(f"{name} skipped: it needs class probabilities and the outcome is not")
            continue
        ests.append(leakage.estimate(S, zz, method=name, n_boot=c.n_boot, ci_level=c.ci_level,
                                     random_state=seed_from(rng), **opts))
    return ests
