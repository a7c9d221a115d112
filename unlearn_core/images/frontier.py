"""The frontier for images: digit accuracy on the transformed images vs the strong attacker's AUC for Z.

For each t of a grid, with the maps fitted on the training images only:

- **utility**: a digit classifier trained on the transformed training images x_t and scored on the
  transformed test images (``accuracy``). The classifier is a k-nearest-neighbour vote (k = 5) on the
  first ``min(50, d)`` principal components of the transformed training images (its own PCA, refitted
  at every t), a strong and fast classifier for digits;
- **leakage**: the project's attacker (:func:`unlearn_core.leakage.attacker.attack`, cross-fitted
  gradient boosting by default) guessing Z from the pixels of the transformed *test* images, rows it
  never saw in fitting (``auc`` with its interval ``auc_lo``, ``auc_hi``);
- the **analytic** frontier in the representation, D(t) = t^2 V and L(t) = (1 - t)^2 V, and the pixel
  distortion t^2 (V + R) it implies (:mod:`.transport`), next to the measured mean ||x_t - x||^2 on the
  test images.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._utils import RandomState, as_2d_float, limit_threads, seed_from
from ..transport import distortion_leakage
from .transport import ImageTransport, blend

DEFAULT_TS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
COLUMNS = (
    "t",
    "accuracy",
    "auc",
    "auc_lo",
    "auc_hi",
    "distortion",
    "distortion_theory",
    "D_analytic",
    "L_analytic",
)


@dataclass(frozen=True, eq=False)
class ImageFrontier:
    """One row per t: accuracy, attacker AUC (and interval), measured and analytic distortion, L(t).

    Attributes
    ----------
    table : DataFrame with the columns ``COLUMNS``.
    V, R : barycenter cost in the representation and mean reconstruction error (training images).
    method, attacker : transport method and attacker model. n_train, n_test : images used.
    """

    table: pd.DataFrame
    V: float
    R: float
    method: str
    attacker: str
    n_train: int
    n_test: int
    meta: dict[str, Any] = field(default_factory=dict)

    def to_csv(self) -> bytes:
        """The table as CSV bytes (for the export button)."""
        return self.table.to_csv(index=False).encode("utf-8")


def digit_classifier(n_features: int, n_samples: int, *, random_state: RandomState = 0) -> Any:
    """The utility model: PCA to min(50, d, n - 1) components, then a 5-nearest-neighbour vote."""
    from sklearn.decomposition import PCA
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline

    k = int(max(1, min(50, n_features, n_samples - 1)))
    return make_pipeline(PCA(n_components=k, random_state=seed_from(random_state)), KNeighborsClassifier(5))


def image_frontier(
    fit: ImageTransport,
    train: tuple[Any, Any, Any],
    test: tuple[Any, Any, Any],
    *,
    ts: Sequence[float] = DEFAULT_TS,
    attacker: str = "hgb",
    max_rows: int | None = 4000,
    random_state: RandomState = 0,
    progress: Callable[[float, str], None] | None = None,
) -> ImageFrontier:
    """Accuracy and attacker AUC of the transformed images along a grid of t (module docstring).

    Parameters
    ----------
    fit : maps fitted on the training images.
    train, test : (X, y, z) triples: flattened images, digit labels, group labels.
    ts : values of t in [0, 1].
    attacker : ``attack``'s model ("hgb", the strong attacker, or "logistic").
    max_rows : test images the attacker uses (seeded subset; None for all).
    random_state : seeds the classifier's PCA and the attacker.
    progress : called with (fraction done, message) after each t.
    """
    from ..leakage.attacker import attack

    ts = [float(t) for t in ts]
    if not ts or any(not 0.0 <= t <= 1.0 for t in ts):
        raise ValueError(f"ts must be a non-empty list of values in [0, 1], got {ts}")
    (Xa, ya, za), (Xb, yb, zb) = [(as_2d_float(X), np.asarray(y), np.asarray(z)) for X, y, z in (train, test)]
    if Xa.shape[1] != Xb.shape[1]:
        raise ValueError(f"train images have {Xa.shape[1]} pixels but test images {Xb.shape[1]}")
    Ea, Eb = fit.endpoints(Xa, za), fit.endpoints(Xb, zb)
    rows = []
    for i, t in enumerate(ts):
        A, B = blend(Xa, Ea, t), blend(Xb, Eb, t)
        with limit_threads(1):
            clf = digit_classifier(A.shape[1], A.shape[0], random_state=random_state).fit(A, ya)
            acc = float(np.mean(clf.predict(B) == yb))
        res = attack(B, zb, model=attacker, max_rows=max_rows, random_state=random_state)
        D, L = fit.analytic(t)
        rows.append(
            dict(
                t=t,
                accuracy=acc,
                auc=res.auc,
                auc_lo=res.auc_ci[0],
                auc_hi=res.auc_ci[1],
                distortion=float(np.mean(((B - Xb) ** 2).sum(1))),
                distortion_theory=distortion_leakage(t, fit.total_cost + fit.residual)[0],
                D_analytic=D,
                L_analytic=L,
            )
        )
        if progress is not None:
            progress((i + 1) / len(ts), f"t = {t:.2f}: accuracy {acc:.3f}, attacker AUC {res.auc:.3f}")
    return ImageFrontier(
        table=pd.DataFrame(rows, columns=list(COLUMNS)),
        V=fit.total_cost,
        R=fit.residual,
        method=fit.method,
        attacker=attacker,
        n_train=len(Xa),
        n_test=len(Xb),
    )


__all__ = ["COLUMNS", "DEFAULT_TS", "ImageFrontier", "digit_classifier", "image_frontier"]
