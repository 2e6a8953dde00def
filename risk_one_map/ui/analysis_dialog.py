"""Analyst dialogs: exposure, evacuation, depot siting, with editable defaults, each labelled with its source.

A small form per analysis: the package, the options of the job, and the adjustable defaults of
``model.DEFAULTS`` (radii, walking speeds, reach times ...), each with the norm it comes from or
"默认值 default（可修改）" where no norm was found. 运行 runs the job (risk_one_map.jobs, the CLI's path) as a
background task; when it is done the message bar gives the summary and the output layers are added to the map,
styled. The dialog computes nothing itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from qgis.core import Qgis
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                                 QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea, QSpinBox, QVBoxLayout,
                                 QWidget)

from .. import settings
from ..i18n import tr
from ..layers import model
from .tasks import JobTask, one_line, push_success


@dataclass
class Choice:
    key: str
    label: str
    options: list  # [(value, label)]


@dataclass
class Number:
    key: str
    label: str
    value: float
    minimum: float = 0.0
    maximum: float = 1e9
    decimals: int = 0
    zero_is_none: bool = False


@dataclass
class Check:
    key: str
    label: str
    value: bool = True


@dataclass
class Default:
    """An adjustable default of model.DEFAULTS; ``into``/``sub`` put it into a dict argument (radii, reach_hours)."""
    name: str
    into: str = ""
    sub: str = ""


@dataclass
class Analysis:
    key: str
    title: str
    job: str  # "module:function"
    outputs: tuple
    fields: list = field(default_factory=list)
    fixed: tuple = ()  # model.DEFAULTS shown read-only (the job reads them itself)


def analyses() -> dict:
    """The three analyses, their options and defaults (labels translated at call time)."""
    return {
        "exposure": Analysis("exposure", tr("人口暴露分析"), "risk_one_map.jobs.exposure:run",
                             ("exposure_villages",), [
                                 Choice("mode", tr("计算方式"), [("exact", tr("精确（按面积比例）")),
                                                               ("fast", tr("快速（按格网中心）"))]),
                                 Choice("source", tr("人口来源"), [("auto", tr("自动")), ("raster", tr("人口格网")),
                                                               ("households", tr("住户点")),
                                                               ("villages", tr("村人口表（按面积）"))]),
                                 Check("charts", tr("绘制乡镇柱状图"), True)]),
        "evacuation": Analysis("evacuation", tr("转移避险分析"), "risk_one_map.jobs.evacuation:run",
                               ("evacuation_zones", "evacuation_routes", "shelter_load", "unserved"), [
                                   Default("walk_kmh"), Default("walk_kmh_vulnerable"), Default("max_leg_m"),
                                   *[Default(f"evac_radius_{k}_m", "radii", k) for k in model.GEOHAZARD_KINDS],
                                   Default("evac_radius_flood_lowpoint_m", "radii", "flood_lowpoint"),
                                   Number("max_walk_m", tr("最远步行距离（米，0 = 不限）"), 0, 0, 100000,
                                          zero_is_none=True)],
                               fixed=("m2_per_person_emergency", "m2_per_person_fixed", "radius_emergency_m",
                                      "radius_fixed_m")),
        "siting": Analysis("siting", tr("物资储备点选址"), "risk_one_map.jobs.siting:run",
                           ("depot_sites", "depot_allocation"), [
                               Choice("model", tr("模型"), [("pmedian", tr("P-中位：总加权时间最短")),
                                                           ("mclp", tr("最大覆盖：时限内覆盖人口最多")),
                                                           ("lscp", tr("集合覆盖：最少新增点覆盖全部")),
                                                           ("pcenter", tr("P-中心：最远时间最短"))]),
                               Number("k", tr("新增储备点数"), 3, 0, 1000),
                               Number("max_minutes", tr("时限（分钟，0 = 县级时限）"), 0, 0, 100000,
                                      zero_is_none=True),
                               Choice("demand", tr("需求"), [("population", tr("常住人口")),
                                                            ("exposure", tr("1-3级风险暴露人口"))]),
                               Check("keep_existing", tr("保留现有储备点"), True),
                               Default("depot_reach_county_h", "reach_hours", "county"),
                               Default("depot_reach_city_h", "reach_hours", "city"),
                               Default("depot_reach_province_h", "reach_hours", "province"),
                               Check(PRINT_SHEET, tr("完成后打印县域选址图（A3 PDF）"), True)]),
    }


# A dialog option, not a job argument: the siting dialog prints the county depot sheet when the siting is done.
PRINT_SHEET = "print_sheet"
DEPOT_SHEET_DIR = "atlas"  # beside the village sheets the dock prints
DEPOT_SHEET_NAME = "depot_map.pdf"


def status_box(height: int):
    """(label, its scroll area): the dialog's result text, selectable; a long result scrolls in its own box
    instead of growing the dialog past the package row."""
    label = QLabel("")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.NoFrame)
    scroll.setMaximumHeight(height)
    scroll.setWidget(label)
    return label, scroll


def source_label(d: model.Default) -> str:
    """Where a default comes from: the norm, or that it is this project's adjustable default."""
    return d.source if d.is_norm else tr("默认值 default（可修改）")


class AnalysisDialog(QDialog):
    def __init__(self, iface, key: str, package=None, parent=None):
        super().__init__(parent or (iface.mainWindow() if iface is not None else None))
        self.iface = iface
        self.analysis = analyses()[key]
        self.widgets = {}
        self.task: Optional[JobTask] = None
        self.setWindowTitle(self.analysis.title)
        self.setMinimumWidth(760)  # the labels, their values and where each default comes from, uncut
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.package_edit = QLineEdit(str(package or settings.current_package() or ""))
        browse = QPushButton(tr("选择…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.package_edit, 1)
        row.addWidget(browse)
        holder = QWidget()
        holder.setLayout(row)
        form.addRow(tr("一张图数据包"), holder)
        for spec in self.analysis.fields:
            form.addRow(*self._row(spec))
        for name in self.analysis.fixed:
            d = model.DEFAULTS[name]
            form.addRow(f"{d.zh}（{d.unit}）", QLabel(f"{d.value:g}    {source_label(d)}"))
        lay.addLayout(form)
        self.status, scroll = status_box(150)
        lay.addWidget(scroll)
        self.buttons = QDialogButtonBox()
        self.run_button = self.buttons.addButton(tr("运行"), QDialogButtonBox.AcceptRole)
        self.buttons.addButton(tr("关闭"), QDialogButtonBox.RejectRole)  # Qt's own "Close" is not translated
        self.run_button.clicked.connect(self.run)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, tr("选择一张图包文件夹"), self.package_edit.text())
        if path:
            self.package_edit.setText(path)

    def _row(self, spec):
        if isinstance(spec, Choice):
            w = QComboBox()
            for value, label in spec.options:
                w.addItem(label, value)
            self.widgets[spec.key] = (spec, w)
            return spec.label, w
        if isinstance(spec, Check):
            w = QCheckBox()
            w.setChecked(spec.value)
            self.widgets[spec.key] = (spec, w)
            return spec.label, w
        if isinstance(spec, Number):
            w = QDoubleSpinBox() if spec.decimals else QSpinBox()
            if spec.decimals:
                w.setDecimals(spec.decimals)
            w.setRange(spec.minimum, spec.maximum)
            w.setValue(spec.value)
            self.widgets[spec.key] = (spec, w)
            return spec.label, w
        d = model.DEFAULTS[spec.name]
        w = QDoubleSpinBox()
        w.setDecimals(2)
        w.setRange(0.01, 1e6)
        w.setValue(float(d.value))
        w.setToolTip(source_label(d))
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(w)
        src = QLabel(source_label(d))
        src.setObjectName(f"source_{spec.name}")
        row.addWidget(src, 1)
        self.widgets[spec.name] = (spec, w)
        return f"{d.zh}（{d.unit}）", holder

    # ------------------------------------------------------------------------------------------ values
    def arguments(self) -> dict:
        """Keyword arguments for the job from the form (defaults left unchanged are not passed)."""
        kwargs = {}
        for key, (spec, w) in self.widgets.items():
            if isinstance(spec, Choice):
                kwargs[key] = w.currentData()
            elif isinstance(spec, Check):
                kwargs[key] = w.isChecked()
            elif isinstance(spec, Number):
                v = w.value()
                kwargs[key] = None if spec.zero_is_none and v == 0 else v
            else:
                d = model.DEFAULTS[spec.name]
                v = float(w.value())
                if spec.into:
                    if abs(v - float(d.value)) > 1e-9:
                        kwargs.setdefault(spec.into, {})[spec.sub] = v
                else:
                    kwargs[spec.name] = v
        if self.analysis.key == "siting" and kwargs.get("model") == "lscp":
            kwargs["k"] = None
        kwargs.pop(PRINT_SHEET, None)
        return kwargs

    def print_sheet(self) -> bool:
        """True when the dialog should print the depot sheet once the siting is done."""
        item = self.widgets.get(PRINT_SHEET)
        return bool(item and item[1].isChecked())

    def sheet_path(self) -> Path:
        return self.package() / DEPOT_SHEET_DIR / DEPOT_SHEET_NAME

    def package(self) -> Path:
        return Path(self.package_edit.text().strip())

    # ------------------------------------------------------------------------------------------ run
    def run(self) -> Optional[JobTask]:
        pkg = self.package()
        if not (pkg / model.GPKG_NAME).is_file():
            self.status.setText(tr("这个文件夹不是一张图包（缺少 onemap.gpkg）：{path}").format(path=pkg))
            return None
        settings.remember_package(pkg)
        self.run_button.setEnabled(False)
        self.status.setText(tr("正在计算……进度见窗口底部的任务栏，可在那里取消。"))
        self.task = JobTask(self.analysis.title, self.analysis.job, str(pkg), on_done=self._done,
                            on_error=self._failed, **self.arguments())
        return self.task.start()

    def _done(self, result) -> None:
        from ..qgis_glue.outputs import add_outputs
        self.run_button.setEnabled(True)
        from qgis.core import QgsMessageLog
        from .result_text import result_lines
        for line in (result.summary_lines() if hasattr(result, "summary_lines") else []):
            QgsMessageLog.logMessage(line, tr("风险隐患一张图"), Qgis.Info)  # the full account, for the log
        lines = result_lines(self.analysis.key, result)
        self.status.setText("\n".join(lines[:8]))
        added = add_outputs(self.package(), self.analysis.outputs)
        if self.analysis.key == "siting":
            self._add_depot_layouts()
        warning = result.implausible() if hasattr(result, "implausible") else ""
        if warning:  # before anyone prints it: a plan that moves a district is likely a data problem
            self.status.setText(tr("请先核对：须撤离人口占比异常。") + "\n" + self.status.text())
        if self.iface is not None:
            self.iface.messageBar().pushMessage(
                self.analysis.title, tr("完成，已加载 {n} 个结果图层。").format(n=len(added))
                + (" " + lines[0] if lines else ""), Qgis.Warning if warning else Qgis.Success, 0 if warning else 10)
        if self.print_sheet():
            self.print_depot_sheet()

    def _add_depot_layouts(self) -> None:
        """The depot sheet layouts (A3, A4) into the open project, for the layout designer."""
        from qgis.core import QgsProject
        from ..atlas.depot_sheet import add_depot_layouts
        from ..errors import RiskOneMapError
        try:
            add_depot_layouts(QgsProject.instance(), self.package())
        except RiskOneMapError as exc:
            self.status.setText(self.status.text() + "\n" + one_line(exc))

    def print_depot_sheet(self) -> JobTask:
        """The county depot sheet of the siting just done (the CLI's `depot-map`), printed in the background."""
        self.run_button.setEnabled(False)
        self.status.setText(self.status.text() + "\n" + tr("正在打印县域选址图……"))
        self.task = JobTask(tr("打印县域选址图"), "risk_one_map.atlas.depot_sheet:export_depot_sheet",
                            str(self.package()), str(self.sheet_path()), on_done=self._printed,
                            on_error=self._failed, qgis_objects=True)
        return self.task.start()

    def _printed(self, result) -> None:
        self.run_button.setEnabled(True)
        text = tr("已打印县域选址图：{file}").format(file=self.sheet_path())
        self.status.setText(self.status.text().replace(tr("正在打印县域选址图……"), text))
        if self.iface is not None:
            push_success(self.iface, self.analysis.title, text, self.sheet_path().parent)

    def _failed(self, exc) -> None:
        self.run_button.setEnabled(True)
        self.status.setText(one_line(exc))
        if self.iface is not None:
            self.iface.messageBar().pushMessage(self.analysis.title, one_line(exc), Qgis.Critical, 10)
