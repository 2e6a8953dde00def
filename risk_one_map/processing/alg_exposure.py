"""Processing algorithm 'riskonemap:exposure': a thin wrapper over risk_one_map.jobs.exposure."""
from __future__ import annotations

from qgis.core import (
    QgsProcessingException, QgsProcessingOutputFile, QgsProcessingOutputFolder, QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
)

from ..errors import Cancelled, RiskOneMapError
from .base import RiskOneMapAlgorithm, add_package_parameter


class ExposureAlgorithm(RiskOneMapAlgorithm):
    NAME = "exposure"
    FEATURE = "analysis"  # canExecute says what to install; prepareAlgorithm loads the geo wheels safely in QGIS
    PACKAGE = "PACKAGE"
    MODE = "MODE"
    SOURCE = "SOURCE"
    CHARTS = "CHARTS"
    OUTPUT_CSV = "OUTPUT_CSV"
    OUTPUT_PACKAGE = "OUTPUT_PACKAGE"

    MODES = ("exact", "fast")
    MODE_LABELS = ("精确（按面积比例） Exact (cell share of area)", "快速（按格网中心） Fast (cell centres)")
    SOURCES = ("auto", "raster", "households", "villages")
    SOURCE_LABELS = ("自动 Auto", "人口格网 Population raster", "住户点 Household points",
                     "村人口表（按面积） Village table (area-weighted)")

    DISPLAY = "人口暴露分析 Population exposure"
    GROUP = "分析 Analysis"
    GROUP_ID = "analysis"
    HELP = ("按村 × 灾种 × 风险等级（1 级最高）统计人口、户数、面积和老弱病残等重点人群；“任一灾种”行每人只按其最高"
            "等级计一次。结果写入 onemap.gpkg 的 exposure 表和 exposure_villages 图层，以及数据包中的 exposure.csv 和 "
            "charts/ 柱状图。<br>Population, households, area and vulnerable groups per village × hazard type × risk level "
            "(1 = highest), plus 'any' rows counting each person once at the highest level. Writes the exposure "
            "table and exposure_villages layer into onemap.gpkg, exposure.csv and charts/ in the package.")

    def initAlgorithm(self, config=None):
        add_package_parameter(self)
        self.addParameter(QgsProcessingParameterEnum(self.MODE, "方式 Mode", options=list(self.MODE_LABELS),
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterEnum(self.SOURCE, "人口来源 Population source",
                                                     options=list(self.SOURCE_LABELS), defaultValue=0))
        self.addParameter(QgsProcessingParameterBoolean(self.CHARTS, "绘制乡镇柱状图 Township charts",
                                                        defaultValue=True))
        self.addOutput(QgsProcessingOutputFile(self.OUTPUT_CSV, "exposure.csv"))
        self.addOutput(QgsProcessingOutputFolder(self.OUTPUT_PACKAGE, "一张图数据包 Package"))

    def processAlgorithm(self, parameters, context, feedback):
        from ..jobs.exposure import run
        package = self.parameterAsFile(parameters, self.PACKAGE, context)
        mode = self.MODES[self.parameterAsEnum(parameters, self.MODE, context)]
        source = self.SOURCES[self.parameterAsEnum(parameters, self.SOURCE, context)]
        charts = self.parameterAsBoolean(parameters, self.CHARTS, context)
        try:
            res = run(package, mode=mode, source=source, charts=charts,
                      progress=lambda f: feedback.setProgress(100.0 * f), cancelled=feedback.isCanceled)
        except Cancelled as exc:
            raise QgsProcessingException(str(exc)) from exc
        except RiskOneMapError as exc:
            raise QgsProcessingException(str(exc)) from exc
        for line in res.summary_lines():
            (feedback.pushWarning if line.startswith("warning:") else feedback.pushInfo)(line)
        return {self.OUTPUT_CSV: str(res.outputs["csv"]), self.OUTPUT_PACKAGE: package}


