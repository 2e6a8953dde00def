"""Processing: check a one-map package against the model (same checker as `risk-one-map check`)."""
from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputBoolean, QgsProcessingOutputNumber, QgsProcessingOutputString, QgsProcessingParameterFile,
)

from .base import RiskOneMapAlgorithm, user_errors


class CheckPackageAlgorithm(RiskOneMapAlgorithm):
    PACKAGE = "PACKAGE"
    REPORT = "REPORT"
    VALID = "VALID"
    ERRORS = "ERRORS"
    WARNINGS = "WARNINGS"

    NAME = "checkpackage"
    DISPLAY = "检查一张图包 Check package"
    FEATURE = "check"
    HELP = ("检查一张图包（onemap.gpkg、population.tif、dem.tif）是否符合数据模型：必需图层、字段、取值、几何、坐标系、"
            "行政区划嵌套与编码引用。每个问题都指明文件、图层、要素和字段。<br>"
            "Validates a package folder against the one-map model; every problem names the file, layer, feature and "
            "field. Outputs the report text, whether the package is valid (no errors) and the error/warning counts.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(self.PACKAGE, "一张图包文件夹 Package folder",
                                                     behavior=QgsProcessingParameterFile.Folder))
        self.addOutput(QgsProcessingOutputString(self.REPORT, "检查报告 Report"))
        self.addOutput(QgsProcessingOutputBoolean(self.VALID, "无错误 Valid"))
        self.addOutput(QgsProcessingOutputNumber(self.ERRORS, "错误数 Errors"))
        self.addOutput(QgsProcessingOutputNumber(self.WARNINGS, "警告数 Warnings"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..layers.check import check_package
        path = self.parameterAsFile(parameters, self.PACKAGE, context)
        with user_errors():
            report = check_package(path)
        text = report.format()
        for line in text.splitlines():
            if line.startswith("ERROR"):
                feedback.reportError(line, False)
            elif line.startswith("WARNING"):
                feedback.pushWarning(line)
            else:
                feedback.pushInfo(line)
        feedback.setProgress(100)
        return {self.REPORT: text, self.VALID: not report.errors, self.ERRORS: len(report.errors),
                self.WARNINGS: len(report.warnings)}
