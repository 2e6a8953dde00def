"""Processing algorithm 'riskonemap:lowpoints': a thin wrapper over risk_one_map.jobs.lowpoints."""
from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputFolder, QgsProcessingOutputNumber, QgsProcessingParameterBoolean,
    QgsProcessingParameterNumber, QgsProcessingParameterString,
)

from ..layers import model
from .base import RiskOneMapAlgorithm, add_package_parameter, say_lines, user_errors, wire_feedback


class LowpointsAlgorithm(RiskOneMapAlgorithm):
    PACKAGE = "PACKAGE"
    RAIN = "RAIN"
    RUNOFF = "RUNOFF"
    MIN_DEPTH = "MIN_DEPTH"
    MIN_AREA = "MIN_AREA"
    ADD_LOWPOINTS = "ADD_LOWPOINTS"
    OUTPUT_PACKAGE = "OUTPUT_PACKAGE"
    OUTPUT_COUNT = "OUTPUT_COUNT"

    NAME = "lowpoints"
    DISPLAY = "DEM洼地（低洼易涝点筛查） Flood low points from the DEM"
    GROUP = "分析 Analysis"
    GROUP_ID = "analysis"
    FEATURE = "analysis"
    HELP = ("在数据包的 dem.tif 上找出所有封闭洼地：最大深度、面积、蓄水容积、溢出高程和溢出点、汇水范围；对每场降雨"
            "（毫米，逗号分隔）按汇水面积 × 径流系数给洼地蓄水，满了就按顺序流入下游洼地，计算蓄满比例、积水深度、积水面积"
            "和是否外溢。DEM 边缘和无数据处视为出口。结果写入 onemap.gpkg 的 dem_depressions 图层；勾选后把达到筛选标准的"
            "洼地加入低洼易涝点（来源：DEM洼地），已有台账点位于洼地内的只关联不重复。<br>Every closed depression of "
            "the package's dem.tif with depth, volume, spill and catchment; for each rain (mm, comma-separated) what "
            "fills and spills, upstream first. Writes dem_depressions into onemap.gpkg; optionally adds the "
            "significant ones to flood_lowpoints (source dem), linking ledger points inside them.")

    def initAlgorithm(self, config=None):  # noqa: N802
        d = model.DEFAULTS
        add_package_parameter(self)
        self.addParameter(QgsProcessingParameterString(self.RAIN, "降雨量（毫米，逗号分隔） Rain (mm)",
                                                       defaultValue="50,100,200"))
        # Left empty, the package's land use (land_use layer or landuse.tif) sets it cell by cell, else the default.
        self.addParameter(QgsProcessingParameterNumber(
            self.RUNOFF, f"径流系数（留空：按土地利用，没有则取默认值 {d['lowpoint_runoff_coefficient'].value:g}） "
                         f"Runoff coefficient (empty: from land use)",
            type=QgsProcessingParameterNumber.Double, minValue=0, maxValue=1, optional=True))
        for key, name, label in ((self.MIN_DEPTH, "lowpoint_min_depth_m", "最小深度（米） Minimum depth (m)"),
                                 (self.MIN_AREA, "lowpoint_min_area_m2", "最小面积（平方米） Minimum area (m²)")):
            self.addParameter(QgsProcessingParameterNumber(key, f"{label}（默认值）",
                                                           type=QgsProcessingParameterNumber.Double, minValue=0,
                                                           defaultValue=d[name].value))
        self.addParameter(QgsProcessingParameterBoolean(self.ADD_LOWPOINTS, "加入低洼易涝点 Add to flood_lowpoints",
                                                        defaultValue=False))
        self.addOutput(QgsProcessingOutputFolder(self.OUTPUT_PACKAGE, "一张图数据包 Package"))
        self.addOutput(QgsProcessingOutputNumber(self.OUTPUT_COUNT, "洼地数 Significant depressions"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..commands.lowpoints import _rains
        from ..errors import RiskOneMapError
        from ..jobs.lowpoints import run
        package = self.parameterAsFile(parameters, self.PACKAGE, context)
        progress, cancelled = wire_feedback(feedback)
        with user_errors():
            try:
                rains = _rains(self.parameterAsString(parameters, self.RAIN, context))
            except Exception as exc:  # argparse's message says what was expected
                raise RiskOneMapError(str(exc)) from exc
            res = run(package, rains_mm=rains,
                      runoff_coefficient=(self.parameterAsDouble(parameters, self.RUNOFF, context)
                                          if parameters.get(self.RUNOFF) not in (None, "") else None),
                      min_depth_m=self.parameterAsDouble(parameters, self.MIN_DEPTH, context),
                      min_area_m2=self.parameterAsDouble(parameters, self.MIN_AREA, context),
                      add_lowpoints=self.parameterAsBoolean(parameters, self.ADD_LOWPOINTS, context),
                      progress=progress, cancelled=cancelled)
        say_lines(feedback, res.summary_lines())
        return {self.OUTPUT_PACKAGE: package, self.OUTPUT_COUNT: len(res.layer)}
