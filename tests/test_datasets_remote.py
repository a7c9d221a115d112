"""Download-once loaders (COMPAS, law, MNIST): parsers on fixtures, cache, checksums, offline path.

No test touches the network: ``urllib.request.urlopen`` is replaced wherever a download could
start. The real files in ``../shared/data`` are used through the ``shared_data`` fixture.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import socket
import time
import urllib.error
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from unlearn_core import datasets
from unlearn_core.datasets import DatasetError, images, remote
from unlearn_core.datasets.remote import RemoteFile

FIXTURES = Path(__file__).parent / "fixtures" / "datasets"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Every test gets an empty cache folder and no offline switch; no real network."""
    cache = tmp_path / "cache"
    monkeypatch.setenv(remote.CACHE_ENV, str(cache))
    monkeypatch.delenv(remote.OFFLINE_ENV, raising=False)

    def no_network(*args, **kwargs):
        raise AssertionError("a test tried to reach the network")

    monkeypatch.setattr(remote.urllib.request, "urlopen", no_network)
    return cache


@pytest.fixture
def compas_fixture_file(monkeypatch):
    """Pin COMPAS to the fixture's checksum, so the loader accepts the small file."""
    path = FIXTURES / "compas_small.csv"
    pinned = RemoteFile(
        filename="compas-scores-two-years.csv", urls=("https://example.invalid/compas.csv",),
        content_sha256=(_sha(path),), description="COMPAS fixture",
    )
    monkeypatch.setattr(remote, "COMPAS_FILE", pinned)
    return path


class _FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# -- cache folder ----------------------------------------------------------------------------------


def test_cache_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv(remote.CACHE_ENV, str(tmp_path / "env"))
    assert remote.cache_dir() == tmp_path / "env"
    assert remote.cache_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv(remote.CACHE_ENV)
    assert remote.cache_dir() == Path.home() / ".cache" / "unlearn-explorer"


# -- COMPAS parser and loader on the fixture --------------------------------------------------------


def test_parse_compas_applies_propublica_filter():
    df, n_raw = remote.parse_compas((FIXTURES / "compas_small.csv").read_bytes())
    assert n_raw == 12
    assert len(df) == 8  # the 4 rows breaking one rule each are gone
    assert df["days_b_screening_arrest"].between(-30, 30).all()
    assert (df["is_recid"] != -1).all() and (df["c_charge_degree"] != "O").all()
    assert (df["score_text"] != "N/A").all()


def test_parse_compas_rejects_other_files():
    with pytest.raises(DatasetError, match="lacks the columns"):
        remote.parse_compas(b"a,b\n1,2\n")


def test_compas_loader_from_path(compas_fixture_file):
    ds = datasets.load("compas", path=compas_fixture_file)
    assert ds.n_samples == 6  # 8 filtered rows, of which 6 African-American or Caucasian
    assert ds.group_counts().to_dict() == {"African-American": 3, "Caucasian": 3}
    assert list(ds.X.columns) == [
        "age_cat=Less than 25", "age_cat=25 - 45", "age_cat=Greater than 45",
        "c_charge_degree=F", "c_charge_degree=M",
        "priors_count=0", "priors_count=1 to 3", "priors_count=More than 3",
    ]
    assert_array_equal(ds.y.to_numpy(), [1, 0, 1, 0, 0, 1])
    # priors 0, 2, 5, 0, 4, 1 -> bins 0, 1-3, >3, 0, >3, 1-3
    assert_array_equal(ds.X["priors_count=More than 3"].to_numpy(), [0, 0, 1, 0, 1, 0])
    every = datasets.load("compas", path=compas_fixture_file, sensitive="race-all")
    assert every.n_samples == 8 and every.z.nunique() == 4
    sex = datasets.load("compas", path=compas_fixture_file, sensitive="sex", features="full")
    assert sex.group_counts().to_dict() == {"Female": 3, "Male": 5}
    assert "race=Hispanic" in sex.X.columns and not any(c.startswith("sex=") for c in sex.X.columns)
    recid = datasets.load("compas", path=compas_fixture_file, target="is_recid")
    assert recid.y.name == "is_recid"


def test_compas_cache_hit_needs_no_network(compas_fixture_file, _isolated_cache):
    _isolated_cache.mkdir()
    shutil.copy(compas_fixture_file, _isolated_cache / "compas-scores-two-years.csv")
    ds = datasets.load("compas")  # urlopen would raise: this must come from the cache
    assert ds.n_samples == 6
    # a gzip copy in the cache is accepted too: the digest of its contents is pinned
    (_isolated_cache / "compas-scores-two-years.csv").unlink()
    (_isolated_cache / "compas-scores-two-years.csv.gz").write_bytes(
        gzip.compress(compas_fixture_file.read_bytes())
    )
    assert datasets.load("compas").fingerprint() == ds.fingerprint()


def test_download_once_then_cache(compas_fixture_file, _isolated_cache, monkeypatch):
    calls = []

    def fake_urlopen(url, timeout):
        calls.append((url, timeout))
        return _FakeResponse(compas_fixture_file.read_bytes())

    monkeypatch.setattr(remote.urllib.request, "urlopen", fake_urlopen)
    ds = datasets.load("compas", timeout=3)
    assert ds.n_samples == 6
    assert calls == [("https://example.invalid/compas.csv", 3)]
    assert (_isolated_cache / "compas-scores-two-years.csv").read_bytes() == compas_fixture_file.read_bytes()
    assert not list(_isolated_cache.glob("*.part"))
    again = datasets.load("compas")
    assert len(calls) == 1 and again.fingerprint() == ds.fingerprint()


def test_download_with_wrong_checksum_leaves_nothing(compas_fixture_file, _isolated_cache, monkeypatch):
    monkeypatch.setattr(
        remote.urllib.request, "urlopen", lambda url, timeout: _FakeResponse(b"id,name\n1,x\n")
    )
    with pytest.raises(DatasetError, match="checksum mismatch"):
        datasets.load("compas")
    assert not _isolated_cache.exists() or not any(_isolated_cache.iterdir())


def test_wrong_file_in_cache_is_a_checksum_error(compas_fixture_file, _isolated_cache):
    _isolated_cache.mkdir()
    (_isolated_cache / "compas-scores-two-years.csv").write_text("id,race\n1,x\n")
    with pytest.raises(DatasetError, match="checksum mismatch") as info:
        datasets.load("compas")
    assert "Delete it" in str(info.value)


def test_wrong_explicit_path_is_a_checksum_error(compas_fixture_file, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("id,race\n1,x\n")
    with pytest.raises(DatasetError, match="checksum mismatch"):
        datasets.load("compas", path=other)
    with pytest.raises(DatasetError, match="does not exist"):
        datasets.load("compas", path=tmp_path / "missing.csv")


@pytest.mark.parametrize(
    "error",
    [
        urllib.error.URLError(socket.gaierror(-2, "Name or service not known")),
        TimeoutError("timed out"),  # socket.timeout is an alias of TimeoutError since Python 3.10
        ConnectionRefusedError(111, "Connection refused"),
    ],
    ids=["dns", "timeout", "refused"],
)
def test_offline_fails_fast_with_instructions(error, _isolated_cache, monkeypatch):
    def failing(url, timeout):
        assert timeout <= 10
        raise error

    monkeypatch.setattr(remote.urllib.request, "urlopen", failing)
    start = time.perf_counter()
    with pytest.raises(DatasetError) as info:
        datasets.load("compas")
    assert time.perf_counter() - start < 1.0
    msg = str(info.value)
    assert "offline" in msg
    assert str(_isolated_cache / "compas-scores-two-years.csv") in msg
    assert "path=" in msg and remote.CACHE_ENV in msg
    assert "raw.githubusercontent.com/propublica" in msg


def test_offline_switch_and_download_false_never_call_the_network(monkeypatch):
    monkeypatch.setenv(remote.OFFLINE_ENV, "1")
    with pytest.raises(DatasetError, match="UNLEARN_OFFLINE is set"):
        datasets.load("compas")
    monkeypatch.delenv(remote.OFFLINE_ENV)
    with pytest.raises(DatasetError, match="download=False"):
        datasets.load("law", download=False)
    with pytest.raises(DatasetError, match="download=False"):
        datasets.load("mnist", download=False)


def test_real_network_failure_is_fast(monkeypatch, _isolated_cache):
    """An unroutable download (no DNS for .invalid) returns a DatasetError within the timeout."""
    monkeypatch.undo()  # the real urlopen, but a host that cannot resolve
    monkeypatch.setenv(remote.CACHE_ENV, str(_isolated_cache))
    monkeypatch.delenv(remote.OFFLINE_ENV, raising=False)
    bad = RemoteFile(filename="x.csv", urls=("https://no-such-host.invalid/x.csv",), sha256=("0" * 64,))
    start = time.perf_counter()
    with pytest.raises(DatasetError, match="could not download x.csv"):
        remote.locate(bad, timeout=2)
    assert time.perf_counter() - start < 5.0


# -- law -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["law_onehot_small.csv", "law_kusner_small.csv"])
def test_parse_law_both_layouts(fixture):
    df = remote.parse_law((FIXTURES / fixture).read_bytes())
    assert list(df.columns) == ["LSAT", "UGPA", "ZFYA", "race", "sex", "PF"]
    assert len(df) == 10
    assert df["race"].tolist()[:4] == ["White", "Black", "White", "Black"]
    assert df["sex"].tolist()[:3] == ["female", "male", "male"]
    assert df["PF"].tolist() == [1, 1, 1, 0, 1, 1, 0, 1, 1, 1]
    assert_allclose(df["LSAT"].iloc[0], 33.0)


def test_both_law_layouts_give_the_same_dataset():
    a = datasets.load("law", path=FIXTURES / "law_onehot_small.csv", sensitive="race-all")
    b = datasets.load("law", path=FIXTURES / "law_kusner_small.csv", sensitive="race-all")
    assert a.fingerprint() == b.fingerprint()


def test_law_loader_choices():
    path = FIXTURES / "law_kusner_small.csv"
    ds = datasets.load("law", path=path)
    assert ds.group_counts().to_dict() == {"Black": 3, "White": 5}
    assert ds.task == "classification" and ds.y.name == "PF"
    assert {"LSAT", "UGPA", "sex=female", "sex=male"} == set(ds.X.columns)
    reg = datasets.load("law", path=path, target="ZFYA", sensitive="sex")
    assert reg.task == "regression" and reg.y.dtype == np.float64
    assert any(c.startswith("race=") for c in reg.X.columns)


def test_law_unpinned_download_is_recorded_then_checked(_isolated_cache, monkeypatch):
    body = (FIXTURES / "law_kusner_small.csv").read_bytes()
    monkeypatch.setattr(remote.urllib.request, "urlopen", lambda url, timeout: _FakeResponse(body))
    ds = datasets.load("law", sensitive="race-all")
    assert ds.n_samples == 10
    record = _isolated_cache / "law_data.csv.sha256"
    assert record.read_text().split()[0] == hashlib.sha256(body).hexdigest()
    (_isolated_cache / "law_data.csv").write_bytes(body.replace(b"33.0", b"34.0"))
    with pytest.raises(DatasetError, match="changed since it was first downloaded"):
        datasets.load("law")


def test_law_wrong_layout_is_rejected(tmp_path):
    bad = tmp_path / "law.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DatasetError, match="expected the one-hot"):
        datasets.load("law", path=bad)


# -- idx / MNIST --------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_parse_idx_fixture(suffix):
    imgs = images.parse_idx((FIXTURES / f"tiny-images-idx3-ubyte{suffix}").read_bytes())
    labels = images.parse_idx((FIXTURES / f"tiny-labels-idx1-ubyte{suffix}").read_bytes())
    assert imgs.shape == (3, 4, 5) and imgs.dtype == np.uint8
    assert_array_equal(imgs.ravel(), np.arange(60) * 4)
    assert_array_equal(labels, [3, 0, 7])


def test_parse_idx_round_trips_other_types():
    arr = (np.arange(6).reshape(2, 3) - 3).astype(">i4")
    data = bytes([0, 0, 0x0C, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big") + arr.tobytes()
    assert_array_equal(images.parse_idx(data), arr)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\x01\x00\x08\x01\x00\x00\x00\x02ab", "two zero bytes"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x02ab", "unknown data type"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated header"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x05ab", "truncated or corrupt"),
        (b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
    ],
)
def test_parse_idx_rejects_bad_files(data, fragment):
    with pytest.raises(DatasetError, match=fragment):
        images.parse_idx(data)


def test_mnist_loader_reads_a_folder_of_idx_files(tmp_path, monkeypatch):
    folder = tmp_path / "idx"
    folder.mkdir()
    files = {}
    for kind, fixture in (("images", "tiny-images-idx3-ubyte.gz"), ("labels", "tiny-labels-idx1-ubyte")):
        name = f"t10k-{kind}-idx{3 if kind == 'images' else 1}-ubyte.gz"
        target = folder / (name if fixture.endswith(".gz") else name[:-3])  # plain file accepted
        shutil.copy(FIXTURES / fixture, target)
        files[kind] = RemoteFile(filename=name, urls=(), sha256=(_sha(target),))
    monkeypatch.setitem(images.MNIST_FILES, "test", (files["images"], files["labels"]))
    ds = datasets.load("mnist", data_dir=folder, split="test")
    assert ds.X.shape == (3, 20) and ds.image_shape == (28, 28)
    assert_allclose(ds.X.to_numpy().ravel(), np.arange(60) * 4 / 255.0)
    assert ds.y.tolist() == [3, 0, 7]
    assert ds.z.tolist() == ["odd", "even", "odd"]
    with pytest.raises(DatasetError, match="not in"):
        datasets.load("mnist", data_dir=folder, split="train", download=False)


# -- the real files beside the project --------------------------------------------------------------


@pytest.fixture
def shared_cache(shared_data, tmp_path, monkeypatch):
    cache = tmp_path / "real"
    cache.mkdir()
    for name in ("compas-scores-two-years.csv.gz", "law.csv.gz"):
        shutil.copy(shared_data / name, cache / name)
    for f in (shared_data / "mnist").glob("t10k-*.gz"):
        shutil.copy(f, cache / f.name)
    monkeypatch.setenv(remote.CACHE_ENV, str(cache))
    return cache


def test_real_compas(shared_cache):
    df, n_raw = remote.parse_compas(remote.fetch(remote.COMPAS_FILE))
    assert n_raw == 7_214 and len(df) == 6_172
    ds = datasets.load("compas")
    assert ds.group_counts().to_dict() == {"African-American": 3_175, "Caucasian": 2_103}
    every = datasets.load("compas", sensitive="race-all")
    assert every.n_samples == 6_172 and every.z.nunique() == 6
    assert int(every.y.sum()) == 2_809


def test_real_law(shared_cache):
    ds = datasets.load("law", sensitive="race-all")
    assert ds.n_samples == 21_791
    assert ds.group_counts()[["Black", "White"]].tolist() == [1_282, 18_285]
    assert int(ds.y.sum()) == 19_360
    assert datasets.load("law").n_samples == 19_567


def test_real_mnist_test_split(shared_cache):
    ds = datasets.load("mnist", split="test", sensitive="class-3")
    assert ds.X.shape == (10_000, 784) and ds.image_shape == (28, 28)
    assert ds.X.to_numpy().min() == 0.0 and ds.X.to_numpy().max() == 1.0
    assert ds.y.value_counts().sort_index().tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009,
    ]
    assert (ds.z == "3").sum() == 1010


def test_real_mnist_train_split_needs_its_own_files(shared_cache, monkeypatch):
    monkeypatch.setenv(remote.OFFLINE_ENV, "1")
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz is not in"):
        datasets.load("mnist", split="all")


def test_shared_files_match_the_pinned_checksums(shared_data):
    remote.verify(remote.COMPAS_FILE, shared_data / "compas-scores-two-years.csv.gz")
    remote.verify(remote.LAW_FILE, shared_data / "law.csv.gz")
    for remote_file in images.MNIST_FILES["test"]:
        remote.verify(remote_file, shared_data / "mnist" / remote_file.filename)


def test_nothing_is_written_beside_a_users_file(tmp_path):
    mine = tmp_path / "mine" / "law_data.csv"
    mine.parent.mkdir()
    shutil.copy(FIXTURES / "law_kusner_small.csv", mine)
    assert datasets.load("law", path=mine).n_samples == 8
    assert sorted(p.name for p in mine.parent.iterdir()) == ["law_data.csv"]
