"""Just enough of QgisInterface for the plugin (tests and their child processes; no pytest needed)."""


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
        self.plugin_menu(menu).addAction(action)  # a real menu too, to look at (screenshots)

    def plugin_menu(self, name):
        """The QMenu 插件 → ``name`` of the main window."""
        menus = getattr(self, "_qmenus", None)
        if menus is None:
            menus = self._qmenus = {"": self.window.menuBar().addMenu("插件")}
        if name not in menus:
            menus[name] = menus[""].addMenu(name)
        return menus[name]

    def removePluginMenu(self, menu, action):  # noqa: N802
        self.menus.get(menu, []).remove(action)
        if menu in getattr(self, "_qmenus", {}):
            self._qmenus[menu].removeAction(action)
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

    def popWidget(self, widget):  # noqa: N802
        if widget in self.widgets:
            self.widgets.remove(widget)
