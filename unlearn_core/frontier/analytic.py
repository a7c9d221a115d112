"""The analytic frontier: a t-sweep along the McCann path toward the W2 barycenter (docs/design.md 3.1).

For t in [0, 1] every point moves to X_t = (1 - t) X + t T_Z(X), with the maps T_z fitted on the
training split only. The distortion is D(t) = t^2 V and the W2 leakage L(t) = (1 - t)^2 V (exactly, on
the fitted moments, for the Gaussian method); with the penalty D + lam L the optimum is
t* = lam / (1 + lam), so each t is the answer for lam = t / (1 - t). What remains to measure is what the
theory does not give: how well an attacker still recovers Z, how much a downstream model loses, and how
fair its predictions are.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import metrics
from .._config import config_signature, resolve
from .._utils import RandomState, Weights, limit_threads, seed_from
from ._types import Frontier

DEFAULT_TS: tuple[float, ...] = tuple(np.round(np.linspace(0.0, 1.0, 21), 10))

#: Downstream model families: name -> (what it is for classification, for regression).
DOWNSTREAM: dict[str, str] = {
    "logistic": "standardised logistic regression (classification) / ridge regression (regression)",
    "hgb": "histogram gradient boosting (scikit-learn), classification or regression",
}


class _WarmLogistic:
    """L2-penalised logistic regression, sklearn's objective, solved by Newton's method with warm starts.

    Minimises

    .. math::

        f(w, b) = \\sum_i \\big[\\log(1 + e^{\\eta_i}) - y_i \\eta_i\\big] + \\frac{\\|w\\|^2}{2C},
        \\qquad \\eta_i = x_i^\\top w + b

    (intercept b not penalised): the objective of ``sklearn.linear_model.LogisticRegression(C=C)``.
    Binary targets only (codes 0/1); other cases use scikit-learn (see ``_make_model``).

    A t-sweep changes X a little at each step, so each fit starts from the better (lower f) of the
    previous solution and the linear extrapolation of the last two (the sweep's t are evenly spaced
    by default; when they are not, the extrapolation simply loses). The Hessian X^T D X + diag(1/C, 0)
    (n d^2 flops, 98% of a step's cost on Adult: 31.6k x 86) is factorised once and reused for
    further steps while they still shrink the Newton decrement at least fourfold, and refreshed when
    they do not (a chord method: each reused step costs two n x d products); the stopping test,
    lambda^2 / 2 <= ``tol`` * n on the decrement lambda^2 = g^T H^{-1} g (an estimate of 2 (f - f*)),
    is unchanged. lbfgs restarted by scikit-learn took 4-5 times longer per t on Adult. The intercept
    is handled in blocks, so no (n, d + 1) copy of X is made per fit.
    """

    def __init__(self, C: float = 1.0, tol: float = 1e-14, max_iter: int = 200) -> None:
        self.C, self.tol, self.max_iter = C, tol, max_iter
        self.coef_: np.ndarray | None = None
        self._previous: np.ndarray | None = None
        self.classes_ = np.array([0, 1])
        self.n_iter_ = 0
        self.n_hessians_ = 0

    def _objective(self, X: np.ndarray, y: np.ndarray, beta: np.ndarray) -> tuple[float, np.ndarray]:
        eta = X @ beta[:-1]
        eta += beta[-1]
        w = beta[:-1]
        return float(np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * (w @ w) / self.C), eta

    def _hessian(self, X: np.ndarray, p: np.ndarray) -> tuple:
        from scipy.linalg import cho_factor

        d = X.shape[1]
        D = p * (1.0 - p)
        XD = X * D[:, None]
        H = np.empty((d + 1, d + 1))
        H[:d, :d] = XD.T @ X
        H[:d, d] = H[d, :d] = XD.sum(axis=0)
        H[d, d] = D.sum()
        H[np.diag_indices(d)] += 1.0 / self.C
        H[np.diag_indices(d + 1)] += 1e-12
        self.n_hessians_ += 1
        return cho_factor(H, check_finite=False)

    def fit(self, X: np.ndarray, y: np.ndarray) -> _WarmLogistic:
        from scipy.linalg import cho_solve

        classes = np.unique(y)
        if classes.size != 2:
            raise ValueError(f"_WarmLogistic needs exactly 2 classes, got {classes.size}")
        self.classes_ = classes
        yb = (y == classes[1]).astype(float)
        n, d = X.shape
        X = np.asarray(X, dtype=float)
        fresh = self.coef_ is None or self.coef_.shape != (d + 1,)
        beta = np.zeros(d + 1) if fresh else self.coef_.copy()
        f, eta = self._objective(X, yb, beta)
        if not fresh and self._previous is not None and self._previous.shape == beta.shape:
            guess = 2.0 * beta - self._previous  # continuation: the path's tangent from the last two fits
            f_guess, eta_guess = self._objective(X, yb, guess)
            if f_guess < f:
                beta, f, eta = guess, f_guess, eta_guess
        self.n_hessians_ = 0
        factor = None
        last_decrement = np.inf
        _it = 0  # read after the loop only (n_iter_), hence the underscore for B007
        for _it in range(1, self.max_iter + 1):
            p = 0.5 * (1.0 + np.tanh(0.5 * eta))  # stable sigmoid
            r = p - yb
            g = np.empty(d + 1)
            g[:d] = X.T @ r + beta[:d] / self.C
            g[d] = r.sum()
            if factor is None:
                factor = self._hessian(X, p)
            step = cho_solve(factor, g, check_finite=False)
            decrement = float(g @ step)  # Newton decrement squared: the predicted decrease * 2
            # lam^2 / 2 estimates f - f*; Newton converges quadratically, so a tight stop costs one
            # step and keeps the optimum exact where it matters (w = 0 when the groups' means are equal)
            if decrement / 2.0 <= self.tol * n:
                break
            if decrement > 0.25 * last_decrement and self.n_hessians_ and not np.isinf(last_decrement):
                # the reused Hessian no longer gives fast progress: refresh it and redo this step
                factor = self._hessian(X, p)
                step = cho_solve(factor, g, check_finite=False)
                decrement = float(g @ step)
            last_decrement = decrement
            a = 1.0
            while True:  # backtracking (Armijo); a full step is almost always accepted
                new = beta - a * step
                f_new, eta_new = self._objective(X, yb, new)
                if f_new <= f - 0.25 * a * decrement or a < 1e-8:
                    break
                a *= 0.5
            if a < 1.0:
                factor = None  # a damped step: far from the optimum, use fresh curvature next
            beta, f, eta = new, f_new, eta_new
        self.n_iter_ = _it
        self._previous = None if fresh else self.coef_
        self.coef_ = beta
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        eta = X @ self.coef_[:-1] + self.coef_[-1]
        p1 = 0.5 * (1.0 + np.tanh(0.5 * eta))
        return np.column_stack([1.0 - p1, p1])


def _make_model(name: str, task: str, seed: int, n_classes: int = 2):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge

    if name == "logistic":
        if task == "classification":
            if n_classes == 2:
                return _WarmLogistic(C=1.0)
            return LogisticRegression(max_iter=1000, warm_start=True)
        return Ridge(alpha=1e-3)
    if name == "hgb":
        cls = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
        return cls(max_iter=100, random_state=seed)
    raise ValueError(f"unknown downstream model {name!r}; choose one of {', '.join(DOWNSTREAM)}")


def _scaler(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # One affine standardisation for the whole sweep, from the untransformed training split: refitting it
    # at every t would undo the shrinkage the sweep is about (e.g. Z's column scaled by 1 - t).
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    return mu, np.where(sd > 1e-12, sd, 1.0)


def _z_columns(z: np.ndarray, groups: np.ndarray) -> np.ndarray:
    # Indicators of groups[1:], the usual one-hot with the first group as reference.
    return (np.asarray(z)[:, None] == groups[None, 1:]).astype(float)


def transform_split(maps, dataset, t: float, *, keep_z: bool = False) -> np.ndarray:
    """X_t of a whole Dataset (the slider's path): ``maps.transform(dataset.X, dataset.z, t)``.

    With ``keep_z`` the indicators of Z (all groups but the first) are appended, scaled by (1 - t),
    as in the authors' experiments. For repeated calls at many t, compute ``maps.displacement`` once.
    """
    from ..transport import mccann

    Xt = maps.transform(dataset.X, dataset.z.to_numpy(), t)
    if keep_z:
        zc = _z_columns(dataset.z.to_numpy(), maps.groups)
        Xt = np.hstack([Xt, mccann(zc, np.zeros_like(zc), t)])  # (1 - t) zc: the path toward 0
    return Xt


def _attack_columns(S: np.ndarray, z: np.ndarray, attacker: str, seed: int) -> dict[str, float]:
    from ..leakage.attacker import attack

    res = attack(S, z, model=attacker, random_state=seed)
    return {
        "attack_auc": res.auc, "attack_auc_lo": res.auc_ci[0], "attack_auc_hi": res.auc_ci[1],
        "attack_acc": res.accuracy, "attack_mi": res.mi_lower, "attack_mi_lo": res.mi_ci[0],
        "attack_mi_hi": res.mi_ci[1], "attack_recovered": bool(res.recovered),
    }


_ATTACK_KEYS = ("attack_auc", "attack_auc_lo", "attack_auc_hi", "attack_acc", "attack_mi", "attack_mi_lo",
                "attack_mi_hi", "attack_recovered")


@dataclass(frozen=True, eq=False)
class _PerT:
    """What every t's independent task reads: the test split, its endpoints T_Z(X) and the options."""

    X_te: np.ndarray
    end_te: np.ndarray
    z_te: np.ndarray
    zc_te: np.ndarray | None
    keep_z: bool
    attacker: str | None
    seed: int
    task: str
    leakage_estimator: str | None
    est_col: str | None


def _per_t_task(job, sh: _PerT) -> tuple[dict[str, Any], dict[str, float]]:
    """The attacker on X_t (test split), the output probe and the estimator at one t.

    ``job.payload`` is (t, the downstream model's test outputs). Returns (columns, seconds per step).
    X_t is rebuilt here from the shared X and T_Z(X), so only t and the outputs travel per task.
    """
    from ..leakage.outputs import attack_view, probe_attack
    from ..transport import mccann

    t, outputs = job.payload
    A_te = mccann(sh.X_te, sh.end_te, t)
    # Z's own indicators travel the same path, toward 0 (the same point for every group)
    S = np.hstack([A_te, mccann(sh.zc_te, np.zeros_like(sh.zc_te), t)]) if sh.keep_z else A_te
    cols: dict[str, Any] = {}
    spent = {"attacker": 0.0, "output_probe": 0.0, "estimator": 0.0}
    if sh.attacker is not None:
        t0 = time.perf_counter()
        cols.update(_attack_columns(S, sh.z_te, sh.attacker, sh.seed))
        spent["attacker"] = time.perf_counter() - t0
    # The same held-out attacker the trained frontier uses, on the downstream model's outputs, so the
    # analytic curve and trained points share a leakage axis (out_probe_auc).
    t0 = time.perf_counter()
    out = probe_attack(attack_view(outputs, sh.task), sh.z_te, random_state=sh.seed)
    cols["out_probe_acc"], cols["out_probe_auc"] = out["probe_acc"], out["probe_auc"]
    spent["output_probe"] = time.perf_counter() - t0
    if sh.leakage_estimator is not None:
        from ..leakage import estimate

        t0 = time.perf_counter()
        est = estimate(S, sh.z_te, method=sh.leakage_estimator, random_state=sh.seed)
        cols[sh.est_col] = float(est.value)
        spent["estimator"] = time.perf_counter() - t0
    return cols, spent


def heldout_view(dataset, *, method: str | None = None, t: float = 1.0, test_size: float = 0.3,
                 random_state: RandomState = 0, maps=None) -> tuple[np.ndarray, np.ndarray, Any]:
    """The outcome of a view on rows the maps never saw: (X_t of the test split, its z, the maps).

    The split is ``datasets.split(dataset, test_size=test_size, random_state=seed)`` and the maps are
    fitted on its training part with the same seed: exactly what :func:`analytic_frontier` measures.
    """
    from .. import datasets
    from ..transport import DEFAULT_METHOD, fit_barycenter

    seed = seed_from(random_state)
    train, test = datasets.split(dataset, test_size=test_size, random_state=seed)
    if maps is None:
        maps = fit_barycenter(train.X, train.z.to_numpy(), method=method or DEFAULT_METHOD, random_state=seed)
    return maps.transform(test.X.to_numpy(dtype=float), test.z.to_numpy(), float(t)), test.z.to_numpy(), maps


def view_attack(dataset, *, method: str | None = None, t: float = 1.0, attacker: str = "hgb",
                test_size: float = 0.3, random_state: RandomState = 0, maps=None):
    """The project's attacker on :func:`heldout_view`: the leakage number every page shows for a view.

    Equal, for the same dataset, method, t and seed, to the ``attack_*`` columns of
    :func:`analytic_frontier` at that t. Returns a :class:`~unlearn_core.leakage.attacker.AttackResult`.
    """
    from ..leakage.attacker import attack

    S, z, _ = heldout_view(dataset, method=method, t=t, test_size=test_size, random_state=random_state,
                           maps=maps)
    return attack(S, z, model=attacker, random_state=seed_from(random_state))


def _check_ts(ts: Sequence[float] | None) -> np.ndarray:
    if ts is None:
        return np.array(DEFAULT_TS)
    arr = np.asarray(list(ts), dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"ts must be a non-empty list of numbers in [0, 1], got {ts!r}")
    if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1:
        raise ValueError(
            f"every t must be in [0, 1] (0: no unlearning, 1: the barycenter), got {arr.tolist()}"
        )
    if np.unique(arr).size != arr.size:
        raise ValueError(f"ts must be distinct, got {arr.tolist()}")
    return np.sort(arr)


@dataclass(frozen=True)
class AnalyticFrontierConfig:
    """The settings of a t-sweep (:func:`analytic_frontier`); the fields are described there."""

    method: str | None = None
    ts: Sequence[float] | None = None
    attacker: str | None = "hgb"
    downstream: str = "logistic"
    keep_z: bool = False
    leakage_estimator: str | None = None
    test_size: float = 0.3
    weights: Weights = "empirical"
    random_state: RandomState = 0
    method_options: Mapping[str, Any] | None = None


_STEPS = ("split", "fit", "displacement", "distortion_w2", "downstream", "probe", "attacker",
          "output_probe", "estimator")


@config_signature(AnalyticFrontierConfig)
def analytic_frontier(
    dataset,
    config: AnalyticFrontierConfig | None = None,
    *,
    progress: Callable[[float, str], None] | None = None,
    maps=None,
    executor: Executor | None = None,
    **overrides: Any,
) -> Frontier:
    """Sweep t along X_t = (1 - t) X + t T_Z(X) and measure distortion, leakage, utility and fairness.

    The barycenter maps are fitted on the training split of
    ``datasets.split(dataset, test_size=test_size, random_state=random_state)`` (never on test data);
    every t transforms both splits. One row per t with the columns

    - ``t``; ``lam`` = t / (1 - t) (inf at t = 1), the penalty weight for which t is optimal;
    - ``distortion`` = mean ||X - X_t||^2 on the training split, ``distortion_pred`` = t^2 V;
    - ``w2_leakage`` = sum_z w_z W2^2(Law(X_t | z), mu_bar) measured on the training split with the
      method's own W2 (see :meth:`BarycenterMaps.group_leakage`), ``w2_leakage_pred`` = (1 - t)^2 V;
    - ``attack_auc`` (with ``attack_auc_lo`` / ``attack_auc_hi``, its 95% interval), ``attack_acc``,
      ``attack_mi`` (with ``attack_mi_lo`` / ``attack_mi_hi``): the project's one attacker
      (:func:`unlearn_core.leakage.attacker.attack`, gradient boosting by default) cross-fitted on the
      test split's X_t, i.e. on rows the maps never saw; the default leakage axis. The same call on the
      same rows is :func:`view_attack`, so every page reports the same number for the same view;
    - ``probe_acc``, ``probe_auc``: a logistic-regression attacker predicting Z from X_t, trained on the
      training split and scored on the test split (AUC one-vs-rest for K > 2): the cheap linear view;
    - ``out_probe_acc``, ``out_probe_auc``: the trained frontier's attacker (the same cross-fitted
      gradient boosting on the logit of the downstream model's test outputs,
      :func:`unlearn_core.leakage.outputs.probe_attack`): leakage of the *outcome* rather than of X_t, the
      axis on which analytic and trained frontiers are compared;
    - utility of the ``downstream`` model predicting y from X_t, on the test split: ``accuracy``, ``auc``
      (classification) or ``mse``, ``r2`` (regression);
    - fairness of its test predictions: ``dp_gap`` = ``dp_gap_rate``, demographic parity as Fairlearn
      defines it (the largest gap in the groups' rates of each predicted class), next to
      ``dp_gap_score`` (the largest gap in the groups' mean predicted probability; for regression
      ``dp_gap`` is the gap in mean prediction) and ``discrimination`` = max_{a,b} |1 - v_a / v_b|
      (classification; the authors' measure, docs/design.md section 4) or ``ks`` (regression: the largest
      two-sample KS statistic between groups' predictions); for K > 2 classes the largest over classes;
    - ``est_<name>`` (dashes become underscores): the value of ``leakage.estimate(X_t_test, z_test,
      method=leakage_estimator)`` when an estimator is named.

    Parameters
    ----------
    dataset : a :class:`~unlearn_core.datasets.Dataset` with a target.
    config : an :class:`AnalyticFrontierConfig` with the settings below (all but ``progress``, ``maps``
        and ``executor``); any of them may also be given as a keyword, which overrides the config's value.
    method : barycenter method (``transport.methods()``; default ``transport.DEFAULT_METHOD``).
    ts : values of t in [0, 1] (default 21 evenly spaced).
    attacker : "hgb" (default), "logistic" or None (skip the ``attack_*`` columns; the leakage axis is
        then ``probe_auc``).
    downstream : "logistic" (default) or "hgb" (see ``DOWNSTREAM``).
    keep_z : append Z's indicators scaled by (1 - t) to the features of the downstream model and of the
        attacker, as in the authors' experiments (at t = 0 the model sees Z itself).
    leakage_estimator : optional name from ``unlearn_core.leakage.methods()``.
    test_size, weights, random_state : split share, barycenter weights, seed of everything.
    progress : optional callback ``progress(fraction_done, message)``.
    method_options : options of the barycenter method (e.g. ``{"ridge": 1e-4}``).
    maps : already-fitted :class:`BarycenterMaps` for the training split (e.g. from the UI's cache);
        fitted here when None.
    executor : a ``concurrent.futures.Executor`` (:mod:`unlearn_core.parallel`) or None (serial). The
        downstream model and the linear probe are warm-started along t and stay in this process; each t's
        attacker, output probe and estimator (most of a sweep's time with the gradient-boosting
        attacker) run as one task on the executor. Same table as serial for the same seed (timings
        aside); ``meta["timings"]`` then sums the tasks' own times.

    Returns
    -------
    Frontier (kind "analytic", param "t", utility "auc" / "r2", leakage "probe_auc" or the estimator's
    column), with ``meta`` holding V, the maps' summary, per-step timings and notes.
    """
    from ..parallel import share

    start = time.perf_counter()
    c = resolve(AnalyticFrontierConfig, config, overrides, "analytic_frontier")
    ts_arr, est_col = _check_frontier_inputs(dataset, c)
    seed = seed_from(c.random_state)
    timings = dict.fromkeys(_STEPS, 0.0)
    sp = _split_and_map(dataset, c, seed, maps, timings)
    ref = share(executor, _PerT(X_te=sp.X_te, end_te=sp.end_te, z_te=sp.z_te, zc_te=sp.zc_te, keep_z=c.keep_z,
                                attacker=c.attacker, seed=seed, task=dataset.task,
                                leakage_estimator=c.leakage_estimator, est_col=est_col))
    rows, futures = _sweep_ts(sp, c, ts_arr, seed, est_col, timings, ref, executor, progress)
    for row, fut in zip(rows, futures, strict=True):
        cols, spent = fut.result()
        row.update(cols)
        for k, v in spent.items():
            timings[k] += v
    if progress is not None:
        progress(1.0, "done")
    return _analytic_result(dataset, c, sp, rows, est_col, seed, timings, start)


@dataclass(frozen=True, eq=False)
class _Split:
    """The split's arrays, the fitted maps, the endpoints T_Z(X) and what every t reuses."""

    task: str
    X_tr: np.ndarray
    X_te: np.ndarray
    z_tr: np.ndarray
    z_te: np.ndarray
    y_tr: np.ndarray
    y_te: np.ndarray
    maps: Any
    end_tr: np.ndarray
    end_te: np.ndarray
    V: float
    zc_tr: np.ndarray | None
    zc_te: np.ndarray | None
    codes_tr: np.ndarray
    codes_te: np.ndarray
    dist_per_row: float


def _check_frontier_inputs(dataset, c: AnalyticFrontierConfig) -> tuple[np.ndarray, str | None]:
    """Step 1: the dataset has a target, the options are known; the sorted ts and the estimator's column."""
    if dataset.y is None or dataset.task not in ("classification", "regression"):
        raise ValueError(
            f"dataset {dataset.name!r} has no target (task={dataset.task!r}); the analytic frontier needs y "
            "to measure utility"
        )
    if c.downstream not in DOWNSTREAM:
        raise ValueError(f"unknown downstream model {c.downstream!r}; choose one of {', '.join(DOWNSTREAM)}")
    ts_arr = _check_ts(c.ts)
    est_col = None
    if c.leakage_estimator is not None:
        try:
            from ..leakage import estimate  # noqa: F401
        except ImportError as exc:  # the estimator registry is another module; say so plainly
            raise ValueError(
                f"leakage_estimator={c.leakage_estimator!r} needs unlearn_core.leakage.estimate, which is "
                f"not available in this build ({exc}); pass leakage_estimator=None"
            ) from exc
        est_col = "est_" + str(c.leakage_estimator).replace("-", "_")
    return ts_arr, est_col


def _split_and_map(dataset, c: AnalyticFrontierConfig, seed: int, maps, timings: dict) -> _Split:
    """Step 2: split the data, fit the barycenter maps on the training split, compute T_Z(X) on both."""
    from .. import datasets
    from ..transport import DEFAULT_METHOD, fit_barycenter

    method = DEFAULT_METHOD if c.method is None else c.method
    t0 = time.perf_counter()
    train, test = datasets.split(dataset, test_size=c.test_size, random_state=seed)
    X_tr = train.X.to_numpy(dtype=float)
    X_te = test.X.to_numpy(dtype=float)
    z_tr = train.z.to_numpy()
    z_te = test.z.to_numpy()
    y_tr = train.y.to_numpy()
    y_te = test.y.to_numpy()
    timings["split"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if maps is None:
        maps = fit_barycenter(
            train.X, z_tr, method=method, weights=c.weights, random_state=seed, **dict(c.method_options or {})
        )
    timings["fit"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    end_tr = maps.endpoint(X_tr, z_tr)  # T_Z(X): X_t is the McCann point between X and it
    end_te = maps.endpoint(X_te, z_te)
    timings["displacement"] = time.perf_counter() - t0
    return _Split(
        task=dataset.task, X_tr=X_tr, X_te=X_te, z_tr=z_tr, z_te=z_te, y_tr=y_tr, y_te=y_te, maps=maps,
        end_tr=end_tr, end_te=end_te, V=float(maps.total_cost),
        zc_tr=_z_columns(z_tr, maps.groups) if c.keep_z else None,
        zc_te=_z_columns(z_te, maps.groups) if c.keep_z else None,
        codes_tr=np.searchsorted(maps.groups, z_tr), codes_te=np.searchsorted(maps.groups, z_te),
        dist_per_row=np.sum((end_tr - X_tr) ** 2, axis=1).mean(),
    )


def _sweep_ts(sp: _Split, c: AnalyticFrontierConfig, ts_arr: np.ndarray, seed: int, est_col: str | None,
              timings: dict, ref, executor, progress) -> tuple[list[dict], list]:
    """Step 3: for each t, the rows measured here (warm-started fits) and the per-t task's future."""
    from ..parallel import Task, submit
    from ..transport import mccann

    task = sp.task
    n_classes = int(np.unique(sp.y_tr).size) if task == "classification" else 0
    model = _make_model(c.downstream, task, seed, n_classes)
    probe = _make_model("logistic", "classification", seed, int(sp.maps.groups.size))
    mu, sd = _scaler(sp.X_tr)
    rows, futures = [], []
    # one thread for the sweep's many small fits (lbfgs on Adult: 2.0-2.4 s threaded, 0.09-0.24 s not)
    with limit_threads(1):
        for i, t in enumerate(ts_arr):
            if progress is not None:
                progress(i / ts_arr.size, f"t = {t:.2f}")
            A_tr = mccann(sp.X_tr, sp.end_tr, t)
            A_te = mccann(sp.X_te, sp.end_te, t)
            row = _distortion_columns(sp, t, A_tr, timings)
            S_tr, S_te = (A_tr - mu) / sd, (A_te - mu) / sd
            if c.keep_z:  # Z's indicators enter unstandardised, on the McCann path toward 0: (1 - t) zc
                S_tr = np.hstack([S_tr, mccann(sp.zc_tr, np.zeros_like(sp.zc_tr), t)])
                S_te = np.hstack([S_te, mccann(sp.zc_te, np.zeros_like(sp.zc_te), t)])
            row.update(_probe_columns(probe, S_tr, S_te, sp, timings))
            if c.attacker is not None:  # filled by the per-t task below; the key keeps its column position
                row.update(dict.fromkeys(_ATTACK_KEYS))
            cols, outputs = _downstream_columns(model, S_tr, S_te, sp, task, timings)
            row.update(cols)
            # The attacker on X_t, the output probe and the estimator do not depend on other t: one task per
            # t, run here or on the executor (the test split and its endpoints go to the workers once).
            row["out_probe_acc"] = row["out_probe_auc"] = None
            if est_col is not None:
                row[est_col] = None
            job = Task(id=f"t={float(t)!r}", index=i, seed=seed, payload=(float(t), outputs))
            futures.append(submit(_per_t_task, job, ref, executor=executor,
                                  num_threads=None if executor is None else 1))
            rows.append(row)
    return rows, futures


def _distortion_columns(sp: _Split, t: float, A_tr: np.ndarray, timings: dict) -> dict[str, Any]:
    """Step 3a: t, lam, the measured and predicted distortion and W2 leakage on the training split."""
    from ..transport import distortion_leakage, lam_of_t

    t0 = time.perf_counter()
    D_t, L_t = distortion_leakage(t, sp.V)
    row: dict[str, Any] = {
        "t": float(t),
        "lam": lam_of_t(t),
        "distortion": distortion_leakage(t, sp.dist_per_row)[0],
        "distortion_pred": D_t,
        "w2_leakage": sp.maps.w2_leakage(A_tr, sp.z_tr),
        "w2_leakage_pred": L_t,
    }
    timings["distortion_w2"] += time.perf_counter() - t0
    return row


def _probe_columns(probe, S_tr: np.ndarray, S_te: np.ndarray, sp: _Split, timings: dict) -> dict[str, float]:
    """Step 3b: the warm-started linear probe for Z, trained on X_t (train) and scored on X_t (test)."""
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs iteration warnings on nearly separable steps
        probe.fit(S_tr, sp.codes_tr)
    # Scores are rounded to 1e-6 before ranking: at t = 1 the Gaussian maps equalise the training
    # groups' means exactly, the logistic optimum is then w = 0 and the probe's outputs differ only
    # by solver residue (~1e-7), whose arbitrary order gave meaningless AUCs (0.40-0.57 on Adult).
    pz = np.round(probe.predict_proba(S_te), 6)
    cols = {"probe_acc": metrics.accuracy(sp.codes_te, pz.argmax(axis=1)),
            "probe_auc": metrics.auc(sp.codes_te, pz if pz.shape[1] > 2 else pz[:, 1])}
    timings["probe"] += time.perf_counter() - t0
    return cols


def _downstream_columns(model, S_tr: np.ndarray, S_te: np.ndarray, sp: _Split, task: str,
                        timings: dict) -> tuple[dict[str, float], np.ndarray]:
    """Step 3c: the warm-started downstream model's test utility, fairness and outputs."""
    t0 = time.perf_counter()
    y_te, z_te = sp.y_te, sp.z_te
    row: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(S_tr, sp.y_tr)
    if task == "classification":
        proba = model.predict_proba(S_te)
        classes = model.classes_
        y_codes = np.searchsorted(classes, y_te)
        row["accuracy"] = metrics.accuracy(y_te, classes[proba.argmax(axis=1)])
        row["auc"] = metrics.auc(y_codes, proba if proba.shape[1] > 2 else proba[:, 1])
        cols = [proba[:, 1]] if proba.shape[1] == 2 else [proba[:, c] for c in range(proba.shape[1])]
        # Fairlearn's selection-rate gap and the mean-score gap
        gaps = metrics.parity_gaps(proba, z_te)
        row["dp_gap"] = gaps["dp_gap_rate"]
        row.update(gaps)
        row["discrimination"] = max(metrics.discrimination_ratio(p, z_te) for p in cols)
        outputs = proba
    else:
        pred = model.predict(S_te)
        row["mse"] = metrics.mse(y_te, pred)
        row["r2"] = metrics.r2(y_te, pred)
        row["dp_gap"] = metrics.demographic_parity_gap(pred, z_te)
        row["ks"] = metrics.ks_gap(pred, z_te)
        outputs = pred
    timings["downstream"] += time.perf_counter() - t0
    return row, outputs


def _analytic_result(dataset, c: AnalyticFrontierConfig, sp: _Split, rows: list[dict], est_col: str | None,
                     seed: int, timings: dict, start: float) -> Frontier:
    """Step 4: the table, its axes and the sweep's settings as a Frontier."""
    table = pd.DataFrame(rows)
    utility = "auc" if sp.task == "classification" else "r2"
    leakage = est_col if est_col is not None else ("attack_auc" if c.attacker is not None else "probe_auc")
    seconds = time.perf_counter() - start
    meta = {
        "dataset": dataset.name,
        "fingerprint": dataset.fingerprint(),
        "method": sp.maps.method,
        "downstream": c.downstream,
        "attacker": c.attacker,
        "keep_z": c.keep_z,
        "leakage_estimator": c.leakage_estimator,
        "test_size": c.test_size,
        "random_state": seed,
        "n_train": int(sp.X_tr.shape[0]),
        "n_test": int(sp.X_te.shape[0]),
        "V": sp.V,
        "maps": sp.maps.summary(),
        "timings": timings,
        "notes": (
            "distortion and w2_leakage are measured on the training split (where the maps were fitted); "
            "attacker, utility and fairness on the test split"
        ),
    }
    return Frontier.build(
        table, kind="analytic", param="t", utility=utility, leakage=leakage, meta=meta, seconds=seconds
    )



__all__ = ["DEFAULT_TS", "DOWNSTREAM", "AnalyticFrontierConfig", "analytic_frontier", "heldout_view",
           "transform_split", "view_attack"]
