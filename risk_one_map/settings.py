"""The plugin's settings, in one place.

User settings live in QgsSettings under ``/risk_one_map/`` (per QGIS profile); choices that belong to a project
(the package it shows, the township and village last picked in the dock) are written into the project with
``QgsProject.writeEntry`` so they travel with the .qgz. Nothing else in the plugin reads or writes settings.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

PREFIX = "/risk_one_map/"
PROJECT_SCOPE = "risk_one_map"

# QgsSettings keys (without the prefix) and their defaults.
DEFAULTS = {
    "last_package": "",        # the folder last opened or picked in the dock
    "atlas_page": "A3",        # page of the dock's prints (A3 on the wall; A4 for the 明白卡 folder)
    "atlas_dpi": 150,
    "import_last_dir": "",
    "wheel_dir": "",           # the offline folder of wheels 安装所需组件 last installed from
    "locale_override": "",     # "" = follow QGIS
}


def _settings():
    from qgis.core import QgsSettings
    return QgsSettings()


def value(key: str, default=None):
    """A setting under /risk_one_map/ (typed like its default in DEFAULTS)."""
    fallback = DEFAULTS.get(key) if default is None else default
    raw = _settings().value(PREFIX + key, fallback)
    if isinstance(fallback, bool):
        return raw in (True, "true", "True", "1", 1)
    if isinstance(fallback, int) and not isinstance(fallback, bool):
        try:
            return int(raw)
        except (TypeError, ValueError):
            return fallback
    return "" if raw is None else raw


def set_value(key: str, val) -> None:
    _settings().setValue(PREFIX + key, val)


def last_package() -> Optional[Path]:
    text = value("last_package")
    return Path(text) if text else None


def remember_package(path) -> None:
    set_value("last_package", str(path))


# ------------------------------------------------------------------------------------------------ per project
def project_value(key: str, default: str = "", project=None) -> str:
    from qgis.core import QgsProject
    project = project or QgsProject.instance()
    text, ok = project.readEntry(PROJECT_SCOPE, key, default)
    return text if ok else default


def set_project_value(key: str, val: str, project=None) -> None:
    """Remember ``val`` in the project without marking it changed: picking a village to look at is not an edit,
    and a project the user did not change must close without "save the current project?"."""
    from qgis.core import QgsProject
    project = project or QgsProject.instance()
    text, ok = project.readEntry(PROJECT_SCOPE, key, "")
    if ok and text == str(val):
        return
    was_dirty = project.isDirty()
    project.writeEntry(PROJECT_SCOPE, key, str(val))
    if not was_dirty:
        project.setDirty(False)


# ------------------------------------------------------------------------------------------------ which package
GPKG_NAME = "onemap.gpkg"  # layers.model.GPKG_NAME, repeated so that settings imports nothing of ours


def is_package(path) -> bool:
    return bool(path) and (Path(path) / GPKG_NAME).is_file()


def layer_file(layer) -> tuple:
    """(the file a layer reads, or None; its layer name inside the file, or None), decoded by the layer's provider
    (``…/onemap.gpkg|layername=villages``), not by splitting the source text."""
    from qgis.core import QgsProviderRegistry
    parts = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source())
    path = parts.get("path") or ""
    return (Path(path) if path else None), (parts.get("layerName") or None)


def project_package(project=None) -> Optional[Path]:
    """The package the open project shows, or None: the folder it names (written by the dock), else the folder of
    the project file when a onemap.gpkg lies beside it (onemap.qgz), else the folder of its first layer read
    from a onemap.gpkg."""
    from qgis.core import QgsProject
    project = project or QgsProject.instance()
    named = project_value("package", project=project)
    if is_package(named):
        return Path(named)
    home = project.absolutePath()
    if home and is_package(home):
        return Path(home)
    for layer in project.mapLayers().values():
        source, _ = layer_file(layer)
        if source is not None and source.name == GPKG_NAME and source.is_file():
            return source.parent
    return None


def current_package(project=None) -> Optional[Path]:
    """The package every door of the plugin starts from: the open project's; the one last used only when no
    package project is open."""
    found = project_package(project)
    if found is not None:
        return found
    last = last_package()
    return last if is_package(last) else None
