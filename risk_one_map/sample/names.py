"""Chinese place and person names for the sample county, built from the pieces real northern names are made of.

Village names in the mountains of Beijing and Hebei are mostly family + 家 + landform (王家庄, 李家峪), direction +
landform (东岭, 下苇甸), a thing of the place + landform (石门沟, 柏树峪, 杏花台) or a number (三家店, 七里庄). Township
names are two syllables of the same stock; the township holding the county seat is, as so often, 城关镇.
Every generator takes the caller's ``numpy`` Generator, so names are deterministic for a seed.
"""
from __future__ import annotations

import numpy as np

# The hundred commonest surnames, weighted roughly by frequency (the first few cover a third of China).
SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
            "阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文")
_SURNAME_WEIGHTS = 1.0 / (np.arange(len(SURNAMES)) + 6.0)
_SURNAME_WEIGHTS /= _SURNAME_WEIGHTS.sum()
GIVEN_CHARS = ("建国志强明伟军勇杰涛斌磊洋鹏辉刚平海文立春永振玉德福宝长占金树凤秀桂兰英华红霞丽敏静燕芳娟艳萍"
               "红梅淑珍翠云学东新民庆林山成武俊峰宏利军荣连生旺有全忠兴")

DIRECTIONS = ("东", "西", "南", "北", "上", "下", "前", "后", "大", "小", "中")
LANDFORMS = ("沟", "峪", "岭", "台", "坡", "庄", "洼", "涧", "口", "湾", "寨", "堡", "营", "店", "铺", "屯", "坊", "甸",
             "梁", "场", "川", "河", "泉", "庵", "坨", "窑")
THINGS = ("石门", "黄土", "柏树", "杏花", "桃园", "龙泉", "马栏", "清水", "青龙", "黑山", "红石", "灵水", "苇子", "榆树",
          "柳林", "槐树", "松树", "核桃", "枣树", "梨园", "大台", "千军", "双石", "沿河", "雁翅", "琉璃", "木城", "军响",
          "碾子", "磨盘", "水峪", "白虎", "椴木", "东山", "天桥", "火村", "燕家", "高岭", "马鞍", "牛角", "羊圈", "鹿角",
          "西胡", "黄安", "洪水", "杜家", "仙人", "观音", "娘娘", "桑峪", "淤白", "齐家", "髽髻", "碣石", "斋堂", "军庄")
NUMBERS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十八", "二道", "三道", "五里", "七里", "十里", "三家")
COMMUNITY_STEMS = ("城关", "东城", "西城", "南关", "北关", "滨河", "新华", "向阳", "建设", "朝阳", "和平", "文化", "康乐",
                   "幸福", "育新", "府前", "站前", "永安", "兴隆", "振兴")

TOWN_FIRST = "清王雁军龙永大石桑黄白赵张蒲霞佛南史长青高柏杨马黑红灵千双沿木燕韩周太安平兴新东西北上下三九十梁庙桃杏枣松柳槐金宝福寿仙云泉"
TOWN_SECOND = "水堂平翅庄泉定台佛园门松羊川坊洼云窖沟安城峪河口岭关店营屯铺寨堡山湾坪源桥垡甸"
COUNTY_FIRST = "永清宁安青灵崇怀延宝兴昌崖泰和"  # no 阜/涞/顺/定/平: Baoding's real counties
COUNTY_SECOND = "宁安平源山水川阳丰城泉陵德"
RIVER_STEMS = ("清水", "拒马", "大石", "白沟", "桑干", "青龙", "沙", "黑", "白", "湔", "潮白", "妫水", "洋", "龙门")


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def person_name(rng: np.random.Generator) -> str:
    """A two- or three-character personal name (surname + one or two given characters)."""
    surname = SURNAMES[int(rng.choice(len(SURNAMES), p=_SURNAME_WEIGHTS))]
    n_given = 1 if rng.random() < 0.35 else 2
    return surname + "".join(_pick(rng, GIVEN_CHARS) for _ in range(n_given))


def person_names(rng: np.random.Generator, n: int) -> list:
    """``n`` names as person_name makes them, drawn all at once (a county's household heads)."""
    surnames = np.asarray(list(SURNAMES), dtype=object)[rng.choice(len(SURNAMES), size=n, p=_SURNAME_WEIGHTS)]
    given = np.asarray(list(GIVEN_CHARS), dtype=object)[rng.integers(len(GIVEN_CHARS), size=(n, 2))]
    one = rng.random(n) < 0.35
    return [s + g[0] + ("" if o else g[1]) for s, g, o in zip(surnames, given, one)]


def _village_stem(rng: np.random.Generator) -> str:
    u = rng.random()
    if u < 0.35:
        return SURNAMES[int(rng.choice(len(SURNAMES), p=_SURNAME_WEIGHTS))] + "家" + _pick(rng, LANDFORMS)
    if u < 0.50:
        return _pick(rng, DIRECTIONS) + (_pick(rng, LANDFORMS) if rng.random() < 0.5 else _pick(rng, THINGS))
    if u < 0.88:
        return _pick(rng, THINGS) + _pick(rng, LANDFORMS)
    return _pick(rng, NUMBERS) + _pick(rng, LANDFORMS)


def _unique(make, used: set, tries: int = 200) -> str:
    for _ in range(tries):
        name = make()
        if name not in used:
            used.add(name)
            return name
    # Exhausted (only with absurd counts): number the last try, still unique.
    base, k = make(), 2
    while f"{base}{k}" in used:
        k += 1
    used.add(f"{base}{k}")
    return f"{base}{k}"


def village_name(rng: np.random.Generator, used: set) -> str:
    """'王家庄村', '东岭村', '石门沟村'; unique within ``used`` (the township's names so far)."""
    return _unique(lambda: _village_stem(rng) + "村", used)


def community_name(rng: np.random.Generator, used: set) -> str:
    return _unique(lambda: _pick(rng, COMMUNITY_STEMS) + "社区", used)


def township_name(rng: np.random.Generator, used: set, kind: str) -> str:
    """A 镇 or 乡 name of two syllables ('清水镇', '雁翅镇'), unique within ``used``."""
    def make():
        a, b = _pick(rng, TOWN_FIRST), _pick(rng, TOWN_SECOND)
        return a + (b if b != a else "川") + kind
    return _unique(make, used)


def county_name(rng: np.random.Generator) -> str:
    a, b = _pick(rng, COUNTY_FIRST), _pick(rng, COUNTY_SECOND)
    return a + (b if b != a else "山") + "县"


def river_name(rng: np.random.Generator) -> str:
    return _pick(rng, RIVER_STEMS) + "河"


def short(name: str) -> str:
    """Drop the administrative suffix: '王家庄村' -> '王家庄', '清水镇' -> '清水'."""
    for suffix in ("社区", "村", "镇", "乡", "县"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name
