"""The certificate as a PDF (unlearn_core/audit_pdf.py): it parses, with the HTML's verdict and numbers."""

from __future__ import annotations

import io
import json
import re

import pytest

from unlearn_core import audit
from unlearn_core.audit import _fmt
from unlearn_core.audit_pdf import latin1

pypdf = pytest.importorskip("pypdf", reason="pypdf (requirements-test.txt) reads the PDF back")


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    # layout-free text: collapse the line breaks and spaces the PDF's line wrapping put anywhere
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def _html_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def cert(toy):
    return audit.certificate(toy, method="ot-randomized", t=1.0, random_state=0, n_boot=10,
                             estimates=("knn", "probe"))


@pytest.fixture(scope="module")
def toy():
    from unlearn_core import datasets

    return datasets.load("toy-gaussians", n_samples=600, random_state=0)


def test_pdf_parses_and_has_the_verdict_and_the_numbers_of_the_html(cert):
    pdf = cert.to_pdf()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    text, html = _text(pdf), _html_text(cert.to_html())
    status = cert.verdict["status"]
    assert status in {"PASS", "FAIL"}
    assert f"Can an attacker recover {cert.z_name}? {status}" in text
    assert f"Can an attacker recover {cert.z_name}? {status}" in html
    # every number the HTML states about the attacker, the bound, the leakage and the residual W2
    a, p = cert.attack, cert.pinsker
    numbers = [_fmt(a["accuracy"], 3), _fmt(a["majority_baseline"], 3), _fmt(a["mi_lower"], 3),
               _fmt(cert.residual_w2["value"], 4), cert.dataset["fingerprint"], _fmt(cert.t, 2)]
    if p.get("bound") is not None:
        numbers += [_fmt(p["bound"], 3), _fmt(p["mi_used"], 4)]
    for est in cert.leakage:
        numbers.append(_fmt(est["value"], 4))
        if est.get("ci"):
            numbers += [_fmt(est["ci"][0], 4), _fmt(est["ci"][1], 4)]
    for v in cert.utility.values():
        numbers.append(_fmt(v, 4) if isinstance(v, float) else str(v))
    for n in numbers:
        assert n in html, n  # the HTML shows it ...
        assert n in text, n  # ... and so does the PDF
    for words in ("not a proof", "What this does not show", cert.dataset["name"], cert.method):
        assert words in text, words
    assert latin1(cert.verdict["sentence"]) in text


def test_pdf_from_the_json_is_the_same_report(cert):
    """The Audit page keeps the certificate as JSON and makes the PDF from it on download."""
    again = audit.Certificate(**json.loads(cert.to_json()))
    assert _text(again.to_pdf()) == _text(cert.to_pdf())


def test_pdf_of_a_failing_outcome_says_fail(toy):
    cert = audit.certificate(toy, method="ot-randomized", t=0.0, random_state=0, n_boot=0,
                             estimates=("knn",))
    assert cert.verdict["status"] == "FAIL"  # the toy's groups are far apart at t = 0
    assert f"recover {cert.z_name}? FAIL" in _text(cert.to_pdf())


def test_latin1_spells_out_symbols_the_pdf_font_lacks():
    assert latin1("λ = 0.5 − 1 ≤ √2 … ‖x‖") == "lambda = 0.5 - 1 <= sqrt2 ... ||x||"
    assert latin1("W2² · naïve ×") == "W2² - naïve ×"  # Latin-1 characters stay
    assert latin1("∂") == "?" and latin1("ﬁ") == "fi"  # no Latin-1 form: '?'; a ligature decomposes
    "".join(latin1(chr(c)) for c in range(0x2000, 0x2100)).encode("latin-1")  # never raises
