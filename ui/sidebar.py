"""The shared sidebar: dataset (built-ins or an uploaded CSV), sensitive attribute Z, seed, lesson mode."""

from __future__ import annotations

import hashlib
import re
import uuid

import streamlit as st

from unlearn_core import SEED_MAX, datasets
from unlearn_core.datasets import usercsv

from .boundary import callback
from .cache import UPLOAD_DATASET_KEY, data_key, from_upload
from .errors import md_text, show_error
from .nav import registered_pages, start_page
from .state import UPLOAD, UploadedCSV, bound_key, commit, reset_data_knobs, reset_view, state
from .upload_guess import guess_roles
from .usable import NEEDS, left_out, usable_names

UPLOAD_LABEL = "Upload CSV…"
MAX_UPLOAD_MB = 50


def _dataset_label(name: str) -> str:
    if name == UPLOAD:
        return UPLOAD_LABEL
    spec = datasets.registry().get(name)
    if spec is None:
        return name
    return spec.title if spec.shipped else f"{spec.title} (download)"


def _label(filename: str) -> str:
    """The uploaded file's name as the dataset's label: Markdown / HTML characters become "-".

    Pages show a dataset's name inside Markdown (``**{ds.name}**``); a name such as
    ``**[x](javascript:…)**.csv`` must not turn into formatting or a link there.
    """
    return re.sub(r"[\\`*\[\]<>~$|#]", "-", filename).strip() or "uploaded file"


def _session_token() -> str:
    """A random token of this browser session (keys its upload's caches; never shown or shared)."""
    return st.session_state.setdefault("_session_token", uuid.uuid4().hex)


def _upload_flow() -> None:
    s = state()
    file = st.file_uploader(
        "CSV file (header row; numeric or categorical columns)", type=["csv", "txt", "tsv"],
        key="upload_file",
        help=f"Up to {MAX_UPLOAD_MB} MB and {usercsv.MAX_DESIGN_CELLS:,} cells after one-hot encoding. "
        "Categorical columns are one-hot encoded; rows with missing values dropped.",
    )
    if file is None:
        if s.upload is not None:
            st.caption(f"Using **{md_text(s.upload.filename)}** (Z = {md_text(s.upload.sensitive)}).")
        return
    data = file.getvalue()
    try:
        columns = datasets.csv_columns(data, name=file.name)
    except Exception as exc:  # noqa: BLE001 - any parse error is the user's file, shown as a message
        show_error(f"Reading {file.name}", exc)
        return
    sha = hashlib.sha256(data).hexdigest()
    guess_target, guess_z = guess_roles(data, columns)  # from names and values; never the same column
    with st.form("upload_columns", border=False):
        target = st.selectbox("Target column (y)", ["(none)"] + columns,
                              index=0 if guess_target is None else 1 + columns.index(guess_target),
                              key="upload_target", help="Guessed from the column names and values.")
        sensitive = st.selectbox("Sensitive column (Z, to forget)", columns, index=columns.index(guess_z),
                                 key="upload_sensitive", help="Guessed from the column names and values: "
                                 "a column named like sex, race or age, binary or with few values.")
        features = st.multiselect("Feature columns (empty = all others)", columns, key="upload_features")
        go = st.form_submit_button("Use this file", type="primary")
    if not go:
        return
    target = None if target == "(none)" else target
    label = _label(file.name)
    upload = UploadedCSV(label, sha, data, target, sensitive, tuple(features) or None, _session_token())
    key = data_key(UPLOAD, upload=upload)
    try:
        ds = from_upload(data, label, target, sensitive, tuple(features) or None)
    except Exception as exc:  # noqa: BLE001 - DatasetError carries the fix; anything else is shown too
        show_error(f"Loading {file.name}", exc)
        return
    s.upload = upload
    s.sensitive = sensitive
    st.session_state[UPLOAD_DATASET_KEY] = (key, ds)  # this session's only copy (ui.cache.load_data)
    st.success(f"Loaded {md_text(file.name)}: {ds.n_samples} rows, {ds.n_features} features, "
               f"Z = {md_text(ds.sensitive)} with {len(ds.groups)} groups.")
    if ds.notes:
        st.caption(md_text("; ".join(ds.notes)))


def render_sidebar() -> None:
    """Draw the shared controls; they write into the session's AppState."""
    s = state()
    names = datasets.names()
    if s.dataset not in names + [UPLOAD]:
        s.dataset = names[0]
    # this page's datasets only (ui.usable); the one in use stays listed so the page can say why not
    usable = usable_names(s.page)
    options = [n for n in names if n in usable or n == s.dataset] + [UPLOAD]
    with st.sidebar:
        st.selectbox("Dataset", options, format_func=_dataset_label, key=bound_key("dataset"),
                     on_change=_dataset_changed, help="Built-in datasets, or your own CSV file.")
        if absent := left_out(s.page, shown=s.dataset):
            need = NEEDS[s.page].words
            st.caption(f"Not listed on this page (it needs {need}): {', '.join(absent)}.")
        if s.dataset == UPLOAD:
            _upload_flow()
        else:
            spec = datasets.registry()[s.dataset]
            choices = list(spec.sensitive_choices)
            if s.sensitive and s.sensitive not in choices and choices:
                s.notices.append(f"{spec.title} has no sensitive attribute {s.sensitive!r}; "
                                 f"using {choices[0]!r}.")
                s.sensitive = ""
            if not s.sensitive and choices:
                s.sensitive = choices[0]
            if len(choices) > 1:
                st.selectbox("Sensitive attribute Z (to forget)", choices, key=bound_key("sensitive"),
                             on_change=commit, args=("sensitive",))
            elif choices:
                st.caption(f"Sensitive attribute Z: **{choices[0]}**")
            st.caption(spec.description)
        st.number_input("Seed", min_value=0, max_value=SEED_MAX, step=1, key=bound_key("seed"),
                        on_change=commit, args=("seed",), disabled=False,
                        help="Seeds the synthetic data, the train/test split and every stochastic fit.")
        st.toggle("Lesson mode", key=bound_key("lesson"), on_change=commit, args=("lesson",),
                  help="Hide advanced controls: for teaching and demos.")
        st.toggle("Presenter mode", key=bound_key("present"), on_change=commit, args=("present",),
                  help="For a projector: a guided story on every page (Back / Next), big type and charts, "
                  "fewer controls. The link (…?present=1&step=2) reopens the step.")
        st.button("Reset view", key="reset_view", on_click=reset_view, icon=":material/restart_alt:",
                  help="Every setting on every page back to its default, and the link's settings cleared "
                  "(an uploaded file stays loaded).")


@callback("Switching the dataset")
def _dataset_changed() -> None:
    commit("dataset")
    state().sensitive = ""  # the new dataset's default Z
    reset_data_knobs()  # columns, classes and rows of the old data mean nothing on the new one


def show_notices() -> None:
    """Show (once) the messages about URL values that could not be used."""
    s = state()
    requested = start_page()
    pages = [p.url_path for p in registered_pages()]
    if requested and pages and requested not in pages and not st.session_state.get("_page_notice_done"):
        st.session_state["_page_notice_done"] = True
        s.notices.append(f"There is no page {requested[:40]!r}; showing {s.page or 'home'!r} instead.")
    for msg in s.notices:
        st.warning(md_text(msg), icon=":material/link_off:")
    s.notices.clear()
