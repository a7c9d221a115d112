"""The registry of leakage estimators and the one public entry point :func:`estimate`.

Every estimator is a private function ``fn(S, codes, n_groups, *, rng, **options) -> _Core`` registered
with a :class:`MethodSpec` (what the UI shows: title, whether it is an MI, what input it needs, its
bias, when to use it). :func:`estimate` validates the inputs once, calls the estimator, adds a
bootstrap interval on demand, clips at 0 and times the whole thing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
from threadpoolctl import threadpool_limits

from .._utils import RandomState, as_2d_float, check_random_state, encode_groups, timer
from .._validation import check_n_boot, check_scalar, check_seed
from ._common import entropy_from_codes
from ._types import LeakageEstimate

InputKind = Literal["probabilities", "continuous", "any"]


@dataclass(frozen=True)
class _Core:
    """What an estimator hands back to :func:`estimate`.

    ``raw`` is the unclipped value. When ``boot_stat`` is given, the bootstrap resamples the rows
    indexed by ``boot_codes`` (their group codes, for stratification) and calls ``boot_stat(idx)``,
    which recomputes the statistic from stored per-row quantities without refitting (held-out
    predictions, k-NN terms, critic values). Otherwise the bootstrap refits on resampled rows.

    ``bias_exponents = (alpha_min, alpha_max)`` is the range of powers of n at which the estimator's
    bias is known to decay, bias ~ c n^(-alpha). The default (1, 1) is a 1/n bias, which the
    half-sampling interval removes; a wider range makes that interval bias-aware (see
    :func:`_bias_aware_centres`); ``alpha_max = inf`` admits an estimator without bias.
    """

    raw: float
    diagnostics: dict[str, Any] = field(default_factory=dict)
    boot_stat: Callable[[np.ndarray], float] | None = None
    boot_codes: np.ndarray | None = None
    bias_exponents: tuple[float, float] = (1.0, 1.0)


@dataclass(frozen=True)
class MethodSpec:
    """A registry entry: one leakage estimator or alternative measure.

    Attributes
    ----------
    name : registry key (what :func:`estimate` takes as ``method``).
    title : human-readable name for pickers.
    is_mi : True when the value estimates I(S'; Z) in nats; False for alternative measures.
    input : "probabilities" (rows of class probabilities), "continuous" (real vectors) or "any".
    differentiable : True when a torch version is registered in ``differentiable.PENALTIES``.
    unit : unit of the value ("nats", "squared distance", "kernel units", "probability").
    bias : the direction the estimate is known to be biased towards.
    when_to_use : one or two sentences for the "which estimator when" guide.
    bootstrap : default interval: "refit" (half-sampling: the estimator is re-run on random halves) or
        "rows" (an ordinary bootstrap of stored per-row quantities of the fitted estimator; the fit's
        own randomness is not in the interval).
    fn : the estimator.
    """

    name: str
    title: str
    is_mi: bool
    input: InputKind
    differentiable: bool
    unit: str
    bias: str
    when_to_use: str
    bootstrap: Literal["refit", "rows"]
    fn: Callable[..., _Core] = field(repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly description (everything but the function)."""
        return {
            "name": self.name,
            "title": self.title,
            "is_mi": self.is_mi,
            "input": self.input,
            "differentiable": self.differentiable,
            "unit": self.unit,
            "bias": self.bias,
            "when_to_use": self.when_to_use,
            "bootstrap": self.bootstrap,
        }


_REGISTRY: dict[str, MethodSpec] = {}


def register(spec: MethodSpec) -> MethodSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"leakage method {spec.name!r} is registered twice")
    _REGISTRY[spec.name] = spec
    return spec


def methods(*, is_mi: bool | None = None) -> list[str]:
    """Names of the registered estimators (MI first, then alternative measures).

    ``is_mi=True`` keeps the MI estimators, ``False`` the alternative measures, None both.
    """
    names = [s.name for s in _REGISTRY.values() if is_mi is None or s.is_mi == is_mi]
    return sorted(names, key=lambda n: (not _REGISTRY[n].is_mi, list(_REGISTRY).index(n)))


def method_spec(name: str) -> MethodSpec:
    """The :class:`MethodSpec` registered under ``name``."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown leakage method {name!r}; choose one of {', '.join(methods())}")
    return _REGISTRY[name]


def specs() -> Mapping[str, MethodSpec]:
    """All registered specs, by name (read-only view for the UI's guide)."""
    return dict(_REGISTRY)


def _as_probabilities(S: np.ndarray, name: str) -> np.ndarray:
    """Check (or build) rows of class probabilities; a single column is read as P(class 1)."""
    if S.shape[1] == 1:
        p = S[:, 0]
        if np.any(p < -1e-9) or np.any(p > 1 + 1e-9):
            raise ValueError(
                f"method {name!r} needs probabilities; a single column is read as P(class 1) and must lie "
                f"in [0, 1], got values in [{p.min():.3g}, {p.max():.3g}]"
            )
        p = np.clip(p, 0.0, 1.0)
        return np.column_stack([1.0 - p, p])
    if np.any(S < -1e-9) or np.any(np.abs(S.sum(axis=1) - 1.0) > 1e-6):
        raise ValueError(
            f"method {name!r} needs rows of class probabilities (non-negative, summing to 1); pass "
            "softmax outputs, or pick a method whose input is 'continuous' or 'any'"
        )
    return np.clip(S, 0.0, None)


def bootstrap_resample(
    codes: np.ndarray, rng: np.random.Generator, *, n_groups: int | None = None
) -> np.ndarray:
    """Row indices of an ordinary bootstrap resample (n draws with replacement).

    Group sizes vary between resamples as they would between samples, so the interval carries the
    uncertainty of the group shares too (the truth is defined with the population shares). A resample
    in which a group has fewer than 2 rows is redrawn (only happens with tiny groups).
    """
    n = codes.size
    K = int(codes.max()) + 1 if n_groups is None else n_groups
    present = np.bincount(codes, minlength=K) > 0
    for _ in range(100):
        idx = rng.integers(0, n, n)
        counts = np.bincount(codes[idx], minlength=K)
        if np.all(counts[present] >= 2):
            return idx
    raise ValueError(
        "a group is too small to bootstrap (fewer than 2 rows in 100 resamples); merge rare groups"
    )


def half_sample(codes: np.ndarray, rng: np.random.Generator, *, n_groups: int | None = None) -> np.ndarray:
    """Row indices of a random half of the rows (without replacement), at least 2 rows per group."""
    n = codes.size
    K = int(codes.max()) + 1 if n_groups is None else n_groups
    present = np.bincount(codes, minlength=K) > 0
    for _ in range(100):
        idx = np.sort(rng.choice(n, size=n // 2, replace=False))
        if np.all(np.bincount(codes[idx], minlength=K)[present] >= 2):
            return idx
    raise ValueError(
        "a group is too small to half-sample (fewer than 2 rows in 100 draws); merge rare groups"
    )


def _bias_aware_centres(raw: float, shift: float, exponents: tuple[float, float]) -> tuple[float, float]:
    """Lowest and highest bias-corrected estimate over the admitted rates of bias decay.

    If E[est_m] = I + c m^(-alpha), the mean shift of half samples is
    shift = E[est_{n/2}] - est_n ~ c n^(-alpha) (2^alpha - 1), so the bias at n is shift / (2^alpha - 1)
    (Richardson extrapolation, the generalised jackknife of Schucany, Gray & Owen, JASA 66, 1971).
    The correction is monotone in alpha, so over alpha in [alpha_min, alpha_max] the corrected estimates
    raw - shift / (2^alpha - 1) span the interval between the two ends' values; alpha_max = inf gives
    ``raw`` itself (no bias). The union of the normal intervals around every admitted centre is a
    bias-aware interval in the spirit of Armstrong & Kolesar ("Simple and honest confidence intervals in
    nonparametric regression", Quantitative Economics 11, 2020): were the shift known, it would cover at
    least at the nominal level whichever rate in the range holds, and it costs width only in the
    direction the data say the bias lies. The shift's own sampling noise is not in the interval's SD;
    admitting alpha = inf (no bias) keeps it from moving the interval off the estimate. With (1, 1) it
    is the single 1/n-corrected centre raw - shift.
    """
    a_lo, a_hi = exponents
    if not 0.0 < a_lo <= a_hi:
        raise ValueError(f"bias exponents must satisfy 0 < low <= high, got {exponents}")
    ends = [raw - shift / (2.0 ** a - 1.0) if np.isfinite(a) else raw for a in (a_lo, a_hi)]
    return min(ends), max(ends)


def _bounded(raw: float, ci: tuple[float, float] | None, is_mi: bool, h_z: float,
             diagnostics: dict[str, Any]) -> tuple[float, tuple[float, float] | None]:
    """The headline value and interval, kept where the quantity can be, and containing each other.

    Every measure here is >= 0; an MI also satisfies I(S'; Z) <= H(Z) (Z is discrete), so the value and
    the interval are clipped to [0, H(Z)] with H(Z) the plug-in entropy of the group shares. Clipping is
    recorded in ``diagnostics`` ("clipped": what was clipped and to what; "entropy_z": H(Z)). A
    resampling interval that excludes its own estimate (a large half-sampling bias correction) is
    widened to reach the estimate, and ``diagnostics["ci_widened_to_estimate"]`` says so: an interval
    shown next to a number always contains it.
    """
    hi_bound = h_z if is_mi else np.inf
    clipped = []
    value = min(max(raw, 0.0), hi_bound)
    if raw < 0.0:
        clipped.append(f"estimate {raw:.4g} raised to 0")
    elif raw > hi_bound:
        clipped.append(f"estimate {raw:.4g} lowered to H(Z) = {hi_bound:.4g}")
    if is_mi:
        diagnostics["entropy_z"] = h_z
    if ci is None:
        if clipped:
            diagnostics["clipped"] = clipped
        return value, None
    lo, hi = ci
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"the resampling interval is not finite ({lo}, {hi}); use more rows or another "
                         "method")
    if not lo <= raw <= hi:
        diagnostics["ci_widened_to_estimate"] = (lo, hi)
        lo, hi = min(lo, raw), max(hi, raw)
    c_lo, c_hi = min(max(lo, 0.0), hi_bound), min(max(hi, 0.0), hi_bound)
    if (c_lo, c_hi) != (lo, hi):
        clipped.append(f"interval ({lo:.4g}, {hi:.4g}) clipped to [{c_lo:.4g}, {c_hi:.4g}]")
    if clipped:
        diagnostics["clipped"] = clipped
    return value, (c_lo, c_hi)


def _aligned_groups(S: np.typing.ArrayLike, z: np.typing.ArrayLike) -> tuple[np.ndarray, ...]:
    """Step 1 of :func:`estimate`: S as 2-D floats, z as codes; aligned, >= 2 groups of >= 2 rows each."""
    S_arr = as_2d_float(S, "S")
    codes, labels = encode_groups(z)
    if codes.size != S_arr.shape[0]:
        raise ValueError(
            f"S has {S_arr.shape[0]} rows but z has {codes.size}; they must be aligned row by row"
        )
    n_groups = labels.size
    if n_groups < 2:
        raise ValueError(
            f"z has a single group ({labels[0]!r}); leakage about a constant is 0 by definition, "
            "pass at least two groups"
        )
    counts = np.bincount(codes, minlength=n_groups)
    if counts.min() < 2:
        raise ValueError(
            f"group {labels[int(np.argmin(counts))]!r} has {counts.min()} row(s); "
            "every group needs at least 2 (drop or merge rare groups)"
        )
    return S_arr, codes, labels


def _interval(spec: MethodSpec, core: _Core, data: tuple, rng: np.random.Generator, how: tuple,
              refit_options: dict, diagnostics: dict) -> tuple[float, float]:
    """Step 3 of :func:`estimate`: the normal interval from ``n_boot`` row resamples or half-sample refits.

    ``data`` is (S, codes, n_groups) and ``how`` is (n_boot, ci_level, interval).
    """
    n_boot, ci_level, interval = how
    codes, n_groups = data[1], data[2]
    use_rows = core.boot_stat is not None and (
        interval == "rows" or (interval == "auto" and spec.bootstrap == "rows"))
    if interval == "rows" and core.boot_stat is None:
        raise ValueError(
            f"method {spec.name!r} keeps no per-row quantities; use interval='half-sampling'"
        )
    if use_rows:
        reps, lo_c, hi_c = _row_resamples(core, codes, n_groups, rng, n_boot, diagnostics)
    else:
        reps, lo_c, hi_c = _half_samples(spec, core, data, rng, n_boot, refit_options, diagnostics)
    # normal interval from the resampling SD: with tens of resamples an SD is far more stable
    # than the 5% / 95% quantiles a percentile interval needs
    sd = float(np.std(reps, ddof=1)) if n_boot > 1 else 0.0
    zq = float(NormalDist().inv_cdf(1.0 - (1.0 - ci_level) / 2.0))
    lo, hi = lo_c - zq * sd, hi_c + zq * sd
    diagnostics["bootstrap_sd"] = sd
    return (float(lo), float(hi))


def _row_resamples(core: _Core, codes: np.ndarray, n_groups: int, rng: np.random.Generator, n_boot: int,
                   diagnostics: dict) -> tuple[np.ndarray, float, float]:
    """Interval step, "rows": resample the fit's stored per-row quantities; (replicates, centres)."""
    reps = np.empty(int(n_boot))
    bc = core.boot_codes if core.boot_codes is not None else codes
    for b in range(int(n_boot)):
        reps[b] = core.boot_stat(bootstrap_resample(bc, rng, n_groups=n_groups))
    diagnostics["bootstrap"] = "rows"
    return reps, float(core.raw), float(core.raw)


def _half_samples(spec: MethodSpec, core: _Core, data: tuple, rng: np.random.Generator, n_boot: int,
                  refit_options: dict, diagnostics: dict) -> tuple[np.ndarray, float, float]:
    """Interval step, "half-sampling": refit on random halves; (deltas est_half - est, bias-aware centres)."""
    S_arr, codes, n_groups = data
    reps = np.empty(int(n_boot))
    # half-sampling: refit on random halves (no duplicated rows, which distort plug-in
    # estimators); Var(est_{n/2} - est_n) ~ Var(est_n) for root-n estimators, and the mean
    # shift of the halves estimates a 1/n bias, which the interval's centre removes
    for b in range(int(n_boot)):
        idx = half_sample(codes, rng, n_groups=n_groups)
        reps[b] = spec.fn(S_arr[idx], codes[idx], n_groups, rng=rng, **refit_options).raw
    reps = reps - core.raw  # deltas est_half - est
    shift = float(reps.mean())
    diagnostics["half_sampling_bias"] = shift
    lo_c, hi_c = _bias_aware_centres(float(core.raw), shift, core.bias_exponents)
    if core.bias_exponents != (1.0, 1.0):
        # None stands for alpha = inf (no bias admitted) and keeps the diagnostics JSON-safe;
        # bias_range is the bias at n implied by the slowest and the fastest admitted rate
        diagnostics["bias_exponents"] = tuple(float(a) if np.isfinite(a) else None
                                              for a in core.bias_exponents)
        diagnostics["bias_range"] = (float(core.raw - hi_c), float(core.raw - lo_c))
    diagnostics["bootstrap"] = "half-sampling refit"
    return reps, lo_c, hi_c


def estimate(
    S: np.typing.ArrayLike,
    z: np.typing.ArrayLike,
    *,
    method: str,
    n_boot: int = 0,
    ci_level: float = 0.9,
    random_state: RandomState = None,
    interval: str = "auto",
    n_threads: int | None = 1,
    **options: Any,
) -> LeakageEstimate:
    """Estimate how much a learning outcome S' reveals about a discrete Z.

    Parameters
    ----------
    S : (n, d) or (n,) array. Continuous outcomes, or class probabilities for methods whose input is
        "probabilities" (a single column is read as P(class 1)).
    z : (n,) group labels of any dtype (at least two groups).
    method : a name from :func:`methods`; :func:`method_spec` says what it measures.
    n_boot : number of resamples for an interval (0: no interval). The interval is normal,
        centre +- z * SD of the resamples (stable with tens of resamples, unlike 5% / 95% quantiles).
        Methods whose spec says ``bootstrap="rows"`` resample stored per-row quantities of the fitted
        estimator with an ordinary bootstrap (group shares vary as between samples; centre = the
        estimate; the randomness of the fit itself, e.g. folds or critic initialisation, is not in the
        interval). ``"refit"`` methods are re-run on random halves of the rows (half-sampling: no
        duplicated rows, which would distort plug-in estimators; Var(est_half - est) ~ Var(est) for
        root-n estimators, and the centre est - mean(est_half - est) removes a 1/n bias). Such an
        interval may exclude the headline value when the estimator's finite-sample bias is large; that
        is a warning sign, and ``diagnostics["half_sampling_bias"]`` gives the estimated bias. An
        estimator whose bias may decay slower than 1/n (``knn`` in more than 2 dimensions) gets a
        bias-aware interval instead: the union of the normal intervals around every centre
        est - mean(est_half - est) / (2^alpha - 1) for the rates n^(-alpha) it admits, reported in
        ``diagnostics["bias_exponents"]`` with the implied ``diagnostics["bias_range"]``.
    ci_level : coverage of the interval, in (0, 1).
    random_state : seed or Generator; the same seed gives the same estimate and interval.
    interval : "auto" (the method's ``bootstrap`` default), "rows" (resample stored per-row
        quantities; fast, only for methods that keep them) or "half-sampling" (refit on halves).
    n_threads : BLAS / OpenMP threads while estimating (restored afterwards; None leaves them alone).
        One is fastest for these sizes and avoids spin-waiting on a shared CPU.
    **options : passed to the estimator (see its docstring, e.g. ``k`` for "knn").

    Returns
    -------
    LeakageEstimate
        ``value`` is ``raw`` clipped to [0, H(Z)] for an MI (every measure here is non-negative in the
        population, and I(S'; Z) <= H(Z); values outside are bias or noise, kept in ``raw``), to
        [0, inf) otherwise; ``ci`` is clipped the same way and always contains ``value`` (see
        :func:`_bounded`; ``diagnostics["clipped"]`` and ``["ci_widened_to_estimate"]`` record either
        step). ``n_boot=1`` is refused (one resample has no spread); a non-finite estimate raises a
        ``ValueError`` that says why instead of returning NaN.
    """
    if not isinstance(method, str):
        raise TypeError(f"method must be a string (one of {', '.join(methods())}), got "
                        f"{type(method).__name__}")
    spec = method_spec(method)
    n_boot = check_n_boot(n_boot)
    ci_level = check_scalar(ci_level, "ci_level", float, min_val=0.0, max_val=1.0,
                            include_boundaries="neither")
    check_seed(random_state)
    if n_threads is not None:
        n_threads = check_scalar(n_threads, "n_threads", int, min_val=1)
    S_arr, codes, labels = _aligned_groups(S, z)
    n_groups = labels.size
    if spec.input == "probabilities":
        S_arr = _as_probabilities(S_arr, method)
    if interval not in ("auto", "rows", "half-sampling"):
        raise ValueError(f"interval must be 'auto', 'rows' or 'half-sampling', got {interval!r}")
    rng = check_random_state(random_state)

    with timer() as t, threadpool_limits(limits=n_threads):
        core = spec.fn(S_arr, codes, n_groups, rng=rng, **options)
        ci = None
        diagnostics = dict(core.diagnostics)
        # options an estimator resolved from the data (e.g. "auto" choices) are fixed for the refits
        refit_options = {**options, **diagnostics.pop("_refit_options", {})}
        if n_boot > 0:
            ci = _interval(spec, core, (S_arr, codes, n_groups), rng, (n_boot, ci_level, interval),
                           refit_options, diagnostics)
    raw = float(core.raw)
    if not np.isfinite(raw):
        raise ValueError(
            f"method {method!r} returned {raw} on these {codes.size} rows (a degenerate fit: e.g. a constant "
            f"or duplicated S, or groups too small for it); try another method or more rows"
            + (f" [{diagnostics['message']}]" if "message" in diagnostics else ""))
    value, ci = _bounded(raw, ci, spec.is_mi, entropy_from_codes(codes, n_groups), diagnostics)
    diagnostics.setdefault("n_groups", int(n_groups))
    diagnostics.setdefault("group_labels", [str(v) for v in labels])
    return LeakageEstimate(
        value=value,
        method=method,
        n=int(codes.size),
        seconds=float(t[0]),
        ci=ci,
        ci_level=float(ci_level),
        is_mi=spec.is_mi,
        raw=raw,
        bias=spec.bias,
        diagnostics=diagnostics,
    )
