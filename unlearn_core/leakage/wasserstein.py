"""W2 between the group conditionals of S': an alternative (not-MI) leakage measure.

POT is imported lazily (inside the exact solver), so this module is cheap to import.
"""

from __future__ import annotations

import numpy as np

from ._common import sym_sqrt
from ._registry import MethodSpec, _Core, register


def gaussian_w2_squared(m1: np.ndarray, S1: np.ndarray, m2: np.ndarray, S2: np.ndarray) -> float:
    """Closed-form W2^2 between N(m1, S1) and N(m2, S2) (Bures-Wasserstein, docs/design.md section 3.1).

    .. math:: W_2^2 = \\|m_1 - m_2\\|^2 + \\mathrm{tr}(S_1 + S_2 - 2 (S_1^{1/2} S_2 S_1^{1/2})^{1/2})

    Matrix roots by symmetric eigen-decomposition, so the result is always real; clipped at 0.
    """
    r1 = sym_sqrt(S1)
    cross = sym_sqrt(r1 @ S2 @ r1)
    val = float(np.sum((m1 - m2) ** 2) + np.trace(S1) + np.trace(S2) - 2.0 * np.trace(cross))
    return max(val, 0.0)


def _pairwise(values: dict[tuple[int, int], float], pi: np.ndarray) -> float:
    return float(sum(pi[a] * pi[b] * v for (a, b), v in values.items()))


def w2_between_groups(
    S: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    *,
    rng: np.random.Generator,
    kind: str = "gaussian",
    max_samples: int = 2000,
    bias_correction: bool = True,
) -> _Core:
    """Weighted pairwise squared W2 between the groups' laws of S' (in squared units of S).

    .. math:: L = \\sum_{a < b} \\pi_a \\pi_b \\, W_2^2(P_a, P_b)

    where P_z = Law(S' | Z = z) and pi_z the group shares. For two groups L equals the barycentric
    dispersion V = sum_z pi_z W2^2(P_z, barycenter) of docs/design.md section 3.1 (the W2 leakage that the
    McCann interpolation shrinks as (1 - t)^2 V); in one dimension it equals V for any K.

    ``kind="gaussian"`` uses the closed form between fitted Gaussians (moments only: exact for
    Gaussian conditionals, a lower-order summary otherwise); the mean part is bias-corrected
    (||m_a - m_b||^2 - tr S_a / n_a - tr S_b / n_b), the covariance part keeps an upward bias of order
    d^2 / n. ``kind="exact"`` solves the exact OT problem between the empirical measures with POT's
    ``ot.emd2`` on at most ``max_samples`` rows per group (random subsample): exact for the samples
    but upward biased as an estimate of the population W2 (the empirical W2 converges slowly, like
    n^(-1/d) for d > 4), so compare values only at equal n.

    Not an MI: 0 iff the group laws coincide (independence) for ``"exact"``; for ``"gaussian"`` 0 iff
    the first two moments coincide. Scale-dependent (units of S squared).
    """
    if kind not in ("gaussian", "exact"):
        raise ValueError(f"kind must be 'gaussian' or 'exact', got {kind!r}")
    n = codes.size
    counts = np.bincount(codes, minlength=n_groups)
    pi = counts / n
    pair_vals: dict[tuple[int, int], float] = {}
    if kind == "gaussian":
        means, covs = [], []
        for g in range(n_groups):
            Xg = S[codes == g]
            means.append(Xg.mean(axis=0))
            R = Xg - means[-1]
            covs.append(R.T @ R / max(Xg.shape[0] - 1, 1))
        for a in range(n_groups):
            for b in range(a + 1, n_groups):
                v = gaussian_w2_squared(means[a], covs[a], means[b], covs[b])
                if bias_correction:
                    v -= float(np.trace(covs[a])) / counts[a] + float(np.trace(covs[b])) / counts[b]
                pair_vals[(a, b)] = v
        diag = {"kind": kind}
    else:
        import ot  # lazy: POT is only needed here

        if int(max_samples) < 2:
            raise ValueError(f"max_samples must be >= 2, got {max_samples}")
        samples = []
        for g in range(n_groups):
            idx = np.flatnonzero(codes == g)
            if idx.size > max_samples:
                idx = np.sort(rng.choice(idx, size=int(max_samples), replace=False))
            samples.append(S[idx])
        for a in range(n_groups):
            for b in range(a + 1, n_groups):
                Xa, Xb = samples[a], samples[b]
                M = ot.dist(Xa, Xb, metric="sqeuclidean")
                wa = np.full(len(Xa), 1.0 / len(Xa))
                wb = np.full(len(Xb), 1.0 / len(Xb))
                pair_vals[(a, b)] = float(ot.emd2(wa, wb, M, numItermax=1_000_000))
        diag = {"kind": kind, "rows_per_group": [int(len(x)) for x in samples]}
    raw = _pairwise(pair_vals, pi)
    diag["pairwise_w2_squared"] = {f"{a}-{b}": v for (a, b), v in pair_vals.items()}
    diag["w2"] = float(np.sqrt(max(raw, 0.0)))
    return _Core(raw=raw, diagnostics=diag)


register(
    MethodSpec(
        name="w2",
        title="W2 between group conditionals (not MI)",
        is_mi=False,
        input="any",
        differentiable=True,
        unit="squared units of S",
        bias=(
            "Gaussian kind: covariance part biased upwards by O(d^2/n); exact kind: upward biased by the "
            "slow convergence of empirical W2 (depends on n and d)."
        ),
        when_to_use=(
            "When the cost of leakage is geometric (how far group outputs are apart), e.g. to check the "
            "residual after a barycenter transport. Scale-dependent: compare runs on the same data only."
        ),
        bootstrap="refit",
        fn=w2_between_groups,
    )
)
