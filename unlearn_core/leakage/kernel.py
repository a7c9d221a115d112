"""Kernel dependence measures between S' and Z: HSIC and MMD between group conditionals.

Both use a Gaussian kernel k(s, s') = exp(-||s - s'||^2 / (2 h^2)) on S' with the median-heuristic
bandwidth h (median pairwise distance) and the delta kernel 1{z = z'} on Z. Everything is computed
from the K x K block sums of the Gram matrix (self-pairs removed), in torch so that the training
penalty in :mod:`.differentiable` is the very same formula.
"""

from __future__ import annotations

import numpy as np
import torch

from ._registry import MethodSpec, _Core, register


def median_bandwidth(S: torch.Tensor, *, max_rows: int = 1000, generator: torch.Generator | None = None) -> float:
    """Median pairwise Euclidean distance between rows (on at most ``max_rows`` random rows); 1 if 0."""
    with torch.no_grad():
        X = S.detach()
        if X.shape[0] > max_rows:
            idx = torch.randperm(X.shape[0], generator=generator)[:max_rows]
            X = X[idx]
        D = torch.cdist(X, X)
        iu = torch.triu_indices(X.shape[0], X.shape[0], offset=1)
        vals = D[iu[0], iu[1]]
        h = float(vals.median()) if vals.numel() else 1.0
    return h if h > 1e-12 else 1.0


def gram(S: torch.Tensor, bandwidth: float) -> torch.Tensor:
    """Gaussian Gram matrix exp(-||s_i - s_j||^2 / (2 h^2)) (in place, without autograd, when no grad is needed)."""
    if not (torch.is_grad_enabled() and S.requires_grad):
        D = torch.cdist(S, S)
        return D.pow_(2).mul_(-1.0 / (2.0 * bandwidth**2)).exp_()
    sq = (S * S).sum(dim=1)
    D2 = (sq[:, None] + sq[None, :] - 2.0 * S @ S.T).clamp_min(0.0)
    return torch.exp(-D2 / (2.0 * bandwidth**2))


def block_sums(G: torch.Tensor, onehot: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """K x K sums of Gram entries over pairs of distinct rows, B_ab = sum_{i in a, j in b, i != j} G_ij.

    With ``weights`` (bootstrap counts w_i), a row repeated w_i times: B_ab = sum w_i w_j G_ij - diag.
    """
    A = onehot if weights is None else onehot * weights[:, None]
    B = A.T @ G @ A
    diag = (A * (onehot if weights is None else onehot)).T @ torch.diagonal(G)
    return B - torch.diag(diag)


def hsic_from_blocks(B: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """HSIC with the delta kernel on Z from off-diagonal block sums, centred to be unbiased under independence.

    .. math::

        \\widehat{\\mathrm{HSIC}} = \\frac{1}{n(n-1)} \\sum_{a,b} B_{ab}
            \\Big(\\delta_{ab} - \\pi_a - \\pi_b + \\sum_c \\pi_c^2\\Big)
            + \\hat\\kappa \\, \\frac{1 - \\sum_c \\pi_c^2}{n - 1}

    which is (1/n^2) tr(K H L H) (Gretton et al. 2005) with L_ij = 1{z_i = z_j}, self-pairs removed,
    and kappa_hat = sum B / (n (n - 1)) the mean kernel value: under independence E B_ab = n_a n_b kappa
    (a != b) and n_a (n_a - 1) kappa, so the correction makes the expectation exactly 0.
    """
    n = counts.sum()
    pi = counts / n
    s2 = (pi * pi).sum()
    C = torch.eye(pi.numel(), dtype=B.dtype) - pi[:, None] - pi[None, :] + s2
    kappa = B.sum() / (n * (n - 1))
    return (B * C).sum() / (n * (n - 1)) + kappa * (1 - s2) / (n - 1)


def mmd_from_blocks(B: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Group-share-weighted unbiased MMD^2 of each group against the rest (U-statistics, Gretton et al. 2012).

    .. math::

        \\sum_z \\pi_z \\Big[\\frac{B_{zz}}{n_z(n_z-1)} + \\frac{B_{\\bar z\\bar z}}{n_{\\bar z}(n_{\\bar z}-1)}
            - \\frac{2 B_{z \\bar z}}{n_z n_{\\bar z}}\\Big]

    with z-bar "all other groups"; for two groups this is MMD^2_u(P_0, P_1).
    """
    K = counts.numel()
    total = B.sum()
    out = torch.zeros((), dtype=B.dtype)
    n = counts.sum()
    for z in range(K):
        nz, nr = counts[z], n - counts[z]
        Bzz = B[z, z]
        Bzr = B[z].sum() - Bzz
        Brr = total - 2 * Bzr - Bzz
        out = out + (counts[z] / n) * (Bzz / (nz * (nz - 1)) + Brr / (nr * (nr - 1)) - 2 * Bzr / (nz * nr))
    return out


def _prepare(S: np.ndarray, codes: np.ndarray, n_groups: int, rng: np.random.Generator, max_samples: int,
             bandwidth: float | None):
    n = codes.size
    rows = np.arange(n)
    if n > max_samples:
        rows = np.sort(rng.choice(n, size=int(max_samples), replace=False))
    X = torch.as_tensor(S[rows], dtype=torch.float64)
    c = codes[rows]
    gen = torch.Generator().manual_seed(int(rng.integers(0, 2**31 - 1)))
    h = float(bandwidth) if bandwidth is not None else median_bandwidth(X, generator=gen)
    onehot = torch.nn.functional.one_hot(torch.as_tensor(c), n_groups).to(torch.float64)
    return X, c, onehot, h, rows.size


def _kernel_measure(kind, S, codes, n_groups, *, rng, max_samples=3000, bandwidth=None) -> _Core:
    if int(max_samples) < 4:
        raise ValueError(f"max_samples must be >= 4, got {max_samples}")
    X, c, onehot, h, m = _prepare(S, codes, n_groups, rng, int(max_samples), bandwidth)
    stat = hsic_from_blocks if kind == "hsic" else mmd_from_blocks
    with torch.no_grad():
        G = gram(X, h)
        counts = onehot.sum(dim=0)
        raw = float(stat(block_sums(G, onehot), counts))

    def boot_stat(idx: np.ndarray) -> float:
        w = torch.as_tensor(np.bincount(idx, minlength=m), dtype=torch.float64)
        with torch.no_grad():
            return float(stat(block_sums(G, onehot, w), (onehot * w[:, None]).sum(dim=0)))

    return _Core(raw=raw, diagnostics={"bandwidth": h, "rows_used": int(m)}, boot_stat=boot_stat, boot_codes=c)


def hsic(S, codes, n_groups, *, rng, max_samples: int = 3000, bandwidth: float | None = None) -> _Core:
    """HSIC between S' (Gaussian kernel, median-heuristic bandwidth) and Z (delta kernel).

    See :func:`hsic_from_blocks` for the formula. Above ``max_samples`` rows a random subsample is used
    (the Gram matrix is O(m^2) in memory and time). Not an MI: kernel units, 0 iff independent
    (characteristic kernel), no fixed scale across bandwidths; compare values at equal bandwidth only.
    Its bootstrap reweights rows of the stored Gram matrix (no refit).
    """
    return _kernel_measure("hsic", S, codes, n_groups, rng=rng, max_samples=max_samples, bandwidth=bandwidth)


def mmd(S, codes, n_groups, *, rng, max_samples: int = 3000, bandwidth: float | None = None) -> _Core:
    """Weighted unbiased MMD^2 between each group's law of S' and the rest (see :func:`mmd_from_blocks`).

    Gaussian kernel with the median-heuristic bandwidth; subsampled above ``max_samples`` rows. Not an
    MI; can be slightly negative (unbiased estimator), clipped in the headline.
    """
    return _kernel_measure("mmd", S, codes, n_groups, rng=rng, max_samples=max_samples, bandwidth=bandwidth)


register(MethodSpec(
    name="hsic", title="HSIC (kernel dependence)", is_mi=False, input="any", differentiable=True,
    unit="kernel units", bias="Unbiased under independence (centred); depends on the bandwidth.",
    when_to_use=(
        "A smooth, differentiable dependence test that sees any difference between groups; good as a "
        "training penalty. Its value has no absolute meaning: compare at one bandwidth."
    ),
    bootstrap="rows", fn=hsic,
))
register(MethodSpec(
    name="mmd", title="MMD between group conditionals (not MI)", is_mi=False, input="any", differentiable=True,
    unit="kernel units", bias="Unbiased (U-statistic); may be slightly negative before clipping.",
    when_to_use="A two-sample distance between groups' outputs with a kernel; sensitive to any difference.",
    bootstrap="rows", fn=mmd,
))
