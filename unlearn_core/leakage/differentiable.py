"""Differentiable leakage penalties (torch) for use as training regularisers.

``PENALTIES`` maps a name to ``fn(outputs, z, n_groups) -> 0-d tensor`` where ``outputs`` is the model
output S' as an (n, C) tensor (class probabilities for classification, an (n, 1) prediction for
regression), ``z`` holds integer group codes in 0..n_groups-1 and the result is differentiable in
``outputs``. Training and data-point unlearning pick their regulariser from this registry; every
penalty is stateless and deterministic (same batch, same value), so training stays reproducible.

Which to use (numpy counterparts in :func:`unlearn_core.leakage.estimate`):

- ``softmax-averaging``: the paper's estimator on probabilities (first moments of the outputs only);
- ``hsic``: kernel dependence (any outputs; sees every difference between groups);
- ``dv``: the Donsker-Varadhan MI bound with a quadratic critic maximised exactly inside the call;
- ``sinkhorn``: debiased Sinkhorn divergence (about W2^2) between group outputs, through POT's torch
  backend (geometric, not an MI).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from .kernel import block_means, gram, group_shares, hsic_from_means, median_bandwidth
from .softmax import softmax_averaging_mi_torch

Penalty = Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]


def _onehot(z: torch.Tensor, n_groups: int, dtype: torch.dtype) -> torch.Tensor:
    return torch.nn.functional.one_hot(z.long(), n_groups).to(dtype)


def hsic_penalty(outputs: torch.Tensor, z: torch.Tensor, n_groups: int, *, bandwidth: float | None = None,
                 unbiased: bool = False) -> torch.Tensor:
    """HSIC between the outputs (Gaussian kernel) and Z (delta kernel), differentiable in ``outputs``.

    The formula of the ``hsic`` estimator (:func:`.kernel.hsic_from_means`) on the whole batch. By
    default the biased V-statistic (1/n^2) tr(K H L H) of Gretton et al. (2005), which is always >= 0,
    so minimising it cannot overshoot below independence; ``unbiased=True`` gives exactly the
    estimator's U-statistic value (may be slightly negative). The bandwidth is the median pairwise
    distance of the detached batch unless given (a constant for autograd, as usual for the median
    heuristic).
    """
    S = outputs if outputs.ndim == 2 else outputs[:, None]
    h = median_bandwidth(S) if bandwidth is None else float(bandwidth)
    onehot = _onehot(z, n_groups, S.dtype)
    return hsic_from_means(block_means(gram(S, h), onehot, distinct=unbiased), group_shares(onehot))


def _quadratic_features(S: torch.Tensor) -> torch.Tensor:
    """[1, u, u_i u_j (i <= j)] of the standardised outputs u (standardisation is differentiable)."""
    u = (S - S.mean(dim=0)) / (S.std(dim=0) + 1e-6)
    i, j = torch.triu_indices(u.shape[1], u.shape[1])
    return torch.cat([torch.ones_like(u[:, :1]), u, u[:, i] * u[:, j]], dim=1)


def _dv_objective(theta: torch.Tensor, phi: torch.Tensor, onehot: torch.Tensor, log_pi: torch.Tensor,
                  ridge: float) -> torch.Tensor:
    T = phi @ theta.T  # (n, K)
    joint = (T * onehot).sum() / phi.shape[0]
    marg = torch.logsumexp((T + log_pi[None, :]).reshape(-1), dim=0) - math.log(phi.shape[0])
    return joint - marg - 0.5 * ridge * (theta * theta).sum()


def dv_penalty(
    outputs: torch.Tensor,
    z: torch.Tensor,
    n_groups: int,
    *,
    ridge: float = 1e-3,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> torch.Tensor:
    """Donsker-Varadhan MI lower bound with a quadratic critic maximised exactly on the batch.

    .. math::

        \\hat I_{DV}(S) = \\max_\\theta \\ J(\\theta, S), \\quad
        J = \\frac1n \\sum_i T_\\theta(s_i, z_i) - \\log \\frac1n \\sum_i \\sum_z \\pi_z e^{T_\\theta(s_i, z)}
            - \\frac\\rho2 \\|\\theta\\|^2

    with T_theta(s, z) = theta_z . phi(s), phi(s) = [1, u, u_i u_j] the quadratic features of the
    batch-standardised outputs u, pi the batch's group shares and rho = ``ridge``.

    How it works in a training loop: a MINE-style penalty needs a critic trained against the model;
    keeping an MLP critic between steps makes the penalty stateful (results depend on call history) and
    the min-max unstable. Here the critic is linear in quadratic features, so J is strictly concave in
    theta (log-sum-exp is convex, the ridge makes it strict) and each call maximises it from theta = 0
    by damped Newton steps to machine precision, on detached outputs. By Danskin's envelope theorem
    the gradient of max_theta J with respect to the outputs is the partial gradient at theta*, so the
    returned value J(theta*, S) (theta* detached) has exactly the gradient of the maximised bound.
    The quadratic family contains log-density ratios of Gaussian group laws (the Bayes-optimal critic
    when group outputs are Gaussian), so the bound is close to the Gaussian plug-in there; for other
    shapes it is a looser lower bound. Always >= 0 (theta = 0 gives 0). Cost O(n (K F)^2) with
    F = 1 + C + C(C+1)/2 features: keep C (output columns) small (<= 10).
    """
    S = outputs if outputs.ndim == 2 else outputs[:, None]
    dtype = torch.float64
    onehot = _onehot(z, n_groups, dtype)
    counts = onehot.sum(dim=0)
    log_pi = torch.log(counts / counts.sum())  # -inf for groups absent from the batch
    log_pi_safe = torch.where(counts > 0, log_pi, torch.full_like(log_pi, -1e30))
    with torch.no_grad():
        phi0 = _quadratic_features(S.detach().to(dtype))
        n, F = phi0.shape
        K = n_groups
        theta = torch.zeros(K, F, dtype=dtype)
        a = onehot.T @ phi0 / n  # (K, F) joint term
        f_old = _dv_objective(theta, phi0, onehot, log_pi_safe, ridge)
        for _ in range(int(max_iter)):
            T = phi0 @ theta.T + log_pi_safe[None, :]
            W = torch.softmax(T.reshape(-1), dim=0).reshape(n, K)  # weights over (i, z) pairs
            m = W.T @ phi0  # (K, F) = E_w[Psi]
            g = (a - m - ridge * theta).reshape(-1)
            if float(g.abs().max()) < tol:
                break
            # Hessian of -J: E_w[Psi Psi^T] - E_w[Psi] E_w[Psi]^T + rho I, block structure over z
            second = torch.zeros(K * F, K * F, dtype=dtype)
            for k in range(K):
                second[k * F:(k + 1) * F, k * F:(k + 1) * F] = (phi0 * W[:, k:k + 1]).T @ phi0
            mv = m.reshape(-1)
            H = second - torch.outer(mv, mv) + ridge * torch.eye(K * F, dtype=dtype)
            step = torch.linalg.solve(H, g).reshape(K, F)
            t = 1.0
            while t > 1e-8:
                cand = theta + t * step
                f_new = _dv_objective(cand, phi0, onehot, log_pi_safe, ridge)
                if f_new >= f_old - 1e-14:
                    break
                t *= 0.5
            theta, f_old = cand, f_new
    phi = _quadratic_features(S.to(dtype))
    return _dv_objective(theta, phi, onehot, log_pi_safe, ridge).to(S.dtype)


def sinkhorn_penalty(
    outputs: torch.Tensor,
    z: torch.Tensor,
    n_groups: int,
    *,
    reg: float | None = None,
    reg_relative: float = 0.05,
    max_iter: int = 1000,
    tol: float = 1e-9,
) -> torch.Tensor:
    """Weighted pairwise debiased Sinkhorn divergence between the groups' outputs (about W2^2).

    .. math::

        L_\\varepsilon = \\sum_{a < b} \\pi_a \\pi_b \\, S_\\varepsilon(P_a, P_b), \\quad
        S_\\varepsilon = OT_\\varepsilon(P_a, P_b) - \\tfrac12 OT_\\varepsilon(P_a, P_a)
                         - \\tfrac12 OT_\\varepsilon(P_b, P_b)

    with squared Euclidean cost and uniform weights on each group's rows of the batch (Genevay et al.
    2018; Feydy et al. 2019), computed by ``ot.solve_sample(..., reg=eps, debias=True)`` on torch tensors
    (POT's torch backend, gradients by the envelope theorem, ``grad="envelope"``). eps = ``reg`` if
    given, else ``reg_relative`` times the mean squared distance of the detached batch. As eps -> 0,
    S_eps -> W2^2, so for two groups L approaches the ``w2`` estimator (barycentric dispersion V).
    Not an MI; scale-dependent. Groups absent from the batch are skipped.
    """
    import ot  # POT only when this penalty is used

    S = outputs if outputs.ndim == 2 else outputs[:, None]
    zl = z.long()
    counts = torch.bincount(zl, minlength=n_groups)
    n = int(counts.sum())
    if reg is None:
        with torch.no_grad():
            mean_sq = float(torch.cdist(S.detach(), S.detach()).pow(2).mean())
        eps = reg_relative * max(mean_sq, 1e-12)
    else:
        eps = float(reg)
    total = torch.zeros((), dtype=S.dtype)
    present = [g for g in range(n_groups) if counts[g] > 0]
    for ia, a in enumerate(present):
        for b in present[ia + 1:]:
            res = ot.solve_sample(S[zl == a], S[zl == b], reg=eps, debias=True, grad="envelope",
                                  max_iter=max_iter, tol=tol)
            total = total + (float(counts[a]) / n) * (float(counts[b]) / n) * res.value
    return total


PENALTIES: dict[str, Penalty] = {
    "softmax-averaging": softmax_averaging_mi_torch,
    "hsic": hsic_penalty,
    "dv": dv_penalty,
    "sinkhorn": sinkhorn_penalty,
}

# Which penalties need probability vectors (classification only).
NEEDS_PROBABILITIES: set[str] = {"softmax-averaging"}

# Which penalties estimate an MI in nats (the others are dependence measures on their own scale).
IS_MI: dict[str, bool] = {"softmax-averaging": True, "hsic": False, "dv": True, "sinkhorn": False}
