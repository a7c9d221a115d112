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
    random_state: RandomState = 0,
) -> Dataset:
    """Two-dimensional Gaussian groups with a known labelling rule.

    Group z (z = 0..K-1) is N(m_z, S_z) with m_z = mean_shift * (cos(2 pi z/K), sin(2 pi z/K)) / 2
    (for K = 2: m_0 = (-mean_shift/2, 0), m_1 = (+mean_shift/2, 0)) and S_z = diag(s_z, 1/s_z)
    where s_z goes geometrically from 1 to ``cov_ratio``. The first group has share ``imbalance`` of the
    rows (the rest is split evenly). The label is y = 1{x_1 + x_2 > 0}, flipped with probability
    ``label_noise``: it depends on Z only through X.
    """
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
