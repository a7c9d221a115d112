"""Which of the sidebar's datasets a page can use, and what the page says about the others.

Every page works on the sidebar's dataset. A page that needs something of the data (data unlearning
needs a classification target) declares it in :data:`NEEDS`; the sidebar then lists only the datasets
the page can use and names the ones it left out and why, and when the dataset in use cannot serve the
page (chosen on another page, or from a link), the page says so in one sentence and offers the usable
datasets as buttons instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import streamlit as st

from unlearn_core import datasets
from unlearn_core.datasets import Dataset, DatasetSpec

from .boundary import callback
from .cache import LoadedData, current_data
from .state import UPLOAD, reset_data_knobs, state


class Need(NamedTuple):
    """What a page needs of its data: in words, and as tests on a registry entry and on a loaded dataset."""

    words: str  # "a classification target"
    spec_ok: Callable[[DatasetSpec], bool]
    data_ok: Callable[[Dataset], bool]
    has: Callable[[Dataset], str]  # what a dataset that fails data_ok has instead ("a regression target")


def _target(d: Dataset) -> str:
    return f"a {d.task} target" if d.task else "no target column"


#: page url_path -> what it needs of the sidebar's dataset (pages not listed take any dataset)
NEEDS: dict[str, Need] = {
    "forget": Need("a classification target", lambda s: s.task == "classification",
                   lambda d: d.y is not None and d.task == "classification", _target),
    "images": Need("image data (handwritten digits)", lambda s: s.kind == "image",
                   lambda d: d.image_shape is not None, lambda d: "table rows, not images"),
}


def usable_names(page: str) -> list[str]:
    """The built-in datasets ``page`` can use (all when it needs nothing)."""
    need = NEEDS.get(page)
    reg = datasets.registry()
    return [n for n in datasets.names() if need is None or need.spec_ok(reg[n])]


def left_out(page: str, *, shown: str = "") -> list[str]:
    """Titles of the built-in datasets ``page`` cannot use (but ``shown``, the one in use)."""
    keep = set(usable_names(page)) | {shown}
    return [datasets.registry()[n].title for n in datasets.names() if n not in keep]


def title_of(data: LoadedData) -> str:
    """The dataset's title as the sidebar shows it (the file's name for an upload)."""
    reg = datasets.registry()
    return reg[data.key.name].title if data.key.name in reg else data.dataset.name


@callback("Switching the dataset")
def _switch(name: str) -> None:
    s = state()
    s.dataset, s.sensitive = name, ""  # "" = the new dataset's default Z
    reset_data_knobs()


def current_data_for(page: str, title: str, *, prefer: str = "") -> LoadedData:
    """The sidebar's dataset if ``page`` can use it; else one sentence and buttons, and the page stops.

    Parameters
    ----------
    page : the page's url_path (its entry in :data:`NEEDS`).
    title : the page's title, for the sentence ("Data unlearning needs a classification target").
    prefer : the dataset offered first.
    """
    data = current_data()
    need = NEEDS.get(page)
    if need is None or need.data_ok(data.dataset):
        return data
    ds = data.dataset
    names = usable_names(page)
    names.sort(key=lambda n: n != prefer)
    reg = datasets.registry()
    what = "your file" if data.key.name == UPLOAD else f"**{title_of(data)}**"
    has = need.has(ds)
    st.info(f"{title} needs {need.words}, and {what} has {has}, so this page cannot use it. "
            "Pick a dataset it can use:", icon=":material/swap_horiz:")
    cols = st.columns(min(4, max(1, len(names))))
    for i, name in enumerate(names):
        label = reg[name].title + ("" if reg[name].shipped else " (download)")
        cols[i % len(cols)].button(label, key=f"use_{page}_{name}", on_click=_switch, args=(name,),
                                   type="primary" if name == prefer else "secondary")
    st.stop()
    raise AssertionError("unreachable")  # st.stop raises
