"""Work spread over forked processes where that is safe, done in turn elsewhere, with the same results. PURE.

scipy's Dijkstra and GEOS's unions hold the GIL, so threads do not help; forked workers do, and they inherit the
function and everything it closes over (a graph of a million nodes is not pickled). Only tasks and results
cross between processes, so both should be small. Forking is used only on Linux outside QGIS (see
:func:`can_fork`); a worker that dies (killed, out of memory) costs time, not results: what it had not sent back is
done again in this process.
"""
from __future__ import annotations

import os
import sys
from collections import deque
from typing import Callable, Iterable, Iterator, Optional

# The function forked workers run: set just before the pool forks, so every worker inherits it.
_FUNC: Optional[Callable] = None


def worker_count(workers: Optional[int] = None) -> int:
    """``workers`` if given, else the CPUs this process may use, at most 4."""
    if workers is not None:
        return max(1, int(workers))
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


def can_fork() -> bool:
    """Forking is safe only on Linux and outside QGIS: a QGIS process (Desktop, qgis_process, a Processing run)
    has Qt and GDAL threads whose locks a forked child could inherit held. A daemon process (a Dask worker: province
    runs) may have no children at all. ``RISK_ONE_MAP_NO_FORK=1`` turns it off."""
    import multiprocessing
    return sys.platform.startswith("linux") and "qgis.core" not in sys.modules and \
        os.environ.get("RISK_ONE_MAP_NO_FORK", "") == "" and not multiprocessing.current_process().daemon


def ordered_map(func: Callable, tasks: Iterable, *, workers: Optional[int] = None, batch: int = 1) -> Iterator:
    """Yield ``func(task)`` for every task, in order: in forked workers when :func:`can_fork` and more than one
    worker, else in turn here. Workers get ``batch`` tasks at a time (each hand-over between processes costs about
    2 ms: small tasks go in batches); at most two batches per worker are in flight, so results do not pile up."""
    workers = worker_count(workers)
    tasks = iter(tasks)
    if workers < 2 or not can_fork():
        for task in tasks:
            yield func(task)
        return
    import itertools
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    global _FUNC
    _FUNC = func
    batch = max(1, int(batch))
    batches = iter(lambda: list(itertools.islice(tasks, batch)), [])
    pending = deque()
    try:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            try:
                for chunk in batches:
                    pending.append((chunk, None))  # first: a submit to a broken pool raises, the chunk stays ours
                    pending[-1] = (chunk, pool.submit(_run, chunk))
                    if len(pending) >= 2 * workers:
                        yield from pending[0][1].result()
                        pending.popleft()
                while pending:
                    yield from pending[0][1].result()
                    pending.popleft()
            except BrokenProcessPool:
                pass  # a worker died: what was not sent back is done below, in turn
        for chunk, _future in pending:
            for task in chunk:
                yield func(task)
        for task in tasks:
            yield func(task)
    finally:
        _FUNC = None


def _run(chunk):
    return [_FUNC(task) for task in chunk]


class _Here:
    """``func()`` done here when its result is asked for (no fork): the same answer, no overlap."""

    def __init__(self, func: Callable):
        self._func = func

    def result(self):
        return self._func()


class _Forked:
    """``func()`` running in a forked child since construction; ``result()`` waits for it. A child that dies or
    fails costs time, not the answer: the work is then done here."""

    def __init__(self, func: Callable):
        import multiprocessing as mp
        self._func = func
        ctx = mp.get_context("fork")
        self._recv, send = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_send_result, args=(func, send), daemon=True)
        self._proc.start()
        send.close()

    def result(self):
        try:
            ok, value = self._recv.recv()
        except (EOFError, OSError):
            ok, value = False, None
        finally:
            self._recv.close()
            self._proc.join()
        return value if ok else self._func()


def _send_result(func, send):
    try:
        send.send((True, func()))
    except BaseException:  # noqa: BLE001 - the parent redoes the work and raises there, with its own traceback
        send.send((False, None))
    finally:
        send.close()


def shared_map(func: Callable, tasks, *, workers: Optional[int] = None) -> list:
    """``[func(task) for task in tasks]``, shared between this process and ``workers - 1`` forked children (default:
    the CPUs this process may use, at most 4, less one) where :func:`can_fork`: each takes the next task not yet
    taken (a shared counter) until none is left, so a process slowed by others' load takes fewer; a child forks
    once and sends its results back at the end. A pool before cost two forks of a process of a few GB, a manager
    thread, queues and an idle CPU in the waiting parent. A child that dies costs time, not results: what it took is
    done here again."""
    tasks = list(tasks)
    workers = min(worker_count(workers), len(tasks))
    if workers < 2 or not can_fork():
        return [func(task) for task in tasks]
    import multiprocessing as mp
    taken = mp.get_context("fork").Value("q", 0)  # the next task's position, shared by every process

    def work():
        done = []
        while True:
            with taken.get_lock():
                i = taken.value
                taken.value = i + 1
            if i >= len(tasks):
                return done
            done.append((i, func(tasks[i])))

    children = [_Forked(work) for _ in range(workers - 1)]
    missing = object()
    out = [missing] * len(tasks)
    for child in [None] + children:
        for i, value in (work() if child is None else child.result()):
            out[i] = value
    return [func(task) if value is missing else value for task, value in zip(tasks, out)]


def in_background(func: Callable):
    """Start ``func()`` beside the caller's own work; ``.result()`` gives its value. In a forked child when
    :func:`can_fork` and this process may use two CPUs (the caller's work must hold the GIL too, e.g. OR-Tools'
    solver or scipy's Dijkstra, so a thread would not overlap), else done here on ``.result()``. ``func``'s result
    crosses a pipe: keep it small."""
    if worker_count() < 2 or not can_fork():
        return _Here(func)
    return _Forked(func)
