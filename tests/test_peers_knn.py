"""k-NN MI (issues 19, 12, 16): tree counts equal brute force, k checked, scale-free, <= H(Z)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import digamma

from unlearn_core import leakage
from unlearn_core.leakage import ground_truth as gt
from unlearn_core.leakage.knn import _neighbour_counts, knn_mi


def _brute_force_terms(X: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    """Ross's per-row terms from all pairwise max-norm distances (the definition, no trees)."""
    n = codes.size
    D = np.abs(X[:, None, :] - X[None, :, :]).max(axis=2)
    counts = np.bincount(codes)
    terms = np.empty(n)
    for i in range(n):
        own = np.sort(D[i, codes == codes[i]])  # itself first (distance 0)
        r = np.nextafter(own[k], 0)
        m = max(int(np.sum(D[i] <= r)), 1)
        terms[i] = digamma(n) + digamma(k) - digamma(counts[codes[i]]) - digamma(m)
    return terms


@pytest.mark.parametrize("K,d,seed", [(2, 2, 0), (3, 10, 1), (4, 1, 2)])
def test_estimate_equals_the_brute_force_definition_on_ground_truth_worlds(K, d, seed):
    w = gt.gaussian_mixture_world(K=K, d=d, target_mi=0.3, n=500, random_state=seed)
    codes = np.asarray(w.z)
    core = knn_mi(w.S, codes, K, rng=np.random.default_rng(seed), k=5, jitter=0.0)
    X = (w.S - w.S.mean(0)) / w.S.std(0)
    assert_allclose(core.raw, _brute_force_terms(X, codes, 5).mean(), rtol=0, atol=1e-12)


def test_tree_counts_handle_exact_ties_without_jitter():
    rng = np.random.default_rng(3)
    X = np.repeat(rng.integers(0, 3, (60, 2)).astype(float), 3, axis=0)  # every row thrice
    codes = rng.integers(0, 2, X.shape[0])
    _, m = _neighbour_counts(X, codes, 2, 2)
    D = np.abs(X[:, None] - X[None]).max(2)
    expected = []
    for i in range(X.shape[0]):
        own = np.sort(D[i, codes == codes[i]])
        expected.append(np.sum(D[i] <= np.nextafter(own[2], 0)))
    assert_allclose(m, expected)


def test_estimate_close_to_ground_truth_and_the_sample_unchanged_by_group_order():
    w = gt.gaussian_mixture_world(K=2, d=2, target_mi=0.3, n=4000, random_state=5)
    e = leakage.estimate(w.S, w.z, method="knn", n_boot=0, random_state=0)
    assert abs(e.value - 0.3) < 0.04
    flipped = leakage.estimate(w.S, 1 - np.asarray(w.z), method="knn", n_boot=0, random_state=0)
    assert_allclose(flipped.value, e.value, atol=1e-12)


def test_k_not_below_the_smallest_group_is_refused_naming_k():
    rng = np.random.default_rng(0)
    S = rng.standard_normal((40, 2))
    z = np.r_[np.zeros(36), np.ones(4)]
    with pytest.raises(ValueError, match=r"k = 4 .*group 1 has 4"):
        knn_mi(S, z.astype(int), 2, rng=rng, k=4)
    with pytest.raises(ValueError, match="k = "):
        leakage.estimate(S, z, method="knn", k=10, n_boot=0)


@pytest.mark.parametrize("factor", [1e-30, 1e12])
@pytest.mark.parametrize("standardize", [True, False])
def test_estimate_does_not_depend_on_the_data_scale(factor, standardize):
    w = gt.gaussian_mixture_world(K=3, d=3, target_mi=0.4, n=1500, random_state=7)
    ref = leakage.estimate(w.S, w.z, method="knn", n_boot=0, random_state=0, standardize_columns=standardize)
    scaled = leakage.estimate(w.S * factor, w.z, method="knn", n_boot=0, random_state=0,
                              standardize_columns=standardize)
    assert ref.value > 0.2
    assert_allclose(scaled.value, ref.value, rtol=1e-9)


def test_one_hot_outputs_give_the_discrete_mi_and_never_more_than_h_z():
    world = gt.identity_world(K=3, n=3000, random_state=0)  # S = one-hot Z: I = H(Z)
    e = leakage.estimate(world.S, world.z, method="knn", n_boot=0, random_state=0)
    h = gt.entropy(np.bincount(world.z) / world.z.size)
    assert e.value <= h + 1e-12
    assert e.value > 0.95 * h
    assert "raw_unclipped" in e.diagnostics
    # a binary symmetric channel: plug-in MI of the discrete law (within its sampling error)
    rng = np.random.default_rng(1)
    z = rng.integers(0, 2, 4000)
    s = np.where(rng.random(4000) < 0.8, z, 1 - z).astype(float)[:, None]
    true = np.log(2) + 0.8 * np.log(0.8) + 0.2 * np.log(0.2)
    assert abs(leakage.estimate(s, z, method="knn", n_boot=0, random_state=0).value - true) < 0.03


def test_the_cap_at_h_z_keeps_the_raw_value():
    # two tiny, well separated groups: Ross's formula exceeds H(Z) at small n
    rng = np.random.default_rng(2)
    z = np.repeat([0, 1], [6, 30])
    S = np.where(z[:, None] == 0, 100.0, 0.0) + rng.standard_normal((36, 1))
    core = knn_mi(S, z, 2, rng=rng, k=3)
    h = core.diagnostics["H(Z)"]
    assert core.diagnostics["raw_unclipped"] > h  # the case exists
    assert core.raw == h and core.diagnostics["clipped_at_H(Z)"]
    assert core.boot_stat(np.arange(36)) <= h


def test_duplicated_rows_of_continuous_data_are_flagged():
    w = gt.gaussian_mixture_world(K=2, d=2, target_mi=0.3, n=1000, random_state=3)
    idx = np.random.default_rng(0).integers(0, 1000, 1000)
    with pytest.warns(RuntimeWarning, match="duplicated rows"):
        e = leakage.estimate(w.S[idx], np.asarray(w.z)[idx], method="knn", n_boot=0, random_state=0)
    assert e.diagnostics["duplicated_rows"] > 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # distinct rows: no warning
        leakage.estimate(w.S, w.z, method="knn", n_boot=0, random_state=0)
