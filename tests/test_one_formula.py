"""One formula in one place: the McCann point, D(t) / L(t) and λ <-> t live in ``transport._types``.

A source scan fails if any other module writes one of the expressions itself, and the callers are
checked against the one implementation.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from unlearn_core import transport
from unlearn_core.transport import distortion_leakage, lam_of_t, mccann, t_of_lam

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / "unlearn_core" / "transport" / "_types.py"
T = r"(?:t|tt|t_\w*)"
#: the expressions, as ast.unparse writes them
PATTERNS = {
    "McCann point (1 - t) X + t T": re.compile(rf"\(1(?:\.0)? - ({T})\) \* .+ \+ \1 \* "),
    "L(t) = (1 - t)^2 V": re.compile(rf"\(1(?:\.0)? - {T}\) \*\* 2"),
    "D(t) = t^2 V": re.compile(rf"\b({T}) \* \1 \* |\b{T} \*\* 2 \* "),
    "λ = t / (1 - t)": re.compile(rf"\b({T}) / \(1(?:\.0)? - \1\)"),
    "t = λ / (1 + λ)": re.compile(r"\b(lam\w*) / \(1(?:\.0)? \+ \1\)"),
}


def _sources() -> list[Path]:
    files = [ROOT / "app.py"]
    for d in ("unlearn_core", "ui", "pages"):
        files += sorted((ROOT / d).rglob("*.py"))
    return [f for f in files if f != HOME]


def find_formulas(source: str) -> list[tuple[int, str, str]]:
    """(line, formula name, expression) of every hand-written copy of one of the formulas."""
    hits: dict[tuple[int, str], str] = {}  # an expression's sub-expressions match too: one hit per line
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.BinOp):
            text = ast.unparse(node)
            for name, pat in PATTERNS.items():
                if pat.search(text):
                    hits.setdefault((node.lineno, name), text)
    return sorted((line, name, text) for (line, name), text in hits.items())


def test_the_scan_finds_each_formula():
    """The scan can fail: each way of writing the formulas is caught."""
    src = ("a = (1 - t) * X + t * Y\nb = (1.0 - t) ** 2 * V\nc = t * t * V\nd = t / (1.0 - t)\n"
           "e = lam / (1 + lam)\n")
    assert [h[1] for h in find_formulas(src)] == list(PATTERNS)  # one hit each, in line order
    assert find_formulas("w * (1.0 - t)\nx = a / (1 - b)\n") == []


def test_the_formulas_are_written_once():
    """Only transport/_types.py writes them; everything else calls it."""
    assert find_formulas(HOME.read_text()), "the scan no longer finds the implementation itself"
    found = {str(f.relative_to(ROOT)): find_formulas(f.read_text()) for f in _sources()}
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.parametrize("method", ["gaussian", "marginal", "ot-randomized"])
def test_maps_transform_is_the_mccann_point(method):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 2))
    z = rng.integers(0, 2, 120)
    X[z == 1] += 1.5
    maps = transport.fit_barycenter(X, z, method=method, random_state=0)
    end = maps.endpoint(X, z)
    for t in (0.0, 0.35, 1.0):
        assert_allclose(maps.transform(X, z, t=t), mccann(X, end, t), rtol=0, atol=1e-12)
    assert np.array_equal(maps.transform(X, z, t=1.0), end)  # exact at t = 1, bit for bit


def test_ui_lam_and_d_l_are_the_transport_functions():
    import ui

    for t in np.linspace(0, 1, 21):
        assert ui.lam_of(t) == lam_of_t(t)
        assert t_of_lam(lam_of_t(t)) == pytest.approx(t, abs=1e-12)
        assert ui.distortion_leakage(t, 2.5) == distortion_leakage(t, 2.5)
