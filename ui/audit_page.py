"""The Audit page's machinery: the certificate (shipped or measured), the attacker panel, the certificate
panel with its downloads, the tables and the figures to export.

``pages/audit.py`` reads its widgets and calls these; the caches live here, so the page holds none.
"""

from __future__ import annotations

import json
import math

import streamlit as st

from . import cache, precomputed, waits, words
from .cache import DataKey, load_data
from .errors import engine_errors
from .state import bind
from .state import state as app_state


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
    key: DataKey, method: str, seed: int, t: float, n_boot: int, progress=None
) -> tuple[str, str, dict]:
    """(JSON, HTML, attack summary) of ``unlearn_core.audit.certificate`` for the barycenter outcome at t.

    No fitted maps are passed: the certificate fits the barycenter on a training split and measures the
    held-out rows, so nothing is measured on the rows the maps were fitted to. Called through
    ``ui.waits.compute`` (kept in its store, with a progress bar and a cancel on a miss).
    """
    from unlearn_core import audit

    cert = audit.certificate(load_data(key), method=method, t=t, random_state=seed, n_boot=n_boot,
                             progress=progress)
    return cert.to_json(), cert.to_html(), _summary(cert.as_dict())


@st.cache_data(max_entries=4, show_spinner=False)
def shipped_certificate(cert_json: str) -> tuple[str, str, dict]:
    """(JSON, HTML, attack summary) of a shipped certificate (``ui.precomputed.certificate``): the HTML
    is rendered from the JSON, as the PDF is."""
    from unlearn_core import audit

    cert = audit.Certificate(**json.loads(cert_json))
    return cert_json, cert.to_html(), _summary(cert.as_dict())


@st.cache_data(max_entries=16, show_spinner=False)
def certificate_pdf_bytes(cert_json: str) -> bytes:
    """The certificate (from its JSON) as a PDF: ``unlearn_core.audit.Certificate.to_pdf``."""
    from unlearn_core import audit

    return audit.Certificate(**json.loads(cert_json)).to_pdf()


def certificate(data, method: str, seed: int, t: float, n_boot: int):
    """(JSON, HTML, summary) of the view's certificate: the shipped one when the view and the data's hash
    match (shown at once, labelled, no status), else measured through ``waits.compute``; None when the
    wait is cancelled or the engine refuses."""
    ds = data.dataset
    key = ("certificate", data.key, method, int(seed), t, n_boot)
    shipped = precomputed.certificate(data.key, method, int(seed), t, n_boot)
    with engine_errors("Measuring the outcome", stop=False):
        got = shipped_certificate(shipped.text) if shipped is not None else waits.compute(
            key, f"Measuring {ds.name} at t = {t:.2f} and writing the certificate ({n_boot} bootstrap "
            "resamples)", lambda p: cached_certificate(data.key, method, seed, t, n_boot, progress=p),
            button_key="audit_cert_wait")
        if got is not None and shipped is not None:
            st.caption(f":material/inventory_2: Certificate {shipped.label} (batch command, shipped in "
                       "assets/precomputed/); another t, seed, method, Z or number of resamples is measured "
                       "live.", help="tests/test_precomputed.py recomputes it with the engine and checks it "
                       "matches.")
        elif got is not None and (w := waits.waited_for(key)) is not None:
            st.caption(f":material/timer: You waited {w:.1f} s for this certificate (from your click); it is "
                       "cached now.")
        return got
    return None


def attacker_panel(att: dict) -> None:
    """The attacker's accuracy and AUC, the MI estimate and the Pinsker bound, the verdict."""
    from unlearn_core.plots import audit as aplots

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
        # Vega-Lite: the first visit loads no plotly.js (the figure exports below preview on request)
        st.vega_lite_chart(*aplots.attack_bound_at(accuracy=att["accuracy"], baseline=att["baseline"],
                                                    bound=att["bound"]), width="stretch")
        words.note("If the attacker's bar reaches past the majority baseline, it guesses Z better than "
                   "always naming the larger group: Z is still in the data.")
    if att["status"] == "PASS":
        st.success(f"**PASS.** {att['sentence']}", icon=":material/check_circle:")
    else:
        st.warning(f"**FAIL.** {att['sentence']}", icon=":material/error:")
    if att["contradicted"]:
        st.warning("No Pinsker bound is shown: the attacker beats what the MI estimates would allow, so they "
                   "are too low for this outcome. Trust the attacker.", icon=":material/warning:")


def certificate_panel(cert_json: str, cert_html: str, label: str) -> None:
    """The certificate's HTML in a scrolling box, and its JSON / HTML / PDF downloads."""
    with st.container(border=True, height=520):
        st.html(cert_html)
    c = st.columns(3)
    c[0].download_button("Certificate (JSON)", cert_json, file_name=f"{label}-certificate.json",
                         mime="application/json", on_click="ignore", key="audit_cert_json")
    c[1].download_button("Certificate (HTML)", cert_html, file_name=f"{label}-certificate.html",
                         mime="text/html", on_click="ignore", key="audit_cert_html")
    c[2].download_button("Certificate (PDF)", lambda: certificate_pdf_bytes(cert_json),
                         file_name=f"{label}-certificate.pdf", mime="application/pdf",
                         on_click="ignore", key="audit_cert_pdf",
                         help="The same report as the HTML, as a PDF (made on this machine, offline).")


def tables(data, frontier, t: float) -> None:
    """The CSV downloads: the analytic frontier, the transformed data, the last sweep and comparison."""
    state = app_state()
    c = st.columns(4)
    if frontier is not None:
        c[0].download_button("Analytic frontier", frontier.to_csv(),
                             file_name=f"{data.key.label}-{state.method}-frontier.csv", mime="text/csv",
                             on_click="ignore", key="audit_frontier_csv",
                             help=f"One row per t ({len(frontier.table)} rows): distortion, W2 leakage, "
                             "attacker, utility, fairness.")
    c[1].download_button(
        f"Transformed data at t = {t:.2f}",
        lambda: cache.transformed_csv(data.key, state.method, state.seed, t),
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


def figure_exports(data, frontier, t: float) -> None:
    """Every figure of the view as a standalone HTML download, with a preview."""
    from unlearn_core import plots
    from unlearn_core.plots import audit as aplots
    from unlearn_core.plots import training as tplots

    state = app_state()
    trained = st.session_state.get("_last_trained_frontier")
    figures = {}
    if frontier is not None:
        figures["Utility vs leakage (analytic frontier)"] = lambda: plots.frontier_figure(frontier, current=t)
        if "distortion" in frontier.table:
            V = float(frontier.meta.get("V", frontier.meta.get("total_cost", math.nan)))
            if math.isfinite(V):
                figures["Distortion vs W2 leakage"] = lambda: plots.distortion_leakage_figure(frontier, V=V,
                                                                                             t=t)
    if trained is not None:
        figures["Trained frontier (last sweep)"] = lambda: tplots.trained_frontier_figure(trained, frontier)

    def _transport_fig():
        pts = cache.cached_display(data.key, state.method, state.seed, None, 1000)
        return plots.transport_figure(pts, t=t)

    figures["Transport to the barycenter (PCA, 1,000 points)"] = _transport_fig
    f = st.columns([3, 1, 2])
    names = list(figures)
    which = f[0].selectbox("Figure", names, **bind("audit_figure", "audit_figure", options=names,
                                                   fallback=names[0], what="Figure"))
    offline = f[1].toggle("Offline", **bind("audit_offline", "audit_offline"),
                          help="Inline plotly.js (about 4.5 MB) so the file opens without internet; off "
                          "links the CDN.")
    with engine_errors("Building the figure", stop=False):
        fig = figures[which]()
        slug = "".join(ch if ch.isalnum() else "-" for ch in which.lower()).strip("-")
        f[2].download_button("Download figure (HTML)",
                             lambda: aplots.figure_html(fig, offline=offline, title=which),
                             file_name=f"{data.key.label}-{slug}.html", mime="text/html", on_click="ignore",
                             key="audit_fig_html")
        # on request: the only plotly chart of the page, so a first visit loads no plotly.js
        if st.toggle("Preview the figure", key="audit_preview_on",
                     help="Draw the figure here, as the downloaded HTML page will show it."):
            st.plotly_chart(fig, key="audit_preview", config={"displaylogo": False})
            words.note("A preview of the file you download: the same figure, as an HTML page that opens "
                       "anywhere.")
