"""Shared fixtures: paths, the optional ../shared/data folder, small datasets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of raw data copies beside the project; tests that need it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent (it exists for the team and CI only)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def toy():
    from unlearn_core import datasets

    return datasets.load("toy-gaussians", n_samples=600, random_state=0)


@pytest.fixture(autouse=True)
def _restore_main_module():
    """Put back ``sys.modules["__main__"]`` after every test.

    Streamlit's script runner (AppTest) replaces ``__main__`` with the app script's module and leaves it
    there. A later test that starts processes with the ``spawn`` method (ProcessPoolExecutor, a Dask
    LocalCluster) makes every child re-run ``__main__``'s file, i.e. app.py outside Streamlit, and the
    workers fail to start ("Nanny failed to start worker process").
    """
    import sys

    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main
