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


def kangxi_map() -> dict:
    """Radical -> ideograph from Unicode's compatibility decompositions (the Kangxi block has them all)."""
    out = {}
    for cp in RADICAL_RANGE:
        norm = unicodedata.normalize("NFKC", chr(cp))
        if len(norm) == 1 and 0x4E00 <= ord(norm) <= 0x9FFF:
            out[cp] = ord(norm)
    return out


_OBJ = re.compile(rb"[\r\n](\d+)\s+0\s+obj\b")
_XREF_SECTION = re.compile(rb"(\d+)\s+(\d+)[ \t]*\r?\n")
_OBJ_AT = re.compile(rb"(\d+)\s+0\s+obj\b")
# Only a radical's code can need a rewrite: match those (U+2E80..U+2FFF) instead of every entry of the map.
_RADICAL_HEX = re.compile(rb"<(2[EeFf][0-9A-Fa-f]{2})>")


def _object_starts(data: bytes, numbers) -> dict:
    """Object number -> offset just after its "N 0 obj", for ``numbers``: from the cross-reference table that the
    file's last ``startxref`` points to (what Qt writes), checked at each offset; else from one scan of the file
    (the last definition wins, as in an update). A scan costs milliseconds on every printed page; the table, none."""
    found = {}
    at = data.rfind(b"startxref")
    m = re.match(rb"startxref\s+(\d+)", data[at:at + 40]) if at >= 0 else None
    if m and data.startswith(b"xref", int(m.group(1))):
        pos = int(m.group(1)) + 4
        while pos < len(data) and data[pos:pos + 1] in b"\r\n ":
            pos += 1
        section = _XREF_SECTION.match(data, pos)
        if section:
            first, count = int(section.group(1)), int(section.group(2))
            table = section.end()
            for number in numbers:
                k = number - first
                if 0 <= k < count:
                    entry = data[table + 20 * k:table + 20 * k + 18]
                    if entry.endswith(b"n"):
                        off = int(entry[:10])
                        obj = _OBJ_AT.match(data, off)
                        if obj and int(obj.group(1)) == number:
                            found[number] = obj.end()
    if len(found) < len(numbers):
        scanned = {int(m.group(1)): m.end() for m in _OBJ.finditer(data)}
        found.update({n: scanned[n] for n in numbers if n not in found and n in scanned})
    return found


def _stream_span(data: bytes, start: int):
    """(head, body, stop) of the stream of the object whose definition starts at ``start``, or None."""
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
    return head, body, stop


def fix_tounicode(path, mapping: Optional[Mapping[int, int]] = None) -> int:
    """Rewrite radical code points in the PDF's uncompressed ToUnicode CMaps to their ideographs, in place.

    ``mapping`` {radical: ideograph} (default: ``kangxi_map()``; pass the one from the font, which also covers
    the supplement block, e.g. ⻛ -> 风). Returns the number of entries changed. Compressed CMaps are left alone
    (Qt writes them uncompressed). It runs once per printed page, so it reads the file once and scans it once.
    """
    path = Path(path)
    mapping = mapping or kangxi_map()
    data = path.read_bytes()
    numbers = {int(m.group(1)) for m in _TOUNICODE_REF.finditer(data)}
    if not numbers:
        return 0
    starts = _object_starts(data, numbers)
    changed = 0
    edits = []

    def repl(hm):
        nonlocal changed
        target = mapping.get(int(hm.group(1), 16))
        if target is None:
            return hm.group(0)
        changed += 1
        return b"<%04X>" % target

    for number in sorted(numbers):
        start = starts.get(number)
        span = None if start is None else _stream_span(data, start)
        if span is None:
            continue
        head, body, stop = span
        if b"/Filter" in data[start:head]:
            continue
        cmap = data[body:stop]
        new = _RADICAL_HEX.sub(repl, cmap)
        if new != cmap and len(new) == len(cmap):
            edits.append((body, stop, new))
    if not changed or not edits:
        return 0
    out = bytearray(data)
    for body, stop, new in edits:
        out[body:stop] = new
    path.write_bytes(bytes(out))
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

