"""Image datasets as flattened pixel rows: scikit-learn's 8x8 digits (offline) and MNIST.

Rows are images flattened row-major, pixels scaled to [0, 1], columns ``px_<row>_<col>``;
``Dataset.image_shape`` gives (height, width). The task is 10-class classification of the digit.

Digits have no natural sensitive attribute. For *feature* unlearning the loaders offer:

* ``"parity"`` (default): even vs odd digit - a coarse, label-derived attribute, so forgetting
  it visibly costs accuracy (a teaching case for the tradeoff);
* ``"class-3"``: whether the digit is a 3 (the class the authors forget in their MNIST runs);
* ``"ink"``: whether the image's total ink is above the median - a nuisance attribute that is
  not a function of the label;
* ``"thickness"`` / ``"slant"``: stroke thickness or slant measured from the pixels and binned at
  the median (Morpho-MNIST style, see :mod:`.morpho`) - visual attributes for image feature unlearning.

*Data-point* unlearning uses y and builds its own source indicator Z, so any choice works there.
"""

from __future__ import annotations

import gzip
import os
import struct
from functools import lru_cache

import numpy as np
import pandas as pd

from .._utils import RandomState
from . import morpho as _morpho
from ._base import Dataset, DatasetError, DatasetSpec
from ._files import assemble as _assemble
from ._files import check_choice as _check_choice
from .remote import DEFAULT_TIMEOUT, RemoteFile, fetch

DIGIT_SENSITIVE = ("parity", "class-3", "ink", *_morpho.ATTRIBUTES)

# idx type codes -> numpy dtype (big-endian), from LeCun's format description
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def parse_idx(data: bytes) -> np.ndarray:
    """Parse an idx file (MNIST's format), gzip-compressed or not, into a numpy array.

    Layout: two zero bytes, a type byte (0x08 = unsigned byte, ...), the number of dimensions,
    then one big-endian uint32 size per dimension, then the values in C order.
    """
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DatasetError(f"idx file: corrupt gzip data ({exc}); download it again") from exc
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DatasetError("not an idx file: it must start with two zero bytes (magic number)")
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        raise DatasetError(f"idx file: unknown data type code 0x{code:02x}")
    if ndim < 1 or len(data) < 4 + 4 * ndim:
        raise DatasetError(f"idx file: truncated header ({ndim} dimensions announced)")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = int(np.prod(shape)) * dtype.itemsize
    body = data[4 + 4 * ndim :]
    if len(body) != expected:
        raise DatasetError(
            f"idx file: header announces shape {shape} ({expected} bytes) but the body has "
            f"{len(body)} bytes; the file is truncated or corrupt"
        )
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _digit_z(y: np.ndarray, X: np.ndarray, sensitive: str) -> pd.Series:
    if sensitive in _morpho.ATTRIBUTES:
        return _morpho.binarise(_morpho.measure(X, sensitive), sensitive)[0]
    if sensitive == "parity":
        return pd.Series(np.where(y % 2 == 0, "even", "odd"), name="parity")
    if sensitive == "class-3":
        return pd.Series(np.where(y == 3, "3", "not 3"), name="is_3")
    ink = X.sum(axis=1)
    return pd.Series(np.where(ink > np.median(ink), "heavy", "light"), name="ink")


def _pixel_frame(images: np.ndarray) -> pd.DataFrame:
    n, h, w = images.shape
    cols = [f"px_{r}_{c}" for r in range(h) for c in range(w)]
    return pd.DataFrame(images.reshape(n, h * w).astype(np.float64), columns=cols)


@lru_cache(maxsize=1)
def _digits_raw() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images, target = bunch.images / 16.0, bunch.target.astype(np.int64)
    images.setflags(write=False)
    target.setflags(write=False)
    return images, target


def digits(
    *, sensitive: str = "parity", n_samples: int | None = None, random_state: RandomState = 0
) -> Dataset:
    """scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes), pixels scaled to [0, 1].

    Pixels are the 0..16 counts of the UCI preprocessing divided by 16. ``sensitive``: see the
    module docstring (parity, class-3, ink). ``n_samples``: seeded subsample stratified by (z, y).
    """
    _check_choice(sensitive, DIGIT_SENSITIVE, "sensitive", "digits")
    images, y = _digits_raw()
    y = y.copy()
    X = _pixel_frame(images)
    z = _digit_z(y, X.to_numpy(), sensitive)
    return _assemble(
        name="digits", X=X, y=pd.Series(y, name="digit"), task="classification", z=z,
        numeric=list(X.columns), groups={}, n_samples=n_samples, random_state=random_state,
        notes=["pixels scaled from 0..16 to [0, 1]"],
        description=(
            "Handwritten digits, 8x8 pixels (ships with scikit-learn): classify the digit; "
            f"Z = {z.name} (digits have no natural sensitive attribute; see the docs)."
        ),
        source="scikit-learn sklearn.datasets.load_digits (UCI Optical Recognition of Handwritten Digits)",
        license="CC BY 4.0 (UCI); shipped inside scikit-learn (BSD-3-Clause)",
        citation=(
            "Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten Digits "
            "[Dataset]. UCI Machine Learning Repository. https://doi.org/10.24432/C50P49"
        ),
        image_shape=(8, 8),
        options=dict(
            sensitive=sensitive, n_samples=n_samples,
            random_state=random_state if isinstance(random_state, int) else None,
        ),
    )


# --------------------------------------------------------------------------------------------
# MNIST
# --------------------------------------------------------------------------------------------

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


def _mnist_file(name: str, *, md5: str = "", sha256: str = "", content_sha256: str = "") -> RemoteFile:
    return RemoteFile(
        filename=name,
        urls=tuple(m + name for m in MNIST_MIRRORS),
        sha256=(sha256,) if sha256 else (),
        content_sha256=(content_sha256,) if content_sha256 else (),
        md5=(md5,) if md5 else (),
        description=f"MNIST {name}",
    )


# MD5s are the ones published with the original archives (and used by torchvision); the
# SHA-256s are of the test files the team holds (a re-compressed copy) and of the decompressed
# contents of all four (../shared/data/SOURCES.md: the team's gzip bytes are re-compressed, so only
# the contents can match the published archives' payload).
MNIST_FILES = {
    "train": (
        _mnist_file(
            "train-images-idx3-ubyte.gz", md5="f68b3c2dcbeaaa9fbdd348bbdeb94873",
            content_sha256="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        ),
        _mnist_file(
            "train-labels-idx1-ubyte.gz", md5="d53e105ee54ea40749a09fcbcd1e9432",
            content_sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ),
    ),
    "test": (
        _mnist_file(
            "t10k-images-idx3-ubyte.gz", md5="9fb629c4189551a2d022fa330f9573f3",
            sha256="167310007f03058885c7e95e6c0b19c20de5c7fd3031f4cbdadc9014a523d80b",
            content_sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ),
        _mnist_file(
            "t10k-labels-idx1-ubyte.gz", md5="ec29112dd5afa0611ce80d1b7f02629c",
            sha256="fc607395669ec21321ea83e4b82c0544b7e8e63ff5b34337c06bc0a17cc0da3c",
            content_sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ),
    ),
}


def read_mnist_split(
    split: str,
    *,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (n, 28, 28), labels uint8 (n,)) of one MNIST split, verified."""
    images_file, labels_file = MNIST_FILES[split]
    kw = dict(data_dir=data_dir, download=download, timeout=timeout, path_option=False)
    images = parse_idx(fetch(images_file, **kw))
    labels = parse_idx(fetch(labels_file, **kw))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DatasetError(
            f"MNIST {split}: images {images.shape} and labels {labels.shape} do not match"
        )
    return images, labels


def mnist(
    *,
    split: str = "test",
    sensitive: str = "parity",
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    n_samples: int | None = None,
    random_state: RandomState = 0,
) -> Dataset:
    """MNIST handwritten digits, 28x28 pixels scaled to [0, 1] (784 columns), 10 classes.

    Not shipped (CC BY-SA 3.0 would bind the project): the idx files are read from ``data_dir``
    (or the cache, see :mod:`.remote`) and downloaded once from a public mirror when missing.

    ``split="test"`` (default) needs only the two ``t10k-*`` files (10,000 images): the explorer
    then makes its own train/test split with :func:`split`. ``"train"`` (60,000 images) and
    ``"all"`` (70,000, train first) need the ``train-*`` files too. Plain or ``.gz`` idx files are
    both accepted. ``sensitive``: parity (default), class-3 or ink (see :mod:`.images`).
    ``n_samples``: a seeded subsample stratified by (z, y) - 70,000 x 784 float64 is 440 MB.
    """
    _check_choice(split, ("test", "train", "all"), "split", "mnist")
    _check_choice(sensitive, DIGIT_SENSITIVE, "sensitive", "mnist")
    parts = ["train", "test"] if split == "all" else [split]
    imgs, labs = [], []
    for part in parts:
        try:
            im, lb = read_mnist_split(part, data_dir=data_dir, download=download, timeout=timeout)
        except DatasetError as exc:
            needed = " and ".join(f.filename for f in MNIST_FILES[part])
            raise DatasetError(f"{exc}. MNIST split={split!r} needs {needed}") from exc
        imgs.append(im)
        labs.append(lb)
    images = np.concatenate(imgs) / 255.0
    y = np.concatenate(labs).astype(np.int64)
    X = _pixel_frame(images)
    z = _digit_z(y, X.to_numpy(), sensitive)
    return _assemble(
        name="mnist", X=X, y=pd.Series(y, name="digit"), task="classification", z=z,
        numeric=list(X.columns), groups={}, n_samples=n_samples, random_state=random_state,
        notes=[f"MNIST {split} split ({len(y):,} images), pixels scaled from 0..255 to [0, 1]"],
        description=(
            "MNIST handwritten digits, 28x28 pixels: classify the digit; "
            f"Z = {z.name} (for data-point unlearning the forget set defines Z)."
        ),
        source="MNIST idx files from a public mirror (downloaded once, not shipped)",
        license="CC BY-SA 3.0 (not redistributed by this project)",
        citation=(
            "LeCun, Y., Cortes, C. & Burges, C. J. C. (1998). The MNIST database of handwritten "
            "digits."
        ),
        image_shape=(28, 28),
        options=dict(
            split=split, sensitive=sensitive, n_samples=n_samples,
            random_state=random_state if isinstance(random_state, int) else None,
        ),
    )


DIGITS_SPEC = DatasetSpec(
        name="digits", title="Handwritten digits 8x8 (scikit-learn)", loader=digits,
        description="1,797 small digit images, 10 classes; ships with scikit-learn.",
        sensitive_choices=DIGIT_SENSITIVE, shipped=True, kind="image",
)
MNIST_SPEC = DatasetSpec(
        name="mnist", title="MNIST digits 28x28", loader=mnist,
        description="Handwritten digits, 10 classes; the authors' data-point unlearning data. "
        "Downloaded once (or read from a folder of idx files).",
        sensitive_choices=DIGIT_SENSITIVE, shipped=False, kind="image",
)
