"""A QgsApplication for headless use (the CLI, scripts, tests), started once per process and never exited.

Inside QGIS Desktop or qgis_process the running application is used as is. Headless, the app gets its own
settings folder (so a user's QGIS profile is neither read nor changed) and the offscreen Qt platform when there
is no display, and GDAL's .aux.xml side files are turned off (reading a package must not add files to it). ``exitQgis()`` is not called: tearing QGIS down while Python still holds layers is a classic
segfault at exit, and the process is about to end anyway.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Optional

_app = None  # keeps the QgsApplication alive for the life of the process
_own_settings_dir: Optional[str] = None


def qgis_prefix_from_module() -> Optional[str]:
    """QGIS's install prefix, told by where its Python package lives: the first parent of ``qgis/`` that holds
    ``share/qgis/resources`` (Linux) or ``resources/qgis.db`` (OSGeo4W's apps/qgis)."""
    import qgis
    for parent in Path(qgis.__file__).resolve().parents:
        if (parent / "share" / "qgis" / "resources").is_dir() or (parent / "resources" / "qgis.db").is_file():
            return str(parent)
    return None


def ensure_app(settings_dir: Optional[str] = None):
    """The running QgsApplication, or a new headless one (offscreen when there is no display)."""
    global _app, _own_settings_dir
    from qgis.core import QgsApplication  # ImportError here means no PyQGIS: callers say so plainly
    running = QgsApplication.instance()
    if running is not None:
        return running
    if not os.environ.get("QT_QPA_PLATFORM") and not os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from ..leftovers import sweep_temp
    sweep_temp()  # what killed runs left in the temporary folder
    pid = os.getpid()
    _private_temp(pid)
    if settings_dir is None:
        settings_dir = _own_settings_dir = tempfile.mkdtemp(prefix=f"risk-one-map-{pid}-qgis-")
        atexit.register(shutil.rmtree, settings_dir, True)
    _settings_in(settings_dir)
    if sys.platform.startswith("linux") and not os.environ.get("XDG_RUNTIME_DIR"):
        # A headless session (ssh, cron, CI) has none: Qt then prints "XDG_RUNTIME_DIR not set" on every start,
        # noise a user takes for an error. A private one (mkdtemp makes it 0700, as Qt wants) is inherited by the
        # atlas workers too.
        runtime = tempfile.mkdtemp(prefix=f"risk-one-map-{pid}-runtime-")
        atexit.register(shutil.rmtree, runtime, True)
        os.environ["XDG_RUNTIME_DIR"] = runtime
    # Qt and QGIS name temporary folders after the application (argv[0]) and, with exitQgis() never called,
    # leave them behind: a long batch (one process per atlas worker) would litter /tmp. The pid in the name lets
    # each process remove exactly its own at exit, never a parallel worker's.
    name = f"risk-one-map-{os.getpid()}"
    app = QgsApplication([name.encode()], True, settings_dir)
    atexit.register(_remove_temp_dirs, name)
    prefix = os.environ.get("QGIS_PREFIX_PATH") or (None if _resources_ok() else qgis_prefix_from_module())
    if prefix:
        QgsApplication.setPrefixPath(prefix, True)
    app.initQgis()
    _quiet_gdal_side_files()
    _read_only_geopackages()
    _app = app
    return app


def _private_temp(pid: int) -> None:
    """Qt and QGIS write into the temporary folder as they please (``oauth2-cache``, files named after the
    application) and, with exitQgis() never called, leave them: they get a folder of this process's own, removed
    at exit (and by the next run, if this one is killed: leftovers.py)."""
    private = tempfile.mkdtemp(prefix=f"risk-one-map-{pid}-tmp-")
    atexit.register(shutil.rmtree, private, True)
    for var in ("TMPDIR", "TEMP", "TMP"):  # Qt reads TMPDIR (Unix) or TEMP/TMP (Windows) when asked
        os.environ[var] = private


def _settings_in(settings_dir: str) -> None:
    """Every QSettings this process makes, QGIS's and Qt's own (which would go to ``~/.config/Unknown
    Organization/<app>.conf``, one per run), lives in ``settings_dir``, never in the user's configuration."""
    from qgis.PyQt.QtCore import QSettings
    QSettings.setDefaultFormat(QSettings.IniFormat)
    for scope in (QSettings.UserScope, QSettings.SystemScope):
        QSettings.setPath(QSettings.IniFormat, scope, settings_dir)
        QSettings.setPath(QSettings.NativeFormat, scope, settings_dir)


def _remove_temp_dirs(name: str) -> None:
    for path in Path(tempfile.gettempdir()).glob(f"{name}[-.]*"):  # folders, and empty temporary files
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()


def _read_only_geopackages() -> None:
    """Opening a GeoPackage must not change it: QGIS would switch it to WAL journaling (a write, a new mtime and
    -wal/-shm side files). This is the headless app's own settings folder, never a user's profile."""
    from qgis.core import QgsSettings
    QgsSettings().setValue("qgis/walForSqlite3", False)


def _resources_ok() -> bool:
    from qgis.core import QgsApplication
    return Path(QgsApplication.pkgDataPath(), "resources", "qgis.db").is_file() or Path(
        QgsApplication.srsDatabaseFilePath() or "/nonexistent").is_file()


def _quiet_gdal_side_files() -> None:
    """No .aux.xml statistics files beside the package's rasters (QGIS's GDAL, this process only)."""
    try:
        from osgeo import gdal
    except ImportError:
        return
    gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")
