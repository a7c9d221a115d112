"""Audit & export: a leakage certificate for the current view, and every table and figure as a download."""

from __future__ import annotations

import json
import math

import streamlit as st

import ui
from ui import waits, words
from unlearn_core import audit, plots
from unlearn_core.plots import audit as aplots
from unlearn_core.plots import training as tplots

BOOT_CHOICES = (0, 30, 100, 200)
# 30 resamples: rough 90% intervals at a tenth of the cost of 100 (on Adult the certificate takes ~4 s
# without intervals and ~39 s with 100 resamples on the shared 2-core machine; the W2 term's refitting
# bootstrap in 100 dimensions dominates).
DEFAULT_BOOT: int = ui.field_default("audit_boot")  # the default lives on ui.AppState


def _summary(d: dict) -> dict:
    """What the page shows beside the certificate, from its dict (``Certificate.as_dict``)."""
    mi_name = d["pinsker"].get("mi_method") or "knn"
    mi = next((e for e in d["leakage"] if e.get("method") == mi_name), {})
    return {
        "n": d["attack"]["n"], "split": d["evaluation"]["split"], "accuracy": d["attack"]["accuracy"],
        "auc": d["attack"]["auc"], "auc_ci": d["attack"]["auc_ci"],
        "baseline": d["attack"]["majority_baseline"], "n_measured": d["evaluation"]["rows"],
        "status": d["verdict"]["status"], "sentence": d["verdict"]["sentence"],
        "bound": d["pinsker"].get("bound"), "contradicted": bool(d["pinsker"].get("contradicted")),
        "mi_name": mi_name, "mi": mi.get("value", math.nan), "mi_ci": mi.get("ci"),
    }


def cached_certificate(
    key: ui.DataKey, method: str, seed: int, t: float, n_boot: int, progress=None
) -> tuple[str, str, dict]:
    """(JSON, HTML, attack summary) of ``unlearn_core.audit.certificate`` for the barycenter outcome at t.

    No fitted maps are passed: the certificate fits the barycenter on a training split and measures the
    held-out rows, so nothing is measured on the rows the maps were fitted to. Called through
    ``ui.waits.compute`` (kept in its store, with a progress bar and a cancel on a miss).
    """
    cert = audit.certificate(ui.load_data(key), method=method, t=t, random_state=seed, n_boot=n_boot,
                             progress=progress)
    return cert.to_json(), cert.to_html(), _summary(cert.as_dict())


@st.cache_data(max_entries=4, show_spinner=False)
def shipped_certificate(cert_json: str) -> tuple[str, str, dict]:
    """(JSON, HTML, attack summary) of a shipped certificate (``ui.precomputed.certificate``): the HTML
    is rendered from the JSON, as the PDF is."""
    cert = audit.Certificate(**json.loads(cert_json))
    return cert_json, cert.to_html(), _summary(cert.as_dict())


@st.cache_data(max_entries=16, show_spinner=False)
def certificate_pdf_bytes(cert_json: str) -> bytes:
    """The certificate (from its JSON) as a PDF: ``unlearn_core.audit.Certificate.to_pdf``."""
    return audit.Certificate(**json.loads(cert_json)).to_pdf()


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
att = cert_json = cert_html = None
cert_key = ("certificate", data.key, state.method, int(state.seed), t, n_boot)
# The batch command's run of this very view (shipped in assets/precomputed/, only when the view and the
# data's hash match): shown at once and without a status, since nothing is computed now.
shipped = ui.precomputed.certificate(data.key, state.method, int(state.seed), t, n_boot)
with ui.engine_errors("Measuring the outcome", stop=False):
    got = shipped_certificate(shipped.text) if shipped is not None else waits.compute(
        cert_key, f"Measuring {ds.name} at t = {t:.2f} and writing the certificate ({n_boot} bootstrap "
        "resamples)", lambda p: cached_certificate(data.key, state.method, state.seed, t, n_boot, progress=p),
        button_key="audit_cert_wait")
    if got is not None:
        cert_json, cert_html, att = got
        if shipped is not None:
            st.caption(f":material/inventory_2: Certificate {shipped.label} (batch command, shipped in "
                       "assets/precomputed/); another t, seed, method, Z or number of resamples is measured "
                       "live.", help="tests/test_precomputed.py recomputes it with the engine and checks it "
                       "matches.")
        elif (w := waits.waited_for(cert_key)) is not None:
            st.caption(f":material/timer: You waited {w:.1f} s for this certificate (from your click); it is "
                       "cached now.")

st.subheader("Can an attacker still recover Z?")
if att is not None:
    a, b = st.columns([2, 3])
    with a:
        m = st.columns(2)
        m[0].metric("Attacker accuracy", f"{att['accuracy']:.3f}",
                    delta=f"{att['accuracy'] - att['baseline']:+.3f} vs majority", delta_color="inverse",
                    help="The gradient-boosting attacker guessing Z from X_t, cross-fitted on held-out rows.")
        m[1].metric("Attacker AUC for Z", f"{att['auc']:.3f}",
                    help=f"95% interval {att['auc_ci'][0]:.3f}–{att['auc_ci'][1]:.3f}; 0.5 = chance.")
        m = st.columns(2)
        ci = att["mi_ci"]
        m[0].metric(f"{words.estimator_short(att['mi_name'])} MI (nats)", f"{att['mi']:.4f}",
                    help="90% bootstrap interval: " + (f"[{ci[0]:.4f}, {ci[1]:.4f}]" if ci else "n/a"))
        if att["bound"] is not None:
            m[1].metric("Pinsker bound", f"{att['bound']:.3f}",
                        help="max_z π_z + √(I/2) with I the largest upper interval end among the MI "
                        "estimates: no attacker should beat it if the MI estimate is right.")
        rows = (f"On {att['n']:,} held-out rows ({att['split']})." if att["n_measured"] == att["n"]
                else f"The attacker on {att['n']:,} held-out rows ({att['split']}); the MI estimate and "
                f"the bound on {att['n_measured']:,} held-out rows, the certificate's random subset.")
        st.caption(f"{rows} These are estimates from one sample, not a proof: a stronger attacker or more "
                   "data could find more.")
    with b:
        st.plotly_chart(aplots.attack_bound_figure(accuracy=att["accuracy"], baseline=att["baseline"],
                                                   bound=att["bound"]), key="audit_attack",
                        config={"displaylogo": False})
        words.note("If the attacker's bar reaches past the majority baseline, it guesses Z better than "
                   "always naming the larger group: Z is still in the data.")
    if att["status"] == "PASS":
        st.success(f"**PASS.** {att['sentence']}", icon=":material/check_circle:")
    else:
        st.warning(f"**FAIL.** {att['sentence']}", icon=":material/error:")
    if att["contradicted"]:
        st.warning("No Pinsker bound is shown: the attacker beats what the MI estimates would allow, so they "
                   "are too low for this outcome. Trust the attacker.", icon=":material/warning:")

st.subheader("Leakage certificate")
if cert_html is not None:
    with st.container(border=True, height=520):
        st.html(cert_html)
    c = st.columns(3)
    c[0].download_button("Certificate (JSON)", cert_json, file_name=f"{data.key.label}-certificate.json",
                         mime="application/json", on_click="ignore", key="audit_cert_json")
    c[1].download_button("Certificate (HTML)", cert_html, file_name=f"{data.key.label}-certificate.html",
                         mime="text/html", on_click="ignore", key="audit_cert_html")
    c[2].download_button("Certificate (PDF)", lambda: certificate_pdf_bytes(cert_json),
                         file_name=f"{data.key.label}-certificate.pdf", mime="application/pdf",
                         on_click="ignore", key="audit_cert_pdf",
                         help="The same report as the HTML, as a PDF (made on this machine, offline).")

# -- tables --------------------------------------------------------------------------------------
st.subheader("Tables (CSV)")
frontier = None
with ui.engine_errors("Computing the frontier", stop=False):
    frontier = ui.cache.frontier_waited(
        data.key, state.method, state.seed, state.estimator, button_key="audit_frontier_wait",
        what="Computing the frontier for the downloads: a downstream model and an attacker for each of "
        f"{len(ui.cache.FRONTIER_TS)} values of t")
c = st.columns(4)
if frontier is not None:
    c[0].download_button("Analytic frontier", frontier.to_csv(),
                         file_name=f"{data.key.label}-{state.method}-frontier.csv", mime="text/csv",
                         on_click="ignore", key="audit_frontier_csv",
                         help=f"One row per t ({len(frontier.table)} rows): distortion, W2 leakage, "
                         "attacker, utility, fairness.")
c[1].download_button(
    f"Transformed data at t = {t:.2f}",
    lambda: ui.cache.transformed_csv(data.key, state.method, state.seed, t),
    file_name=f"{data.key.label}-{state.method}-t{t:.2f}.csv", mime="text/csv", on_click="ignore",
    key="audit_data_csv", help="Every row: X_t, then the target and Z.")
trained = st.session_state.get("_last_trained_frontier")
if trained is not None:
    c[2].download_button("Trained frontier (last sweep)", trained.to_csv(),
                         file_name=f"{data.key.label}-trained-frontier.csv", mime="text/csv",
                         on_click="ignore", key="audit_trained_csv")
else:
    c[2].caption("Run a sweep on the Trained-frontier page to export it here.")
forget_table = st.session_state.get("_last_forget_table")
if forget_table is not None:
    c[3].download_button("Data-unlearning comparison", forget_table.to_csv(index=False),
                         file_name="unlearning-comparison.csv", mime="text/csv", on_click="ignore",
                         key="audit_forget_csv")
else:
    c[3].caption("Run the Data-unlearning page to export its comparison here.")

# -- figures -------------------------------------------------------------------------------------
st.subheader("Figures (standalone HTML)")
figures = {}
if frontier is not None:
    figures["Utility vs leakage (analytic frontier)"] = lambda: plots.frontier_figure(frontier, current=t)
    if "distortion" in frontier.table:
        V = float(frontier.meta.get("V", frontier.meta.get("total_cost", math.nan)))
        if math.isfinite(V):
            figures["Distortion vs W2 leakage"] = lambda: plots.distortion_leakage_figure(frontier, V=V, t=t)
if trained is not None:
    figures["Trained frontier (last sweep)"] = lambda: tplots.trained_frontier_figure(trained, frontier)


def _transport_fig():
    pts = ui.cached_display(data.key, state.method, state.seed, None, 1000)
    return plots.transport_figure(pts, t=t)


figures["Transport to the barycenter (PCA, 1,000 points)"] = _transport_fig
f = st.columns([3, 1, 2])
names = list(figures)
which = f[0].selectbox("Figure", names, **ui.bind("audit_figure", "audit_figure", options=names,
                                                  fallback=names[0], what="Figure"))
offline = f[1].toggle("Offline", **ui.bind("audit_offline", "audit_offline"),
                      help="Inline plotly.js (about 4.5 MB) so the file opens without internet; off links "
                      "the CDN.")
with ui.engine_errors("Building the figure", stop=False):
    fig = figures[which]()
    slug = "".join(ch if ch.isalnum() else "-" for ch in which.lower()).strip("-")
    f[2].download_button("Download figure (HTML)",
                         lambda: aplots.figure_html(fig, offline=offline, title=which),
                         file_name=f"{data.key.label}-{slug}.html", mime="text/html", on_click="ignore",
                         key="audit_fig_html")
    st.plotly_chart(fig, key="audit_preview", config={"displaylogo": False})
    words.note("A preview of the file you download: the same figure, as an HTML page that opens anywhere.")
