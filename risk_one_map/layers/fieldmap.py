"""Which one-map layer a file is, and which of its fields is which model field.

Presets know the field names of the natural-hazard census (自然灾害综合风险普查) and of common county ledgers,
plus the English model names. A user mapping file (JSON ``{"layer": {"source field": "model field"}}`` or CSV
``layer,source,target``) comes first; ``"*"`` as the layer applies to every layer, and a source written
``=value`` puts that constant into the target field (``{"risk_zones": {"=flood": "hazard_type"}}``).

Values are read here too: Chinese labels -> model keys (hazard types, risk levels, geohazard kinds, shelter
classes ...). Each reader returns ``(value, note)``; ``value is None`` with a note means "not understood".

Pure Python.
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Optional

from ..errors import RiskOneMapError
from . import model

# Layers the importer writes besides the model's: admin units known only as points or as rows of a code table.
POINT_ADMIN_LAYERS = {"county": "county_points", "townships": "township_points", "villages": "village_points"}
ADMIN_UNITS = "admin_units"
ADMIN_LAYERS = ("county", "townships", "villages")

_ADMIN_FIELDS = {
    # Families, most specific first: Chinese, pinyin abbreviations (xzqdm, cundm), census and 统计用区划 exports
    # (ADCODE99/NAME99), Taiwan's MOI village files (CPTVID/VNAME under CPTID/TNAME) and English.
    "code": ("统计用区划代码", "区划代码", "行政区划代码", "行政代码", "代码", "编码", "区划编码", "code", "xzqdm",
             "cundm", "cun_code", "village_code", "villcode", "vill_code", "cptvid", "vcode", "adcode", "adcode99",
             "gb", "town_code", "towncode", "xzdm", "cptid", "county_code", "countycode", "xdm"),
    "name": ("名称", "村名称", "村（社区）名称", "社区名称", "行政村名称", "村名", "乡镇名称", "乡镇（街道）名称",
             "乡镇", "县名称", "区县名称", "行政区名称", "单位名称", "名字", "name", "xzqmc", "cunmc", "cun_name",
             "vname", "villname", "village_name", "village", "name99", "tname", "townname", "town_name", "xzmc",
             "countyname", "county_name"),
    "parent_code": ("上级代码", "上级区划代码", "父级代码", "所属乡镇代码", "所属县代码", "parent_code", "parent",
                    "parent_adcode", "towncode", "town_code", "cptid"),
    "population": ("常住人口", "常住人口数", "总人口", "人口", "人口数", "户籍人口", "population", "pop", "pop_total",
                   "total_pop"),
    "households": ("总户数", "户数", "常住户数", "households", "hh"),
    "pop_0_14": ("0-14岁", "0-14岁人口", "0~14岁", "14岁以下", "14岁及以下", "儿童人数", "pop_0_14", "pop_u15",
                 "pop014", "u15"),
    "pop_65_plus": ("65岁以上", "65岁及以上", "65岁以上人口", "65岁及以上人口", "老年人口", "pop_65_plus", "pop_65p",
                    "pop65", "pop_65"),
    "disabled": ("残障人数", "残疾人数", "残障人口", "残疾人口", "disabled"),
    "level": ("级别", "层级", "level"),
}

PRESETS = {
    "county": _ADMIN_FIELDS, "townships": _ADMIN_FIELDS, "villages": _ADMIN_FIELDS,
    "risk_zones": {
        "id": ("风险区编号", "编号", "id"),
        "hazard_type": ("灾种", "灾害类型", "灾害种类", "风险类型", "灾种类型", "类型", "hazard_type", "hazard"),
        "risk_level": ("风险等级", "风险级别", "风险区等级", "危险性等级", "易发程度", "易发性等级", "等级", "级别",
                       "risk_level", "level", "grade"),
        "level_label": ("等级名称", "风险等级名称", "level_label"),
        "source": ("数据来源", "来源", "source"),
        "depth_class": ("淹没水深", "淹没深度", "积水深度", "水深", "水深等级", "depth_class", "depth", "f_depth"),
    },
    "geohazard_points": {
        "id": ("隐患点编号", "统一编号", "灾害点编号", "编号", "野外编号", "id"),
        "name": ("名称", "隐患点名称", "灾害点名称", "灾点名称", "name"),
        "kind": ("类型", "灾害类型", "灾种", "隐患类型", "灾害种类", "kind", "type"),
        "scale": ("规模等级", "规模", "scale"),
        "danger_level": ("险情等级", "险情", "danger_level"),
        "threatened_households": ("威胁户数", "受威胁户数", "threatened_households"),
        "threatened_people": ("威胁人数", "威胁人口", "受威胁人数", "threatened_people"),
        "threatened_property": ("威胁财产(万元)", "威胁财产", "威胁资产(万元)", "潜在经济损失(万元)",
                                "threatened_property"),
        "village_code": ("所在村代码", "村代码", "行政村代码", "village_code"),
        "monitor_name": ("监测责任人", "监测责任人姓名", "监测人", "防灾责任人", "防灾责任人姓名", "群测群防员", "责任人",
                         "monitor_name"),
        "monitor_phone": ("监测人电话", "监测责任人电话", "防灾责任人电话", "联系电话", "电话", "手机", "monitor_phone"),
        "evac_radius_m": ("撤离半径(米)", "撤离半径(m)", "撤离半径", "evac_radius_m"),
        "trend": ("发展趋势", "trend"),
        "warning_method": ("预警手段", "预警方式", "warning_method"),
    },
    "geohazard_zones": {
        "id": ("危险区编号", "编号", "id"),
        "point_id": ("隐患点编号", "统一编号", "point_id"),
        "kind": ("类型", "灾害类型", "灾种", "kind", "type"),
    },
    "flood_lowpoints": {
        "id": ("易涝点编号", "积水点编号", "编号", "id"),
        "name": ("名称", "易涝点名称", "积水点名称", "位置", "地点", "name"),
        "max_depth_m": ("最大积水深度(米)", "最大积水深度(m)", "最大积水深度", "积水深度(m)", "积水深度", "最大水深",
                        "max_depth_m", "淹没水深", "水深", "depth", "f_depth", "depth_class"),
        "area_m2": ("积水面积(平方米)", "面积(平方米)", "积水面积", "面积", "area_m2"),
        "duration_h": ("积水持续时间(小时)", "持续时间(小时)", "积水持续时间", "持续时间", "积水时间", "duration_h"),
        "source": ("来源", "数据来源", "source"),
        "village_code": ("所在村代码", "村代码", "village_code"),
        "resp_name": ("责任人", "责任人姓名", "负责人", "resp_name"),
        "resp_phone": ("责任人电话", "联系电话", "电话", "手机", "resp_phone"),
    },
    "shelters": {
        "id": ("场所编号", "避难场所编号", "编号", "id"),
        "name": ("名称", "场所名称", "避难场所名称", "name"),
        "shelter_class": ("避难场所类型", "避难场所类别", "场所类型", "类别", "类型", "避难时长", "场所级别", "级别",
                          "shelter_class", "class", "category", "type", "cslx"),
        "area_m2": ("有效面积(平方米)", "有效面积", "有效避难面积", "占地面积(平方米)", "占地面积", "面积", "area_m2",
                    "area", "yxmj", "mj", "有效面积(公顷)", "占地面积(公顷)", "面积(公顷)", "area_ha"),
        "capacity": ("容纳人数", "可容纳人数", "容纳人口", "容量", "capacity", "cap", "persons", "rnrs"),
        "indoor": ("室内/室外", "室内外", "室内", "indoor"),
        "manager_name": ("管理人员", "管理人", "管理员", "负责人", "manager_name"),
        "manager_phone": ("管理人电话", "管理人员电话", "联系电话", "电话", "manager_phone"),
        "village_code": ("所在村代码", "村代码", "village_code"),
        "address": ("地址", "位置", "address"),
    },
    "depots": {
        "id": ("编号", "id"), "name": ("名称", "储备点名称", "仓库名称", "name"),
        "level": ("等级", "级别", "level"), "capacity": ("有效库容", "库容", "capacity"),
    },
    "roads": {
        "id": ("编号", "道路编号", "id"), "kind": ("道路等级", "等级", "类型", "kind"),
        "name": ("名称", "道路名称", "name"), "walkable": ("可步行", "walkable"),
        "drive_kmh": ("车速(km/h)", "车速", "设计车速", "drive_kmh"),
    },
    "households": {
        "id": ("户编号", "户号", "编号", "id"), "village_code": ("所在村代码", "村代码", "village_code"),
        "people": ("人数", "家庭人口", "户内人数", "人口", "people"),
        "vulnerable": ("脆弱人群", "特殊人群", "vulnerable"),
        "head_name": ("户主", "户主姓名", "head_name", "hzxm"),
        "head_phone": ("户主电话", "户主手机", "联系电话", "电话", "手机", "head_phone"),
    },
    # 三调/变更调查 地类图斑 (DLTB) carry DLBM (地类编码) and DLMC (地类名称); BSM is the 图斑 id.
    "land_use": {
        "id": ("图斑编号", "标识码", "bsm", "tbbh", "编号", "id"),
        "code": ("地类编码", "地类代码", "dlbm", "landuse_code", "lu_code", "code"),
        "name": ("地类名称", "地类", "dlmc", "landuse", "land_use", "lu_name", "name"),
        "runoff": ("径流系数", "runoff", "runoff_coefficient"),
    },
    "persons": {
        "village_code": ("所在村代码", "村代码", "village_code"), "name": ("姓名", "名字", "责任人", "name"),
        "role": ("职务", "岗位", "角色", "role"), "phone": ("手机", "手机号码", "联系电话", "电话", "phone"),
        "duty": ("职责", "duty"),
    },
}
PRESETS["depot_candidates"] = PRESETS["depots"]
for _admin, _points in POINT_ADMIN_LAYERS.items():
    PRESETS[_points] = _ADMIN_FIELDS
PRESETS[ADMIN_UNITS] = _ADMIN_FIELDS
PSEUDO_FIELDS = {"depth_class", "level"}  # read by the importer, not written as such

# File-name keywords -> layer, most specific first ("风险区" before "区", "乡村道路" before "村").
LAYER_KEYWORDS = (
    ("shelters", ("避难", "避险", "安置点", "shelter")),
    ("geohazard_zones", ("危险区", "danger_zone", "geohazard_zone")),
    ("geohazard_points", ("隐患点", "地灾", "地质灾害", "geohazard", "landslide", "滑坡", "崩塌", "泥石流")),
    ("flood_lowpoints", ("易涝", "积水", "内涝", "低洼", "lowpoint", "ponding")),
    ("land_use", ("土地利用", "地类", "用地", "dltb", "landuse", "land_use", "lulc", "landcover", "land_cover")),
    ("risk_zones", ("风险", "区划", "risk")),
    ("flood_lowpoints", ("flood",)),
    ("depot_candidates", ("候选", "candidate")),
    ("depots", ("储备", "物资", "仓库", "depot")),
    ("roads", ("道路", "路网", "road", "street")),
    ("households", ("住户", "农户", "household")),
    ("persons", ("责任人", "叫应", "网格员", "person", "roster", "contact")),
    ("villages", ("村", "社区", "居委", "village", "community")),
    ("townships", ("乡", "镇", "街道", "town")),
    ("county", ("县", "区", "county", "district", "boundary")),
)
KNOWN_TARGETS = tuple(dict.fromkeys(tuple(model.LAYER_BY_NAME) + tuple(POINT_ADMIN_LAYERS.values()) + (ADMIN_UNITS,)))


def normalise_name(name) -> str:
    """Compare field names without case, spaces, full-width brackets or units' punctuation differences."""
    text = str(name).strip().lower()
    text = text.translate(str.maketrans("（）［］【】：～－", "()[][]:~-"))
    return re.sub(r"[\s_\-]+", "", text)


def layer_from_name(name: str) -> Optional[str]:
    """The layer a file or layer name suggests, or None."""
    stem = str(name).lower()
    if stem in KNOWN_TARGETS:
        return stem
    for layer in KNOWN_TARGETS:  # "onemap_villages", "villages_2023"
        if re.search(rf"(^|[^a-z]){layer}([^a-z]|$)", stem):
            return layer
    for layer, words in LAYER_KEYWORDS:
        if any(w in stem for w in words):
            return layer
    return None


# --------------------------------------------------------------------------------------------------
# Field matching
# --------------------------------------------------------------------------------------------------
def _model_fields(layer: str) -> list:
    spec = model.LAYER_BY_NAME.get(layer)
    base = layer
    if spec is None:
        base = {v: k for k, v in POINT_ADMIN_LAYERS.items()}.get(layer, "villages")
        spec = model.LAYER_BY_NAME[base]
    return spec.field_names + [f for f in PRESETS.get(layer, {}) if f not in spec.field_names]


# Headers that carry a date or a unit after the field's name: pop_2021_03, 人口2020, 常住人口(人).
PATTERNS = {"population": re.compile(r"^(pop|population|人口|常住人口|户籍人口)[_\-]?((19|20)\d\d)")}
HECTARE_HEADER = re.compile(r"(公顷|hectare|(^|_)ha$|\(ha\))", re.IGNORECASE)


def match_fields(layer: str, columns, user: Optional[dict] = None, allow_prefix: bool = False):
    """{model field: source column or '=constant'} and {model field: how it was matched}.

    Order: the user's mapping, the English model name, the preset synonyms in their order, and (for shapefiles,
    whose DBF cuts names at 10 bytes) a unique preset synonym that starts with the cut name.
    """
    columns = list(columns)
    targets = _model_fields(layer)
    mapping, how, used = {}, {}, set()
    for source, target in (user or {}).items():
        if target not in targets:
            continue
        if str(source).startswith("="):
            mapping[target], how[target] = str(source), "mapping file (constant)"
        elif source in columns:
            mapping[target], how[target] = source, "mapping file"
            used.add(source)
    norm = {}
    for c in columns:
        norm.setdefault(normalise_name(c), c)
    presets = PRESETS.get(layer, {})
    for target in targets:
        if target in mapping:
            continue
        for synonym in (target,) + tuple(presets.get(target, ())):
            col = norm.get(normalise_name(synonym))
            if col is not None and col not in used:
                mapping[target], how[target] = col, "preset" if synonym != target else "model name"
                used.add(col)
                break
    for target, pattern in PATTERNS.items():
        if target in targets and target not in mapping:
            col = next((c for c in columns if c not in used and pattern.search(str(c).lower())), None)
            if col is not None:
                mapping[target], how[target] = col, "preset (name with a date or unit)"
                used.add(col)
    if allow_prefix:
        for c in columns:
            n = normalise_name(c)
            # a DBF cuts names at 10 bytes: 3 CJK characters, or 10 ASCII ones ("population_2021" -> "population")
            if c in used or len(n) < 2 or (n.isascii() and len(str(c)) != 10):
                continue
            hits = {t for t in targets if t not in mapping
                    for s in presets.get(t, ()) if normalise_name(s).startswith(n) and normalise_name(s) != n}
            if len(hits) == 1:
                target = hits.pop()
                mapping[target], how[target] = c, "preset (field name cut at 10 bytes)"
                used.add(c)
    return mapping, how


def load_mapping(path) -> dict:
    """{layer: {source field: model field}} from a JSON or CSV mapping file."""
    path = Path(path)
    if not path.is_file():
        raise RiskOneMapError("no such mapping file", file=path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")
    result: dict = {}
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RiskOneMapError(f"not valid JSON: {exc}", file=path) from None
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise RiskOneMapError('expected {"layer": {"source field": "model field"}}', file=path)
        items = [(layer, s, t) for layer, m in data.items() for s, t in m.items()]
    else:
        rows = [r for r in csv.reader(io.StringIO(text)) if r and any(x.strip() for x in r)]
        if rows and [x.strip().lower() for x in rows[0][:3]] == ["layer", "source", "target"]:
            rows = rows[1:]
        bad = [i for i, r in enumerate(rows, 2) if len(r) < 3]
        if bad:
            raise RiskOneMapError("each line must be layer,source,target", file=path, feature=f"line {bad[0]}")
        items = [(r[0].strip(), r[1].strip(), r[2].strip()) for r in rows]
    for layer, source, target in items:
        if layer != "*" and layer not in KNOWN_TARGETS:
            raise RiskOneMapError(f"unknown layer {layer!r}; known: {', '.join(KNOWN_TARGETS)}", file=path,
                                  layer=layer)
        layers = KNOWN_TARGETS if layer == "*" else (layer,)
        if not any(target in _model_fields(name) for name in layers):
            raise RiskOneMapError(f"{target!r} is not a field of {layer}; fields: {', '.join(_model_fields(layers[0]))}",
                                  file=path, layer=layer, field=source)
        for name in layers:
            if target in _model_fields(name):
                result.setdefault(name, {})[str(source)] = str(target)
    return result


# --------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------
def _text(value) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
    text = str(value).strip()
    return text or None


def read_hazard(value):
    key = model.hazard_key(value)
    return key, None


def _key_or_label(text, keys, by_zh):
    """A model key written as itself or as a Chinese label, whole or inside the text ("土质滑坡")."""
    if text.lower() in keys:
        return text.lower()
    return next((by_zh[zh] for zh in sorted(by_zh, key=len, reverse=True) if zh in text), None)


def read_kind(value):
    text = _text(value)
    if text is None:
        return None, None
    key = _key_or_label(text, model.GEOHAZARD_KINDS, model.GEOHAZARD_KIND_BY_ZH)
    if key is None and "斜坡" in text:  # 不稳定斜坡, a census class of its own, is a potential landslide
        return "landslide", f"{text} (unstable slope) read as landslide"
    if key is None and "塌陷" in text:
        key = "ground_collapse"
    return key, None


def read_shelter_class(value):
    text = _text(value)
    return (None if text is None else _key_or_label(text, model.SHELTER_CLASSES, model.SHELTER_CLASS_BY_ZH)), None


def read_scale(value):
    text = _text(value)
    if text is None:
        return None, None
    for key, zh in model.GEOHAZARD_SCALES.items():
        if text.lower() == key or text in (zh, zh[:-1]) or text == zh + "规模":
            return key, None
    return text, None


def read_indoor(value):
    text = _text(value)
    if text is None:
        return None, None
    if text in ("1", "是", "室内", "indoor", "true", "True", "Y", "y"):
        return 1, None
    if text in ("0", "否", "室外", "outdoor", "false", "False", "N", "n"):
        return 0, None
    return None, None


def _keywords(table):
    """A reader that returns the first key whose keywords occur in the value."""
    def read(value):
        text = _text(value)
        if text is None:
            return None, None
        low = text.lower()
        return next((key for key, words in table if any(w in low for w in words)), None), None
    return read


read_lowpoint_source = _keywords((("ledger", ("ledger", "台账", "历史", "积水记录", "调查", "排查")),
                                  ("model", ("model", "模型", "模拟", "水力")), ("dem", ("dem", "高程", "洼地"))))
read_road_kind = _keywords((("county", ("county", "县道", "国道", "省道", "高速")), ("township", ("township", "乡道")),
                            ("village", ("village", "村道", "村路")), ("path", ("path", "小路", "步道", "小道", "机耕"))))


def read_depth_m(value):
    """(metres, note) from a depth: a number, '35 cm', or a class such as '0.15 m ~ 0.30 m' (its deepest bound, so
    that the 0.15 m waterlogging threshold applies to flood simulations' depth classes)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (float(value), None) if math.isfinite(float(value)) else (None, None)
    text = _text(value)
    depth, count, cm = _deepest_m(text)
    if depth is None or (count == 1 and not cm):
        return depth, None
    return depth, f"depth {depth:g} m taken from {text!r}" + (" (its deepest bound)" if count > 1 else "")


def _deepest_m(text):
    """(the largest depth written in ``text`` in metres, how many numbers it holds, whether in cm)."""
    numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", text or "")]
    if not numbers:
        return None, 0, False
    cm = "cm" in text.lower() or "厘米" in text
    return max(numbers) / (100.0 if cm else 1.0), len(numbers), cm


VALUE_READERS = {
    ("flood_lowpoints", "max_depth_m"): read_depth_m,
    ("risk_zones", "hazard_type"): read_hazard,
    ("geohazard_points", "kind"): read_kind,
    ("geohazard_zones", "kind"): read_kind,
    ("geohazard_points", "scale"): read_scale,
    ("shelters", "shelter_class"): read_shelter_class,
    ("shelters", "indoor"): read_indoor,
    ("roads", "walkable"): read_indoor,
    ("flood_lowpoints", "source"): read_lowpoint_source,
    ("roads", "kind"): read_road_kind,
}

# Flood depth classes -> risk level (1 = highest): the class's upper depth in metres. Adjustable default (no
# national grading found; the bands follow the 0.3 / 0.5 / 1 / 2 m steps of flood-risk-map legends).
DEPTH_LEVEL_BOUNDS = ((0.3, 5), (0.5, 4), (1.0, 3), (2.0, 2))
DEPTH_LEVEL_SOURCE = "default"


def level_from_depth_class(value):
    """(level, note) from a depth class such as '0.15 m ~ 0.30 m', '1-2m', '>2 m' or a depth in metres."""
    text = _text(value)
    upper, _count, _cm = _deepest_m(text)
    if upper is None:
        return None, None
    level = 1  # deeper than the last bound, or open-ended ("> 1 m": no upper depth): the highest level
    if not re.search(r"(>|＞|≥|以上|above|over)", text):
        level = next((lvl for bound, lvl in DEPTH_LEVEL_BOUNDS if upper <= bound + 1e-9), 1)
    return level, (f"risk_level {level} from depth class {text!r} (adjustable default: depth up to 0.3/0.5/1/2 m "
                   f"-> level 5/4/3/2, deeper or open-ended -> 1)")


def admin_level_of(value, code: Optional[str] = None) -> Optional[str]:
    """'county', 'townships', 'villages' (or None) from a level label or a 12-digit code."""
    text = (_text(value) or "").lower()
    for layer, words in (("villages", ("village", "community", "村", "社区", "居委")),
                         ("townships", ("town", "street", "乡", "镇", "街道")),
                         ("county", ("county", "district", "县", "区"))):
        if text and any(w in text for w in words):
            return layer
    if code and len(code) == 12 and code.isdigit():
        if code[6:] == "000000":
            return "county" if code[4:6] != "00" else None
        return "townships" if code[9:] == "000" else "villages"
    return None


def parent_code_of(code: Optional[str], layer: str) -> Optional[str]:
    """Parent of a 12-digit 统计用区划代码: village -> its township, township -> its county, county -> its city."""
    if not code or len(code) != 12 or not code.isdigit():
        return None
    cut = {"villages": 9, "townships": 6, "county": 4}.get(POINT_BASE.get(layer, layer))
    return code[:cut] + "0" * (12 - cut) if cut else None


POINT_BASE = {v: k for k, v in POINT_ADMIN_LAYERS.items()}


def normalise_code(value) -> Optional[str]:
    """A code as text: 110109001001.0 -> '110109001001'."""
    return _text(value)
