"""The app's own style sheet: small-screen layout rules. Colours are left to Streamlit's theme.

The app follows the browser's light / dark preference (``.streamlit/config.toml`` defines both themes and
forces neither), so nothing here sets a colour. The rules apply below :data:`NARROW_PX` (a phone held
upright, 390 px in the tests), where Streamlit stacks every column:

- a row of metrics next to a slider keeps the slider on its own line and puts the metrics two per line,
  so the t slider stays close to the charts it moves instead of a screen above them;
- a wide image (the image page's grid of thumbnails) keeps a readable size and scrolls sideways,
  rather than shrinking every thumbnail to a sliver;
- a display formula that is still too wide scrolls sideways inside its own box instead of being cut
  off (Home's formulas are written as short lines, so they fit at 390 px).
"""

from __future__ import annotations

import streamlit as st

NARROW_PX = 640
#: The width a wide image keeps on a narrow screen (it scrolls sideways inside its box).
MIN_IMAGE_PX = 560

# A row of metrics: a horizontal block with a metric and no row nested inside (an outer layout row that
# merely contains such a row keeps Streamlit's stacking).
_ROW = ('[data-testid="stHorizontalBlock"]:has([data-testid="stMetric"])'
        ':not(:has([data-testid="stHorizontalBlock"]))')

CSS = f"""<style>
@media (max-width: {NARROW_PX}px) {{
  {_ROW} {{
    flex-flow: row wrap !important; gap: 0.25rem 1rem !important;
  }}
  {_ROW} > [data-testid="stColumn"] {{
    flex: 1 1 calc(50% - 1rem) !important; width: auto !important; min-width: 0 !important;
  }}
  {_ROW} > [data-testid="stColumn"]:has([data-testid="stSlider"]) {{
    flex-basis: 100% !important;
  }}
  [data-testid="stMetricValue"] {{ font-size: 1.6rem; }}
  [data-testid="stImage"] {{ overflow-x: auto; max-width: 100%; }}
  [data-testid="stImage"] img {{ min-width: {MIN_IMAGE_PX}px; }}
  .katex-display {{ overflow-x: auto; overflow-y: hidden; }}
}}
</style>"""


def inject() -> None:
    """Add the style sheet to the page (call once per run, before the page draws)."""
    st.html(CSS)
