"""The dock's 导出本镇巡查包 button: the township picked in the dock, out to QField (Processing's patrolexport
dialog, the package, township and a folder beside the package filled in)."""
from __future__ import annotations

from qgis.PyQt.QtWidgets import QPushButton

from ..i18n import tr


def patrol_button(dock) -> QPushButton:
    button = QPushButton(tr("导出本镇巡查包（QField）…"))
    button.setToolTip(tr("把本镇的隐患台账、地图和巡查表单写成一个文件夹，拷到手机上用 QField 离线巡查"))
    button.clicked.connect(lambda: open_patrol_export(dock))
    return button


def open_patrol_export(dock):
    import processing
    town = dock.township()
    if town is None or dock.package is None:
        return None
    folder = dock.package.parent / f"巡查包_{town['name']}"
    return processing.execAlgorithmDialog("riskonemap:patrolexport", {
        "PACKAGE": str(dock.package), "TOWNSHIP": town["code"], "OUT": str(folder)})
