"""Bar charts of exposed population per township (PNG and SVG), Chinese labels, for the reports.

matplotlib without pyplot (no global state, no GUI backend). A CJK font is required: we look for one through
matplotlib's font manager and fail loudly if there is none, rather than print boxes instead of names.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import RiskOneMapError
from ..layers import model

_PREFERRED = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Noto Sans CJK", "Source Han Sans",
              "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "Noto Serif CJK")


def cjk_font_path() -> str:
    """Path of an installed font with Chinese glyphs (Noto Sans CJK preferred)."""
    from matplotlib import font_manager
    fonts = list(font_manager.fontManager.ttflist)
    for want in _PREFERRED:
        for f in fonts:
            if f.name.startswith(want) and "Bold" not in Path(f.fname).name:
                return f.fname
    for f in fonts:  # any font whose files say CJK
        if "cjk" in f.fname.lower() or "wqy" in f.fname.lower():
            return f.fname
    raise RiskOneMapError("no CJK font found for the charts; install one (Debian: apt-get install fonts-noto-cjk) "
                          "and clear matplotlib's font cache (~/.cache/matplotlib)")


def township_charts(result, townships, out_dir: Path) -> list:
    """One stacked bar chart per township: exposed people per village, by the highest level of any hazard.

    Writes ``exposure_<township code>.png`` and ``.svg`` into ``out_dir``; returns the paths.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=cjk_font_path())
    rows = result.rows[result.rows["hazard_type"] == "any"]
    vt = result.villages
    names = {}
    if townships is not None and len(townships):
        names = dict(zip(townships["code"].astype(str), townships["name"].astype(str)))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for town_code, tv in vt.groupby("township_code", sort=True):
        codes = tv["code"].astype(str).tolist()
        labels = tv["name"].astype(str).tolist()
        fig = Figure(figsize=(max(6.0, 0.55 * len(codes) + 2.5), 4.8), dpi=150)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(111)
        x = np.arange(len(codes))
        bottom = np.zeros(len(codes))
        sub = rows[rows["township_code"].astype(str) == str(town_code)]
        for level in model.RISK_LEVELS:
            lv = sub[sub["risk_level"] == level].groupby("village_code")["population"].sum()
            h = np.array([float(lv.get(c, 0.0)) for c in codes])
            if not h.any():
                continue
            ax.bar(x, h, bottom=bottom, color=model.RISK_LEVEL_COLOURS[level], edgecolor="white", linewidth=0.5,
                   label=f"{level}级（{model.level_label(level)}）")
            bottom += h
        ax.set_xticks(x)
        ax.set_xticklabels(labels, fontproperties=font, rotation=45 if len(codes) > 6 else 0,
                           ha="right" if len(codes) > 6 else "center", fontsize=9)
        tname = names.get(str(town_code), str(town_code))
        ax.set_title(f"{tname} 各村受威胁人口（按最高风险等级）", fontproperties=font, fontsize=13)
        ax.set_ylabel("人口（人）", fontproperties=font)
        ax.set_xlabel("村（社区）", fontproperties=font)
        if bottom.any():
            ax.legend(prop=font, title_fontproperties=font, title="风险等级", fontsize=8, frameon=False)
        else:
            ax.text(0.5, 0.5, "无受威胁人口", transform=ax.transAxes, ha="center", fontproperties=font)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", alpha=0.3)
        fig.text(0.99, 0.01, f"人口来源：{_SOURCE_ZH.get(result.source, result.source)}", ha="right", va="bottom",
                 fontproperties=font, fontsize=7, color="#555555")
        fig.tight_layout()
        for ext in ("png", "svg"):
            path = out_dir / f"exposure_{town_code}.{ext}"
            fig.savefig(path, format=ext)
            paths.append(path)
    return paths


_SOURCE_ZH = {"raster": "人口格网（精确面积权重）", "households": "住户点", "villages": "村人口统计表（按面积分配）"}
