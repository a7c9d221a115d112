"""Words beside the charts: the glossary popover, the one-line "what to look at" notes, labels.

The labels themselves (engine name -> screen label, with units) live in one engine-side module,
:mod:`unlearn_core.labels`, so figure builders and pages share them; this module re-exports them
and adds what needs streamlit: the glossary (one shared component, drawn by ``app.py`` on every page)
and :func:`note`, the line under a chart saying what to look at.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from unlearn_core.labels import (  # noqa: F401  (re-exported: pages import them from here)
    BARYCENTER_METHODS,
    LABELS,
    METHODS,
    MODELS,
    PENALTIES,
    columns,
    estimator_label,
    estimator_short,
    group_count,
    label,
    method_label,
    nats,
)

#: The glossary: every abbreviation and symbol the pages use, in one or two plain sentences.
GLOSSARY: dict[str, str] = {
    "Z": "The thing to forget: a sensitive attribute (sex, race, age group) for feature unlearning, or "
    "whether a row was in the forget set for data unlearning.",
    "t": "How far each row has moved along the straight (McCann) path to the barycenter: X_t = (1 − t)X + "
    "t·T_Z(X). t = 0 is the original data, t = 1 the fully unlearned data.",
    "λ": "The weight of the leakage penalty in utility − λ·I(S′; Z). On the barycenter path the best t "
    "for a given λ is t = λ / (1 + λ), so λ = t / (1 − t).",
    "V": "The cost of full unlearning: Σ_z w_z W2²(μ_z, μ̄), the mean squared distance every row travels "
    "to the barycenter. Measured on the training split (the rows the maps were fitted on).",
    "D": "Distortion D(t) = E‖X − X_t‖², how much the data changed (squared feature units). On the path, "
    "D = t²V.",
    "L": "W2 leakage L(t) = Σ_z w_z W2²(Law(X_t | z), μ̄): how far the groups still are from their common "
    "barycenter. On the path, L = (1 − t)²V; √D + √L = √V.",
    "W2": "The Wasserstein-2 distance between two distributions: the root mean squared distance an optimal "
    "plan moves mass to turn one into the other.",
    "MI": "Mutual information I(S′; Z), in nats: how much the outcome S′ tells about Z. 0 means "
    "independent; at most log(K) for K groups.",
    "AUC": "Area under the ROC curve of an attacker guessing Z (or of a model predicting y): 0.5 is "
    "chance, 1 is perfect. Measured on held-out rows.",
    "UA": "Unlearning accuracy: the model's accuracy on the forget set D_u. It should match a model "
    "retrained without D_u, neither higher (under-unlearning) nor far lower (over-unlearning).",
    "RA": "Retain accuracy: accuracy on the retained training rows D_r (should stay high).",
    "TA": "Test accuracy: accuracy on rows never used for training (should stay high).",
    "MIA": "Membership-inference attack: an attacker telling training rows from unseen rows by the "
    "model's loss. AUC 0.5 on the forget set means it cannot tell they were ever trained on.",
}


def glossary() -> None:
    """The glossary as a popover (one shared component; ``app.py`` draws it in the sidebar of every page)."""
    with st.popover("Glossary", icon=":material/menu_book:", help="What UA, RA, TA, MIA, W2, AUC, MI, λ, "
                    "t, V, D and L mean", width="stretch"):
        st.markdown("\n".join(f"- **{k}**: {v}" for k, v in GLOSSARY.items()))


def note(text: str) -> None:
    """The one line under a chart saying what to look at (a caption with a pointer icon)."""
    st.caption(f":material/visibility: {text}")


def screen_table(table: pd.DataFrame, cols: list[str], *, methods: bool = True) -> pd.DataFrame:
    """``table[cols]`` with screen labels as column names (and method names spelled out).

    Tables keep their machine column names only in the CSV downloads.
    """
    out = table[[c for c in cols if c in table]].copy()
    if methods and "method" in out:
        out["method"] = [method_label(str(m)) for m in out["method"]]
    return out.rename(columns=columns(out.columns))


V_NOTE = "V is measured on the training split (the rows the maps were fitted on)"
