"""What a killed run leaves behind, removed by the next run.

Every temporary file or folder the tool makes carries the id of the process that made it: ``.onemap.<pid>.<rand>.gpkg``
(and its -wal/-shm), ``.exposure.<pid>.<rand>/``, ``.<package>.<pid>.<rand>/`` beside a package being written,
``.<code>_<name>.<pid>.tmp.pdf`` beside a sheet, ``risk-one-map-<pid>...`` in the temporary folder. A run that ends
normally removes its own; one killed (SIGKILL, a power cut) cannot, so each run first removes those whose process
is gone. A file of a process still running (two runs at once) is never touched.

Pure Python.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

HIDDEN = re.compile(r"^\..+\.(?P<pid>\d+)\.(?:[a-z0-9_]{8}(?:[.-].*)?|tmp\.(?:pdf|png)|old)$")
IN_TEMP = re.compile(r"^risk-one-map-(?P<pid>\d+)(?:[-.].*)?$")
# Where a process cannot be asked whether it lives (Windows: os.kill would end it), only old leftovers go.
_OLD_S = 24 * 3600


def alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform.startswith("win"):
        return True  # decided by age instead (see sweep)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _stale(path: Path, pid: int) -> bool:
    if sys.platform.startswith("win"):
        with contextlib.suppress(OSError):
            return time.time() - path.stat().st_mtime > _OLD_S
        return False
    return not alive(pid)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def sweep(folder, pattern=HIDDEN, depth: int = 0) -> list:
    """Remove what dead runs left in ``folder`` (and ``depth`` levels of sub-folders); returns what went."""
    folder = Path(folder)
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for path in entries:
        m = pattern.match(path.name)
        if m and _stale(path, int(m.group("pid"))):
            _remove(path)
            removed.append(path)
        elif depth > 0 and path.is_dir() and not path.name.startswith("."):
            removed += sweep(path, pattern, depth - 1)
    return removed


def sweep_temp() -> list:
    """Remove the ``risk-one-map-<pid>...`` folders and files of dead runs from the temporary folder."""
    return sweep(tempfile.gettempdir(), IN_TEMP)
