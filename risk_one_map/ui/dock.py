"""The township dock: pick a package, a township, a village; see it on the map; print its risk sheet.

For township staff with no GIS skill: big plain Chinese labels, nothing to configure on the way. Prints go to
``<package>/atlas`` (A3, the wall size) through the same ``export_village_sheets`` as the CLI, as a background task
(progress in QGIS's task bar, cancel there); the message bar says what was printed, with a button that opens the
folder, or gives a one-line error. Built in code (no .ui file); the package, township and village are remembered
(package in the user settings, all three in the project).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from qgis.core import (Qgis, QgsCoordinateTransform, QgsFeatureRequest, QgsProject, QgsRectangle,
                       QgsVectorLayer)
from qgis.PyQt.QtGui import QFont
from qgis.PyQt.QtWidgets import (QComboBox, QDockWidget, QFileDialog, QHBoxLayout, QLabel, QLineEdit,
                                 QPushButton, QSizePolicy, QVBoxLayout, QWidget)

from .. import deps, settings
from ..i18n import tr
from ..layers import model
from .tasks import JobTask, one_line, push_success

TITLE_PT = 15
BUTTON_PT = 17
ATLAS_DIR = "atlas"


def read_admin(package: Path):
    """(townships, villages) of a package as lists of dicts {code, name, parent} sorted by code; QGIS's OGR
    reads them (no geometry), so this needs none of the optional Python packages."""
    gpkg = Path(package) / model.GPKG_NAME
    out = []
    for layer_name in ("townships", "villages"):
        layer = QgsVectorLayer(f"{gpkg}|layername={layer_name}", layer_name, "ogr")
        rows = []
        if layer.isValid():
            names = layer.fields().names()
            request = QgsFeatureRequest().setFlags(QgsFeatureRequest.NoGeometry)
            for f in layer.getFeatures(request):
                code = str(f["code"]) if "code" in names and f["code"] is not None else ""
                rows.append({"code": code, "name": str(f["name"]) if "name" in names else code,
                             "parent": str(f["parent_code"]) if "parent_code" in names and f["parent_code"]
                             not in (None, "") else ""})
        rows.sort(key=lambda r: r["code"])
        out.append(rows)
    return out[0], out[1]


def villages_of(township: dict, villages: list) -> list:
    """The villages whose parent code is the township's (else whose code starts with its first nine digits)."""
    code = township["code"]
    own = [v for v in villages if v["parent"] == code]
    if own:
        return own
    return [v for v in villages if code and v["code"].startswith(code[:9])]


class TownshipDock(QDockWidget):
    OBJECT_NAME = "RiskOneMapTownshipDock"

    def __init__(self, iface, loader: Optional[Callable] = None, parent=None, warn: Optional[Callable] = None):
        super().__init__(tr("风险隐患一张图 · 乡镇出图"), parent)
        self.warn = warn  # warn(package): opens the 预警叫应 dialog on this package
        self.setObjectName(self.OBJECT_NAME)
        self.iface = iface
        self.loader = loader  # loader(path) -> {key: layer}: puts the package into the current project
        self.package: Optional[Path] = None
        self.townships, self.villages = [], []
        self.task = None
        self.last_pdf_dir: Optional[Path] = None
        self._build()
        self.follow_project()
        project = QgsProject.instance()
        project.readProject.connect(self._project_read)  # another project opened: show its package
        project.cleared.connect(self._project_read)

    def disconnect_project(self) -> None:
        """Before the dock goes (plugin unloaded): QgsProject outlives it."""
        project = QgsProject.instance()
        for signal in (project.readProject, project.cleared):
            try:
                signal.disconnect(self._project_read)
            except (TypeError, RuntimeError):
                pass

    def _project_read(self, *args) -> None:
        try:
            self.follow_project()
        except RuntimeError:  # the dock was deleted while QGIS still held the connection
            pass

    def follow_project(self) -> None:
        """Show the open project's package (the one last used when no package project is open)."""
        start = settings.current_package()
        if start is not None and start != self.package:
            self.set_package(start, remember=False)

    # ------------------------------------------------------------------------------------------ widgets
    def _build(self) -> None:
        body = QWidget(self)
        body.setObjectName("RiskOneMapDockBody")
        lay = QVBoxLayout(body)
        lay.setSpacing(10)
        big = QFont(body.font())
        big.setPointSize(TITLE_PT)
        body.setFont(big)

        lay.addWidget(self._caption(tr("一张图数据包")))
        row = QHBoxLayout()
        self.package_edit = QLineEdit()
        self.package_edit.setReadOnly(True)
        self.package_edit.setPlaceholderText(tr("请选择一张图包文件夹"))
        self.choose_button = QPushButton(tr("选择…"))
        self.choose_button.clicked.connect(self.choose_package)
        row.addWidget(self.package_edit, 1)
        row.addWidget(self.choose_button)
        lay.addLayout(row)

        lay.addWidget(self._caption(tr("乡镇（街道）")))
        self.township_combo = QComboBox()
        self.township_combo.currentIndexChanged.connect(self._township_changed)
        lay.addWidget(self.township_combo)

        lay.addWidget(self._caption(tr("村（社区）")))
        self.village_combo = QComboBox()
        self.village_combo.currentIndexChanged.connect(self._village_changed)
        lay.addWidget(self.village_combo)

        self.info = QLabel("")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)

        # while the packages printing needs are missing: the sentence that says what to click, above the greyed buttons
        self.deps_note = QLabel("")
        self.deps_note.setObjectName("RiskOneMapDepsNote")
        self.deps_note.setWordWrap(True)
        self.deps_note.setStyleSheet("color: #a15c00;")
        lay.addWidget(self.deps_note)

        button_font = QFont(big)
        button_font.setPointSize(BUTTON_PT)
        button_font.setBold(True)
        self.print_village_button = QPushButton(tr("打印本村一张图"))
        self.print_township_button = QPushButton(tr("打印全镇"))
        for b in (self.print_village_button, self.print_township_button):
            b.setFont(button_font)
            b.setMinimumHeight(56)
            b.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
            lay.addWidget(b)
        self.print_village_button.clicked.connect(self.print_village)
        self.print_township_button.clicked.connect(self.print_township)
        from .plan_buttons import PlanButtons
        self.plan_buttons = PlanButtons(self, lay, button_font)  # 打印本村预案 / 处置卡
        self.warn_button = QPushButton(tr("预警叫应"))
        self.warn_button.setToolTip(tr("打开 CAP 预警文件或在地图上画范围：先打给谁、哪些户要转移、打印各乡镇叫应单"))
        self.warn_button.setFont(button_font)
        self.warn_button.setMinimumHeight(56)
        self.warn_button.setStyleSheet(f"color: {model.WARNING_COLOURS[1]};")
        self.warn_button.clicked.connect(lambda checked=False: self.warn and self.warn(self.package))
        lay.addWidget(self.warn_button)
        from .patrol_button import patrol_button
        self.patrol_button = patrol_button(self)
        lay.addWidget(self.patrol_button)

        self.output_label = QLabel("")
        self.output_label.setWordWrap(True)
        small = QFont(big)
        small.setPointSize(max(9, TITLE_PT - 4))
        self.output_label.setFont(small)
        self.output_label.setStyleSheet("color: #555;")
        lay.addWidget(self.output_label)
        lay.addStretch(1)
        self.setWidget(body)
        self._update_buttons()

    def _caption(self, text: str) -> QLabel:
        label = QLabel(text)
        font = QFont(label.font())
        font.setBold(True)
        label.setFont(font)
        return label

    # ------------------------------------------------------------------------------------------ package
    def choose_package(self) -> None:
        start = str(self.package or settings.current_package() or Path.home())
        path = QFileDialog.getExistingDirectory(self, tr("选择一张图包文件夹"), start)
        if path:
            self.set_package(path)

    def set_package(self, path, remember: bool = True) -> bool:
        """Show ``path``; ``remember``: the user chose it (remembered as the last package and in the project)."""
        path = Path(path)
        if not (path / model.GPKG_NAME).is_file():
            self._error(tr("这个文件夹不是一张图包（缺少 onemap.gpkg）：{path}").format(path=path))
            return False
        self.package = path
        self.package_edit.setText(str(path))
        self.package_edit.setToolTip(str(path))
        if remember:
            settings.remember_package(path)
            settings.set_project_value("package", str(path))
        self.townships, self.villages = read_admin(path)
        self.township_combo.blockSignals(True)
        self.township_combo.clear()
        for t in self.townships:
            self.township_combo.addItem(t["name"], t["code"])
        self.township_combo.blockSignals(False)
        remembered = settings.project_value("township")
        index = max(0, self.township_combo.findData(remembered)) if remembered else 0
        self.township_combo.setCurrentIndex(index)
        self._township_changed(index)
        self.output_label.setText(tr("输出到：{folder}（A3）").format(folder=self.out_dir()))
        return True

    def out_dir(self) -> Optional[Path]:
        return None if self.package is None else self.package / ATLAS_DIR

    # ------------------------------------------------------------------------------------------ choices
    def township(self) -> Optional[dict]:
        i = self.township_combo.currentIndex()
        return self.townships[i] if 0 <= i < len(self.townships) else None

    def village(self) -> Optional[dict]:
        code = self.village_combo.currentData()
        return next((v for v in self.villages if v["code"] == code), None)

    def _township_changed(self, index: int) -> None:
        town = self.township()
        self.village_combo.blockSignals(True)
        self.village_combo.clear()
        if town is not None:
            settings.set_project_value("township", town["code"])
            for v in villages_of(town, self.villages):
                self.village_combo.addItem(v["name"], v["code"])
        remembered = settings.project_value("village")
        found = self.village_combo.findData(remembered) if remembered else -1
        if found >= 0:  # the remembered village, without zooming (the map is the user's until they pick)
            self.village_combo.setCurrentIndex(found)
        self.village_combo.blockSignals(False)
        self.info.setText("")
        self._update_buttons()

    def _village_changed(self, index: int) -> None:
        self._update_buttons()
        village = self.village()
        if village is None:
            return
        settings.set_project_value("village", village["code"])
        self.show_village(village["code"])

    def select_village(self, code: str) -> bool:
        """Pick township and village by village code (as a user would in the combos)."""
        village = next((v for v in self.villages if v["code"] == code), None)
        if village is None:
            return False
        town = next((i for i, t in enumerate(self.townships) if village in villages_of(t, self.villages)), None)
        if town is not None and town != self.township_combo.currentIndex():
            self.township_combo.setCurrentIndex(town)
        index = self.village_combo.findData(code)
        if index < 0:
            return False
        if index == self.village_combo.currentIndex():
            self._village_changed(index)
        else:
            self.village_combo.setCurrentIndex(index)
        return True

    # ------------------------------------------------------------------------------------------ map
    def project_villages_layer(self) -> Optional[QgsVectorLayer]:
        """The package's villages layer in the current project, loading the package first if it is not there."""
        if self.package is None:
            return None
        found = self._find_villages_layer()
        if found is None and self.loader is not None:
            self._just_loaded = True
            try:
                self.loader(str(self.package))
            except Exception as exc:  # noqa: BLE001 (shown, never raised into Qt)
                self._error(one_line(exc))
                return None
            found = self._find_villages_layer()
        return found

    def _find_villages_layer(self) -> Optional[QgsVectorLayer]:
        gpkg = (self.package / model.GPKG_NAME).resolve()
        for layer in QgsProject.instance().mapLayers().values():
            if not isinstance(layer, QgsVectorLayer):
                continue
            path, name = settings.layer_file(layer)
            if path is None or name != "villages":
                continue
            try:
                if path.resolve() == gpkg:
                    return layer
            except OSError:
                continue
        return None

    def show_village(self, code: str) -> Optional[QgsRectangle]:
        """Zoom the map to the village (its hazards and shelters are the package's layers around it)."""
        layer = self.project_villages_layer()
        if layer is None:
            return None
        request = QgsFeatureRequest().setFilterExpression(f"\"code\" = '{code}'")
        feature = next(layer.getFeatures(request), None)
        if feature is None or not feature.hasGeometry():
            return None
        extent = self._zoom(layer, feature)
        if getattr(self, "_just_loaded", False):
            # QGIS zooms to the full extent once the first layers of an empty project are drawn: zoom again after
            self._just_loaded = False
            from qgis.PyQt.QtCore import QTimer
            QTimer.singleShot(400, lambda lid=layer.id(), fid=feature.id(): self._zoom_later(lid, fid))
        village = self.village()
        if village is not None:
            self.info.setText(self._village_info(feature))
        return extent

    def _zoom_later(self, layer_id: str, fid: int) -> None:
        """The deferred zoom, only if the layer (and this dock) still exist."""
        try:
            layer = QgsProject.instance().mapLayer(layer_id)
            if layer is None or self.package is None:
                return
            feature = layer.getFeature(fid)
            if feature.isValid() and feature.hasGeometry():
                self._zoom(layer, feature)
        except RuntimeError:  # the dock was deleted in the meantime
            return

    def _zoom(self, layer, feature) -> QgsRectangle:
        canvas = self.iface.mapCanvas()
        extent = feature.geometry().boundingBox()
        if canvas is None:
            return extent
        dest = canvas.mapSettings().destinationCrs()
        if dest.isValid() and dest != layer.crs():
            extent = QgsCoordinateTransform(layer.crs(), dest, QgsProject.instance()).transformBoundingBox(extent)
        extent.scale(1.25)
        canvas.setExtent(extent)
        canvas.refresh()
        layer.selectByIds([feature.id()])
        try:
            canvas.flashFeatureIds(layer, [feature.id()])
        except (AttributeError, TypeError):
            pass
        return extent

    def _village_info(self, feature) -> str:
        names = feature.fields().names()
        parts = []
        if "population" in names and feature["population"] not in (None, ""):
            try:
                parts.append(tr("常住人口 {n} 人").format(n=int(float(feature["population"]))))
            except (TypeError, ValueError):
                pass
        if "households" in names and feature["households"] not in (None, ""):
            try:
                parts.append(tr("{n} 户").format(n=int(float(feature["households"]))))
            except (TypeError, ValueError):
                pass
        return "，".join(parts)

    # ------------------------------------------------------------------------------------------ printing
    def refresh_features(self) -> None:
        """Printing on or off as the installed packages allow (called again after 安装所需组件)."""
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self.task is not None
        why = deps.unavailable_sentence("atlas")
        self.deps_note.setText(why)
        self.deps_note.setVisible(bool(why))
        self.print_village_button.setEnabled(not why and not busy and self.village() is not None)
        self.print_township_button.setEnabled(not why and not busy and self.township() is not None
                                              and self.village_combo.count() > 0)
        self.warn_button.setEnabled(not deps.unavailable_sentence("analysis") and self.warn is not None)
        if hasattr(self, "patrol_button"):
            self.patrol_button.setEnabled(not deps.unavailable_sentence("analysis") and self.township() is not None)
        if hasattr(self, "plan_buttons"):
            self.plan_buttons.update(busy)

    def print_village(self) -> Optional[JobTask]:
        village = self.village()
        if village is None or self.package is None:
            return None
        return self._print(tr("打印 {name} 一张图").format(name=village["name"]), villages=[village["code"]],
                           force=True)

    def print_township(self) -> Optional[JobTask]:
        town = self.township()
        if town is None or self.package is None:
            return None
        codes = [v["code"] for v in villages_of(town, self.villages)]
        return self._print(tr("打印 {name} 全部村图").format(name=town["name"]), villages=codes, force=False,
                           merge=True)  # one file to send to the printer, as the CLI's --merge

    def _print(self, description: str, villages: list, force: bool, merge: bool = False) -> JobTask:
        out = self.out_dir()
        page = settings.value("atlas_page") if settings.value("atlas_page") in ("A3", "A4") else "A3"
        task = JobTask(description, "risk_one_map.atlas.export:export_village_sheets", str(self.package), str(out),
                       villages=villages, page=page, dpi=settings.value("atlas_dpi"), workers=1, force=force,
                       merge_township=merge,
                       on_done=self._printed, on_error=self._print_failed, qgis_objects=True)
        self.task = task
        self._update_buttons()
        self.info.setText(tr("正在打印……进度见窗口底部的任务栏，可在那里取消。"))
        task.start()
        return task

    def _printed(self, result) -> None:
        self.task = None
        self._update_buttons()
        pdfs = list(result.pdfs)
        folder = pdfs[0].parent if len(pdfs) == 1 else Path(result.out_dir)
        self.last_pdf_dir = folder
        if len(pdfs) == 1:
            text = tr("已打印：{file}").format(file=pdfs[0].name)
        else:
            text = tr("已打印 {n} 张村图（新打印 {w} 张）").format(n=len(pdfs), w=len(result.written))
        merged = list(getattr(result, "merged", []) or [])
        if merged:
            text += tr("；合订本：{file}").format(file=merged[0].name)
        self.info.setText(text)
        self._success(text, folder)

    def _print_failed(self, exc) -> None:
        self.task = None
        self._update_buttons()
        self.info.setText("")
        self._error(tr("打印没有完成：{reason}").format(reason=one_line(exc)))

    # ------------------------------------------------------------------------------------------ messages
    def _success(self, text: str, folder: Path) -> None:
        push_success(self.iface, tr("风险隐患一张图"), text, folder)

    def _error(self, text: str) -> None:
        self.iface.messageBar().pushMessage(tr("风险隐患一张图"), text, Qgis.Critical, 10)
