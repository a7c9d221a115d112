"""Keyboard access to chart points: a list of the frontier's points that sets t, reachable with Tab.

A click on a frontier point selects its t, but a chart's marks cannot take keyboard focus. The picker
lists the same points (t, leakage, utility, Pareto) in a select box bound to ``AppState.t``: Tab to
it, arrow keys or type to choose, Enter to go. It follows t when the slider or a click moves it.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from .state import bound_key, state

FRONTIER_KEY = "frontier_points"


def _short(label: str) -> str:
    """A column's label without its parenthesised detail: "attacker AUC for Z (…)" -> "attacker AUC for Z"."""
    return label.split(" (")[0]


def point_labels(frontier) -> dict[float, str]:
    """t -> "t = 0.50 · attacker AUC for Z 0.665 · AUC 0.861 · Pareto" for every row of the frontier."""
    from unlearn_core.plots.frontier import _label

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


def _picked(key: str) -> None:
    state().set_t(st.session_state[key])


def frontier_point_picker(frontier, *, key: str = FRONTIER_KEY,
                          label: str = "Frontier point (sets t)") -> None:
    """A select box of the frontier's points, bound to t (the point nearest the current t is shown)."""
    labels = point_labels(frontier)
    ts = list(labels)
    if not ts:
        return
    nearest = ts[int(np.argmin(np.abs(np.asarray(ts) - state().t)))]
    st.selectbox(label, ts, format_func=labels.get, key=bound_key("t", key, value=nearest),
                 on_change=_picked, args=(key,),
                 help="The points of the chart above, for the keyboard: Tab here, choose with the arrow keys "
                 "or by typing, Enter to move t there.")
