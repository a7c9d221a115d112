"""Image unlearning: remove stroke thickness or slant from digit images and watch the images change."""

import streamlit as st

import ui
from ui import images as iui
from ui import words
from ui.nav import ensure_frame
from ui.remote_files import ensure_files
from ui.usable import current_data_for
from unlearn_core.images import figures

ensure_frame()  # must come first: a deep link on a fresh server may skip app.py
state = ui.state()

st.title("Image unlearning: remove a visual attribute")
st.caption(
    "Z is measured from the pixels (Morpho-MNIST style): **thickness** = twice the mean distance from the "
    "stroke's centre line to its edge, **slant** = the shear of the image's second moments; each is split "
    "at its median. The barycenter of the two groups is fitted in a PCA code space and every image moves "
    "along the McCann path x_t = (1 − t) x + t D(T_z(E(x))) toward its decoded barycenter image. The "
    "images are the sidebar's dataset; Z here is the attribute measured from the pixels, picked below."
)

# the sidebar's dataset when it is image data; else one sentence and buttons to the image datasets
dataset = current_data_for("images", "Image unlearning", prefer="digits").key.name
c = st.columns(3)
c[0].caption(f"Images: **{iui.dataset_title(dataset)}** (the sidebar's dataset).")
ATTRIBUTES, METHODS = iui.attributes(), iui.method_titles()
attribute = c[1].selectbox(
    "Attribute Z to remove",
    list(ATTRIBUTES),
    **ui.bind("img_attribute", "img_attribute", options=list(ATTRIBUTES),
              fallback=list(ATTRIBUTES)[0], what="Attribute"),
    format_func=lambda a: f"{a} ({' vs '.join(ATTRIBUTES[a][0])})",
)
method_names = list(METHODS)
method = c[2].selectbox(
    "Transport",
    method_names,
    **ui.bind("img_method", "img_method", options=method_names, fallback=method_names[0], what="Transport"),
    help="\n\n".join(f"**{m}**: {METHODS[m]}" for m in method_names),
)
st.caption(f"**{method}**: {METHODS[method]}")
key = iui.ImageKey(dataset, attribute, method, int(state.seed))

if not ensure_files(dataset):  # MNIST is not shipped: say where to get it and take the upload
    st.stop()
with ui.engine_errors(f"Loading {dataset} with Z = {attribute}"):
    ds = iui.load_images(dataset, attribute)
with ui.engine_errors(f"Fitting the {method} barycenter of the images"):
    if iui.is_fitted(key):
        fitted = iui.image_fit(key)
    else:
        bar = st.progress(0.0, text=f"Fitting the {method} barycenter on {dataset}…")
        fitted = iui.image_fit(
            key, progress=lambda frac, msg: bar.progress(min(max(frac, 0.0), 1.0), text=msg)
        )
        bar.empty()
fit = fitted.fit
n_train, n_test = len(fitted.train[0]), len(fitted.test[0])
st.caption(
    f"**{ds.name}**: {ds.n_samples:,} images {ds.image_shape[0]}×{ds.image_shape[1]}, Z = {attribute} "
    f"({', '.join(f'{g}: {n:,}' for g, n in ds.group_counts().items())}). Fitted on {n_train:,} training "
    f"images in {fit.seconds:.1f} s; the grid and the frontier use the {n_test:,} held-out images. "
    f"V = {fit.total_cost:.3g} (in the code space, training images), reconstruction error R = "
    f"{fit.residual:.3g}. {fit.notes}."
)


@ui.fragment  # st.fragment with the error boundary inside (ui.boundary)
def explorer() -> None:
    """The grid and the frontier: rerun alone when t moves."""
    st.slider(
        "t: how far along the path to the barycenter (0 = original images, 1 = fully unlearned)",
        0.0,
        1.0,
        step=ui.T_STEP,
        key=ui.bound_key("t"),
        on_change=ui.commit,
        args=("t",),
    )
    t = state.t
    left, right = st.columns([3, 2])
    with left:
        with ui.engine_errors("Drawing the grid", stop=False):
            png = iui.grid_png(key, t)
            st.image(
                png,
                output_format="PNG",
                caption=f"Held-out images of each group: originals and at t = {t:.2f}, the measured "
                f"{attribute} ({ATTRIBUTES[attribute][1]}) under each.",
            )
            st.download_button(
                "Image grid (PNG)",
                data=png,
                file_name=f"{key.label}-t{t:.2f}.png",
                mime="image/png",
                on_click="ignore",
                key="img_dl_png",
            )
            words.note(f"Compare each row's originals with the images at t: the {attribute} measured under "
                       "each image should become alike across the two groups while the digit stays legible.")
    with right:
        st.markdown("**Frontier for images**: digit accuracy vs the strong attacker's AUC for Z")
        if not iui.frontier_ready(key):
            bar = st.progress(0.0, text="One digit classifier and one attacker per t…")
            progress = lambda frac, msg: bar.progress(min(max(frac, 0.0), 1.0), text=msg)  # noqa: E731
        else:
            bar, progress = None, None
        with ui.engine_errors("Computing the image frontier", stop=False):
            frontier = iui.image_frontier(key, progress=progress)
            if bar is not None:
                bar.empty()
            st.vega_lite_chart(*figures.frontier_chart(frontier, t=t), width="stretch", key="img_frontier")
            words.note("The ringed point is your t. Up means the digits are still read correctly; right "
                       "means an attacker still tells the two groups apart from the images.")
            D, L = fit.analytic(t)
            m = st.columns(2)
            m[0].metric("D(t) = t²V", f"{D:.3g}", help="distortion of the codes in the representation")
            m[1].metric("L(t) = (1 − t)²V", f"{L:.3g}", help="W2 leakage left in the representation")
            st.vega_lite_chart(*figures.analytic_chart(frontier, t=t), width="stretch", key="img_analytic")
            words.note("In the code space the trade-off is exact: distortion D = t²V rises as the leakage "
                       "L = (1 − t)²V falls.")
            st.download_button(
                "Frontier (CSV)",
                data=frontier.to_csv(),
                file_name=f"{key.label}-frontier.csv",
                mime="text/csv",
                on_click="ignore",
                key="img_dl_csv",
            )
    ui.sync_url()


explorer()
