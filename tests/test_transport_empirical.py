"""Empirical OT barycenters: against POT's free-support barycenter and EMDTransport, invariants."""

from __future__ import annotations

import warnings

import numpy as np
import ot
import pytest
from numpy.testing import assert_allclose

from unlearn_core.transport import fit_barycenter


def _two_groups(rng, n0=30, n1=40, d=2):
    stretch = np.diag([1.0, 2.0][:d] + [1.0] * (d - 2))
    X = np.vstack([rng.normal(0, 1, (n0, d)), rng.normal(3, 0.5, (n1, d)) @ stretch])
    z = np.repeat([0, 1], [n0, n1])
    return X, z


def test_support_matches_pot_free_support_barycenter():
    rng = np.random.default_rng(0)
    X, z = _two_groups(rng)
    init = rng.normal(1.5, 1.0, (20, 2))
    maps = fit_barycenter(
        X, z, method="ot-exact", weights="uniform", n_support=20, init=init, tol=1e-12, max_iter=100
    )
    pot = ot.lp.free_support_barycenter(
        [X[z == 0], X[z == 1]], [np.full(30, 1 / 30), np.full(40, 1 / 40)], init,
        numItermax=100, stopThr=1e-20,
    )
    assert_allclose(maps.support, pot, atol=1e-8)


def test_maps_match_emd_transport_in_and_out_of_sample():
    rng = np.random.default_rng(1)
    X, z = _two_groups(rng, 25, 35)
    maps = fit_barycenter(X, z, method="ot-exact", n_support=30, random_state=0)
    assert maps.exact and maps.converged
    new = rng.normal(1.0, 2.0, (15, 2))
    for k in (0, 1):
        Xk = X[z == k]
        emd = ot.da.EMDTransport().fit(Xs=Xk, Xt=maps.support)
        assert_allclose(maps.transform(Xk, np.full(len(Xk), k)), emd.transform(Xs=Xk), atol=1e-9)
        assert_allclose(maps.transform(new, np.full(15, k)), emd.transform(Xs=new), atol=1e-9)


def test_equal_sizes_give_a_monge_map_and_zero_leakage():
    rng = np.random.default_rng(2)
    X, z = _two_groups(rng, 40, 40)
    maps = fit_barycenter(X, z, method="ot-exact", n_support=40, random_state=0)
    TX = maps.transform(X, z)
    # uniform masses of equal counts: the plans are permutations, both groups land on the support
    for k in (0, 1):
        assert_allclose(np.sort(TX[z == k], axis=0), np.sort(maps.support, axis=0), atol=1e-8)
    assert maps.w2_leakage(TX, z) < 1e-10
    D = np.mean(np.sum((X - TX) ** 2, 1))
    assert_allclose(D, maps.total_cost, rtol=1e-8)
    for t in (0.3, 0.8):
        D = np.mean(np.sum((X - maps.transform(X, z, t)) ** 2, 1))
        assert_allclose(D, t**2 * maps.total_cost, rtol=1e-8)


def test_identical_groups_give_identity():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(30, 3))
    X = np.vstack([base, base])
    z = np.repeat([0, 1], 30)
    maps = fit_barycenter(X, z, method="ot-exact", n_support=30, init=base)
    assert_allclose(maps.transform(X, z), X, atol=1e-9)


def test_duplicate_rows_share_one_displacement():
    rng = np.random.default_rng(4)
    base = rng.integers(0, 2, (60, 3)).astype(float)  # binary rows: many duplicates
    z = np.repeat([0, 1], 30)
    base[z == 1, 0] = 1 - base[z == 1, 0] * 0.5
    maps = fit_barycenter(base, z, method="ot-exact", n_support=20, random_state=0)
    TX = maps.transform(base, z)
    for k in (0, 1):
        rows = base[z == k]
        _, inv = np.unique(rows, axis=0, return_inverse=True)
        for u in np.unique(inv):
            assert np.ptp(TX[z == k][inv.ravel() == u], axis=0).max() < 1e-12


def test_subsampling_is_reported():
    rng = np.random.default_rng(5)
    X, z = _two_groups(rng, 120, 150)
    maps = fit_barycenter(X, z, method="ot-exact", max_samples=50, n_support=25)
    assert not maps.exact
    assert "subsampled to 50 rows per group" in maps.notes
    assert maps.transform(X, z).shape == X.shape


def test_sinkhorn_approaches_exact_as_reg_shrinks():
    rng = np.random.default_rng(6)
    X, z = _two_groups(rng, 40, 40)
    init = X[rng.choice(80, 40, replace=False)]
    exact = fit_barycenter(X, z, method="ot-exact", n_support=40, init=init)
    errs = []
    for reg in (0.2, 0.01):
        sk = fit_barycenter(X, z, method="ot-sinkhorn", n_support=40, init=init, reg=reg, max_iter=30)
        assert not sk.exact and f"reg={reg:g}" in sk.notes
        errs.append(np.mean(np.sum((sk.transform(X, z) - exact.transform(X, z)) ** 2, 1)))
    assert errs[1] < errs[0]
    assert errs[1] < 0.05 * exact.total_cost


def test_bad_options_raise():
    rng = np.random.default_rng(7)
    X, z = _two_groups(rng)
    with pytest.raises(ValueError, match="reg"):
        fit_barycenter(X, z, method="ot-sinkhorn", reg=-1.0)
    with pytest.raises(ValueError, match="max_samples"):
        fit_barycenter(X, z, method="ot-exact", max_samples=1)


# -- issue 19: the exact solver against POT, plans reused, row order, KD-tree, memory ------------------


def _pot_objective(support, locs, weights):
    b = np.full(support.shape[0], 1.0 / support.shape[0])
    return sum(w * ot.emd2(b, np.full(len(L), 1.0 / len(L)), ot.dist(support, L))
               for L, w in zip(locs, weights, strict=True))


@pytest.mark.parametrize("d", [2, 5])
def test_converged_support_objective_and_maps_equal_pot(d):
    rng = np.random.default_rng(10 + d)
    X, z = _two_groups(rng, 120, 90, d=d)
    init = X[rng.choice(len(X), 40, replace=False)]
    maps = fit_barycenter(X, z, method="ot-exact", weights="uniform", n_support=40, init=init, tol=1e-300,
                          max_iter=200)
    locs = [X[z == 0], X[z == 1]]
    pot = ot.lp.free_support_barycenter(locs, [np.full(len(L), 1.0 / len(L)) for L in locs], init,
                                        numItermax=200, stopThr=0.0)
    assert maps.converged and maps.exact
    assert_allclose(maps.support, pot, atol=1e-10)
    # the reused last plans give the exact objective of the returned support
    assert_allclose(maps.total_cost, _pot_objective(pot, locs, [0.5, 0.5]), rtol=1e-10)
    for k, L in enumerate(locs):
        emd = ot.da.EMDTransport().fit(Xs=L, Xt=maps.support)
        assert_allclose(maps.transform(L, np.full(len(L), k)), emd.transform(Xs=L), atol=1e-9)


def test_fixed_iterations_follow_pot_step_by_step():
    rng = np.random.default_rng(4)
    X, z = _two_groups(rng, 200, 150, d=3)
    init = X[rng.choice(len(X), 30, replace=False)]
    locs = [X[z == 0], X[z == 1]]
    for n_iter in (1, 3):
        with pytest.warns(RuntimeWarning, match="increase max_iter"):
            maps = fit_barycenter(X, z, method="ot-exact", weights="uniform", n_support=30, init=init,
                                  tol=1e-300, max_iter=n_iter)
        pot = ot.lp.free_support_barycenter(locs, [np.full(len(L), 1.0 / len(L)) for L in locs], init,
                                            numItermax=n_iter, stopThr=0.0)
        assert_allclose(maps.support, pot, atol=1e-10)
        assert "last iteration's plans" in maps.notes
        # the last plans' cost at the moved support bounds the optimal one from above
        assert maps.total_cost >= _pot_objective(pot, locs, [0.5, 0.5]) - 1e-12


def test_repeated_rows_are_one_atom_in_their_original_order():
    from unlearn_core.transport.empirical import _distinct_rows

    rng = np.random.default_rng(6)
    base = rng.normal(size=(50, 2))
    rows = rng.integers(0, 50, 200)
    uniq, counts = _distinct_rows(base[rows])
    first = sorted(set(rows.tolist()), key=rows.tolist().index)  # order of first appearance
    assert_allclose(uniq, base[first])
    assert_allclose(counts, [np.sum(rows == r) for r in first])
    # the merged problem is POT's problem with the counts as masses
    X = np.vstack([base[rows], rng.normal(2.0, 1.0, (80, 2))])
    z = np.repeat([0, 1], [200, 80])
    init = X[rng.choice(len(X), 25, replace=False)]
    maps = fit_barycenter(X, z, method="ot-exact", weights="uniform", n_support=25, init=init, tol=1e-300,
                          max_iter=200)
    pot = ot.lp.free_support_barycenter([uniq, X[200:]], [counts / counts.sum(), np.full(80, 1 / 80)], init,
                                        numItermax=200, stopThr=0.0)
    assert_allclose(maps.support, pot, atol=1e-10)


def test_kd_tree_finds_the_same_nearest_fitted_row_as_brute_force():
    from unlearn_core.transport.empirical import _nearest

    rng = np.random.default_rng(8)
    X, z = _two_groups(rng, 300, 250, d=4)
    maps = fit_barycenter(X, z, method="ot-exact", n_support=50, random_state=0)
    new = rng.normal(1.0, 2.0, (2000, 4))
    zn = rng.integers(0, 2, 2000)
    mapper = maps._mapper
    expected = np.empty_like(new)
    for k in (0, 1):
        rows = zn == k
        expected[rows] = mapper.moves[k][_nearest(new[rows], mapper.anchors[k])]
    assert_allclose(maps.displacement(new, zn), expected, atol=0)
    assert set(mapper._trees) == {0, 1}  # the trees were built and are cached


def test_memory_at_most_pots():
    import tracemalloc

    rng = np.random.default_rng(9)
    X, z = _two_groups(rng, 1500, 1500, d=3)
    init = X[rng.choice(len(X), 200, replace=False)]
    locs = [X[z == 0], X[z == 1]]

    def peak(fn):
        tracemalloc.start()
        try:
            fn()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours = peak(lambda: fit_barycenter(X, z, method="ot-exact", weights="uniform", n_support=200,
                                           init=init, tol=1e-300, max_iter=2))
    pot = peak(lambda: ot.lp.free_support_barycenter(locs, [np.full(1500, 1 / 1500)] * 2, init, numItermax=2,
                                                     stopThr=0.0))
    assert ours <= pot, (ours / 2**20, pot / 2**20)
