"""Processing algorithm 'riskonemap:warning' (预警叫应): a thin door over risk_one_map.jobs.warning."""
from __future__ import annotations

from qgis.core import (
    QgsProcessingException, QgsProcessingOutputFolder, QgsProcessingOutputNumber, QgsProcessingOutputString,
    QgsProcessingParameterEnum, QgsProcessingParameterFile, QgsProcessingParameterFolderDestination,
    QgsProcessingParameterString, QgsProcessingParameterVectorLayer, QgsProcessing,
)

from ..layers import model
from .base import RiskOneMapAlgorithm, add_package_parameter, say_lines, user_errors, wire_feedback

LEVELS = ("红", "橙", "黄", "蓝")
HAZARDS = ("",) + tuple(h.key for h in model.HAZARD_TYPES)


class WarningAlgorithm(RiskOneMapAlgorithm):
    NAME = "warning"
    DISPLAY = "预警叫应 Warning call list"
    GROUP = "分析 Analysis"
    GROUP_ID = "analysis"
    FEATURE = "analysis"
    HELP = ("把一条预警（CAP 1.2 文件，或乡镇/村代码、预警范围图层加预警颜色和灾种）变成叫应名单：涉及哪些村，"
            "哪些住户在该灾种危险区或相应等级风险区内须立即转移或告知（老弱病残优先），开放哪些避难场所，"
            "按顺序先给谁打电话（无人可叫应的村最先列出，再是村干部、网格员、监测员、场所管理员，最后由网格员逐户叫应户主），"
            "附电话和短信内容；谁打给谁按 model.CALL_TREE 或图包中的 call_roles 表。"
            "写入 onemap.gpkg 的 warning_area、warning_villages、warning_households、warning_calls 和叫应记录 "
            "call_log；指定输出文件夹时另写 叫应名单.csv/.xlsx、住户转移清单.csv、叫应摘要.txt 和各乡镇 A4 叫应单 PDF。"
            "<br>Turns a warning (a CAP 1.2 file, or township/village codes or an area layer with a colour and a "
            "hazard) into the call list: villages reached, households to move or tell (vulnerable first), shelters "
            "to open, and who to call in what order (down to the household heads, by their grid worker) with phone and "
            "SMS text. Writes the warning_* layers and the call_log table into onemap.gpkg, and with an output folder "
            "the CSV/XLSX call lists, a summary and one A4 call sheet PDF per township.")
    PACKAGE, CAP, CODES, AREA, LEVEL, HAZARD, OUT = "PACKAGE", "CAP", "CODES", "AREA", "LEVEL", "HAZARD", "OUT"
    OUTPUT_PACKAGE, SUMMARY, MOVE, CALLS = "OUTPUT_PACKAGE", "SUMMARY", "MOVE_HOUSEHOLDS", "CALLS"

    def initAlgorithm(self, config=None):  # noqa: N802
        add_package_parameter(self)
        self.addParameter(QgsProcessingParameterFile(self.CAP, "CAP 预警文件 CAP warning file (XML)",
                                                     fileFilter="CAP (*.xml *.cap);;*.*", optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.CODES, "或：乡镇/村代码（空格或逗号分隔） Or: township/village codes", optional=True))
        self.addParameter(QgsProcessingParameterVectorLayer(
            self.AREA, "或：预警范围图层 Or: warned area layer", [QgsProcessing.TypeVectorPolygon], optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.LEVEL, "预警颜色（代码或范围时） Level (with codes or an area)", options=list(LEVELS),
            defaultValue=1))
        self.addParameter(QgsProcessingParameterEnum(
            self.HAZARD, "灾种（代码或范围时） Hazard (with codes or an area)",
            options=["（不指定） none"] + [f"{h.zh} {h.key}" for h in model.HAZARD_TYPES], defaultValue=4))
        self.addParameter(QgsProcessingParameterFolderDestination(
            self.OUT, "叫应名单输出文件夹 Folder for the call lists", optional=True))
        self.addOutput(QgsProcessingOutputFolder(self.OUTPUT_PACKAGE, "一张图数据包 Package"))
        self.addOutput(QgsProcessingOutputString(self.SUMMARY, "摘要 Summary"))
        self.addOutput(QgsProcessingOutputNumber(self.MOVE, "须转移户数 Households to move"))
        self.addOutput(QgsProcessingOutputNumber(self.CALLS, "电话数 Calls"))

    def _request(self, parameters, context) -> dict:
        """What the user gave, as jobs.warning.run_request takes it (the dialog's path too)."""
        from ..qgis_glue.areas import polygon_areas
        cap = self.parameterAsFile(parameters, self.CAP, context)
        if cap:
            return {"cap": cap}
        codes = self.parameterAsString(parameters, self.CODES, context).replace(",", " ").replace("，", " ").split()
        layer = self.parameterAsVectorLayer(parameters, self.AREA, context)
        areas = polygon_areas(layer.getFeatures(), layer.crs()) if layer is not None else []
        if not codes and not areas:
            raise QgsProcessingException("请给出 CAP 预警文件、乡镇/村代码或预警范围图层之一 "
                                         "(give a CAP file, codes or an area layer)")
        return {"codes": codes, "areas_wkb": areas, "level": LEVELS[self.parameterAsEnum(parameters, self.LEVEL, context)],
                "hazard": HAZARDS[self.parameterAsEnum(parameters, self.HAZARD, context)],
                "source": layer.name() if layer is not None else "codes"}

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..jobs.warning import run_request
        package = self.parameterAsFile(parameters, self.PACKAGE, context)
        out = self.parameterAsString(parameters, self.OUT, context) or None
        progress, cancelled = wire_feedback(feedback)
        with user_errors():
            res = run_request(package, **self._request(parameters, context), out_dir=out, progress=progress,
                              cancelled=cancelled)
        return {self.OUTPUT_PACKAGE: package, self.SUMMARY: say_lines(feedback, res.summary_lines()),
                self.MOVE: res.plan.stats.get("move_households", 0), self.CALLS: res.plan.stats.get("calls", 0)}
