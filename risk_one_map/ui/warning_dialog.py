"""预警叫应 in QGIS: a warning in, the call lists, the township call sheets and the result layers out.

The warning comes from one of four places: a CAP file, a polygon layer of the project (all its polygons or the
selected ones), an area drawn on the map (left click adds a corner, right click closes it), or township/village
codes; with codes or an area the user also picks the colour and the hazard (a CAP file says them itself). 运行
runs ``jobs.warning.run_request`` (the CLI's ``warn``, the same numbers) as a background task with a progress bar
and 取消; when it is done the warning layers are added to the project, styled, the dialog says the result in a few
Chinese sentences, and the township call sheets are opened (the folder, when there are more than a few).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from qgis.core import Qgis, QgsMapLayerProxyModel, QgsWkbTypes
from qgis.gui import QgsMapLayerComboBox, QgsMapToolEmitPoint, QgsRubberBand
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout,
                                 QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QRadioButton,
                                 QVBoxLayout, QWidget)

from .. import settings
from ..i18n import tr
from ..layers import model
from ..qgis_glue.areas import polygon_areas
from .analysis_dialog import status_box
from .tasks import JobTask, one_line, push_success

# The result layers, top first: the call tree over the households over the villages over the area.
OUTPUTS = ("warning_calls", "warning_households", "warning_villages", "warning_area")
OUT_DIR = "warning"  # beside the package's atlas folder
LEVELS = (("红", "红色"), ("橙", "橙色"), ("黄", "黄色"), ("蓝", "蓝色"))
OPEN_AT_MOST = 3  # more township sheets than this: the folder is opened instead of each file
SOURCES = ("cap", "layer", "drawn", "codes")


def open_path(path) -> None:
    from qgis.PyQt.QtCore import QUrl
    from qgis.PyQt.QtGui import QDesktopServices
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class AreaTool(QgsMapToolEmitPoint):
    """Draw the warned area: left click adds a corner, right click closes the polygon (three corners at least)."""

    def __init__(self, canvas, on_done):
        super().__init__(canvas)
        self.on_done = on_done
        self.points = []
        self.band = QgsRubberBand(canvas, QgsWkbTypes.PolygonGeometry)
        self.band.setColor(QColor(230, 0, 0, 60))
        self.band.setStrokeColor(QColor(model.WARNING_COLOURS[1]))
        self.band.setWidth(2)

    def canvasReleaseEvent(self, event):  # noqa: N802 (Qt's name)
        if event.button() == Qt.RightButton:
            self.finish()
            return
        point = self.toMapCoordinates(event.pos())
        self.points.append(point)
        self.band.addPoint(point)

    def finish(self):
        from qgis.core import QgsGeometry
        if len(self.points) >= 3:
            geometry = QgsGeometry.fromPolygonXY([self.points + [self.points[0]]])
            self.on_done(geometry, self.canvas().mapSettings().destinationCrs())
        self.reset()

    def reset(self):
        self.points = []
        self.band.reset(QgsWkbTypes.PolygonGeometry)

    def deactivate(self):
        self.band.reset(QgsWkbTypes.PolygonGeometry)
        super().deactivate()


class WarningDialog(QDialog):
    opener = staticmethod(open_path)  # tests replace it: nothing opens a PDF viewer there

    def __init__(self, iface, package=None, parent=None):
        super().__init__(parent or (iface.mainWindow() if iface is not None else None))
        self.iface = iface
        self.task: Optional[JobTask] = None
        self.drawn = None  # (QgsGeometry, QgsCoordinateReferenceSystem) of the area drawn on the map
        self.tool: Optional[AreaTool] = None
        self.previous_tool = None
        self.setWindowTitle(tr("预警叫应"))
        self.setMinimumWidth(640)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.package_edit = QLineEdit(str(package or settings.current_package() or ""))
        form.addRow(tr("一张图数据包"), self._with_button(self.package_edit, tr("选择…"), self._browse_package))

        self.source_group = QButtonGroup(self)
        self.source_buttons = {}
        row = QHBoxLayout()
        for i, (key, text) in enumerate(zip(SOURCES, (tr("CAP 预警文件"), tr("图层中的范围"), tr("在地图上画范围"),
                                                        tr("乡镇/村代码")))):
            button = QRadioButton(text)
            self.source_group.addButton(button, i)
            self.source_buttons[key] = button
            row.addWidget(button)
        holder = QWidget()
        holder.setLayout(row)
        form.addRow(tr("预警来自"), holder)

        self.cap_edit = QLineEdit()
        self.cap_edit.setPlaceholderText(tr("预警发布系统下发的 CAP 1.2 文件（.xml）"))
        self.cap_row = self._with_button(self.cap_edit, tr("选择…"), self._browse_cap)
        form.addRow(tr("CAP 文件"), self.cap_row)
        self.layer_combo = QgsMapLayerComboBox()
        self.layer_combo.setFilters(QgsMapLayerProxyModel.PolygonLayer)
        self.layer_combo.setMinimumWidth(260)
        self.selected_only = QCheckBox(tr("只用选中的要素"))
        self.layer_row = self._pair(self.layer_combo, self.selected_only)
        form.addRow(tr("范围图层"), self.layer_row)
        self.draw_button = QPushButton(tr("在地图上画…"))
        self.draw_button.clicked.connect(self.start_drawing)
        self.drawn_label = QLabel(tr("左键逐点加范围的角，右键结束"))
        self.draw_row = self._pair(self.draw_button, self.drawn_label)
        form.addRow(tr("画出的范围"), self.draw_row)
        self.codes_edit = QLineEdit()
        self.codes_edit.setPlaceholderText(tr("乡镇 9 位或村 12 位代码，空格或逗号分开"))
        form.addRow(tr("代码"), self.codes_edit)

        self.level_combo = QComboBox()
        for value, text in LEVELS:
            self.level_combo.addItem(tr(text), value)
        self.hazard_combo = QComboBox()
        for h in model.HAZARD_TYPES:
            self.hazard_combo.addItem(model.WARNING_EVENT_OF_HAZARD.get(h.key, h.zh), h.key)
        self.hazard_combo.setCurrentIndex(max(0, self.hazard_combo.findData("flood")))
        form.addRow(tr("预警颜色"), self._pair(self.level_combo, QLabel(tr("灾种")), self.hazard_combo))
        self.out_edit = QLineEdit()
        self.out_edit.setPlaceholderText(tr("默认：数据包下的 warning 文件夹"))
        form.addRow(tr("叫应名单和叫应单存到"), self._with_button(self.out_edit, tr("选择…"), self._browse_out))
        self.sheets_check = QCheckBox(tr("打印各乡镇叫应单（A4 PDF）"))
        self.sheets_check.setChecked(True)
        form.addRow("", self.sheets_check)
        lay.addLayout(form)

        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setVisible(False)
        lay.addWidget(self.progress)
        self.status, scroll = status_box(180)
        lay.addWidget(scroll)
        buttons = QHBoxLayout()
        self.run_button = QPushButton(tr("运行"))
        self.cancel_button = QPushButton(tr("取消"))
        close = QPushButton(tr("关闭"))
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        close.clicked.connect(self.reject)
        self.cancel_button.setEnabled(False)
        buttons.addStretch(1)
        for b in (self.run_button, self.cancel_button, close):
            buttons.addWidget(b)
        lay.addLayout(buttons)
        self.source_group.idToggled.connect(lambda *_: self._source_changed())
        self.source_buttons["cap"].setChecked(True)
        self._source_changed()

    # ------------------------------------------------------------------------------------------ widgets
    def _pair(self, *widgets) -> QWidget:
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        for w in widgets:
            row.addWidget(w)
        row.addStretch(1)
        return holder

    def _with_button(self, edit: QLineEdit, text: str, slot) -> QWidget:
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        button = QPushButton(text)
        button.clicked.connect(slot)
        row.addWidget(edit, 1)
        row.addWidget(button)
        return holder

    def source(self) -> str:
        return SOURCES[max(0, self.source_group.checkedId())]

    def _source_changed(self) -> None:
        source = self.source()
        self.cap_row.setEnabled(source == "cap")
        self.layer_row.setEnabled(source == "layer")
        self.draw_row.setEnabled(source == "drawn")
        self.codes_edit.setEnabled(source == "codes")
        # a CAP file says its colour and event itself
        self.level_combo.setEnabled(source != "cap")
        self.hazard_combo.setEnabled(source != "cap")

    def _browse_package(self) -> None:
        path = QFileDialog.getExistingDirectory(self, tr("选择一张图包文件夹"), self.package_edit.text())
        if path:
            self.package_edit.setText(path)

    def _browse_cap(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("选择 CAP 预警文件"), self.cap_edit.text(),
                                              "CAP (*.xml *.cap);;*.*")
        if path:
            self.cap_edit.setText(path)

    def _browse_out(self) -> None:
        path = QFileDialog.getExistingDirectory(self, tr("叫应名单和叫应单存到"), str(self.out_dir()))
        if path:
            self.out_edit.setText(path)

    # ------------------------------------------------------------------------------------------ drawing
    def start_drawing(self) -> None:
        if self.iface is None:
            return
        canvas = self.iface.mapCanvas()
        self.previous_tool = canvas.mapTool()
        self.tool = AreaTool(canvas, self.set_drawn_area)
        canvas.setMapTool(self.tool)
        self.drawn_label.setText(tr("在地图上左键逐点加范围的角，右键结束"))

    def set_drawn_area(self, geometry, crs) -> None:
        """The area drawn on the map (the map tool calls this; tests too)."""
        self.drawn = (geometry, crs)
        self.source_buttons["drawn"].setChecked(True)
        self.drawn_label.setText(tr("已画范围：{n} 个角").format(n=max(0, len(geometry.asPolygon()[0]) - 1)
                                                          if not geometry.isMultipart() else "—"))
        if self.iface is not None and self.previous_tool is not None:
            self.iface.mapCanvas().setMapTool(self.previous_tool)

    # ------------------------------------------------------------------------------------------ values
    def package(self) -> Path:
        return Path(self.package_edit.text().strip())

    def out_dir(self) -> Path:
        text = self.out_edit.text().strip()
        return Path(text) if text else self.package() / OUT_DIR

    def request(self) -> dict:
        """The job's keyword arguments from the form; RiskOneMapError-free: a missing choice says what to do."""
        source = self.source()
        args = {"out_dir": str(self.out_dir()), "sheets": self.sheets_check.isChecked()}
        if source == "cap":
            cap = self.cap_edit.text().strip()
            if not cap:
                raise ValueError(tr("请选择 CAP 预警文件。"))
            return dict(args, cap=cap)
        args.update(level=self.level_combo.currentData(), hazard=self.hazard_combo.currentData())
        if source == "codes":
            codes = self.codes_edit.text().replace(",", " ").replace("，", " ").split()
            if not codes:
                raise ValueError(tr("请填写乡镇或村代码。"))
            return dict(args, codes=codes, source="codes")
        if source == "layer":
            layer = self.layer_combo.currentLayer()
            if layer is None:
                raise ValueError(tr("请选择一个面图层作为预警范围。"))
            features = layer.selectedFeatures() if self.selected_only.isChecked() else layer.getFeatures()
            areas = polygon_areas(features, layer.crs())
            if not areas:
                raise ValueError(tr("图层“{name}”中没有可用的面（或没有选中的要素）。").format(name=layer.name()))
            return dict(args, areas_wkb=areas, source=layer.name())
        if self.drawn is None:
            raise ValueError(tr("请先点“在地图上画…”画出预警范围。"))
        return dict(args, areas_wkb=polygon_areas([self.drawn[0]], self.drawn[1]), source=tr("地图上画的范围"))

    # ------------------------------------------------------------------------------------------ run
    def run(self) -> Optional[JobTask]:
        pkg = self.package()
        if not (pkg / model.GPKG_NAME).is_file():
            self.status.setText(tr("这个文件夹不是一张图包（缺少 onemap.gpkg）：{path}").format(path=pkg))
            return None
        try:
            request = self.request()
        except ValueError as exc:
            self.status.setText(str(exc))
            return None
        settings.remember_package(pkg)
        self._busy(True)
        self.status.setText(tr("正在计算叫应名单……"))
        self.task = JobTask(tr("预警叫应"), "risk_one_map.jobs.warning:run_request", str(pkg), on_done=self._done,
                            on_error=self._failed, **request)
        self.task.progressChanged.connect(lambda value: self.progress.setValue(int(value)))
        return self.task.start()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _busy(self, busy: bool) -> None:
        self.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)
        self.progress.setValue(0)

    def _done(self, result) -> None:
        from qgis.core import QgsMessageLog
        from ..qgis_glue.outputs import add_outputs
        from .result_text import result_lines
        self._busy(False)
        self.task = None
        for line in result.summary_lines():
            QgsMessageLog.logMessage(line, tr("风险隐患一张图"), Qgis.Info)
        lines = result_lines("warning", result)
        self.status.setText("\n".join(lines))
        if result.plan.warning.cancelled:
            return
        add_outputs(self.package(), OUTPUTS)
        sheets = [Path(f) for f in result.files if str(f).endswith(".pdf")]
        if self.iface is not None:
            push_success(self.iface, tr("预警叫应"), lines[0] if lines else tr("完成"), self.out_dir())
        for path in (sheets if len(sheets) <= OPEN_AT_MOST else [self.out_dir()]):
            self.opener(path)

    def _failed(self, exc) -> None:
        self._busy(False)
        self.task = None
        self.status.setText(one_line(exc))
        if self.iface is not None:
            self.iface.messageBar().pushMessage(tr("预警叫应"), one_line(exc), Qgis.Critical, 10)

    def reject(self) -> None:
        if self.tool is not None and self.iface is not None and self.previous_tool is not None:
            self.iface.mapCanvas().setMapTool(self.previous_tool)
        super().reject()
