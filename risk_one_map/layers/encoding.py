"""Which text encoding a shapefile's attributes (or a CSV) are written in, and which rule told us.

Chinese offices send shapefiles in GBK/GB18030 without a .cpg, with a .cpg that says the wrong thing, or with
a DBF language-driver byte (LDID, header offset 29) that only some tools honour. DOMAIN.md gives the order:
``.cpg`` -> LDID -> strict UTF-8 -> GB18030. Every declared encoding is checked against the bytes, and a
declaration the bytes contradict is reported as wrong rather than obeyed.

The DBF is read here too (:func:`read_dbf`): a small reader that decodes with the chosen encoding and keeps
field names that GDAL truncated in the middle of a multi-byte character (GDAL cuts names at 10 bytes, which
makes pyogrio fail on UTF-8 shapefiles with long Chinese names).

Pure Python (struct, codecs) plus pandas for the frame.
"""
from __future__ import annotations

import codecs
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..errors import RiskOneMapError

# DBF language driver IDs -> Python codec (ESRI / dBase tables, as GDAL reads them).
# 0x57 is ESRI's "ANSI": the writer's system code page, which may be cp1252 or cp936; it tells us nothing.
LDID_CODEPAGES = {
    0x01: "cp437", 0x02: "cp850", 0x03: "cp1252", 0x08: "cp865", 0x09: "cp437", 0x0A: "cp850", 0x0B: "cp437",
    0x0D: "cp437", 0x0E: "cp850", 0x0F: "cp437", 0x10: "cp850", 0x11: "cp437", 0x12: "cp850", 0x13: "cp932",
    0x14: "cp850", 0x15: "cp437", 0x16: "cp850", 0x17: "cp865", 0x18: "cp437", 0x19: "cp437", 0x1A: "cp850",
    0x1B: "cp437", 0x1C: "cp863", 0x1D: "cp850", 0x1F: "cp852", 0x22: "cp852", 0x23: "cp852", 0x24: "cp860",
    0x25: "cp850", 0x26: "cp866", 0x37: "cp850", 0x40: "cp852", 0x4D: "cp936", 0x4E: "cp949", 0x4F: "cp950",
    0x50: "cp874", 0x58: "cp1252", 0x59: "cp1252", 0x64: "cp852", 0x65: "cp866", 0x66: "cp865", 0x67: "cp861",
    0x6A: "cp737", 0x6B: "cp857", 0x78: "cp950", 0x79: "cp949", 0x7A: "cp936", 0x7B: "cp932", 0x7C: "cp874",
    0x7D: "cp1255", 0x7E: "cp1256", 0xC8: "cp1250", 0xC9: "cp1251", 0xCA: "cp1254", 0xCB: "cp1253",
    0xCC: "cp1257",
}
LDID_ANSI = 0x57
MULTIBYTE = {"utf-8", "gb18030", "big5", "cp949", "cp932", "shift_jis", "euc_kr"}

# .cpg spellings -> Python codec. GBK/936/GB2312 are read as GB18030, their superset.
_CPG_ALIASES = {
    "utf8": "utf-8", "utf-8": "utf-8", "65001": "utf-8", "cp65001": "utf-8",
    "gbk": "gb18030", "936": "gb18030", "cp936": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030",
    "54936": "gb18030", "ms936": "gb18030", "euc-cn": "gb18030",
    "big5": "big5", "950": "big5", "cp950": "big5",
    "1252": "cp1252", "ansi1252": "cp1252", "88591": "latin-1", "8859-1": "latin-1", "iso-8859-1": "latin-1",
    "iso88591": "latin-1", "latin1": "latin-1",
}


@dataclass(frozen=True)
class EncodingChoice:
    """The codec to decode with, the rule that chose it (forced, cpg, ldid, utf8, gb18030, ascii) and why."""
    encoding: str
    rule: str
    note: str
    declared_wrong: bool = False

    def describe(self) -> str:
        return f"{self.encoding} ({self.note})"


def normalise_codec(name: str) -> Optional[str]:
    """A Python codec name for a .cpg / --encoding spelling, or None if unknown ("SYSTEM", "")."""
    text = str(name or "").strip().lower().replace(" ", "").replace("_", "-")
    if text.startswith("ansi"):
        text = text[4:]
    if not text or text == "system":
        return None
    if text in _CPG_ALIASES:
        return _CPG_ALIASES[text]
    if text.isdigit():
        text = "cp" + text
    try:
        codec = codecs.lookup(text).name
    except LookupError:
        return None
    return "gb18030" if codec in ("gbk", "gb2312") else codec


def strict_decodes(data: bytes, codec: str, cut: tuple = ()) -> bool:
    """True if ``data`` decodes strictly; each of ``cut`` (field names GDAL may have cut at 10 bytes) may end
    in half a character."""
    try:
        data.decode(codec, errors="strict")
        for chunk in cut:
            codecs.getincrementaldecoder(codec)(errors="strict").decode(chunk, final=False)
        return True
    except (UnicodeDecodeError, LookupError):
        return False


def looks_chinese(data: bytes) -> bool:
    """True when the bytes decode strictly as GB18030 and most non-ASCII characters are CJK ideographs."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    high = [c for c in text if ord(c) > 127]
    if not high:
        return False
    cjk = sum(1 for c in high if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef")
    return cjk >= 0.6 * len(high)


def _verify(data: bytes, cut: tuple, codec: str, rule: str, says: str) -> Optional[EncodingChoice]:
    """Accept a declared codec unless the bytes contradict it; None means the declaration is wrong."""
    is_utf8 = strict_decodes(data, "utf-8", cut)
    if codec == "utf-8":
        return EncodingChoice("utf-8", rule, f"{says}") if is_utf8 else None
    if not strict_decodes(data, codec, cut):
        return None
    if is_utf8:  # non-ASCII bytes that are valid UTF-8 are almost never GBK or a code page by chance
        return EncodingChoice("utf-8", "utf8", f"{says}, but the bytes are valid UTF-8: read as UTF-8", True)
    if codec not in MULTIBYTE and looks_chinese(data):
        return EncodingChoice("gb18030", "gb18030", f"{says}, but the bytes read as Chinese GB18030", True)
    return EncodingChoice(codec, rule, says)


def choose_encoding(data: bytes, cpg: Optional[str] = None, ldid: Optional[int] = None,
                    forced: Optional[str] = None, cut: tuple = ()) -> EncodingChoice:
    """Pick the codec for ``data`` (all the text bytes): forced -> .cpg -> LDID -> strict UTF-8 -> GB18030.

    ``cut`` are extra byte strings (DBF field names) that may end in half a character."""
    if forced:
        codec = normalise_codec(forced)
        if codec is None:
            raise RiskOneMapError(f"unknown encoding {forced!r} (try UTF-8, GB18030, GBK, BIG5)", field="--encoding")
        return EncodingChoice(codec, "forced", f"--encoding {forced}")
    if not any(b > 127 for b in data + b"".join(cut)):
        return EncodingChoice("utf-8", "ascii", "all text is ASCII; the encoding does not matter")
    wrong = []
    if cpg is not None:
        codec = normalise_codec(cpg)
        if codec is None:
            wrong.append(f".cpg says {cpg.strip()!r}, which names no encoding")
        else:
            choice = _verify(data, cut, codec, "cpg", f".cpg says {cpg.strip()}")
            if choice is not None:
                return choice
            wrong.append(f"the .cpg is wrong: it says {cpg.strip()} but the bytes are not {cpg.strip()}")
    if ldid:
        codec = LDID_CODEPAGES.get(ldid)
        if ldid == LDID_ANSI:
            wrong.append("DBF LDID 0x57 (ANSI: the writer's system code page) tells nothing")
        elif codec is None:
            wrong.append(f"DBF LDID 0x{ldid:02X} is not a known code page")
        else:
            says = f"DBF LDID 0x{ldid:02X} says code page {codec[2:]}" + (" (GBK)" if codec == "cp936" else "")
            choice = _verify(data, cut, "gb18030" if codec == "cp936" else codec, "ldid", says)
            if choice is not None:
                return choice
            wrong.append(f"{says} but the bytes are not {codec}")
    prefix = ("; ".join(wrong) + "; ") if wrong else ("no .cpg and no LDID; " if cpg is None else "")
    flagged = bool(wrong) and cpg is not None
    if strict_decodes(data, "utf-8", cut):
        return EncodingChoice("utf-8", "utf8", prefix + "the bytes are valid UTF-8", flagged)
    if strict_decodes(data, "gb18030", cut):
        return EncodingChoice("gb18030", "gb18030", prefix + "not UTF-8, read as GB18030", flagged)
    return EncodingChoice("gb18030", "gb18030", prefix + "neither UTF-8 nor clean GB18030; read as GB18030 with "
                                                         "undecodable bytes replaced", True)


# --------------------------------------------------------------------------------------------------
# DBF
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DbfField:
    raw_name: bytes
    type: str
    length: int
    decimals: int
    offset: int  # within a record, after the deletion flag


@dataclass(frozen=True)
class DbfHeader:
    records: int
    header_length: int
    record_length: int
    ldid: int
    fields: tuple


def read_dbf_header(data: bytes, path=None) -> DbfHeader:
    if len(data) < 32:
        raise RiskOneMapError("the .dbf file is too short to be a dBase table", file=path)
    records, header_length, record_length = struct.unpack("<IHH", data[4:12])
    fields, pos, offset = [], 32, 1
    while pos + 32 <= min(header_length, len(data)) and data[pos] != 0x0D:
        desc = data[pos:pos + 32]
        name = desc[:11].split(b"\x00", 1)[0]
        ftype = chr(desc[11]).upper()
        length, decimals = desc[16], desc[17]
        fields.append(DbfField(name, ftype, length, decimals, offset))
        offset += length
        pos += 32
    return DbfHeader(records, header_length, record_length, data[29], tuple(fields))


def _decode_name(raw: bytes, codec: str) -> str:
    """A field name; a trailing half character (GDAL cuts names at 10 bytes) is dropped, not an error."""
    dec = codecs.getincrementaldecoder(codec)(errors="replace")
    return dec.decode(raw, final=False).strip() or raw.decode("latin-1")


def dbf_text_bytes(data: bytes, header: DbfHeader) -> bytes:
    """Every byte of character data, for the encoding test (field names apart: they may be cut)."""
    chunks = []
    text_fields = [f for f in header.fields if f.type == "C"]
    start = header.header_length
    for i in range(header.records):
        rec = data[start + i * header.record_length: start + (i + 1) * header.record_length]
        for f in text_fields:
            chunks.append(rec[f.offset:f.offset + f.length].rstrip(b" \x00"))
    return b"\n".join(chunks)


def _value(raw: bytes, f: DbfField, codec: str):
    if f.type == "C":
        text = raw.decode(codec, errors="replace").rstrip(" \x00").strip()
        return text if text else None
    text = raw.decode("latin-1").strip().strip("\x00")
    if f.type in ("N", "F"):
        if not text or set(text) <= {"*", "."}:
            return None
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            return None
        return int(value) if f.decimals == 0 and value.is_integer() and abs(value) < 2 ** 53 else value
    if f.type == "L":
        return {"T": True, "Y": True, "F": False, "N": False}.get(text[:1].upper())
    if f.type == "D":
        return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 and text.isdigit() else None
    if f.type == "M":
        return None
    return text or None


def shapefile_encoding(path, forced: Optional[str] = None) -> EncodingChoice:
    """The attribute encoding of a shapefile (or a bare .dbf)."""
    dbf = _dbf_path(Path(path))
    data = dbf.read_bytes()
    header = read_dbf_header(data, dbf)
    cpg_path = dbf.with_suffix(".cpg")
    if not cpg_path.exists():
        cpg_path = dbf.with_suffix(".CPG")
    cpg = cpg_path.read_text(encoding="latin-1") if cpg_path.exists() else None
    names = tuple(f.raw_name for f in header.fields)
    return choose_encoding(dbf_text_bytes(data, header), cpg=cpg, ldid=header.ldid or None, forced=forced,
                           cut=names)


def _dbf_path(path: Path) -> Path:
    if path.suffix.lower() == ".dbf":
        return path
    for suffix in (".dbf", ".DBF"):
        if path.with_suffix(suffix).exists():
            return path.with_suffix(suffix)
    raise RiskOneMapError("the shapefile has no .dbf beside it (attributes are missing)", file=path)


def read_dbf(path, codec: str):
    """(DataFrame of attributes with unique column names, list of record-deleted flags)."""
    import pandas as pd
    dbf = _dbf_path(Path(path))
    data = dbf.read_bytes()
    header = read_dbf_header(data, dbf)
    names, seen = [], set()
    for f in header.fields:
        name = _decode_name(f.raw_name, codec)
        base, k = name, 2
        while name.lower() in seen:
            name, k = f"{base}_{k}", k + 1
        seen.add(name.lower())
        names.append(name)
    rows, deleted = [], []
    start = header.header_length
    available = max(0, (len(data) - start) // max(header.record_length, 1))
    for i in range(min(header.records, available)):
        rec = data[start + i * header.record_length: start + (i + 1) * header.record_length]
        deleted.append(rec[:1] == b"*")
        rows.append([_value(rec[f.offset:f.offset + f.length], f, codec) for f in header.fields])
    return pd.DataFrame(rows, columns=names, dtype=object), deleted


def text_file_encoding(data: bytes, forced: Optional[str] = None) -> EncodingChoice:
    """Encoding of a CSV/text file: forced -> BOM -> strict UTF-8 -> GB18030."""
    if forced:
        return choose_encoding(data, forced=forced)
    if data.startswith(codecs.BOM_UTF8):
        return EncodingChoice("utf-8-sig", "bom", "UTF-8 byte-order mark")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return EncodingChoice("utf-16", "bom", "UTF-16 byte-order mark")
    choice = choose_encoding(data)
    return EncodingChoice(choice.encoding, choice.rule, choice.note.replace("no .cpg and no LDID", "no byte-order mark"),
                          choice.declared_wrong)
