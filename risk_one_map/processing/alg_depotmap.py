"""Processing algorithm 'riskonemap:depotmap': a thin wrapper over risk_one_map.atlas.depot_sheet."""
from __future__ import annotations

from qgis.core import (
    QgsProcessingAlgorithm, QgsProcessingOutputNumber, QgsProcessingParameterBoolean, QgsProcessingParameterEnum,
    QgsProcessingParameterFileDestination, QgsProcessingParameterString,
)

from .base import RiskOneMapAlgorithm, add_package_parameter, say_lines, user_errors, wire_feedback


class DepotMapAlgorithm(RiskOneMapAlgorithm):
    NAME = "depotmap"
    DISPLAY = "应急物资储备点选址图 Depot siting map"
    GROUP = "出图 Print"
    GROUP_ID = "print"
    HELP = ("全县一张应急物资储备点选址图（先运行“应急物资储备点选址”）：各村按到储备点的车程分色、道路、乡镇界和名称、"
            "分配连线、现有储备点和新选点、图例、比例尺、指北针、储备点表（服务的村和人口、平均和最远车程），"
            "以及用平常话写的求解结果（是否最优、与 2024 年指导意见 6/8/10 小时到达要求的对照）。A3 或 A4 横版 PDF。<br>"
            "One sheet for the whole county from the results of 'Supply depot siting' (run it first): villages "
            "shaded by drive minutes to their depot, roads, township boundaries and names, allocation lines, "
            "existing depots and new sites with their names, legend, scale bar, north arrow, the table of depots "
            "(villages and people served, mean and worst drive minutes) and the solver's result in plain words "
            "(objective, bound, gap; the 2024 guidance's 6 h / 8 h / 10 h reach check). A3 or A4 landscape PDF.")

    PACKAGE = "PACKAGE"
    PAGE = "PAGE"
    PNG = "PNG"
    UNIT = "UNIT"
    OUTPUT = "OUTPUT"
    DEPOTS = "DEPOTS"
    PAGES = ("A3", "A4")
    PAGE_LABELS = ("A3 横版 A3 landscape", "A4 横版 A4 landscape")

    def initAlgorithm(self, config=None):  # noqa: N802
        add_package_parameter(self)
        self.addParameter(QgsProcessingParameterEnum(self.PAGE, "纸张 Page", options=list(self.PAGE_LABELS),
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterBoolean(self.PNG, "PNG 预览 PNG preview", defaultValue=False))
        self.addParameter(QgsProcessingParameterString(self.UNIT, "编制单位 Compiling unit", optional=True))
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT, "输出 PDF Output PDF",
                                                                fileFilter="PDF (*.pdf)"))
        self.addOutput(QgsProcessingOutputNumber(self.DEPOTS, "储备点数 Depots"))

    def flags(self):
        # One page in a few seconds: QGIS runs it on the main thread, where layouts may be printed.
        return super().flags() | QgsProcessingAlgorithm.FlagNoThreading

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..atlas.depot_sheet import export_depot_sheet
        package = self.parameterAsFile(parameters, self.PACKAGE, context)
        out = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        unit = (self.parameterAsString(parameters, self.UNIT, context) or "").strip() or None
        page = self.PAGES[self.parameterAsEnum(parameters, self.PAGE, context)]
        progress, cancelled = wire_feedback(feedback)
        with user_errors():
            res = export_depot_sheet(package, out, page=page, compile_unit=unit, progress=progress, cancelled=cancelled,
                                     png=self.parameterAsBoolean(parameters, self.PNG, context))
        say_lines(feedback, res.summary_lines())
        return {self.OUTPUT: str(res.pdf), self.DEPOTS: res.depots}
