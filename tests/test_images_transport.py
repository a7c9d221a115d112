"""Image feature unlearning (unlearn_core.images): representation, McCann path, closed forms, attacker."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
from numpy.testing import assert_allclose

from unlearn_core import datasets, images
from unlearn_core.leakage.attacker import attack


@pytest.fixture(scope="module")
def digits_split():
    ds = datasets.load("digits", sensitive="thickness")
    train, test = datasets.split(ds, test_size=0.3, random_state=0)
    tr = (train.X.to_numpy(), train.y.to_numpy(), train.z.to_numpy())
    te = (test.X.to_numpy(), test.y.to_numpy(), test.z.to_numpy())
    return ds, tr, te


@pytest.fixture(scope="module")
def gaussian_fit(digits_split):
    ds, tr, _ = digits_split
    return images.fit_image_transport(tr[0], tr[2], image_shape=ds.image_shape, method="gaussian")


@pytest.fixture(scope="module")
def randomized_fit(digits_split):
    ds, tr, _ = digits_split
    return images.fit_image_transport(tr[0], tr[2], image_shape=ds.image_shape, method="ot-randomized")


def test_pca_is_an_isometry_on_codes_and_the_residual_is_orthogonal(digits_split):
    _, (X, _, _), _ = digits_split
    rep = images.fit_pca(X, n_components=12, random_state=0)
    C = rep.encode(X)
    R = X - rep.decode(C)
    assert_allclose(R @ rep.components.T, 0.0, atol=1e-9)  # r(x) is orthogonal to every code direction
    assert_allclose(rep.encode(rep.decode(C)), C, atol=1e-9)  # E o D is the identity on codes
    d_img = np.linalg.norm(rep.decode(C[:50]) - rep.decode(C[50:100]), axis=1)
    assert_allclose(d_img, np.linalg.norm(C[:50] - C[50:100], axis=1), rtol=1e-9)
    with pytest.raises(ValueError, match="n_components"):
        images.fit_pca(X, n_components=0)


def test_mccann_path_ends_exactly_and_is_a_straight_line(gaussian_fit, digits_split):
    _, _, (X, _, z) = digits_split
    X1 = gaussian_fit.endpoints(X, z)
    assert_allclose(gaussian_fit.transform(X, z, 0.0), X, atol=0)
    assert_allclose(gaussian_fit.transform(X, z, 1.0), X1, atol=1e-12)
    Xh = gaussian_fit.transform(X, z, 0.3)
    assert_allclose(Xh - X, 0.3 * (X1 - X), atol=1e-12)
    X_copy = X.copy()
    gaussian_fit.transform(X, z, 0.7)
    assert np.array_equal(X, X_copy)  # inputs untouched


def test_distortion_closed_form_on_the_fitted_images(gaussian_fit, digits_split):
    """On the training images of the Gaussian fit: E||x_t - x||^2 = t^2 (V + R) and codes move t^2 V."""
    _, (X, _, z), _ = digits_split
    X1 = gaussian_fit.endpoints(X, z)
    rep = gaussian_fit.representation
    for t in (0.25, 0.5, 1.0):
        Xt = images.blend(X, X1, t)
        assert_allclose(
            np.mean(((Xt - X) ** 2).sum(1)),
            t * t * (gaussian_fit.total_cost + gaussian_fit.residual),
            rtol=1e-6,
        )
        assert_allclose(
            np.mean(((rep.encode(Xt) - rep.encode(X)) ** 2).sum(1)), gaussian_fit.analytic(t)[0], rtol=1e-6
        )
    assert gaussian_fit.analytic(0.0) == (0.0, gaussian_fit.total_cost)


def test_gaussian_maps_equalise_the_groups_code_moments(gaussian_fit, digits_split):
    _, (X, _, z), _ = digits_split
    C1 = gaussian_fit.code_endpoints(X, z)
    a, b = (C1[z == g] for g in gaussian_fit.groups)
    assert_allclose(a.mean(0), b.mean(0), atol=1e-8)
    assert_allclose(np.cov(a.T, bias=True), np.cov(b.T, bias=True), atol=1e-6)


def test_equal_in_law_method_hides_thickness_from_the_strong_attacker(
    randomized_fit, gaussian_fit, digits_split
):
    """At t = 1 on held-out digits: ot-randomized leaves the attacker near chance, Gaussian maps do not."""
    _, _, (X, _, z) = digits_split
    before = attack(X, z, random_state=0)
    after = attack(randomized_fit.transform(X, z, 1.0), z, random_state=0)
    gauss = attack(gaussian_fit.transform(X, z, 1.0), z, random_state=0)
    assert before.auc > 0.85 and before.recovered
    assert after.auc <= 0.60 and not after.recovered
    assert gauss.auc > after.auc + 0.15  # second moments are not the whole law


def test_measured_thickness_equal_in_both_groups_at_t1(randomized_fit, digits_split):
    from scipy.stats import ks_2samp

    from unlearn_core.datasets import morpho

    ds, _, (X, _, z) = digits_split
    before = morpho.thickness(X, image_shape=ds.image_shape)
    after = morpho.thickness(randomized_fit.transform(X, z, 1.0), image_shape=ds.image_shape)
    groups = randomized_fit.groups
    assert ks_2samp(before[z == groups[0]], before[z == groups[1]]).pvalue < 1e-10
    assert ks_2samp(after[z == groups[0]], after[z == groups[1]]).pvalue > 0.01


def test_same_seed_same_images_and_validation(digits_split, randomized_fit):
    ds, tr, te = digits_split
    again = images.fit_image_transport(tr[0], tr[2], image_shape=ds.image_shape, method="ot-randomized")
    assert np.array_equal(again.transform(te[0], te[2], 0.6), randomized_fit.transform(te[0], te[2], 0.6))
    with pytest.raises(ValueError, match="method"):
        images.fit_image_transport(tr[0], tr[2], image_shape=ds.image_shape, method="nope")
    with pytest.raises(ValueError, match="image_shape"):
        images.fit_image_transport(tr[0], tr[2], image_shape=(7, 7))
    with pytest.raises(ValueError, match="t must be"):
        randomized_fit.transform(te[0], te[2], 1.5)
    with pytest.raises(ValueError, match="never seen"):
        randomized_fit.transform(te[0][:3], np.array(["a", "b", "c"]), 0.5)


def test_neural_ot_learns_a_shift_and_its_barycenter_sits_between_the_groups():
    """Two unit Gaussians 3 apart: the optimal map is the shift, the barycenter the weighted midpoint."""
    rng = np.random.default_rng(0)
    C = rng.standard_normal((800, 2))
    codes = np.repeat([0, 1], 400)
    C[codes == 1, 0] += 3.0
    w = np.array([0.5, 0.5])
    nb = images.fit_neural_ot(C, codes, w, np.array(["a", "b"]), hidden=32, n_iter=100, random_state=0)
    C1 = nb.endpoint(C, codes)
    assert_allclose(C1[codes == 0].mean(0), [1.5, 0.0], atol=0.35)
    assert_allclose(C1[codes == 1].mean(0), [1.5, 0.0], atol=0.35)
    assert_allclose(nb.total_cost, 0.25 * 9.0, rtol=0.3)  # sum_z w_z (3/2)^2


def test_neural_ot_method_on_images_needs_two_groups(digits_split):
    ds, (X, _, z), _ = digits_split
    three = np.where(np.arange(len(z)) % 3 == 0, "c", z)
    with pytest.raises(ValueError, match="exactly 2 groups"):
        images.fit_image_transport(X, three, image_shape=ds.image_shape, method="neural-ot", n_iter=5)
    fits = [
        images.fit_image_transport(
            X[:300],
            z[:300],
            image_shape=ds.image_shape,
            method="neural-ot",
            n_iter=5,
            hidden=16,
            random_state=3,
        )
        for _ in range(2)
    ]
    out = [f.transform(X[:10], z[:10], 0.5) for f in fits]
    assert out[0].shape == (10, X.shape[1])
    assert_allclose(out[0], out[1], atol=1e-6)  # same seed, same maps


def test_frontier_on_digits(randomized_fit, digits_split):
    _, tr, te = digits_split
    fr = images.image_frontier(randomized_fit, tr, te, ts=(0.0, 1.0), max_rows=None)
    tab = fr.table
    assert list(tab.columns) == list(images.frontier.COLUMNS)
    assert_allclose(tab["D_analytic"], tab["t"] ** 2 * fr.V)
    assert_allclose(tab["L_analytic"], (1 - tab["t"]) ** 2 * fr.V)
    assert tab["distortion"].iloc[0] == 0.0 and tab["distortion"].iloc[1] > 0
    assert tab["accuracy"].iloc[0] > 0.95  # original digits
    assert tab["auc"].iloc[0] > 0.85 and tab["auc"].iloc[1] < 0.6
    assert fr.to_csv().decode().splitlines()[0].startswith("t,accuracy,auc")


def test_grid_png_shows_both_groups_and_redraws_fast(randomized_fit, digits_split):
    _, _, (X, _, z) = digits_split
    rows = images.pick_sample(z, per_group=5, random_state=0)
    assert len(rows) == 10 and set(z[rows]) == set(randomized_fit.groups)
    sample = images.grid_sample(randomized_fit, X, z, rows, "thickness")
    png0, png1 = images.render_grid(sample, 0.0), images.render_grid(sample, 1.0)
    assert png0[:8] == b"\x89PNG\r\n\x1a\n" and png0 != png1
    from io import BytesIO

    from PIL import Image

    w, h = Image.open(BytesIO(png0)).size
    assert h > 4 * 64 and w > 5 * 64  # 2 rows per group, images ~64 px
    start = time.perf_counter()
    for t in (0.2, 0.4, 0.6):
        images.render_grid(sample, t)
    assert (time.perf_counter() - start) / 3 < 1.0  # generous on a loaded machine; the benchmark measures it


def test_engine_package_does_not_import_streamlit_or_torch(root):
    code = (
        "import sys, unlearn_core.images; "
        "print(sorted(m for m in ('streamlit', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_by_digit_keeps_the_digit_and_hides_the_rest_of_z(digits_split):
    ds, tr, te = digits_split
    with pytest.raises(ValueError, match="needs y"):
        images.fit_image_transport(tr[0], tr[2], image_shape=ds.image_shape, method="ot-by-digit")
    fit = images.fit_image_transport(tr[0], tr[2], image_shape=ds.image_shape, method="ot-by-digit", y=tr[1])
    assert len(fit._maps.strata) >= 6  # most predicted digits have their own maps
    fr = images.image_frontier(fit, tr, te, ts=(1.0,), max_rows=None)
    assert fr.table["accuracy"].iloc[0] > 0.9  # ot-randomized alone: ~0.65 on these 1,257 images
    assert fr.table["auc"].iloc[0] < 0.7  # from 0.90 on the original images
    # within one predicted digit, both groups land on the same support points (equal in law there)
    C = fit.representation.encode(te[0])
    s = fit._maps._classifier.predict(C)
    C1 = fit.code_endpoints(te[0], te[2])
    digit = fit._maps.strata[0]
    a, b = ((s == digit) & (te[2] == g) for g in fit.groups)
    pts_a, pts_b = ({tuple(np.round(r, 8)) for r in C1[m]} for m in (a, b))
    assert len(pts_a & pts_b) >= 0.5 * min(len(pts_a), len(pts_b))
