"""The one-map data model, as data.

Everything the rest of the code needs to know about the package (layer names, fields, Chinese aliases,
hazard types, risk levels, shelter classes, colours, adjustable defaults) lives here and nowhere else, so
the checker, the importer, the sample county, the QGIS styling and the analyses agree by construction.

Pure Python: no numpy, no qgis. Values that come from a norm carry the norm in ``source``; values with no
norm found carry ``source="default"`` and must be shown to users as adjustable defaults.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

# What a field, a layer and a hazard type are, and the census's six hazard types (model_spec.py, which the analyses'
# layers in model_outputs.py build on too); named here as model names.
from .model_spec import F, FieldSpec, HAZARD_BY_KEY, HAZARD_TYPES, HazardType, LayerSpec  # noqa: F401
# The layers and tables the analyses write (model_outputs.py), named here as model names.
from .model_outputs import (  # noqa: F401
    DEM_DEPRESSIONS, DEM_ID_PREFIX, DEPOT_STATUSES, GROUP_ANALYSIS, OUTPUT_LAYER_BY_NAME, OUTPUT_LAYER_TITLES,
    OUTPUT_LAYERS, SHELTER_STATUSES, UNSERVED_REASONS)

# The hazard ledger's words (隐患排查治理台账 and the patrols), in a file of their own; named here as model names.
from .ledger_terms import (  # noqa: F401
    LedgerCategory, LEDGER_KINDS, LEDGER_SECTORS, NINE_SMALL, LEDGER_CATEGORIES, LEDGER_CATEGORY_BY_KEY,
    LEDGER_LINKED_LAYERS, LEDGER_MEASURES, LEDGER_RISK_GRADES, LEDGER_STATUSES, LEDGER_CLOSE_FROM,
    LEDGER_OPEN_STATUSES, LEDGER_SOURCES, PATROL_PROJECT, PATROL_META, PATROL_PHOTOS, PATROL_OUTCOMES,
    LEDGER_FIELD_LABELS, LEDGER_TABLES, ledger_label, ledger_key)

# The words of warnings and 叫应, in a file of their own; named here as model names.
from .warning_terms import (  # noqa: F401
    CALL_ORDER, CALL_ORDER_LAST, CALL_TEMPLATES, CALL_TREE, CALL_TREE_SOURCE, CAP_SEVERITY_LEVEL, COUNTY_DESK,
    HOUSEHOLD_ACTIONS, HOUSEHOLD_HEAD, SMS_MAX_CHARS, TOWNSHIP_DESK, WARNING_ACTIONS, WARNING_ACTIONS_SOURCE,
    WARNING_EVENT_OF_HAZARD, WARNING_EVENTS, WARNING_LEVEL_ZH, WarningAction, _WARNING_LEVEL_WORDS)

# --------------------------------------------------------------------------------------------------
# Coordinate reference systems
# --------------------------------------------------------------------------------------------------
CGCS2000_GEOGRAPHIC = 4490


def gauss_kruger_epsg(central_meridian: float, zone_width: int = 3, with_zone_prefix: bool = False) -> int:
    """EPSG code of a CGCS2000 Gauss-Krüger zone.

    3° zones 25..45 (central meridians 75°..135°): with prefix 4513 + (zone - 25), without ("CM") 4534 + (zone - 25).
    6° zones 13..23 (central meridians 75°..135°): with prefix 4491 + (zone - 13), without 4502 + (zone - 13).
    """
    if zone_width == 3:
        zone = int(round(central_meridian / 3.0))
        if not 25 <= zone <= 45:
            raise ValueError(f"central meridian {central_meridian} is outside CGCS2000 3-degree zones 25..45")
        return (4513 if with_zone_prefix else 4534) + zone - 25
    if zone_width == 6:
        zone = int(round((central_meridian + 3.0) / 6.0))
        if not 13 <= zone <= 23:
            raise ValueError(f"central meridian {central_meridian} is outside CGCS2000 6-degree zones 13..23")
        return (4491 if with_zone_prefix else 4502) + zone - 13
    raise ValueError("zone_width must be 3 or 6")


def default_projected_epsg(longitude: float) -> int:
    """The package CRS for a county at ``longitude``: CGCS2000 3° Gauss-Krüger, no zone prefix ("CM" code)."""
    return gauss_kruger_epsg(round(longitude / 3.0) * 3.0, 3, with_zone_prefix=False)


# --------------------------------------------------------------------------------------------------
# Hazards, levels, colours (the hazard types themselves are in model_spec.py)
# --------------------------------------------------------------------------------------------------
def text_value(value) -> Optional[str]:
    """A field value as stripped text; None for a missing value (None, NaN, NaT, pandas' NA) or blank text."""
    if value is None:
        return None
    import pandas as pd
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):  # a list or array: not one missing value
        pass
    text = str(value).strip()
    return text or None


def hazard_key(value) -> Optional[str]:
    """Map a hazard-type value (English key, Chinese label or synonym) to the model key, or None."""
    if value is None:
        return None
    text = str(value).strip()
    low = text.lower()
    for h in HAZARD_TYPES:
        if low in (h.key, h.en.lower()) or text in (h.zh,) + h.synonyms:
            return h.key
    for h in HAZARD_TYPES:  # "地质灾害风险区" etc.: longest Chinese label contained in the text
        for name in sorted((h.zh,) + h.synonyms, key=len, reverse=True):
            if len(name) >= 2 and name in text:
                return h.key
    return None


# risk_level is stored as an integer, 1 = highest. Five-level releases (Cangzhou): 高/中高/中/中低/低;
# four-level releases (geologic 易发区): 极高/高/中/低 -> 1..4.
RISK_LEVELS = (1, 2, 3, 4, 5)
FIVE_LEVEL_LABELS = {1: "高", 2: "中高", 3: "中", 4: "中低", 5: "低"}
FOUR_LEVEL_LABELS = {1: "极高", 2: "高", 3: "中", 4: "低"}
LEVEL_LABEL_EN = {1: "highest", 2: "high", 3: "medium", 4: "low", 5: "lowest"}

# Label text -> level, for importers. Four-level words map onto the same integers as the four-level scale.
_LEVEL_WORDS = {
    "极高": 1, "极高风险": 1, "高": 1, "高风险": 1, "中高": 2, "较高": 2, "中高风险": 2, "较高风险": 2,
    "中": 3, "中等": 3, "中风险": 3, "中等风险": 3, "中低": 4, "较低": 4, "中低风险": 4, "较低风险": 4,
    "低": 5, "低风险": 5, "极低": 5,
    "i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "一级": 1, "二级": 2, "三级": 3, "四级": 4, "五级": 5,
    "high": 1, "medium-high": 2, "medium": 3, "medium-low": 4, "low": 5,
}
_FOUR_LEVEL_WORDS = {"极高": 1, "极高风险": 1, "高": 2, "高风险": 2, "中": 3, "中风险": 3, "低": 4, "低风险": 4,
                     "高易发": 2, "中易发": 3, "低易发": 4, "极高易发": 1}


def risk_level_from_label(value, scale: int = 5) -> Optional[int]:
    """Integer level 1..5 (1 = highest) from a number or a Chinese/English label; None if unknown.

    ``scale`` = 4 reads 极高/高/中/低 as 1/2/3/4 (geologic susceptibility releases); otherwise 高 is 1.
    """
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != value:  # NaN
            return None
        iv = int(value)
        return iv if iv == value and 1 <= iv <= 5 else None
    text = str(value).strip().replace("区", "")  # "高风险区" -> "高风险"
    if not text:
        return None
    if text.isdigit():
        iv = int(text)
        return iv if 1 <= iv <= 5 else None
    words = dict(_LEVEL_WORDS)
    if scale == 4 or "极高" in text:
        words.update(_FOUR_LEVEL_WORDS)
    key = text.lower()
    if key in words:
        return words[key]
    for word in sorted(words, key=len, reverse=True):  # "高风险区", "地质灾害中易发区"
        if len(word) >= 2 and word in text:
            return words[word]
    return None


def level_label(level: int, scale: int = 5) -> str:
    labels = FOUR_LEVEL_LABELS if scale == 4 else FIVE_LEVEL_LABELS
    return labels.get(int(level), str(level))


# Default ramp for levels 1..5 (DOMAIN.md): dark red, red, orange, yellow, blue-green.
RISK_LEVEL_COLOURS = {1: "#8b0000", 2: "#e31a1c", 3: "#fd8d3c", 4: "#fed74c", 5: "#41b6c4"}
# GB/T 37230-2018 warning colours, I (red, 特别严重) .. IV (blue, 一般).
WARNING_COLOURS = {1: "#e60000", 2: "#ff8c00", 3: "#ffd700", 4: "#1e64c8"}
SHELTER_COLOUR = "#1a9641"
ROUTE_COLOUR = "#1a9641"

# --------------------------------------------------------------------------------------------------
# Warnings (预警叫应): the words are data in warning_terms.py
# --------------------------------------------------------------------------------------------------
def warning_hazards(event) -> tuple:
    """The hazard keys a warning event reaches ("暴雨橙色预警" -> ("flood",)); () for an unknown event."""
    text = text_value(event) or ""
    low = text.lower()
    for word, keys in WARNING_EVENTS:
        if word in text or word in low:
            return keys
    key = hazard_key(text)
    return (key,) if key else ()


def warning_level(value) -> Optional[int]:
    """1..4 (红 橙 黄 蓝) from a colour word, a roman/Chinese grade, a CAP severity or 1..4; None if none is there."""
    text = text_value(value)
    if text is None:
        return None
    if text.isdigit():
        return int(text) if 1 <= int(text) <= 4 else None
    low = text.lower()
    if low in CAP_SEVERITY_LEVEL:
        return CAP_SEVERITY_LEVEL[low]
    for word, level in _WARNING_LEVEL_WORDS:
        if word in text:
            return level
    import re
    for word, level in (("red", 1), ("orange", 2), ("yellow", 3), ("blue", 4)):  # whole words: not "predicted"
        if re.search(rf"\b{word}\b", low):
            return level
    return None


GEOHAZARD_KINDS = {
    "landslide": "滑坡", "rockfall": "崩塌", "debris_flow": "泥石流",
    "ground_collapse": "地面塌陷", "ground_fissure": "地裂缝", "subsidence": "地面沉降",
}
GEOHAZARD_KIND_BY_ZH = {v: k for k, v in GEOHAZARD_KINDS.items()}
GEOHAZARD_SCALES = {"giant": "巨型", "large": "大型", "medium": "中型", "small": "小型"}
# 险情等级 by people to move (DOMAIN.md): 特大型 >= 1000, 大型 500-1000, 中型 100-500, 小型 < 100.
DANGER_LEVELS = (("特大型", 1000), ("大型", 500), ("中型", 100), ("小型", 0))


def danger_level_for_people(people: float) -> str:
    for label, lower in DANGER_LEVELS:
        if people >= lower:
            return label
    return DANGER_LEVELS[-1][0]


SHELTER_CLASSES = {"emergency": "紧急避难场所", "short_term": "短期避难场所", "long_term": "长期避难场所"}
SHELTER_CLASS_BY_ZH = {"紧急": "emergency", "临时": "emergency", "短期": "short_term", "固定": "short_term",
                       "长期": "long_term", "中心": "long_term",
                       # GB/T 33744-2017 classes by stay: Ⅰ类 30 days and more, Ⅱ类 10-30 days, Ⅲ类 under 10 days
                       "Ⅰ类": "long_term", "Ⅱ类": "short_term", "Ⅲ类": "emergency",
                       "I类": "long_term", "II类": "short_term", "III类": "emergency",
                       "一类": "long_term", "二类": "short_term", "三类": "emergency"}

PERSON_ROLES = ("村支书", "村主任", "网格员", "地灾群测群防员", "山洪预警员", "避灾场所管理员", "危房联络员", "包保责任人")


# --------------------------------------------------------------------------------------------------
# Adjustable defaults, each with its source
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Default:
    key: str
    value: object
    unit: str
    zh: str
    source: str  # a norm, or "default" where no norm was found

    @property
    def is_norm(self) -> bool:
        return self.source != "default"


DEFAULTS = {d.key: d for d in (
    Default("m2_per_person_emergency", 1.0, "m²/person", "紧急避难场所人均有效面积", "GB 50413-2007"),
    Default("m2_per_person_fixed", 2.0, "m²/person", "固定避难场所人均有效面积", "GB 50413-2007"),
    Default("m2_per_person_gb21734", 1.5, "m²/person", "避难场所人均面积下限", "GB 21734-2008"),
    Default("min_site_area_m2", 2000.0, "m²", "避难场所有效面积下限", "GB 21734-2008"),
    Default("radius_emergency_m", 500.0, "m", "紧急避难场所服务半径", "GB 50413-2007"),
    Default("radius_fixed_m", 2500.0, "m", "固定避难场所服务半径 (2-3 km)", "GB 50413-2007"),
    Default("walk_min_emergency", 10.0, "min", "紧急避难场所步行时间", "GB 50413-2007"),
    Default("walk_kmh", 4.0, "km/h", "步行速度", "default"),
    Default("walk_kmh_vulnerable", 2.5, "km/h", "老弱病残步行速度", "default"),
    Default("max_leg_m", 1000.0, "m", "住户、避难场所离路最远距离（直线）", "default"),
    Default("evac_radius_landslide_m", 200.0, "m", "滑坡撤离半径", "default"),
    Default("evac_radius_rockfall_m", 100.0, "m", "崩塌撤离半径", "default"),
    Default("evac_radius_debris_flow_m", 300.0, "m", "泥石流撤离半径", "default"),
    Default("evac_radius_ground_collapse_m", 100.0, "m", "地面塌陷撤离半径", "default"),
    Default("evac_radius_ground_fissure_m", 50.0, "m", "地裂缝撤离半径", "default"),
    Default("evac_radius_subsidence_m", 50.0, "m", "地面沉降撤离半径", "default"),
    Default("evac_radius_flood_lowpoint_m", 100.0, "m", "低洼易涝点撤离半径", "default"),
    # A ponded extent drawn as a polygon (a flood simulation's depth classes) already is the water: a small
    # margin for the lanes beside it, not a low point's radius around every piece.
    Default("evac_radius_flood_area_m", 30.0, "m", "积水范围（面）外扩距离", "default"),
    # Above this share of the package's people, an evacuation plan is more likely a data problem than a plan.
    Default("evac_plausible_share", 0.10, "", "须撤离人口占比提示阈值", "default"),
    Default("flood_min_depth_m", 0.15, "m", "需撤离的最小积水深度 (车道积水 > 15 cm 即内涝)", "GB 51222-2017"),
    # DEM low points (dem_depressions): what counts as a low point worth listing, and the rain that reaches them.
    Default("lowpoint_min_depth_m", 0.3, "m", "DEM洼地最小深度（更浅的视为地形噪声）", "default"),
    Default("lowpoint_min_area_m2", 200.0, "m²", "DEM洼地最小面积", "default"),
    Default("lowpoint_min_cells", 2, "cells", "DEM洼地最少格数（单格坑视为噪声）", "default"),
    Default("lowpoint_runoff_coefficient", 0.6, "", "径流系数（降雨中形成地表径流的比例，城镇与农田混合）", "default"),
    Default("depot_reach_county_h", 6.0, "h", "县级物资首批送达时限", "2024 national guidance"),
    Default("depot_reach_city_h", 8.0, "h", "市级物资首批送达时限", "2024 national guidance"),
    Default("depot_reach_province_h", 10.0, "h", "省级物资首批送达时限", "2024 national guidance"),
    Default("outside_county_m", 10_000.0, "m", "图层要素离县界最远距离（超出即视为坐标错误）", "default"),
    Default("fixed_shelter_share", 0.25, "share", "固定避难场所容量占常住人口比例 (20-30%)", "Guangdong guidance"),
    # Village plans (预案), 包保 and drills (layers/plan_model.py holds the rest of the plan's data).
    Default("prep_min", 20.0, "min", "接到预警后出发前的准备时间（参考盐城做法：20分钟内到岗）", "default"),
    Default("clearance_target_min", 60.0, "min", "转移完成时限（盐城做法：1小时内完成转移）", "Yancheng practice"),
    Default("helper_capacity", 5, "households", "每名包保责任人最多包保的老弱病残户数", "default"),
)}


def default_value(key: str):
    return DEFAULTS[key].value


# --------------------------------------------------------------------------------------------------
# Layers and fields
# --------------------------------------------------------------------------------------------------
_ADMIN = (F("code", "str", "统计用区划代码", required=True, unique=True), F("name", "str", "名称", required=True),
          F("parent_code", "str", "上级代码"))

# Where a boundary came from when it is not surveyed: areas made from points (importer) say so on every output.
APPROX_VILLAGES, APPROX_TOWNSHIPS = "近似村界", "近似乡镇界"
_BOUNDARY = (F("boundary", "str", "边界来源"),)

GROUP_ADMIN, GROUP_RISK, GROUP_HAZARD, GROUP_SHELTER, GROUP_NETWORK = (
    "行政区划", "风险区划", "隐患点", "避难与物资", "路网与人口")
GROUPS = (GROUP_HAZARD, GROUP_SHELTER, GROUP_NETWORK, GROUP_RISK, GROUP_ADMIN)  # drawing order, top first

LAYERS = (
    LayerSpec("county", ("Polygon",), "县（区）", GROUP_ADMIN, _ADMIN, required=True),
    LayerSpec("townships", ("Polygon",), "乡镇（街道）", GROUP_ADMIN, _ADMIN + _BOUNDARY, required=True),
    LayerSpec("villages", ("Polygon",), "村（社区）", GROUP_ADMIN, _ADMIN + _BOUNDARY + (
        F("population", "float", "常住人口", min=0, max=1e8), F("households", "float", "总户数", min=0, max=1e8),
        F("pop_0_14", "float", "0-14岁人口", min=0), F("pop_65_plus", "float", "65岁以上人口", min=0),
        F("disabled", "float", "残障人数", min=0)), required=True),
    # Administrative units known only as points or as a code table (importer: points are not boundaries).
    LayerSpec("county_points", ("Point",), "县（区）驻地", GROUP_ADMIN, _ADMIN),
    LayerSpec("township_points", ("Point",), "乡镇驻地", GROUP_ADMIN, _ADMIN),
    LayerSpec("village_points", ("Point",), "村（社区）位置", GROUP_ADMIN, _ADMIN),
    LayerSpec("admin_units", (), "区划代码表", GROUP_ADMIN, _ADMIN + (F("level", "str", "层级"),)),
    LayerSpec("risk_zones", ("Polygon",), "风险区划", GROUP_RISK, (
        F("id", "str", "编号"),
        F("hazard_type", "str", "灾种", required=True, choices=tuple(h.key for h in HAZARD_TYPES)),
        F("risk_level", "int", "风险等级", required=True, min=1, max=5), F("level_label", "str", "等级名称"),
        F("source", "str", "数据来源"))),
    LayerSpec("geohazard_points", ("Point",), "地质灾害隐患点", GROUP_HAZARD, (
        F("id", "str", "隐患点编号", required=True, unique=True), F("name", "str", "名称", required=True),
        F("kind", "str", "类型", required=True, choices=tuple(GEOHAZARD_KINDS)), F("scale", "str", "规模等级"),
        F("danger_level", "str", "险情等级"), F("threatened_households", "int", "威胁户数", min=0),
        F("threatened_people", "int", "威胁人数", min=0), F("threatened_property", "float", "威胁财产(万元)", min=0),
        F("village_code", "str", "所在村代码"),
        F("monitor_name", "str", "监测责任人"), F("monitor_phone", "str", "监测人电话"),
        F("evac_radius_m", "float", "撤离半径(米)", min=0, max=50_000), F("trend", "str", "发展趋势"),
        F("warning_method", "str", "预警手段"))),
    LayerSpec("geohazard_zones", ("Polygon",), "地质灾害危险区", GROUP_HAZARD, (
        F("id", "str", "危险区编号", required=True, unique=True), F("point_id", "str", "隐患点编号"),
        F("kind", "str", "类型", choices=tuple(GEOHAZARD_KINDS)))),
    LayerSpec("flood_lowpoints", ("Point", "Polygon"), "低洼易涝点", GROUP_HAZARD, (
        F("id", "str", "编号", required=True, unique=True), F("name", "str", "名称", required=True),
        F("max_depth_m", "float", "最大积水深度(米)", min=0), F("area_m2", "float", "面积(平方米)", min=0),
        F("duration_h", "float", "积水持续时间(小时)", min=0),
        F("source", "str", "来源", choices=("ledger", "model", "dem")), F("village_code", "str", "所在村代码"),
        F("resp_name", "str", "责任人"), F("resp_phone", "str", "联系电话"))),
    LayerSpec("shelters", ("Point", "Polygon"), "应急避难场所", GROUP_SHELTER, (
        F("id", "str", "编号", required=True, unique=True), F("name", "str", "名称", required=True),
        F("shelter_class", "str", "类别", required=True, choices=tuple(SHELTER_CLASSES)),
        F("area_m2", "float", "有效面积(平方米)", min=0, max=1e9), F("capacity", "float", "容纳人数", min=0, max=1e7),
        F("indoor", "int", "室内", min=0, max=1),
        F("manager_name", "str", "管理人员"), F("manager_phone", "str", "管理人电话"),
        F("village_code", "str", "所在村代码"), F("address", "str", "地址"))),
    LayerSpec("depots", ("Point",), "应急物资储备点", GROUP_SHELTER, (
        F("id", "str", "编号", required=True, unique=True), F("name", "str", "名称", required=True),
        F("level", "str", "等级"), F("capacity", "float", "有效库容", min=0))),
    LayerSpec("depot_candidates", ("Point",), "储备点候选址", GROUP_SHELTER, (
        F("id", "str", "编号", required=True, unique=True), F("name", "str", "名称", required=True),
        F("level", "str", "等级"), F("capacity", "float", "有效库容", min=0))),
    LayerSpec("roads", ("LineString",), "道路", GROUP_NETWORK, (
        F("id", "str", "编号"), F("kind", "str", "道路等级", choices=("county", "township", "village", "path")),
        F("name", "str", "名称"), F("walkable", "int", "可步行", min=0, max=1),
        F("drive_kmh", "float", "车速(km/h)", min=0, max=200))),
    LayerSpec("households", ("Point",), "住户", GROUP_NETWORK, (
        F("id", "str", "编号", required=True, unique=True), F("village_code", "str", "所在村代码"),
        F("people", "int", "人数", required=True, min=0, max=10_000), F("vulnerable", "str", "脆弱人群"),
        F("head_name", "str", "户主"), F("head_phone", "str", "户主电话"))),
    # Land use (地类图斑, GB/T 21010-2017 classes): the DEM low points' runoff coefficient per cell
    # (analysis/runoff.py reads code, name or a runoff coefficient, the first present).
    LayerSpec("land_use", ("Polygon",), "土地利用（地类图斑）", GROUP_NETWORK, (
        F("id", "str", "图斑编号"), F("code", "str", "地类编码"), F("name", "str", "地类名称"),
        F("runoff", "float", "径流系数", min=0, max=1))),
    LayerSpec("persons", (), "责任人（叫应名单）", GROUP_NETWORK, (
        F("village_code", "str", "所在村代码", required=True), F("name", "str", "姓名", required=True),
        F("role", "str", "职务", required=True), F("phone", "str", "电话", required=True),
        F("duty", "str", "职责"))),
    # The ledger (隐患排查治理台账): sites of the plan's kinds, one treatment record per entry (its own sites and the
    # geohazard points and low points, linked by layer and id), and every status change ever made.
    LayerSpec("hazard_sites", ("Point",), "隐患排查治理台账点位", GROUP_HAZARD, (
        F("id", "str", "隐患编号", required=True, unique=True), F("name", "str", "隐患名称", required=True),
        F("category", "str", "隐患类别", required=True, choices=tuple(LEDGER_CATEGORY_BY_KEY)),
        F("village_code", "str", "所在村代码"), F("address", "str", "具体位置"), F("photo", "str", "照片"),
        F("source", "str", "来源", choices=tuple(LEDGER_SOURCES)))),
    LayerSpec("hazard_treatment", (), "隐患治理记录", GROUP_HAZARD, (
        F("site_layer", "str", "所在图层", required=True, choices=("hazard_sites",) + tuple(LEDGER_LINKED_LAYERS)),
        F("site_id", "str", "隐患编号", required=True),
        F("sector", "str", "行业领域", choices=tuple(LEDGER_SECTORS)), F("found_date", "str", "发现日期"),
        F("finder", "str", "发现人"), F("risk_grade", "str", "隐患等级", choices=tuple(LEDGER_RISK_GRADES)),
        F("measure", "str", "治理措施", choices=tuple(LEDGER_MEASURES)), F("resp_unit", "str", "责任单位"),
        F("resp_name", "str", "责任人"), F("resp_phone", "str", "联系电话"), F("deadline", "str", "整改时限"),
        F("status", "str", "治理状态", required=True, choices=tuple(LEDGER_STATUSES)),
        F("status_date", "str", "状态日期"), F("note", "str", "备注"))),
    LayerSpec("hazard_history", (), "隐患治理状态变更记录", GROUP_HAZARD, (
        F("site_layer", "str", "所在图层", required=True), F("site_id", "str", "隐患编号", required=True),
        F("changed_at", "str", "变更时间", required=True), F("old_status", "str", "原状态"),
        F("new_status", "str", "新状态", required=True, choices=tuple(LEDGER_STATUSES)),
        F("changed_by", "str", "变更人"), F("source", "str", "来源", choices=tuple(LEDGER_SOURCES)),
        F("record_id", "str", "记录编号"), F("note", "str", "说明"))),
    # Every patrol record merged from the phones (巡查记录), kept whole: conflicts and refused changes too.
    LayerSpec("patrol_records", ("Point",), "巡查记录", GROUP_HAZARD, (
        F("uuid", "str", "记录编号", required=True, unique=True), F("site_layer", "str", "所在图层"),
        F("site_id", "str", "隐患编号"), F("inspected_at", "str", "巡查时间"), F("inspector", "str", "巡查人"),
        F("finding", "str", "发现情况"), F("photo", "str", "照片"),
        F("new_status", "str", "状态变更为", choices=tuple(LEDGER_STATUSES)), F("note", "str", "备注"),
        F("folder", "str", "巡查包"), F("merged_at", "str", "合并时间"),
        F("outcome", "str", "合并结果", choices=("applied", "recorded", "conflict", "refused", "new_site")),
        F("outcome_note", "str", "合并说明"))),
)
LAYER_BY_NAME = {s.name: s for s in LAYERS}

# The patrol folder for QField (巡查包): the township's ledger entries, and what the phone adds.
PATROL_LAYERS = (
    LayerSpec("patrol_sites", ("Point",), "台账隐患（巡查对象）", GROUP_HAZARD, (
        F("key", "str", "台账键"), F("site_layer", "str", "所在图层"), F("site_id", "str", "隐患编号"),
        F("name", "str", "隐患名称"), F("category", "str", "隐患类别"), F("status", "str", "治理状态"),
        F("village_code", "str", "所在村代码"), F("resp_name", "str", "责任人"), F("deadline", "str", "整改时限"),
        F("label", "str", "巡查对象"))),
    LayerSpec("inspections", ("Point",), "巡查记录（手机填写）", GROUP_HAZARD, (
        F("uuid", "str", "记录编号", required=True), F("site_key", "str", "巡查对象", required=True),
        F("inspected_at", "str", "巡查日期", required=True), F("inspector", "str", "巡查人", required=True),
        F("finding", "str", "发现情况", required=True), F("photo", "str", "照片"),
        F("new_status", "str", "状态变更为", choices=tuple(LEDGER_STATUSES)), F("note", "str", "备注"))),
    LayerSpec("new_sites", ("Point",), "新发现隐患（手机填写）", GROUP_HAZARD, (
        F("uuid", "str", "记录编号", required=True), F("name", "str", "隐患名称", required=True),
        F("category", "str", "隐患类别", required=True, choices=tuple(LEDGER_CATEGORY_BY_KEY)),
        F("village_code", "str", "所在村", required=True), F("address", "str", "具体位置"),
        F("photo", "str", "照片"), F("finder", "str", "发现人", required=True),
        F("found_date", "str", "发现日期", required=True), F("note", "str", "备注"))),
)
PATROL_LAYER_BY_NAME = {s.name: s for s in PATROL_LAYERS}



def layer_title(name: str) -> str:
    """The Chinese title of a package layer: model layers, then analysis outputs, else the name itself."""
    spec = LAYER_BY_NAME.get(name)
    return spec.zh if spec is not None else OUTPUT_LAYER_TITLES.get(name, name)




def layer_spec_any(name: str) -> Optional[LayerSpec]:
    """The spec of a package layer or of an analysis output layer, None for anything else."""
    return LAYER_BY_NAME.get(name) or OUTPUT_LAYER_BY_NAME.get(name)


ROAD_DRIVE_KMH = {"county": 60.0, "township": 40.0, "village": 25.0, "path": 5.0}  # default
ROAD_KINDS = {"county": "县道", "township": "乡道", "village": "村道", "path": "小路"}
LOWPOINT_SOURCES = {"ledger": "积水台账", "model": "模型计算", "dem": "DEM洼地"}

# Files of the package folder (SPEC.md).
GPKG_NAME = "onemap.gpkg"
POPULATION_RASTER = "population.tif"
# Where the package's data came from, when no import report says it (the sample county marks itself here).
SOURCES_TABLE = "package_sources"
APPROX_NOTE = ("村界为近似村界（由村点按最近距离划分，非实测边界），结果仅供参考 / village areas are approximate "
               "(近似村界, made from the village points), not surveyed boundaries")
SAMPLE_SOURCE = "示例数据（虚构，仅供演示，不得用于实际避险）"
DEM_RASTER = "dem.tif"
PROJECT_NAME = "onemap.qgz"


def layer_spec(name: str) -> LayerSpec:
    try:
        return LAYER_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown one-map layer {name!r}; known: {', '.join(LAYER_BY_NAME)}") from None
