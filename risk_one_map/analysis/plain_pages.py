"""Large arrays on plain memory pages: numpy asks Linux for huge pages (madvise) for every array of 4 MB or more;
where the kernel then compacts memory at the page fault to find them (transparent huge pages with defrag=madvise,
Debian's default), a fresh gigabyte can cost seconds instead of a fraction of one. Measured here (Debian 12's numpy
1.24, a 1 GB array after a few seconds idle): 2.0-7.2 s with huge pages, 0.57-0.59 s without; the low points of a
1e8-cell DEM 42 s with them, 26 s without, the same peak; the evacuation plan of 100k households in a fresh process
(what the evacuate command waits for) 7.4-8.3 s with them, 4.8-5.5 s without. Those analyses turn the request off
only while they run, and back to what it was (numpy's own switch, which the ``NUMPY_MADVISE_HUGEPAGE`` environment
variable sets at import). A no-op where numpy has no such switch or the platform no huge pages (Windows, macOS)."""
from __future__ import annotations

import contextlib
import functools
import importlib
import os
import threading

_lock = threading.Lock()
_depth = 0
_before = None


def _switch():
    """numpy's setter (``_set_madvise_hugepage``: sets, returns the previous setting), or None."""
    for name in ("numpy._core.multiarray", "numpy.core.multiarray"):  # numpy 2, numpy 1
        try:
            return getattr(importlib.import_module(name), "_set_madvise_hugepage")
        except (ImportError, AttributeError):
            continue
    return None


@contextlib.contextmanager
def plain_pages():
    """Inside, numpy's new large arrays get plain pages; nested and concurrent uses restore the setting once, at
    the last exit. The user's explicit ``NUMPY_MADVISE_HUGEPAGE=1`` wins."""
    global _depth, _before
    switch = _switch()
    if switch is None or os.environ.get("NUMPY_MADVISE_HUGEPAGE") == "1":
        yield
        return
    with _lock:
        if _depth == 0:
            _before = switch(False)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                switch(bool(_before))


def on_plain_pages(fn):
    """Decorator: ``fn`` runs inside ``plain_pages()``."""
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with plain_pages():
            return fn(*args, **kwargs)
    return wrapped
