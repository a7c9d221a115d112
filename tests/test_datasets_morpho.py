"""Morphometrics measured from the pixels (unlearn_core.datasets.morpho) and the loaders' sensitive= hook."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from unlearn_core import datasets
from unlearn_core.datasets import morpho


def _bar(width: int, *, size: int = 28, vertical: bool = True) -> np.ndarray:
    img = np.zeros((size, size))
    lo = (size - width) // 2
    if vertical:
        img[4 : size - 4, lo : lo + width] = 1.0
    else:
        img[lo : lo + width, 4 : size - 4] = 1.0
    return img


@pytest.mark.parametrize("width", [2, 3, 4, 5, 6])
def test_thickness_of_a_straight_stroke_is_its_width(width):
    stack = np.stack([_bar(width), _bar(width, vertical=False)])
    assert_allclose(morpho.thickness(stack, scale=2), width, atol=1e-9)
    # at scale 1 distances run between pixel centres: an odd width reads one pixel more (documented)
    assert_allclose(morpho.thickness(stack, scale=1), 2 * np.ceil(width / 2), atol=1e-9)


def test_thickness_scales_with_the_image_and_grows_with_the_stroke():
    rng = np.random.default_rng(0)
    widths = rng.integers(2, 7, size=20)
    thick = morpho.thickness(np.stack([_bar(int(w)) for w in widths]))
    assert np.all(np.diff(thick[np.argsort(widths)]) >= -1e-9)  # monotone in the true width
    # a 14x14 image upsampled x2 (np.kron) measures twice as thick as the small one
    small = _bar(3, size=14)
    big = np.kron(small, np.ones((2, 2)))
    assert_allclose(
        morpho.thickness(big[None], scale=2), 2 * morpho.thickness(small[None], scale=2), rtol=0.05
    )


def test_empty_image_has_zero_thickness_and_slant():
    empty = np.zeros((2, 28, 28))
    assert_allclose(morpho.thickness(empty), 0.0)
    assert_allclose(morpho.slant(empty), 0.0)


def test_slant_of_a_sheared_bar_is_its_shear_angle_and_mirror_flips_it():
    size, shear = 28, 0.4
    img = np.zeros((size, size))
    for r in range(4, 24):
        c = int(round(12 + shear * (14 - r)))  # rows go down: the top leans right
        img[r, c : c + 3] = 1.0
    assert_allclose(morpho.slant(img[None]), np.degrees(np.arctan(shear)), atol=1.5)
    assert_allclose(morpho.slant(img[None, :, ::-1]), -np.degrees(np.arctan(shear)), atol=1.5)
    assert_allclose(morpho.slant(_bar(3)[None]), 0.0, atol=1e-9)


def test_flattened_rows_match_stacks_and_bad_input_names_the_argument():
    stack = np.stack([_bar(3), _bar(5)])
    assert_allclose(morpho.thickness(stack.reshape(2, -1)), morpho.thickness(stack))
    with pytest.raises(ValueError, match="image_shape"):
        morpho.thickness(np.zeros((2, 30)))
    with pytest.raises(ValueError, match="scale"):
        morpho.thickness(stack, scale=0)
    with pytest.raises(ValueError, match="attribute"):
        morpho.measure(stack, "width")


def test_binarise_splits_at_the_median_or_a_stated_threshold():
    v = np.array([1.0, 2.0, 3.0, 4.0])
    z, thr = morpho.binarise(v, "thickness")
    assert thr == 2.5 and list(z) == ["thin", "thin", "thick", "thick"]
    z, thr = morpho.binarise(np.array([-20.0, 1.0, 2.0, 15.0]), "slant", threshold=10.0)
    assert list(z) == ["slanted", "upright", "upright", "slanted"]


@pytest.mark.parametrize("attribute", morpho.ATTRIBUTES)
def test_digits_with_a_measured_attribute(attribute):
    ds = datasets.load("digits", sensitive=attribute)
    assert ds.sensitive == attribute and set(ds.groups) == set(morpho.GROUPS[attribute])
    counts = ds.group_counts()
    assert abs(counts.iloc[0] - counts.iloc[1]) <= 1  # split at the median
    values = morpho.measure(ds.X.to_numpy(), attribute, image_shape=ds.image_shape)
    low, high = morpho.GROUPS[attribute]
    key = np.abs(values) if attribute == "slant" else values
    assert key[ds.z.to_numpy() == high].min() >= key[ds.z.to_numpy() == low].max()
    assert attribute in datasets.registry()["digits"].sensitive_choices


@pytest.mark.shared_data
def test_mnist_thickness_from_the_shared_files(shared_data):
    ds = datasets.load("mnist", sensitive="thickness", data_dir=str(shared_data / "mnist"), download=False)
    assert ds.n_samples == 10_000 and set(ds.groups) == {"thin", "thick"}
    th = morpho.thickness(ds.X.to_numpy()[:2000])
    assert 2.0 < np.median(th) < 3.5  # MNIST strokes are 2-3.5 pixels wide (Morpho-MNIST reports ~2.5-3)
    thick = ds.z.to_numpy()[:2000] == "thick"
    assert th[thick].mean() > th[~thick].mean() + 0.8
