"""The hazard ledger's words (隐患排查治理台账), as data: the plan's places to watch, their hazard kinds and sectors,
measures, grades, the status workflow, and the patrol round trip's names. Part of the one-map model (``layers.model``
imports every name here, so ``model.LEDGER_STATUSES`` is the way to reach them); kept apart so the model stays one
file a reader holds at a time.

Pure Python, no imports of ours at load.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

# --------------------------------------------------------------------------------------------------
# 隐患排查治理台账 (the hazard ledger): the plan's list of places to watch (§二(六)), kept 分区域、分灾种、分行业领域
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LedgerCategory:
    key: str
    zh: str
    kind: str  # 分灾种: a key of LEDGER_KINDS
    sector: str  # 分行业领域: the sector that usually owns it (a key of LEDGER_SECTORS); a site may name another
    group: str = ""  # 九小场所 for the nine small venues


# The hazard kinds a ledger is split by: the census classes the plan's places belong to, plus the safety kinds of
# the places that are no natural hazard (fire in small venues, buildings, gas). Grouping is a default of ours.
LEDGER_KINDS = {"geologic": "地质灾害", "flood": "洪涝灾害", "forest_fire": "森林草原火灾", "fire": "火灾",
                "building": "房屋建筑安全", "gas": "燃气安全", "tailings": "尾矿库安全"}
LEDGER_SECTORS = {"education": "教育", "health": "卫生健康", "commerce": "商务", "market": "市场监管",
                  "culture_tourism": "文化和旅游", "public_security": "公安", "housing": "住房和城乡建设",
                  "water": "水利", "natural_resources": "自然资源", "emergency": "应急管理",
                  "forestry": "林业和草原", "agriculture": "农业农村", "civil_defence": "人防"}
NINE_SMALL = "九小场所"
LEDGER_CATEGORIES = (
    LedgerCategory("small_school", "小学校或幼儿园", "fire", "education", NINE_SMALL),
    LedgerCategory("small_hospital", "小医院", "fire", "health", NINE_SMALL),
    LedgerCategory("small_shop", "小商店", "fire", "commerce", NINE_SMALL),
    LedgerCategory("small_restaurant", "小餐饮场所", "fire", "market", NINE_SMALL),
    LedgerCategory("small_hotel", "小旅馆", "fire", "public_security", NINE_SMALL),
    LedgerCategory("small_entertainment", "小歌舞娱乐场所", "fire", "culture_tourism", NINE_SMALL),
    LedgerCategory("small_internet_cafe", "小网吧", "fire", "culture_tourism", NINE_SMALL),
    LedgerCategory("small_beauty_bath", "小美容洗浴场所", "fire", "commerce", NINE_SMALL),
    LedgerCategory("small_workshop", "小生产加工企业", "fire", "emergency", NINE_SMALL),
    LedgerCategory("farm_stay", "农家乐", "fire", "culture_tourism"),
    LedgerCategory("self_built_house", "经营性自建房", "building", "housing"),
    LedgerCategory("construction_site", "在建工地", "building", "housing"),
    LedgerCategory("gas", "燃气", "gas", "housing"),
    LedgerCategory("flood_lowpoint", "低洼易涝点", "flood", "housing"),
    LedgerCategory("underground_space", "城市地下空间", "flood", "civil_defence"),
    LedgerCategory("river_embankment", "江河堤防", "flood", "water"),
    LedgerCategory("small_reservoir", "山塘水库", "flood", "water"),
    LedgerCategory("tailings_pond", "尾矿库", "tailings", "emergency"),
    LedgerCategory("flash_flood_geohazard", "山洪和地质灾害危险区", "geologic", "natural_resources"),
    LedgerCategory("forest_fire_zone", "森林草原火险区", "forest_fire", "forestry"),
)
LEDGER_CATEGORY_BY_KEY = {c.key: c for c in LEDGER_CATEGORIES}
# Layers of the package whose features are ledger entries as they are (linked by id, never copied into
# hazard_sites): their category.
LEDGER_LINKED_LAYERS = {"geohazard_points": "flash_flood_geohazard", "flood_lowpoints": "flood_lowpoint"}
LEDGER_MEASURES = {"engineering": "工程治理", "relocation": "避险搬迁", "reinforcement": "除险加固",
                   "monitoring": "监测预警", "other": "其他"}
LEDGER_RISK_GRADES = {"major": "重大隐患", "general": "一般隐患"}
# 待交办 -> 已交办 -> 整改中 -> 已整改 -> 已销号, in this order. A status may move forward by more than one step
# (a patrol finds a site already put right) or back (rectification failed the check, a closed hazard came back);
# 已销号 only from 已整改: a hazard is struck off the ledger only after its rectification was seen done.
LEDGER_STATUSES = {"pending": "待交办", "assigned": "已交办", "in_progress": "整改中", "fixed": "已整改",
                   "closed": "已销号"}
LEDGER_CLOSE_FROM = ("fixed",)
LEDGER_OPEN_STATUSES = ("pending", "assigned", "in_progress")  # on the village sheets, counted as overdue
LEDGER_SOURCES = {"office": "台账录入", "patrol": "巡查上报", "workbook": "台账表格导入"}


# The patrol folder for QField (巡查包): reference layers of one township, and what the phone adds.
PATROL_PROJECT, PATROL_META = "patrol.qgz", "patrol_meta"  # beside an onemap.gpkg of the township
PATROL_PHOTOS = "DCIM"  # where the phone's camera files go, beside the project (QField's own default)
PATROL_OUTCOMES = {"applied": "已更新状态", "recorded": "已记录", "conflict": "冲突待定", "refused": "不符合流程未更新",
                   "new_site": "新增隐患"}
# The coded fields of the ledger tables and the Chinese words QGIS forms and the workbook show for them.
LEDGER_FIELD_LABELS = {"category": {c.key: c.zh for c in LEDGER_CATEGORIES}, "sector": LEDGER_SECTORS,
                       "measure": LEDGER_MEASURES, "risk_grade": LEDGER_RISK_GRADES, "status": LEDGER_STATUSES,
                       "old_status": LEDGER_STATUSES, "new_status": LEDGER_STATUSES, "source": LEDGER_SOURCES,
                       "outcome": PATROL_OUTCOMES}
LEDGER_TABLES = ("hazard_sites", "hazard_treatment", "hazard_history", "patrol_records")


def ledger_label(table: dict, key) -> str:
    """The Chinese word of a ledger key (a status, a measure ...); the value itself when it is not a key."""
    from .model import text_value  # the model's reading of a missing value (NaN, None, blank)
    text = text_value(key)
    return table.get(text, text or "")


def ledger_key(table: dict, value) -> Optional[str]:
    """The key of a ledger value written as the key or its Chinese word; None for blank or unknown."""
    from .model import text_value
    text = text_value(value)
    if text is None:
        return None
    if text in table:
        return text
    return {zh: key for key, zh in table.items()}.get(text)
