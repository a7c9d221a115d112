"""ui/nav.py and the page registry: deep links on a fresh server find their page file."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _registered() -> list[tuple[str, str]]:
    """(page file, url_path) of every st.Page in app.py."""
    out = []
    for node in ast.walk(ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page":
            kw = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            out.append((node.args[0].value, kw.get("url_path", "")))
    return out


def test_every_page_file_is_named_as_its_url_path():
    """Until st.navigation has run once in the server, Streamlit routes a request like an old-style pages/
    app: the URL /x runs pages/x.py (then ui.nav.ensure_frame reroutes through app.py). A page whose file
    name differs from its url_path is "not found" on a cold first request (issue 15: /leakage)."""
    pages = _registered()
    assert len(pages) == 8
    for path, url_path in pages:
        assert Path(path).stem == url_path, (path, url_path)


def test_every_page_calls_ensure_frame_before_drawing():
    """A page run alone on a cold first request must reroute through app.py before it draws anything:
    ``ensure_frame()`` (directly or through ``ui.current_data()``) comes before the first ``st.`` call."""
    for path, _ in _registered():
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        first_draw = frame = None
        for node in tree.body:
            text = ast.unparse(node)
            if frame is None and ("ensure_frame()" in text or "current_data()" in text):
                frame = node.lineno
            if first_draw is None and isinstance(node, ast.Expr) and text.startswith("st."):
                first_draw = node.lineno
        assert frame is not None and (first_draw is None or frame < first_draw), path
