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


class _Writer:
    """The PDF being written, with the certificate's three kinds of block: heading, paragraph, table."""

    def __init__(self, title: str) -> None:
        from fpdf import FPDF

        self.pdf = pdf = FPDF(format="A4")
        pdf.set_title(latin1(title))
        pdf.set_creator("unlearn_core.audit_pdf")
        pdf.set_auto_page_break(True, margin=15)
        pdf.add_page()
        self.width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(self, text: str, size: int = 13) -> None:
        """A bold section title."""
        from fpdf.enums import XPos, YPos

        self.pdf.ln(2)
        self.pdf.set_font("Helvetica", "B", size)
        self.pdf.multi_cell(self.width, 7, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_font("Helvetica", "", 10)

    def para(self, text: str, style: str = "") -> None:
        """A paragraph of body text."""
        from fpdf.enums import XPos, YPos

        self.pdf.set_font("Helvetica", style, 10)
        self.pdf.multi_cell(self.width, 5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(1)

    def table(self, rows: list[list[str]], widths: list[float]) -> None:
        """A table whose first row is its header."""
        with self.pdf.table(col_widths=widths, text_align="LEFT", line_height=5,
                            first_row_as_headings=True) as tb:
            for r in rows:
                row = tb.row()
                for cell in r:
                    row.cell(latin1(cell))
        self.pdf.ln(2)


def certificate_pdf(c: Certificate) -> bytes:
    """Render ``c`` as a PDF (A4, one column) and return its bytes.

    Sections, in the HTML's order: what was unlearned, on which data, how much of Z is left (the
    leakage table and the residual W2), the attacker's verdict with its numbers, the Pinsker bound,
    utility, what the certificate does not show, provenance.
    """
    from fpdf.enums import XPos, YPos

    w = _Writer(f"Leakage certificate: {c.dataset['name']}, Z = {c.z_name}")
    w.pdf.set_font("Helvetica", "B", 18)
    w.pdf.cell(w.width, 10, "Leakage certificate", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    w.para("A record of measurements, not a proof of fairness or of complete unlearning.", "I")
    _measurement_sections(w, c)
    _attack_sections(w, c)
    _closing_sections(w, c)
    return bytes(w.pdf.output())


def _measurement_sections(w: _Writer, c: Certificate) -> None:
    """What was unlearned, on which data it was measured, and how much of Z is left."""
    from .labels import measured_rows
    from .labels import number as _fmt

    d, ev, wd = c.dataset, c.evaluation, c.residual_w2
    knob = []
    if c.t is not None:
        knob.append(f"t = {_fmt(c.t, 2)}")
    if c.lam is not None:
        knob.append(f"λ = {_fmt(c.lam, 3)}")
    w.heading("What was unlearned")
    w.para(f"Attribute {c.z_name} of dataset {d['name']} ({d.get('rows', 'n/a')} rows; content SHA-256 "
           f"{d.get('fingerprint', 'n/a')}), with method {c.method} {', '.join(knob)}, "
           f"seed {c.random_state}.")

    w.heading("On which data it was measured")
    w.para(f"{measured_rows(ev, c.attack)} ({ev.get('split', '')}); group sizes "
           f"{json.dumps(ev.get('group_counts', {}))}.")

    w.heading(f"How much of {c.z_name} is left in the outcome")
    level = int(round(100 * (c.leakage[0]["ci_level"] if c.leakage else 0.9)))
    rows = [["measure", "MI?", "value", f"{level}% bootstrap interval", "unit", "known bias"]]
    for est in c.leakage:
        ci = est.get("ci")
        rows.append([str(est["title"]), "yes" if est["is_mi"] else "no", _fmt(est["value"], 4),
                     f"{_fmt(ci[0], 4)} - {_fmt(ci[1], 4)}" if ci else "not computed", str(est["unit"]),
                     str(est["bias"])])
    w.table(rows, [30, 10, 16, 26, 14, 50])
    theory = ("" if wd.get("theory") is None
              else f"; the fitted maps predict (1 - t)² V = {_fmt(wd['theory'], 4)}")
    w.para(f"Residual W2 between groups (pairwise-weighted W2², {wd.get('kind', '')}): "
           f"{_fmt(wd.get('value'), 4)}{theory}.")


def _attack_sections(w: _Writer, c: Certificate) -> None:
    """The attacker's verdict with its numbers, and the Pinsker bound."""
    from .labels import attacked_rows
    from .labels import number as _fmt

    a, p = c.attack, c.pinsker
    w.heading(f"Can an attacker recover {c.z_name}? {c.verdict.get('status', '')}")
    mi_ci = a.get("mi_ci") or [None, None]
    w.para(f"{c.verdict.get('sentence', '')} It guessed {c.z_name} right on {_fmt(a.get('accuracy'), 3)} of "
           f"{attacked_rows(a)}, against {_fmt(a.get('majority_baseline'), 3)} for always guessing the "
           f"largest group; its lower bound on the mutual information is {_fmt(a.get('mi_lower'), 3)} nats "
           f"(interval {_fmt(mi_ci[0], 3)} - {_fmt(mi_ci[1], 3)}).")
    if p.get("contradicted"):
        w.para("No accuracy bound is stated: the attacker's measured accuracy exceeds what the MI estimates "
               "would allow, so they under-report the leakage. Rely on the attacker.", "B")
    elif p.get("bound") is not None:
        w.para(f"If the mutual information is at most {_fmt(p['mi_used'], 4)} nats (the upper end of the "
               f"{p['mi_method']} interval), no attacker can guess {c.z_name} correctly more often than "
               f"{_fmt(p['bound'], 3)} of the time (Pinsker's inequality). This bound is only as good as "
               "that estimate.")
    else:
        w.para("No MI estimate was available, so no accuracy bound is stated.")


def _closing_sections(w: _Writer, c: Certificate) -> None:
    """Utility, what the certificate does not show, and provenance."""
    from .labels import number as _fmt

    w.heading("Utility")
    util: list[list[str]] = [["metric", "value"]]
    for k, v in c.utility.items():
        util.append([str(k), _fmt(v, 4) if isinstance(v, float) else str(v)])
    if len(util) == 1:
        w.para("No utility metric was recorded.")
    else:
        w.table(util, [60, 40])

    w.heading("What this does not show")
    for item in (
        "Estimates are statistical: with other data, another seed or more rows they would differ within (and "
        "sometimes beyond) the stated intervals. Lower-bound estimators (the probe, neural bounds) can miss "
        "leakage that a stronger model would find.",
        f"Low leakage here is measured for this outcome, these rows and these estimators only; it does not "
        f"certify other models trained on the outcome, other attributes correlated with {c.z_name}, or "
        "fairness criteria that were not measured.",
        *c.notes,
    ):
        w.para(f"- {item}")

    versions = ", ".join(f"{k} {v}" for k, v in c.versions.items())
    w.para(f"Created {c.created}; {versions}; schema {c.schema_version}.", "I")
