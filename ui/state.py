"""The one typed home of session state, its URL mirror, and widget binding.

``AppState`` holds every knob that defines a view. It is created once per session by
:func:`init_state` (from the URL query string when one is given, else defaults) and lives at
``st.session_state["app"]``. Widgets bind to its fields through :func:`bound_key` + :func:`commit`, so a
value survives page switches (Streamlit drops the state of widgets that are not drawn) and can be
set programmatically (a click on a frontier point sets ``state.t``). :func:`sync_url` writes the view
back to the query string on every run, so a copied link reopens the same view.

Two kinds of fields are mirrored. The frame's (dataset, Z, seed, method, estimator, t, λ, lesson, page)
are always in the URL. A page's own knobs (:data:`PAGE_KNOBS`: the trained frontier's penalty and λ
grid, the forget set, the leakage lab's case, the audit's resamples) are written only on their page
and only when they differ from the default, so links stay short; a link without them opens the
defaults, which is the same view. Every value read from a link is checked, and every value not used as
given gets a notice: a bad one is replaced by the default, t and λ outside their range are clamped and
between the slider's steps snapped, seeds follow numpy's rule (0 <= seed < 2**32) so the sidebar shows
the seed the engine uses. Types and ranges are checked here; membership in a page's menus (a
class of the data, a registered estimator) is checked by the page with :func:`choice`.

Presenter mode (``present``) and its story's ``step`` (:mod:`ui.presenter`) are frame fields too; the
URL carries them only while presenting.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, NamedTuple

import numpy as np
import streamlit as st

from unlearn_core import check_seed, datasets
from unlearn_core.transport import lam_of_t

from .boundary import callback

STATE_KEY = "app"
UPLOAD = "upload"  # pseudo dataset name of the user's CSV
T_STEP = 0.05
T_GRID = tuple(float(v) for v in np.round(np.arange(0.0, 1.0 + 1e-9, T_STEP), 2))
# the frontier's built-in leakage axis (attacker AUC); other names: leakage.methods()
DEFAULT_ESTIMATOR = "probe-auc"


def snap_t(t: float) -> float:
    """Nearest point of the t grid (so repeated values hit the caches)."""
    t = min(max(float(t), 0.0), 1.0)
    return float(round(round(t / T_STEP) * T_STEP, 2))


def lam_of(t: float) -> float:
    """λ = t / (1 − t), the penalty weight whose optimum is t (inf at t = 1): ``transport.lam_of_t``."""
    return lam_of_t(t)


@dataclass(frozen=True)
class UploadedCSV:
    """The user's file and the columns they picked (kept in session; the bytes never go to the URL)."""

    filename: str
    sha: str
    data: bytes = field(repr=False)
    target: str | None
    sensitive: str
    features: tuple[str, ...] | None
    session: str = ""  # a token of the owning session: derived caches are keyed by it, never shared


@dataclass
class AppState:
    """Every knob that defines a view; the URL mirrors all but ``upload`` and ``notices``."""

    dataset: str = "toy-gaussians"
    sensitive: str = ""  # "" = the dataset's default sensitive attribute
    seed: int = 0
    method: str = "ot-randomized"  # transport.DEFAULT_METHOD: groups equal in law at t = 1
    estimator: str = DEFAULT_ESTIMATOR
    t: float = 0.5
    lam: float = 1.0
    lesson: bool = False
    page: str = ""
    present: bool = False  # presenter mode (ui.presenter): a guided story, big type, fewer controls
    step: int = 1  # the presenter story's step on this page (1-based); in the URL only when presenting
    # -- page knobs (PAGE_KNOBS); "" / None / 0 where noted = the page's default for the data in use --
    # Feature unlearning's display options (pages/barycenter.py)
    bary_proj: str = "PCA"  # "PCA" | "two features" (data with more than two features)
    bary_x: int = 0  # column positions of the "two features" axes
    bary_y: int = 1
    bary_arrows: bool = False
    bary_cap: int = 1000
    bary_feature: str = ""  # "" = the first numeric feature
    # Trained frontier (pages/trained.py)
    train_penalty: str = ""  # "" = the first differentiable penalty
    train_model: str = ""  # "" = "mlp"
    train_lams: tuple[float, ...] = (0.0, 5.0, 20.0, 100.0)
    train_pick: float | None = None  # the λ whose model is shown; None = the largest of the sweep
    train_epochs: int = 5
    train_hidden: str = "64,32"
    train_warm: bool = True
    train_overlay: bool = True
    # Data unlearning (pages/forget.py)
    forget_kind: str = "class-fraction"
    forget_class: str = ""  # "" = class "3" if there is one, else the first class
    forget_fraction: float = 0.75
    forget_column: str = ""  # "" = the sensitive attribute
    forget_op: str = ""  # "" = "=="
    forget_value: str | None = None  # None = the column's default (Z's first value, else empty)
    forget_cohort_fraction: float = 1.0
    forget_n: int = 0  # 0 = min(50, rows / 4)
    forget_index: int = 0
    forget_lam: float = 1.5
    forget_epochs: int = 5
    forget_baselines: tuple[str, ...] = ("finetune",)
    forget_split: str = "test"
    # Leakage lab (pages/leakage.py)
    lab_case: str = "world"
    lab_world: str = ""  # "" = the first ground-truth world
    lab_K: int = 2
    lab_d: int = 2
    lab_target: float = 0.3
    lab_n: int = 2000
    lab_methods: tuple[str, ...] = ("gaussian", "knn", "probe")
    lab_boot: int = 50
    # Audit & export (pages/audit.py)
    audit_boot: int = 30
    audit_figure: str = ""  # "" = the first figure offered
    audit_offline: bool = True
    # Image unlearning (pages/images.py)
    img_attribute: str = ""  # "" = the first attribute
    img_method: str = ""  # "" = the first method
    upload: UploadedCSV | None = None
    notices: list[str] = field(default_factory=list)

    def set_t(self, t: float) -> None:
        self.t = snap_t(t)
        self.lam = lam_of(self.t)


def field_default(name: str) -> Any:
    """The default of ``AppState.<name>`` (what a link without the field's URL key opens)."""
    f = _FIELDS[name]
    return f.default_factory() if f.default is MISSING else f.default


_FIELDS = {f.name: f for f in fields(AppState)}

# -- parsers of page knobs: str -> value, raising ValueError with the reason ("must be ...") ---------


def _number(kind: type, lo: float | None = None, hi: float | None = None) -> Callable[[str], Any]:
    what = "an integer" if kind is int else "a number"
    rng = (f" between {lo:g} and {hi:g}" if hi is not None else f" ≥ {lo:g}") if lo is not None else ""

    def parse(text: str) -> Any:
        try:
            v = kind(text)
        except ValueError:
            raise ValueError(f"is not {what}") from None
        if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
            raise ValueError(f"must be {what}{rng}")
        return v

    return parse


def _name(text: str) -> str:
    if not text.strip():
        raise ValueError("is empty")
    return text


def _text(text: str) -> str:
    return text


def _bool(text: str) -> bool:
    v = text.strip().lower()
    if v not in _TRUE | _FALSE:
        raise ValueError("is not 1 / 0 (or true / false)")
    return v in _TRUE


def _list(item: Callable[[str], Any]) -> Callable[[str], tuple]:
    """Comma-separated values ("" = an empty selection); duplicates dropped, order kept."""

    def parse(text: str) -> tuple:
        try:
            items = [item(v.strip()) for v in text.split(",") if v.strip()]
        except ValueError as exc:
            raise ValueError(f"has an item that {exc}") from None
        return tuple(dict.fromkeys(items))

    return parse


class PageKnob(NamedTuple):
    """A page's view-defining knob: its URL key, AppState field, owner page, label and parser."""

    key: str
    field: str
    page: str  # url_path of the page that owns it (the URL carries it only there)
    label: str  # names the knob in notices
    parse: Callable[[str], Any]


_FRAC = _number(float, 0.05, 1.0)
#: The pages' own knobs, in the order they appear in a link. Keys are unique across pages.
PAGE_KNOBS: tuple[PageKnob, ...] = (
    PageKnob("proj", "bary_proj", "barycenter", "Axes", _name),
    PageKnob("xcol", "bary_x", "barycenter", "x feature", _number(int, 0)),
    PageKnob("ycol", "bary_y", "barycenter", "y feature", _number(int, 0)),
    PageKnob("arrows", "bary_arrows", "barycenter", "Arrows", _bool),
    PageKnob("cap", "bary_cap", "barycenter", "Display cap", _number(int, 100, 5000)),
    PageKnob("feat", "bary_feature", "barycenter", "Density of feature", _name),
    PageKnob("penalty", "train_penalty", "trained", "Training penalty", _name),
    PageKnob("model", "train_model", "trained", "Model", _name),
    PageKnob("grid", "train_lams", "trained", "λ grid", _list(_number(float, 0.0))),
    PageKnob("pick", "train_pick", "trained", "Selected λ", _number(float, 0.0)),
    PageKnob("epochs", "train_epochs", "trained", "Epochs", _number(int, 1, 100)),
    PageKnob("hidden", "train_hidden", "trained", "MLP hidden widths", _text),
    PageKnob("warm", "train_warm", "trained", "Warm starts", _bool),
    PageKnob("overlay", "train_overlay", "trained", "Analytic overlay", _bool),
    PageKnob("forget", "forget_kind", "forget", "Forget-set kind", _name),
    PageKnob("class", "forget_class", "forget", "Class", _name),
    PageKnob("frac", "forget_fraction", "forget", "Fraction of the class", _FRAC),
    PageKnob("col", "forget_column", "forget", "Cohort column", _name),
    PageKnob("op", "forget_op", "forget", "Cohort operator", _name),
    PageKnob("val", "forget_value", "forget", "Cohort value", _text),
    PageKnob("cfrac", "forget_cohort_fraction", "forget", "Fraction of the cohort", _FRAC),
    PageKnob("rows", "forget_n", "forget", "Rows to forget", _number(int, 1)),
    PageKnob("row", "forget_index", "forget", "Row index", _number(int, 0)),
    PageKnob("flam", "forget_lam", "forget", "λ", _number(float, 0.0)),
    PageKnob("fepochs", "forget_epochs", "forget", "Epochs", _number(int, 1, 20)),
    PageKnob("baselines", "forget_baselines", "forget", "Baselines", _list(_name)),
    PageKnob("split", "forget_split", "forget", "Per-class accuracy split", _name),
    PageKnob("case", "lab_case", "leakage", "Case", _name),
    PageKnob("world", "lab_world", "leakage", "World", _name),
    PageKnob("k", "lab_K", "leakage", "Groups K", _number(int, 2)),
    PageKnob("d", "lab_d", "leakage", "Dimension d", _number(int, 1)),
    PageKnob("mi", "lab_target", "leakage", "Target MI", _number(float, 0.0)),
    PageKnob("n", "lab_n", "leakage", "Sample size n", _number(int, 1)),
    PageKnob("est", "lab_methods", "leakage", "Estimators", _list(_name)),
    PageKnob("boot", "lab_boot", "leakage", "Bootstrap resamples", _number(int, 0)),
    PageKnob("aboot", "audit_boot", "audit", "Bootstrap resamples", _number(int, 0)),
    PageKnob("fig", "audit_figure", "audit", "Figure", _name),
    PageKnob("offline", "audit_offline", "audit", "Offline figure", _bool),
    PageKnob("attr", "img_attribute", "images", "Attribute", _name),
    PageKnob("imethod", "img_method", "images", "Transport", _name),
)

# URL key -> AppState field. Short, readable keys; values are plain strings.
URL_FIELDS = {
    "dataset": "dataset", "z": "sensitive", "seed": "seed", "method": "method", "estimator": "estimator",
    "t": "t", "lam": "lam", "lesson": "lesson", "page": "page", "present": "present", "step": "step",
} | {k.key: k.field for k in PAGE_KNOBS}


#: keys old links may carry; read by _parse_url, then dropped from the URL
LEGACY_URL_KEYS = ("fdata",)


def _parse_url(params: dict[str, Any], st_: AppState) -> None:
    """Apply query parameters to a fresh state, collecting a notice for every value ignored."""

    def get(k: str) -> str | None:
        v = params.get(k)
        if isinstance(v, list):
            v = v[-1] if v else None
        return None if v is None else str(v)

    known = datasets.names()
    if get("dataset") is None and get("fdata") in known:  # links from before the page followed the sidebar
        params = {**params, "dataset": get("fdata")}
    if (v := get("dataset")) is not None:
        if v in known:
            st_.dataset = v
        elif v == UPLOAD:
            st_.notices.append("The link points to an uploaded file, which stays in the session that "
                               f"uploaded it; showing {st_.dataset!r} instead (upload the file again "
                               "to see it here).")
        else:
            st_.notices.append(f"Unknown dataset {_short(v)} in the link; showing {st_.dataset!r} instead.")
    if (v := get("z")) is not None:
        st_.sensitive = v  # validated against the dataset's choices by the sidebar
    if (v := get("seed")) is not None:
        try:
            st_.seed = check_seed(int(v.strip()), "seed", allow_generator=False, allow_none=False)
        except (TypeError, ValueError):
            st_.notices.append(f"Seed {_short(v)} in the link is not an integer in [0, 2**32 - 1] "
                               f"(numpy's seed range); using {st_.seed}.")
    for k in ("method", "estimator", "page"):
        if (v := get(k)) is not None:
            setattr(st_, k, v)  # validated by the page that owns the knob
    _parse_t(get("t"), get("lam"), st_)
    if (v := get("lesson")) is not None:
        if v.strip().lower() in _TRUE | _FALSE:
            st_.lesson = v.strip().lower() in _TRUE
        else:
            st_.notices.append(f"Lesson mode {_short(v)} in the link is not 1 / 0 (or true / false); "
                               "lesson mode is off.")
    if (v := get("present")) is not None:
        if v.strip().lower() in _TRUE | _FALSE:
            st_.present = v.strip().lower() in _TRUE
        else:
            st_.notices.append(f"Presenter mode {_short(v)} in the link is not 1 / 0 (or true / false); "
                               "presenter mode is off.")
    if (v := get("step")) is not None:
        try:
            st_.step = int(v.strip())  # checked against the page's story by ui.presenter
        except ValueError:
            st_.notices.append(f"Step {_short(v)} in the link is not an integer; showing step 1.")
    for knob in PAGE_KNOBS:
        if (v := get(knob.key)) is None:
            continue
        try:
            setattr(st_, knob.field, knob.parse(v))
        except ValueError as exc:
            now = getattr(st_, knob.field)  # still the default: fields "" / None / 0 mean the page's own
            shown = "the page's default" if now in ("", None, 0) and not isinstance(now, float) else _fmt(now)
            st_.notices.append(f"{knob.label} {v!r} in the link {exc}; using {shown}.")
    if st_.train_pick is not None and not any(math.isclose(st_.train_pick, v) for v in st_.train_lams):
        st_.notices.append(f"Selected λ {_fmt(st_.train_pick)} in the link is not in the λ grid; "
                           "showing the largest λ of the sweep.")
        st_.train_pick = None


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _short(v: str, limit: int = 40) -> str:
    """A link value for a notice: quoted, and cut when long (a link can carry anything)."""
    return repr(v if len(v) <= limit else v[: limit - 1] + "…")


def _parse_t(t_raw: str | None, lam_raw: str | None, st_: AppState) -> None:
    """Apply ``t`` (or else ``λ``: t = λ / (1 + λ)) from a link; a value not used as given gets a notice.

    t must be a number in [0, 1] and λ a number >= 0 (``inf`` is t = 1); values outside are clamped to the
    nearest end, values between grid points are snapped to the slider's grid, and each is named.
    """
    if t_raw is None and lam_raw is None:
        return
    name, raw = ("t", t_raw) if t_raw is not None else ("λ", lam_raw)
    try:
        x = float(raw.strip())
    except ValueError:
        st_.notices.append(f"{name} {_short(raw)} in the link is not a number; using t = {st_.t:g}.")
        return
    if math.isnan(x):
        st_.notices.append(f"{name} {_short(raw)} in the link is not a number; using t = {st_.t:g}.")
        return
    if name == "t":
        t = min(max(x, 0.0), 1.0)
        if t != x:
            st_.notices.append(f"t = {_short(raw)} in the link is outside [0, 1]; using t = {t:g}.")
    else:
        if x < 0:
            st_.notices.append(f"λ = {_short(raw)} in the link is negative (λ ≥ 0); using λ = 0 "
                               "(t = 0).")
            x = 0.0
        t = 1.0 if math.isinf(x) else x / (1.0 + x)
    st_.set_t(t)
    if not math.isclose(st_.t, t, abs_tol=1e-9) and (name == "λ" or t == x):
        st_.notices.append(f"{name} = {_short(raw)} in the link is between the slider's steps; "
                           f"using t = {st_.t:g}"
                           + ("." if name == "t" else f" (λ = {_fmt(st_.lam)})."))
    if t_raw is not None and lam_raw is not None:
        try:
            lam = float(lam_raw)
        except ValueError:
            lam = math.nan
        if not math.isclose(lam_of(st_.t), lam, rel_tol=1e-6) and not (math.isinf(lam) and st_.t >= 1.0):
            st_.notices.append(f"The link gives both t and λ = {_short(lam_raw)}; t wins: t = {st_.t:g}, "
                               f"λ = {_fmt(st_.lam)}.")


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
    """True when advanced controls should be hidden (lesson mode, or presenter mode)."""
    return state().lesson or state().present


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return "inf" if math.isinf(v) else f"{v:g}"  # exact for every value the pages' pickers offer
    if isinstance(v, (tuple, list)):
        return ",".join(_fmt(x) for x in v)
    return str(v)


_KNOB_PAGE = {k.key: k.page for k in PAGE_KNOBS}


def url_params(st_: AppState) -> dict[str, str]:
    """The query string that reproduces ``st_``.

    Frame fields: all but empty values. Page knobs: only on their page, and only when they differ
    from the default (an empty selection is written as an empty value).
    """
    out = {}
    for k, f in URL_FIELDS.items():
        v = getattr(st_, f)
        if k in _KNOB_PAGE:
            if st_.page == _KNOB_PAGE[k] and v != field_default(f):
                out[k] = _fmt(v)
            continue
        if v in ("", None) or (k in ("lesson", "present") and not v) or (k == "step" and not st_.present):
            continue
        out[k] = _fmt(v)
    return out


def sync_url() -> None:
    """Mirror the view-defining fields to ``st.query_params`` (only keys whose value changed)."""
    want = url_params(state())
    qp = st.query_params
    for k in [k for k in qp.keys() if (k in URL_FIELDS or k in LEGACY_URL_KEYS) and k not in want]:
        del qp[k]
    for k, v in want.items():
        if qp.get(k) != v:
            qp[k] = v


_UNSET: Any = object()


def bound_key(name: str, key: str | None = None, *, value: Any = _UNSET) -> str:
    """Widget key bound to ``AppState.<name>``: seeds the widget from the state before it is drawn.

    Use with ``on_change=ui.commit, args=(name,)`` (``args=(name, key)`` with a key of your own) so user
    changes flow back into the state. Do not also pass the widget a default (``value=``, ``index=``,
    ``default=``): the state is the default.

    Parameters
    ----------
    name : the AppState field.
    key : the widget key; default ``"_w_<name>"``. Pages pass their own to keep existing keys.
    value : seed the widget with this instead of the field, e.g. the page's resolved default when the
        field holds "" (see :func:`choice`); the field itself is left alone.
    """
    if name not in _FIELDS:
        raise ValueError(f"AppState has no field {name!r}")
    key = key or f"_w_{name}"
    v = getattr(state(), name) if value is _UNSET else value
    want = list(v) if isinstance(v, tuple) else v  # multiselects want lists
    # Seed only when the widget has no value yet (first draw, or its state was dropped on a page switch)
    # or the state moved without it (a click on a frontier point). Writing the key on every run would
    # send the run's value back to the browser as a "set value": with fast key presses it overwrites
    # the presses that arrived during the run (issue 16: 6 of 8 runs lost t steps).
    if key not in st.session_state or not _same(st.session_state[key], want):
        st.session_state[key] = want
    return key


def _same(a: Any, b: Any) -> bool:
    """Widget value ``a`` equals state value ``b`` (floats within rounding of the snapped grid)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@callback("Applying that setting")
def commit(name: str, key: str | None = None) -> None:
    """Widget callback: copy the bound widget's value into ``AppState.<name>``."""
    value = st.session_state[key or f"_w_{name}"]
    if name == "t":
        state().set_t(value)
    elif isinstance(field_default(name), tuple):
        setattr(state(), name, tuple(value))
    else:
        setattr(state(), name, value)


#: fields that depend on the data in use: back to their defaults when the dataset changes
DATA_DEPENDENT = ("bary_x", "bary_y", "bary_feature", "forget_class", "forget_column", "forget_value",
                  "forget_n", "forget_index")
#: session keys of page messages that must not outlive the view they describe (cleared by a reset)
TRANSIENT_KEYS = ("_trained_msg", "_forget_msg")
_LAST_PAGE_KEY = "_last_page"


def leave_page_messages(page: str) -> None:
    """Drop the page messages of the page the user left ("Sweep cancelled." must not follow them)."""
    if st.session_state.get(_LAST_PAGE_KEY, page) != page:
        for k in TRANSIENT_KEYS:
            st.session_state.pop(k, None)
    st.session_state[_LAST_PAGE_KEY] = page


def reset_data_knobs() -> None:
    """Put the knobs that depend on the data (a column, a class, a row) back to their defaults."""
    s = state()
    for f in DATA_DEPENDENT:
        setattr(s, f, field_default(f))


@callback("Resetting the view")
def reset_view() -> None:
    """The Reset button: every knob back to its default (the page and an uploaded file stay).

    The URL follows on this run (:func:`sync_url` drops every page knob at its default). Widgets bound to
    the state are re-seeded by :func:`bound_key`; the page messages of the old view are dropped.
    """
    old = state()
    new = AppState(page=old.page, upload=old.upload)
    new.set_t(new.t)
    st.session_state[STATE_KEY] = new
    for k in TRANSIENT_KEYS:
        st.session_state.pop(k, None)


def _match(value: Any, options: Sequence) -> Any:
    """The option equal to ``value`` (numbers within rounding), or _UNSET."""
    if isinstance(options, range):  # a number input's range: no need to walk it
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()
        return int(value) if ok and int(value) in options else _UNSET
    for o in options:
        if isinstance(o, (int, float)) and isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isclose(float(o), float(value), rel_tol=1e-9, abs_tol=1e-12):
                return o
        elif o == value:
            return o
    return _UNSET


def choice(name: str, options: Sequence, fallback: Any, *, what: str,
           fmt: Callable[[Any], str] = repr) -> Any:
    """``AppState.<name>`` if the page offers it, else ``fallback``, with a notice if the field held a value.

    The field's unset default ("" / None, or the default itself) gives ``fallback`` silently. A value the
    page does not offer (from a link, or left over from other data) is reset to the default and named
    in a notice. For tuple fields every item is checked and the ones not offered are dropped (all of
    them dropped: the default selection; ``fallback`` is not used).
    """
    from .errors import notice

    s = state()
    v, unset = getattr(s, name), field_default(name)
    if isinstance(unset, tuple):
        kept = tuple(m for m in (_match(x, options) for x in v) if m is not _UNSET)
        if len(kept) < len(v):
            bad = ", ".join(fmt(x) for x in v if _match(x, options) is _UNSET)
            if not kept:  # nothing usable: the default selection rather than an empty one
                kept = tuple(m for m in (_match(x, options) for x in unset) if m is not _UNSET)
                notice(f"{what}: {bad} not available here; using the default selection.")
            else:
                notice(f"{what}: {bad} not available here; left out.")
            setattr(s, name, kept)
        return kept
    if v is None or (v == "" and isinstance(v, str)):
        return fallback
    m = _match(v, options)
    if m is not _UNSET:
        return m
    if v != unset:
        notice(f"{what} {fmt(v)} is not available here; using {fmt(fallback)}.")
    setattr(s, name, unset)
    return fallback


def bind(name: str, key: str | None = None, *, options: Sequence | None = None, fallback: Any = None,
         what: str = "", fmt: Callable[[Any], str] = repr) -> dict[str, Any]:
    """Widget keyword arguments (``key``, ``on_change``, ``args``) binding it to ``AppState.<name>``.

    With ``options`` the field is first checked by :func:`choice` (``fallback`` and ``what`` as there)
    and the widget is seeded with the result::

        st.selectbox("Model", models, **ui.bind("train_model", "trained_model", options=models,
                                                 fallback="mlp", what="Model"))
    """
    value = _UNSET if options is None else choice(name, options, fallback, what=what or name, fmt=fmt)
    return {"key": bound_key(name, key, value=value), "on_change": commit, "args": (name, key)}
