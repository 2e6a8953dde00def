"""Which optional Python packages are missing, which features that turns off, and how to install them.

Pure and cheap: looks packages up (``importlib.util.find_spec`` and installed metadata) without importing them,
so the plugin can ask at QGIS start-up. A package blocked with ``sys.modules[name] = None`` counts as missing.
"""
from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from typing import Iterable, Optional


@dataclass(frozen=True)
class Requirement:
    module: str  # import name
    pip: str  # what to give pip
    min_version: Optional[str] = None


REQUIREMENTS = (
    Requirement("shapely", "shapely>=2", "2"),
    Requirement("geopandas", "geopandas"),
    Requirement("pyogrio", "pyogrio"),
    Requirement("rasterio", "rasterio"),
    Requirement("pyproj", "pyproj"),
    Requirement("scipy", "scipy"),
)
BY_MODULE = {r.module: r for r in REQUIREMENTS}

# Feature -> the packages it needs. Loading a package into QGIS needs none of them (QGIS's own GDAL does it).
FEATURES = {
    "load_package": (),
    "check": ("shapely", "geopandas", "pyogrio", "pyproj", "rasterio"),
    "sample_data": ("shapely", "geopandas", "pyogrio", "pyproj", "rasterio", "scipy"),
    "analysis": ("shapely", "geopandas", "pyogrio", "pyproj", "rasterio", "scipy"),
}
FEATURE_ZH = {"load_package": "打开一张图包", "check": "检查一张图包", "sample_data": "生成示例数据",
              "analysis": "分析计算"}


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


def install_message(missing_modules: Optional[dict] = None) -> str:
    """One paragraph, Chinese then English: what is missing, what is turned off, exactly how to install it.
    Empty when nothing is missing."""
    gone = missing() if missing_modules is None else missing_modules
    if not gone:
        return ""
    names = ", ".join(f"{m} ({reason})" if reason != "not installed" else m for m, reason in gone.items())
    pip_args = " ".join(f'"{BY_MODULE[m].pip}"' if ">" in BY_MODULE[m].pip else BY_MODULE[m].pip for m in gone)
    off = disabled_features(gone)
    off_zh = "、".join(FEATURE_ZH[f] for f in off) or "无"
    off_en = ", ".join(f.replace("_", " ") for f in off) or "none"
    return (
        f"风险隐患一张图缺少 Python 包：{names}。已停用：{off_zh}；其余功能（打开一张图包等）照常可用。"
        f"安装方法：Windows 请打开 OSGeo4W Shell 运行 python -m pip install {pip_args}，然后重启 QGIS；"
        f"Debian/Ubuntu 请在本插件源码目录运行 bash scripts/setup.sh。 "
        f"Risk One Map is missing Python packages: {names}. Turned off: {off_en}; everything else (opening a "
        f"package, ...) works. To install: on Windows open the OSGeo4W Shell and run "
        f"python -m pip install {pip_args}, then restart QGIS; on Debian/Ubuntu run bash scripts/setup.sh in the "
        f"Risk One Map source folder.")
