"""Processing algorithm 'riskonemap:importdata': raw files -> a clean one-map package (same importer as
`risk-one-map import`), with the import report."""
from __future__ import annotations

from pathlib import Path

from qgis.core import (QgsProcessing, QgsProcessingException, QgsProcessingOutputFile, QgsProcessingOutputNumber,
                       QgsProcessingOutputString, QgsProcessingParameterBoolean, QgsProcessingParameterCrs,
                       QgsProcessingParameterEnum, QgsProcessingParameterFile,
                       QgsProcessingParameterFolderDestination, QgsProcessingParameterMultipleLayers,
                       QgsProcessingParameterString)

from .base import RiskOneMapAlgorithm, user_errors, wire_feedback


class ImportAlgorithm(RiskOneMapAlgorithm):
    INPUTS = "INPUTS"
    LAYERS = "LAYERS"
    MAPPING = "MAPPING"
    CRS = "CRS"
    ENCODING = "ENCODING"
    OVERWRITE = "OVERWRITE"
    OPEN = "OPEN"
    OUTPUT = "OUTPUT"
    REPORT = "REPORT"
    REPORT_CSV = "REPORT_CSV"
    KEPT = "KEPT"
    REPAIRED = "REPAIRED"
    REJECTED = "REJECTED"

    ENCODINGS = ("", "GB18030", "UTF-8", "Big5")
    ENCODING_LABELS = ("自动识别 Detect", "GB18030 / GBK", "UTF-8", "Big5")

    NAME = "importdata"
    DISPLAY = "导入数据为一张图包 Import raw data"
    FEATURE = "import"
    HELP = ("把普查成果和本地台账（任意编码的 Shapefile、GeoPackage、GeoJSON、带坐标的 CSV/XLSX）整理成一个干净的一张图包："
            "识别图层、匹配字段（普查字段预设）、识别编码和坐标系、修复几何；每个要素的去向（保留、修复、拒绝及原因）写入 "
            "import_report。<br>Raw files -> a clean package plus import_report (every feature kept, repaired or "
            "rejected, and why). Layer per file is guessed from its name; force it with 'Layers': "
            "FILE=LAYER; ... (e.g. 隐患点.shp=geohazard_points). Field mapping file: JSON or CSV (see the CLI help).")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterMultipleLayers(self.INPUTS, "输入文件 Input files",
                                                               QgsProcessing.TypeFile))
        self.addParameter(QgsProcessingParameterString(
            self.LAYERS, "指定图层（文件=图层；分号分隔） Layers: FILE=LAYER; ...", optional=True))
        self.addParameter(QgsProcessingParameterFile(self.MAPPING, "字段对照文件 Field mapping file (JSON/CSV)",
                                                     optional=True, fileFilter="JSON/CSV (*.json *.csv)"))
        self.addParameter(QgsProcessingParameterCrs(self.CRS, "无坐标系文件的坐标系 CRS of files without one",
                                                    optional=True))
        self.addParameter(QgsProcessingParameterEnum(self.ENCODING, "编码 Encoding",
                                                     options=list(self.ENCODING_LABELS), defaultValue=0))
        self.addParameter(QgsProcessingParameterBoolean(self.OVERWRITE, "覆盖已有文件夹 Replace an existing folder",
                                                        False))
        self.addParameter(QgsProcessingParameterBoolean(self.OPEN, "完成后加载到当前工程 Load into the current project",
                                                        True))
        self.addParameter(QgsProcessingParameterFolderDestination(self.OUTPUT, "输出一张图包文件夹 Package folder"))
        self.addOutput(QgsProcessingOutputString(self.REPORT, "导入报告 Report"))
        self.addOutput(QgsProcessingOutputFile(self.REPORT_CSV, "import_report.csv"))
        self.addOutput(QgsProcessingOutputNumber(self.KEPT, "保留 Kept"))
        self.addOutput(QgsProcessingOutputNumber(self.REPAIRED, "修复 Repaired"))
        self.addOutput(QgsProcessingOutputNumber(self.REJECTED, "拒绝 Rejected"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..layers.import_report import KEPT, REJECTED, REPAIRED, REPORT_CSV
        from ..layers.importer import import_sources
        inputs = self.parameterAsFileList(parameters, self.INPUTS, context)
        if not inputs:
            raise QgsProcessingException("no input files given")
        layer_for = [p.strip() for p in (self.parameterAsString(parameters, self.LAYERS, context) or "").replace(
            "；", ";").split(";") if p.strip()]
        crs = self.parameterAsCrs(parameters, self.CRS, context)
        out = self.parameterAsString(parameters, self.OUTPUT, context)
        progress, cancelled = wire_feedback(feedback)
        with user_errors():
            report = import_sources(inputs, out, mapping=self.parameterAsFile(parameters, self.MAPPING, context) or None,
                                    crs=crs.authid() if crs.isValid() else None,
                                    encoding=self.ENCODINGS[self.parameterAsEnum(parameters, self.ENCODING, context)]
                                    or None,
                                    overwrite=self.parameterAsBoolean(parameters, self.OVERWRITE, context),
                                    layer_for=layer_for, progress=progress, cancelled=cancelled)
        text = report.summary()
        for line in text.splitlines():
            feedback.pushInfo(line)
        counts = report.counts()
        self._written = (out, self.parameterAsBoolean(parameters, self.OPEN, context))
        return {self.OUTPUT: out, self.REPORT: text, self.REPORT_CSV: str(Path(out) / REPORT_CSV),
                self.KEPT: counts[KEPT], self.REPAIRED: counts[REPAIRED], self.REJECTED: counts[REJECTED]}

    def postProcessAlgorithm(self, context, feedback):  # noqa: N802
        """Main thread: the styled project onemap.qgz beside the package, and the package in the current project."""
        out, wanted = getattr(self, "_written", (None, False))
        if not out:
            return {}
        from ..atlas.project_file import write_project_headless
        from ..qgis_glue.project import add_package
        with user_errors():
            write_project_headless(out)
            if wanted and context.project() is not None:
                add_package(context.project(), Path(out), feedback)
        return {}
