"""Datasets that are not shipped: say that the file is not on this machine, where to get it, and take it.

COMPAS, LSAC and MNIST may not ship with the project (``unlearn_core.datasets.remote``); the engine finds
their files in the download folder, else downloads them. Offline, the engine's message explains the
library's options (``path=``, ``data_dir=``), which a user of the app cannot act on. Before such a dataset
is loaded, :func:`ensure_files` checks the download folder. When a file is missing the page says so in
words, links where to get the file, and offers an upload button for it and a "Try the download" button;
an uploaded file is checked against the published checksum (``remote.verify``) and stored in the
download folder, where the loader finds it from then on.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import streamlit as st

from unlearn_core import datasets
from unlearn_core.datasets import remote
from unlearn_core.datasets.images import MNIST_FILES

from .boundary import callback
from .errors import md_text, show_error

#: dataset name -> the files its default options read (any one name of each entry will do)
FILES: dict[str, tuple[remote.RemoteFile, ...]] = {
    "compas": (remote.COMPAS_FILE,),
    "law": (remote.LAW_DOWNLOAD,),  # or the pinned one-hot law.csv (accepted on upload too)
    "mnist": tuple(MNIST_FILES["test"]),
}
#: other layouts a file may come in, accepted on upload: name -> alternatives checked first
ALTERNATIVES: dict[str, tuple[remote.RemoteFile, ...]] = {"law_data.csv": (remote.LAW_FILE,)}
_TRY_KEY = "_remote_try"


def _names(f: remote.RemoteFile) -> tuple[str, ...]:
    stem = f.filename[:-3] if f.filename.endswith(".gz") else f.filename
    return (f.filename, stem, stem + ".gz")


def present(f: remote.RemoteFile, folder: Path | None = None) -> bool:
    """True when a copy of ``f`` (or an accepted alternative layout) is in the download folder."""
    folder = folder or remote.cache_dir()
    files = (f, *ALTERNATIVES.get(f.filename, ()))
    return any((folder / n).is_file() for g in files for n in _names(g))


def missing(name: str) -> list[remote.RemoteFile]:
    """The files of dataset ``name`` that are not on this machine (empty for shipped datasets)."""
    return [f for f in FILES.get(name, ()) if not present(f)]


def store_upload(f: remote.RemoteFile, data: bytes) -> Path:
    """Check ``data`` against ``f`` (or an accepted alternative) and keep it in the download folder.

    Raises ``DatasetError`` (a ``ValueError``) naming the file when the checksum does not match.
    """
    folder = remote.cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    tmp_path = Path(tmp)
    try:
        errors = []
        for g in (*ALTERNATIVES.get(f.filename, ()), f):
            if not g.pinned and g is not f:
                continue
            try:
                remote.verify(g, tmp_path)
            except datasets.DatasetError as exc:
                errors.append(str(exc))
                continue
            gz = data[:2] == b"\x1f\x8b"
            stem = g.filename[:-3] if g.filename.endswith(".gz") else g.filename
            target = folder / (stem + ".gz" if gz else stem)
            os.replace(tmp_path, target)
            record = tmp_path.with_name(tmp_path.name + ".sha256")
            if record.is_file():
                os.replace(record, target.with_name(target.name + ".sha256"))
            return target
        raise datasets.DatasetError(
            f"the uploaded file is not {f.description or f.filename}: its checksum does not match the "
            "published one. Download it again from the address above.")
    finally:
        tmp_path.unlink(missing_ok=True)
        tmp_path.with_name(tmp_path.name + ".sha256").unlink(missing_ok=True)


@callback("Downloading the file")
def _try_download(name: str) -> None:
    st.session_state[_TRY_KEY] = name


def ensure_files(name: str) -> bool:
    """True when dataset ``name`` can be loaded; else draw the "get the file" panel and return False."""
    files = missing(name)
    if not files:
        return True
    spec = datasets.registry().get(name)
    title = spec.title if spec is not None else name
    if st.session_state.pop(_TRY_KEY, None) == name:
        with st.spinner(f"Downloading {title}…"):
            try:
                for f in files:
                    remote.fetch(f)
            except datasets.DatasetError:
                st.warning(f"The download of {title} did not work: this machine seems to be offline (or "
                           "the address moved). Get the file on a machine that is online and upload it "
                           "below.", icon=":material/cloud_off:")
            else:
                st.rerun()
    folder = remote.cache_dir()
    st.info(f"**{md_text(title)}** is not shipped with the explorer (its license does not allow it), and "
            f"its {'file is' if len(files) == 1 else 'files are'} not on this machine yet. Download "
            f"{'it' if len(files) == 1 else 'them'} from the address below and upload "
            f"{'it' if len(files) == 1 else 'them'} here: the explorer checks the published checksum and "
            f"keeps a copy in {md_text(folder)} for next time.", icon=":material/cloud_download:")
    for f in files:
        where = ", ".join(f.urls) if f.urls else "its publisher"
        st.markdown(f"**{md_text(f.filename)}** ({md_text(f.description)}): {where}")
        up = st.file_uploader(f"Upload {f.filename} (plain or .gz)", key=f"remote_upload_{f.filename}",
                              type=None)
        if up is not None:
            try:
                store_upload(f, up.getvalue())
            except Exception as exc:  # noqa: BLE001 - a wrong file is the user's; the boundary tags the kind
                show_error(f"Checking {up.name}", exc)
            else:
                st.success(f"{md_text(f.filename)} is in place.", icon=":material/check_circle:")
                if not missing(name):
                    st.rerun()
    st.button("Try the download", key=f"remote_try_{name}", on_click=_try_download, args=(name,),
              icon=":material/download:", help="Needs an internet connection; the file is downloaded once.")
    return False
