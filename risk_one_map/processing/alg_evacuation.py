"""Processing algorithms 'riskonemap:evacuation' and 'riskonemap:isochrones': thin wrappers over
risk_one_map.jobs.evacuation (the same function as `risk-one-map evacuate`)."""
from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputFile, QgsProcessingOutputFolder, QgsProcessingOutputNumber, QgsProcessingParameterBoolean,
    QgsProcessingParameterNumber, QgsProcessingParameterString,
)

from ..layers import model
from .base import RiskOneMapAlgorithm, add_package_parameter, say_lines, user_errors, wire_feedback


def _minutes(text: str):
    from qgis.core import QgsProcessingException
    try:
        values = tuple(float(v) for v in str(text).replace("，", ",").split(",") if v.strip())
    except ValueError:
        values = ()
    if not values or any(v <= 0 for v in values):
        raise QgsProcessingException(f"isochrone minutes: expected positive numbers like 5,10,15, got {text!r}")
    return values


class EvacuationAlgorithm(RiskOneMapAlgorithm):
    PACKAGE = "PACKAGE"
    WALK_KMH = "WALK_KMH"
    WALK_KMH_VULNERABLE = "WALK_KMH_VULNERABLE"
    MAX_WALK_M = "MAX_WALK_M"
    MAX_LEG_M = "MAX_LEG_M"
    MINUTES = "MINUTES"
    THROUGH_ZONES = "THROUGH_ZONES"
    OUTPUT_PACKAGE = "OUTPUT_PACKAGE"
    OUTPUT_SHELTER_LOAD = "OUTPUT_SHELTER_LOAD"
    OUTPUT_UNSERVED = "OUTPUT_UNSERVED"
    ASSIGNED = "ASSIGNED"
    UNSERVED = "UNSERVED"

    NAME = "evacuation"
    DISPLAY = "转移避险分析 Evacuation"
    GROUP = "分析 Analysis"
    GROUP_ID = "analysis"
    FEATURE = "analysis"
    HELP = ("谁要撤离（各灾种撤离区内的住户：危险区面，没有面时用隐患点的撤离半径，再没有时用各灾种可调的默认半径），"
            "撤到哪里：在避难场所容量以内，沿道路把每户安置到避难场所，使全部步行距离最短（最优的最小费用流）。"
            "路线可以走出本户所在的危险区，但不穿过其他危险区。紧急避难场所服务 500 米以内的住户。结果写入 onemap.gpkg"
            "（撤离区、撤离人员、撤离路线、避难场所负荷、未能安置、等时圈），以及 shelter_load.csv、unserved.csv。<br>"
            "Who must leave (households inside each hazard's evacuation zone: the danger-zone polygon, else the "
            "point's evac_radius_m, else an adjustable default per kind), and where to: every household placed in a "
            "shelter along the roads, minimising the total walk under shelter capacities (optimal min-cost flow). "
            "A route may leave its own danger zone but never pass through another one. Emergency shelters take "
            "households within 500 m; the standard check lists emergency > 500 m / 10 min and fixed > 2.5 km. "
            "Writes evacuation_zones, evacuees, evacuation_routes, shelter_load, unserved, shelter_isochrones "
            "into onemap.gpkg and shelter_load.csv, unserved.csv beside it.")

    def initAlgorithm(self, config=None):  # noqa: N802
        d = model.DEFAULTS
        add_package_parameter(self)
        self.addParameter(QgsProcessingParameterNumber(
            self.WALK_KMH, "步行速度 Walking speed (km/h, adjustable default)", QgsProcessingParameterNumber.Double,
            defaultValue=d["walk_kmh"].value, minValue=0.1))
        self.addParameter(QgsProcessingParameterNumber(
            self.WALK_KMH_VULNERABLE, "老弱病残步行速度 Vulnerable walking speed (km/h)",
            QgsProcessingParameterNumber.Double, defaultValue=d["walk_kmh_vulnerable"].value, minValue=0.1))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_WALK_M, "最远步行距离 Farthest walk to a fixed shelter (m, 0 = any)",
            QgsProcessingParameterNumber.Double, defaultValue=0.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_LEG_M, "离路最远距离 Farthest from a road (m, adjustable default; farther: no route)",
            QgsProcessingParameterNumber.Double, defaultValue=d["max_leg_m"].value, minValue=1.0))
        self.addParameter(QgsProcessingParameterString(self.MINUTES, "等时圈（分钟） Isochrone minutes",
                                                       defaultValue="5,10,15"))
        self.addParameter(QgsProcessingParameterBoolean(
            self.THROUGH_ZONES, "允许穿越其他危险区 Let routes pass through other danger zones", defaultValue=False))
        self.addOutput(QgsProcessingOutputFolder(self.OUTPUT_PACKAGE, "一张图数据包 Package"))
        self.addOutput(QgsProcessingOutputFile(self.OUTPUT_SHELTER_LOAD, "shelter_load.csv"))
        self.addOutput(QgsProcessingOutputFile(self.OUTPUT_UNSERVED, "unserved.csv"))
        self.addOutput(QgsProcessingOutputNumber(self.ASSIGNED, "已安置户数 Households placed"))
        self.addOutput(QgsProcessingOutputNumber(self.UNSERVED, "未安置户数 Households unserved"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..jobs.evacuation import run
        package = self.parameterAsFile(parameters, self.PACKAGE, context)
        max_walk = self.parameterAsDouble(parameters, self.MAX_WALK_M, context)
        progress, cancelled = wire_feedback(feedback)
        with user_errors():
            res = run(package, walk_kmh=self.parameterAsDouble(parameters, self.WALK_KMH, context),
                      walk_kmh_vulnerable=self.parameterAsDouble(parameters, self.WALK_KMH_VULNERABLE, context),
                      max_walk_m=max_walk if max_walk > 0 else None,
                      max_leg_m=self.parameterAsDouble(parameters, self.MAX_LEG_M, context),
                      minutes=_minutes(self.parameterAsString(parameters, self.MINUTES, context)),
                      barriers=not self.parameterAsBoolean(parameters, self.THROUGH_ZONES, context),
                      progress=progress, cancelled=cancelled)
        say_lines(feedback, res.summary_lines())
        for issue in res.issues:
            if issue["severity"] in ("error", "warning"):
                where = ", ".join(f"{k} {issue[k]}" for k in ("layer", "feature", "field") if issue.get(k))
                feedback.pushWarning(f"{where}: {issue['message']}" if where else issue["message"])
        return {self.OUTPUT_PACKAGE: package, self.OUTPUT_SHELTER_LOAD: str(res.package / "shelter_load.csv"),
                self.OUTPUT_UNSERVED: str(res.package / "unserved.csv"),
                self.ASSIGNED: res.stats["assigned_households"], self.UNSERVED: res.stats["unserved_households"]}


class ShelterIsochronesAlgorithm(RiskOneMapAlgorithm):
    PACKAGE = "PACKAGE"
    WALK_KMH = "WALK_KMH"
    MINUTES = "MINUTES"
    WIDTH_M = "WIDTH_M"
    OUTPUT_PACKAGE = "OUTPUT_PACKAGE"

    NAME = "isochrones"
    DISPLAY = "避难场所步行等时圈 Shelter walking isochrones"
    GROUP = "分析 Analysis"
    GROUP_ID = "analysis"
    FEATURE = "analysis"
    HELP = ("沿道路画出每个避难场所 5/10/15 分钟步行可达范围（每段路归最近的避难场所，范围逐级包含），写入 onemap.gpkg "
            "的 shelter_isochrones 图层。<br>5/10/15-minute walking areas around every shelter along the roads (each road piece goes to its nearest "
            "shelter; bands are cumulative), drawn as the reached roads widened by a walking-access width. "
            "Writes the shelter_isochrones layer into onemap.gpkg.")

    def initAlgorithm(self, config=None):  # noqa: N802
        add_package_parameter(self)
        self.addParameter(QgsProcessingParameterNumber(
            self.WALK_KMH, "步行速度 Walking speed (km/h, adjustable default)", QgsProcessingParameterNumber.Double,
            defaultValue=model.DEFAULTS["walk_kmh"].value, minValue=0.1))
        self.addParameter(QgsProcessingParameterString(self.MINUTES, "等时圈（分钟） Isochrone minutes",
                                                       defaultValue="5,10,15"))
        self.addParameter(QgsProcessingParameterNumber(
            self.WIDTH_M, "道路两侧步行可达宽度 Walking-access width each side of a road (m)",
            QgsProcessingParameterNumber.Double, defaultValue=50.0, minValue=1.0))
        self.addOutput(QgsProcessingOutputFolder(self.OUTPUT_PACKAGE, "一张图数据包 Package"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..jobs.evacuation import run_isochrones
        package = self.parameterAsFile(parameters, self.PACKAGE, context)
        progress, cancelled = wire_feedback(feedback)
        with user_errors():
            res = run_isochrones(package, minutes=_minutes(self.parameterAsString(parameters, self.MINUTES, context)),
                                 walk_kmh=self.parameterAsDouble(parameters, self.WALK_KMH, context),
                                 width_m=self.parameterAsDouble(parameters, self.WIDTH_M, context),
                                 progress=progress, cancelled=cancelled)
        say_lines(feedback, res.summary_lines())
        return {self.OUTPUT_PACKAGE: package}
