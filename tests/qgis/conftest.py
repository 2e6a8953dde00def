"""Headless QGIS for tests/qgis: ONE QgsApplication for the session (offscreen, its own settings folder) with
Processing initialised. Without PyQGIS the whole folder is skipped, with the reason."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
try:
    import qgis.core  # noqa: F401
except ImportError as exc:  # pragma: no cover (machines without QGIS)
    pytest.skip(f"PyQGIS is not importable ({exc}); install QGIS (Debian: python3-qgis) or run scripts/setup.sh",
                allow_module_level=True)


@pytest.fixture(scope="session", autouse=True)
def qgis_app(tmp_path_factory):
    """The session's QgsApplication (settings in a temporary folder) and the Processing framework."""
    from qgis.core import QgsApplication
    from risk_one_map.layers.qgis_app import ensure_app
    app = ensure_app(settings_dir=str(tmp_path_factory.mktemp("qgis-settings")))
    from qgis.core import QgsSettings
    QgsSettings().setValue("locale/userLocale", "zh_CN")  # the plugin's first language; tests switch to en_US
    plugins = Path(QgsApplication.pkgDataPath()) / "python" / "plugins"
    if plugins.is_dir() and str(plugins) not in sys.path:
        sys.path.append(str(plugins))
    from processing.core.Processing import Processing
    Processing.initialize()
    yield app


def pytest_configure(config):
    config.addinivalue_line("markers", "qgis_process: runs the real qgis_process on the built plugin zip (CI runs it)")


@pytest.fixture(scope="session")
def tiny_package(tmp_path_factory):
    """The hand-made package of tiny_package.py: an analysis layer, four-level labels, an unknown hazard type."""
    from .tiny_package import build_tiny_package
    return build_tiny_package(tmp_path_factory.mktemp("tiny") / "pkg")


class StubIface:
    """Just enough of QgisInterface for the plugin: a main window, toolbars, the plugin menu, dock widgets, a
    message bar that records what it was given."""

    def __init__(self):
        from qgis.gui import QgsMapCanvas
        from qgis.PyQt.QtWidgets import QMainWindow
        self.window = QMainWindow()
        self.canvas = QgsMapCanvas()
        self.menus = {}
        self.toolbars = []
        self.messages = []  # (title, text, level) of every pushMessage / pushWidget
        self.bar = _MessageBar(self.messages)
        self.docks = []

    def mainWindow(self):  # noqa: N802
        return self.window

    def messageBar(self):  # noqa: N802
        return self.bar

    def mapCanvas(self):  # noqa: N802
        return self.canvas

    def addToolBar(self, name):  # noqa: N802
        toolbar = self.window.addToolBar(name)
        self.toolbars.append(toolbar)
        return toolbar

    def addDockWidget(self, area, dock):  # noqa: N802
        self.window.addDockWidget(area, dock)
        self.docks.append(dock)

    def removeDockWidget(self, dock):  # noqa: N802
        self.window.removeDockWidget(dock)
        self.docks.remove(dock)

    def addPluginToMenu(self, menu, action):  # noqa: N802
        self.menus.setdefault(menu, []).append(action)

    def removePluginMenu(self, menu, action):  # noqa: N802
        self.menus.get(menu, []).remove(action)
        if not self.menus.get(menu):
            self.menus.pop(menu, None)


class _MessageBar:
    def __init__(self, messages):
        self.messages = messages
        self.widgets = []  # message items pushed with pushWidget (their buttons can be clicked in tests)

    def pushMessage(self, title, text, level=0, duration=-1):  # noqa: N802
        self.messages.append((title, text, level))

    @staticmethod
    def createMessage(title, text, parent=None):  # noqa: N802
        from qgis.gui import QgsMessageBar
        return QgsMessageBar.createMessage(title, text, parent)

    def pushWidget(self, widget, level=0, duration=0):  # noqa: N802
        self.widgets.append(widget)
        self.messages.append((widget.title(), widget.text(), level))


@pytest.fixture
def iface():
    return StubIface()


@pytest.fixture(scope="module")
def provider():
    """The plugin's Processing provider, registered as qgis_process does it (initProcessing, no iface)."""
    import risk_one_map
    from qgis.core import QgsApplication
    plugin = risk_one_map.classFactory(None)
    plugin.initProcessing()
    yield QgsApplication.processingRegistry().providerById("riskonemap")
    plugin.unload()
