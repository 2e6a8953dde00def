"""A province: many county packages, one run on dask.distributed (a LocalCluster, or a scheduler at tcp://...).

    run_province("prov/", steps=("exposure", "evacuate", "site-depots"), workers=2, say=print)

One task per county and step, the same job functions the county commands call (so the same numbers); the steps of
one county run in order (each writes into the county's onemap.gpkg, which takes one writer at a time), counties run
side by side. Inside a county: a population raster the exact engine walks in several windows is split across the
workers (jobs/province_exposure.py: prepared once per worker, the same answer to the last bit), and the atlas is
printed township by township where the county is large. A free worker takes the ready task with the most work
behind it (province_plan.py). A county whose step fails is reported in one line and stops there; the others go
on. A finished step leaves a note in ``<province>/province_summary/status/``, and a rerun skips it (``force``
redoes it). Dask is imported here only, inside the functions: the county commands never need it.
"""
from __future__ import annotations

import heapq
import itertools
import json
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

from ..errors import RiskOneMapError
from ..layers import model
from .province_exposure import exposure_finish, exposure_start, exposure_window_sums, forget
from .province_plan import county_size

STEPS = ("exposure", "evacuate", "site-depots", "atlas")
SUMMARY_DIR = "province_summary"
ATLAS_DIR = "atlas"


@dataclass
class CountyOutcome:
    folder: Path
    done: list = field(default_factory=list)  # steps finished in this run
    skipped: list = field(default_factory=list)  # steps finished before (a rerun)
    failed: Optional[str] = None  # "step: one line"
    seconds: dict = field(default_factory=dict)  # step -> seconds of work on the workers (all its tasks)


@dataclass
class ProvinceRun:
    province: Path
    counties: list  # CountyOutcome, in folder order
    steps: tuple
    workers: int
    scheduler: str
    dashboard: Optional[str]
    seconds: float = 0.0

    @property
    def failed(self) -> list:
        return [c for c in self.counties if c.failed]

    def summary_lines(self) -> list:
        ok = len(self.counties) - len(self.failed)
        lines = [f"province {self.province}: {ok} of {len(self.counties)} counties finished "
                 f"({', '.join(self.steps)}) in {self.seconds:.1f} s on {self.workers} worker(s), {self.scheduler}"]
        lines += [f"failed: {c.folder.name}: {c.failed}" for c in self.failed]
        return lines


def find_counties(province_dir) -> list:
    """The county packages of a province folder: its sub-folders holding onemap.gpkg, in name order."""
    root = Path(province_dir)
    if not root.is_dir():
        raise RiskOneMapError("the province folder does not exist", file=root)
    found = sorted(p for p in root.iterdir() if p.is_dir() and (p / model.GPKG_NAME).is_file())
    if not found:
        raise RiskOneMapError(f"no county package (a folder with {model.GPKG_NAME}) in the province folder",
                              file=root)
    return found


# ------------------------------------------------------------------------------------------------ the tasks
# Module-level functions: the workers import them by name. Each returns plain data (summary lines, sums).
def evacuate(package: str) -> list:
    from .evacuation import run
    return run(package).summary_lines()


def site_depots(package: str, model_name: str = "pmedian", k: int = 1) -> list:
    from .siting import run
    return run(package, model=model_name, k=k).summary_lines()


def timed(fn, *args, **kwargs):
    """Runs on the worker: ``fn``'s value and the seconds it took there (not counting the wait in the queue)."""
    t = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - t


# ------------------------------------------------------------------------------------------------ the runner
def status_file(province: Path, county: Path, step: str) -> Path:
    return province / SUMMARY_DIR / "status" / f"{county.name}.{step}.json"


def _finished(province: Path, county: Path, step: str) -> bool:
    note = status_file(province, county, step)
    if not note.is_file():
        return False
    # a package changed since (new data imported) is done again: its files are newer than the note
    inputs = [county / model.POPULATION_RASTER, county / model.DEM_RASTER]
    return all(not f.is_file() or f.stat().st_mtime <= note.stat().st_mtime for f in inputs)


def _mark(province: Path, county: Path, step: str, lines: list, seconds: float) -> None:
    from ..layers.package import atomic_path
    note = status_file(province, county, step)
    with atomic_path(note) as tmp:
        tmp.write_text(json.dumps({"county": county.name, "step": step, "seconds": round(seconds, 3),
                                   "summary": lines}, ensure_ascii=False, indent=1), encoding="utf-8")


def one_line(exc: BaseException) -> str:
    """A task's failure as the county commands would say it: RiskOneMapError's line, else type and message."""
    if isinstance(exc, RiskOneMapError):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def open_client(scheduler: Optional[str] = None, workers: int = 2):
    """A dask.distributed Client: to ``scheduler`` (tcp://host:port) or to a new LocalCluster of ``workers``
    single-threaded processes (the jobs hold the GIL in places; processes scale, threads would not)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise RiskOneMapError(f"province runs need dask.distributed ({exc}); install it: "
                              f"pip install dask distributed") from exc
    import logging
    if scheduler:
        try:
            return Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise RiskOneMapError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from exc
    cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                           dashboard_address=":0" if _has_dashboard() else None, silence_logs=logging.ERROR)
    return Client(cluster)


def _has_dashboard() -> bool:
    import importlib.util
    return importlib.util.find_spec("bokeh") is not None


def run_province(province_dir, steps: Sequence[str] = STEPS[:3], *, scheduler: Optional[str] = None,
                 workers: int = 2, force: bool = False, depots_k: int = 1, atlas_task=None, atlas_plugin=None,
                 say: Callable[[str], None] = print, client=None) -> ProvinceRun:
    """Run ``steps`` on every county package of ``province_dir`` on Dask; see the module docstring.

    ``atlas_task(package, out_dir, township_or_None) -> list of lines`` and ``atlas_plugin`` (a WorkerPlugin that
    starts QGIS once per worker) come from the atlas floor (commands/province.py passes them): jobs know no QGIS."""
    t0 = time.monotonic()
    province = Path(province_dir)
    counties = find_counties(province)
    unknown = [s for s in steps if s not in STEPS]
    if unknown or not steps:
        raise RiskOneMapError(f"unknown step {', '.join(unknown) or '(none)'}; steps are: {', '.join(STEPS)}")
    steps = tuple(s for s in STEPS if s in steps)  # always in this order: each reads what the one before wrote
    if "atlas" in steps and atlas_task is None:
        raise RiskOneMapError("the atlas step needs QGIS: run it through `risk-one-map province run`")
    if not force and all(_finished(province, c, s) for c in counties for s in steps):
        say("every step of every county was finished before (--force runs them again)")
        return ProvinceRun(province, [CountyOutcome(c, skipped=list(steps)) for c in counties], steps, 0,
                           "nothing to run", None, time.monotonic() - t0)
    own = client is None
    client = client or open_client(scheduler, workers)
    try:
        n_workers = len(client.scheduler_info().get("workers", {})) or int(workers)
        dashboard = client.dashboard_link if _has_dashboard() else None
        say(f"Dask: {n_workers} worker(s) at {client.scheduler.address}"
            + (f"; dashboard {dashboard}" if dashboard else "; no dashboard (install bokeh for one)"))
        if "atlas" in steps and atlas_plugin is not None:
            client.register_plugin(atlas_plugin)
        outcomes = _Driver(client, province, counties, steps, force, depots_k, atlas_task, say, n_workers).run()
        if "exposure" in steps:  # the workers' kept preparations (a remote cluster's workers live on)
            client.run(forget, on_error="ignore")
    finally:
        if own:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()
    return ProvinceRun(province, outcomes, steps, n_workers, scheduler or "LocalCluster", dashboard,
                       time.monotonic() - t0)


class _Driver:
    """Keeps each worker busy with the largest ready task; a county's next step goes in when its previous one is
    done; reports per county as results come in.

    Tasks wait here, not on the scheduler: no more are sent than there are workers (one task a worker: the jobs
    hold the GIL in places, and a worker's QGIS prints one request at a time), and a freed worker gets
    the ready task with the most work left behind it (province_plan.py): big counties first, small ones fill the
    gaps, and a split county's windows and last task before anything else (the county is under way)."""

    def __init__(self, client, province, counties, steps, force, depots_k, atlas_task, say, n_workers):
        self.client, self.province, self.steps, self.force = client, province, steps, force
        self.n_workers = max(1, int(n_workers))
        self.depots_k, self.atlas_task, self.say = depots_k, atlas_task, say
        self.outcomes = {c: CountyOutcome(c) for c in counties}
        self.sizes = {c: county_size(c) for c in counties}
        self.ready = []  # heap of (-priority, n, county, step, part, fn, args, kwargs)
        self._order = itertools.count()  # n: of equal priorities, the first queued is sent first
        self.pending = {}  # future -> (county, step, part)
        self.open = {}  # (county, step) -> number of tasks not yet back (waiting here or on a worker)
        self.windows = {}  # county -> {window: sums}
        self.work = {}  # (county, step) -> seconds its tasks took on the workers
        self.finished = 0

    def run(self) -> list:
        from distributed import as_completed
        self.queue = as_completed()
        for county in self.outcomes:
            self._next(county, None)
        self._send()
        for future in self.queue:
            county, step, part = self.pending.pop(future)
            outcome = self.outcomes[county]
            if not outcome.failed:
                try:
                    value, seconds = future.result()
                    self.work[(county, step)] = self.work.get((county, step), 0.0) + seconds
                except Exception as exc:  # noqa: BLE001 - any failure of one county is that county's, in one line
                    self._fail(county, step, exc)
                else:
                    self._back(county, step, part, value)
            self._send()
        return list(self.outcomes.values())

    def _left(self, county, step, part=None) -> float:
        """Seconds of work of this task and of the county's steps after it (an estimate: the queue's order)."""
        size = self.sizes[county]
        later = sum(size.cost(s) for s in self.steps[self.steps.index(step) + 1:])
        return size.cost(step, part) + later

    def _queue(self, county, step, part, priority, fn, *args, **kwargs):
        heapq.heappush(self.ready, (-priority, next(self._order), county, step, part, fn, args, kwargs))
        self.open[(county, step)] = self.open.get((county, step), 0) + 1

    def _send(self) -> None:
        while self.ready and len(self.pending) < self.n_workers:
            _, _, county, step, part, fn, args, kwargs = heapq.heappop(self.ready)
            if self.outcomes[county].failed:
                continue
            future = self.client.submit(timed, fn, *args, pure=False,
                                        key=f"{step}-{county.name}-{part}-{time.time_ns()}", **kwargs)
            self.pending[future] = (county, step, part)
            self.queue.add(future)

    def _next(self, county, after: Optional[str]) -> None:
        """Start the step after ``after`` (skipping those finished before)."""
        todo = self.steps[self.steps.index(after) + 1:] if after else self.steps
        outcome = self.outcomes[county]
        for step in todo:
            if not self.force and _finished(self.province, county, step):
                outcome.skipped.append(step)
                continue
            self._start(county, step)
            return
        self.finished += 1
        left = ", ".join(outcome.skipped) if outcome.skipped else ""
        self.say(f"[{self.finished}/{len(self.outcomes)}] {county.name}: done"
                 + (f" ({', '.join(outcome.done)})" if outcome.done else "")
                 + (f"; already done before: {left}" if left else ""))

    def _start(self, county, step) -> None:
        pkg = str(county)
        if step == "exposure":  # one worker: nobody to share windows with
            self._queue(county, step, "start", self._left(county, step), exposure_start, pkg, self.n_workers > 1)
        elif step == "evacuate":
            self._queue(county, step, "all", self._left(county, step), evacuate, pkg)
        elif step == "site-depots":
            self._queue(county, step, "all", self._left(county, step), site_depots, pkg, k=self.depots_k)
        else:
            out = str(self.province / ATLAS_DIR / county.name)
            for township in self.sizes[county].atlas_parts():
                self._queue(county, step, township or "all", self._left(county, step, township),
                            self.atlas_task, pkg, out, township)

    def _back(self, county, step, part, value) -> None:
        self.open[(county, step)] -= 1
        under_way = URGENT + self._left(county, step)
        if step == "exposure" and part == "start" and isinstance(value, int):  # windows to spread
            self.windows[county] = {}
            for w in range(value):
                self._queue(county, step, f"w{w}", under_way, exposure_window_sums, str(county), [w])
            return
        if step == "exposure" and part.startswith("w"):
            self.windows[county].update(value)
            if self.open[(county, step)] == 0:
                self._queue(county, step, "sum", under_way, exposure_finish, str(county), self.windows.pop(county))
            return
        if self.open[(county, step)]:
            return
        seconds = self.work[(county, step)]
        outcome = self.outcomes[county]
        outcome.done.append(step)
        outcome.seconds[step] = seconds
        _mark(self.province, county, step, list(value or []), seconds)
        self.say(f"  {county.name}: {step} done, {seconds:.1f} s of work")
        self._next(county, step)

    def _fail(self, county, step, exc) -> None:
        outcome = self.outcomes[county]
        outcome.failed = f"{step}: {one_line(exc)}"
        self.finished += 1
        self.say(f"[{self.finished}/{len(self.outcomes)}] {county.name}: FAILED at {outcome.failed}")
        if os.environ.get("RISK_ONE_MAP_DEBUG"):
            traceback.print_exception(exc)
        for future, (c, _, _) in list(self.pending.items()):  # the county's other parts are not needed now
            if c == county:
                future.cancel()


URGENT = 1e9  # added to the priority of a county's tasks once it is under way (windows, their sum)
