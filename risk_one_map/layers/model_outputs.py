"""The layers and tables the analyses write into the package (exposure, evacuation, depots, warnings, DEM low points,
village plans): their Chinese titles and fields, and the Chinese words of their coded values. model.py names them all.
Pure Python."""
from __future__ import annotations

from .model_spec import F, HAZARD_TYPES, LayerSpec

# The DEM low points' layer and its ids (DEM-0001 ...): named here, where the sheets read them without loading the
# low points' analysis (its compiled passes load numba, which the plugin and every print process need not pay for).
DEM_DEPRESSIONS, DEM_ID_PREFIX = "dem_depressions", "DEM-"

# Layers and tables the analyses write into the package: their Chinese titles for QGIS and the sheets.
OUTPUT_LAYER_TITLES = {
    "import_report": "导入报告",
    "exposure": "人口暴露（村×灾种×等级）", "exposure_villages": "人口暴露（按村）",
    "exposure_townships": "人口暴露（按乡镇）", "exposure_county": "人口暴露（全县）",
    "evacuation_zones": "撤离区", "evacuees": "需转移住户", "evacuation_routes": "撤离路线",
    "shelter_load": "避难场所负荷", "unserved": "未能安置", "shelter_isochrones": "避难场所步行等时圈",
    "evacuation_villages": "转移人口（按村）", "evacuation_issues": "转移分析问题清单",
    "depot_sites": "储备点选址结果", "depot_allocation": "储备点服务分配",
    "warning_area": "预警区域", "warning_villages": "预警涉及村", "warning_households": "预警须转移/告知住户",
    "warning_calls": "叫应名单", "call_log": "叫应记录",
    "dem_depressions": "DEM洼地（低洼易涝筛查）",
    "helpers": "包保责任人（一对一）", "clearance_villages": "预计转移完成时间（按村）",
    "clearance_townships": "预计转移完成时间（按乡镇）", "drills": "演练", "drill_records": "演练记录",
}


# The map layers the analyses write, with their fields (aliases for QGIS), in drawing order inside each geometry
# (top first). Not in LAYERS: the checker and importer never ask for them; QGIS loads them into their own group,
# above the model's.
GROUP_ANALYSIS = "分析结果"
_HH = (F("household_id", "str", "住户编号"), F("village_code", "str", "所在村代码"), F("people", "int", "人数", min=0),
       F("vulnerable", "int", "有脆弱人群", min=0, max=1))
_ZONE_IDS = (F("zone_ids", "str", "所在撤离区"),)
_PSEUDO = (F("pseudo", "int", "虚拟住户（按人口栅格）", min=0, max=1),)


def _outputs(*layers) -> tuple:
    """(name, geometry, fields) rows as specs with their title, in the analysis group."""
    return tuple(LayerSpec(name, geometry, OUTPUT_LAYER_TITLES[name], GROUP_ANALYSIS, fields)
                 for name, geometry, fields in layers)


OUTPUT_LAYERS = _outputs(
    ("dem_depressions", ("Polygon",), (
        F("id", "str", "洼地编号"), F("nest_level", "int", "嵌套层级（0 = 最外层）"), F("parent_id", "str", "所在上级洼地"),
        F("max_depth_m", "float", "最大深度(米)"), F("area_m2", "float", "面积(平方米)"),
        F("volume_m3", "float", "蓄水容积(立方米)"), F("spill_elev_m", "float", "溢出高程(米)"),
        F("bottom_elev_m", "float", "最低点高程(米)"), F("catchment_m2", "float", "汇水面积(平方米)"),
        F("spills_to", "str", "满后流向"), F("deepest_x", "float", "最低点X"), F("deepest_y", "float", "最低点Y"),
        F("spill_x", "float", "溢出点X"), F("spill_y", "float", "溢出点Y"))
     + tuple(F(f"{key}_{mm}mm", kind, f"{mm}毫米降雨{zh}") for mm in (50, 100, 200) for key, kind, zh in (
         ("fill", "float", "蓄满比例"), ("depth", "float", "积水深度(米)"), ("flooded_m2", "float", "积水面积(平方米)"),
         ("spills", "int", "外溢"), ("households", "int", "积水区内户数"), ("people", "float", "积水区内人数"),
         ("road_m", "float", "积水区内道路(米)")))
     + (F("households", "int", "洼地内户数"), F("people", "float", "洼地内人数"), F("road_m", "float", "洼地内道路(米)"),
        F("village_code", "str", "所在村代码"),
        F("ledger_ids", "str", "台账易涝点"))),
    ("depot_sites", ("Point",), (
        F("id", "str", "编号"), F("name", "str", "名称"), F("level", "str", "等级"), F("capacity", "float", "有效库容"),
        F("existing", "int", "现有储备点", min=0, max=1), F("status", "str", "选址结果"),
        F("source_layer", "str", "来源图层"), F("served_population", "float", "服务人口"),
        F("villages", "int", "服务村数"), F("max_time_min", "float", "最长送达时间(分钟)"))),
    ("unserved", ("Point",), _HH + (F("reason", "str", "原因"), F("detail", "str", "说明")) + _ZONE_IDS + _PSEUDO),
    ("shelter_load", ("Point",), (
        F("shelter_id", "str", "场所编号"), F("name", "str", "名称"), F("capacity", "int", "容纳人数"),
        F("assigned", "int", "安置人数"), F("load_ratio", "float", "负荷率"), F("shelter_class", "str", "类别"),
        F("households", "int", "安置户数"), F("status", "str", "状态"), F("capacity_source", "str", "容量来源"),
        F("max_distance_m", "float", "最远步行距离(米)"), F("standard_violations", "int", "超服务半径户数"),
        F("village_code", "str", "所在村代码"))),
    ("evacuees", ("Point",), _HH + (
        F("shelter_id", "str", "安置场所编号"), F("shelter_name", "str", "安置场所"),
        F("shelter_class", "str", "场所类别"), F("distance_m", "float", "步行距离(米)"),
        F("walk_min", "float", "步行时间(分钟)"), F("walk_kmh", "float", "步行速度(km/h)"),
        F("meets_standard", "str", "符合服务半径"), F("standard_note", "str", "不符合说明"))
     + _ZONE_IDS + (F("hazard_ids", "str", "隐患编号"),) + _PSEUDO),
    ("evacuation_routes", ("LineString",), (
        F("shelter_id", "str", "安置场所编号"), F("shelter_name", "str", "安置场所"), F("people", "int", "人数"),
        F("households", "int", "户数"))),
    ("depot_allocation", ("LineString",), (
        F("village_code", "str", "村代码"), F("village_name", "str", "村名"), F("depot_id", "str", "储备点编号"),
        F("depot_name", "str", "储备点"), F("time_min", "float", "送达时间(分钟)"), F("population", "float", "人口"),
        F("within_T", "int", "时限内送达", min=0, max=1),
        F("within_county_guidance", "int", "县级时限内送达", min=0, max=1))),
    ("evacuation_zones", ("Polygon",), (
        F("zone_id", "str", "撤离区编号"), F("ring", "float", "范围倍数"), F("hazard_layer", "str", "隐患图层"),
        F("hazard_id", "str", "隐患编号"), F("hazard_name", "str", "隐患名称"), F("kind", "str", "类型"),
        F("basis", "str", "划定依据"), F("radius_m", "float", "撤离半径(米)"),
        F("radius_is_default", "int", "默认半径", min=0, max=1), F("households", "int", "户数"),
        F("people", "int", "人数"), F("vulnerable_households", "int", "有脆弱人群户数"))),
    ("shelter_isochrones", ("Polygon",), (
        F("shelter_id", "str", "场所编号"), F("minutes", "int", "步行时间(分钟)"), F("area_m2", "float", "面积(平方米)"),
        F("road_m", "float", "道路长度(米)"))),
    ("exposure_villages", ("Polygon",), (
        F("code", "str", "村代码"), F("name", "str", "村名"), F("township_code", "str", "乡镇代码"),
        F("population_total", "float", "常住人口"), F("households_total", "float", "总户数"),
        F("area_m2", "float", "面积(平方米)"), F("exposed_any", "float", "暴露人口（任一等级）"),
        F("unexposed", "float", "未暴露人口"), F("exposed_l1_2", "float", "1-2级风险区人口"),
        F("exposed_l1", "float", "1级风险区人口"), F("share_l1_2", "float", "1-2级风险区人口占比"))
     + tuple(F(f"{h.key}_l1_2", "float", f"{h.zh}1-2级风险区人口") for h in HAZARD_TYPES)
     + (F("source", "str", "人口来源"),)),
)
# 预警叫应 (jobs/warning.py): the warned area, the villages it reaches, the households to move or tell, the call
# tree (a line from the caller's place to the person called: township -> village -> household).
OUTPUT_LAYERS += _outputs(
    ("warning_calls", ("LineString",), (
        F("order", "int", "序号"), F("priority", "int", "优先级"), F("group", "str", "类别"),
        F("township_name", "str", "乡镇"), F("village_name", "str", "村（社区）"), F("village_code", "str", "村代码"),
        F("role", "str", "职务"), F("name", "str", "姓名"), F("phone", "str", "电话"), F("caller", "str", "由谁叫应"),
        F("reason", "str", "事由"), F("message", "str", "短信内容"), F("missing_phone", "int", "缺电话", min=0, max=1),
        F("called_at", "str", "拨打时间"), F("answered", "str", "是否回应"), F("answered_by", "str", "接听人"),
        F("moved_people", "int", "已转移人数"), F("note", "str", "备注"))),
    ("warning_households", ("Point",), (
        F("order", "int", "序号"), F("household_id", "str", "住户编号"), F("village_code", "str", "所在村代码"),
        F("village_name", "str", "村（社区）"), F("township_name", "str", "乡镇"), F("people", "int", "人数"),
        F("vulnerable", "int", "有老弱病残", min=0, max=1), F("vulnerable_note", "str", "脆弱人群"),
        F("action", "str", "要求代码"), F("action_zh", "str", "要求"), F("reason", "str", "所在危险区/风险区"),
        F("shelter_id", "str", "安置场所编号"), F("shelter_name", "str", "安置场所"),
        F("walk_min", "float", "步行时间(分钟)"), F("head_name", "str", "户主"), F("head_phone", "str", "户主电话"))),
    ("warning_villages", ("Polygon",), (
        F("code", "str", "村代码"), F("name", "str", "村名"), F("township_code", "str", "乡镇代码"),
        F("township_name", "str", "乡镇"), F("share_inside", "float", "在预警范围内的比例"),
        F("move_households", "int", "须转移户数"), F("move_people", "int", "须转移人数"),
        F("move_vulnerable", "int", "须转移老弱病残户数"), F("tell_households", "int", "须告知户数"),
        F("shelters", "int", "开放避难场所数"), F("unplaced_households", "int", "未安置户数"))),
    ("warning_area", ("Polygon",), (
        F("warning", "str", "预警编号"), F("event", "str", "预警事件"), F("level", "str", "预警颜色"),
        F("hazards", "str", "灾种"), F("onset", "str", "生效时间"), F("expires", "str", "截止时间"),
        F("source", "str", "来源"))),
)
# Village plans (#18): the 包保 pairs staff edit in QGIS, the clearance times and the drills, with Chinese aliases.
OUTPUT_LAYERS += _outputs(
    ("helpers", ("Point",), (
        F("village_code", "str", "所在村代码"), F("household_id", "str", "住户编号"), F("people", "int", "人数"),
        F("vulnerable_note", "str", "脆弱人群"), F("helper_name", "str", "包保责任人"),
        F("helper_phone", "str", "包保人电话"), F("helper_role", "str", "包保人职务"),
        F("distance_m", "float", "距离(米)"), F("source", "str", "来源（已有/自动建议/缺口）"))),
    ("drill_records", ("Point",), (
        F("drill_id", "str", "演练编号"), F("household_id", "str", "住户编号"), F("village_code", "str", "所在村代码"),
        F("people", "int", "人数"), F("vulnerable", "int", "有脆弱人群"), F("helper", "str", "包保人"),
        F("shelter_name", "str", "避难场所"), F("distance_m", "float", "路程(米)"),
        F("planned_min", "float", "计划到达(分钟)"), F("action", "str", "要求（move 转移 / tell 告知）"),
        F("reached_min", "float", "通知到(分钟)"), F("arrived_min", "float", "实际到达(分钟)"),
        F("late_min", "float", "晚到(分钟)"), F("result", "str", "结果"))),
    ("clearance_villages", (), (
        F("code", "str", "村代码"), F("name", "str", "村名"), F("township_code", "str", "乡镇代码"),
        F("township", "str", "乡镇"), F("households", "int", "须转移户数"), F("people", "int", "须转移人数"),
        F("vulnerable_households", "int", "老弱病残户数"), F("clearance_min", "float", "预计转移完成时间(分钟)"),
        F("longest_walk_m", "float", "最远路程(米)"), F("last_households", "str", "最后到达的住户"),
        F("unserved_households", "int", "无处安置户数"), F("unserved_people", "int", "无处安置人数"),
        F("within_target", "int", "在目标时间内"))),
    ("drills", (), (
        F("drill_id", "str", "演练编号"), F("village_code", "str", "村代码"), F("village_name", "str", "村名"),
        F("hazard", "str", "灾种"), F("level", "int", "预警级别（1红 2橙 3黄 4蓝）"), F("start", "str", "开始时间"),
        F("scenario", "str", "情景"), F("target_min", "float", "目标(分钟)"), F("planned_min", "float", "计划(分钟)"),
        F("households", "int", "须通知户数"), F("status", "str", "状态（planned 已计划 / evaluated 已评估）"),
        F("reached", "int", "通知到户数"), F("arrived", "int", "到达户数"), F("actual_min", "float", "实际(分钟)"),
        F("evaluated_at", "str", "评估时间"))),
)
OUTPUT_LAYER_BY_NAME = {s.name: s for s in OUTPUT_LAYERS}
# Coded values of the outputs, shown in Chinese (the analyses write English keys).
UNSERVED_REASONS = {"no route": "无可达路线", "no capacity": "容量不足"}
SHELTER_STATUSES = {"open": "可用", "in danger zone": "位于危险区", "no location": "无位置", "no capacity": "无容量",
                    "no road": "无道路可达"}
DEPOT_STATUSES = {"existing": "现有", "new": "新选址"}
