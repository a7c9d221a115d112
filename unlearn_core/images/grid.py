"""A picture of the unlearning: originals and their images at t, the measured attribute under each.

Drawn with Pillow straight into one PNG (no plotting library): a t step only blends two small arrays,
measures them and encodes a few kilobytes, which keeps the page's redraw well under its 300 ms budget.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..datasets import morpho
from .transport import blend

_LABEL_H = 14
_TITLE_W = 118
_PAD = 4


@dataclass(frozen=True, eq=False)
class GridSample:
    """The images shown in the grid and their endpoints at t = 1 (computed once per fit).

    Attributes
    ----------
    originals, endpoints : (m, h*w) pixel rows; ``endpoints`` are the decoded barycenter images.
    groups : (m,) group label of each image (the grid shows one row pair per group).
    attribute : "thickness" or "slant" (measured under each image). image_shape : (h, w).
    """

    originals: np.ndarray
    endpoints: np.ndarray
    groups: np.ndarray
    attribute: str
    image_shape: tuple[int, int]

    def at(self, t: float) -> np.ndarray:
        """The images at t, clipped to the pixel range [0, 1] for display."""
        return np.clip(blend(self.originals, self.endpoints, t), 0.0, 1.0)

    def measured(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """The attribute measured on the originals and on the images at t (clipped as displayed)."""
        return (
            morpho.measure(self.originals, self.attribute, image_shape=self.image_shape),
            morpho.measure(self.at(t), self.attribute, image_shape=self.image_shape),
        )


def pick_sample(z: np.ndarray, *, per_group: int = 8, random_state: int = 0) -> np.ndarray:
    """Indices of ``per_group`` images of each group (seeded, sorted by group), for the grid."""
    if per_group < 1:
        raise ValueError(f"per_group must be at least 1, got {per_group}")
    rng = np.random.default_rng(random_state)
    z = np.asarray(z)
    out = []
    for g in sorted(np.unique(z).tolist(), key=str):
        rows = np.flatnonzero(z == g)
        out.append(np.sort(rng.choice(rows, size=min(per_group, rows.size), replace=False)))
    return np.concatenate(out)


def render_grid(sample: GridSample, t: float, *, zoom: int | None = None) -> bytes:
    """PNG bytes: for each group a row of originals and a row of their images at t, value under each.

    Parameters
    ----------
    sample : the images and their endpoints.
    t : the McCann parameter in [0, 1].
    zoom : pixels per image pixel (default: images drawn about 64 pixels high).
    """
    from PIL import Image, ImageDraw

    h, w = sample.image_shape
    zoom = max(1, int(round(64 / h))) if zoom is None else int(zoom)
    before, after = sample.measured(t)
    shown = sample.at(t)
    unit = morpho.UNITS[sample.attribute]
    groups = sorted(np.unique(sample.groups).tolist(), key=str)
    cols = max(int(np.sum(sample.groups == g)) for g in groups)
    tile_w, tile_h = w * zoom + _PAD, h * zoom + _LABEL_H + _PAD
    canvas = Image.new("L", (_TITLE_W + cols * tile_w, 2 * len(groups) * tile_h + _PAD), color=255)
    draw = ImageDraw.Draw(canvas)

    def tile(pixels: np.ndarray) -> Image.Image:
        arr = (255 - np.round(pixels.reshape(h, w) * 255)).astype(np.uint8)  # ink dark on white
        return Image.fromarray(arr, mode="L").resize((w * zoom, h * zoom), Image.NEAREST)

    for gi, g in enumerate(groups):
        idx = np.flatnonzero(sample.groups == g)
        for ri, (title, imgs, vals) in enumerate(
            ((f"{g}: original", sample.originals, before), (f"{g}: t = {t:.2f}", shown, after))
        ):
            y0 = (2 * gi + ri) * tile_h + _PAD
            draw.text((4, y0 + h * zoom // 2 - 6), title, fill=0)
            for ci, i in enumerate(idx):
                x0 = _TITLE_W + ci * tile_w
                canvas.paste(tile(np.clip(imgs[i], 0.0, 1.0)), (x0, y0))
                draw.text((x0 + 2, y0 + h * zoom + 1), f"{vals[i]:.2f} {unit}", fill=0)
    buf = io.BytesIO()
    canvas.save(buf, format="PNG", optimize=False, compress_level=1)
    return buf.getvalue()


def grid_sample(fit, X: np.ndarray, z: Sequence, rows: np.ndarray, attribute: str) -> GridSample:
    """The :class:`GridSample` of images ``rows`` of (X, z) under the fitted transport ``fit``."""
    X_rows = np.asarray(X, dtype=float)[rows]
    z_rows = np.asarray(z)[rows]
    return GridSample(
        originals=X_rows,
        endpoints=fit.endpoints(X_rows, z_rows),
        groups=z_rows,
        attribute=attribute,
        image_shape=tuple(fit.image_shape),
    )


__all__ = ["GridSample", "grid_sample", "pick_sample", "render_grid"]
