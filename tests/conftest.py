"""Shared fixtures: paths, the optional ../shared/data folder, small datasets."""

from __future__ import annotations

import os
import sys
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


#: The interpreter's own ``__main__`` (pytest's), captured when the test session starts.
_REAL_MAIN = sys.modules.get("__main__")


def restore_main_module() -> None:
    """Put the session's own ``sys.modules["__main__"]`` back.

    Streamlit's script runner (AppTest) replaces ``__main__`` with the app script's module and leaves it
    there. A later test that starts processes with the ``spawn`` method (ProcessPoolExecutor, a Dask
    LocalCluster) makes every child re-run ``__main__``'s file, i.e. app.py outside Streamlit, and the
    workers fail to start ("Nanny failed to start worker process"). Module-scoped fixtures that start
    such processes call this first: they are set up before any function-scoped fixture runs.
    """
    if _REAL_MAIN is not None:
        sys.modules["__main__"] = _REAL_MAIN


@pytest.fixture(scope="session")
def main_module_restorer():
    """:func:`restore_main_module`, for module-scoped fixtures (a ``from conftest import`` would find
    ``tests/browser/conftest.py`` first when the whole suite runs: both are the module ``conftest``)."""
    return restore_main_module


@pytest.fixture(autouse=True)
def _restore_main_module():
    """Every test starts and ends with the session's own ``__main__`` (:func:`restore_main_module`)."""
    restore_main_module()
    yield
    restore_main_module()
