"""Feature unlearning on images: the barycenter of the Z groups in a PCA code space, decoded to pixels.

With the representation of :mod:`.representation` (code c = E(x), decoder D, residual r(x) ⊥ codes) and
group maps T_z fitted on the training codes (``method``: see ``METHODS``), an image x of group z goes to

.. math::

    \\hat T_z(x) = D(T_z(E(x))), \\qquad x_t = (1 - t)\\, x + t\\, \\hat T_z(x), \\quad t \\in [0, 1],

the McCann path in pixel space from the image to its decoded barycenter image. Its code moves along the
McCann path of the representation, E(x_t) = (1 - t) c + t T_z(c), and its residual shrinks to 0:
x_t - x = t (W^T (T_z(c) - c) - r(x)) with the two terms orthogonal, so

.. math::

    D(t) = \\mathbb{E}\\|x_t - x\\|^2 = t^2 (V + R), \\qquad L(t) = (1 - t)^2 V,

where V = sum_z w_z W2^2(Law(c | z), mu_bar) is the barycenter cost in the representation (the analytic
frontier D(t) = t^2 V, L(t) = (1 - t)^2 V of docs/design.md 3.1 in the code space) and R = E||r(x)||^2 the
reconstruction error, paid once the residual is dropped. At t = 1 an image is fully determined by its
transported code: whatever the residual said about Z is gone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._utils import RandomState, as_2d_float, encode_groups, group_weights
from ..transport import distortion_leakage, mccann
from .neural import NeuralBarycenter, fit_neural_ot
from .representation import PCARepresentation, fit_pca
from .stratified import StratifiedBarycenter, fit_by_digit

Progress = Callable[[float, str], None]

METHODS: dict[str, str] = {
    "gaussian": "Gaussian (Bures-Wasserstein) barycenter: affine maps equalising each group's code mean and "
    "covariance. Fast; groups still differ beyond second moments.",
    "ot-randomized": "Equal in law: exact OT to a shared discrete barycenter, each image sent to a support "
    "point drawn from its plan, so at t = 1 both groups have the same distribution of codes.",
    "neural-ot": "Neural OT (Korotin et al., ICLR 2023): two small networks learn the optimal map between "
    "the groups (two groups only); trained on the CPU in about a minute.",
    "ot-by-digit": "Equal in law within each predicted digit: ot-randomized maps fitted per digit that a "
    "classifier reads off the image, so only what the digit itself says about Z remains (needs the labels "
    "to fit).",
}
DEFAULT_METHOD = "ot-by-digit"  # the page's default: meets the MNIST acceptance bar


def methods() -> list[str]:
    """Names of the image transport methods, the default first."""
    return [DEFAULT_METHOD, *(m for m in METHODS if m != DEFAULT_METHOD)]


def default_n_components(n_features: int, n_samples: int) -> int:
    """k = 32 codes, capped at half the pixels and n - 1 (16 for scikit-learn's 8x8 digits)."""
    return int(max(1, min(32, n_features // 4, n_samples - 1)))


@dataclass(frozen=True, eq=False)
class ImageTransport:
    """Fitted image transport: a representation and group maps in it (module docstring).

    Attributes
    ----------
    method : one of :func:`methods`. representation : the fitted PCA.
    groups : (K,) group labels, sorted; weights : (K,) w_z.
    total_cost : V in the representation; group_costs : (K,) W2^2 of each group to the barycenter.
    residual : R = mean ||r(x)||^2 over the training images.
    image_shape : (h, w). seconds : fit wall time. notes : remarks for the user.
    """

    method: str
    representation: PCARepresentation
    groups: np.ndarray
    weights: np.ndarray
    total_cost: float
    group_costs: np.ndarray
    residual: float
    image_shape: tuple[int, int]
    seconds: float
    notes: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    _maps: Any = field(default=None, repr=False)

    def _codes(self, z: Any, n: int) -> np.ndarray:
        import pandas as pd

        z_arr = np.asarray(z)
        if z_arr.ndim != 1 or z_arr.shape[0] != n:
            raise ValueError(f"z must hold one group label per image ({n}), got shape {z_arr.shape}")
        codes = pd.Index(self.groups).get_indexer(z_arr)
        if codes.size and codes.min() < 0:
            raise ValueError(
                f"z contains labels never seen in fitting; known groups: {[str(g) for g in self.groups]}"
            )
        return codes.astype(np.int64)

    def code_endpoints(self, X: Any, z: Any) -> np.ndarray:
        """T_z(E(x)) for every image: the transported codes at t = 1, shape (n, k)."""
        arr = as_2d_float(X)
        C = self.representation.encode(arr)
        codes = self._codes(z, arr.shape[0])
        if isinstance(self._maps, (NeuralBarycenter, StratifiedBarycenter)):
            return self._maps.endpoint(C, codes)
        return self._maps.transform(C, self.groups[codes], t=1.0)

    def endpoints(self, X: Any, z: Any) -> np.ndarray:
        """The decoded barycenter images D(T_z(E(x))), shape (n, d): x_t at t = 1.

        For the randomised methods each image's draw is seeded by the fit's ``random_state`` (the same
        image gets the same draw); compute this once and blend with :func:`blend` for every t.
        """
        return self.representation.decode(self.code_endpoints(X, z))

    def transform(self, X: Any, z: Any, t: float = 1.0) -> np.ndarray:
        """x_t = (1 - t) x + t D(T_z(E(x))) for t in [0, 1] (module docstring); the input is not modified."""
        t = _check_t(t)
        arr = as_2d_float(X)
        return blend(arr, self.endpoints(arr, z), t)

    def analytic(self, t: float) -> tuple[float, float]:
        """(D(t), L(t)) = (t^2 V, (1 - t)^2 V) in the representation."""
        return distortion_leakage(_check_t(t), self.total_cost)


def _check_t(t: float) -> float:
    t = float(t)
    if not 0.0 <= t <= 1.0:
        raise ValueError(
            f"t must be in [0, 1] (0 keeps the images, 1 maps them onto the barycenter), got {t}"
        )
    return t


def blend(X: np.ndarray, endpoints: np.ndarray, t: float) -> np.ndarray:
    """The McCann point (1 - t) X + t X1, exactly X at t = 0 and exactly X1 at t = 1."""
    return mccann(X, endpoints, _check_t(t))


def fit_image_transport(
    X: Any,
    z: Any,
    *,
    image_shape: tuple[int, int],
    method: str = "ot-randomized",
    n_components: int | None = None,
    random_state: RandomState = 0,
    progress: Progress | None = None,
    y: Any = None,
    **options: Any,
) -> ImageTransport:
    """Fit the representation and the group barycenter maps on training images.

    Parameters
    ----------
    X : (n, h*w) flattened training images.
    z : (n,) group labels (at least 2 groups, 2 rows each; ``neural-ot`` needs exactly 2).
    image_shape : (h, w).
    method : "ot-randomized" (default, groups equal in law), "ot-by-digit" (equal in law within each
        predicted digit; needs ``y``), "gaussian" or "neural-ot".
    n_components : PCA codes k (default :func:`default_n_components`).
    random_state : seeds the PCA, the maps and the randomised draws.
    progress : called with (fraction done, message) during the fit.
    y : (n,) digit labels, needed by ``ot-by-digit`` only (to fit its digit classifier).
    **options : passed to the method (``transport.fit_barycenter`` options, or ``fit_neural_ot``'s).
    """
    from .. import transport

    if method not in METHODS:
        raise ValueError(f"unknown image transport method {method!r}; choose one of {', '.join(methods())}")
    start = time.perf_counter()
    report = progress or (lambda frac, msg: None)
    arr = as_2d_float(X)
    n, d = arr.shape
    height, width = (int(v) for v in image_shape)
    if height * width != d:
        raise ValueError(f"image_shape {image_shape} has {height * width} pixels but X has {d} columns")
    codes, labels = encode_groups(np.asarray(z))
    if codes.size != n:
        raise ValueError(f"X has {n} rows but z has {codes.size} labels; align them row by row")
    k = default_n_components(d, n) if n_components is None else int(n_components)
    report(0.0, f"PCA with {k} components")
    rep = fit_pca(arr, n_components=k, random_state=random_state)
    C = rep.encode(arr)
    residual = float(np.mean(((arr - rep.decode(C)) ** 2).sum(1)))
    report(0.15, f"fitting the {method} barycenter")
    notes = [f"PCA {k} codes keep {rep.explained_variance_ratio.sum():.1%} of the variance"]
    if method == "ot-by-digit":
        if y is None:
            raise ValueError("method 'ot-by-digit' needs y, the digit label of every training image")
        sub = (lambda frac, msg: report(0.15 + 0.85 * frac, msg)) if progress else None
        maps = fit_by_digit(
            C, codes, np.asarray(y), labels, random_state=random_state, progress=sub, **options
        )
        w, total, gcosts = maps.weights, maps.total_cost, maps.group_costs
        notes.append(maps.notes)
    elif method == "neural-ot":
        if labels.size != 2:
            raise ValueError(f"the neural OT method handles exactly 2 groups, got {labels.size}")
        w = group_weights(codes, 2, "empirical")
        sub = (lambda frac, msg: report(0.15 + 0.85 * frac, msg)) if progress else None
        maps = fit_neural_ot(C, codes, w, labels, random_state=random_state, progress=sub, **options)
        total, gcosts = maps.total_cost, maps.group_costs
        notes.append("neural maps: approximate (trained by stochastic gradients)")
    else:
        maps = transport.fit_barycenter(C, labels[codes], method=method, random_state=random_state, **options)
        w, total, gcosts = maps.weights, maps.total_cost, maps.group_costs
        if maps.notes:
            notes.append(maps.notes)
    report(1.0, "done")
    return ImageTransport(
        method=method,
        representation=rep,
        groups=labels,
        weights=np.asarray(w, float),
        total_cost=float(total),
        group_costs=np.asarray(gcosts, float),
        residual=residual,
        image_shape=(height, width),
        seconds=time.perf_counter() - start,
        notes="; ".join(notes),
        options=dict(
            n_components=k, random_state=random_state if isinstance(random_state, int) else None, **options
        ),
        _maps=maps,
    )


__all__ = [
    "DEFAULT_METHOD",
    "ImageTransport",
    "METHODS",
    "blend",
    "default_n_components",
    "fit_image_transport",
    "methods",
]
