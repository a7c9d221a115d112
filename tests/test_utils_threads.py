"""unlearn_core._utils.limit_threads / blas_limits: limits applied and restored; the library scan cached."""

from __future__ import annotations

import sys
import types

import numpy as np  # noqa: F401 - loads OpenBLAS, so threadpoolctl has a pool to limit
from threadpoolctl import threadpool_info

from unlearn_core import _utils


def _pools() -> dict[str, int]:
    return {i["filepath"]: i["num_threads"] for i in threadpool_info()}


def test_limit_threads_sets_and_restores_every_pool():
    before = _pools()
    assert before, "no BLAS / OpenMP pool loaded: nothing to check"
    with _utils.limit_threads(1):
        assert set(_pools().values()) == {1}
    assert _pools() == before


def test_the_library_scan_is_reused_until_a_module_is_imported(monkeypatch):
    first = _utils._threadpool_controller()
    assert _utils._threadpool_controller() is first  # no import in between: no new scan
    monkeypatch.setitem(sys.modules, "_unlearn_fake_module", types.ModuleType("_unlearn_fake_module"))
    second = _utils._threadpool_controller()
    assert second is not first  # an import may have loaded a library: scan again
    with _utils.blas_limits(1):
        assert set(_pools().values()) == {1}
