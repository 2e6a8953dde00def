"""The printed 叫应单: one A4 PDF per township, read by a duty officer with a pen in hand.

Page 1: the warning, the township's numbers, a small map of the warned area (villages reached, households to
move, shelters to open), then the calls in order with empty columns to fill in (拨打时间 / 接听人 / 是否回应 /
已转移人数 / 备注); further pages carry on the table. matplotlib without pyplot, a CJK font required.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.artist import Artist

from ..analysis import parallel
from ..analysis.warning_cap import short_time
from ..layers import model
from ..layers.package import atomic_path
from .exposure_charts import cjk_font_path

A4 = (8.27, 11.69)
COLUMNS = (("序号", 0.045), ("村（社区）", 0.10), ("职务", 0.10), ("姓名", 0.07), ("电话", 0.115),
           ("由谁叫应", 0.075), ("已通知", 0.055), ("拨打时间", 0.08), ("接听人", 0.07), ("是否回应", 0.065),
           ("已转移人数", 0.08), ("备注", 0.145))
FIRST_ROWS, MORE_ROWS = 22, 44
HEADS_GROUP = "户主"  # analysis.warning_calls: the household heads' calls
LEVEL_COLOUR = {1: model.WARNING_COLOURS[1], 2: model.WARNING_COLOURS[2], 3: model.WARNING_COLOURS[3],
                4: model.WARNING_COLOURS[4]}


def township_sheets(plan, villages_all, out_dir: Path, workers=None) -> list:
    """Write 叫应单_<乡镇>.pdf for every township the warning reaches; returns the paths.

    Every page is drawn first with a font file that does not exist yet (matplotlib opens a font only to lay text
    out), then that file is written: one font of just the characters on the pages (``pdf_font``), so each PDF's
    own font subset is instant (from the whole CJK font it took about 2 s a file)."""
    import tempfile

    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.font_manager import FontProperties

    from .pdf_font import subset_font

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cjk_font_path()  # no CJK font installed: say so before anything is drawn
    groups = dict(tuple(plan.villages.groupby("township_name", sort=True)))
    with tempfile.TemporaryDirectory(prefix=f"risk_one_map_font_{os.getpid()}_") as tmp:
        font = FontProperties(fname=str(Path(tmp) / "sheet_font.ttf"))
        books = {}
        for town, tv in groups.items():
            # the household heads are called by the grid workers, from the call list, not by the township's desk
            calls = plan.calls[(plan.calls["township_name"] == town) & (plan.calls["group"] != HEADS_GROUP)]
            hh = plan.households[plan.households["township_name"] == town] if len(plan.households) else \
                plan.households
            pages = _pages(calls)
            books[town] = [_page(plan, town, tv, hh, rows, villages_all, font, n, len(pages))
                           for n, rows in enumerate(pages)]
        subset_font([t for figs in books.values() for fig in figs for t in _strings(fig)], Path(font.get_file()))

        def one(town):
            path = out_dir / f"叫应单_{town}.pdf"
            # Type 42 (TrueType) keeps the Chinese text searchable and copyable (phone numbers too).
            with atomic_path(path) as tmp_pdf, matplotlib.rc_context({"pdf.fonttype": 42}):
                with PdfPages(tmp_pdf, metadata={"Title": f"{plan.warning.title()} 叫应单 {town}"}) as pdf:
                    for fig in books[town]:
                        pdf.savefig(fig)
            return path

        # Drawing the tables is most of the time left: townships print in forked workers where that is safe.
        return list(parallel.ordered_map(one, list(groups), workers=workers))


def _strings(fig) -> list:
    """Every text on a page (what the sheet puts there: figure texts, the map's names and title, the table's
    cells); matplotlib's findobj would make every axis's ticks just to look at them."""
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts] + [ax.title.get_text()]
    for artist in fig.artists:
        if isinstance(artist, CellTexts):
            out += artist.texts()
    return out


def _pages(calls) -> list:
    rows = list(calls.itertuples(index=False))
    pages = [rows[:FIRST_ROWS]]
    rest = rows[FIRST_ROWS:]
    while rest:
        pages.append(rest[:MORE_ROWS])
        rest = rest[MORE_ROWS:]
    return pages


def _page(plan, town, tv, hh, rows, villages_all, font, n, total):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    w = plan.warning
    fig = Figure(figsize=A4)
    FigureCanvasAgg(fig)
    colour = LEVEL_COLOUR.get(w.level, "#444444")
    fig.text(0.06, 0.965, f"{w.title()}  叫应单 · {town}", fontproperties=font, fontsize=16, color=colour,
             weight="bold")
    move = hh[hh["action"] == "move"] if len(hh) else hh
    line = (f"生效 {short_time(w.onset)}  截止 {short_time(w.expires)}    本镇 {len(tv)} 个村，须立即转移 {len(move)} 户 "
            f"{int(move['people'].sum()) if len(move) else 0} 人（老弱病残 {int(move['vulnerable'].sum()) if len(move) else 0} 户），"
            f"告知 {len(hh) - len(move)} 户")
    fig.text(0.06, 0.945, line, fontproperties=font, fontsize=8.5)
    heads = int(((plan.calls["township_name"] == town) & (plan.calls["group"] == HEADS_GROUP)).sum()) \
        if len(plan.calls) else 0
    if heads and n == 0:
        fig.text(0.06, 0.928, f"另有户主电话 {heads} 个，由各村网格员逐户叫应（名单见 叫应名单.xlsx，已按网格员分好）",
                 fontproperties=font, fontsize=8)
    top = 0.93
    if n == 0:
        ax = fig.add_axes((0.06, 0.60, 0.88, 0.305))
        _map(ax, plan, tv, move, villages_all, font, colour)
        shelters = plan.shelters[plan.shelters["village_code"].astype(str).isin(tv["code"].astype(str))]
        if len(shelters):
            text = "开放避难场所：" + "；".join(f"{s.name}（约{int(s.expected)}人）" for s in shelters.head(8).itertuples())
            for k, start in enumerate(range(0, min(len(text), 2 * 62), 62)):  # two lines at most
                fig.text(0.06, 0.58 - 0.014 * k, text[start:start + 62], fontproperties=font, fontsize=8)
        top = 0.55
    _table(fig, (0.03, 0.05, 0.94, top - 0.05), rows, font)
    fig.text(0.06, 0.025, f"值班员签字：__________  核对时间：__________      第 {n + 1} / {total} 页    "
             f"{model.SAMPLE_SOURCE if 'sample' in str(plan.warning.source) else ''}", fontproperties=font, fontsize=8)
    return fig


def _map(ax, plan, tv, move, villages_all, font, colour) -> None:
    import shapely
    codes = set(tv["code"].astype(str))
    town_villages = villages_all[villages_all["code"].astype(str).str[:9].isin({c[:9] for c in codes})]
    for g, reached in zip(town_villages.geometry, town_villages["code"].astype(str).isin(codes)):
        _patch(ax, g, facecolor=colour if reached else "none", alpha=0.18 if reached else 1.0,
               edgecolor="#777777", lw=0.5)
    for g, name in zip(town_villages.geometry, town_villages["name"]):
        p = g.representative_point()
        ax.text(p.x, p.y, name, fontproperties=font, fontsize=6.5, ha="center", va="center", color="#333333")
    area = plan.area.geometry.iloc[0] if len(plan.area) else None
    if area is not None and not area.is_empty:
        clip = shapely.intersection(area, shapely.union_all(town_villages.geometry.to_numpy()).buffer(2000))
        _patch(ax, clip, facecolor="none", edgecolor=colour, lw=1.2, ls="--")
    if len(move):
        ax.scatter(move.geometry.x, move.geometry.y, s=3, c="#c00000", label="须转移住户", zorder=3)
    ax.set_aspect("equal")
    minx, miny, maxx, maxy = town_villages.total_bounds
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("预警范围（虚线）、涉及的村（着色）、须转移住户（红点）", fontproperties=font, fontsize=8)


def _patch(ax, geom, **kw) -> None:
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MPath
    polys = getattr(geom, "geoms", [geom])
    for poly in polys:
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        rings = [np.asarray(poly.exterior.coords)] + [np.asarray(r.coords) for r in poly.interiors]
        verts = np.concatenate(rings)
        codes = np.concatenate([[MPath.MOVETO] + [MPath.LINETO] * (len(r) - 2) + [MPath.CLOSEPOLY] for r in rings])
        ax.add_patch(PathPatch(MPath(verts[:, :2], codes), **kw))


def _table(fig, rect, rows, font) -> None:
    """The calls table in ``rect`` (figure fractions: left, bottom, width, height), drawn without an Axes (one
    costs a page's worth of ticks that are never shown)."""
    from matplotlib.transforms import Bbox, BboxTransformTo, TransformedBbox
    box = BboxTransformTo(TransformedBbox(Bbox.from_bounds(*rect), fig.transFigure))  # the rect as 0..1
    height = rect[3]
    header = [c for c, _w in COLUMNS]
    widths = [w for _c, w in COLUMNS]
    cells = []
    for r in rows:
        village = r.village_name if r.group != "缺口" else f"{r.village_name}（缺口）"
        cells.append([str(r.order), village, r.role or "—", r.name or "—", r.phone or "无电话", r.caller,
                      "□", "", "", "□是 □否", "", r.reason[:10] if r.group == "缺口" else ""])
    if not cells:
        cells = [["", "（本镇无须叫应的责任人）"] + [""] * (len(header) - 2)]
    n = len(cells) + 1
    row_h = min(0.24 / (height * A4[1]), 1.0 / n)  # about 6 mm a row, room to write
    _grid(fig, box, [header] + cells, widths, row_h, font)


def _grid(fig, box, cells, widths, row_h, font) -> None:
    """The table drawn plainly: the header row grey, gap rows pink, one set of thin lines, one text per filled cell
    (matplotlib's own table measured every cell's patch and text again: most of a sheet's time)."""
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Rectangle
    xs = np.concatenate([[0.0], np.cumsum(widths)]) / np.sum(widths)
    bottom = 1 - row_h * len(cells)
    for i, row in enumerate(cells):
        colour = "#eeeeee" if i == 0 else "#ffe5e5" if row[1].endswith("（缺口）") else None
        if colour:
            fig.add_artist(Rectangle((0, 1 - row_h * (i + 1)), 1, row_h, facecolor=colour, edgecolor="none",
                                     transform=box))
    lines = [((0, 1 - row_h * i), (1, 1 - row_h * i)) for i in range(len(cells) + 1)]
    lines += [((x, bottom), (x, 1)) for x in xs]
    fig.add_artist(LineCollection(lines, colors="black", linewidths=0.4, transform=box, zorder=2))
    mids = (xs[:-1] + xs[1:]) / 2
    fig.add_artist(CellTexts([(x, 1 - row_h * (i + 0.5), text, 8 if i == 0 else 7.5)
                              for i, row in enumerate(cells) for x, text in zip(mids, row) if text], font, box))


class CellTexts(Artist):
    """Thousands of one-line texts, centred on points, drawn straight through the renderer.

    A matplotlib Text per cell (its properties, clip path, layout box) was most of a sheet's time; a cell needs
    none of that. Each is placed as Text(ha="center", va="center") places it: the box from descent to ascent, at
    least as tall as "lp", centred on the point. ``font`` is kept by reference: a later ``font.set_file`` applies."""

    def __init__(self, cells, font, transform):
        super().__init__()
        self.cells, self.font = cells, font  # cells: [(x, y, text, size)]
        self.set_transform(transform)
        self.set_clip_on(False)
        self.set_zorder(3)  # over the row colours (patches draw at 1)

    def texts(self) -> list:
        return [c[2] for c in self.cells]

    def draw(self, renderer):
        if not self.get_visible():
            return
        gc = renderer.new_gc()
        gc.set_foreground("black")
        props, measured = {}, {}

        def measure(text, prop):
            key = (prop.get_size(), text)
            if key not in measured:
                measured[key] = renderer.get_text_width_height_descent(text, prop, ismath=False)
            return measured[key]

        points = self.get_transform().transform([(x, y) for x, y, _t, _s in self.cells])
        for (x, y), (_x, _y, text, size) in zip(points, self.cells):
            if size not in props:
                props[size] = self.font.copy()
                props[size].set_size(size)
            prop = props[size]
            w, h, d = measure(text, prop)
            _w, lp_h, lp_d = measure("lp", prop)
            h, d = max(h, lp_h), max(d, lp_d)
            renderer.draw_text(gc, x - w / 2, y - h / 2 + d, text, prop, 0.0)
        gc.restore()
        self.stale = False
