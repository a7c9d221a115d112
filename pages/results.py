"""Results: open what the batch command wrote (a folder or a .zip) and see it drawn as a live run."""

from __future__ import annotations

import math

import streamlit as st

import ui
from ui import results_view as rv
from ui.nav import ensure_frame

ensure_frame()  # must come first: a deep link on a fresh server may skip app.py

st.title("Results: open a batch run")
st.caption(
    "`python -m unlearn_core run STUDY.toml --out DIR` runs a study without the explorer (on this machine or "
    "a Dask cluster) and writes DIR/manifest.json plus Parquet tables. Open DIR here, or upload a .zip of "
    "it, to see the same charts as a live run, labelled as loaded."
)

shipped = sorted(p.name for p in ui.precomputed.PRECOMPUTED_DIR.glob("*") if (p / "manifest.json").is_file())
sources = ["folder", "zip"] + (["shipped"] if shipped else [])
labels = {"folder": "a folder on this machine", "zip": "an uploaded .zip archive",
          "shipped": "a result shipped with the explorer"}
source = st.radio("Open", sources, format_func=labels.get, horizontal=True, key="results_source")

opened = None
try:
    if source == "folder":
        path = st.text_input("Results folder (the batch command's --out)", key="results_path",
                             placeholder="/path/to/results")
        if not path.strip():
            st.info("Type the path of a results folder.", icon=":material/folder_open:")
            st.stop()
        opened = rv.open_folder(path)
    elif source == "zip":
        up = st.file_uploader("Results archive (.zip of the folder)", type=["zip"], key="results_zip")
        if up is None:
            st.info("Upload a .zip of a results folder.", icon=":material/upload_file:")
            st.stop()
        opened = rv.open_archive(up.getvalue(), up.name)
    else:
        name = st.selectbox("Shipped result", shipped, key="results_shipped")
        opened = rv.open_folder(ui.precomputed.PRECOMPUTED_DIR / name)
except rv.ResultsError as exc:
    st.error(f"**Cannot open these results.** {ui.md_text(exc)}", icon=":material/error:")
    st.stop()

for w in opened.warnings:
    st.warning(ui.md_text(w), icon=":material/warning:")
m = opened.manifest
st.success(f"Loaded **{m.get('kind')}** results from {ui.md_text(opened.source)}: computed on "
           f"{str(m.get('created', ''))[:19]} by the batch command, not live.", icon=":material/inventory_2:")

atts = rv.attackers(m, opened.tables)
attacker = st.selectbox("Attacker", atts, key="results_attacker") if len(atts) > 1 else None
frontier = rv.frontier(m, opened.tables, attacker=attacker)
if frontier is not None and frontier.kind == "analytic":
    from unlearn_core.plots import vega

    st.subheader("Utility vs leakage along the McCann path (loaded)")
    t = st.select_slider("Highlight t", [float(v) for v in frontier.table["t"]], key="results_t")
    st.vega_lite_chart(*vega.frontier_at(frontier, current=float(t)), width="stretch", key="results_frontier")
    V = float((frontier.meta or {}).get("V", math.nan))
    if "distortion" in frontier.table and math.isfinite(V):
        st.vega_lite_chart(*vega.distortion_leakage_at(frontier, V=V, t=float(t)), width="stretch",
                           key="results_dl")
elif frontier is not None:
    from unlearn_core.plots import training as tplots

    st.subheader("Trained frontier (loaded)")
    lams = [float(v) for v in frontier.table["lam"]]
    lam = st.select_slider("Highlight λ", lams, value=lams[-1], format_func=lambda v: f"{v:g}",
                           key="results_lam")
    st.plotly_chart(tplots.trained_frontier_figure(frontier, None, current=float(lam)), key="results_trained",
                    config={"displaylogo": False})

st.subheader("Tables")
for name, table in opened.tables.items():
    with st.expander(f"{name} ({len(table):,} rows × {table.shape[1]} columns)", expanded=frontier is None):
        st.dataframe(table, hide_index=True)
        st.download_button(f"{name} (CSV)", table.to_csv(index=False), file_name=f"{name}.csv",
                           mime="text/csv", on_click="ignore", key=f"results_dl_{name}")

st.subheader("What was run")
c = st.columns([3, 2])
with c[0]:
    st.table(rv.summary_rows(opened))
    st.markdown("**Study configuration**")
    st.json(m.get("study") or {}, expanded=False)
with c[1]:
    timings = rv.task_timings(opened)
    if len(timings):
        st.markdown("**Time per task (s)**")
        st.dataframe(timings, hide_index=True)
ui.sync_url()
