"""Torch penalties: gradcheck in float64, agreement with the numpy estimators, the registry contract."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from unlearn_core import leakage
from unlearn_core.leakage import ground_truth as gt
from unlearn_core.leakage.differentiable import (
    IS_MI,
    NEEDS_PROBABILITIES,
    PENALTIES,
    dv_penalty,
    hsic_penalty,
    sinkhorn_penalty,
)


def small_batch(seed=0, n=14, c=2):
    g = torch.Generator().manual_seed(seed)
    S = torch.randn(n, c, generator=g, dtype=torch.float64)
    z = torch.tensor([0, 1] * (n // 2))
    S[z == 1] += 0.7
    return S, z


def test_registry_contract():
    assert set(PENALTIES) == {"softmax-averaging", "hsic", "dv", "sinkhorn"}
    assert NEEDS_PROBABILITIES == {"softmax-averaging"} and set(IS_MI) == set(PENALTIES)
    probs = torch.softmax(torch.randn(40, 3, generator=torch.Generator().manual_seed(1)), dim=1)
    z = torch.arange(40) % 2
    for name, fn in PENALTIES.items():
        out = fn(probs.clone().requires_grad_(True), z, 2)
        assert out.ndim == 0 and torch.isfinite(out) and float(out.detach()) >= -1e-9, name
        out.backward()


@pytest.mark.parametrize(
    "fn,kw",
    [
        (hsic_penalty, {"bandwidth": 1.3}),
        (dv_penalty, {}),
        (sinkhorn_penalty, {"reg": 2.0, "tol": 1e-13, "max_iter": 10000}),
    ],
    ids=["hsic", "dv", "sinkhorn"],
)
def test_gradcheck_float64(fn, kw):
    S, z = small_batch()
    S.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda s: fn(s, z, 2, **kw), (S,), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_gradcheck_softmax_averaging():
    logits = torch.randn(12, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    P = torch.softmax(logits, dim=1)
    z = torch.arange(12) % 2
    P.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda p: PENALTIES["softmax-averaging"](p, z, 2), (P,), eps=1e-6, atol=1e-6
    )


def test_softmax_and_hsic_penalties_equal_the_numpy_estimators():
    world = gt.gaussian_mixture_world(2, 2, 0.3, 300, random_state=0)
    S = torch.tensor(world.S)
    z = torch.tensor(world.z)
    h = 1.7
    assert float(hsic_penalty(S, z, 2, bandwidth=h)) > 0
    assert_allclose(float(hsic_penalty(S, z, 2, bandwidth=h, unbiased=True)),
                    leakage.estimate(world.S, world.z, method="hsic", bandwidth=h).raw, rtol=1e-10)
    P = torch.softmax(S, dim=1)
    assert_allclose(float(PENALTIES["softmax-averaging"](P, z, 2)),
                    leakage.estimate(P.numpy(), world.z, method="softmax-averaging").raw, rtol=1e-6)


def test_dv_penalty_is_close_to_the_gaussian_plugin_on_gaussian_groups():
    world = gt.gaussian_mixture_world(2, 2, 0.3, 2000, random_state=1)
    dv = float(dv_penalty(torch.tensor(world.S), torch.tensor(world.z), 2))
    plug = leakage.estimate(world.S, world.z, method="gaussian", bias_correction=False).raw
    assert 0 < dv <= plug + 0.01
    assert_allclose(dv, world.true_mi, atol=0.03)
    ind = gt.independent_world(2, 2, 2000, random_state=1)
    assert float(dv_penalty(torch.tensor(ind.S), torch.tensor(ind.z), 2)) < 0.01


def test_sinkhorn_penalty_approaches_the_exact_w2():
    rng = np.random.default_rng(3)
    z = np.r_[np.zeros(30, int), np.ones(30, int)]
    S = rng.normal(size=(60, 2)) + 1.5 * z[:, None]
    exact = leakage.estimate(S, z, method="w2", kind="exact").raw
    sk = float(sinkhorn_penalty(torch.tensor(S), torch.tensor(z), 2, reg=0.05, max_iter=5000))
    assert_allclose(sk, exact, rtol=0.01)


def test_penalties_shrink_when_the_groups_are_made_to_coincide():
    S, z = small_batch(n=40)
    S_same = S.clone()
    S_same[z == 1] -= 0.7
    for name in ("hsic", "dv", "sinkhorn"):
        before = float(PENALTIES[name](S, z, 2))
        after = float(PENALTIES[name](S_same, z, 2))
        assert after < before, name


def test_a_few_gradient_steps_on_the_dv_penalty_reduce_it():
    S, z = small_batch(n=60)
    X = S.clone().requires_grad_(True)
    opt = torch.optim.SGD([X], lr=20.0)  # the bound is a mean over rows: per-row gradients are O(1/n)
    first = float(dv_penalty(X, z, 2))
    for _ in range(10):
        opt.zero_grad()
        dv_penalty(X, z, 2).backward()
        opt.step()
    assert float(dv_penalty(X, z, 2)) < 0.5 * first
