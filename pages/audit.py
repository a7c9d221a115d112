"""Audit & export: a leakage certificate for the current view, and every table and figure as a download."""

from __future__ import annotations

import math

import streamlit as st

import ui
from ui import audit_page as audit

BOOT_CHOICES = (0, 30, 100, 200)
# 30 resamples: rough 90% intervals at a tenth of the cost of 100 (on Adult the certificate takes ~4 s
# without intervals and ~39 s with 100 resamples on the shared 2-core machine; the W2 term's refitting
# bootstrap in 100 dimensions dominates).
DEFAULT_BOOT: int = ui.field_default("audit_boot")  # the default lives on ui.AppState

state = ui.state()
data = ui.current_data()
ds = data.dataset
t = float(state.t)
lam = ui.lam_of(t)

st.title("Audit & export")
st.caption(
    f"The current view: **{ds.name}**, forgetting **Z = {ds.sensitive}** with the **{state.method}** "
    f"barycenter at **t = {t:.2f}** (λ = {'∞' if math.isinf(lam) else f'{lam:.3g}'}), seed {state.seed}. "
    "Change them in the sidebar and on the Feature-unlearning page."
)

# -- certificate and attacker check -------------------------------------------------------------
n_boot = DEFAULT_BOOT
if not ui.lesson_mode():
    n_boot = int(st.select_slider(
        "Bootstrap resamples for the certificate's intervals", BOOT_CHOICES,
        **ui.bind("audit_boot", "audit_boot", options=BOOT_CHOICES, fallback=DEFAULT_BOOT,
                  what="Bootstrap resamples"),
        help="More resamples give steadier 90% intervals (and a steadier Pinsker bound) but take longer on "
        "large data."))
# The batch command's run of this very view when one is shipped (assets/precomputed/, only when the
# view and the data's hash match): shown at once and without a status, since nothing is computed now.
got = audit.certificate(data, state.method, int(state.seed), t, n_boot)

st.subheader("Can an attacker still recover Z?")
if got is not None:
    audit.attacker_panel(got[2])

st.subheader("Leakage certificate")
if got is not None:
    audit.certificate_panel(got[0], got[1], data.key.label)

# -- tables --------------------------------------------------------------------------------------
st.subheader("Tables (CSV)")
frontier = None
with ui.engine_errors("Computing the frontier", stop=False):
    frontier = ui.cache.frontier_waited(
        data.key, state.method, state.seed, state.estimator, button_key="audit_frontier_wait",
        what="Computing the frontier for the downloads: a downstream model and an attacker for each of "
        f"{len(ui.cache.FRONTIER_TS)} values of t")
audit.tables(data, frontier, t)

# -- figures -------------------------------------------------------------------------------------
st.subheader("Figures (standalone HTML)")
audit.figure_exports(data, frontier, t)
