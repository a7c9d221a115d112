"""Home: the idea in a few formulas, a live mini-demo on the 2-D toy, and a way into every page."""

import streamlit as st

import ui
from ui import words
from ui.cache import DataKey
from ui.nav import ensure_frame, page_blurb, registered_pages
from unlearn_core.plots import vega

ensure_frame()  # must come first: a deep link on a fresh server may skip app.py
state = ui.state()

st.title("Machine unlearning via information-theoretic regularisation")
st.markdown(
    "We want a learning outcome S' (transformed data, or a model's outputs) that keeps what is useful "
    "about the data but tells nothing about a sensitive attribute Z (sex, race, … or whether a record "
    "was in the training set). One knob λ trades the two:"
)
st.latex(r"\max_{S'}\; U(S;\,S') \;-\; \lambda\, I(S';\,Z)")
st.markdown(
    "For feature unlearning the optimum has a geometric answer (Xu & Strohmer, arXiv 2502.05684): move "
    "every group's distribution μ_z to their **Wasserstein-2 barycenter**, with the optimal maps T_z. "
    "The result is independent of Z and distorts the data as little as any Z-independent outcome can:"
)
st.latex(  # short lines (gathered): one long line is clipped on a phone (390 px)
    r"\begin{gathered}\bar\mu = \arg\min_\nu \sum_z w_z\, W_2^2(\mu_z, \nu), \\ "
    r"\bar X = T_Z(X), \qquad I(\bar X; Z) = 0, \\ "
    r"\mathbb{E}\|X - \bar X\|^2 = V := \sum_z w_z W_2^2(\mu_z, \bar\mu)\end{gathered}"
)
st.markdown("Partial unlearning walks the straight (McCann) path towards the barycenter:")
st.latex(
    r"\begin{gathered}X_t = (1-t)\,X + t\,T_Z(X), \\ D(t) = t^2 V,\qquad L(t) = (1-t)^2 V, \\ "
    r"\sqrt{D} + \sqrt{L} = \sqrt{V},\qquad t^\ast = \frac{\lambda}{1+\lambda}\end{gathered}"
)
st.caption(
    "D is the distortion E‖X − X_t‖², L the W2 leakage Σ_z w_z W2²(Law(X_t | z), μ̄); t* minimises D + λL."
)

st.subheader("Try it: two Gaussian groups in 2-D")
demo = st.container(border=True)
with demo:
    c1, c2 = st.columns([3, 1])
    # the app's one t (state.t): the same t on every page, carried between them and in the URL
    c2.slider("t (0 = original, 1 = barycenter)", 0.0, 1.0, step=ui.T_STEP, key=ui.bound_key("t", "home_t"),
              on_change=ui.commit, args=("t", "home_t"))
    t = state.t
    lam = ui.lam_of(t)
    c2.metric("λ = t / (1 − t)", "∞" if lam == float("inf") else f"{lam:.2f}")
    with ui.engine_errors("The mini-demo", stop=False):
        key = DataKey("toy-gaussians", seed=state.seed)
        fit = ui.cached_fit(key, "gaussian", state.seed)
        pts = ui.cached_display(key, "gaussian", state.seed, None, 600)
        c2.metric("V of this demo", f"{fit.maps.total_cost:.3f}",
                  help="The cost of full unlearning for these two toy groups with the Gaussian (closed-form) "
                  "barycenter, measured on the training split. The Feature-unlearning page shows V of the "
                  "sidebar's dataset and method.")
        c2.metric("D(t) = t²V", f"{ui.distortion_leakage(t, fit.maps.total_cost)[0]:.3f}")
        c2.caption("This t is the app's t: the other pages open at it.")
        # Vega-Lite rather than plotly on the first page: its renderer loads ~4x faster on a cold start.
        # The spec does not change with t (only the data), so a t step updates the drawn chart in place.
        demo_data, demo_spec = vega.transport_at(pts, t=t)
        c1.vega_lite_chart(demo_data, demo_spec, width="stretch", key="home_demo")
        with c1:
            words.note("Two groups (colours) move toward one shared cloud as t grows; at t = 1 you can no "
                       "longer tell which group a point came from.")

st.subheader("Explore")
pages = [p for p in registered_pages() if p.url_path]  # every page but Home itself
for p in pages:
    with st.container(border=True):
        st.page_link(p, label=p.title, icon=p.icon or None)
        source = getattr(p, "_page", None)  # the page file (st.Page keeps it privately)
        blurb = page_blurb(str(source)) if source is not None and not callable(source) else ""
        if blurb:
            st.caption(blurb)

st.subheader("Current dataset")
data = ui.current_data()
s = data.dataset.summary()
cols = st.columns(4)
cols[0].metric("Rows", f"{s['rows']:,}")
cols[1].metric("Features", s["features"])
cols[2].metric(words.group_count(str(s["sensitive"])), len(s["groups"]))
cols[3].metric("Task", s["task"] or "none")
st.caption("Group sizes: " + ", ".join(f"{k}: {v:,}" for k, v in s["groups"].items()))
ds = data.dataset
if ds.description:
    st.markdown(ds.description)
st.markdown(f"**Source:** {s['source'] or 'n/a'}  \n**License:** {s['license'] or 'n/a'}")
if ds.notes:
    st.caption(" · ".join(ds.notes))
if ui.cache.downloaded(data.key.name):
    st.caption("This dataset is downloaded once on first use and cached on your machine.")
