"""The village emergency plan's data (村应急预案、应急处置卡、包保、演练): roles, steps, signals, what to take.

Pure Python, data only, kept apart from ``model.py`` so the plan's wording can be edited in one place. None of it
is a national norm: the national plan asks for "简明实用的村(社区)应急预案" and "重点岗位应急处置卡" without a text,
so every list here is an adjustable default (``SOURCE``), printed as such ("默认，请按本村实际修改").
The numbers (preparation time, helper capacity, transfer target, walking speeds) are ``model.DEFAULTS``.
"""
from __future__ import annotations

SOURCE = "default"
DEFAULT_NOTE = "（默认，请按本村实际修改）"

# Card roles: key -> (title on the card, roster roles that hold it). The first roles are the village's heads.
CARD_ROLES = (
    ("head", "村支书/村主任", ("村支书", "村主任")),
    ("grid", "网格员", ("网格员",)),
    ("monitor", "地灾监测员/预警员", ("地灾群测群防员", "山洪预警员", "易涝点责任人")),
    ("shelter", "避难场所管理员", ("避灾场所管理员",)),
    ("helper", "包保责任人", ("包保责任人",)),
)
CARD_ROLE_TITLE = {key: title for key, title, _roles in CARD_ROLES}
ROLE_TO_CARD = {role: key for key, _title, roles in CARD_ROLES for role in roles}
# Who may be proposed as a one-on-one helper, best first: a named 包保责任人, then the grid workers.
HELPER_ROLES = ("包保责任人", "网格员")
# Deputies (A/B 角): who stands in when a role's holder cannot be reached.
DEPUTY_OF = {"村支书": "村主任", "村主任": "村支书"}

# Warning colours grouped by what they ask (WARNING_ACTIONS: orange and red move the danger zones).
LEVEL_GROUPS = (("watch", "蓝色/黄色预警", (4, 3)), ("move", "橙色/红色预警", (2, 1)))

# Steps by card role and level group, in order. {village} {shelter} {households} {people} {target} are filled in.
ROLE_STEPS = {
    "head": {
        "watch": ("收到预警5分钟内回复乡镇（叫应），向网格员、监测员转发",
                  "组织加密巡查隐患点、低洼易涝点",
                  "通知避难场所管理员检查场所，做好开放准备",
                  "核实老弱病残户的包保人在岗"),
        "move": ("5分钟内回复乡镇，下达转移命令：广播、鸣锣、电话",
                 "按网格组织{households}户{people}人转移到{shelter}",
                 "先转老弱病残，包保人一对一到户",
                 "{target}分钟内清点到场人数，逐户核对，向乡镇报告",
                 "设卡劝返，险情解除前不得回家"),
    },
    "grid": {
        "watch": ("收到预警即回复村支书", "把预警传达到本网格每户（电话、微信、敲门）",
                  "提醒老弱病残户做好转移准备"),
        "move": ("入户叫应本网格须转移的住户，一户不漏", "带领住户沿撤离路线去{shelter}",
                 "到场后清点本网格人数，报村支书", "发现不肯走的，报告村支书，劝离"),
    },
    "monitor": {
        "watch": ("加密巡查所管隐患点（每日不少于2次，雨中加密）", "发现裂缝、异响、泥水、积水上涨，立即报告村支书和乡镇"),
        "move": ("在安全位置盯守隐患点，不进入危险区", "险情加剧立即鸣锣、吹哨，直接喊住户撤离",
                 "记录时间与现象，报告乡镇"),
    },
    "shelter": {
        "watch": ("检查场所：门、灯、水、厕所、床铺和物资", "确认钥匙和联系方式，保持电话畅通"),
        "move": ("立即开放{shelter}，登记到场住户和人数", "按容量安排，超员时报告村支书和乡镇",
                 "照顾老弱病残，发放饮水、食品、被褥"),
    },
    "helper": {
        "watch": ("电话联系包保的每一户，告知预警", "帮助做好转移准备（药品、证件、衣物）"),
        "move": ("到包保户家中，一对一护送到{shelter}", "行动不便的，用轮椅、担架或车辆转移",
                 "到场后向村支书报告：已转移"),
    },
}

# Per hazard, one line on every card: what to watch for (the danger signs that mean leave now).
HAZARD_SIGNS = {
    "geologic": "地灾险情征兆：山体裂缝、房屋开裂、异响、泉水突然变浑或断流、沟谷泥水上涨",
    "flood": "洪涝险情征兆：河水猛涨变浑、低洼处积水上涨、房屋进水；不走涉水路段，不过漫水桥",
    "meteorological": "大风暴雨：远离危房、广告牌、电线杆；不在树下、河边停留",
    "forest_fire": "火险：发现烟火立即报告，不得上山用火；顺风向两侧撤离",
    "earthquake": "震后：远离建筑物和山坡，到空旷处集合，防范余震和次生地灾",
    "marine": "风暴潮：渔船回港，人员撤离海堤和低洼处",
}

# The village's warning signals (约定信号): means and meaning. Each village writes its own.
WARNING_SIGNALS = (
    ("准备转移", "广播通知、电话、微信群；连续短促锣声（哨声）"),
    ("立即转移", "广播反复播报、入户敲门；急促长鸣锣声（哨声）不停"),
    ("解除", "广播、电话通知；险情解除前不得返回"),
)
# What each household takes (随身带).
TAKE_ALONG = "身份证件、常用药、手电筒、手机和充电宝、饮用水、少量干粮、保暖衣物"

# Drill (演练): the three subjects the national plan names, and the timeline's steps relative to the warning
# (minutes; "{prep}" and "{clearance}" are the package's preparation time and computed clearance time).
DRILL_SUBJECTS = ("先期处置", "转移避险", "自救互救")
DRILL_TIMELINE = (
    (0, "发布预警（演练）", "乡镇/村支书"),
    (5, "叫应：村支书回复乡镇，通知网格员、监测员、场所管理员", "村支书"),
    (10, "网格员入户叫应，包保人到户", "网格员、包保责任人"),
    ("prep", "住户出发（准备时间结束）", "网格员"),
    ("prep", "避难场所开放、登记", "避难场所管理员"),
    ("clearance", "最后一户到达，清点人数", "村支书"),
    ("clearance+10", "自救互救科目：伤员包扎、搬运", "全体"),
    ("clearance+30", "总结讲评，填写演练记录", "村支书、乡镇"),
)
DRILL_CHECKLIST = (
    "预警信号全村听得到、看得懂", "叫应名单电话全部接通", "每户有人通知到（一户不漏）",
    "老弱病残户都有包保人到户", "撤离路线畅通，无危险路段", "避难场所按时开放，有水、有灯、有厕所",
    "到场人数与须转移人数一致", "演练记录填写完整",
)
