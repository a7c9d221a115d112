"""A small neural optimal-transport map between two groups, and the barycenter maps built from it.

In the spirit of Korotin, Selikhov & Burnaev, "Neural Optimal Transport" (ICLR 2023), Algorithm 1
with a deterministic map (the quadratic-cost case). For source P = Law(c | Z = a) and target
Q = Law(c | Z = b) a map network T and a potential network f solve the max-min problem

.. math::

    \\max_f \\min_T \\; \\mathbb{E}_{x \\sim P}\\Big[\\tfrac12 \\|x - T(x)\\|^2 - f(T(x))\\Big]
        + \\mathbb{E}_{y \\sim Q}[f(y)],

whose saddle point T* is the optimal (Monge) map from P to Q. Both are MLPs (two hidden layers, SiLU);
T is parameterised as the identity plus an MLP so training starts from the identity map. Each outer
step takes ``inner_steps`` Adam steps on T then one on f, on mini-batches.

**Barycenter of two groups.** For K = 2 with weights (w_a, w_b) the W2 barycenter is the McCann
interpolant at w_b between the groups: mu_bar = ((1 - w_b) id + w_b T_ab)#P. The group maps are

.. math::

    T_a(x) = w_a x + w_b T_{ab}(x), \\qquad T_b(y) = w_b y + w_a T_{ba}(y),

with T_ab and T_ba two maps trained in opposite directions (T_ba approximates T_ab^{-1}), and
V = w_a W2^2(P, mu_bar) + w_b W2^2(Q, mu_bar) = w_a w_b^2 E||x - T_ab x||^2 + w_b w_a^2 E||y - T_ba y||^2
estimated on the training rows. Only two groups are supported: a barycenter of K > 2 groups has no
closed form in terms of pairwise maps.

Codes are divided by their overall standard deviation before training (one scalar, so the quadratic
cost's geometry is unchanged) and multiplied back afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._config import config_signature, resolve
from .._utils import RandomState, limit_threads, seed_from

Progress = Callable[[float, str], None]


@dataclass(frozen=True, eq=False)
class NeuralBarycenter:
    """Barycenter maps of two groups from two neural OT maps (module docstring).

    Attributes
    ----------
    groups : (2,) labels; weights : (2,) w_a, w_b; total_cost : V; group_costs : (2,) W2^2 to mu_bar.
    scale : the scalar the codes were divided by during training.
    losses : final (transport-cost, potential-gap) values of each direction, for diagnostics.
    seconds : training wall time. method : "neural-ot".
    """

    groups: np.ndarray
    weights: np.ndarray
    total_cost: float
    group_costs: np.ndarray
    scale: float
    losses: tuple[tuple[float, float], tuple[float, float]]
    seconds: float
    _nets: tuple[Any, Any]
    method: str = "neural-ot"

    def _push(self, direction: int, C: np.ndarray) -> np.ndarray:
        import torch

        net = self._nets[direction]
        with torch.no_grad(), limit_threads(1):
            out = net(torch.as_tensor(C / self.scale, dtype=torch.float32)).numpy().astype(float)
        return out * self.scale

    def endpoint(self, C: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """T_Z(c): each row's image under its group's barycenter map."""
        out = np.empty_like(C, dtype=float)
        wa, wb = self.weights
        for g, (w_self, w_other) in enumerate(((wa, wb), (wb, wa))):
            rows = codes == g
            if rows.any():
                out[rows] = w_self * C[rows] + w_other * self._push(g, C[rows])
        return out


def _mlp(d: int, hidden: int, out: int) -> Any:
    import torch.nn as nn

    return nn.Sequential(
        nn.Linear(d, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, out)
    )


class _ResidualMap:
    """T(x) = x + g(x) as a callable torch module wrapper."""

    def __new__(cls, d: int, hidden: int) -> Any:
        import torch.nn as nn

        class ResidualMap(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.g = _mlp(d, hidden, d)
                nn.init.zeros_(self.g[-1].weight)
                nn.init.zeros_(self.g[-1].bias)

            def forward(self, x):  # noqa: ANN001, ANN202
                return x + self.g(x)

        return ResidualMap()


def _train_direction(
    P: np.ndarray,
    Q: np.ndarray,
    *,
    hidden: int,
    n_iter: int,
    inner_steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    report: Callable[[float], None],
) -> tuple[Any, tuple[float, float]]:
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    d = P.shape[1]
    T = _ResidualMap(d, hidden)
    f = _mlp(d, hidden, 1)
    opt_T = torch.optim.Adam(T.parameters(), lr=lr)
    opt_f = torch.optim.Adam(f.parameters(), lr=lr)
    Pt = torch.as_tensor(P, dtype=torch.float32)
    Qt = torch.as_tensor(Q, dtype=torch.float32)
    cost = gap = float("nan")
    for it in range(n_iter):
        for _ in range(inner_steps):
            x = Pt[rng.integers(0, len(Pt), batch_size)]
            Tx = T(x)
            loss_T = (0.5 * ((x - Tx) ** 2).sum(1) - f(Tx).squeeze(1)).mean()
            opt_T.zero_grad()
            loss_T.backward()
            opt_T.step()
        x = Pt[rng.integers(0, len(Pt), batch_size)]
        y = Qt[rng.integers(0, len(Qt), batch_size)]
        with torch.no_grad():
            Tx = T(x)
        loss_f = f(Tx).mean() - f(y).mean()
        opt_f.zero_grad()
        loss_f.backward()
        opt_f.step()
        if it % 50 == 0 or it == n_iter - 1:
            cost = float(0.5 * ((x - Tx) ** 2).sum(1).mean())
            gap = float(-loss_f.detach())
            report((it + 1) / n_iter)
    T.eval()
    return T, (cost, gap)


@dataclass(frozen=True)
class NeuralOTConfig:
    """The settings of :func:`fit_neural_ot` (the fields are described there)."""

    hidden: int = 128
    n_iter: int = 600
    inner_steps: int = 5
    batch_size: int = 256
    lr: float = 1e-3
    random_state: RandomState = 0


@config_signature(NeuralOTConfig)
def fit_neural_ot(
    C: np.ndarray,
    codes: np.ndarray,
    weights: np.ndarray,
    groups: np.ndarray,
    config: NeuralOTConfig | None = None,
    *,
    progress: Progress | None = None,
    **overrides: Any,
) -> NeuralBarycenter:
    """Train the two neural OT maps and return the barycenter maps of the two groups.

    Parameters
    ----------
    C : (n, k) codes; codes : (n,) group codes 0/1; weights : (2,) w_a, w_b; groups : (2,) labels.
    config : a :class:`NeuralOTConfig` with the settings below; keywords override its values.
    hidden : width of both hidden layers of T and f.
    n_iter : outer (potential) steps per direction; inner_steps : map steps per outer step.
    batch_size, lr : mini-batch size and Adam learning rate.
    random_state : seeds the networks' initialisation and the mini-batches.
    progress : called with (fraction done, message) while training.
    """
    import time

    import torch  # noqa: F401  (fail early with a clear ImportError)

    c = resolve(NeuralOTConfig, config, overrides, "fit_neural_ot")
    hidden, n_iter, inner_steps, batch_size, lr = c.hidden, c.n_iter, c.inner_steps, c.batch_size, c.lr
    if weights.shape[0] != 2:
        raise ValueError(
            f"the neural OT method handles exactly 2 groups, got {weights.shape[0]}; use 'gaussian' or "
            "'ot-randomized' for more groups"
        )
    for name, val in (
        ("hidden", hidden),
        ("n_iter", n_iter),
        ("inner_steps", inner_steps),
        ("batch_size", batch_size),
    ):
        if int(val) < 1:
            raise ValueError(f"{name} must be a positive integer, got {val}")
    start = time.perf_counter()
    scale = float(C.std()) or 1.0
    A, B = C[codes == 0] / scale, C[codes == 1] / scale
    seed = seed_from(c.random_state)
    nets, losses = [], []
    with limit_threads(1):
        for direction, (src, dst) in enumerate(((A, B), (B, A))):

            def report(frac: float, direction: int = direction) -> None:
                if progress is not None:
                    progress((direction + frac) / 2, f"neural OT map {direction + 1}/2")

            net, loss = _train_direction(
                src,
                dst,
                hidden=int(hidden),
                n_iter=int(n_iter),
                inner_steps=int(inner_steps),
                batch_size=int(batch_size),
                lr=float(lr),
                seed=seed + direction,
                report=report,
            )
            nets.append(net)
            losses.append(loss)
    model = NeuralBarycenter(
        groups=groups,
        weights=np.asarray(weights, float),
        total_cost=0.0,
        group_costs=np.zeros(2),
        scale=scale,
        losses=(losses[0], losses[1]),
        seconds=0.0,
        _nets=(nets[0], nets[1]),
    )
    moved = model.endpoint(C, codes)
    group_costs = np.array([np.mean(((moved - C)[codes == g] ** 2).sum(1)) for g in range(2)])
    return NeuralBarycenter(
        groups=groups,
        weights=model.weights,
        total_cost=float(model.weights @ group_costs),
        group_costs=group_costs,
        scale=scale,
        losses=model.losses,
        seconds=time.perf_counter() - start,
        _nets=model._nets,
    )


__all__ = ["NeuralBarycenter", "NeuralOTConfig", "fit_neural_ot"]
