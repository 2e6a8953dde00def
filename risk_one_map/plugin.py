"""The QGIS plugin: a menu, a toolbar, the Processing provider. Thin: the work is in layers/ and processing/.

``initProcessing()`` registers the provider and touches nothing else, so qgis_process can call it alone;
``initGui()`` adds the GUI. The plugin loads even when Python packages it needs are missing: it says once, in the
message bar, in one Chinese sentence with a button 安装所需组件 (installer.py, ui/installer_dialog.py), and only the
features that need them are turned off (greyed menu items with that sentence as tooltip, the dock's print buttons,
Processing algorithms that refuse with it). After an install they are turned on again without a restart.

The plugin's own package folder (installer.packages_dir) goes onto ``sys.path`` when the plugin is constructed:
before initProcessing/initGui, so before anything could import those packages.
"""
from __future__ import annotations

from pathlib import Path

from qgis.core import Qgis, QgsApplication, QgsMessageLog, QgsProject
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction, QFileDialog

from . import deps, i18n, installer, settings
from .errors import RiskOneMapError
from .i18n import tr

MENU = "风险隐患一张图"  # the menu keeps its Chinese name in every language (users look for it by that name)
TOOLBAR = "风险隐患一张图 Risk One Map"
LOG_TAG = "Risk One Map"
SETTINGS_LAST_PACKAGE = settings.PREFIX + "last_package"
ICON_PATH = Path(__file__).resolve().parent / "resources" / "icons" / "icon.svg"
# menu action -> the deps.FEATURES key it needs (greyed while that feature's packages are missing)
ACTION_FEATURES = {"RiskOneMapImport": "import", "RiskOneMapCheck": "check", "RiskOneMapExposure": "analysis",
                   "RiskOneMapEvacuation": "analysis", "RiskOneMapSiting": "analysis",
                   "RiskOneMapLowpoints": "analysis", "RiskOneMapAtlas": "atlas",
                   "RiskOneMapLedger": "analysis", "RiskOneMapLedgerImport": "analysis",
                   "RiskOneMapPatrolExport": "analysis", "RiskOneMapPatrolMerge": "analysis",
                   "RiskOneMapSample": "sample_data", "RiskOneMapWarning": "analysis"}


def packages_dir() -> Path:
    """The plugin's own package folder in the current QGIS profile."""
    return installer.packages_dir(QgsApplication.qgisSettingsDirPath())


def follow_project(package_edit) -> None:
    """A dialog opened again shows the open project's package (another project may be open since)."""
    shown = settings.project_package()
    if shown is not None:
        package_edit.setText(str(shown))


class RiskOneMapPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.actions = []
        self.toolbar = None
        self.missing = {}
        self.dock = None
        self.dialogs = {}
        self.tips = {}  # action object name -> its tooltip while available
        self.install_banner = None  # the message-bar item with the 安装所需组件 button
        installer.activate(packages_dir())

    # ------------------------------------------------------------------------------------------ Processing
    def initProcessing(self):  # noqa: N802 (QGIS's name)
        if self.provider is not None:
            return
        from .processing.provider import RiskOneMapProvider
        self.provider = RiskOneMapProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    # ------------------------------------------------------------------------------------------ GUI
    def initGui(self):  # noqa: N802
        i18n.install_translator()
        self.initProcessing()
        icon = QIcon(str(ICON_PATH))
        self.toolbar = self.iface.addToolBar(TOOLBAR)
        self.toolbar.setObjectName("RiskOneMapToolbar")
        open_action = self._action("RiskOneMapOpenPackage", tr("打开一张图包…"), self.open_package, icon,
                                   tip=tr("加载 onemap.gpkg、人口与地形栅格，按图层组分组并配好样式"))
        self._add(open_action)
        dock_action = self._action("RiskOneMapDock", tr("乡镇出图面板"), self.toggle_dock, icon, checkable=True,
                                   tip=tr("选乡镇、选村，打印本村风险隐患一张图"))
        self._add(dock_action)
        self.dock_action = dock_action
        for key, text, slot in (
                ("RiskOneMapImport", tr("导入数据…"), self.open_import),
                ("RiskOneMapCheck", tr("检查一张图包…"), lambda: self.open_algorithm("checkpackage")),
                ("RiskOneMapExposure", tr("人口暴露分析…"), lambda: self.open_analysis("exposure")),
                ("RiskOneMapEvacuation", tr("转移避险分析…"), lambda: self.open_analysis("evacuation")),
                ("RiskOneMapSiting", tr("物资储备点选址…"), lambda: self.open_analysis("siting")),
                # Processing's own dialog: the options, a progress bar and Cancel, the result layer loaded styled.
                ("RiskOneMapLowpoints", tr("DEM洼地（低洼易涝点筛查）…"), lambda: self.open_algorithm("lowpoints")),
                ("RiskOneMapAtlas", tr("批量打印村图…"), lambda: self.open_algorithm("villageatlas")),
                ("RiskOneMapWarning", tr("预警叫应…"), self.open_warning),
                ("RiskOneMapLedger", tr("导出隐患排查治理台账…"), lambda: self.open_algorithm("ledger")),
                ("RiskOneMapLedgerImport", tr("导入修改后的台账…"), lambda: self.open_algorithm("ledgerimport")),
                ("RiskOneMapPatrolExport", tr("导出巡查包（QField）…"), lambda: self.open_algorithm("patrolexport")),
                ("RiskOneMapPatrolMerge", tr("合并交回的巡查包…"), lambda: self.open_algorithm("patrolmerge")),
                ("RiskOneMapSample", tr("生成示例县…"), lambda: self.open_algorithm("sampledata"))):
            self._add(self._action(key, text, slot), toolbar=False)
        self.install_action = self._action("RiskOneMapInstall", tr("安装所需组件…"), self.open_installer,
                                           tip=tr("把分析、出图所需的 Python 组件装进本插件自己的文件夹（可从网络或本地文件夹安装）"))
        self._add(self.install_action, toolbar=False)
        self.missing = deps.missing()
        if self.missing:
            QgsMessageLog.logMessage(deps.manual_install_message(self.missing), LOG_TAG, Qgis.Warning)
            self._push_install_message()
        for note in deps.wheel_warnings():
            QgsMessageLog.logMessage(note, LOG_TAG, Qgis.Info)
        self.create_dock()
        self.refresh_features()
        # The folder's geo wheels, loaded the safe way before the user (console, other plugins) can import them
        # plainly; once QGIS's start-up is through (measured: ~2.5 s in qgis_process, not worth it there, where the
        # algorithms load them themselves in prepareAlgorithm).
        from qgis.PyQt.QtCore import QTimer
        QTimer.singleShot(0, lambda: installer.load_native(packages_dir()))

    def _push_install_message(self) -> None:
        """The banner: one Chinese sentence and the button that installs what is missing."""
        from .ui.tasks import push_with_button
        self.install_banner = push_with_button(self.iface, MENU, deps.install_message(self.missing),
                                               tr("安装所需组件"), self.open_installer, Qgis.Warning)

    def refresh_features(self) -> dict:
        """Enable what the installed packages allow, grey the rest with the sentence that says what to click.
        Returns what is still missing."""
        self.missing = deps.missing()
        for action in self.actions:
            feature = ACTION_FEATURES.get(action.objectName())
            if feature is None:
                continue
            why = deps.unavailable_sentence(feature)
            action.setEnabled(not why)
            action.setToolTip(why or self.tips[action.objectName()])
            action.setStatusTip(why)
        if self.dock is not None:
            self.dock.refresh_features()
        if not self.missing:
            self._pop_install_message()
        return self.missing

    def _pop_install_message(self) -> None:
        if self.install_banner is not None:
            try:
                self.iface.messageBar().popWidget(self.install_banner)
            except RuntimeError:  # the user closed it already
                pass
            self.install_banner = None

    def open_installer(self, checked=False):
        from .ui.installer_dialog import InstallerDialog
        dialog = self.dialogs.get("installer") or InstallerDialog(
            packages_dir(), on_installed=lambda result: self.refresh_features(), parent=self.iface.mainWindow())
        self.dialogs["installer"] = dialog
        dialog.show()
        dialog.raise_()
        return dialog

    def _action(self, name, text, slot, icon=None, tip="", checkable=False):
        action = QAction(icon, text, self.iface.mainWindow()) if icon is not None else QAction(
            text, self.iface.mainWindow())
        action.setObjectName(name)
        if tip:
            action.setToolTip(f"{text}\n{tip}")
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.tips[name] = action.toolTip()
        return action

    def _add(self, action, toolbar=True):
        self.iface.addPluginToMenu(MENU, action)
        if toolbar:
            self.toolbar.addAction(action)
        self.actions.append(action)

    # ------------------------------------------------------------------------------------------ dock, dialogs
    def create_dock(self):
        from .ui.dock import TownshipDock
        self.dock = TownshipDock(self.iface, loader=self.load_if_needed, parent=self.iface.mainWindow(),
                                 warn=lambda package: self.open_warning(package=package))
        self.iface.addDockWidget(Qt.RightDockWidgetArea, self.dock)
        self.dock.visibilityChanged.connect(self.dock_action.setChecked)
        self.dock_action.setChecked(self.dock.isVisible())
        return self.dock

    def toggle_dock(self, checked=None):
        if self.dock is None:
            self.create_dock()
        visible = (not self.dock.isVisible()) if checked is None else bool(checked)
        self.dock.setVisible(visible)
        if visible:
            self.dock.raise_()

    def open_import(self, checked=False):
        from .ui.import_dialog import ImportDialog
        dialog = self.dialogs.get("import") or ImportDialog(self.iface, loader=self.load_if_needed)
        self.dialogs["import"] = dialog
        dialog.show()
        dialog.raise_()
        return dialog

    def open_analysis(self, key, checked=False):
        from .ui.analysis_dialog import AnalysisDialog
        dialog = self.dialogs.get(key) or AnalysisDialog(self.iface, key)
        self.dialogs[key] = dialog
        follow_project(dialog.package_edit)
        dialog.show()
        dialog.raise_()
        return dialog

    def open_warning(self, checked=False, package=None):
        """The 预警叫应 dialog (menu and dock): a CAP file, a layer, a drawn area or codes in, call sheets out."""
        from .ui.warning_dialog import WarningDialog
        dialog = self.dialogs.get("warning") or WarningDialog(self.iface)
        self.dialogs["warning"] = dialog
        follow_project(dialog.package_edit)
        if package is not None:
            dialog.package_edit.setText(str(package))
        dialog.show()
        dialog.raise_()
        return dialog

    def open_algorithm(self, name, params=None):
        """The Processing dialog of riskonemap:<name> (runs as a task; the package pre-filled)."""
        import processing
        current = settings.current_package()
        defaults = dict(params or {})
        if current is not None and name != "sampledata":
            defaults.setdefault("PACKAGE", str(current))
        if current is not None and name == "villageatlas":
            # beside the package, where the dock prints too (Processing's default is a temporary folder that
            # QGIS deletes at exit), with one merged PDF per township for the printer
            defaults.setdefault("OUTPUT", str(current / "atlas"))
            defaults.setdefault("MERGE", True)
        return processing.execAlgorithmDialog(f"riskonemap:{name}", defaults)

    def load_if_needed(self, path) -> dict:
        """Load the package into the current project unless its layers are there already."""
        from .layers import model
        gpkg = str((Path(path) / model.GPKG_NAME).resolve())
        from .settings import layer_file
        present = {layer_file(lyr)[0] for lyr in QgsProject.instance().mapLayers().values()}
        if Path(gpkg) in {p.resolve() for p in present if p is not None}:
            return {}
        return self.load(path)

    def unload(self):
        self._pop_install_message()
        if self.dock is not None:
            self.dock.disconnect_project()
            self.iface.removeDockWidget(self.dock)
            self.dock.deleteLater()
            self.dock = None
        for dialog in self.dialogs.values():
            dialog.close()
            dialog.deleteLater()
        self.dialogs = {}
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
        i18n.remove_translator()

    # ------------------------------------------------------------------------------------------ actions
    def open_package(self, checked=False, path=None):
        """Ask for a package folder (unless ``path`` is given) and load it into the current project."""
        if path is None:
            start = str(settings.current_package() or Path.home())
            path = QFileDialog.getExistingDirectory(self.iface.mainWindow(), tr("打开一张图包"), start)
            if not path:
                return None
        try:
            layers = self.load(path)
        except RiskOneMapError as exc:
            self.iface.messageBar().pushMessage(MENU, str(exc), Qgis.Critical, 10)
            return None
        settings.remember_package(path)
        if self.dock is not None and (self.dock.package is None or Path(self.dock.package) != Path(path)):
            self.dock.set_package(path)
        self.iface.messageBar().pushMessage(MENU, tr("已加载 {n} 个图层：{path}").format(n=len(layers), path=path),
                                            Qgis.Success, 5)
        return layers

    def load(self, path) -> dict:
        from .qgis_glue.project import add_package
        layers = add_package(QgsProject.instance(), path)
        canvas = self.iface.mapCanvas()
        if canvas is not None and "county" in layers:
            extent = canvas.mapSettings().layerExtentToOutputExtent(layers["county"], layers["county"].extent())
            extent.scale(1.05)
            canvas.setExtent(extent)
            canvas.refresh()
        return layers
