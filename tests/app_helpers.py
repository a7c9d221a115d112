"""Helpers for AppTest tests of the explorer: open a page through app.py, read figures and metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"


def _apptest_uses_navigation() -> None:
    """Work around an AppTest quirk (streamlit 1.67) for apps with both st.navigation and a pages/ folder.

    AppTest resets ``PagesManager.uses_pages_directory`` before every run, so from the second run on it
    treats ``pages/`` as an old-style multipage folder and runs the page file alone, skipping app.py
    (no sidebar, no URL sync). ``st.navigation`` sets the flag to False in a real server; do the same.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if getattr(PagesManager, "_explorer_navigation_patch", False):
        return
    original = PagesManager.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = __init__
    PagesManager._explorer_navigation_patch = True


_apptest_uses_navigation()


def open_app(timeout: float = 180, **params: Any) -> AppTest:
    """Run app.py with query parameters (e.g. ``page="barycenter", dataset="toy-gaussians", t=0.3``).

    Selecting the page through ``?page=`` is the same path a shared link takes.
    """
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.query_params.update({k: str(v) for k, v in params.items()})
    return at.run()


def run_page(page_file: str, timeout: float = 180, **params: Any) -> AppTest:
    """Run one page file on its own (no app.py frame) with query parameters; it must raise nothing."""
    at = AppTest.from_file(page_file, default_timeout=timeout)
    at.query_params.update({k: str(v) for k, v in params.items()})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def assert_clean(at: AppTest) -> None:
    """No exception box and no error message on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def figures(at: AppTest) -> list[dict]:
    """Every plotly figure on the page, as its JSON spec (data, layout, frames)."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def figure(at: AppTest, title_part: str) -> dict:
    """The figure whose title contains ``title_part``."""
    found = []
    for fig in figures(at):
        title = fig.get("layout", {}).get("title", {})
        text = title.get("text", "") if isinstance(title, dict) else str(title)
        found.append(text)
        if title_part.lower() in text.lower():
            return fig
    raise AssertionError(f"no figure titled like {title_part!r}; titles: {found}")


def vega_chart(at: AppTest, title_part: str):
    """The Vega-Lite chart whose title contains ``title_part``: its spec (dict) and its data (DataFrame)."""
    import pyarrow as pa

    found = []
    for el in at.get("vega_lite_chart"):
        spec = json.loads(el.proto.spec)
        title = spec.get("title", "")
        text = title.get("text", "") if isinstance(title, dict) else str(title)
        found.append(text)
        if title_part.lower() in text.lower():
            data = pa.ipc.open_stream(el.proto.data.data).read_pandas() if el.proto.data.data else None
            return spec, data
    raise AssertionError(f"no Vega-Lite chart titled like {title_part!r}; titles: {found}")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def trace(fig: dict, name: str) -> dict:
    for tr in fig["data"]:
        if tr.get("name") == name:
            return tr
    raise AssertionError(f"no trace {name!r}; traces: {[tr.get('name') for tr in fig['data']]}")


def array(arr: Any):
    """A plotly JSON array as numpy, whether plotly sent a list or a typed array ({dtype, bdata, shape})."""
    import base64

    import numpy as np

    if isinstance(arr, dict) and "bdata" in arr:
        data = np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"]))
        if "shape" in arr:
            data = data.reshape(tuple(int(s) for s in str(arr["shape"]).split(",")))
        return data
    return np.asarray(arr)


def values(arr: Any) -> list[float]:
    """Trace coordinates as floats (None -> NaN)."""
    if isinstance(arr, dict):
        return array(arr).astype(float).tolist()
    return [float(v) if v is not None else float("nan") for v in arr]


def figure_by_key(at: AppTest, key: str) -> dict:
    """The figure JSON of the plotly chart drawn with ``key=key`` (its element id ends with the key)."""
    for el in at.get("plotly_chart"):
        if el.proto.id.endswith(key):
            return json.loads(el.proto.spec)
    raise AssertionError(f"no plotly chart with key {key!r}")


def upload(at: AppTest, data: bytes, name: str = "upload.csv", *, target: str | None = None,
           sensitive: str | None = None) -> AppTest:
    """Upload ``data`` through the sidebar and press "Use this file" (target / Z: the app's guesses
    unless given; ``target="(none)"`` for none)."""
    at.selectbox(key="_w_dataset").set_value("upload").run()
    at.file_uploader(key="upload_file").set_value((name, data, "text/csv")).run()
    if target is not None:
        at.selectbox(key="upload_target").set_value(target)
    if sensitive is not None:
        at.selectbox(key="upload_sensitive").set_value(sensitive)
    next(b for b in at.button if b.label == "Use this file").click()
    return at.run()

