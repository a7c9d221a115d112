"""Shipped precomputed results (``assets/precomputed/``): the slow defaults, ready on a first visit.

Each sub-folder of ``assets/precomputed/`` is a results folder written by the batch command from the
study file next to it::

    python -m unlearn_core run assets/precomputed/<name>.toml --out assets/precomputed/<name>

then ``<name>/tasks/`` (per-task files, kept only for resuming) is deleted; the format is
``unlearn_core.results``'s (``manifest.json`` + Parquet tables). A page asks for the result of *its
current view*; it gets one only when

- a shipped study computed exactly that view (dataset, Z, seed, method, grid, ... compared field by
  field with the page's knobs), and
- the data the page has loaded hashes to the manifest's ``data.sha256`` (a changed data file is not
  silently shown with old numbers).

Otherwise the page computes live, as before. The Audit page's certificate is not a table: a
``certificate`` study keeps it whole in ``manifest["meta"]["certificate"]`` (:func:`certificate`).
Other objects that are not tables (the barycenter's fitted maps, the trained models) are not shipped:
the Feature-unlearning page fits its maps in the background after first paint (``ui.background``), and
the trained page trains its models when asked. What a page shows from here is labelled with
:func:`label` ("precomputed on <date> with <versions>"). ``tests/test_precomputed.py`` recomputes the
shipped tables and the certificate with the engine and checks they still match.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

PRECOMPUTED_DIR = Path(__file__).resolve().parents[1] / "assets" / "precomputed"
_log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Loaded:
    """One results folder read into memory: its manifest and its tables."""

    name: str
    manifest: Mapping[str, Any]
    tables: Mapping[str, pd.DataFrame]

    @property
    def kind(self) -> str:
        return str(self.manifest.get("kind", ""))

    @property
    def study(self) -> Mapping[str, Any]:
        return self.manifest.get("study", {}) or {}


def label(res: Loaded) -> str:
    """'precomputed on <date> with <versions>': what a page writes beside anything it shows from ``res``."""
    created = str(res.manifest.get("created", ""))[:10] or "an unknown date"
    v = res.manifest.get("versions", {}) or {}
    order = ("unlearn_core", "numpy", "scikit-learn", "pot", "torch", "pandas", "python")
    parts = [f"{k} {v[k]}" for k in order if k in v] + [f"{k} {v[k]}" for k in v if k not in order]
    return f"precomputed on {created} with {', '.join(parts) or 'unrecorded versions'}"


def _read(path: Path) -> Loaded:
    from unlearn_core.results import read_results

    res = read_results(path)
    return Loaded(path.name, res.manifest, res.tables)


@st.cache_resource(show_spinner=False)
def shipped() -> dict[str, Loaded]:
    """Every complete, valid results folder under ``assets/precomputed/`` (read once per server)."""
    out: dict[str, Loaded] = {}
    if not PRECOMPUTED_DIR.is_dir():
        return out
    for sub in sorted(p for p in PRECOMPUTED_DIR.iterdir() if (p / "manifest.json").is_file()):
        try:
            res = _read(sub)
        except Exception as exc:  # a broken shipped folder must not break a page: it is computed live
            _log.warning("ignoring shipped results %s: %s", sub, exc)
            continue
        if res.manifest.get("complete"):
            out[sub.name] = res
    return out


@st.cache_data(max_entries=16, show_spinner=False)
def _data_sha256(key) -> str:
    from unlearn_core.results import data_sha256

    from .cache import load_data

    return data_sha256(load_data(key))


def _same(a: Any, b: Any) -> bool:
    """Equal as study values: numbers to 1e-12, sequences element-wise, the rest by ==."""
    if isinstance(a, (list, tuple, np.ndarray)) or isinstance(b, (list, tuple, np.ndarray)):
        try:
            a, b = list(a), list(b)
        except TypeError:
            return False
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= 1e-12 * max(1.0, abs(float(a)))
    return a == b


def _get(study: Mapping[str, Any], dotted: str) -> Any:
    cur: Any = study
    for part in dotted.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return _MISSING
        cur = cur[part]
    return cur


_MISSING = object()


def find(kind: str, key, want: Mapping[str, Any]) -> Loaded | None:
    """The shipped ``kind`` result whose study has every ``want`` field (dotted path) equal on ``key``'s data.

    Only built-in datasets have shipped results (never an upload). The data hash is checked last (it
    loads the data, which the page has loaded anyway).
    """
    from .state import UPLOAD

    if key.name == UPLOAD:
        return None
    for res in shipped().values():
        if res.kind != kind:
            continue
        if all(_same(_get(res.study, k), v) for k, v in want.items()):
            sha = (res.manifest.get("data") or {}).get("sha256")
            try:
                if sha and sha == _data_sha256(key):
                    return res
            except Exception as exc:  # noqa: BLE001  (no hash, no shipped result: the page computes live)
                _log.warning("cannot hash %s: %s", key, exc)
    return None


def frontier_from(res: Loaded, attacker: str = "hgb"):
    """The :class:`~unlearn_core.frontier.Frontier` a page draws from a shipped frontier result."""
    from .results_view import frontier

    fr = frontier(res.manifest, res.tables, attacker=attacker)
    if fr is None:
        raise ValueError(f"{res.name}: no frontier table to draw")
    fr.meta["precomputed"] = label(res)
    return fr


def manifest_text(res: Loaded) -> str:
    """The manifest as indented JSON (for an expander)."""
    return json.dumps(res.manifest, indent=2, default=str)


# -- the views pages ask for ------------------------------------------------------------------------
def analytic_frontier(key, method: str, seed: int, estimator: str):
    """The shipped analytic frontier of this view (``ui.cached_frontier``'s arguments), or None.

    Shipped only for the frontier's default leakage axis (the gradient-boosting attacker) over
    ``ui.cache.FRONTIER_TS`` with a logistic downstream model, as ``ui.cached_frontier`` computes it.
    """
    from .cache import FRONTIER_TS
    from .state import DEFAULT_ESTIMATOR

    if estimator != DEFAULT_ESTIMATOR:
        return None
    res = find("analytic_frontier", key, {
        "dataset.name": key.name, "dataset.sensitive": key.sensitive, "dataset.n_samples": None,
        "method.barycenter": method, "seeds.random_state": int(seed), "grid.ts": list(FRONTIER_TS),
        "evaluation.downstream": "logistic", "evaluation.leakage_estimator": None,
        "options.keep_z": False, "options.test_size": 0.3})
    if res is None or "hgb" not in (res.study.get("evaluation") or {}).get("attackers", []):
        return None
    return frontier_from(res, "hgb")


def warm_fit(key, method: str, seed: int) -> None:
    """The barycenter page's maps and its default 2-D view, filled into their caches (background)."""
    from .cache import cached_display, cached_fit, cached_move_stats

    cached_fit(key, method, seed)
    cached_move_stats(key, method, seed)
    cached_display(key, method, seed, None, 1000)


def fit_key(key, method: str, seed: int, estimator: str) -> tuple | None:
    """None when the view has no shipped frontier (the page fits at once, as it always did); else the
    :mod:`ui.background` key of the job that fits its maps after first paint (:func:`warm_fit`)."""
    if analytic_frontier(key, method, seed, estimator) is None:
        return None
    return ("fit", key, method, int(seed))


#: The trained page's pickers, without importing torch on a first visit: the names of
#: ``unlearn_core.leakage.differentiable.PENALTIES`` and ``unlearn_core.models.MODELS`` (importing them
#: loads torch, about 1.5 s; tests/test_precomputed.py checks these equal the registries).
PENALTY_NAMES: tuple[str, ...] = ("softmax-averaging", "hsic", "dv", "sinkhorn")
MODEL_NAMES: tuple[str, ...] = ("logistic", "mlp")
#: The Feature-unlearning page's leakage-axis menu without importing the estimators (scikit-learn, about
#: 1 s): ``unlearn_core.leakage.methods()`` whose input is not probabilities, with their titles (a test
#: checks this equals the registry).
FRONTIER_ESTIMATORS: dict[str, str] = {
    "gaussian": "Gaussian class-conditionals (parametric)",
    "knn": "k-nearest neighbours (Ross 2014)",
    "probe": "Classifier probe (variational bound)",
    "dv": "Donsker-Varadhan / MINE (neural)",
    "infonce": "InfoNCE (neural)",
    "js": "Jensen-Shannon between groups (not MI)",
    "tv": "Total variation between groups (not MI)",
    "hsic": "HSIC (kernel dependence)",
    "mmd": "MMD between group conditionals (not MI)",
    "w2": "W2 between group conditionals (not MI)",
}


def trained_sweep(data_key, estimator: str, model: str, hidden: tuple[int, ...], lambdas: tuple[float, ...],
                  epochs: int, warm_start: bool, seed: int):
    """The shipped λ sweep of exactly these settings (the trained page's ``SweepKey``), or None.

    The options the page does not set must be ``trained_frontier``'s defaults, as in a live sweep. Its
    Frontier has no trained models (``meta["results"]`` is absent): the per-λ curves and outputs need
    the models, which the page trains on request.
    """
    import inspect

    from unlearn_core.frontier.trained import trained_frontier

    d = {k: v.default for k, v in inspect.signature(trained_frontier).parameters.items()}
    res = find("trained_frontier", data_key, {
        "dataset.name": data_key.name, "dataset.sensitive": data_key.sensitive, "dataset.n_samples": None,
        "method.estimator": estimator, "method.model": model,
        "grid.lambdas": sorted(float(v) for v in lambdas), "seeds.random_state": int(seed),
        "options.hidden": list(hidden) if model == "mlp" else list(d["hidden"]),
        "options.epochs": int(epochs), "options.warm_start": bool(warm_start),
        "options.warm_epochs": d["warm_epochs"], "options.batch_size": d["batch_size"], "options.lr": d["lr"],
        "options.test_size": d["test_size"], "evaluation.eval_estimators": list(d["eval_estimators"])})
    return None if res is None else frontier_from(res)


#: ``unlearn_core.audit.certificate``'s defaults for the arguments the Audit page does not set (a test
#: checks they equal the signature's): a shipped study must have them too.
CERTIFICATE_DEFAULTS: dict[str, Any] = {
    "estimates": ("knn", "probe", "gaussian"), "ci_level": 0.9, "max_rows": 4000, "test_size": 0.3}


class ShippedCertificate(NamedTuple):
    """A shipped certificate: its JSON (``audit.Certificate(**json.loads(text))`` rebuilds it) and
    :func:`label`'s sentence."""

    text: str
    label: str


def certificate(key, method: str, seed: int, t: float, n_boot: int) -> ShippedCertificate | None:
    """The shipped certificate of exactly this Audit view, or None (the page then computes it live).

    The view is ``pages/audit.py``'s call: ``audit.certificate(data, method=method, t=t,
    random_state=seed, n_boot=n_boot)`` with every other argument at its default (the estimates, the
    interval level, the measured rows, the test split), which the shipped study must equal too.
    """
    d = CERTIFICATE_DEFAULTS
    res = find("certificate", key, {
        "dataset.name": key.name, "dataset.sensitive": key.sensitive, "dataset.n_samples": None,
        "method.barycenter": method, "method.t": float(t), "seeds.random_state": int(seed),
        "evaluation.n_boot": int(n_boot), "evaluation.estimates": list(d["estimates"]),
        "evaluation.ci_level": d["ci_level"], "evaluation.max_rows": d["max_rows"],
        "options.test_size": d["test_size"]})
    cert = None if res is None else (res.manifest.get("meta") or {}).get("certificate")
    if not isinstance(cert, Mapping):
        return None
    return ShippedCertificate(json.dumps(cert, indent=2, allow_nan=False), label(res))
