"""The CJK font for labels, picked at run time from the fonts this machine has.

Styles (QML files) name one family; a county office on Windows has Microsoft YaHei rather than Noto Sans CJK,
so the loader swaps any family that is not installed for the one picked here. Needs a running QGuiApplication.
"""
from __future__ import annotations

import functools
from typing import Optional

from ..errors import MissingDependency

# Simplified-Chinese families first, most common on each platform: Debian/Ubuntu (Noto, Source Han, WenQuanYi),
# Windows (YaHei, SimHei, DengXian, SimSun), macOS (PingFang, Heiti, STHeiti).
CJK_FONT_FAMILIES = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "思源黑体", "Microsoft YaHei", "微软雅黑",
    "PingFang SC", "Heiti SC", "STHeiti", "SimHei", "黑体", "DengXian", "等线", "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei", "Noto Sans SC", "Droid Sans Fallback", "AR PL UMing CN", "Noto Serif CJK SC", "SimSun",
    "宋体", "Noto Sans CJK TC", "Noto Sans CJK JP",
)

FONT_INSTALL_HINT = (
    "no Chinese (CJK) font found for map labels; install one: Debian/Ubuntu `sudo apt install fonts-noto-cjk`, "
    "Fedora `sudo dnf install google-noto-sans-cjk-fonts`; Windows and macOS ship Microsoft YaHei / PingFang")

# Latin families to set before the CJK one on printed sheets. Qt shapes a run of digits that follows Latin letters
# with Noto Sans CJK's proportional digit glyphs, which its PDF writer leaves out of the ToUnicode map: printed right,
# "G108" then extracts (and searches) as "G". A Latin family first gives letters and digits their own glyphs and
# CJK falls through to the second family (QFont.setFamilies, Qt >= 5.13).
LATIN_FONT_FAMILIES = ("DejaVu Sans", "Liberation Sans", "Arial", "Noto Sans", "Segoe UI", "Helvetica")

_picked = None


def installed_families() -> set:
    from qgis.PyQt.QtGui import QFontDatabase
    return set(QFontDatabase().families())


def is_installed(family: str) -> bool:
    return family in installed_families()


def pick_cjk_font(preferred=CJK_FONT_FAMILIES) -> str:
    """The first installed family of ``preferred``; raises MissingDependency (with how to install one) if none."""
    global _picked
    if _picked is not None and preferred is CJK_FONT_FAMILIES:
        return _picked
    families = installed_families()
    for family in preferred:
        if family in families:
            if preferred is CJK_FONT_FAMILIES:
                _picked = family
            return family
    # Any other family that can write Simplified Chinese (a vendor font, a newer Noto).
    from qgis.PyQt.QtGui import QFontDatabase
    chinese = QFontDatabase().families(QFontDatabase.SimplifiedChinese)
    if chinese:
        return sorted(chinese)[0]
    raise MissingDependency(FONT_INSTALL_HINT)


@functools.lru_cache(maxsize=1)
def _latin_family() -> Optional[str]:
    """The first installed family of LATIN_FONT_FAMILIES, looked up once (fonts do not change during a run; a
    layout asks for every one of its texts)."""
    families = installed_families()
    return next((f for f in LATIN_FONT_FAMILIES if f in families), None)


def with_latin_first(font, cjk_family: str):
    """``font`` (a QFont) set to ``cjk_family``, with an installed Latin family before it when there is one."""
    font.setFamily(cjk_family)
    latin = _latin_family()
    if latin is not None and hasattr(font, "setFamilies"):
        font.setFamilies([latin, cjk_family])
    return font
