"""The analytic frontier's logistic fits (issue 19): same optimum as scikit-learn, fewer Hessians."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression

from unlearn_core.frontier.analytic import _WarmLogistic


def _data(rng, n=3000, d=12):
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w + 0.3)))).astype(int)
    return X, y


def test_optimum_is_scikit_learns():
    rng = np.random.default_rng(0)
    X, y = _data(rng)
    ours = _WarmLogistic(C=1.0).fit(X, y)
    ref = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(X, y)
    assert_allclose(ours.coef_[:-1], ref.coef_[0], atol=1e-6)
    assert_allclose(ours.coef_[-1], ref.intercept_[0], atol=1e-6)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-7)


def test_warm_path_equals_cold_fits_with_fewer_hessians():
    rng = np.random.default_rng(1)
    X, y = _data(rng)
    D = rng.standard_normal(X.shape) * 0.5
    warm = _WarmLogistic()
    hessians_warm, hessians_cold = 0, 0
    for t in np.linspace(0.0, 1.0, 11):
        Xt = X + t * D
        warm.fit(Xt, y)
        cold = _WarmLogistic().fit(Xt, y)
        hessians_warm += warm.n_hessians_
        hessians_cold += cold.n_hessians_
        # both stop at lambda^2 / 2 <= 1e-14 n, i.e. f - f* <= 3e-11 here: coefficients within ~1e-6
        assert_allclose(warm.coef_, cold.coef_, atol=2e-6)
        assert_allclose(warm.predict_proba(Xt), cold.predict_proba(Xt), atol=1e-6)
    assert hessians_warm < hessians_cold


def test_equal_group_means_give_zero_weights():
    # the t = 1 case of the frontier: nothing separates the classes, the optimum is w = 0 exactly
    rng = np.random.default_rng(2)
    X = rng.standard_normal((2000, 5))
    y = np.repeat([0, 1], 1000)
    X[y == 1] -= X[y == 1].mean(0) - X[y == 0].mean(0)
    m = _WarmLogistic().fit(X, y)
    assert np.abs(m.coef_[:-1]).max() < 1e-7
