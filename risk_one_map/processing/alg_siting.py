"""Processing algorithm 'riskonemap:sitedepots': a thin wrapper over risk_one_map.jobs.siting."""
from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputFile, QgsProcessingOutputFolder, QgsProcessingOutputNumber, QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum, QgsProcessingParameterNumber,
)

from .base import RiskOneMapAlgorithm, add_package_parameter, user_errors, wire_feedback


class SiteDepotsAlgorithm(RiskOneMapAlgorithm):
    PACKAGE = "PACKAGE"
    MODEL = "MODEL"
    K = "K"
    MAX_MINUTES = "MAX_MINUTES"
    DEMAND = "DEMAND"
    KEEP_EXISTING = "KEEP_EXISTING"
    TIME_LIMIT = "TIME_LIMIT"
    OUTPUT_PACKAGE = "OUTPUT_PACKAGE"
    OUTPUT_JSON = "OUTPUT_JSON"
    OUTPUT_OBJECTIVE = "OUTPUT_OBJECTIVE"
    OUTPUT_GAP = "OUTPUT_GAP"

    MODELS = ("pmedian", "mclp", "lscp", "pcenter")
    MODEL_LABELS = ("P-中位（总加权时间最短） p-median: least population-weighted drive time",
                    "最大覆盖（时限内覆盖人口最多） MCLP: most people within T",
                    "集合覆盖（最少新增点覆盖全部） LSCP: fewest new depots reaching everyone within T",
                    "P-中心（最远时间最短） p-center: least worst drive time")
    DEMANDS = ("population", "exposure")
    DEMAND_LABELS = ("常住人口 Village population", "1-3级风险暴露人口 People exposed at risk levels 1-3")

    NAME = "sitedepots"
    DISPLAY = "应急物资储备点选址 Supply depot siting"
    GROUP = "分析 Analysis"
    GROUP_ID = "analysis"
    FEATURE = "analysis"
    HELP = ("在储备点候选址（depot_candidates）中选出新的应急物资储备点，保留现有储备点，按道路车程计算。K = 新增点数"
            "（P-中位、最大覆盖、P-中心）；T = 时限（分钟，最大覆盖和集合覆盖用；0 = 县级 6 小时）。报告结果、可证明的"
            "界和差距，以及按 2024 年指导意见（县 6 小时、市 8 小时、省 10 小时）能及时送达的人口比例。结果写入 "
            "onemap.gpkg 的 depot_sites、depot_allocation 和 depot_siting.json。<br>Choose where to put emergency supply depots (应急物资储备点) among depot_candidates, keeping the existing "
            "depots open, on drive times over the roads. K = number of NEW depots (p-median, MCLP, p-center); "
            "T = drive-time limit in minutes (MCLP, LSCP; 0 = the county guidance, 6 h). Reports the objective, a "
            "proven bound and the gap, and the share of people reached within the 2024 guidance (6 h county, 8 h "
            "city, 10 h province). Writes depot_sites and depot_allocation into onemap.gpkg and depot_siting.json.")

    def initAlgorithm(self, config=None):  # noqa: N802
        add_package_parameter(self)
        self.addParameter(QgsProcessingParameterEnum(self.MODEL, "模型 Model", options=list(self.MODEL_LABELS),
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(self.K, "新增储备点数 K (new depots)",
                                                       type=QgsProcessingParameterNumber.Integer, minValue=0,
                                                       defaultValue=3))
        self.addParameter(QgsProcessingParameterNumber(self.MAX_MINUTES, "时限 T（分钟，0 = 县级 6 小时）",
                                                       type=QgsProcessingParameterNumber.Double, minValue=0,
                                                       defaultValue=0))
        self.addParameter(QgsProcessingParameterEnum(self.DEMAND, "需求 Demand", options=list(self.DEMAND_LABELS),
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterBoolean(self.KEEP_EXISTING, "保留现有储备点 Keep existing depots",
                                                        defaultValue=True))
        self.addParameter(QgsProcessingParameterNumber(self.TIME_LIMIT, "求解时限（秒） Solver time limit (s)",
                                                       type=QgsProcessingParameterNumber.Double, minValue=1,
                                                       defaultValue=120))
        self.addOutput(QgsProcessingOutputFolder(self.OUTPUT_PACKAGE, "一张图数据包 Package"))
        self.addOutput(QgsProcessingOutputFile(self.OUTPUT_JSON, "depot_siting.json"))
        self.addOutput(QgsProcessingOutputNumber(self.OUTPUT_OBJECTIVE, "目标值 Objective"))
        self.addOutput(QgsProcessingOutputNumber(self.OUTPUT_GAP, "最优性差距 Gap"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..jobs.siting import run
        package = self.parameterAsFile(parameters, self.PACKAGE, context)
        model = self.MODELS[self.parameterAsEnum(parameters, self.MODEL, context)]
        k = self.parameterAsInt(parameters, self.K, context)
        t = self.parameterAsDouble(parameters, self.MAX_MINUTES, context)
        demand = self.DEMANDS[self.parameterAsEnum(parameters, self.DEMAND, context)]
        progress, cancelled = wire_feedback(feedback)
        with user_errors():
            res = run(package, model=model, k=None if model == "lscp" else k, max_minutes=t if t > 0 else None,
                      demand=demand, keep_existing=self.parameterAsBoolean(parameters, self.KEEP_EXISTING, context),
                      time_limit_s=self.parameterAsDouble(parameters, self.TIME_LIMIT, context),
                      progress=progress, cancelled=cancelled)
        if feedback is not None:
            for line in res.summary_lines():
                (feedback.pushWarning if line.startswith("warning:") else feedback.pushInfo)(line)
        return {self.OUTPUT_PACKAGE: package, self.OUTPUT_JSON: str(res.outputs["json"]),
                self.OUTPUT_OBJECTIVE: res.summary["objective"], self.OUTPUT_GAP: res.summary["gap"]}
