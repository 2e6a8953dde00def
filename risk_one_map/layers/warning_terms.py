"""The words of warnings and 叫应 (预警叫应) as data: which events are which hazard, the colour levels, what each
colour moves, who calls whom by role, the SMS texts. Named by ``layers.model`` as model names."""
from __future__ import annotations

from dataclasses import dataclass


# Warning event names -> the package's hazard types whose zones the warning reaches. Checked in order, the first
# whose word is in the event text wins (so "地质灾害气象风险" is geologic before "气象" could match). Editable data.
WARNING_EVENTS = (
    ("地质灾害", ("geologic",)), ("地灾", ("geologic",)), ("滑坡", ("geologic",)), ("泥石流", ("geologic",)),
    ("崩塌", ("geologic",)),
    ("山洪", ("flood",)), ("暴雨", ("flood",)), ("洪水", ("flood",)), ("洪涝", ("flood",)), ("内涝", ("flood",)),
    ("渍涝", ("flood",)), ("台风", ("meteorological", "flood")), ("森林火险", ("forest_fire",)),
    ("草原火险", ("forest_fire",)), ("森林草原火", ("forest_fire",)), ("火险", ("forest_fire",)),
    ("风暴潮", ("marine",)), ("海浪", ("marine",)), ("海啸", ("marine",)), ("地震", ("earthquake",)),
    ("大风", ("meteorological",)), ("冰雹", ("meteorological",)), ("雷电", ("meteorological",)),
    ("暴雪", ("meteorological",)), ("寒潮", ("meteorological",)), ("干旱", ("flood",)),
    ("rainstorm", ("flood",)), ("flood", ("flood",)), ("landslide", ("geologic",)),
    ("typhoon", ("meteorological", "flood")), ("fire", ("forest_fire",)),
)

# The event named on a warning given by hand (codes or an area with a hazard type).
WARNING_EVENT_OF_HAZARD = {"geologic": "地质灾害气象风险", "flood": "暴雨洪涝", "meteorological": "气象灾害",
                           "forest_fire": "森林火险", "marine": "海洋灾害", "earthquake": "地震"}


# Warning colour levels, GB/T 37230-2018: 1 red (特别严重) .. 4 blue (一般). CAP severity and English words map here.
WARNING_LEVEL_ZH = {1: "红色", 2: "橙色", 3: "黄色", 4: "蓝色"}
_WARNING_LEVEL_WORDS = (("红", 1), ("橙", 2), ("黄", 3), ("蓝", 4), ("Ⅳ级", 4), ("Ⅲ级", 3), ("Ⅱ级", 2), ("Ⅰ级", 1), ("IV级", 4), ("III级", 3),
                        ("II级", 2), ("I级", 1), ("四级", 4), ("三级", 3), ("二级", 2), ("一级", 1))
CAP_SEVERITY_LEVEL = {"extreme": 1, "severe": 2, "moderate": 3, "minor": 4}


@dataclass(frozen=True)
class WarningAction:
    """What a warning colour asks of the households in the warned hazard's zones (an adjustable default: the
    provincial plans differ). Danger zones are geohazard danger zones and flood low points (the evacuation zones);
    risk zones are the census risk_zones of the warned hazard, 1 = highest."""
    move_danger_zones: bool  # households in danger zones move (else they are told and get ready)
    move_risk_max: int  # households in risk zones at this level or higher move (0: none)
    tell_risk_max: int  # ... and are told down to this level


WARNING_ACTIONS = {1: WarningAction(True, 2, 3), 2: WarningAction(True, 1, 2), 3: WarningAction(False, 0, 1),
                   4: WarningAction(False, 0, 0)}
WARNING_ACTIONS_SOURCE = "default"
HOUSEHOLD_ACTIONS = {"move": "立即转移", "tell": "告知并做好转移准备"}

# Who calls whom (叫应链), by role: each role's place in the call order (1 first) and the role that calls it. A caller
# role the village has on its roster is that person; one it lacks passes up to its own caller, and at the top are
# the duty desks (乡镇值班员, 县值班室: not on the roster). Roles not listed come last, called by the village's head.
# Persons whose village_code is a township's or the county's code are called before every village (order 0), by
# 县值班室. An adjustable default; a package may carry its own table ``call_roles`` (role, order, caller).
TOWNSHIP_DESK, COUNTY_DESK = "乡镇值班员", "县值班室"
HOUSEHOLD_HEAD = "户主"
CALL_TREE = (("村支书", 1, TOWNSHIP_DESK), ("村主任", 1, TOWNSHIP_DESK), ("网格员", 2, "村支书"),
             ("包保责任人", 2, "村支书"), ("地灾群测群防员", 3, "村支书"), ("山洪预警员", 3, "村支书"),
             ("易涝点责任人", 3, "村支书"), ("避灾场所管理员", 4, TOWNSHIP_DESK), ("危房联络员", 5, "村支书"),
             (HOUSEHOLD_HEAD, 6, "网格员"))
CALL_TREE_SOURCE = "default"
CALL_ORDER = tuple((role, order) for role, order, _caller in CALL_TREE)
CALL_ORDER_LAST = 9
# SMS text per role group, one SMS (70 Chinese characters) at most after filling in. {level} is 红色 etc.
CALL_TEMPLATES = {
    "officials": "【{level}预警】{event}：{village}{move}户{people}人须{action}，请即组织，开放{shelter}。收到请回复",
    "grid": "【{level}预警】{event}：请入户叫应{village}须{action}的{move}户，老弱病残先转，去{shelter}。收到请回复",
    "township": "【{level}预警】{event}：{town}{villages}个村须转移{move}户{people}人，请即组织叫应，开放{shelter}等场所。收到请回复",
    "officials_watch": "【{level}预警】{event}：请{village}即刻传达到户，加强巡查，做好转移准备。收到请回复",
    "grid_watch": "【{level}预警】{event}：请将预警传达到{village}每户，老弱病残先落实转移准备。收到请回复",
    "monitor": "【{level}预警】{event}：请加密巡查{point}，发现险情立即报告、鸣锣转移。收到请回复",
    "shelter": "【{level}预警】{event}：请即开放{shelter}，预计到达约{people}人。收到请回复",
    "household": "【{level}预警】{event}：您家须立即转移到{shelter}，老人小孩先走，听从网格员安排。收到请回复",
    "household_watch": "【{level}预警】{event}：请做好转移准备，留意村里通知和锣声，老人小孩先安排。收到请回复",
}
SMS_MAX_CHARS = 70
