"""Ground-truth worlds: quadrature against Monte Carlo and closed forms, separation solving, generators."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.integrate import quad
from scipy.stats import norm

from unlearn_core.leakage import ground_truth as gt


def test_two_group_quadrature_matches_a_direct_one_dimensional_integral():
    delta, p = 1.3, 0.3
    def integrand(x):
        f0, f1 = norm.pdf(x), norm.pdf(x, loc=delta)
        mix = (1 - p) * f0 + p * f1
        return (1 - p) * f0 * np.log(f0 / mix) + p * f1 * np.log(f1 / mix)
    direct = quad(integrand, -12, 12 + delta, epsabs=1e-13)[0]
    assert_allclose(gt.mixture_mi([[0.0], [delta]], weights=[1 - p, p]), direct, atol=1e-10)


def test_mi_depends_only_on_the_span_of_the_means():
    rng = np.random.default_rng(0)
    M2 = np.array([[0.0, 0.0], [1.0, 0.5], [0.2, 1.4], [1.1, 1.2]])
    Q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    M6 = np.hstack([M2, np.zeros((4, 4))]) @ Q.T + 3.0  # rotated and shifted in 6-D
    assert_allclose(gt.mixture_mi(M6), gt.mixture_mi(M2), atol=1e-12)


@pytest.mark.parametrize("K,d", [(2, 10), (4, 2), (4, 10)])
def test_quadrature_agrees_with_a_million_draw_monte_carlo(K, d):
    world = gt.gaussian_mixture_world(K, d, 0.3, 10, random_state=1)
    mc, se = gt.mixture_mi_mc(world.params["means"], n_draws=1_000_000, random_state=2)
    assert se < 1e-3
    assert abs(mc - world.true_mi) < 4 * se + world.true_mi_error


def test_limits_zero_separation_and_full_separation():
    assert gt.mixture_mi([[0.0], [0.0]]) == 0.0
    far = gt.mixture_mi([[0.0], [40.0]], weights=[0.25, 0.75])
    assert_allclose(far, gt.entropy([0.25, 0.75]), atol=1e-9)


@pytest.mark.parametrize("K,d,target", [(2, 1, 0.05), (2, 10, 0.3), (4, 1, 0.3), (4, 2, 0.05), (4, 10, 0.3)])
def test_world_hits_the_target_mi(K, d, target):
    world = gt.gaussian_mixture_world(K, d, target, 500, random_state=3)
    assert_allclose(world.true_mi, target, atol=1e-9)
    assert world.S.shape == (500, d) and set(np.unique(world.z)) == set(range(K))
    S, z, mi = world  # unpacks as (S, z, true_mi)
    assert mi == world.true_mi and S is world.S


def test_worlds_are_seed_reproducible_and_registered():
    a = gt.gaussian_mixture_world(2, 3, 0.3, 100, random_state=5)
    b = gt.gaussian_mixture_world(2, 3, 0.3, 100, random_state=5)
    assert np.array_equal(a.S, b.S) and np.array_equal(a.z, b.z)
    assert set(gt.WORLDS) == {"gaussian-mixture", "independent", "identity"}
    for spec in gt.WORLDS.values():
        w = spec.fn(n=60, random_state=0)
        assert w.S.shape[0] == 60 and w.true_mi >= 0
    ident = gt.identity_world(4, 100, random_state=0)
    assert_allclose(ident.true_mi, np.log(4)) and np.array_equal(ident.S.argmax(axis=1), ident.z)
    assert gt.independent_world(3, 2, 90, random_state=0).true_mi == 0.0


def test_bad_targets_are_refused_with_the_range():
    with pytest.raises(ValueError, match=r"\[0, H\(Z\)\)"):
        gt.gaussian_mixture_world(2, 1, 0.8, 100)
    with pytest.raises(ValueError, match="K >= 2"):
        gt.gaussian_mixture_world(1, 1, 0.1, 100)
