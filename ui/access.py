"""Keyboard access to chart points: a list of the frontier's points that sets t, reachable with Tab.

A click on a frontier point selects its t, but a chart's marks cannot take keyboard focus. The picker
lists the same points (t, leakage, utility, Pareto) in a select box: Tab to it, arrow keys or type to
choose, Enter to move t there (the slider and the charts follow).

It is a one-shot control, empty between picks, not a second widget bound to t: a widget that followed
t would get a new value from the server on every t step, and with fast key presses on the slider the
browser can send that widget's previous value back in the next rerun, which would read as a pick and
undo the presses (the race of issue 16).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from .boundary import callback
from .state import state

FRONTIER_KEY = "frontier_points"


def _short(label: str) -> str:
    """A column's label without its parenthesised detail: "attacker AUC for Z (…)" -> "attacker AUC for Z"."""
    return label.split(" (")[0]


def point_labels(frontier) -> dict[float, str]:
    """t -> "t = 0.50 · attacker AUC for Z 0.665 · AUC 0.861 · Pareto" for every row of the frontier."""
    from unlearn_core.labels import label as _label

    tab = frontier.table
    leak, util = frontier.leakage, frontier.utility
    out = {}
    for _, row in tab.iterrows():
        parts = [f"t = {float(row['t']):.2f}"]
        if leak in row and np.isfinite(row[leak]):
            parts.append(f"{_short(_label(leak))} {float(row[leak]):.3f}")
        if util in row and np.isfinite(row[util]):
            parts.append(f"{_short(_label(util))} {float(row[util]):.3f}")
        if bool(row.get("pareto", False)):
            parts.append("Pareto")
        out[float(row["t"])] = " · ".join(parts)
    return out


@callback("Choosing a point of the frontier")
def _picked(key: str) -> None:
    """Move t to the picked point and empty the box for the next pick."""
    value = st.session_state.get(key)
    if value is not None:
        state().set_t(value)
        st.session_state[key] = None


def frontier_point_picker(frontier, *, key: str = FRONTIER_KEY,
                          label: str = "Frontier point (sets t)") -> None:
    """A select box of the frontier's points; choosing one sets t (see the module docstring)."""
    labels = point_labels(frontier)
    ts = list(labels)
    if not ts:
        return
    st.selectbox(label, ts, index=None, format_func=labels.get, key=key, on_change=_picked, args=(key,),
                 placeholder="Jump to a point of the chart…",
                 help="The points of the chart above, for the keyboard: Tab here, choose with the arrow keys "
                 "or by typing, Enter to move t there.")
