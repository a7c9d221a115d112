"""The executor seam: run the engine's embarrassingly parallel loops serially or on any executor.

Every loop of the engine whose iterations do not depend on one another (the trained frontier's
lam values when cold-started, the evaluation of each lam when warm-started, the analytic frontier's
per-t attackers, forgetting trials, the per-example audit's shadow models) is written as a list of
:class:`Task` objects and one module-level function ``fn(task, shared)``. :func:`map_tasks` runs them

- serially in this process when ``executor`` is None (the default, and what the app does), or
- on any :class:`concurrent.futures.Executor`: a ``ThreadPoolExecutor``, a ``ProcessPoolExecutor``, or
  a Dask cluster through :func:`executor_for` (``Client.get_executor()``).

and returns the results **in task order**, never in completion order.

Reproducibility
---------------
A task's randomness is a function of (base seed, task id) only, never of the order in which tasks
run: :func:`task_seed` derives it with ``numpy.random.SeedSequence([base_seed, crc32(task_id)])``.
Functions whose seeds were already defined per task before this seam existed keep them (the trained
frontier gives every lam the same batch seed on purpose, as common random numbers; forgetting trials
use :func:`unlearn_core.forgetting.trial_seeds`, a SeedSequence spawn of (base seed, trial index)): both
are functions of the task, not of execution order. Every task runs with ``num_threads`` torch / BLAS
threads (default 1, :func:`unlearn_core._utils.limit_threads`), in the caller's process as in a
worker, so two workers on two cores do not oversubscribe them and torch's CPU kernels reduce in the
same order everywhere: serial, thread, process and Dask runs give bit-identical tables (tested in
``tests/test_parallel.py``).

Data goes to workers once
-------------------------
``shared`` (the dataset's arrays, the original model, ...) is what every task needs. On an executor
with a ``share`` method (the Dask executor of :func:`executor_for`) it is scattered to every worker
once (``Client.scatter(..., broadcast=True)``) and each task submission carries only a reference to it
(:func:`submission_bytes` measures this: ~300 bytes per task against the full payload otherwise). A
``ProcessPoolExecutor`` has no such channel, so ``shared`` is pickled with every task there; a
``ThreadPoolExecutor`` shares memory and copies nothing.

Progress and stopping
---------------------
The project's training protocol: ``progress(done, total, {"task": index})`` after each finished task
and ``should_stop()`` polled before each submission (serial) or between completions (executor). A stop
cancels the tasks not yet started and returns the finished *prefix* of the results, as a serial loop
that breaks would.

Dask is optional: nothing here imports it except :func:`executor_for`, lazily, with a clear error
when it is not installed (``pip install -r requirements-test.txt``).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from ._utils import limit_threads

R = TypeVar("R")

#: ``progress(done, total, metrics)``: the protocol of :mod:`unlearn_core.training` and forgetting.
Progress = Callable[[int, int, Mapping[str, float]], None]
#: ``should_stop() -> bool``, polled between tasks.
ShouldStop = Callable[[], bool]


def task_seed(base_seed: int, task_id: str) -> int:
    """A 31-bit seed from (base seed, task id): ``SeedSequence([base_seed, crc32(task_id)])``.

    The same pair always gives the same seed, whatever order or process the task runs in.
    """
    key = zlib.crc32(str(task_id).encode("utf-8"))
    return int(np.random.SeedSequence([int(base_seed), key]).generate_state(1)[0] % (2**31 - 1))


@dataclass(frozen=True)
class Task(Generic[R]):
    """One unit of work: a stable ``id`` (used for seeds and resume files), its ``index`` in the
    task list, its ``seed`` (:func:`task_seed`) and a small ``payload`` (the lam, the t, the trial)."""

    id: str
    index: int
    seed: int
    payload: Any = None


def make_tasks(payloads: Sequence[Any], *, ids: Sequence[str], base_seed: int) -> list[Task]:
    """Tasks for ``payloads`` with the given ids (distinct) and seeds from ``(base_seed, id)``."""
    ids = [str(i) for i in ids]
    if len(ids) != len(payloads):
        raise ValueError(f"ids has {len(ids)} entries but payloads has {len(payloads)}")
    if len(set(ids)) != len(ids):
        raise ValueError(f"task ids must be distinct, got {ids}")
    return [Task(id=i, index=k, seed=task_seed(base_seed, i), payload=p)
            for k, (i, p) in enumerate(zip(ids, payloads, strict=True))]


@dataclass(frozen=True)
class Shared:
    """A box around the data every task needs, so Dask scatters it as one object (not per element)."""

    value: Any


def _call(fn: Callable[[Task, Any], R], task: Task, shared: Any, num_threads: int | None) -> R:
    """Run one task with ``num_threads`` torch / BLAS threads (in a worker or in this process)."""
    value = shared.value if isinstance(shared, Shared) else shared
    with limit_threads(num_threads):
        _import_torch_threads(num_threads)
        return fn(task, value)


def _import_torch_threads(num_threads: int | None) -> None:
    # limit_threads only sets torch's pool when torch is already imported; in a fresh worker the task
    # imports torch itself, so set it here too (cheap when torch is not installed or already set).
    if num_threads is None:
        return
    import sys

    torch = sys.modules.get("torch")
    if torch is None:
        try:
            import torch  # noqa: F811
        except ImportError:  # pragma: no cover - torch is a runtime dependency
            return
    if torch.get_num_threads() != int(num_threads):
        torch.set_num_threads(int(num_threads))


def share(executor: Executor | None, value: Any) -> Any:
    """Send ``value`` to the executor's workers once; returns what to pass to :func:`submit`.

    Executors with a ``share`` method (:class:`DaskExecutor`) scatter it; others get the box itself.
    """
    box = Shared(value)
    sharer = getattr(executor, "share", None)
    return sharer(box) if callable(sharer) else box


def submit(fn: Callable[[Task, Any], R], task: Task, shared_ref: Any, *, executor: Executor | None,
           num_threads: int | None = 1) -> Future:
    """Start one task: on ``executor``, or (None) run it now and return a finished Future.

    ``shared_ref`` comes from :func:`share`. Exceptions of a serial run are stored in the Future, as an
    executor would, so callers handle both the same way.
    """
    if executor is None:
        fut: Future = Future()
        try:
            fut.set_result(_call(fn, task, shared_ref, num_threads))
        except BaseException as exc:  # noqa: BLE001 - re-raised by fut.result()
            fut.set_exception(exc)
        return fut
    return executor.submit(_call, fn, task, shared_ref, num_threads)


def map_tasks(
    fn: Callable[[Task, Any], R],
    tasks: Sequence[Task],
    executor: Executor | None = None,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    *,
    shared: Any = None,
    num_threads: int | None = 1,
    on_result: Callable[[Task, R], None] | None = None,
) -> list[R]:
    """Run ``fn(task, shared)`` for every task; results in task order.

    Parameters
    ----------
    fn : a module-level function (it must pickle for process and Dask executors).
    tasks : from :func:`make_tasks`.
    executor : None (serial, in this process) or any ``concurrent.futures.Executor``.
    progress, should_stop : the training protocol (module docstring).
    shared : data every task reads; sent to workers once where the executor can (module docstring).
    num_threads : torch / BLAS threads inside each task (None leaves them alone).
    on_result : called in this process as ``on_result(task, result)`` the moment each task finishes
        (completion order), e.g. to write the task's partial results for resume.

    Returns
    -------
    The results of the longest prefix of ``tasks`` that finished (all of them unless stopped). The
    first exception raised by a task is re-raised after the other running tasks are cancelled.
    """
    tasks = list(tasks)
    total = len(tasks)
    ref = share(executor, shared)
    if executor is None:
        out: list[R] = []
        for task in tasks:
            if should_stop is not None and should_stop():
                break
            out.append(_call(fn, task, ref, num_threads))
            if on_result is not None:
                on_result(task, out[-1])
            if progress is not None:
                progress(len(out), total, {"task": float(task.index)})
        return out

    futures = {executor.submit(_call, fn, task, ref, num_threads): k for k, task in enumerate(tasks)}
    done_results: dict[int, R] = {}
    pending = set(futures)
    stopped = False
    try:
        while pending:
            finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in finished:
                if fut.cancelled():
                    continue
                done_results[futures[fut]] = fut.result()  # re-raises a task's exception
                if on_result is not None:
                    on_result(tasks[futures[fut]], done_results[futures[fut]])
                if progress is not None:
                    progress(len(done_results), total, {"task": float(tasks[futures[fut]].index)})
            if should_stop is not None and should_stop():
                stopped = True
                break
    finally:
        for fut in pending:
            fut.cancel()
    if stopped:
        for fut in pending:  # tasks already running cannot be cancelled: keep what they return
            if not fut.cancelled():
                try:
                    done_results[futures[fut]] = fut.result()
                    if on_result is not None:
                        on_result(tasks[futures[fut]], done_results[futures[fut]])
                except Exception:  # noqa: BLE001 - a stopped sweep reports what finished cleanly
                    pass
    out = []
    for k in range(total):
        if k not in done_results:
            break
        out.append(done_results[k])
    return out


def submission_bytes(fn: Callable, task: Task, shared_ref: Any, num_threads: int | None = 1) -> int:
    """Bytes one task submission pickles (cloudpickle): what crosses the wire per task."""
    import cloudpickle

    return len(cloudpickle.dumps((_call, fn, task, shared_ref, num_threads)))


class DaskExecutor(Executor):
    """``Client.get_executor()`` plus :meth:`share` (scatter to every worker once).

    Made by :func:`executor_for`; a plain ``concurrent.futures.Executor`` to everything else.
    """

    def __init__(self, client: Any, cluster: Any = None) -> None:
        self.client = client
        self.cluster = cluster
        self._executor = client.get_executor(pure=False)

    def submit(self, fn, /, *args, **kwargs) -> Future:  # type: ignore[override]
        return self._executor.submit(fn, *args, **kwargs)

    def share(self, box: Shared) -> Any:
        """Scatter ``box`` to every worker (one transfer per worker); tasks receive the object."""
        return self.client.scatter(box, broadcast=True, hash=False)

    @property
    def n_workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


@contextmanager
def executor_for(scheduler: str | None, *, workers: int | None = None) -> Iterator[Executor | None]:
    """An executor for a scheduler spec, closed on exit (the CLI's ``--scheduler``).

    - None or ``"serial"``: None (run in this process);
    - ``"threads:N"`` / ``"processes:N"``: a ``ThreadPoolExecutor`` / ``ProcessPoolExecutor`` (spawn);
    - ``"local:N"``: a Dask ``LocalCluster`` of N single-threaded worker processes;
    - ``"tcp://host:port"`` (or any Dask address): a ``Client`` to that scheduler.

    ``workers`` is N when the spec gives none (default 2). The only place the engine imports Dask.
    """
    spec = "serial" if scheduler is None else str(scheduler).strip()
    kind, _, count = spec.partition(":") if "://" not in spec else (spec, "", "")
    n = int(workers or 2)
    if count:
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"scheduler {spec!r}: the worker count after ':' must be a whole number >= 1")
        n = int(count)
    if kind == "serial":
        yield None
        return
    if kind in ("threads", "processes"):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

        ex: Executor = (ThreadPoolExecutor(n) if kind == "threads"
                        else ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn")))
        try:
            yield ex
        finally:
            ex.shutdown(wait=True, cancel_futures=True)
        return
    if kind != "local" and "://" not in spec:
        raise ValueError(
            f"unknown scheduler {spec!r}; use serial, threads:N, processes:N, local:N or a Dask address "
            "such as tcp://127.0.0.1:8786")
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ValueError(
            f"scheduler {spec!r} needs Dask: pip install 'dask[distributed]' (pinned in "
            f"requirements-test.txt); or run without --scheduler ({exc})") from exc
    cluster = None
    if kind == "local":
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=40)
        client = Client(cluster)
    else:
        client = Client(spec)
    ex = DaskExecutor(client, cluster)
    try:
        yield ex
    finally:
        ex.shutdown()


__all__ = [
    "DaskExecutor", "Progress", "Shared", "ShouldStop", "Task", "executor_for", "make_tasks", "map_tasks",
    "share", "submission_bytes", "submit", "task_seed",
]
