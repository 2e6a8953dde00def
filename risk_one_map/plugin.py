"""The QGIS plugin: a menu, a toolbar, the Processing provider. Thin: the work is in layers/ and processing/.

``initProcessing()`` registers the provider and touches nothing else, so qgis_process can call it alone;
``initGui()`` adds the GUI. The plugin loads even when optional Python packages are missing: it says once, in the
message bar, what to install, and only the features that need them are turned off.
"""
from __future__ import annotations

from pathlib import Path

from qgis.core import Qgis, QgsApplication, QgsMessageLog, QgsProject, QgsSettings
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction, QFileDialog

from . import deps
from .errors import RiskOneMapError

MENU = "风险隐患一张图"
TOOLBAR = "风险隐患一张图 Risk One Map"
LOG_TAG = "Risk One Map"
SETTINGS_LAST_PACKAGE = "/risk_one_map/last_package"
ICON_PATH = Path(__file__).resolve().parent / "resources" / "icons" / "icon.svg"


class RiskOneMapPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.actions = []
        self.toolbar = None
        self.missing = {}

    # ------------------------------------------------------------------------------------------ Processing
    def initProcessing(self):  # noqa: N802 (QGIS's name)
        if self.provider is not None:
            return
        from .processing.provider import RiskOneMapProvider
        self.provider = RiskOneMapProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    # ------------------------------------------------------------------------------------------ GUI
    def initGui(self):  # noqa: N802
        self.initProcessing()
        icon = QIcon(str(ICON_PATH))
        self.toolbar = self.iface.addToolBar(TOOLBAR)
        self.toolbar.setObjectName("RiskOneMapToolbar")
        open_action = QAction(icon, "打开一张图包…", self.iface.mainWindow())
        open_action.setObjectName("RiskOneMapOpenPackage")
        open_action.setToolTip("打开一张图包…（加载 onemap.gpkg、人口与地形栅格，按图层组分组并配好样式）\n"
                               "Open a one-map package: load, group and style its layers")
        open_action.triggered.connect(self.open_package)
        self._add(open_action)
        self.missing = deps.missing()
        if self.missing:
            message = deps.install_message(self.missing)
            QgsMessageLog.logMessage(message, LOG_TAG, Qgis.Warning)
            self.iface.messageBar().pushMessage(MENU, message, Qgis.Warning, 0)

    def _add(self, action):
        self.iface.addPluginToMenu(MENU, action)
        self.toolbar.addAction(action)
        self.actions.append(action)

    def unload(self):
        for action in self.actions:
            self.iface.removePluginMenu(MENU, action)
            if self.toolbar is not None:
                self.toolbar.removeAction(action)
            action.deleteLater()
        self.actions = []
        if self.toolbar is not None:
            self.toolbar.deleteLater()
            self.toolbar = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None

    # ------------------------------------------------------------------------------------------ actions
    def open_package(self, checked=False, path=None):
        """Ask for a package folder (unless ``path`` is given) and load it into the current project."""
        settings = QgsSettings()
        if path is None:
            start = settings.value(SETTINGS_LAST_PACKAGE, str(Path.home()))
            path = QFileDialog.getExistingDirectory(self.iface.mainWindow(), "打开一张图包 Open a one-map package",
                                                    start)
            if not path:
                return None
        try:
            layers = self.load(path)
        except RiskOneMapError as exc:
            self.iface.messageBar().pushMessage(MENU, str(exc), Qgis.Critical, 10)
            return None
        settings.setValue(SETTINGS_LAST_PACKAGE, str(path))
        self.iface.messageBar().pushMessage(MENU, f"已加载 {len(layers)} 个图层 Loaded {len(layers)} layers: {path}",
                                            Qgis.Success, 5)
        return layers

    def load(self, path) -> dict:
        from .layers.qgis_project import load_package, package_crs, project_title
        project = QgsProject.instance()
        was_empty = not project.mapLayers()
        parent = None
        if not was_empty:  # keep the user's own layers apart: one group for the package
            parent = project.layerTreeRoot().insertGroup(0, Path(path).name)
        layers = load_package(project, path, parent_group=parent)
        if was_empty:
            crs = package_crs(layers)
            if crs is not None:
                project.setCrs(crs)
            if not project.title():
                project.setTitle(project_title(layers))
        canvas = self.iface.mapCanvas()
        if canvas is not None and "county" in layers:
            extent = canvas.mapSettings().layerExtentToOutputExtent(layers["county"], layers["county"].extent())
            extent.scale(1.05)
            canvas.setExtent(extent)
            canvas.refresh()
        return layers
