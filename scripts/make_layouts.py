"""Write the sheet templates in risk_one_map/resources/layouts/: village_a3.qpt and village_a4.qpt (the village
sheets) and depots_a3.qpt and depots_a4.qpt (the county depot siting sheet).

Reproducible: the layouts are built in code (risk_one_map/atlas/templates.py, depot_template.py) and saved as .qpt,
which is what the printers load and what a county office edits in QGIS's layout designer. Run after changing them:
    .venv/bin/python scripts/make_layouts.py [--check]
``--check`` only reports which files would change (exit 1 if any).
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

os.environ["QT_HASH_SEED"] = "0"  # Qt writes XML attributes in hash order: a fixed seed gives the same file each run

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only report files that would change; exit 1 if any")
    args = p.parse_args(argv)
    from risk_one_map.qgis_glue.app import ensure_app
    ensure_app()
    from risk_one_map.atlas import depot_template, templates
    changed = []
    with tempfile.TemporaryDirectory() as tmp:
        for module in (templates, depot_template):
            for page in module.PAGES:
                final = module.template_path(page)
                path = module.write_template(page, Path(tmp) / final.name)
                text = _normalise(path.read_text(encoding="utf-8"))
                if final.is_file() and final.read_text(encoding="utf-8") == text:
                    continue
                changed.append(final)
                if not args.check:
                    final.write_text(text, encoding="utf-8")
                    print(f"wrote {final}")
    if args.check:
        for path in changed:
            print(f"out of date: {path} (run scripts/make_layouts.py)")
        return 1 if changed else 0
    return 0


def _normalise(text: str) -> str:
    # QGIS writes fresh uuids on every save; fix them from the item ids so a rerun gives the same file.
    text = _stable_uuids(text)
    # Table cell styles write their bool "enabled" as whatever byte it holds: normalise to 0/1.
    return re.sub(r'(<\w+Row\b[^>]*?\benabled=")(\d+)"',
                  lambda m: m.group(1) + ("0" if m.group(2) == "0" else "1") + '"', text)


def _stable_uuids(text: str) -> str:
    import uuid
    seen = {}
    counter = [0]

    def repl(m):
        old = m.group(0)
        if old not in seen:
            counter[0] += 1
            seen[old] = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"risk-one-map/layout/{counter[0]}")) + "}"
        return seen[old]

    return re.sub(r"\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}", repl, text)


if __name__ == "__main__":
    sys.exit(main())
