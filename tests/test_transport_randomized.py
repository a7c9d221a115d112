"""The randomised discrete barycenter ("ot-randomized"): groups equal in law, exact plan costs, the path."""

from __future__ import annotations

import numpy as np
import ot
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from unlearn_core import transport
from unlearn_core.transport import fit_barycenter, mccann
from unlearn_core.transport.randomized import default_n_support


def _world(n: int, seed: int = 0):
    """Two groups that differ in mean, spread and shape, plus a repeated (one-hot-like) column."""
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 3))
    X[z == 1] = X[z == 1] * [2.0, 0.5, 1.0] + [1.5, -1.0, 0.0]
    X[:, 2] = (rng.random(n) < np.where(z == 1, 0.8, 0.3)).astype(float)  # a binary column, many ties
    return X, np.array(["a", "b"])[z]


def _law(J: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(J, minlength=k) / J.size


@pytest.fixture(scope="module")
def fitted():
    X, z = _world(3000)
    return X, z, fit_barycenter(X, z, method="ot-randomized", n_support=20, random_state=0)


def test_fitted_rows_have_the_same_law_in_every_group(fitted):
    X, z, maps = fitted
    codes = np.searchsorted(maps.groups, z)
    J = maps._mapper.draws(X, codes)
    k = maps.support.shape[0]
    laws = [_law(J[codes == g], k) for g in range(2)]
    # each group's rows follow its plan row by row: the law of J is b = 1/k up to the draws' noise
    n_min = min(np.sum(codes == g) for g in range(2))
    assert np.abs(laws[0] - 1 / k).max() < 4 * np.sqrt(1 / k / n_min)
    assert 0.5 * np.abs(laws[0] - laws[1]).sum() < 0.08


def test_unseen_rows_have_nearly_the_same_law(fitted):
    _, _, maps = fitted
    Xn, zn = _world(20000, seed=9)  # same world, new rows
    codes = np.searchsorted(maps.groups, zn)
    J = maps._mapper.draws(Xn, codes)
    k = maps.support.shape[0]
    tv = 0.5 * np.abs(_law(J[codes == 0], k) - _law(J[codes == 1], k)).sum()
    # the untreated groups are far apart: total variation between their X laws is large
    assert tv < 0.1


def test_cost_is_the_exact_plan_cost_and_distortion_at_one_is_v(fitted):
    X, z, maps = fitted
    # V = sum_z w_z W2^2(mu_z, (Y, b)) with POT's exact solver on the group's distinct rows
    Y, k = maps.support, maps.support.shape[0]
    for g, label in enumerate(maps.groups):
        atoms, counts = np.unique(X[z == label], axis=0, return_counts=True)
        cost = ot.emd2(counts / counts.sum(), np.full(k, 1 / k), ot.dist(atoms, Y), numItermax=10_000_000)
        assert_allclose(maps.group_costs[g], cost, rtol=1e-9)
    D1 = np.mean(np.sum((maps.transform(X, z, 1.0) - X) ** 2, axis=1))
    assert_allclose(D1, maps.total_cost, rtol=0.03)  # the draws realise the plan cost up to their noise


def test_path_keeps_one_draw_for_every_t_and_distortion_scales_as_t_squared(fitted):
    X, z, maps = fitted
    end = maps.transform(X, z, 1.0)
    # t = 1 lands exactly on support points (no rounding residue an attacker could read)
    support_rows = {r.tobytes() for r in maps.support}
    assert all(r.tobytes() in support_rows for r in np.ascontiguousarray(end))
    D1 = np.mean(np.sum((end - X) ** 2, axis=1))
    for t in (0.0, 0.3, 0.7):
        Xt = maps.transform(X, z, t)
        assert_allclose(Xt, mccann(X, end, t), atol=1e-12)  # the same draw J at every t
        assert_allclose(np.mean(np.sum((Xt - X) ** 2, axis=1)), t * t * D1, rtol=1e-9)
    assert_array_equal(maps.endpoint(X, z), end)


def test_draws_are_seeded_and_repeatable():
    X, z = _world(600)
    a = fit_barycenter(X, z, method="ot-randomized", random_state=4)
    b = fit_barycenter(X, z, method="ot-randomized", random_state=4)
    c = fit_barycenter(X, z, method="ot-randomized", random_state=5)
    assert_array_equal(a.transform(X, z), b.transform(X, z))
    assert_array_equal(a.transform(X, z), a.transform(X, z))
    assert not np.array_equal(a.transform(X, z), c.transform(X, z))
    # a row's draw is its own: the same alone, in another batch, or in any order
    order = np.random.default_rng(0).permutation(len(X))
    assert_array_equal(a.transform(X[order], z[order]), a.transform(X, z)[order])
    assert_array_equal(a.transform(X[5:6], z[5:6])[0], a.transform(X, z)[5])
    # identical rows get independent draws (an atom's mass is split as its plan splits it)
    dup = np.repeat(X[:1], 400, axis=0)
    u = a._mapper.uniforms(dup, np.zeros(400, dtype=np.int64))
    assert np.unique(u).size == 400 and 0.4 < u.mean() < 0.6 and u.min() >= 0 and u.max() < 1


def test_identical_groups_need_no_cost_beyond_quantisation():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(800, 2))
    z = np.repeat(["a", "b"], 400)
    X[400:] = X[:400]  # the same rows in both groups
    maps = fit_barycenter(X, z, method="ot-randomized", n_support=40, random_state=0)
    assert_allclose(maps.group_costs[0], maps.group_costs[1], rtol=1e-9)


def test_default_support_size_and_options():
    assert default_n_support([300, 700]) == 10 and default_n_support([5000, 9000]) == 50
    assert default_n_support([10**6, 10**6]) == 100
    assert default_n_support([50, 4000, 6000]) == 40  # a group under 10% of the rows does not set k
    X, z = _world(400)
    with pytest.raises(ValueError, match="n_support"):
        fit_barycenter(X, z, method="ot-randomized", n_support=0)
    with pytest.raises(ValueError, match="smoothing"):
        fit_barycenter(X, z, method="ot-randomized", smoothing=-1)
    hard = fit_barycenter(X, z, method="ot-randomized", smoothing=0.0)
    assert hard.options["smoothing"] == 0.0 and np.isfinite(hard.transform(X, z)).all()
    assert transport.DEFAULT_METHOD == "ot-randomized"


def test_max_plan_rows_caps_the_plans_and_keeps_the_groups_close_in_law(fitted):
    """Plans on a sample: the default is unchanged, the capped fit maps every row, the groups stay close."""
    X, z, maps = fitted
    assert maps.options["max_plan_rows"] is None
    again = fit_barycenter(X, z, method="ot-randomized", n_support=20, random_state=0, max_plan_rows=None)
    assert_array_equal(again.transform(X, z, t=1.0), maps.transform(X, z, t=1.0))
    capped = fit_barycenter(X, z, method="ot-randomized", n_support=20, random_state=0, max_plan_rows=500)
    assert "sample of 500 rows per group" in capped.notes
    codes = np.searchsorted(capped.groups, z)
    J = capped._mapper.draws(X, codes)
    k = capped.support.shape[0]
    laws = [_law(J[codes == g], k) for g in range(2)]
    # 2,500 of the 3,000 rows are mapped as unseen; their entropic cells still give both groups nearly
    # the support's uniform law (total variation well below the 0.5 of unrelated laws)
    assert 0.5 * np.abs(laws[0] - laws[1]).sum() < 0.15
    with pytest.raises(ValueError, match="max_plan_rows"):
        fit_barycenter(X, z, method="ot-randomized", max_plan_rows=1)
