"""The import dialog: pick raw files, see which one-map layer each is taken for and how its fields map, import.

Reading the files for the preview and the import itself run as background tasks (the same ``read_input``,
``match_fields`` and ``import_sources`` as ``risk-one-map import``); the dialog only shows and collects choices.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from qgis.core import Qgis
from qgis.PyQt.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout,
                                 QHeaderView, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QTableWidget,
                                 QTableWidgetItem, QVBoxLayout)

from .. import settings
from ..i18n import tr
from ..layers import model
from .tasks import JobTask, one_line

FILE_FILTER = "GIS (*.shp *.gpkg *.geojson *.json *.csv *.txt *.xlsx *.dbf);;* (*)"


def preview(paths, progress=None, cancelled=None) -> list:
    """Worker thread: for every layer of every file, {file, label, target, encoding, crs, columns, mapping, how}."""
    from ..layers import fieldmap
    from ..layers.readers import read_input
    rows = []
    for i, path in enumerate(paths):
        if progress is not None:
            progress(i / max(1, len(paths)))
        try:
            sources = read_input(Path(path))
        except Exception as exc:  # noqa: BLE001 (shown in the table, the other files still preview)
            rows.append({"file": str(path), "label": Path(path).name, "target": None, "error": one_line(exc),
                         "columns": [], "mapping": {}, "how": {}, "encoding": "", "crs": ""})
            continue
        for s in sources:
            mapping, how = ({}, {}) if s.target is None else fieldmap.match_fields(
                s.target, s.frame.columns, allow_prefix=s.kind == "shapefile")
            rows.append({"file": str(path), "label": s.label, "target": s.target, "error": "",
                         "columns": [str(c) for c in s.frame.columns], "mapping": mapping, "how": how,
                         "encoding": s.encoding.describe() if s.encoding else "",
                         "crs": s.crs.describe() if s.crs else ""})
    return rows


def mapping_rows(target: Optional[str], mapping: dict, how: dict) -> list:
    """[(model field, Chinese name, source column or "", how)] for the preview table."""
    spec = model.LAYER_BY_NAME.get(target or "")
    if spec is None:
        return []
    out = []
    for f in spec.fields:
        out.append((f.name, f.zh + (" *" if f.required else ""), mapping.get(f.name, ""), how.get(f.name, "")))
    return out


class ImportDialog(QDialog):
    def __init__(self, iface, loader: Optional[Callable] = None, parent=None):
        super().__init__(parent or (iface.mainWindow() if iface is not None else None))
        self.iface = iface
        self.loader = loader
        self.paths: list = []
        self.rows: list = []
        self.task = None
        self.setWindowTitle(tr("导入数据为一张图包"))
        self.resize(900, 640)
        lay = QVBoxLayout(self)

        row = QHBoxLayout()
        add = QPushButton(tr("添加文件…"))
        add.clicked.connect(self.choose_files)
        remove = QPushButton(tr("移除所选"))
        remove.clicked.connect(self.remove_selected)
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        lay.addLayout(row)

        self.files = QTableWidget(0, 5)
        self.files.setHorizontalHeaderLabels([tr("文件（图层）"), tr("识别为"), tr("编码"), tr("坐标系"), tr("字段匹配")])
        self.files.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.files.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.files.itemSelectionChanged.connect(self.show_mapping)
        lay.addWidget(self.files, 2)

        lay.addWidget(QLabel(tr("字段对照（所选文件）：* 为必填字段")))
        self.fields = QTableWidget(0, 4)
        self.fields.setHorizontalHeaderLabels([tr("模型字段"), tr("中文名"), tr("来源字段"), tr("匹配方式")])
        self.fields.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.fields.setEditTriggers(QAbstractItemView.NoEditTriggers)  # the source column is picked from a list
        lay.addWidget(self.fields, 2)

        row = QHBoxLayout()
        row.addWidget(QLabel(tr("输出一张图包文件夹")))
        self.out_edit = QLineEdit()
        browse = QPushButton(tr("选择…"))
        browse.clicked.connect(self.choose_out)
        row.addWidget(self.out_edit, 1)
        row.addWidget(browse)
        lay.addLayout(row)

        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setMaximumBlockCount(2000)
        lay.addWidget(self.report, 1)

        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton(tr("导入"), QDialogButtonBox.AcceptRole)
        self.buttons.addButton(tr("关闭"), QDialogButtonBox.RejectRole)  # Qt's own "Close" is not translated
        self.import_button.clicked.connect(self.run_import)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

    # ------------------------------------------------------------------------------------------ files
    def choose_files(self) -> None:
        start = settings.value("import_last_dir") or str(Path.home())
        paths, _ = QFileDialog.getOpenFileNames(self, tr("选择要导入的文件"), start, FILE_FILTER)
        if paths:
            settings.set_value("import_last_dir", str(Path(paths[0]).parent))
            self.add_files(paths)

    def add_files(self, paths) -> JobTask:
        self.paths += [str(p) for p in paths if str(p) not in self.paths]
        return self.refresh()

    def remove_selected(self) -> None:
        gone = {self.rows[i.row()]["file"] for i in self.files.selectionModel().selectedRows()}
        self.paths = [p for p in self.paths if p not in gone]
        self.refresh()

    def choose_out(self) -> None:
        path = QFileDialog.getExistingDirectory(self, tr("输出一张图包文件夹"), self.out_edit.text() or str(Path.home()))
        if path:
            self.out_edit.setText(path)

    def refresh(self) -> JobTask:
        """Read the files in the background and fill the tables."""
        self.report.setPlainText(tr("正在读取文件……"))
        self.task = JobTask(tr("预览导入文件"), preview, list(self.paths), on_done=self._previewed,
                            on_error=lambda exc: self.report.setPlainText(one_line(exc)))
        return self.task.start()

    def _previewed(self, rows) -> None:
        self.rows = rows
        self.files.setRowCount(len(rows))
        layers = [""] + [s.name for s in model.LAYERS]
        for i, r in enumerate(rows):
            self.files.setItem(i, 0, QTableWidgetItem(r["label"]))
            combo = QComboBox()
            for name in layers:
                spec = model.LAYER_BY_NAME.get(name)
                combo.addItem(f"{spec.zh} {name}" if spec else tr("（不导入）"), name)
            combo.setCurrentIndex(max(0, combo.findData(r["target"] or "")))
            combo.currentIndexChanged.connect(lambda _i, row=i, c=combo: self._target_changed(row, c.currentData()))
            self.files.setCellWidget(i, 1, combo)
            self.files.setItem(i, 2, QTableWidgetItem(r["encoding"]))
            self.files.setItem(i, 3, QTableWidgetItem(r["crs"] or r["error"]))
            self.files.setItem(i, 4, QTableWidgetItem(self._match_text(r)))
        self.report.setPlainText(tr("{n} 个图层待导入。选择一行查看字段对照。").format(n=len(rows)))
        if rows:
            self.files.selectRow(0)

    def _match_text(self, r) -> str:
        spec = model.LAYER_BY_NAME.get(r["target"] or "")
        if spec is None:
            return ""
        found = sum(1 for f in spec.fields if f.name in r["mapping"])
        return f"{found}/{len(spec.fields)}"

    def _target_changed(self, row: int, target: str) -> None:
        from ..layers import fieldmap
        r = self.rows[row]
        r["target"] = target or None
        r["forced"] = True
        r["mapping"], r["how"] = ({}, {}) if not target else fieldmap.match_fields(target, r["columns"])
        self.files.setItem(row, 4, QTableWidgetItem(self._match_text(r)))
        self.show_mapping()

    def show_mapping(self) -> None:
        rows = self.files.selectionModel().selectedRows() if self.files.selectionModel() else []
        r = self.rows[rows[0].row()] if rows and rows[0].row() < len(self.rows) else None
        table = mapping_rows(r["target"], r["mapping"], r["how"]) if r else []
        self.fields.setRowCount(len(table))
        for i, values in enumerate(table):
            for j, v in enumerate(values):
                if j == 2 and not str(v).startswith("="):
                    self.fields.setCellWidget(i, j, self._column_picker(r, values[0], str(v)))
                else:
                    self.fields.setItem(i, j, QTableWidgetItem(str(v)))

    def _column_picker(self, r: dict, field: str, current: str) -> QComboBox:
        """The file's columns to pick from for one model field (e.g. a shapefile's cut ``shelter_cl``)."""
        box = QComboBox()
        box.addItem(tr("（不导入）"), "")
        for column in r["columns"]:
            box.addItem(column, column)
        box.setCurrentIndex(max(0, box.findData(current)))
        box.currentIndexChanged.connect(lambda _i, b=box, row=r, f=field: self.pick_column(row, f, b.currentData()))
        return box

    def pick_column(self, r: dict, field: str, column: str) -> None:
        """The user's choice of source column for ``field`` wins over what was matched, on import too."""
        for other, source in list(r["mapping"].items()):  # one column feeds one field
            if source == column and other != field and column:
                r["mapping"].pop(other)
                r["how"].pop(other, None)
        if column:
            r["mapping"][field], r["how"][field] = column, tr("手选")
        else:
            r["mapping"].pop(field, None)
            r["how"][field] = tr("手选")
        r.setdefault("picked", {})[field] = column
        row = self.rows.index(r)
        self.files.setItem(row, 4, QTableWidgetItem(self._match_text(r)))

    def user_mapping(self) -> dict:
        """{layer: {source column: model field}} of the columns picked by hand, for the importer."""
        out: dict = {}
        for r in self.rows:
            for field, column in (r.get("picked") or {}).items():
                if column and r["target"]:
                    out.setdefault(r["target"], {})[column] = field
        return out

    # ------------------------------------------------------------------------------------------ import
    def layer_for(self) -> list:
        """FILE=LAYER for the files whose layer the user chose (single-layer files only)."""
        out = []
        for r in self.rows:
            if r.get("forced") and r["target"] and Path(r["file"]).name == r["label"]:
                out.append(f"{r['file']}={r['target']}")
        return out

    def run_import(self) -> Optional[JobTask]:
        out = self.out_edit.text().strip()
        if not self.paths or not out:
            self.report.setPlainText(tr("请先添加文件并选择输出文件夹。"))
            return None
        self.import_button.setEnabled(False)
        self.report.setPlainText(tr("正在导入……进度见窗口底部的任务栏，可在那里取消。"))
        self.task = JobTask(tr("导入数据为一张图包"), "risk_one_map.layers.importer:import_sources", list(self.paths),
                            out, layer_for=self.layer_for(), mapping=self.user_mapping() or None,
                            on_done=self._imported, on_error=self._failed)
        return self.task.start()

    def _imported(self, report) -> None:
        self.import_button.setEnabled(True)
        self.report.setPlainText(report.summary())
        settings.remember_package(report.out)
        if self.loader is not None:
            try:
                self.loader(str(report.out))
            except Exception as exc:  # noqa: BLE001
                self.report.appendPlainText(one_line(exc))
        if self.iface is not None:
            c = report.counts()
            self.iface.messageBar().pushMessage(
                tr("导入数据"), tr("已导入：保留 {k}，修复 {r}，拒绝 {x}。").format(
                    k=c["kept"], r=c["repaired"], x=c["rejected"]), Qgis.Success, 10)

    def _failed(self, exc) -> None:
        self.import_button.setEnabled(True)
        self.report.setPlainText(one_line(exc))
        if self.iface is not None:
            self.iface.messageBar().pushMessage(tr("导入数据"), one_line(exc), Qgis.Critical, 10)
