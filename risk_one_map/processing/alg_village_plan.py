"""Processing algorithms 'riskonemap:villageplan' (村应急预案、应急处置卡) and 'riskonemap:drill' (演练): thin doors
over risk_one_map.atlas.plan_map (plans and cards) and risk_one_map.jobs.drill."""
from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputFolder, QgsProcessingOutputString, QgsProcessingParameterBoolean, QgsProcessingParameterEnum,
    QgsProcessingParameterFile, QgsProcessingParameterFolderDestination, QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..layers import model
from .base import RiskOneMapAlgorithm, add_package_parameter, say_lines, user_errors, wire_feedback

LEVELS = ("红", "橙", "黄", "蓝")


def _codes(text: str) -> list:
    return [c.strip() for c in (text or "").replace("，", ",").replace(" ", ",").split(",") if c.strip()]


class VillagePlanAlgorithm(RiskOneMapAlgorithm):
    NAME = "villageplan"
    DISPLAY = "村应急预案与处置卡 Village emergency plan and role cards"
    GROUP = "出图 Print"
    GROUP_ID = "print"
    FEATURE = "analysis"  # the 包保 pairing needs scipy
    HELP = ("按一张图包为每个村写简明应急预案（A4，附本村一张图的地图）和重点岗位应急处置卡（A5，两张一页，剪开用）："
            "本村风险、组织与职责、预警信号、各灾种何时转移、谁转移、去哪里、老弱病残的包保责任人、预计转移完成时间、"
            "避难场所、物资和上级联系人。包里缺的内容写成【待补】，不会编造。同时把包保关系写入 helpers 图层（可在 QGIS "
            "中修改，下次保留），把预计转移完成时间写入 clearance_villages、clearance_townships。每人包保户数、准备时间、"
            "步行速度为可调整的默认值。<br>A short emergency plan (A4, with the village sheet's map) and role cards "
            "(A5, two per page) per village, from the package; gaps are written as gaps. Also writes the editable "
            "helpers (包保) table and the clearance times into the package.")
    PACKAGE, VILLAGES, TOWNSHIP, PLAN, CARDS, CAPACITY, PREP, OUTPUT = (
        "PACKAGE", "VILLAGES", "TOWNSHIP", "PLAN", "CARDS", "CAPACITY", "PREP_MIN", "OUTPUT")
    SUMMARY = "SUMMARY"

    def initAlgorithm(self, config=None):  # noqa: N802
        d = model.DEFAULTS
        add_package_parameter(self)
        self.addParameter(QgsProcessingParameterString(self.VILLAGES, "村代码（逗号分隔，空为全部） Village codes",
                                                       optional=True))
        self.addParameter(QgsProcessingParameterString(self.TOWNSHIP, "乡镇代码 Township code", optional=True))
        self.addParameter(QgsProcessingParameterBoolean(self.PLAN, "应急预案 Plan", defaultValue=True))
        self.addParameter(QgsProcessingParameterBoolean(self.CARDS, "应急处置卡 Role cards", defaultValue=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.CAPACITY, "每名包保人最多包保户数（默认值） Households per helper (default)",
            QgsProcessingParameterNumber.Integer, defaultValue=d["helper_capacity"].value, minValue=1, maxValue=100))
        self.addParameter(QgsProcessingParameterNumber(
            self.PREP, "接到预警后准备时间，分钟（默认值） Preparation after the warning, min (default)",
            QgsProcessingParameterNumber.Double, defaultValue=d["prep_min"].value, minValue=0, maxValue=600))
        self.addParameter(QgsProcessingParameterFolderDestination(self.OUTPUT, "输出文件夹 Output folder"))
        self.addOutput(QgsProcessingOutputFolder(self.OUTPUT, "输出文件夹 Output folder"))
        self.addOutput(QgsProcessingOutputString(self.SUMMARY, "摘要 Summary"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..atlas.plan_map import print_cards, print_plans
        package = self.parameterAsFile(parameters, self.PACKAGE, context)
        out = self.parameterAsString(parameters, self.OUTPUT, context)
        options = dict(villages=_codes(self.parameterAsString(parameters, self.VILLAGES, context)) or None,
                       township=(self.parameterAsString(parameters, self.TOWNSHIP, context) or "").strip() or None,
                       capacity=self.parameterAsInt(parameters, self.CAPACITY, context),
                       prep_min=self.parameterAsDouble(parameters, self.PREP, context))
        progress, cancelled = wire_feedback(feedback)
        lines = []
        with user_errors():
            if self.parameterAsBoolean(parameters, self.PLAN, context):
                res = print_plans(package, out, progress=progress, cancelled=cancelled, **options)
                lines += res.summary_lines() + [f"written: {p}" for p in res.files]
            if self.parameterAsBoolean(parameters, self.CARDS, context):
                res = print_cards(package, out, progress=progress, cancelled=cancelled, **options)
                lines += [f"written: {p}" for p in res.files[1:]]
        return {self.OUTPUT: out, self.SUMMARY: say_lines(feedback, lines)}


class DrillAlgorithm(RiskOneMapAlgorithm):
    NAME = "drill"
    DISPLAY = "演练方案与评估 Drill plan and evaluation"
    GROUP = "出图 Print"
    GROUP_ID = "print"
    FEATURE = "analysis"
    HELP = ("不给演练记录时：为一个村生成演练方案（情景、时间线、岗位、检查清单、须通知的住户和计划到达时间、以预计转移完成"
            "时间定的目标），记入数据包的 drills、drill_records，并输出 演练方案 PDF 和 演练记录表 CSV。演练后给出填好的"
            "演练记录表（CSV/XLSX，分钟或 时:分）：评估通知到/未通知到、实际与计划时间、卡点（地图），输出 演练评估 PDF。"
            "<br>Without a record: a drill plan for the village, kept in the package, with its PDF and the record "
            "sheet to fill in. With the filled-in record: the evaluation (reached, actual against planned, "
            "bottlenecks on a map).")
    PACKAGE, VILLAGE, HAZARD, LEVEL, START, RECORD, OUTPUT, SUMMARY = (
        "PACKAGE", "VILLAGE", "HAZARD", "LEVEL", "START", "RECORD", "OUTPUT", "SUMMARY")

    def initAlgorithm(self, config=None):  # noqa: N802
        add_package_parameter(self)
        self.addParameter(QgsProcessingParameterString(self.VILLAGE, "村代码 Village code"))
        self.addParameter(QgsProcessingParameterEnum(
            self.HAZARD, "灾种 Hazard", options=[f"{h.zh} {h.key}" for h in model.HAZARD_TYPES], defaultValue=3))
        self.addParameter(QgsProcessingParameterEnum(self.LEVEL, "预警颜色 Warning level", options=list(LEVELS),
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterString(self.START, "演练开始时间（如 2026-06-01 09:00） Start",
                                                       optional=True))
        self.addParameter(QgsProcessingParameterFile(self.RECORD, "填好的演练记录表（评估时） Filled-in record",
                                                     fileFilter="CSV/Excel (*.csv *.xlsx)", optional=True))
        self.addParameter(QgsProcessingParameterFolderDestination(self.OUTPUT, "输出文件夹 Output folder"))
        self.addOutput(QgsProcessingOutputFolder(self.OUTPUT, "输出文件夹 Output folder"))
        self.addOutput(QgsProcessingOutputString(self.SUMMARY, "摘要 Summary"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..jobs import drill
        package = self.parameterAsFile(parameters, self.PACKAGE, context)
        village = self.parameterAsString(parameters, self.VILLAGE, context).strip()
        record = self.parameterAsFile(parameters, self.RECORD, context)
        out = self.parameterAsString(parameters, self.OUTPUT, context)
        progress, cancelled = wire_feedback(feedback)
        with user_errors():
            if record:
                res = drill.record_drill(package, village, record=record, out_dir=out, progress=progress,
                                         cancelled=cancelled)
            else:
                hazard = model.HAZARD_TYPES[self.parameterAsEnum(parameters, self.HAZARD, context)].key
                level = LEVELS[self.parameterAsEnum(parameters, self.LEVEL, context)]
                start = (self.parameterAsString(parameters, self.START, context) or "").strip() or None
                res = drill.plan_drill(package, village, hazard, level, out_dir=out, start=start,
                                       progress=progress, cancelled=cancelled)
        return {self.OUTPUT: out, self.SUMMARY: say_lines(feedback, res.summary_lines()
                                                        + [f"written: {p}" for p in res.files])}
