"""Long tables and legends fitted to their frames: type shrunk step by step to a floor, then continued on another page.
"""
from __future__ import annotations

from . import templates as T


MIN_TABLE_PT = 4.5  # the smallest type a long table shrinks to before it continues on another page
FONT_STEP = 0.5


class TableFitter:
    """Per village, before export: shrink a table's type (down to MIN_TABLE_PT) until its rows fit the template's
    frame; rows that still do not fit continue on a second page (the template's ExtendToNextPage), where the
    continued frames move to the top of the page under a "(续)" title. ``cleanup`` undoes it all for the next page.
    """

    def __init__(self, layout, spec):
        self.layout, self.spec = layout, spec
        self.tables = []
        for item_id in T.TABLES:
            frame = layout.itemById(item_id)
            if frame is not None:
                table = frame.multiFrame()
                self.tables.append((table, table.headerTextFormat(), table.contentTextFormat()))
        self.shrunk = set()
        self.extra_items = []

    @staticmethod
    def _overflows(table) -> bool:
        first = table.frame(0)
        return first is not None and table.totalHeight() > first.rect().height() + 0.05

    def prepare(self) -> None:
        for table, header, content in self.tables:
            size = content.size()
            while self._overflows(table) and size - FONT_STEP >= MIN_TABLE_PT - 1e-9:
                size -= FONT_STEP
                scale = size / content.size()
                table.setHeaderTextFormat(resized_format(header, header.size() * scale))
                table.setContentTextFormat(resized_format(content, size))
                table.recalculateFrameSizes()  # drops the continuation frame (and its page) once all rows fit
                self.shrunk.add(id(table))
            if id(table) in self.shrunk and self._overflows(table):
                # It continues on another page anyway: keep the template's type size, readable on both pages.
                table.setHeaderTextFormat(header)
                table.setContentTextFormat(content)
                table.recalculateFrameSizes()
                self.shrunk.discard(id(table))
        if self.layout.pageCollection().pageCount() < 2:
            return
        column = 0
        for table, _h, _c in self.tables:
            if table.frameCount() > 1:
                self._place_continuation(table, column)
                column += 1
        for page in range(1, self.layout.pageCollection().pageCount()):
            self.extra_items.append(self._continuation_title(page))

    def _place_continuation(self, table, column: int) -> None:
        """QGIS puts a continued frame at the very top of the next page, a page high: move it under the
        continuation title, side by side with other continued tables, and let QGIS reflow the rows."""
        from qgis.core import QgsLayoutPoint, QgsLayoutSize
        f, first = self.spec.frame, table.frame(0)
        width = first.rect().width()
        x = f.x + 4 + column * (width + 6)
        if x + width > f.x + f.w:
            x = first.pagePositionWithUnits().x()
        top, height = f.y + 12, f.h - 16
        i = 1
        while i < table.frameCount() and i < 50:
            frame = table.frame(i)
            frame.attemptResize(QgsLayoutSize(width, height))
            frame.attemptMove(QgsLayoutPoint(x, top), page=frame.page())
            table.recalculateFrameSizes()
            i += 1

    def _continuation_title(self, page: int):
        from qgis.core import QgsLayoutItemLabel, QgsLayoutPoint, QgsLayoutSize
        from qgis.PyQt.QtCore import Qt
        from ..qgis_glue.fonts import pick_cjk_font
        from qgis.PyQt.QtGui import QFont
        label = QgsLayoutItemLabel(self.layout)
        label.setText('[% "title" %]（续，第 [% @layout_page %] 页）')
        from ..qgis_glue.fonts import with_latin_first
        font = with_latin_first(QFont(), pick_cjk_font())
        font.setPointSizeF(self.spec.text_pt + 4)
        font.setBold(True)
        label.setFont(font)
        label.setHAlign(Qt.AlignHCenter)
        self.layout.addLayoutItem(label)
        f = self.spec.frame
        label.attemptResize(QgsLayoutSize(f.w, 9))
        label.attemptMove(QgsLayoutPoint(f.x, f.y + 1), page=page)
        return label

    def cleanup(self) -> None:
        for item in self.extra_items:
            self.layout.removeLayoutItem(item)
        self.extra_items = []
        for table, header, content in self.tables:
            if id(table) in self.shrunk:
                table.setHeaderTextFormat(header)
                table.setContentTextFormat(content)
        self.shrunk.clear()


def resized_format(fmt, size: float):
    from qgis.core import QgsTextFormat
    out = QgsTextFormat(fmt)
    out.setSize(size)
    font = out.font()
    font.setPointSizeF(size)
    out.setFont(font)
    return out


class LegendFitter:
    """Per village, before export: the legend's filter by map content is computed only while the legend paints
    (QgsLayoutItemLegend::paint runs the map hit test once per atlas feature), so ``prepare`` paints it once into
    a throw-away QPicture; the export then reuses that filter instead of running the hit test again, so the page
    costs what QGIS's own atlas costs. If what this village's map shows does not fit the template's box, shrink
    type and symbols, with the template's columns or one more (``fit``). ``restore`` undoes it."""

    MAX_STEPS = 5

    def __init__(self, layout):
        from qgis.core import QgsLegendStyle
        self.legend = layout.itemById(T.LEGEND)
        self.styles = (QgsLegendStyle.Title, QgsLegendStyle.Group, QgsLegendStyle.Subgroup,
                       QgsLegendStyle.SymbolLabel)
        self.saved = None

    def prepare(self) -> bool:
        """Compute this page's legend content, and fit it if it overflows; True when it was refitted."""
        if self.legend is None:
            return False
        from qgis.PyQt.QtGui import QPainter, QPicture
        picture = QPicture()
        painter = QPainter(picture)
        try:
            self.legend.paint(painter, None, None)
        finally:
            painter.end()
        if not self.overflows():
            return False
        self.fit()
        return True

    def overflows(self) -> bool:
        if self.legend is None:
            return False
        from qgis.core import QgsLegendRenderer
        need = QgsLegendRenderer(self.legend.model(), self.legend.legendSettings()).minimumSize()
        box = self.legend.rect()
        return need.height() > box.height() + 0.3 or need.width() > box.width() + 0.3

    def fit(self) -> bool:
        """Adjust until the legend fits (True) or the smallest step is reached (False): the template's columns or
        one more, each with type and symbols shrunk step by step; whichever fits with the largest type wins
        (fewer columns on a tie), so a legend that is only a little too tall is not squeezed into narrow columns."""
        lg = self.legend
        self.saved = (lg.columnCount(), {s: lg.styleFont(s) for s in self.styles}, lg.symbolWidth(),
                      lg.symbolHeight())
        columns = self.saved[0]
        best = None
        for cols in (columns, columns + 1):
            lg.setColumnCount(cols)
            for step in range(1 if cols == columns else 0, self.MAX_STEPS + 1):
                scale = 1.0 - 0.08 * step
                if best is not None and scale <= best[1]:
                    break
                self._scale(scale)
                if not self.overflows():
                    best = (cols, scale)
                    break
        cols, scale = best or (columns + 1, 1.0 - 0.08 * self.MAX_STEPS)
        lg.setColumnCount(cols)
        self._scale(scale)
        lg.invalidateCache()
        return best is not None

    def _scale(self, scale: float) -> None:
        """The template's type and symbol sizes times ``scale``."""
        _columns, fonts, width, height = self.saved
        lg = self.legend
        for style, font in fonts.items():
            smaller = type(font)(font)
            smaller.setPointSizeF(font.pointSizeF() * scale)
            lg.setStyleFont(style, smaller)
        lg.setSymbolWidth(width * scale)
        lg.setSymbolHeight(height * scale)

    def restore(self) -> None:
        if self.saved is None:
            return
        columns, fonts, width, height = self.saved
        lg = self.legend
        lg.setColumnCount(columns)
        for style, font in fonts.items():
            lg.setStyleFont(style, font)
        lg.setSymbolWidth(width)
        lg.setSymbolHeight(height)
        lg.invalidateCache()
        self.saved = None
