"""Processing algorithm 'riskonemap:villageatlas': a thin wrapper over risk_one_map.atlas.export."""
from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputFolder, QgsProcessingOutputNumber, QgsProcessingParameterBoolean, QgsProcessingParameterEnum,
    QgsProcessingParameterFolderDestination, QgsProcessingParameterNumber, QgsProcessingParameterString,
)

from .base import RiskOneMapAlgorithm, add_package_parameter, say_lines, user_errors, wire_feedback


class VillageAtlasAlgorithm(RiskOneMapAlgorithm):
    NAME = "villageatlas"
    DISPLAY = "村风险隐患一张图（批量出图） Village risk sheets"
    GROUP = "出图 Print"
    GROUP_ID = "print"
    HELP = ("每个村打印一张风险隐患一张图 PDF（A3 横版上墙，或 A4 竖版明白卡）：本村地图（风险区、隐患点、避难场所、"
            "转移路线）、隐患清单、避难场所、叫应名单和电话、人口暴露和明白卡。文件写到 输出文件夹/&lt;乡镇&gt;/"
            "&lt;村代码&gt;_&lt;村名&gt;.pdf；勾选“按乡镇合并”另得每个乡镇一本合订本。比数据包新的村图会跳过，"
            "勾选“重新出图”则全部重印。村代码用逗号分隔，留空为全部。<br>"
            "One risk sheet PDF per village (A3 landscape or A4 portrait): village map with risk zones, hazards, "
            "shelters and evacuation routes; hazard list, shelters, 叫应 roster with phones, population exposure and "
            "the 明白卡 items. Writes OUTPUT/&lt;township&gt;/&lt;village code&gt;_&lt;village name&gt;.pdf (and one merged PDF per township with 'Merge per township'). Villages whose PDF is newer "
            "than the package are skipped unless 'Print again' is checked. Village codes: comma-separated, empty = all.")

    PACKAGE = "PACKAGE"
    VILLAGES = "VILLAGES"
    TOWNSHIP = "TOWNSHIP"
    PAGE = "PAGE"
    DPI = "DPI"
    MERGE = "MERGE"
    PNG = "PNG"
    WORKERS = "WORKERS"
    FORCE = "FORCE"
    OUTPUT = "OUTPUT"
    WRITTEN = "WRITTEN"
    SKIPPED = "SKIPPED"
    PAGES = ("A3", "A4")
    PAGE_LABELS = ("A3 横版（上墙） A3 landscape", "A4 竖版（明白卡） A4 portrait")

    def initAlgorithm(self, config=None):  # noqa: N802
        add_package_parameter(self)
        self.addParameter(QgsProcessingParameterString(self.VILLAGES, "村代码（逗号分隔，空为全部） Village codes",
                                                       optional=True))
        self.addParameter(QgsProcessingParameterString(self.TOWNSHIP, "乡镇代码 Township code", optional=True))
        self.addParameter(QgsProcessingParameterEnum(self.PAGE, "纸张 Page", options=list(self.PAGE_LABELS),
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(self.DPI, "分辨率 DPI", QgsProcessingParameterNumber.Integer,
                                                       defaultValue=150, minValue=50, maxValue=1200))
        self.addParameter(QgsProcessingParameterBoolean(self.MERGE, "按乡镇合并 Merge per township",
                                                        defaultValue=False))
        self.addParameter(QgsProcessingParameterBoolean(self.PNG, "PNG 预览 PNG previews", defaultValue=False))
        self.addParameter(QgsProcessingParameterNumber(self.WORKERS, "进程数 Processes",
                                                       QgsProcessingParameterNumber.Integer, defaultValue=1,
                                                       minValue=1, maxValue=64))
        self.addParameter(QgsProcessingParameterBoolean(self.FORCE, "重新出图 Print again", defaultValue=False))
        self.addParameter(QgsProcessingParameterFolderDestination(self.OUTPUT, "输出文件夹 Output folder"))
        self.addOutput(QgsProcessingOutputNumber(self.WRITTEN, "已出图 Sheets written"))
        self.addOutput(QgsProcessingOutputNumber(self.SKIPPED, "已是最新 Sheets up to date"))
        self.addOutput(QgsProcessingOutputFolder(self.OUTPUT, "输出文件夹 Output folder"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..atlas.export import export_village_sheets
        package = self.parameterAsFile(parameters, self.PACKAGE, context)
        codes = [c.strip() for c in (self.parameterAsString(parameters, self.VILLAGES, context) or "").replace(
            "，", ",").split(",") if c.strip()]
        township = (self.parameterAsString(parameters, self.TOWNSHIP, context) or "").strip() or None
        out = self.parameterAsString(parameters, self.OUTPUT, context)
        progress, cancelled = wire_feedback(feedback)
        from qgis.PyQt.QtCore import QCoreApplication, QThread
        # QGIS Desktop runs algorithms in a task thread: the sheet layout is then built in worker processes only.
        main_thread = QThread.currentThread() == QCoreApplication.instance().thread()
        with user_errors():
            res = export_village_sheets(
                package, out, villages=codes or None, township=township,
                page=self.PAGES[self.parameterAsEnum(parameters, self.PAGE, context)],
                dpi=self.parameterAsInt(parameters, self.DPI, context),
                merge_township=self.parameterAsBoolean(parameters, self.MERGE, context),
                png_preview=self.parameterAsBoolean(parameters, self.PNG, context),
                workers=self.parameterAsInt(parameters, self.WORKERS, context),
                force=self.parameterAsBoolean(parameters, self.FORCE, context),
                progress=progress, cancelled=cancelled, in_process=None if main_thread else False)
        say_lines(feedback, res.summary_lines())
        return {self.OUTPUT: out, self.WRITTEN: len(res.written), self.SKIPPED: len(res.skipped)}
