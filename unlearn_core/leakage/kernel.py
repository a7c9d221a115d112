"""Kernel dependence measures between S' and Z: HSIC and MMD between group conditionals.

Both use a Gaussian kernel k(s, s') = exp(-||s - s'||^2 / (2 h^2)) on S' with the median-heuristic
bandwidth h (median pairwise distance) and the delta kernel 1{z = z'} on Z. Everything is computed
from the K x K mean kernel values within and between groups (over distinct pairs of rows), in torch so
that the training penalty in :mod:`.differentiable` is the very same formula.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._common import torch_threads
from ._registry import MethodSpec, _Core, register

if TYPE_CHECKING:  # torch is imported where it is used, so registering the estimators loads no torch
    import torch


def median_bandwidth(
    S: torch.Tensor, *, max_rows: int = 1000, generator: torch.Generator | None = None
) -> float:
    """Median pairwise Euclidean distance between rows (on at most ``max_rows`` random rows); 1 if 0."""
    import torch
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
    """Gaussian Gram matrix exp(-||s_i - s_j||^2 / (2 h^2)).

    Computed in place, without autograd, when no grad is needed.
    """
    import torch
    if not (torch.is_grad_enabled() and S.requires_grad):
        D = torch.cdist(S, S)
        return D.pow_(2).mul_(-1.0 / (2.0 * bandwidth**2)).exp_()
    sq = (S * S).sum(dim=1)
    D2 = (sq[:, None] + sq[None, :] - 2.0 * S @ S.T).clamp_min(0.0)
    return torch.exp(-D2 / (2.0 * bandwidth**2))


def block_means(G: torch.Tensor, onehot: torch.Tensor, weights: torch.Tensor | None = None, *,
                distinct: bool = True) -> torch.Tensor:
    """K x K mean Gram entry over pairs of *distinct* rows, M_ab = mean_{i in a, j in b, i != j} G_ij.

    With ``weights`` (bootstrap counts w_i: row i repeated w_i times) pairs of copies of the same row
    are excluded as well, so duplicated rows do not inflate the within-group similarity (the usual
    failure of the naive bootstrap of kernel U-statistics). ``distinct=False`` keeps every pair
    (V-statistic means), which makes HSIC the biased, always non-negative (1/n^2) tr(K H L H).
    """
    import torch
    if not distinct:
        A = onehot if weights is None else onehot * weights[:, None]
        tot = A.sum(dim=0)
        return (A.T @ G @ A) / torch.outer(tot, tot).clamp_min(1.0)
    A = onehot if weights is None else onehot * weights[:, None]
    diag_w = torch.ones(G.shape[0], dtype=G.dtype) if weights is None else weights
    dg = torch.diagonal(G)
    B = A.T @ G @ A - torch.diag(onehot.T @ (diag_w * diag_w * dg))
    tot = A.sum(dim=0)
    P = torch.outer(tot, tot) - torch.diag(onehot.T @ (diag_w * diag_w))
    return B / P.clamp_min(1.0)


def group_shares(onehot: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    tot = (onehot if weights is None else onehot * weights[:, None]).sum(dim=0)
    return tot / tot.sum()


def hsic_from_means(M: torch.Tensor, pi: torch.Tensor) -> torch.Tensor:
    r"""HSIC between S' (kernel k) and Z (delta kernel) from within/between-group mean kernel values.

    .. math::

        \mathrm{HSIC} = \sum_{a,b} \pi_a \pi_b \Big(\delta_{ab} - \pi_a - \pi_b + \sum_c \pi_c^2\Big) M_{ab}

    the population HSIC (Gretton et al. 2005; (1/n^2) tr(K H L H) with L_ij = 1{z_i = z_j}) with
    M_ab = E k(s, s') for independent s ~ P_a, s' ~ P_b, estimated over distinct pairs. Under
    independence all M_ab are equal and the weights sum to 0, so the estimate is unbiased there.
    Equivalently sum_z pi_z^2 ||mu_z - mu||^2 in the kernel's feature space (mu_z the mean embedding
    of group z).
    """
    import torch
    s2 = (pi * pi).sum()
    C = torch.eye(pi.numel(), dtype=M.dtype) - pi[:, None] - pi[None, :] + s2
    return (pi[:, None] * pi[None, :] * C * M).sum()


def mmd_from_means(M: torch.Tensor, pi: torch.Tensor) -> torch.Tensor:
    r"""Group-share-weighted MMD^2 of each group against the rest, from mean kernel values.

    .. math::

        \sum_z \pi_z \big[M_{zz} + M_{\bar z\bar z} - 2 M_{z\bar z}\big]

    with z-bar "all other groups" (its mean kernel values pooled with the group shares); for two
    groups this is the unbiased MMD^2_u(P_0, P_1) of Gretton et al. (2012).
    """
    import torch
    K = pi.numel()
    out = torch.zeros((), dtype=M.dtype)
    for z in range(K):
        r = torch.ones(K, dtype=torch.bool)
        r[z] = False
        pr = pi[r] / pi[r].sum()
        Mrr = (pr[:, None] * pr[None, :] * M[r][:, r]).sum()
        Mzr = (pr * M[z, r]).sum()
        out = out + pi[z] * (M[z, z] + Mrr - 2 * Mzr)
    return out


def _prepare(S: np.ndarray, codes: np.ndarray, n_groups: int, rng: np.random.Generator, max_samples: int,
             bandwidth: float | None):
    import torch
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


def _kernel_measure(kind, S, codes, n_groups, *, rng, max_samples=3000, bandwidth=None, n_threads=1) -> _Core:
    import torch
    if int(max_samples) < 4:
        raise ValueError(f"max_samples must be >= 4, got {max_samples}")
    X, c, onehot, h, m = _prepare(S, codes, n_groups, rng, int(max_samples), bandwidth)
    stat = hsic_from_means if kind == "hsic" else mmd_from_means
    with torch.no_grad(), torch_threads(n_threads):
        G = gram(X, h)
        raw = float(stat(block_means(G, onehot), group_shares(onehot)))

    def boot_stat(idx: np.ndarray) -> float:
        w = torch.as_tensor(np.bincount(idx, minlength=m), dtype=torch.float64)
        with torch.no_grad(), torch_threads(n_threads):
            return float(stat(block_means(G, onehot, w), group_shares(onehot, w)))

    diagnostics = {"bandwidth": h, "rows_used": int(m)}
    return _Core(raw=raw, diagnostics=diagnostics, boot_stat=boot_stat, boot_codes=c)


def hsic(S, codes, n_groups, *, rng, max_samples: int = 3000, bandwidth: float | None = None,
        n_threads: int | None = 1) -> _Core:
    """HSIC between S' (Gaussian kernel, median-heuristic bandwidth) and Z (delta kernel).

    See :func:`hsic_from_means` for the formula. Above ``max_samples`` rows a random subsample is used
    (the Gram matrix is O(m^2) in memory and time). Not an MI: kernel units, 0 iff independent
    (characteristic kernel), no fixed scale across bandwidths; compare values at equal bandwidth only.
    Its bootstrap reweights rows of the stored Gram matrix (no refit).
    """
    return _kernel_measure("hsic", S, codes, n_groups, rng=rng, max_samples=max_samples, bandwidth=bandwidth,
                           n_threads=n_threads)


def mmd(S, codes, n_groups, *, rng, max_samples: int = 3000, bandwidth: float | None = None,
        n_threads: int | None = 1) -> _Core:
    """Weighted unbiased MMD^2 between each group's law of S' and the rest (see :func:`mmd_from_means`).

    Gaussian kernel with the median-heuristic bandwidth; subsampled above ``max_samples`` rows. Not an
    MI; can be slightly negative (unbiased estimator), clipped in the headline.
    """
    return _kernel_measure("mmd", S, codes, n_groups, rng=rng, max_samples=max_samples, bandwidth=bandwidth,
                           n_threads=n_threads)


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
    name="mmd", title="MMD between group conditionals (not MI)", is_mi=False, input="any",
    differentiable=False,
    unit="kernel units", bias="Unbiased (U-statistic); may be slightly negative before clipping.",
    when_to_use="A two-sample distance between groups' outputs with a kernel; sensitive to any difference.",
    bootstrap="rows", fn=mmd,
))
