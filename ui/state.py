"""The one typed home of session state, its URL mirror, and widget binding.

``AppState`` holds every knob that defines a view. It is created once per session by
:func:`init_state` (from the URL query string when one is given, else defaults) and lives at
``st.session_state["app"]``. Widgets bind to its fields through :func:`bound_key` + :func:`commit`, so a
value survives page switches (Streamlit drops the state of widgets that are not drawn) and can be
set programmatically (a click on a frontier point sets ``state.t``). :func:`sync_url` writes the view
back to the query string on every run, so a copied link reopens the same view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import streamlit as st

from unlearn_core import datasets

STATE_KEY = "app"
UPLOAD = "upload"  # pseudo dataset name of the user's CSV
T_STEP = 0.05
T_GRID = tuple(float(v) for v in np.round(np.arange(0.0, 1.0 + 1e-9, T_STEP), 2))
DEFAULT_ESTIMATOR = "probe-auc"  # the frontier's built-in leakage axis (attacker AUC); other names: leakage.methods()


def snap_t(t: float) -> float:
    """Nearest point of the t grid (so repeated values hit the caches)."""
    t = min(max(float(t), 0.0), 1.0)
    return float(round(round(t / T_STEP) * T_STEP, 2))


def lam_of(t: float) -> float:
    """λ = t / (1 − t), the penalty weight whose optimum is t (inf at t = 1)."""
    return math.inf if t >= 1.0 else t / (1.0 - t)


@dataclass(frozen=True)
class UploadedCSV:
    """The user's file and the columns they picked (kept in session; the bytes never go to the URL)."""

    filename: str
    sha: str
    data: bytes = field(repr=False)
    target: str | None
    sensitive: str
    features: tuple[str, ...] | None


@dataclass
class AppState:
    """Every knob that defines a view; the URL mirrors all but ``upload`` and ``notices``."""

    dataset: str = "toy-gaussians"
    sensitive: str = ""  # "" = the dataset's default sensitive attribute
    seed: int = 0
    method: str = "gaussian"
    estimator: str = DEFAULT_ESTIMATOR
    t: float = 0.5
    lam: float = 1.0
    lesson: bool = False
    page: str = ""
    upload: UploadedCSV | None = None
    notices: list[str] = field(default_factory=list)

    def set_t(self, t: float) -> None:
        self.t = snap_t(t)
        self.lam = lam_of(self.t)


# URL key -> AppState field. Short, readable keys; values are plain strings.
URL_FIELDS = {
    "dataset": "dataset", "z": "sensitive", "seed": "seed", "method": "method", "estimator": "estimator",
    "t": "t", "lam": "lam", "lesson": "lesson", "page": "page",
}


def _parse_url(params: dict[str, Any], st_: AppState) -> None:
    """Apply query parameters to a fresh state, collecting a notice for every value ignored."""

    def get(k: str) -> str | None:
        v = params.get(k)
        if isinstance(v, list):
            v = v[-1] if v else None
        return None if v is None else str(v)

    known = datasets.names()
    if (v := get("dataset")) is not None:
        if v in known:
            st_.dataset = v
        else:
            st_.notices.append(f"Unknown dataset {v!r} in the link; showing {st_.dataset!r} instead.")
    if (v := get("z")) is not None:
        st_.sensitive = v  # validated against the dataset's choices by the sidebar
    if (v := get("seed")) is not None:
        try:
            st_.seed = max(0, int(v))
        except ValueError:
            st_.notices.append(f"Seed {v!r} in the link is not an integer; using {st_.seed}.")
    for k in ("method", "estimator", "page"):
        if (v := get(k)) is not None:
            setattr(st_, k, v)  # validated by the page that owns the knob
    t_raw, lam_raw = get("t"), get("lam")
    try:
        if t_raw is not None:
            st_.set_t(float(t_raw))
        elif lam_raw is not None:
            lam = float(lam_raw)
            st_.set_t(1.0 if math.isinf(lam) else lam / (1.0 + lam))
    except ValueError:
        st_.notices.append(f"t / λ in the link ({t_raw or lam_raw!r}) is not a number; using t = {st_.t}.")
    if (v := get("lesson")) is not None:
        st_.lesson = v.lower() in {"1", "true", "yes", "on"}


def init_state() -> AppState:
    """Create the session's AppState once (from the URL when it carries a view); return it."""
    if STATE_KEY not in st.session_state:
        new = AppState()
        new.set_t(new.t)
        _parse_url(st.query_params.to_dict(), new)
        st.session_state[STATE_KEY] = new
    return st.session_state[STATE_KEY]


def state() -> AppState:
    """The session's AppState (created on first use)."""
    return init_state()


def lesson_mode() -> bool:
    """True when advanced controls should be hidden."""
    return state().lesson


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return "inf" if math.isinf(v) else f"{v:g}"
    return str(v)


def url_params(st_: AppState) -> dict[str, str]:
    """The query string that reproduces ``st_`` (empty values left out)."""
    out = {}
    for k, f in URL_FIELDS.items():
        v = getattr(st_, f)
        if v in ("", None) or (k == "lesson" and not v):
            continue
        out[k] = _fmt(v)
    return out


def sync_url() -> None:
    """Mirror the view-defining fields to ``st.query_params`` (only keys whose value changed)."""
    want = url_params(state())
    qp = st.query_params
    for k in [k for k in qp.keys() if k in URL_FIELDS and k not in want]:
        del qp[k]
    for k, v in want.items():
        if qp.get(k) != v:
            qp[k] = v


def bound_key(name: str) -> str:
    """Widget key bound to ``AppState.<name>``: seeds the widget from the state before it is drawn.

    Use with ``on_change=ui.commit, args=(name,)`` so user changes flow back into the state.
    """
    if name not in {f.name for f in fields(AppState)}:
        raise ValueError(f"AppState has no field {name!r}")
    key = f"_w_{name}"
    st.session_state[key] = getattr(state(), name)
    return key


def commit(name: str) -> None:
    """Widget callback: copy the bound widget's value into ``AppState.<name>``."""
    value = st.session_state[f"_w_{name}"]
    if name == "t":
        state().set_t(value)
    else:
        setattr(state(), name, value)
