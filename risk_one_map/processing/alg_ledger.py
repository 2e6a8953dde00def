"""Processing algorithms 'riskonemap:ledger' and 'riskonemap:ledgerimport' (隐患排查治理台账): thin doors over
risk_one_map.jobs.ledger, the same functions as `risk-one-map ledger`."""
from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputFile, QgsProcessingOutputFolder, QgsProcessingOutputNumber, QgsProcessingOutputString,
    QgsProcessingParameterFile, QgsProcessingParameterFileDestination, QgsProcessingParameterString,
)

from .base import RiskOneMapAlgorithm, add_package_parameter, say_lines, user_errors, wire_feedback

GROUP, GROUP_ID = "隐患排查治理 Hazard ledger and patrols", "ledger"


class LedgerAlgorithm(RiskOneMapAlgorithm):
    NAME = "ledger"
    DISPLAY = "导出隐患排查治理台账 Hazard ledger workbook"
    GROUP, GROUP_ID, FEATURE = GROUP, GROUP_ID, "analysis"
    HELP = ("把数据包中的隐患台账（台账点位、地质灾害隐患点、低洼易涝点及其治理记录）写成一个 Excel 工作簿：汇总表（按状态、"
            "乡镇、灾种、行业领域计数）、全部隐患，以及分区域（每个乡镇）、分灾种、分行业领域的分表；表头冻结、可筛选，"
            "逾期未整改的行标红。Excel 和 WPS 均可打开。<br>Writes the package's hazard ledger as one workbook: a "
            "summary, all hazards, and one sheet per township, hazard kind and sector, overdue rows in red.")
    PACKAGE, OUT, OUTPUT, SUMMARY = "PACKAGE", "OUT", "OUTPUT", "SUMMARY"

    def initAlgorithm(self, config=None):  # noqa: N802
        add_package_parameter(self)
        self.addParameter(QgsProcessingParameterFileDestination(self.OUT, "台账工作簿 Ledger workbook",
                                                                fileFilter="Excel (*.xlsx)"))
        self.addOutput(QgsProcessingOutputString(self.SUMMARY, "摘要 Summary"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..jobs.ledger import export
        package = self.parameterAsFile(parameters, self.PACKAGE, context)
        out = self.parameterAsFileOutput(parameters, self.OUT, context)
        progress, cancelled = wire_feedback(feedback)
        with user_errors():
            result = export(package, out, progress=progress, cancelled=cancelled)
        return {self.OUT: str(out), self.SUMMARY: say_lines(feedback, result.summary_lines())}


class LedgerImportAlgorithm(RiskOneMapAlgorithm):
    NAME = "ledgerimport"
    DISPLAY = "导入修改后的台账工作簿 Import an edited ledger workbook"
    GROUP, GROUP_ID, FEATURE = GROUP, GROUP_ID, "analysis"
    HELP = ("读回按“导出隐患排查治理台账”格式填写的工作簿：治理状态、措施、责任单位和责任人、整改时限等修改写入数据包的"
            "治理记录，每次状态变更都记入变更记录表（不覆盖）。不允许的状态变更（未整改就销号）、不可识别的填写、同一隐患在"
            "不同分表中改得不一样，都列在报告中且不导入。报告另存为数据包中的 台账导入报告.txt。<br>Reads an edited "
            "ledger workbook back into the package: changes applied, every status change kept in the history, "
            "refused and conflicting rows reported and left as they were.")
    PACKAGE, WORKBOOK, BY = "PACKAGE", "WORKBOOK", "BY"
    OUTPUT_PACKAGE, SUMMARY, CHANGES = "OUTPUT_PACKAGE", "SUMMARY", "CHANGES"

    def initAlgorithm(self, config=None):  # noqa: N802
        add_package_parameter(self)
        self.addParameter(QgsProcessingParameterFile(self.WORKBOOK, "台账工作簿 Ledger workbook",
                                                     fileFilter="Excel (*.xlsx)"))
        self.addParameter(QgsProcessingParameterString(self.BY, "修改人 Changed by", defaultValue="台账表格"))
        self.addOutput(QgsProcessingOutputFolder(self.OUTPUT_PACKAGE, "一张图数据包 Package"))
        self.addOutput(QgsProcessingOutputString(self.SUMMARY, "导入报告 Report"))
        self.addOutput(QgsProcessingOutputNumber(self.CHANGES, "变更项数 Changes"))
        self.addOutput(QgsProcessingOutputFile("REPORT", "报告文件 Report file"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..jobs.ledger import import_workbook
        package = self.parameterAsFile(parameters, self.PACKAGE, context)
        progress, cancelled = wire_feedback(feedback)
        with user_errors():
            result = import_workbook(package, self.parameterAsFile(parameters, self.WORKBOOK, context),
                                     changed_by=self.parameterAsString(parameters, self.BY, context) or "台账表格",
                                     progress=progress, cancelled=cancelled)
        return {self.OUTPUT_PACKAGE: package, self.SUMMARY: say_lines(feedback, result.summary_lines()), self.CHANGES: len(result.changes),
                "REPORT": str(result.files[-1])}
