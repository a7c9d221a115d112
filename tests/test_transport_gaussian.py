"""Gaussian (Bures-Wasserstein) barycenter: against POT, closed forms and invariants."""

from __future__ import annotations

from functools import partial

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from unlearn_core.transport import bures_barycenter, gaussian_w2
from unlearn_core.transport import fit_barycenter as _fit
from unlearn_core.transport._linalg import small_blas, sqrtm_psd
from unlearn_core.transport.gaussian import group_moments

fit_barycenter = partial(_fit, method="gaussian")  # this module tests the Gaussian method


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # POT's reference fixed point is slow on a shared 2-core machine with threaded BLAS; the results do
    # not depend on the thread count.
    with small_blas(1):
        yield


def _random_spd(rng, d, K):
    out = []
    for _ in range(K):
        A = rng.standard_normal((d, d))
        out.append(A @ A.T / d + 0.2 * np.eye(d))
    return np.array(out)


def _grouped_data(rng, K, d, n_per=None):
    """Well-conditioned non-Gaussian-free data: each group an affine image of standard normals."""
    n_per = n_per or max(4 * d, 60)
    Xs, zs = [], []
    for k in range(K):
        L = rng.standard_normal((d, d)) / np.sqrt(d) + np.eye(d) * (0.5 + k * 0.3)
        Xs.append(rng.standard_normal((n_per + 7 * k, d)) @ L.T + rng.normal(0, 2, d))
        zs.append(np.full(n_per + 7 * k, k))
    return np.vstack(Xs), np.concatenate(zs)


@pytest.mark.parametrize("K", [2, 3, 5])
@pytest.mark.parametrize("d", [1, 2, 10, 50])
def test_fixed_point_matches_pot_barycenter(K, d):
    rng = np.random.default_rng(100 * K + d)
    covs = _random_spd(rng, d, K)
    w = rng.dirichlet(np.ones(K))
    S, n_iter, converged, _ = bures_barycenter(covs, w, tol=1e-12)
    _, S_pot = ot.gaussian.bures_wasserstein_barycenter(
        rng.standard_normal((K, d)), covs, weights=w, num_iter=20000, eps=1e-11
    )
    assert converged and n_iter < 100
    assert np.linalg.norm(S - S_pot) / np.linalg.norm(S_pot) <= 1e-6


@pytest.mark.parametrize("K", [2, 3, 5])
@pytest.mark.parametrize("d", [1, 2, 10, 50])
def test_fitted_maps_match_pot_mapping(K, d):
    rng = np.random.default_rng(7 * K + d)
    X, z = _grouped_data(rng, K, d)
    maps = fit_barycenter(X, z, method="gaussian", tol=1e-12)
    assert maps.ridge == 0.0 and maps.exact and maps.converged
    means, covs = group_moments(X, z, K)
    m_pot, S_pot = ot.gaussian.bures_wasserstein_barycenter(
        means, covs, weights=maps.weights, num_iter=20000, eps=1e-9 * np.linalg.norm(maps.cov)
    )
    assert_allclose(maps.mean, m_pot, atol=1e-10)
    assert np.linalg.norm(maps.cov - S_pot) / np.linalg.norm(S_pot) <= 1e-6
    S_pot = maps.cov  # maps onto the same target, so the comparison below isolates the map formula
    TX = maps.transform(X, z, t=1.0)
    for k in range(K):
        A, b = ot.gaussian.bures_wasserstein_mapping(means[k], m_pot, covs[k], S_pot)
        rows = z == k
        expected = X[rows] @ A + b
        scale = np.abs(expected).max()
        assert_allclose(TX[rows], expected, atol=1e-6 * scale)
        # and the cost of each group equals POT's Bures-Wasserstein distance
        w2 = ot.gaussian.bures_wasserstein_distance(means[k], m_pot, covs[k], S_pot) ** 2
        assert_allclose(maps.group_costs[k], w2, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("d", [1, 3, 8])
def test_two_group_closed_form_equals_fixed_point(d):
    rng = np.random.default_rng(d)
    X, z = _grouped_data(rng, 2, d)
    for weights in ("empirical", "uniform", [0.9, 0.1]):
        fast = fit_barycenter(X, z, weights=weights, fast_path=True)
        slow = fit_barycenter(X, z, weights=weights, fast_path=False, tol=1e-13)
        assert fast.n_iter == 0 and slow.n_iter > 0
        assert_allclose(fast.cov, slow.cov, rtol=1e-8, atol=1e-10)
        assert_allclose(fast.group_costs, slow.group_costs, rtol=1e-8, atol=1e-10)
        assert_allclose(fast.transform(X, z), slow.transform(X, z), atol=1e-8)


def test_one_dimensional_closed_form():
    # In 1-D the barycenter of N(m_z, s_z^2) is N(sum w m, (sum w s)^2): quantile averaging.
    rng = np.random.default_rng(3)
    covs = rng.uniform(0.2, 3.0, (4, 1, 1))
    w = rng.dirichlet(np.ones(4))
    S, *_ = bures_barycenter(covs, w, tol=1e-14)
    assert_allclose(S[0, 0], (w @ np.sqrt(covs[:, 0, 0])) ** 2, rtol=1e-10)


def test_identical_groups_give_identity():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((80, 4)) @ rng.standard_normal((4, 4))
    X = np.vstack([base, base, base])
    z = np.repeat([0, 1, 2], 80)
    maps = fit_barycenter(X, z)
    assert_allclose(maps.transform(X, z), X, atol=1e-9)
    assert maps.total_cost < 1e-12


def test_one_hot_weight_returns_that_group():
    rng = np.random.default_rng(1)
    X, z = _grouped_data(rng, 3, 4)
    maps = fit_barycenter(X, z, weights=[0.0, 1.0, 0.0], tol=1e-13)
    means, covs = group_moments(X, z, 3)
    assert_allclose(maps.mean, means[1], atol=1e-12)
    assert_allclose(maps.cov, covs[1], rtol=1e-8, atol=1e-10)
    assert_allclose(maps.transform(X[z == 1], z[z == 1]), X[z == 1], atol=1e-8)
    assert maps.group_costs[1] < 1e-10


@pytest.mark.parametrize("K", [2, 3])
def test_permuting_group_labels_changes_nothing(K):
    rng = np.random.default_rng(K)
    X, z = _grouped_data(rng, K, 5)
    perm = rng.permutation(K)[::-1].copy()
    names = np.array(["a", "b", "c"])[:K]
    z1 = names[z]
    z2 = names[perm][z]  # a relabelling of the same partition
    m1 = fit_barycenter(X, z1, tol=1e-13)
    m2 = fit_barycenter(X, z2, tol=1e-13)
    assert_allclose(m1.transform(X, z1, 0.7), m2.transform(X, z2, 0.7), atol=1e-8)
    assert_allclose(m1.total_cost, m2.total_cost, rtol=1e-10)
    # rows given in another order map to the same points
    order = rng.permutation(X.shape[0])
    m3 = fit_barycenter(X[order], z1[order], tol=1e-13)
    assert_allclose(m3.transform(X, z1), m1.transform(X, z1), atol=1e-8)


@pytest.mark.parametrize("K", [2, 4])
def test_mapped_groups_share_mean_and_covariance(K):
    rng = np.random.default_rng(10 + K)
    X, z = _grouped_data(rng, K, 6)
    maps = fit_barycenter(X, z, tol=1e-13)
    TX = maps.transform(X, z)
    means, covs = group_moments(TX, z, K)
    for k in range(K):
        assert_allclose(means[k], maps.mean, atol=1e-9)
        assert_allclose(covs[k], maps.cov, atol=1e-8 * np.abs(maps.cov).max())


@pytest.mark.parametrize("t", [0.0, 0.25, 0.5, 0.9, 1.0])
def test_distortion_and_w2_leakage_follow_t_squared(t):
    rng = np.random.default_rng(42)
    X, z = _grouped_data(rng, 3, 5)
    maps = fit_barycenter(X, z, tol=1e-13)
    V = maps.total_cost
    Xt = maps.transform(X, z, t)
    D = np.mean(np.sum((X - Xt) ** 2, axis=1))
    # D(t) = t^2 V is an in-sample identity for the empirical measure's moments (ddof = 0) ...
    assert_allclose(D, t**2 * V, rtol=1e-6, atol=1e-12)
    # ... and so is the Gaussian W2 leakage of the interpolated groups: (1 - t)^2 V.
    assert_allclose(maps.w2_leakage(Xt, z), (1 - t) ** 2 * V, rtol=1e-6, atol=1e-9)
    assert_allclose(np.sqrt(D) + np.sqrt(maps.w2_leakage(Xt, z)), np.sqrt(V), rtol=1e-6)


def test_ridge_for_singular_one_hot_columns():
    rng = np.random.default_rng(5)
    n = 600
    z = rng.integers(0, 2, n)
    cat = np.where(z == 0, rng.integers(0, 3, n), rng.integers(1, 4, n))  # level 0 absent in group 1
    onehot = np.eye(4)[cat]  # columns sum to 1: singular for every group
    X = np.column_stack([onehot, rng.standard_normal(n) + z])
    maps = fit_barycenter(X, z)
    assert maps.ridge > 0 and not maps.exact
    assert "ridge" in maps.notes
    TX = maps.transform(X, z)
    assert np.all(np.isfinite(TX))
    # the ridge is small relative to the spectrum, and the mapped group means still agree
    assert maps.ridge <= 1e-5 * np.linalg.eigvalsh(np.cov(X.T)).max()
    m0, m1 = TX[z == 0].mean(0), TX[z == 1].mean(0)
    assert_allclose(m0, m1, atol=1e-6)
    explicit = fit_barycenter(X, z, ridge=0.01)
    assert explicit.ridge == 0.01


def test_non_convergence_warns_and_reports():
    rng = np.random.default_rng(9)
    X, z = _grouped_data(rng, 3, 6)
    with pytest.warns(RuntimeWarning, match="max_iter"):
        maps = fit_barycenter(X, z, max_iter=1, tol=1e-15)
    assert not maps.converged and maps.n_iter == 1
    assert "not converged" in maps.notes


@settings(max_examples=15, deadline=None)
@given(
    K=st.integers(2, 4),
    d=st.integers(1, 4),
    seed=st.integers(0, 10_000),
)
def test_barycenter_is_a_fixed_point_and_maps_push_forward(K, d, seed):
    rng = np.random.default_rng(seed)
    covs = _random_spd(rng, d, K)
    w = rng.dirichlet(np.ones(K))
    S, _, converged, _ = bures_barycenter(covs, w, tol=1e-13, max_iter=2000)
    assert converged
    R = sqrtm_psd(S)
    assert_allclose(np.einsum("k,kij->ij", w, sqrtm_psd(R @ covs @ R)), S, rtol=1e-7, atol=1e-9)
    # the barycenter minimises the weighted W2 cost: a perturbed covariance never does better
    cost = sum(wk * gaussian_w2(np.zeros(d), C, np.zeros(d), S) for wk, C in zip(w, covs, strict=True))
    E = rng.standard_normal((d, d)) * 0.05
    S_pert = S + E @ E.T
    cost_pert = sum(
        wk * gaussian_w2(np.zeros(d), C, np.zeros(d), S_pert) for wk, C in zip(w, covs, strict=True)
    )
    assert cost <= cost_pert + 1e-10


def test_gaussian_w2_matches_pot():
    rng = np.random.default_rng(11)
    covs = _random_spd(rng, 6, 2)
    m1, m2 = rng.standard_normal(6), rng.standard_normal(6)
    ours = gaussian_w2(m1, covs[0], m2, covs[1])
    pot = ot.gaussian.bures_wasserstein_distance(m1, m2, covs[0], covs[1]) ** 2
    assert_allclose(ours, pot, rtol=1e-9)
