"""One small TrueType font for a batch of printed PDFs: only the characters they use, from the installed CJK font.

Why: matplotlib embeds a subset of the font in every PDF it writes, and subsetting Noto Sans CJK (a 20 MB
collection of 65,000 CFF glyphs) took about 2 s per file, most of a township call sheet's time. Subsetting once
for the whole batch and handing matplotlib a font of a few hundred glyphs makes each file's own subset instant.
Two more things come right on the way:
* a font collection's first face is what matplotlib opens, Japanese in Noto's (直, 骨, 写 drawn the Japanese way);
  here the Simplified Chinese face is taken;
* the CFF outlines become TrueType (quadratic) ones, so the PDF's "TrueType" font really is one (poppler warned
  "Mismatch between font type and embedded font file"; some printers drop such text).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .exposure_charts import cjk_font_path

ASCII = "".join(chr(c) for c in range(0x20, 0x7F))
# A font collection's faces are named "Noto Sans CJK JP", "... SC": the Simplified Chinese one is wanted.
CHINESE_FACES = (" SC", "SC", " CN", "GB")


def chinese_face(path: str) -> int:
    """Index of the Simplified Chinese face in a font collection (.ttc/.otc), 0 when there is none or one face."""
    if not str(path).lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection
    with TTCollection(path, lazy=True) as collection:
        names = [str(f["name"].getDebugName(1) or "") for f in collection.fonts]
    for suffix in CHINESE_FACES:
        for i, name in enumerate(names):
            if name.endswith(suffix) and "Mono" not in name:
                return i
    return 0


def subset_font(chars: Iterable[str], out_path: Path, source: str = None) -> Path:
    """Write a TrueType font of ``chars`` (plus printable ASCII) to ``out_path`` and return it."""
    from fontTools.ttLib import TTFont
    source = source or cjk_font_path()
    with TTFont(source, fontNumber=chinese_face(source)) as font:  # tables read as the subsetter asks
        return _subset(font, chars, Path(out_path))


def _subset(font, chars, out_path: Path) -> Path:
    from fontTools import subset
    options = subset.Options()
    options.layout_features = []  # matplotlib lays out glyph by glyph: no shaping tables needed
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = True
    sub = subset.Subsetter(options)
    sub.populate(unicodes={ord(c) for c in set("".join(chars)) | set(ASCII)})
    sub.subset(font)
    if "CFF " in font:
        _cff_to_truetype(font)
    font.save(str(out_path))
    return out_path


def _cff_to_truetype(font) -> None:
    """Replace the CFF table by glyf/loca (cubic curves approximated by quadratic ones within 1 font unit)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        # CFF contours run counter-clockwise, TrueType's clockwise
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements", "maxPoints", "maxContours",
                 "maxCompositePoints", "maxCompositeContours", "maxComponentDepth"):
        setattr(maxp, attr, 1 if attr == "maxZones" else 0)
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 3.0  # no glyph names (CID fonts have none worth keeping)
    font.sfntVersion = "\x00\x01\x00\x00"
