"""Shared look of the figures: one colour per group, in the same order everywhere."""

from __future__ import annotations

from collections.abc import Sequence

#: Ink for reference lines, outlines and small text that must read on the light *and* the dark theme
#: (the app follows the browser's preference; a figure cannot know which one it lands on). A grey of
#: relative luminance ~0.2 has a contrast of ~4.2:1 against both white and Streamlit's dark #171614,
#: where black or white would vanish on one of them.
INK = "#7A7A7A"
# Okabe-Ito: distinguishable for the common colour-vision deficiencies (its black replaced by INK).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", INK)
HIGHLIGHT = "#D62728"
MUTED = "#9E9E9E"
TEMPLATE = "none"


def group_colors(groups: Sequence[object]) -> dict[str, str]:
    """Colour of each group label (as a string), cycling through the palette."""
    return {str(g): PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}


def base_layout(**overrides) -> dict:
    layout = dict(template=TEMPLATE, margin=dict(l=50, r=20, t=50, b=45),
                  legend=dict(orientation="h", y=-0.18))
    layout.update(overrides)
    return layout


def plain_numbers(fig):
    """Axis ticks as plain decimals on every axis of ``fig`` (plotly's default SI prefixes turn 0.000494
    nats into "494µ"); returns ``fig``."""
    fig.update_xaxes(exponentformat="none")
    fig.update_yaxes(exponentformat="none")
    return fig
