"""The repository passes ``ruff check`` under its own configuration (pyproject.toml, [tool.ruff])."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

# the same test as conftest.ON_CI (not imported: ``conftest`` can resolve to tests/browser/conftest.py)
ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def test_ruff_check_is_clean(root):
    if importlib.util.find_spec("ruff") is None:
        if ON_CI:
            pytest.fail("ruff is not installed; CI installs it from requirements-test.txt")
        pytest.skip("ruff is not installed (pip install -r requirements-test.txt); the lint check runs in CI")
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, f"ruff check . found problems:\n{out.stdout}{out.stderr}"
