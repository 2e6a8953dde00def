"""Translations: every string the plugin's UI shows goes through ``tr()``.

Chinese first: the source strings are Chinese (the township clerk's language) and ``resources/i18n`` holds
``risk_one_map_en.ts`` (English) and ``risk_one_map_zh_CN.ts`` (Chinese, source = translation, there so that
translators can adjust wording without touching code). ``.qm`` files are compiled at package time (lrelease, or
``compile_ts`` below when lrelease is missing); a checkout without .qm files compiles them on first use into a
cache folder. The locale is QGIS's (``locale/userLocale``, else the system's), looked up full (zh_CN) before
two letters (zh); a locale with no translation that is not Chinese gets English.

``compile_ts`` is a small .qm writer (the Qt 5 format QTranslator reads: magic, a hash table of
(elf hash of source+comment, offset) and the messages), pure Python, no Qt needed.
"""
from __future__ import annotations

import hashlib
import struct
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Optional

CONTEXT = "RiskOneMap"
I18N_DIR = Path(__file__).resolve().parent / "resources" / "i18n"
BASENAME = "risk_one_map"
SOURCE_LANGUAGE = "zh_CN"

_translator = None  # the installed QTranslator, kept alive


def tr(text: str, disambiguation: Optional[str] = None) -> str:
    """``text`` (Chinese source) in the user's language."""
    try:
        from qgis.PyQt.QtCore import QCoreApplication
    except ImportError:  # no Qt: the library is used headless
        return text
    return QCoreApplication.translate(CONTEXT, text, disambiguation)


# ------------------------------------------------------------------------------------------------ locale
def qgis_locale() -> str:
    """QGIS's UI locale: the user's override if set, else the system's ("zh_CN", "en_US" ...)."""
    from qgis.core import QgsSettings
    from qgis.PyQt.QtCore import QLocale
    settings = QgsSettings()
    override = settings.value("risk_one_map/locale_override", "") or ""
    if override:
        return str(override)
    user = settings.value("locale/userLocale", "") or ""
    return str(user) if user else QLocale.system().name()


def candidates(locale: str) -> list:
    """Translation names to try, best first: full locale, two letters; English for non-Chinese locales."""
    locale = (locale or "").replace("-", "_")
    out = []
    if locale:
        out.append(locale)
        if "_" in locale:
            out.append(locale.split("_")[0])
    if not locale.lower().startswith("zh") and "en" not in out:
        out.append("en")
    if locale.lower().startswith("zh") and SOURCE_LANGUAGE not in out:
        out.append(SOURCE_LANGUAGE)
    return out


def qm_for(locale: str, i18n_dir: Path = I18N_DIR, cache_dir: Optional[Path] = None) -> Optional[Path]:
    """The .qm to load for ``locale``: a shipped .qm, else one compiled now from the .ts into a cache folder."""
    for name in candidates(locale):
        qm = i18n_dir / f"{BASENAME}_{name}.qm"
        if qm.is_file():
            return qm
        ts = i18n_dir / f"{BASENAME}_{name}.ts"
        if ts.is_file():
            digest = hashlib.sha1(ts.read_bytes()).hexdigest()[:12]
            cache = Path(cache_dir or Path(tempfile.gettempdir()) / "risk_one_map_i18n")
            cached = cache / f"{BASENAME}_{name}.{digest}.qm"
            if not cached.is_file():
                cache.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(".tmp")
                compile_ts(ts, tmp)
                tmp.replace(cached)
            return cached
    return None


def install_translator(locale: Optional[str] = None) -> Optional[str]:
    """Load and install the translation for ``locale`` (default QGIS's); returns the locale name loaded or None.
    Replaces a translator installed before (so tests can switch languages)."""
    global _translator
    from qgis.PyQt.QtCore import QCoreApplication, QTranslator
    remove_translator()
    locale = locale or qgis_locale()
    qm = qm_for(locale)
    if qm is None:
        return None
    translator = QTranslator()
    if not translator.load(str(qm)):
        return None
    QCoreApplication.installTranslator(translator)
    _translator = translator
    return qm.stem.split(".")[0][len(BASENAME) + 1:]


def remove_translator() -> None:
    global _translator
    if _translator is not None:
        from qgis.PyQt.QtCore import QCoreApplication
        QCoreApplication.removeTranslator(_translator)
        _translator = None


# ------------------------------------------------------------------------------------------------ .ts / .qm
def read_ts(path) -> list:
    """[(context, source, translation or None when unfinished/empty, comment)] of a .ts file."""
    out = []
    root = ET.parse(str(path)).getroot()
    for ctx in root.iter("context"):
        name = ctx.findtext("name") or ""
        for msg in ctx.iter("message"):
            source = msg.findtext("source") or ""
            tr_el = msg.find("translation")
            text = None
            if tr_el is not None and tr_el.get("type") not in ("unfinished", "obsolete", "vanished") and tr_el.text:
                text = tr_el.text
            out.append((name, source, text, msg.findtext("comment") or ""))
    return out


_MAGIC = bytes([0x3C, 0xB8, 0x64, 0x18, 0xCA, 0xEF, 0x9C, 0x95, 0xCD, 0x21, 0x1C, 0xBF, 0x60, 0xA1, 0xBD, 0xDD])
_TAG_HASHES, _TAG_MESSAGES = 0x42, 0x69
_TAG_END, _TAG_TRANSLATION, _TAG_SOURCE, _TAG_CONTEXT, _TAG_COMMENT = 1, 3, 6, 7, 8


def _elf_hash(data: bytes) -> int:
    h = 0
    for byte in data:
        h = ((h << 4) + byte) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h or 1


def compile_ts(ts_path, qm_path) -> int:
    """Write the finished messages of ``ts_path`` as a Qt .qm file at ``qm_path``; returns how many."""
    messages = [m for m in read_ts(ts_path) if m[2] is not None]
    blob, entries = bytearray(), []
    for context, source, text, comment in messages:
        offset = len(blob)
        tr_bytes = text.encode("utf-16-be")
        blob += struct.pack(">BI", _TAG_TRANSLATION, len(tr_bytes)) + tr_bytes
        for tag, value in ((_TAG_SOURCE, source), (_TAG_COMMENT, comment), (_TAG_CONTEXT, context)):
            raw = value.encode("utf-8")
            blob += struct.pack(">BI", tag, len(raw)) + raw
        blob += bytes([_TAG_END])
        entries.append((_elf_hash(source.encode("utf-8") + comment.encode("utf-8")), offset))
    entries.sort()
    hashes = b"".join(struct.pack(">II", h, o) for h, o in entries)
    data = (_MAGIC + struct.pack(">BI", _TAG_HASHES, len(hashes)) + hashes
            + struct.pack(">BI", _TAG_MESSAGES, len(blob)) + bytes(blob))
    Path(qm_path).write_bytes(data)
    return len(messages)
