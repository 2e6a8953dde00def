"""Plain A4 pages of Chinese text and small tables for the village plan, the role cards and the drill:
matplotlib without pyplot, text as TrueType (searchable, copyable), a CJK font required.

``Flow`` writes headings, paragraphs (wrapped by the width of each character: a CJK character is about one em,
Latin letters and digits about 0.6), tables and images down a page and starts a new page when the next piece
does not fit; ``Box`` writes the same pieces inside one rectangle (a card) and cuts what does not fit with "……".
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

A4 = (8.27, 11.69)  # inches
PT_PER_INCH = 72.0


def char_em(ch: str) -> float:
    """Width of a character in ems: wide (CJK, full-width punctuation) 1, others about 0.6 (Noto Sans CJK's digits)."""
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.6


def wrap(text: str, width_em: float) -> list:
    """``text`` cut into lines no wider than ``width_em`` ems (explicit newlines kept)."""
    lines = []
    for para in str(text).split("\n"):
        line, w = "", 0.0
        for ch in para:
            cw = char_em(ch)
            if w + cw > width_em and line:
                lines.append(line)
                line, w = "", 0.0
            line += ch
            w += cw
        lines.append(line)
    return lines


class Box:
    """A rectangle of a figure (fractions of the page) filled from the top."""

    LEADING = 1.35

    def __init__(self, fig, x0: float, y0: float, x1: float, y1: float, font, page_size=A4):
        self.fig, self.font = fig, font
        self.x0, self.y0, self.x1, self.y1 = x0, y0, x1, y1
        self.w_in, self.h_in = page_size
        self.y = y1
        self.full = False

    def _h(self, size: float) -> float:
        """Height of one line of ``size`` points, as a fraction of the page."""
        return size * self.LEADING / PT_PER_INCH / self.h_in

    def _width_em(self, size: float, x0=None, x1=None) -> float:
        return ((x1 if x1 is not None else self.x1) - (x0 if x0 is not None else self.x0)) * self.w_in \
            * PT_PER_INCH / size

    def fits(self, height: float) -> bool:
        return self.y - height >= self.y0

    def text(self, text: str, size: float = 9.0, color: str = "#000000", bold: bool = False,
             indent: float = 0.0) -> bool:
        """Wrapped text; False (and "……") when the box is full."""
        lines = wrap(text, self._width_em(size, self.x0 + indent))
        for line in lines:
            if not self.fits(self._h(size)):
                self._cut(size)
                return False
            self.y -= self._h(size)
            self.fig.text(self.x0 + indent, self.y + self._h(size) * 0.22, line, fontproperties=self.font,
                          fontsize=size, color=color, weight="bold" if bold else "normal")
        return True

    def _cut(self, size: float) -> None:
        if not self.full:
            self.fig.text(self.x1, self.y0, "……", fontproperties=self.font, fontsize=size, ha="right")
        self.full = True

    def space(self, size: float = 4.0) -> None:
        self.y -= size / PT_PER_INCH / self.h_in

    def row_height(self, cells, widths, size: float) -> tuple:
        xs = self._columns(widths)
        wrapped = [wrap(str(c), self._width_em(size, a, b) - 0.6) for c, (a, b) in zip(cells, xs)]
        return max(len(w) for w in wrapped) * self._h(size) + 2.0 / PT_PER_INCH / self.h_in, wrapped, xs

    def _columns(self, widths) -> list:
        total = float(sum(widths))
        xs, x = [], self.x0
        for w in widths:
            step = (self.x1 - self.x0) * w / total
            xs.append((x, x + step))
            x += step
        return xs

    def row(self, cells, widths, size: float = 8.0, header: bool = False, fill=None) -> bool:
        """One table row: cells wrapped within their columns, a thin rule under it."""
        from matplotlib.patches import Rectangle
        h, wrapped, xs = self.row_height(cells, widths, size)
        if not self.fits(h):
            self._cut(size)
            return False
        top = self.y
        self.y -= h
        if header or fill:
            self.fig.patches.append(Rectangle((self.x0, self.y), self.x1 - self.x0, h, transform=self.fig.transFigure,
                                              facecolor=fill or "#e8e8e8", edgecolor="none", zorder=0))
        for lines, (a, _b) in zip(wrapped, xs):
            for k, line in enumerate(lines):
                self.fig.text(a + 0.004, top - (k + 1) * self._h(size) + self._h(size) * 0.25, line,
                              fontproperties=self.font, fontsize=size, weight="bold" if header else "normal")
        self.fig.add_artist(_hline(self.x0, self.x1, self.y, self.fig))
        return True


def _hline(x0, x1, y, fig):
    from matplotlib.lines import Line2D
    return Line2D([x0, x1], [y, y], transform=fig.transFigure, color="#999999", linewidth=0.4)


class Flow:
    """Pages of a document: ``heading``, ``para``, ``table``, ``image``; ``save(path)`` writes them all."""

    MARGIN_X, TOP, BOTTOM = 0.07, 0.95, 0.06

    def __init__(self, title: str, footer: str, font):
        self.title, self.footer, self.font = title, footer, font
        self.figs = []
        self._new_page()

    def _new_page(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        fig = Figure(figsize=A4)
        FigureCanvasAgg(fig)
        self.figs.append(fig)
        self.box = Box(fig, self.MARGIN_X, self.BOTTOM, 1 - self.MARGIN_X, self.TOP, self.font)
        if len(self.figs) > 1:
            self.box.text(f"{self.title}（续）", size=9, color="#555555")
            self.box.space(4)

    def _room(self, height: float) -> None:
        if not self.box.fits(height):
            self._new_page()

    def heading(self, text: str, size: float = 12.0, color: str = "#000000") -> None:
        self._room(self.box._h(size) * 3)  # a heading never ends a page alone
        self.box.space(3)
        self.box.text(text, size=size, bold=True, color=color)
        self.box.space(1)

    def para(self, text: str, size: float = 9.0, color: str = "#000000") -> None:
        for line in wrap(text, self.box._width_em(size)):
            self._room(self.box._h(size))
            self.box.text(line, size=size, color=color)

    def table(self, header, rows, widths, size: float = 8.0, highlight=None) -> None:
        """Rows with the header repeated on each new page; ``highlight(row) -> colour or None``."""
        self._room(self.box.row_height(header, widths, size)[0] * 2)
        self.box.row(header, widths, size, header=True)
        for r in rows:
            h = self.box.row_height(r, widths, size)[0]
            if not self.box.fits(h):
                self._new_page()
                self.box.row(header, widths, size, header=True)
            self.box.row(r, widths, size, fill=highlight(r) if highlight else None)
        self.box.space(3)

    def image(self, png, height: float, caption: str = "") -> None:
        """A picture ``height`` (page fraction) high, full width, aspect kept, centred."""
        import matplotlib.image as mpimg
        self._room(height + 0.02)
        img = mpimg.imread(str(png))
        h_in = height * A4[1]
        w_in = min((self.box.x1 - self.box.x0) * A4[0], h_in * img.shape[1] / img.shape[0])
        w = w_in / A4[0]
        x0 = (self.box.x0 + self.box.x1 - w) / 2
        ax = self.box.fig.add_axes((x0, self.box.y - height, w, height))
        ax.imshow(img, interpolation="lanczos")
        ax.set_axis_off()
        self.box.y -= height
        if caption:
            self.box.text(caption, size=7.5, color="#555555")

    def axes(self, height: float):
        """An empty axes ``height`` high across the page (a map drawn by the caller)."""
        self._room(height + 0.02)
        ax = self.box.fig.add_axes((self.box.x0, self.box.y - height, self.box.x1 - self.box.x0, height))
        self.box.y -= height
        return ax

    def save(self, path: Path, metadata_title: str) -> Path:
        import matplotlib
        from matplotlib.backends.backend_pdf import PdfPages

        from ..layers.package import atomic_path
        for n, fig in enumerate(self.figs):
            fig.text(0.5, 0.025, f"{self.footer}    第 {n + 1} / {len(self.figs)} 页", fontproperties=self.font,
                     fontsize=7.5, ha="center", color="#555555")
        path.parent.mkdir(parents=True, exist_ok=True)
        # Type 42 (TrueType): the Chinese text stays searchable and copyable.
        with atomic_path(path) as tmp, matplotlib.rc_context({"pdf.fonttype": 42}):
            with PdfPages(tmp, metadata={"Title": metadata_title}) as pdf:
                for fig in self.figs:
                    pdf.savefig(fig)
        return path


def font():
    from matplotlib.font_manager import FontProperties

    from .exposure_charts import cjk_font_path
    return FontProperties(fname=cjk_font_path())
