"""Synthetic worlds whose ground truth is known."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._utils import RandomState, check_random_state
from ._base import Dataset, DatasetError, DatasetSpec, register


def toy_gaussians(
    *,
    n_samples: int = 1000,
    n_groups: int = 2,
    mean_shift: float = 2.0,
    cov_ratio: float = 2.0,
    imbalance: float = 0.5,
    label_noise: float = 0.1,
    sensitive: str = "group",
    random_state: RandomState = 0,
) -> Dataset:
    """Two-dimensional Gaussian groups with a known labelling rule.

    Group z (z = 0..K-1) is N(m_z, S_z) with m_z = mean_shift * (cos(2 pi z/K), sin(2 pi z/K)) / 2
    (for K = 2: m_0 = (-mean_shift/2, 0), m_1 = (+mean_shift/2, 0)) and S_z = diag(s_z, 1/s_z)
    where s_z goes geometrically from 1 to ``cov_ratio``. The first group has share ``imbalance`` of the
    rows (the rest is split evenly). The label is y = 1{x_1 + x_2 > 0}, flipped with probability
    ``label_noise``: it depends on Z only through X. ``sensitive`` has one choice, ``"group"``.
    """
    if sensitive != "group":
        raise DatasetError(f"toy-gaussians: sensitive={sensitive!r} is not available; choose group")
    if n_samples < 20:
        raise DatasetError(f"n_samples must be at least 20, got {n_samples}")
    if n_groups < 2:
        raise DatasetError(f"n_groups must be at least 2, got {n_groups}")
    if not 0.05 <= imbalance <= 0.95:
        raise DatasetError(f"imbalance (share of group 0) must be in [0.05, 0.95], got {imbalance}")
    if cov_ratio <= 0:
        raise DatasetError(f"cov_ratio must be positive, got {cov_ratio}")
    if not 0.0 <= label_noise < 0.5:
        raise DatasetError(f"label_noise must be in [0, 0.5), got {label_noise}")
    rng = check_random_state(random_state)
    shares = np.r_[imbalance, np.full(n_groups - 1, (1 - imbalance) / (n_groups - 1))]
    counts = np.floor(shares * n_samples).astype(int)
    counts[0] += n_samples - counts.sum()
    angles = np.pi + 2 * np.pi * np.arange(n_groups) / n_groups
    means = 0.5 * mean_shift * np.c_[np.cos(angles), np.sin(angles)]
    scales = cov_ratio ** (np.arange(n_groups) / max(n_groups - 1, 1))
    xs, zs = [], []
    for g in range(n_groups):
        sd = np.sqrt([scales[g], 1.0 / scales[g]])
        xs.append(means[g] + rng.standard_normal((counts[g], 2)) * sd)
        zs.append(np.full(counts[g], g))
    X = np.vstack(xs)
    z = np.concatenate(zs)
    perm = rng.permutation(n_samples)
    X, z = X[perm], z[perm]
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    flip = rng.random(n_samples) < label_noise
    y = np.where(flip, 1 - y, y)
    return Dataset(
        name="toy-gaussians",
        X=pd.DataFrame(X, columns=["x1", "x2"]),
        y=pd.Series(y, name="y"),
        task="classification",
        z=pd.Series(z, name="group"),
        numeric_columns=("x1", "x2"),
        description=(
            f"{n_groups} Gaussian groups in 2-D, means {mean_shift:g} apart, covariance ratio "
            f"{cov_ratio:g}, group 0 share {imbalance:g}; label y = 1{{x1 + x2 > 0}} with "
            f"{label_noise:.0%} flips."
        ),
        source="synthetic (unlearn_core.datasets.toy_gaussians)",
        license="generated on your machine; no license needed",
        options=dict(
            n_samples=n_samples, n_groups=n_groups, mean_shift=mean_shift, cov_ratio=cov_ratio,
            imbalance=imbalance, label_noise=label_noise,
            random_state=random_state if isinstance(random_state, int) else None,
        ),
    )


register(
    DatasetSpec(
        name="toy-gaussians",
        title="Toy: Gaussian groups (2-D)",
        loader=toy_gaussians,
        description="Two or more 2-D Gaussian groups with known shift, spread and imbalance.",
        sensitive_choices=("group",),
        kind="toy",
    )
)


def toy_nonlinear(
    *,
    n_samples: int = 1000,
    radius: float = 2.0,
    ring_width: float = 0.15,
    blob_shift: float = 1.0,
    blob_scale: float = 0.5,
    imbalance: float = 0.5,
    label_noise: float = 0.1,
    sensitive: str = "shape",
    random_state: RandomState = 0,
) -> Dataset:
    """Two 2-D groups of different shapes: a ring and a Gaussian blob (Z = ``shape``).

    * ``ring``: x = (r cos a, r sin a) with a ~ U[0, 2 pi), r ~ N(radius, ring_width^2);
      mean ~ 0, covariance ~ (radius^2 + ring_width^2) / 2 * I, but far from Gaussian.
    * ``blob``: x ~ N((blob_shift, 0), blob_scale^2 I).

    The ring has share ``imbalance`` of the rows. The label is y = 1{x_2 > sin(2 x_1) / 2}
    (a wavy boundary), flipped with probability ``label_noise``; it depends on Z only through X.

    Why it is here: the Gaussian (Bures) barycenter only matches the first two moments, so it
    maps the blob onto a disc-shaped cloud with the ring's covariance, not onto the true W2
    barycenter of a ring and a blob (a thickened, shrunken ring): exact OT differs visibly.
    ``sensitive`` has one choice, ``"shape"``.
    """
    if sensitive != "shape":
        raise DatasetError(f"toy-nonlinear: sensitive={sensitive!r} is not available; choose shape")
    if n_samples < 20:
        raise DatasetError(f"n_samples must be at least 20, got {n_samples}")
    if not 0.05 <= imbalance <= 0.95:
        raise DatasetError(f"imbalance (share of the ring) must be in [0.05, 0.95], got {imbalance}")
    if radius <= 0 or ring_width < 0 or blob_scale <= 0:
        raise DatasetError(
            f"radius and blob_scale must be positive and ring_width >= 0, got radius={radius}, "
            f"ring_width={ring_width}, blob_scale={blob_scale}"
        )
    if not 0.0 <= label_noise < 0.5:
        raise DatasetError(f"label_noise must be in [0, 0.5), got {label_noise}")
    rng = check_random_state(random_state)
    n_ring = int(round(imbalance * n_samples))
    n_blob = n_samples - n_ring
    angle = rng.uniform(0.0, 2 * np.pi, n_ring)
    r = radius + ring_width * rng.standard_normal(n_ring)
    ring = np.c_[r * np.cos(angle), r * np.sin(angle)]
    blob = np.array([blob_shift, 0.0]) + blob_scale * rng.standard_normal((n_blob, 2))
    X = np.vstack([ring, blob])
    z = np.array(["ring"] * n_ring + ["blob"] * n_blob, dtype=object)
    perm = rng.permutation(n_samples)
    X, z = X[perm], z[perm]
    y = (X[:, 1] > 0.5 * np.sin(2.0 * X[:, 0])).astype(int)
    flip = rng.random(n_samples) < label_noise
    y = np.where(flip, 1 - y, y)
    return Dataset(
        name="toy-nonlinear",
        X=pd.DataFrame(X, columns=["x1", "x2"]),
        y=pd.Series(y, name="y"),
        task="classification",
        z=pd.Series(z, name="shape").astype(str),
        numeric_columns=("x1", "x2"),
        description=(
            f"A ring (radius {radius:g}) and a Gaussian blob (shift {blob_shift:g}, scale "
            f"{blob_scale:g}) in 2-D, ring share {imbalance:g}; label y = 1{{x2 > sin(2 x1)/2}} "
            f"with {label_noise:.0%} flips. Gaussian maps match moments only; exact OT differs."
        ),
        source="synthetic (unlearn_core.datasets.toy_nonlinear)",
        license="generated on your machine; no license needed",
        options=dict(
            n_samples=n_samples, radius=radius, ring_width=ring_width, blob_shift=blob_shift,
            blob_scale=blob_scale, imbalance=imbalance, label_noise=label_noise,
            random_state=random_state if isinstance(random_state, int) else None,
        ),
    )


def gmm_10d(
    *,
    n_samples: int = 5000,
    n_features: int = 10,
    variance: float = 10.0,
    mean_scale: float = 10.0,
    sensitive: str = "component",
    with_forget_point: bool = False,
    random_state: RandomState = 0,
) -> Dataset:
    """The authors' single-point-forgetting toy: two Gaussians in 10-D with covariance 10 I.

    Component k (k = 0, 1) is N(m_k, variance * I) with m_k ~ U[0, mean_scale)^d drawn once from
    ``random_state``; each has n_samples / 2 rows. The label y is the component, and so is Z
    (``sensitive="component"``, the only choice): for data-point unlearning the caller builds its
    own source indicator Z. As in Xu & Strohmer's ``Data_Unlearning_GMM`` notebook.

    ``with_forget_point=True`` appends their extra point x ~ N(mean of component 0's sample,
    2 * variance * I) with label 0 as the last row; its position is ``options["forget_index"]``.
    """
    if sensitive != "component":
        raise DatasetError(f"gmm-10d: sensitive={sensitive!r} is not available; choose component")
    if n_samples < 20:
        raise DatasetError(f"n_samples must be at least 20, got {n_samples}")
    if n_features < 1:
        raise DatasetError(f"n_features must be at least 1, got {n_features}")
    if variance <= 0 or mean_scale < 0:
        raise DatasetError(
            f"variance must be positive and mean_scale >= 0, got {variance} and {mean_scale}"
        )
    rng = check_random_state(random_state)
    means = rng.random((2, n_features)) * mean_scale
    half = n_samples // 2
    counts = (half, n_samples - half)
    X = np.vstack([means[k] + np.sqrt(variance) * rng.standard_normal((counts[k], n_features))
                   for k in range(2)])
    y = np.repeat([0, 1], counts)
    perm = rng.permutation(n_samples)
    X, y = X[perm], y[perm]
    options = dict(
        n_samples=n_samples, n_features=n_features, variance=variance, mean_scale=mean_scale,
        sensitive=sensitive, with_forget_point=with_forget_point,
        random_state=random_state if isinstance(random_state, int) else None,
    )
    if with_forget_point:
        centre = X[y == 0].mean(axis=0)
        point = centre + np.sqrt(2 * variance) * rng.standard_normal(n_features)
        X = np.vstack([X, point])
        y = np.r_[y, 0]
        options["forget_index"] = len(X) - 1
    columns = [f"x{i + 1}" for i in range(n_features)]
    return Dataset(
        name="gmm-10d",
        X=pd.DataFrame(X, columns=columns),
        y=pd.Series(y, name="component"),
        task="classification",
        z=pd.Series(y.copy(), name="component"),
        numeric_columns=tuple(columns),
        description=(
            f"Two Gaussians in {n_features}-D with covariance {variance:g}·I and means drawn "
            f"uniformly in [0, {mean_scale:g})^{n_features}; label = component. The authors' toy "
            "for forgetting a single point."
        ),
        source="synthetic (unlearn_core.datasets.gmm_10d), after Xu & Strohmer's GMM notebook",
        license="generated on your machine; no license needed",
        citation="Xu, S. & Strohmer, T. (2025). Machine Unlearning via Information Theoretic "
        "Regularization. arXiv:2502.05684",
        options=options,
    )


register(
    DatasetSpec(
        name="toy-nonlinear",
        title="Toy: ring and blob (2-D)",
        loader=toy_nonlinear,
        description="A ring and a blob: Gaussian maps match moments only, exact OT differs.",
        sensitive_choices=("shape",),
        kind="toy",
    )
)
register(
    DatasetSpec(
        name="gmm-10d",
        title="Toy: two Gaussians in 10-D",
        loader=gmm_10d,
        description="The authors' single-point forgetting toy: covariance 10·I, label = component.",
        sensitive_choices=("component",),
        kind="toy",
    )
)
