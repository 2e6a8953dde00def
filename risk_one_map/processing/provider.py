"""The Processing provider ``riskonemap``: the same functions as the CLI, for the toolbox, the modeler, batch
mode and qgis_process. Registered by the plugin's initProcessing(), which never touches the GUI.

Algorithms are found, not listed: every module ``processing/alg_*.py`` contributes its QgsProcessingAlgorithm
subclasses (those defined in it). A module that fails to import is logged and skipped, so one broken or
dependency-starved algorithm never takes the provider down.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import traceback

from qgis.core import Qgis, QgsMessageLog, QgsProcessingAlgorithm, QgsProcessingProvider

from .. import __version__
from .base import icon

LOG_TAG = "Risk One Map"


def algorithm_classes() -> list:
    """QgsProcessingAlgorithm subclasses defined in processing/alg_*.py, in module then source order."""
    from . import __path__ as here
    found = []
    for info in sorted(pkgutil.iter_modules(here), key=lambda i: i.name):
        if not info.name.startswith("alg_"):
            continue
        try:
            module = importlib.import_module(f"{__package__}.{info.name}")
        except Exception:  # noqa: BLE001 (log and skip: the provider must load)
            QgsMessageLog.logMessage(f"cannot load algorithm module {info.name}:\n{traceback.format_exc()}",
                                     LOG_TAG, Qgis.Warning)
            continue
        classes = [obj for _, obj in inspect.getmembers(module, inspect.isclass)
                   if issubclass(obj, QgsProcessingAlgorithm) and obj.__module__ == module.__name__
                   and not obj.__name__.startswith("_")]
        classes.sort(key=_source_line)
        found += classes
    return found


def _source_line(cls) -> int:
    try:
        return inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):  # no source (a .pyc-only install): keep name order
        return 0


class RiskOneMapProvider(QgsProcessingProvider):
    def id(self) -> str:
        return "riskonemap"

    def name(self) -> str:
        return "风险隐患一张图 Risk One Map"

    def longName(self) -> str:  # noqa: N802
        return f"风险隐患一张图 Risk One Map {__version__}"

    def icon(self):
        return icon()

    def versionInfo(self) -> str:  # noqa: N802
        return __version__

    def loadAlgorithms(self):  # noqa: N802
        for cls in algorithm_classes():
            self.addAlgorithm(cls())
