"""Village sheets in several processes: each print process starts QGIS and loads the sheet project once, then
prints the villages it takes from a shared queue, one after another, until the queue is empty.

What a print process pays before its first page (measured on the 48-village sample county, 2.6-3 CPU s in all,
about six pages' worth): the interpreter and QGIS's Python (0.5 CPU s), ``initQgis`` (0.5-0.75), pandas and our
modules to read the sheet data (0.7), the sheet project (package layers styled, template loaded and bound: 1.0)
and a slower first page (+0.1). So:
  - the process that calls ``run`` prints too (unless told not to, from a thread that is not QGIS's main thread):
    N processes start N - 1 others, whose start-up overlaps its own;
  - a process starts no provider plugins (``QGIS_PROVIDER_FILE``): the sheets read GeoPackage and GeoTIFF through
    QGIS's built-in OGR and GDAL providers; the others (PostgreSQL, WMS, WFS, ...) cost 0.5 s of disk and start-up;
  - another process is started only when the pages repay its start-up (``process_count``).
"""
from __future__ import annotations

import contextlib
import os
import queue
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import Cancelled, RiskOneMapError
from . import export

# A print process's start-up costs about 6 pages (see above); another one is started only for at least twice that,
# so that it prints in the time its start-up would have cost and is never slower than one process on a busy PC.
PAGES_PER_PROCESS = 12
# Provider plugin files a print process loads: none (a pattern no file name matches). OGR, GDAL and memory layers
# are built into qgis_core and load regardless.
NO_PROVIDER_PLUGINS = "^$"
CANCEL_GRACE_S = 5.0  # after Cancel (or a failure), how long a worker may take to finish its page
WORKER_START_S = 180.0  # a worker loads QGIS and the project: a minute on a slow PC, never three


@dataclass
class StartUp:
    """What one print process paid before it could print: wall seconds since it was started, CPU seconds."""
    seconds: float
    cpu_seconds: float


def process_count(requested: int, pages: int, cores: int = 0) -> int:
    """Processes for ``pages`` sheets: at most ``requested`` and the cores, and one more only per
    ``PAGES_PER_PROCESS`` pages (``RISK_ONE_MAP_PAGES_PER_PROCESS`` overrides it: a slow PC's start-up may cost
    fewer pages' worth, a test's must start a worker for a few pages)."""
    cores = cores or os.cpu_count() or 1
    per = os.environ.get("RISK_ONE_MAP_PAGES_PER_PROCESS", "")
    per = int(per) if per.isdigit() and int(per) > 0 else PAGES_PER_PROCESS
    return max(1, min(int(requested or 1), cores, pages // per))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def started(make):
    """(``make()``, the StartUp it cost in this process)."""
    t0, cpu0 = time.perf_counter(), cpu_seconds()
    made = make()
    return made, StartUp(time.perf_counter() - t0, cpu_seconds() - cpu0)


def cheap_qgis_start() -> None:
    """Before QGIS starts in a print process: no provider plugins (see the module's docstring)."""
    os.environ.setdefault("QGIS_PROVIDER_FILE", NO_PROVIDER_PLUGINS)


def _die_with_parent() -> None:
    """A worker whose parent is killed must not print on (nor hold semaphores): on Linux the kernel kills it
    with the parent (PR_SET_PDEATHSIG); everywhere a watchdog thread ends it when the parent's sentinel fires."""
    import multiprocessing as mp
    import threading
    parent = mp.parent_process()
    if sys.platform.startswith("linux"):
        import ctypes
        import signal
        with contextlib.suppress(Exception):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG
    if parent is None:
        return

    def watch():
        from multiprocessing.connection import wait
        wait([parent.sentinel])
        os._exit(1)
    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()
    if not parent.is_alive():  # gone before the watch began
        os._exit(1)


def _worker_main(package_dir, data_file, page, dpi, template, tasks, results, cancel, started_at) -> None:
    """A spawned process: its own QgsApplication, the project loaded once, then villages from ``tasks``."""
    _die_with_parent()
    cheap_qgis_start()
    try:
        import pickle
        with open(data_file, "rb") as f:
            data = pickle.load(f)
        renderer = export.SheetRenderer(package_dir, data, page, dpi, template)
    except BaseException as exc:  # report, never hang the parent
        results.put(("error", None, str(exc)))
        return
    results.put(("ready", os.getpid(), StartUp(time.time() - started_at, cpu_seconds())))
    while not cancel.is_set():
        try:
            job = tasks.get(timeout=0.2)
        except queue.Empty:
            continue
        if job is None:
            break
        try:
            renderer.render(job)
        except BaseException as exc:
            results.put(("error", job.code, str(exc)))
            break
        results.put(("done", job.code, None))
    renderer.close()
    results.put(("exit", os.getpid(), None))
    import atexit
    atexit._run_exitfuncs()  # a spawned process ends with os._exit: clean the temporary folders now


def _start_without_main(procs) -> None:
    """Start spawned processes without re-running the caller's main module in them (a script or ``python -m``
    entry point without a ``__main__`` guard would run again in every worker). The workers need only this module."""
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__spec__", "__file__") if main is not None and k in main.__dict__}
    try:
        if main is not None:
            main.__dict__["__spec__"] = None
            main.__dict__.pop("__file__", None)
        for p in procs:
            p.start()
    finally:
        if main is not None:
            main.__dict__.update(saved)


def _spawn(ctx, python, package_dir, data, page, dpi, template, n, tasks, results, cancel):
    """``n`` started print processes and the scratch folder of the sheet data they read."""
    from multiprocessing import spawn
    previous = spawn.get_executable()
    # set_executable is global (every spawn context, Dask's LocalCluster too): put it back once the workers started
    ctx.set_executable(python)
    try:
        # The sheet data goes by file, not as an argument: a worker that never reads its start-up pipe (a wrong
        # interpreter, a QGIS window) would otherwise block Process.start() on a full pipe, before Cancel is
        # looked at.
        import pickle
        import tempfile
        # swept if killed (leftovers)
        scratch = Path(tempfile.mkdtemp(prefix=f"risk-one-map-{os.getpid()}-sheets-"))
        data_file = scratch / "sheet_data.pickle"
        with open(data_file, "wb") as f:
            pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
        procs = [ctx.Process(target=_worker_main, args=(str(package_dir), str(data_file), page, dpi, template, tasks,
                                                        results, cancel, time.time()), daemon=True)
                 for _ in range(n)]
        _start_without_main(procs)
    finally:
        ctx.set_executable(previous)
    return procs, scratch


_RETRY = object()


def run(package_dir, data, jobs, page, dpi, template, workers, tick, cancelled, here: bool = True) -> list:
    """Print ``jobs`` in ``workers`` processes, this one among them when ``here``; the StartUp of each process."""
    import multiprocessing as mp
    import shutil
    ctx = mp.get_context("spawn")
    python = export._python_executable()
    children = workers - 1 if here else workers
    tasks, results, cancel = ctx.Queue(), ctx.Queue(), ctx.Event()
    for job in jobs:
        tasks.put(job)
    for _ in range(children + (1 if here else 0)):  # one end mark per process that takes jobs
        tasks.put(None)
    procs, scratch = _spawn(ctx, python, package_dir, data, page, dpi, template, children, tasks, results,
                            cancel) if children else ([], None)
    startups, renderer = [], None
    done, exited, error, user_cancel = 0, 0, None, False
    ready, began, cancel_at = 0, time.monotonic(), None
    printing_here = here
    try:
        if here:  # while the others start: this process's own QGIS and project
            renderer, startup = started(lambda: export.SheetRenderer(package_dir, data, page, dpi, template))
            startups.append(startup)
        while exited < children or printing_here:
            if not user_cancel and cancelled():
                user_cancel, cancel_at = True, time.monotonic()
                cancel.set()
            if user_cancel and time.monotonic() - cancel_at > CANCEL_GRACE_S:
                break  # a worker busy in one page or stuck: the finally below ends it
            if children and not ready and not error and time.monotonic() - began > WORKER_START_S:
                error = (f"the print processes did not start within {WORKER_START_S:g} s "
                         f"({python}): print with 1 process")
                break
            if printing_here:
                job = _take(tasks) if not cancel.is_set() else None
                if job is None:
                    printing_here = False
                elif job is not _RETRY:
                    try:
                        renderer.render(job)
                    except RiskOneMapError as exc:
                        error = f"village {job.code}: {exc}"
                        cancel.set()
                        printing_here = False
                        continue
                    done += 1
                    tick(done)
            try:  # while this process prints, only what has arrived; else wait a little
                kind, what, message = results.get(block=not printing_here, timeout=0.2)
            except queue.Empty:
                if printing_here:
                    continue
                dead = [p for p in procs if not p.is_alive() and p.exitcode not in (0, None)]
                if dead and error is None and not user_cancel:
                    # a worker killed, out of memory, or started with a Python that cannot import us: its village
                    # is lost, so the run fails with why, instead of waiting for pages that never come
                    error = (f"a print process ended unexpectedly (exit code {dead[0].exitcode}, "
                             f"{python})")
                    break
                if all(not p.is_alive() for p in procs) and results.empty():
                    if error is None and done < len(jobs) and not user_cancel:
                        error = "a worker process ended unexpectedly"
                    break
                continue
            if kind == "ready":
                ready += 1
                startups.append(message)
            elif kind == "done":
                done += 1
                tick(done)
            elif kind == "error":
                error = error or (f"village {what}: {message}" if what else message)
                cancel.set()
                if what is None:
                    exited += 1  # it never started
            elif kind == "exit":
                exited += 1
    finally:
        cancel.set()
        if renderer is not None:
            renderer.close()
        for p in procs:
            p.join(timeout=CANCEL_GRACE_S if (user_cancel or error) else 30)
            if p.is_alive():
                p.terminate()
                p.join()
        for q in (tasks, results):
            q.cancel_join_thread()  # jobs never taken must not hold this thread at exit
            q.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if error:
        raise RiskOneMapError(error)
    if user_cancel:
        raise Cancelled("cancelled by the user; finished sheets were kept, no partial PDF was written")
    return startups


def _take(tasks):
    """The next job for this process, None at the end, or _RETRY when the queue has nothing ready yet."""
    try:
        return tasks.get(timeout=0.05)
    except queue.Empty:
        return _RETRY
