#!/usr/bin/env python3
"""Refresh risk_one_map/resources/i18n/*.ts from the tr("...") strings in the code (like pylupdate5, no Qt needed).

Source strings are Chinese. Existing translations are kept; new strings get an empty translation marked
unfinished in risk_one_map_en.ts and themselves in risk_one_map_zh_CN.ts; strings no longer in the code are
dropped. The .qm files are built by scripts/package_plugin.py (lrelease, else risk_one_map.i18n.compile_ts).

    python scripts/update_translations.py [--check]
"""
from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from risk_one_map.i18n import BASENAME, CONTEXT, I18N_DIR, SOURCE_LANGUAGE, read_ts  # noqa: E402

LANGUAGES = ("en", "zh_CN")


def extract_strings(root: Path = ROOT / "risk_one_map") -> list:
    """Every literal first argument of a call to tr(...), in file then source order, without duplicates."""
    seen, out = set(), []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            arg = node.args[0]
            if name == "tr" and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                if arg.value not in seen:
                    seen.add(arg.value)
                    out.append(arg.value)
    return out


def render_ts(language: str, strings: list, translations: dict) -> str:
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<!DOCTYPE TS>",
             f'<TS version="2.1" language="{language}" sourcelanguage="{SOURCE_LANGUAGE}">', "<context>",
             f"    <name>{CONTEXT}</name>"]
    for s in strings:
        text = translations.get(s)
        if language == SOURCE_LANGUAGE and not text:
            text = s
        lines += ["    <message>", f"        <source>{escape(s)}</source>",
                  f"        <translation>{escape(text)}</translation>" if text else
                  '        <translation type="unfinished"></translation>', "    </message>"]
    lines += ["</context>", "</TS>", ""]
    return "\n".join(lines)


def update(check: bool = False) -> int:
    strings = extract_strings()
    stale = 0
    for lang in LANGUAGES:
        path = I18N_DIR / f"{BASENAME}_{lang}.ts"
        old = {s: t for _, s, t, _ in read_ts(path)} if path.is_file() else {}
        text = render_ts(lang, strings, old)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        stale += 1
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        missing = [s for s in strings if not (old.get(s) or lang == SOURCE_LANGUAGE)]
        print(f"{path.name}: {len(strings)} strings, {len(missing)} without translation")
    return 1 if check and stale else 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="exit 1 if a .ts file is out of date")
    sys.exit(update(p.parse_args().check))
