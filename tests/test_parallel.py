"""The executor seam (unlearn_core.parallel): same numbers serially, on threads, processes and Dask."""

from __future__ import annotations

import multiprocessing
import threading
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from unlearn_core import datasets
from unlearn_core import forgetting as fg
from unlearn_core.forgetting._audit import train_shadows
from unlearn_core.frontier import analytic_frontier, trained_frontier
from unlearn_core.parallel import (
    Task,
    executor_for,
    make_tasks,
    map_tasks,
    share,
    submission_bytes,
    task_seed,
)

LAMBDAS = [0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0]  # 8 lam values, as in the acceptance


def _draw(task: Task, shared) -> float:
    return float(np.random.default_rng(task.seed).normal() + shared)


def _slow_square(task: Task, shared) -> int:
    time.sleep(0.05 * (3 - task.index % 3))  # later tasks finish first
    return task.payload**2


def _fail_on_two(task: Task, shared) -> int:
    if task.payload == 2:
        raise ValueError("task two is broken")
    return task.payload


def _threads(task: Task, shared) -> int:
    import torch

    return torch.get_num_threads()


@pytest.fixture(scope="module")
def executors(main_module_restorer):
    """A thread pool, a spawn process pool and a 2-worker Dask LocalCluster, shared by the module."""
    pytest.importorskip("distributed")
    main_module_restorer()  # an earlier AppTest may have left app.py as __main__: spawned workers re-run it
    out = {}
    with ThreadPoolExecutor(2) as th, \
            ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pr, \
            executor_for("local:2") as dk:
        out = {"threads": th, "processes": pr, "dask": dk}
        yield out


def test_task_seed_depends_on_base_and_id_only():
    assert task_seed(0, "lam=1.0") == task_seed(0, "lam=1.0")
    assert task_seed(0, "lam=1.0") != task_seed(1, "lam=1.0")
    assert task_seed(0, "lam=1.0") != task_seed(0, "lam=2.0")
    a = make_tasks([1, 2, 3], ids=["a", "b", "c"], base_seed=7)
    b = make_tasks([3, 2, 1], ids=["c", "b", "a"], base_seed=7)
    assert {t.id: t.seed for t in a} == {t.id: t.seed for t in b}  # not the position in the list
    with pytest.raises(ValueError, match="distinct"):
        make_tasks([1, 2], ids=["a", "a"], base_seed=0)


def test_map_tasks_keeps_task_order_and_reports_progress():
    tasks = make_tasks(list(range(6)), ids=[f"k{i}" for i in range(6)], base_seed=0)
    seen = []
    with ThreadPoolExecutor(3) as ex:
        out = map_tasks(_slow_square, tasks, ex, progress=lambda d, n, m: seen.append((d, n)))
    assert out == [i**2 for i in range(6)]
    assert [d for d, _ in seen] == list(range(1, 7)) and {n for _, n in seen} == {6}
    with ThreadPoolExecutor(2) as ex:
        assert map_tasks(_draw, tasks, None, shared=1.0) == map_tasks(_draw, tasks, ex, shared=1.0)


def test_map_tasks_stops_and_returns_the_finished_prefix():
    tasks = make_tasks(list(range(6)), ids=[f"k{i}" for i in range(6)], base_seed=0)
    calls = []
    out = map_tasks(_slow_square, tasks, None, should_stop=lambda: len(calls) >= 2,
                    progress=lambda d, n, m: calls.append(d))
    assert out == [0, 1]
    flag = threading.Event()
    with ThreadPoolExecutor(1) as ex:
        out = map_tasks(_slow_square, tasks, ex, progress=lambda d, n, m: flag.set(), should_stop=flag.is_set)
    assert 1 <= len(out) < 6 and out == [i**2 for i in range(len(out))]


def test_map_tasks_raises_a_task_error_serial_and_on_executor():
    tasks = make_tasks(list(range(4)), ids=list("abcd"), base_seed=0)
    with pytest.raises(ValueError, match="task two"):
        map_tasks(_fail_on_two, tasks)
    with ThreadPoolExecutor(2) as ex, pytest.raises(ValueError, match="task two"):
        map_tasks(_fail_on_two, tasks, ex)


def test_each_task_runs_with_one_torch_thread(executors):
    tasks = make_tasks([0, 1], ids=["a", "b"], base_seed=0)
    for ex in (None, executors["processes"], executors["dask"]):
        assert map_tasks(_threads, tasks, ex) == [1, 1]


def test_dask_scatters_shared_data_once(executors):
    """Data goes to workers once: a task submission on Dask carries a reference, not the data."""
    big = np.random.default_rng(0).normal(size=(20_000, 20))  # 3.2 MB
    task = make_tasks([0], ids=["a"], base_seed=0)[0]
    plain = submission_bytes(_draw, task, share(None, big))
    scattered = submission_bytes(_draw, task, share(executors["dask"], big))
    assert plain > big.nbytes  # a process pool pickles the data with every task
    assert scattered < 2_000, scattered  # Dask: a key to the scattered object
    tasks = make_tasks([0, 1, 2], ids=list("abc"), base_seed=3)
    assert map_tasks(_draw, tasks, executors["dask"], shared=1.5) == map_tasks(_draw, tasks, None, shared=1.5)


def test_executor_for_rejects_unknown_schedulers():
    with pytest.raises(ValueError, match="unknown scheduler"), executor_for("kubernetes"):
        pass
    with pytest.raises(ValueError, match="whole number"), executor_for("local:zero"):
        pass
    with executor_for(None) as ex:
        assert ex is None


def _drop_time(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[c for c in ("seconds",) if c in df.columns])


@pytest.fixture(scope="module")
def adult():
    return datasets.load("adult", sensitive="sex", n_samples=4000, random_state=0)


@pytest.mark.slow
@pytest.mark.parametrize("warm_start", [False, True])
def test_trained_frontier_identical_on_every_executor(adult, executors, warm_start):
    kw = dict(lambdas=LAMBDAS, epochs=2, warm_epochs=1, warm_start=warm_start, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the k-NN estimator's duplicate-row note
        ref = _drop_time(trained_frontier(adult, **kw).table)
        assert len(ref) == 8
        for name, ex in executors.items():
            got = _drop_time(trained_frontier(adult, executor=ex, **kw).table)
            pd.testing.assert_frame_equal(got, ref, check_exact=True, obj=name)


@pytest.mark.slow
def test_forgetting_trials_identical_on_every_executor(executors):
    ds = datasets.load("digits", n_samples=600, random_state=0)
    pb = fg.prepare(ds, fg.ForgetSpec())
    orig = fg.train_original(pb, epochs=3)
    ref = fg.repeat("mi", orig, pb, n_trials=4, lam=2.0, epochs=1, random_state=0).table()
    assert len(ref) == 4 and ref["seed"].nunique() == 4
    cols = [c for c in ref.columns if c not in ("seconds", "time_ratio")]
    for name, ex in executors.items():
        got = fg.repeat("mi", orig, pb, n_trials=4, lam=2.0, epochs=1, random_state=0, executor=ex).table()
        pd.testing.assert_frame_equal(got[cols], ref[cols], check_exact=True, obj=name)


@pytest.mark.slow
def test_repeat_many_matches_repeat_per_method_on_every_executor(executors):
    """One submission for every (method, trial): the same reports as one repeat() per method."""
    ds = datasets.load("digits", n_samples=600, random_state=0)
    pb = fg.prepare(ds, fg.ForgetSpec())
    orig = fg.train_original(pb, epochs=3)
    methods = ["mi", "retrain", "relabel"]
    ref = {m: fg.repeat(m, orig, pb, n_trials=3, lam=2.0, epochs=1, random_state=0).table() for m in methods}
    cols = [c for c in ref["mi"].columns if c not in ("seconds", "time_ratio")]
    seen = []
    serial = fg.repeat_many(methods, orig, pb, n_trials=3, lam=2.0, epochs=1, random_state=0)
    for name, ex in {"serial": None, **executors}.items():
        got = serial if ex is None else fg.repeat_many(
            methods, orig, pb, n_trials=3, lam=2.0, epochs=1, random_state=0, executor=ex,
            progress=lambda d, n, meta: seen.append((d, n, meta["method"], meta["trial"])))
        assert list(got) == methods
        for m in methods:
            pd.testing.assert_frame_equal(got[m].table()[cols], ref[m][cols], check_exact=True,
                                          obj=f"{name} {m}")
    assert {(int(k), int(i)) for _, _, k, i in seen} == {(k, i) for k in range(3) for i in range(3)}
    assert seen[-1][:2] == (9, 9)
    with pytest.raises(ValueError, match="unknown method 'nope'"):
        fg.repeat_many(["mi", "nope"], orig, pb, n_trials=1)


@pytest.mark.slow
def test_analytic_frontier_and_shadows_identical_on_dask(adult, executors):
    ref = analytic_frontier(adult, ts=[0.0, 0.5, 1.0], random_state=0)
    got = analytic_frontier(adult, ts=[0.0, 0.5, 1.0], random_state=0, executor=executors["dask"])
    pd.testing.assert_frame_equal(got.table, ref.table, check_exact=True)
    assert got.meta["timings"]["attacker"] > 0
    pb = fg.prepare(datasets.load("digits", n_samples=400, random_state=0), fg.ForgetSpec())
    a = train_shadows(pb, n_shadows=4, epochs=2, random_state=1)
    b = train_shadows(pb, n_shadows=4, epochs=2, random_state=1, executor=executors["processes"])
    np.testing.assert_array_equal(a.phi, b.phi)
    np.testing.assert_array_equal(a.member, b.member)


def test_the_engine_never_imports_dask_outside_executor_for():
    """Dask is optional: importing the engine (batch run included) loads neither dask nor distributed."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = ("import sys, unlearn_core.batch, unlearn_core.parallel, unlearn_core.results, "
            "unlearn_core.frontier, unlearn_core.forgetting; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    mentions = [p.relative_to(root).as_posix() for p in (root / "unlearn_core").rglob("*.py")
                if "import distributed" in p.read_text() or "from distributed" in p.read_text()
                or "import dask" in p.read_text() or "from dask" in p.read_text()]
    assert mentions == ["unlearn_core/parallel.py"]
