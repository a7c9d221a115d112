"""Home: what the explorer is, and a summary of the default dataset."""

import streamlit as st

from unlearn_core import datasets


@st.cache_data(show_spinner=False)
def _summary(name: str) -> dict:
    return datasets.load(name).summary()


st.title("Machine unlearning via information-theoretic regularisation")
st.markdown(
    "Forget a sensitive attribute Z (or a set of data points) while keeping as much utility as possible: "
    "maximise utility minus λ · I(S'; Z)."
)
s = _summary(datasets.names()[0])
st.subheader(f"Dataset: {s['name']}")
cols = st.columns(3)
cols[0].metric("Rows", s["rows"])
cols[1].metric("Features", s["features"])
cols[2].metric("Groups", len(s["groups"]))
st.caption(f"Source: {s['source']}")
