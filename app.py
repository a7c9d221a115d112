"""Streamlit entry point: the router and the shared frame of the unlearning explorer.

Run with ``streamlit run app.py``.
"""

import streamlit as st

st.set_page_config(page_title="Unlearning explorer", page_icon=":material/blur_on:", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
]
st.navigation(pages).run()
