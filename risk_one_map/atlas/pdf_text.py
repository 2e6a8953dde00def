"""Keep the Chinese text of exported PDFs searchable, and merge PDFs. Pure Python.

Qt's PDF writer builds each embedded font's ToUnicode map by walking code points upwards and keeping the first
one that maps to a glyph. CJK fonts such as Noto Sans CJK draw the Kangxi radical ⼀ (U+2F00) and the ideograph
一 (U+4E00) with one glyph, so the radical wins and the text extracts as "东⼀村⻛险" instead of "东一村风险":
searching the PDF for the village name fails. ``fix_tounicode`` rewrites those entries to the ideographs, in
place and length for length (4 hex digits for 4), so the file's cross-reference offsets stay valid.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Iterable, Mapping, Optional

# Radical blocks below U+4E00 that share glyphs with unified ideographs: CJK Radicals Supplement, Kangxi Radicals.
RADICAL_RANGE = range(0x2E80, 0x2FE0)

_TOUNICODE_REF = re.compile(rb"/ToUnicode\s+(\d+)\s+0\s+R")
_HEX4 = re.compile(rb"<([0-9A-Fa-f]{4})>")


def kangxi_map() -> dict:
    """Radical -> ideograph from Unicode's compatibility decompositions (the Kangxi block has them all)."""
    out = {}
    for cp in RADICAL_RANGE:
        norm = unicodedata.normalize("NFKC", chr(cp))
        if len(norm) == 1 and 0x4E00 <= ord(norm) <= 0x9FFF:
            out[cp] = ord(norm)
    return out


def _object_span(data: bytes, number: int):
    """(start, end) of the stream data of object ``number`` (the last definition wins, as in an update)."""
    start = None
    for m in re.finditer(rb"(?:^|[\r\n])%d\s+0\s+obj\b" % number, data):
        start = m.end()
    if start is None:
        return None
    head = data.find(b"stream", start)
    end_obj = data.find(b"endobj", start)
    if head < 0 or (0 <= end_obj < head):
        return None
    body = head + len(b"stream")
    if data[body:body + 2] == b"\r\n":
        body += 2
    elif data[body:body + 1] in (b"\n", b"\r"):
        body += 1
    stop = data.find(b"endstream", body)
    if stop < 0:
        return None
    return start, head, body, stop


def fix_tounicode(path, mapping: Optional[Mapping[int, int]] = None) -> int:
    """Rewrite radical code points in the PDF's uncompressed ToUnicode CMaps to their ideographs, in place.

    ``mapping`` {radical: ideograph} (default: ``kangxi_map()``; pass the one from the font, which also covers
    the supplement block, e.g. ⻛ -> 风). Returns the number of entries changed. Compressed CMaps are left alone
    (Qt writes them uncompressed).
    """
    path = Path(path)
    mapping = dict(mapping or kangxi_map())
    data = bytearray(path.read_bytes())
    changed = 0
    seen = set()
    for m in _TOUNICODE_REF.finditer(data):
        number = int(m.group(1))
        if number in seen:
            continue
        seen.add(number)
        span = _object_span(bytes(data), number)
        if span is None:
            continue
        _, head, body, stop = span
        if b"/Filter" in data[span[0]:head]:
            continue
        cmap = bytes(data[body:stop])

        def repl(hm):
            nonlocal changed
            cp = int(hm.group(1), 16)
            target = mapping.get(cp)
            if target is None:
                return hm.group(0)
            changed += 1
            return b"<%04X>" % target

        new = _HEX4.sub(repl, cmap)
        if new != cmap and len(new) == len(cmap):
            data[body:stop] = new
    if changed:
        path.write_bytes(bytes(data))
    return changed


def merge_pdfs(paths: Iterable, out_path) -> Path:
    """Concatenate PDFs into ``out_path`` with poppler's pdfunite (what Debian's poppler-utils ships)."""
    exe = shutil.which("pdfunite")
    if exe is None:
        raise FileNotFoundError("pdfunite")
    paths = [str(p) for p in paths]
    if len(paths) == 1:
        shutil.copyfile(paths[0], out_path)
        return Path(out_path)
    proc = subprocess.run([exe, *paths, str(out_path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"pdfunite failed: {proc.stderr.strip()}")
    return Path(out_path)

