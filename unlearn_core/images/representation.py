"""A learned linear representation of images (PCA) in which the group barycenter is fitted.

Transport between pixel vectors is dominated by where the ink is, and most of the 784 pixel axes of
MNIST carry almost no variance; PCA keeps the k directions of largest variance so the barycenter is
fitted in a space of a few dozen coordinates. With the training mean ``m`` and the orthonormal rows of
``W`` (k x d, the top-k right singular vectors of the centred training images):

.. math::

    E(x) = W (x - m), \\qquad D(c) = m + W^\\top c, \\qquad
    r(x) = x - D(E(x)) \\perp \\mathrm{rows}(W),

so an image splits into its code ``c = E(x)`` and a residual ``r(x)`` orthogonal to every code
direction, and ``||D(c) - D(c')|| = ||c - c'||``: distances (hence W2 costs) between decoded images
equal the distances between their codes.

Why PCA and not an autoencoder: the decoder is linear and isometric on the code space, so the analytic
D(t) = t^2 V of the representation is also the pixel distortion of the code part (see
:mod:`unlearn_core.images.transport`), and it fits in a second or two on MNIST without training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._utils import RandomState, as_2d_float, seed_from


@dataclass(frozen=True, eq=False)
class PCARepresentation:
    """Encoder / decoder of a k-component PCA fitted on training images.

    Attributes
    ----------
    mean : (d,) training mean image m.
    components : (k, d) orthonormal rows W.
    explained_variance_ratio : (k,) share of the training variance each component carries.
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray

    @property
    def n_components(self) -> int:
        return int(self.components.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.components.shape[1])

    def encode(self, X: np.ndarray) -> np.ndarray:
        """Codes c = W (x - m), shape (n, k)."""
        arr = as_2d_float(X)
        if arr.shape[1] != self.n_features:
            raise ValueError(
                f"X has {arr.shape[1]} pixels per row but the PCA was fitted on {self.n_features}"
            )
        return (arr - self.mean) @ self.components.T

    def decode(self, C: np.ndarray) -> np.ndarray:
        """Images D(c) = m + W^T c, shape (n, d)."""
        arr = as_2d_float(C, "C")
        if arr.shape[1] != self.n_components:
            raise ValueError(
                f"codes have {arr.shape[1]} columns but the PCA has {self.n_components} components"
            )
        return arr @ self.components + self.mean


def fit_pca(X: np.ndarray, *, n_components: int, random_state: RandomState = 0) -> PCARepresentation:
    """Fit a k-component PCA on the rows of ``X`` (randomised SVD, seeded).

    Parameters
    ----------
    X : (n, d) training images, one flattened image per row.
    n_components : k, between 1 and min(n - 1, d).
    random_state : seeds the randomised SVD.
    """
    from sklearn.decomposition import PCA

    arr = as_2d_float(X)
    n, d = arr.shape
    k = int(n_components)
    if not 1 <= k <= min(n - 1, d):
        raise ValueError(
            f"n_components must be between 1 and min(n_samples - 1, n_features) = {min(n - 1, d)}, "
            f"got {n_components}"
        )
    solver = "randomized" if k < 0.8 * min(n, d) else "full"
    pca = PCA(n_components=k, svd_solver=solver, random_state=seed_from(random_state)).fit(arr)
    return PCARepresentation(
        mean=pca.mean_.copy(),
        components=np.ascontiguousarray(pca.components_),
        explained_variance_ratio=pca.explained_variance_ratio_.copy(),
    )


__all__ = ["PCARepresentation", "fit_pca"]
