"""Installing the missing Python packages for QGIS's own Python, into a folder of the plugin in the QGIS profile.

A township clerk cannot run ``sudo apt`` or ``pip --break-system-packages``; the button 安装所需组件 does it:

* The folder: ``<QGIS profile>/python/risk_one_map_deps/<python tag>`` (one per Python version and platform, as a
  profile can be shared by two QGIS versions). ``activate()`` puts it at the front of ``sys.path`` when the plugin
  loads, before anything imports those packages. It holds only what QGIS lacked: never numpy (Debian's GDAL and
  QGIS bindings are built against the numpy QGIS has) and never a package QGIS's own libraries are linked to
  (Debian's python3-pyproj, OSGeo4W's python3-shapely ...): those are pinned to the version QGIS has.
* Installing is pip, run as a child process of QGIS's own interpreter (``python_executable``), in two steps, so that
  pip sees what QGIS already has and puts in only what is missing:
  1. ``resolve_args``: ``pip install --dry-run --report`` with QGIS's ``sys.path`` (pip counts what is installed
     there as present) and constraints pinning what must not change; the report lists what to install.
  2. ``install_args``: ``pip install --no-deps --target <staging>`` of exactly that list, into a staging folder
     beside the plugin folder. Only a complete install is merged in (``merge``): a failed or cancelled one leaves
     the folder as it was.
* Offline (government intranets): the same steps with ``--no-index --find-links <a folder of wheels>`` (built by
  ``make wheelhouse``, scripts/build_wheelhouse.py), and ``--isolated`` so that a pip.conf on that PC cannot point
  elsewhere. A QGIS Python without pip (Debian's qgis does not depend on python3-pip) runs pip from the pip wheel of
  that folder, or from pip's zipapp downloaded once (``pip_runner.py``).

Pure: no QGIS, no Qt. The dialog (ui/installer_dialog.py) runs the commands with QProcess and shows progress.
"""
from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from . import deps

FOLDER_NAME = "risk_one_map_deps"
STAGING_PREFIX = ".staging-"
PENDING_SUFFIX = ".pending"
PIP_RUNNER = Path(__file__).resolve().parent / "pip_runner.py"

# Packages pip must never put into the plugin's folder when QGIS's Python has them: numpy (the ABI of QGIS's GDAL
# bindings), and the geo packages when they are built on QGIS's own PROJ/GDAL/GEOS (no bundled libraries), which
# are safe to import anywhere in QGIS, unlike a PyPI wheel (see deps.py).
LINKED_TO_QGIS = ("pyproj", "shapely", "pyogrio", "rasterio", "fiona")
# Caps on what the requirements pull in: affine 3.0 (rasterio's) fails on Debian 12's Python 3.11.2
# (functools.cached_property on a slotted class).
CAPS = ("affine<3",)


# ------------------------------------------------------------------------------------------------ the folder
def folder_tag() -> str:
    """``py311-linux-x86_64``, ``py312-win-amd64``: wheels of one Python and platform per folder."""
    return f"py{sys.version_info[0]}{sys.version_info[1]}-{sysconfig.get_platform().replace('.', '_')}"


def packages_dir(settings_dir) -> Path:
    """The plugin's package folder in the QGIS profile folder ``settings_dir`` (QgsApplication's
    qgisSettingsDirPath)."""
    return Path(settings_dir) / "python" / FOLDER_NAME / folder_tag()


def activate(folder) -> bool:
    """Put ``folder`` at the front of ``sys.path`` (once), first merging an install that could not be merged
    while QGIS ran (Windows keeps loaded DLLs locked). True if the folder is on the path."""
    folder = Path(folder)
    pending = folder.with_name(folder.name + PENDING_SUFFIX)
    if pending.is_dir():
        try:
            merge(pending, folder)
            shutil.rmtree(pending, ignore_errors=True)
        except OSError:
            pass  # still locked: the next start tries again; the folder itself is whole either way
    _remove_stale_staging(folder)
    if not folder.is_dir():
        return False
    text = str(folder)
    if text not in sys.path:
        sys.path.insert(0, text)
    importlib.invalidate_caches()
    return True


def python_executable() -> str:
    """QGIS's own Python interpreter, for pip and for worker processes.

    Inside QGIS ``sys.executable`` is not to be trusted: QGIS Desktop on Debian reports the first ``python3`` on
    PATH (seen: a pyenv shim, another Python with other packages), qgis_process may report itself. The interpreter
    QGIS embeds is the one in its ``sys.exec_prefix`` (``/usr/bin/python3.11``; OSGeo4W's
    ``apps/Python312/python.exe``; a venv's ``bin/python``)."""
    prefix = Path(sys.exec_prefix)
    exe = Path(sys.executable or "")
    if exe.name.lower().startswith("python") and _inside(exe, prefix):
        return str(exe)
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    for cand in (prefix / "bin" / version, prefix / "bin" / "python3", prefix / "python.exe",
                 prefix / "bin" / "python"):
        if cand.is_file():
            return str(cand)
    return str(exe)


def _inside(path: Path, folder: Path) -> bool:
    try:
        return os.path.commonpath([os.path.abspath(path), os.path.abspath(folder)]) == os.path.abspath(folder)
    except ValueError:  # another drive on Windows
        return False


# ------------------------------------------------------------------------------------------------ what to install
def requirement_specs(missing_modules: Iterable[str], optional: bool = False) -> list:
    """pip specs for the missing modules (and the optional extras when asked for)."""
    specs = [deps.BY_MODULE[m].pip for m in missing_modules if m in deps.BY_MODULE]
    if optional:
        specs += [r.pip for r in deps.OPTIONAL if deps.problem(r)]
    return specs


def kept_versions() -> dict:
    """{distribution: version} that pip must keep as QGIS has them: numpy always, and each geo package QGIS's
    Python has that is built on QGIS's own libraries."""
    kept = {}
    numpy = sys.modules.get("numpy")
    version = getattr(numpy, "__version__", None) or deps._installed_version("numpy")
    if version:
        kept["numpy"] = str(version)
    for module in LINKED_TO_QGIS:
        if module in deps.BY_MODULE and deps.problem(deps.BY_MODULE[module]):
            continue  # missing or too old: the plugin's folder gets a wheel
        if deps.bundled_libs(module) is not None:
            continue  # a PyPI wheel already: nothing of QGIS's to protect
        found = deps._installed_version(module)
        if found and _is_installed(module):
            kept[module] = found
    return kept


def _is_installed(module: str) -> bool:
    try:
        import importlib.util
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


@dataclass
class Plan:
    """One install: QGIS's Python, where to, from where, what."""
    python: str
    target: Path
    specs: list
    kept: dict = field(default_factory=dict)
    wheels: Optional[Path] = None  # a local folder of wheels (offline), else the index pip is set up for
    work: Optional[Path] = None  # scratch folder: constraints, report, staging

    def __post_init__(self):
        self.target = Path(self.target)
        if self.work is None:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.work = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX + self.target.name + "-",
                                              dir=self.target.parent))
        self.work = Path(self.work)
        self.wheels = Path(self.wheels) if self.wheels else None

    @property
    def constraints(self) -> Path:
        return self.work / "constraints.txt"

    @property
    def report(self) -> Path:
        return self.work / "report.json"

    @property
    def staging(self) -> Path:
        return self.work / "packages"

    def pip(self) -> list:
        """The command prefix that runs pip with QGIS's Python (pip_runner.py finds a pip when none is installed)."""
        cmd = [self.python, str(PIP_RUNNER), "--cache", str(self.target.parent / "pip-bootstrap")]
        if self.wheels is not None:
            cmd += ["--wheels", str(self.wheels)]
        return cmd + ["--"]

    def _source(self) -> list:
        common = ["--disable-pip-version-check", "--no-input", "--progress-bar", "off",
                  "--root-user-action=ignore"]  # the folder is the user's own: pip's warning about root is noise
        if self.wheels is not None:
            return ["--isolated", "--no-index", "--find-links", str(self.wheels)] + common
        return common

    def resolve_args(self) -> list:
        """Step 1: what pip would install next to what QGIS has (written to ``report``)."""
        self.work.mkdir(parents=True, exist_ok=True)
        pins = [f"{name}=={v}" for name, v in sorted(self.kept.items())] + list(CAPS)
        self.constraints.write_text("".join(f"{line}\n" for line in pins), encoding="utf-8")
        return self.pip() + ["install", "--dry-run", "--quiet", "--report", str(self.report),
                             "-c", str(self.constraints)] + self._source() + list(self.specs)

    def environment(self, path_entries: Iterable[str]) -> dict:
        """The child's environment: QGIS's own ``sys.path`` as PYTHONPATH, so pip counts the packages QGIS can
        import (its python folder, the plugin folder) as installed."""
        env = dict(os.environ)
        entries = [p for p in path_entries if p and Path(p).is_dir()]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(entries))
        env["PYTHONIOENCODING"] = "utf-8"
        return env

    def to_install(self) -> list:
        """``name==version`` of what the resolve step chose, without what QGIS keeps."""
        return to_install(self.report, self.kept)

    def install_args(self, pins: list) -> list:
        """Step 2: exactly ``pins``, without their dependencies (resolved already), into the staging folder."""
        return self.pip() + ["install", "--no-deps", "--no-compile", "--target", str(self.staging),
                             "--upgrade"] + self._source() + list(pins)

    def finish(self) -> list:
        """Merge the staged packages into the plugin's folder; returns the top-level names merged. On Windows a
        package in use cannot be replaced: then the install waits for the next start (``activate``)."""
        try:
            names = merge(self.staging, self.target)
        except OSError:
            pending = self.target.with_name(self.target.name + PENDING_SUFFIX)
            if pending.exists():
                shutil.rmtree(pending, ignore_errors=True)
            shutil.move(str(self.staging), str(pending))
            raise RestartNeeded(str(pending)) from None
        self.discard()
        return names

    def discard(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


class RestartNeeded(Exception):
    """The packages are staged and are put in place when QGIS next starts."""


def to_install(report_path, kept: dict) -> list:
    """``name==version`` from a pip ``--report`` file, minus what must stay as QGIS has it."""
    report = json.loads(Path(report_path).read_text(encoding="utf-8"))
    keep = {_norm(k) for k in kept}
    out = []
    for item in report.get("install", []):
        meta = item.get("metadata", {})
        name, version = meta.get("name"), meta.get("version")
        if name and version and _norm(name) not in keep:
            out.append(f"{name}=={version}")
    return out


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def merge(staging, target) -> list:
    """Move every entry of ``staging`` into ``target``, replacing entries of the same name and older
    ``.dist-info`` folders of the same distributions. All or nothing: a failure puts back what was moved."""
    staging, target = Path(staging), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    trash = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX + "old-", dir=target.parent))
    entries = sorted(p for p in staging.iterdir() if p.name != "bin")  # scripts are of no use inside QGIS
    new_dists = {_norm(p.name.split("-")[0]) for p in entries if p.name.endswith(".dist-info")}
    replaced = [p for p in target.iterdir() if p.name.endswith(".dist-info")
                and _norm(p.name.split("-")[0]) in new_dists]
    replaced += [target / p.name for p in entries if (target / p.name).exists() and target / p.name not in replaced]
    moved_out, moved_in = [], []
    try:
        for old in replaced:
            old.rename(trash / old.name)
            moved_out.append(old)
        for new in entries:
            new.rename(target / new.name)
            moved_in.append(new)
    except OSError:
        for new in moved_in:
            (target / new.name).rename(new)
        for old in moved_out:
            (trash / old.name).rename(old)
        shutil.rmtree(trash, ignore_errors=True)
        raise
    shutil.rmtree(trash, ignore_errors=True)
    return [p.name for p in entries]


def _remove_stale_staging(folder: Path) -> None:
    """Scratch folders of an install that was killed (QGIS closed mid-install): the folder itself is whole."""
    parent = folder.parent
    if not parent.is_dir():
        return
    for p in parent.glob(STAGING_PREFIX + "*"):
        shutil.rmtree(p, ignore_errors=True)


def needs_restart(installed: Iterable[str]) -> list:
    """Modules of the freshly installed distributions that this QGIS had already imported (an older version, from
    elsewhere): they only change after a restart."""
    out = []
    for pin in installed:
        name = _norm(pin.split("==")[0])
        for module in {name.replace("-", "_"), name.replace("-", "")}:
            loaded = sys.modules.get(module)
            if loaded is not None and module not in out:
                out.append(module)
    return out


def load_native(folder) -> list:
    """Load the geo (and solver) wheels of the plugin's folder the safe way (deps.native_imports) now, if it holds
    any.

    The folder is first on the path of all of QGIS: a wheel that another plugin or the Python console imported
    first, plainly, would bind to QGIS's own PROJ/GDAL/GEOS (see deps.py) and stay so for the session, for us too.
    Loaded here, before anyone else, they are right for everyone. Costs an import of them at start-up, only for
    QGIS installs that needed them."""
    folder = Path(folder)
    if not any((folder / name).is_dir() for name in deps.NATIVE_GEO + tuple(deps.NATIVE_SOLVERS)):
        return []
    return deps.native_imports()


def after_install(folder) -> dict:
    """Make freshly installed packages usable in this QGIS: the folder on the path, import caches cleared, the geo
    wheels loaded the safe way. Returns what is still missing."""
    activate(folder)
    importlib.invalidate_caches()
    deps.forget_native_imports()
    load_native(folder)
    return deps.missing()
