"""The leakage certificate as a PDF: the same sections and numbers as :meth:`Certificate.to_html`.

Written with fpdf2 (pure Python, pinned in requirements.txt): no network, no system binary, no font
file. The PDF's built-in Helvetica covers Latin-1 only, so the few symbols the certificate uses outside
it are spelled out (λ -> "lambda", − -> "-", ≤ -> "<=", ...); numbers are formatted by the HTML's own
formatter, so both files show the same digits.
"""

from __future__ import annotations

import json
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .audit import Certificate

__all__ = ["certificate_pdf", "latin1"]

_SPELL = {
    "λ": "lambda", "μ": "mu", "π": "pi", "Σ": "Sum", "√": "sqrt", "∞": "inf", "≤": "<=", "≥": ">=",
    "≈": "~", "−": "-", "–": "-", "—": "-", "‖": "||", "→": "->", "←": "<-", "…": "...", "‘": "'",
    "’": "'", "“": '"', "”": '"', "·": "-", "′": "'", "∈": "in", "≠": "!=",
}


def latin1(text: object) -> str:
    """``text`` with every character outside Latin-1 spelled out (or decomposed, or replaced by '?')."""
    out = []
    for ch in str(text):
        if ch in _SPELL:
            out.append(_SPELL[ch])
        elif ord(ch) < 256:
            out.append(ch)
        else:
            base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or "?")
    return "".join(out)


def certificate_pdf(c: Certificate) -> bytes:
    """Render ``c`` as a PDF (A4, one column) and return its bytes.

    Sections, in the HTML's order: what was unlearned, on which data, how much of Z is left (the
    leakage table and the residual W2), the attacker's verdict with its numbers, the Pinsker bound,
    utility, what the certificate does not show, provenance.
    """
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    from .labels import attacked_rows, measured_rows
    from .labels import number as _fmt

    d, a, p, w, ev = c.dataset, c.attack, c.pinsker, c.residual_w2, c.evaluation
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(f"Leakage certificate: {d['name']}, Z = {c.z_name}"))
    pdf.set_creator("unlearn_core.audit_pdf")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(text: str, size: int = 13) -> None:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", size)
        pdf.multi_cell(width, 7, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 10)

    def para(text: str, style: str = "") -> None:
        pdf.set_font("Helvetica", style, 10)
        pdf.multi_cell(width, 5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    def table(rows: list[list[str]], widths: list[float]) -> None:
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=5, first_row_as_headings=True) as tb:
            for r in rows:
                row = tb.row()
                for cell in r:
                    row.cell(latin1(cell))
        pdf.ln(2)

    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(width, 10, "Leakage certificate", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    para("A record of measurements, not a proof of fairness or of complete unlearning.", "I")

    knob = []
    if c.t is not None:
        knob.append(f"t = {_fmt(c.t, 2)}")
    if c.lam is not None:
        knob.append(f"λ = {_fmt(c.lam, 3)}")
    heading("What was unlearned")
    para(f"Attribute {c.z_name} of dataset {d['name']} ({d.get('rows', 'n/a')} rows; content SHA-256 "
         f"{d.get('fingerprint', 'n/a')}), with method {c.method} {', '.join(knob)}, seed {c.random_state}.")

    heading("On which data it was measured")
    para(f"{measured_rows(ev, a)} ({ev.get('split', '')}); group sizes "
         f"{json.dumps(ev.get('group_counts', {}))}.")

    heading(f"How much of {c.z_name} is left in the outcome")
    level = int(round(100 * (c.leakage[0]["ci_level"] if c.leakage else 0.9)))
    rows = [["measure", "MI?", "value", f"{level}% bootstrap interval", "unit", "known bias"]]
    for est in c.leakage:
        ci = est.get("ci")
        rows.append([str(est["title"]), "yes" if est["is_mi"] else "no", _fmt(est["value"], 4),
                     f"{_fmt(ci[0], 4)} - {_fmt(ci[1], 4)}" if ci else "not computed", str(est["unit"]),
                     str(est["bias"])])
    table(rows, [30, 10, 16, 26, 14, 50])
    theory = ("" if w.get("theory") is None
              else f"; the fitted maps predict (1 - t)² V = {_fmt(w['theory'], 4)}")
    para(f"Residual W2 between groups (pairwise-weighted W2², {w.get('kind', '')}): "
         f"{_fmt(w.get('value'), 4)}{theory}.")

    heading(f"Can an attacker recover {c.z_name}? {c.verdict.get('status', '')}")
    mi_ci = a.get("mi_ci") or [None, None]
    para(f"{c.verdict.get('sentence', '')} It guessed {c.z_name} right on {_fmt(a.get('accuracy'), 3)} of "
         f"{attacked_rows(a)}, against {_fmt(a.get('majority_baseline'), 3)} for always guessing the "
         f"largest group; its lower bound on the mutual information is {_fmt(a.get('mi_lower'), 3)} nats "
         f"(interval {_fmt(mi_ci[0], 3)} - {_fmt(mi_ci[1], 3)}).")
    if p.get("contradicted"):
        para("No accuracy bound is stated: the attacker's measured accuracy exceeds what the MI estimates "
             "would allow, so they under-report the leakage. Rely on the attacker.", "B")
    elif p.get("bound") is not None:
        para(f"If the mutual information is at most {_fmt(p['mi_used'], 4)} nats (the upper end of the "
             f"{p['mi_method']} interval), no attacker can guess {c.z_name} correctly more often than "
             f"{_fmt(p['bound'], 3)} of the time (Pinsker's inequality). This bound is only as good as that "
             "estimate.")
    else:
        para("No MI estimate was available, so no accuracy bound is stated.")

    heading("Utility")
    util: list[list[str]] = [["metric", "value"]]
    for k, v in c.utility.items():
        util.append([str(k), _fmt(v, 4) if isinstance(v, float) else str(v)])
    if len(util) == 1:
        para("No utility metric was recorded.")
    else:
        table(util, [60, 40])

    heading("What this does not show")
    for item in (
        "Estimates are statistical: with other data, another seed or more rows they would differ within (and "
        "sometimes beyond) the stated intervals. Lower-bound estimators (the probe, neural bounds) can miss "
        "leakage that a stronger model would find.",
        f"Low leakage here is measured for this outcome, these rows and these estimators only; it does not "
        f"certify other models trained on the outcome, other attributes correlated with {c.z_name}, or "
        "fairness criteria that were not measured.",
        *c.notes,
    ):
        para(f"- {item}")

    versions = ", ".join(f"{k} {v}" for k, v in c.versions.items())
    para(f"Created {c.created}; {versions}; schema {c.schema_version}.", "I")
    return bytes(pdf.output())
