"""Exposure on a province's Dask workers: one preparation per county and worker, kept for the county's windows.

A county is prepared once where its first task runs (the package read and checked, the zones dissolved into level
regions, the engine built): if the exact engine walks its population raster in one window, the same task finishes
it (as the county command does); else it says how many windows there are, the driver sends them out one task each
to whoever is free, and a last task adds their sums in window order (analysis/exposure_windows.py) and writes. Each
worker keeps the preparations it made, keyed by the package's path and its files' sizes and modification times (a
package changed since is prepared again), at most ``KEEP`` of them: a worker serving several windows of a county,
and the last task, prepare it once, not once a task. Before, every window task read the package and dissolved the
zones again, and a 2-worker run did more work than a 1-worker one.
"""
from __future__ import annotations

import contextlib
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

from ..layers import model
from . import names_the_package

KEEP = 2  # preparations a worker keeps: the county whose windows it serves, and one started in between
_kept: "OrderedDict[tuple, _Kept]" = OrderedDict()  # key -> preparation, the most recently used last
_lock = threading.Lock()  # a worker may run tasks in several threads (a remote cluster's choice)
_made = Counter()  # package path -> preparations this worker made


@dataclass
class _Kept:
    prep: object  # analysis.exposure.Prepared (its raster stays open until closed)
    townships: object
    checked: bool  # the package passed check's rules for exposure
    close: Callable[[], None]
    lock: threading.Lock = field(default_factory=threading.Lock)  # one task at a time reads its raster


def _key(package: Path) -> tuple:
    files = (package / model.GPKG_NAME, package / model.POPULATION_RASTER)
    stats = [f.stat() if f.is_file() else None for f in files]
    return (str(package.resolve()),) + tuple(s and (s.st_mtime_ns, s.st_size) for s in stats)


def _prepare(package: Path, check: bool) -> _Kept:
    from ..analysis.exposure import prepared
    from ..layers.package import Package
    from ..progress import Steps
    from .exposure import read_inputs
    inputs = read_inputs(package, check=check)
    townships = Package(package).read("townships", required=False)
    stack = contextlib.ExitStack()
    # the county command's defaults (jobs.exposure.run): exact areas, the best population source there is; the
    # raster is read inside each task's own GDAL environment (_preparation), which one thread opens and closes
    prep = stack.enter_context(prepared(inputs["villages"], inputs["zones"], inputs["raster"], inputs["households"],
                                        "auto", "exact", Steps(), gdal_env=False))
    _made[str(package.resolve())] += 1
    return _Kept(prep, townships, check, stack.close)


def _close(kept: _Kept) -> None:
    with kept.lock:
        kept.close()


@contextlib.contextmanager
def _preparation(package: Path, check: bool):
    """The worker's preparation of ``package`` (made now if it has none, or the package changed since), locked,
    inside a GDAL environment of this task's own."""
    import rasterio
    from ..analysis.exposure_inputs import GDAL_OPTIONS
    with rasterio.Env(**GDAL_OPTIONS):
        with _lock:
            key = _key(package)
            for old in [k for k in _kept if k[0] == key[0] and k != key]:  # the package changed: stale
                _close(_kept.pop(old))
            kept = _kept.pop(key, None)
            if kept is not None and check and not kept.checked:
                from ..layers.check import require_valid
                require_valid(package, "exposure")
                kept.checked = True
            kept = kept or _prepare(package, check)
            _kept[key] = kept
            while len(_kept) > max(KEEP, 1):  # never the one just made
                _close(_kept.popitem(last=False)[1])
        with kept.lock:
            yield kept


def preparations() -> dict:
    """{package path: how many times this worker prepared it} (client.run(preparations): one per worker)."""
    return dict(_made)


def forget() -> int:
    """Close every preparation this worker keeps (at the end of a run: a remote worker lives on); how many."""
    with _lock:
        n = len(_kept)
        while _kept:
            _close(_kept.popitem()[1])
        return n


# ------------------------------------------------------------------------------------------------ the tasks
@names_the_package
def exposure_start(package: str, split: bool = True):
    """A county's first exposure task: its summary lines once done here (one window, or ``split`` False: a
    cluster of one worker has nobody to share with), else the number of windows to send out (nothing written)."""
    from ..analysis.exposure_windows import windows_of
    with _preparation(Path(package), check=True) as kept:
        n = windows_of(kept.prep) if split else 1
        return n if n > 1 else _finish(Path(package), kept, None)


@names_the_package
def exposure_window_sums(package: str, windows: Sequence[int]) -> dict:
    """{window: sums} of some of a county's windows."""
    from ..analysis.exposure_windows import window_sums
    with _preparation(Path(package), check=False) as kept:
        return window_sums(kept.prep, windows)


@names_the_package
def exposure_finish(package: str, windows_done: dict) -> list:
    """A county's last exposure task: every window's sums added in order, the results written; summary lines."""
    with _preparation(Path(package), check=False) as kept:
        return _finish(Path(package), kept, windows_done)


def _finish(package: Path, kept: _Kept, windows_done: Optional[dict]) -> list:
    from ..analysis.exposure import exposure_of
    from ..layers.package import Package
    from .exposure import write_outputs
    result = exposure_of(kept.prep, kept.townships, windows_done)
    return write_outputs(Package(package), result, kept.townships).summary_lines()
