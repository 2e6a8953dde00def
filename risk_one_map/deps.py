"""Which optional Python packages are missing, which features that turns off, how to install them, and how to load
them safely inside a QGIS executable.

Pure and cheap: looks packages up (``importlib.util.find_spec`` and installed metadata) without importing them,
so the plugin can ask at QGIS start-up. A package blocked with ``sys.modules[name] = None`` counts as missing.

Binary wheels inside QGIS on Linux (measured on Debian 12, QGIS 3.22.16; pyproj issue #1414, QGIS #37289):
QGIS's executables (qgis.bin, qgis_process.bin) link libproj, libgdal and libgeos_c, so their symbols sit in the
process's global scope. A PyPI wheel brings its own renamed copies (pyproj.libs/libproj-*.so, shapely.libs,
rasterio.libs, pyogrio's libgdal-*.so), but the symbols inside them are the same names, and the dynamic linker
resolves them to QGIS's copies first. Results: ``import pyproj`` aborts QGIS (std::bad_alloc), ``import pyogrio``
too (it imports pyproj), shapely 2.1 runs on QGIS's GEOS 3.11 (``Point.wkt`` fails), rasterio/pyogrio run half on
QGIS's GDAL. ``native_imports()`` loads such wheels with RTLD_DEEPBIND, so each binds to its own libraries first;
measured: all four import and work inside qgis_process and QGIS Desktop. The advice below still prefers
packages linked to QGIS's own libraries (Debian's python3-pyproj, OSGeo4W's python3-*), so that a user's own
``import pyproj`` in the QGIS Python console cannot crash QGIS either.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from .i18n import tr  # Qt's translator when running inside QGIS, the Chinese source text elsewhere


@dataclass(frozen=True)
class Requirement:
    module: str  # import name
    pip: str  # what to give pip
    min_version: Optional[str] = None
    debian: str = ""  # Debian/Ubuntu package linked to the same C libraries as QGIS ("" = take the pinned wheel)
    osgeo4w: str = ""  # OSGeo4W package (Windows)


REQUIREMENTS = (
    Requirement("shapely", "shapely>=2,<2.2", "2", osgeo4w="python3-shapely"),
    Requirement("pandas", "pandas>=2,<2.3", "2", osgeo4w="python3-pandas"),
    # geopandas 1.1 wants pyproj >= 3.5: the installer (which keeps the pyproj QGIS has) then takes 1.0
    Requirement("geopandas", "geopandas>=1,<1.2", "1", osgeo4w="python3-geopandas"),
    Requirement("pyogrio", "pyogrio<0.12", osgeo4w="python3-pyogrio"),
    Requirement("rasterio", "rasterio<1.5", osgeo4w="python3-rasterio"),
    Requirement("pyproj", "pyproj", debian="python3-pyproj", osgeo4w="python3-pyproj"),
    Requirement("scipy", "scipy", debian="python3-scipy", osgeo4w="python3-scipy"),
)
BY_MODULE = {r.module: r for r in REQUIREMENTS}

# Feature -> the packages it needs. Loading a package into QGIS needs none of them (QGIS's own GDAL does it).
FEATURES = {
    "load_package": (),
    "check": ("shapely", "pandas", "geopandas", "pyogrio", "pyproj", "rasterio"),
    "sample_data": ("shapely", "pandas", "geopandas", "pyogrio", "pyproj", "rasterio", "scipy"),
    "analysis": ("shapely", "pandas", "geopandas", "pyogrio", "pyproj", "rasterio", "scipy"),
    "import": ("shapely", "pandas", "geopandas", "pyogrio", "pyproj"),
    "atlas": ("shapely", "pandas", "geopandas", "pyogrio", "pyproj", "rasterio"),
}
FEATURE_ZH = {"load_package": "打开一张图包", "check": "检查一张图包", "sample_data": "生成示例数据",
              "analysis": "分析计算", "import": "导入数据", "atlas": "打印村图"}

# The Debian 12 line, tested with pip's resolver against bookworm's packages: numpy stays Debian's 1.24 (a numpy 2
# in ~/.local would break QGIS's own GDAL bindings), affine < 3 (3.0 fails on Python 3.11.2), geopandas < 1.1
# (1.1 wants pyproj >= 3.5 and would pull the PyPI pyproj that crashes QGIS; Debian 12 has 3.4.1).
DEBIAN_APT = "sudo apt install python3-pip python3-pyproj python3-scipy"
DEBIAN_PIP = ('python3 -m pip install --user --break-system-packages "numpy<2" "affine<3" "shapely>=2,<2.2" '
              '"pandas>=2,<2.3" "geopandas>=1,<1.1" "pyogrio<0.12" "rasterio<1.5"')
DEBIAN_REMOVE_PYPROJ = "python3 -m pip uninstall pyproj"


def _version_tuple(text: str) -> tuple:
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def problem(req: Requirement) -> Optional[str]:
    """None if ``req`` is usable, else a short reason ("not installed", "1.8.5 installed, need >=2")."""
    if req.module in sys.modules and sys.modules[req.module] is None:
        return "not installed"
    try:
        spec = importlib.util.find_spec(req.module)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return "not installed"
    if req.min_version:
        version = _installed_version(req.module)
        if version and _version_tuple(version) < _version_tuple(req.min_version):
            return f"{version} installed, need >={req.min_version}"
    return None


def _installed_version(module: str) -> Optional[str]:
    loaded = sys.modules.get(module)
    if loaded is not None and getattr(loaded, "__version__", None):
        return str(loaded.__version__)
    try:
        from importlib.metadata import PackageNotFoundError, version
        return version(module)
    except (ImportError, PackageNotFoundError):
        return None
    except Exception:  # broken metadata must not stop QGIS from loading the plugin
        return None


def missing(modules: Optional[Iterable[str]] = None) -> dict:
    """{module: reason} for the packages of ``modules`` (default: all) that cannot be used."""
    wanted = [BY_MODULE[m] for m in modules] if modules is not None else list(REQUIREMENTS)
    out = {}
    for req in wanted:
        reason = problem(req)
        if reason:
            out[req.module] = reason
    return out


def feature_available(feature: str) -> bool:
    return not missing(FEATURES[feature])


def disabled_features(missing_modules: Optional[dict] = None) -> list:
    gone = set(missing() if missing_modules is None else missing_modules)
    return [f for f, needs in FEATURES.items() if gone.intersection(needs)]


# ------------------------------------------------------------------------------------------------ platforms
def platform_kind() -> str:
    """"windows", "debian" (Debian/Ubuntu and derivatives), "macos" or "linux"."""
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    if Path("/etc/debian_version").is_file():
        return "debian"
    return "linux"


def install_commands(missing_modules: Optional[dict] = None, kind: Optional[str] = None) -> list:
    """The exact commands for this platform, in order. Never a PyPI pyproj on Linux (it crashes QGIS)."""
    gone = list(missing() if missing_modules is None else missing_modules)
    kind = kind or platform_kind()
    if not gone:
        return []
    if kind == "windows":
        pkgs = " ".join(BY_MODULE[m].osgeo4w for m in gone if BY_MODULE[m].osgeo4w)
        cmds = [f"osgeo4w-setup.exe -q -k -P {pkgs.replace(' ', ',')}"]
        if "shapely" in gone:
            cmds.append('python -m pip install "shapely>=2"')
        return cmds
    if kind == "debian":
        cmds = [DEBIAN_APT]
        if set(gone) - {"pyproj", "scipy"}:
            cmds.append(DEBIAN_PIP)
        return cmds
    pip = " ".join(f'"{BY_MODULE[m].pip}"' for m in gone if m != "pyproj")
    cmds = []
    if "pyproj" in gone:
        cmds.append("pyproj: your distribution's package (e.g. python3-pyproj), built on QGIS's PROJ")
    if pip:
        cmds.append(f"python3 -m pip install --user {pip}")
    return cmds


def manual_install_message(missing_modules: Optional[dict] = None, kind: Optional[str] = None) -> str:
    """For an administrator (QGIS's log): one paragraph, Chinese then English: what is missing, what is turned
    off, how to install it by hand on this platform. Empty when nothing is missing. Users get
    ``install_message`` (the button) instead."""
    gone = missing() if missing_modules is None else missing_modules
    if not gone:
        return ""
    kind = kind or platform_kind()
    names = ", ".join(f"{m} ({reason})" if reason != "not installed" else m for m, reason in gone.items())
    off = disabled_features(gone)
    off_zh = "、".join(FEATURE_ZH[f] for f in off) or "无"
    off_en = ", ".join(f.replace("_", " ") for f in off) or "none"
    cmds = [c for c in install_commands(gone, kind) if c]
    if kind == "windows":
        pkgs = " ".join(BY_MODULE[m].osgeo4w for m in gone if BY_MODULE[m].osgeo4w)
        how_zh = (f"用 OSGeo4W 安装程序“高级安装”勾选 {pkgs}（命令行：{cmds[0]}）"
                  + (f"；若 QGIS 自带的 shapely 低于 2，在 OSGeo4W Shell 中运行 {cmds[1]}" if len(cmds) > 1 else "")
                  + "，然后重启 QGIS。不要用 pip 安装 pyproj、rasterio（OSGeo4W 的版本与 QGIS 共用 PROJ/GDAL）。")
        how_en = (f"tick {pkgs} in the OSGeo4W installer's Advanced Install (command line: {cmds[0]})"
                  + (f"; if QGIS's shapely is older than 2, run {cmds[1]} in the OSGeo4W Shell" if len(cmds) > 1 else "")
                  + "; restart QGIS. Do not pip-install pyproj or rasterio (OSGeo4W's share QGIS's PROJ/GDAL).")
    elif kind == "debian":
        how_zh = ("在终端运行：" + "；然后 ".join(cmds) + "；然后重启 QGIS。不要用 pip 安装 pyproj："
                  "PyPI 的 pyproj 自带另一版本的 PROJ，在 QGIS 中导入会使 QGIS 崩溃（若已装，运行 "
                  f"{DEBIAN_REMOVE_PYPROJ}）。")
        how_en = ("in a terminal run: " + "; then ".join(cmds) + "; then restart QGIS. Do not pip-install pyproj: "
                  "the PyPI wheel carries its own PROJ and importing it inside QGIS crashes QGIS (if you have it, "
                  f"run {DEBIAN_REMOVE_PYPROJ}).")
    else:
        how_zh = "请安装：" + "；".join(cmds) + "；然后重启 QGIS。"
        how_en = "run: " + "; ".join(cmds) + "; then restart QGIS."
    return (f"风险隐患一张图缺少 Python 包：{names}。已停用：{off_zh}；其余功能（打开一张图包等）照常可用。{how_zh} "
            f"Risk One Map is missing Python packages: {names}. Turned off: {off_en}; everything else (opening a "
            f"package, ...) works. To install, {how_en}")


# ------------------------------------------------------------------------------------------------ wheels in QGIS
# Packages whose PyPI wheels carry their own PROJ/GDAL/GEOS, in the order they must be loaded.
NATIVE_GEO = ("pyproj", "shapely", "pyogrio", "rasterio", "fiona")
# Wheels that bring their own copy of a library QGIS links for other reasons, with the extension modules we use.
# OR-Tools' libortools links the wheel's libprotobuf 29; qgis.bin and qgis_process.bin link Debian's
# libprotobuf-lite (vector tiles). Loaded plainly, OR-Tools' descriptor registration resolves to QGIS's protobuf
# and aborts the whole process ("File already exists in database", exit 134, QGIS Desktop disappears). Bound
# deep, it keeps to its own copy (measured: tests/qgis/test_qgis_process_algorithms.py, test_desktop_evacuation.py).
NATIVE_SOLVERS = {"ortools": ("ortools.graph.python.min_cost_flow",)}
# numba (the DEM low points' compiled passes, analysis/flow_kernels.py) needs nothing of the kind, measured on Debian
# 12: llvmlite carries LLVM 15.0.7 linked into llvmlite/binding/libllvmlite.so, which ctypes loads RTLD_LOCAL, so
# it cannot stand in for the libLLVM-15 that Mesa's llvmpipe (swrast_dri.so) loads into qgis.bin, and with
# Debian's libLLVM-15 or libLLVM-14 loaded globally first numba still compiles and runs. In qgis_process.bin,
# riskonemap:lowpoints runs compiled and writes the CLI's layer (tests/qgis/test_qgis_process_algorithms.py).
_GLOBAL_SYMBOLS = ("proj_context_create", "GDALOpenEx", "GEOS_init_r")


def bundled_libs(module: str) -> Optional[Path]:
    """The folder of C libraries a Linux/macOS wheel of ``module`` brought along (``<module>.libs`` beside the
    package, or ``<module>/.dylibs``), or None (a distribution package, or not installed). No import."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    pkg = Path(list(spec.submodule_search_locations)[0])
    for cand in (pkg.parent / f"{module}.libs", pkg / ".libs", pkg / ".dylibs"):
        if cand.is_dir():
            return cand
    return None


def qgis_libs_global() -> bool:
    """True inside a process whose executable links PROJ, GDAL or GEOS (qgis.bin, qgis_process.bin): their
    symbols are global there, and a wheel's own copies get mixed with them unless loaded with RTLD_DEEPBIND."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        main = ctypes.CDLL(None)
    except OSError:
        return False
    return any(hasattr(main, name) for name in _GLOBAL_SYMBOLS)


def wheel_warnings() -> list:
    """Plain-English notes about wheels that are loaded safely by the plugin but would crash QGIS if imported
    elsewhere in it (the Python console, another plugin)."""
    if platform_kind() not in ("debian", "linux") or bundled_libs("pyproj") is None:
        return []
    return ["pyproj comes from PyPI with its own PROJ: Risk One Map loads it isolated, but `import pyproj` in the "
            f"QGIS Python console or another plugin will crash QGIS. Fix: {DEBIAN_REMOVE_PYPROJ}; "
            "sudo apt install python3-pyproj"]


_prepared = False


def native_imports() -> list:
    """Import the geo wheels so they bind to their own C libraries (RTLD_DEEPBIND), where that matters: Linux,
    inside a QGIS executable, wheels with bundled libraries, not yet imported. Call before importing
    ``risk_one_map.jobs``/``analysis`` inside QGIS. Returns the modules so loaded. Safe to call often."""
    global _prepared
    if _prepared or not hasattr(os, "RTLD_DEEPBIND") or not qgis_libs_global():
        _prepared = True
        return []
    loaded = []
    with _deepbind():
        for name in NATIVE_GEO:
            if name in sys.modules or bundled_libs(name) is None:
                continue
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 (a broken package is reported when it is used, not here)
                continue
            loaded.append(name)
            _import_extensions(name)
        for name, modules in NATIVE_SOLVERS.items():
            if all(m in sys.modules for m in modules) or bundled_libs(name) is None:
                continue
            for module in modules:
                try:
                    importlib.import_module(module)
                except Exception:  # noqa: BLE001 (optional: the analysis falls back to scipy without it)
                    break
            else:
                loaded.append(name)
    _prepared = True
    return loaded


@contextlib.contextmanager
def _deepbind():
    old = sys.getdlopenflags()
    sys.setdlopenflags(os.RTLD_NOW | os.RTLD_DEEPBIND)
    try:
        yield
    finally:
        sys.setdlopenflags(old)


def _import_extensions(package: str) -> None:
    """Import every compiled submodule of ``package`` now, while RTLD_DEEPBIND is on (rasterio.features and the
    like are otherwise loaded later, without it, and would bind to QGIS's GDAL)."""
    root = Path(sys.modules[package].__file__).parent
    for so in sorted(root.rglob("*.so")):
        rel = so.relative_to(root.parent)
        if any(part.startswith(("_vendor", "tests")) for part in rel.parts):
            continue
        name = ".".join(rel.parts[:-1] + (so.name.split(".")[0],))
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 (optional parts: missing extras, test helpers)
            continue


# pyproj's per-thread PROJ contexts, kept alive for the life of QGIS's pool threads (see keep_proj_context),
# by native thread id: a pool thread that expired and whose id a new thread got has no use for its old context.
_KEPT_PROJ_CONTEXTS: dict = {}


def keep_proj_context() -> None:
    """Call at the end of work on a thread QGIS owns and reuses (its task pool: QgsTask.run, Processing).

    pyproj keeps each OS thread's PROJ context twice: the pointer in C thread-specific storage, the owner in a
    ``threading.local``. QGIS's pool threads outlive the Python thread state a task gets; when that state goes, the
    local's owner frees the context while the C storage keeps pointing at it, and the next task on the same pool
    thread crashes in the first ``pyproj.CRS`` (seen: printing the depot sheet after a village sheet). Holding the
    owner keeps the context valid for the thread's life: one context per live thread id.
    """
    import threading
    context = sys.modules.get("pyproj._context")
    local = getattr(context, "_CONTEXT_MANAGER_LOCAL", None)
    owner = getattr(local, "context_manager", None)
    if owner is not None:  # None: this thread's context was made by an earlier task, and is kept already
        _KEPT_PROJ_CONTEXTS[threading.get_native_id()] = owner


# ------------------------------------------------------------------------------------------------ the install button
# Packages that make something better but turn nothing off: the button installs them only when asked.
OPTIONAL = (
    # evacuation's optimal assignment is faster with OR-Tools; without it scipy's HiGHS gives the same optimum
    Requirement("ortools", "ortools>=9.10,<10"),
    Requirement("openpyxl", "openpyxl>=3.1,<4"),  # importing .xlsx tables (CSV and every GIS format need none)
    Requirement("defusedxml", "defusedxml>=0.7,<0.8"),  # reading CAP warning files (预警叫应 by codes needs none)
    # DEM low points' per-cell passes compiled (analysis/flow_kernels.py); without it numpy gives the same answer,
    # several times slower on a county DEM. 0.61 takes numpy 1.24-2.2 (QGIS's numpy is kept).
    Requirement("numba", "numba>=0.61,<0.62"),
)


def install_message(missing_modules: Optional[dict] = None) -> str:
    """One short Chinese sentence for the message bar, the action first (QGIS shows one or two lines of it): what
    to click, and what is missing. Empty when nothing is missing. The greyed menu items show what is off."""
    gone = missing() if missing_modules is None else missing_modules
    if not gone:
        return ""
    return tr("部分功能还缺少所需组件：请点击右边的“安装所需组件”一键装好（缺 {names}）。").format(
        names="、".join(gone))


def disabled_text(missing_modules: dict) -> str:
    """The features turned off, in Chinese (“检查一张图包、分析计算”)."""
    return "、".join(tr(FEATURE_ZH[f]) for f in disabled_features(missing_modules))


def unavailable_sentence(feature: str) -> str:
    """The one sentence a greyed feature shows (tooltip, dock, Processing): what to click. Empty if available."""
    if not missing(FEATURES.get(feature, ())):
        return ""
    return tr("这项功能还缺少所需组件：请点击 插件 → 风险隐患一张图 → 安装所需组件。")


def missing_sentence(modules: Iterable[str]) -> str:
    """The same sentence naming the missing modules (an ImportError met while a feature ran)."""
    return tr("这项功能还缺少所需组件（{names}）：请点击 插件 → 风险隐患一张图 → 安装所需组件。").format(
        names="、".join(modules))


def forget_native_imports() -> None:
    """After packages were installed while QGIS runs: load them the safe way (``native_imports``) on next use."""
    global _prepared
    _prepared = False
