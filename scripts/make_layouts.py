"""Write the village sheet templates risk_one_map/resources/layouts/village_a3.qpt and village_a4.qpt.

Reproducible: the layouts are built in code (risk_one_map/atlas/templates.py) and saved as .qpt, which is what
the exporter loads and what a county office edits in QGIS's layout designer. Run after changing templates.py:
    .venv/bin/python scripts/make_layouts.py
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

os.environ["QT_HASH_SEED"] = "0"  # Qt writes XML attributes in hash order: a fixed seed gives the same file each run

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    from risk_one_map.layers.qgis_app import ensure_app
    ensure_app()
    from risk_one_map.atlas import templates
    for page in templates.PAGES:
        path = templates.write_template(page)
        # QGIS writes fresh uuids on every save; fix them from the item ids so a rerun gives the same file.
        text = path.read_text(encoding="utf-8")
        text = _stable_uuids(text)
        # Table cell styles write their bool "enabled" as whatever byte it holds: normalise to 0/1.
        text = re.sub(r'(<\w+Row\b[^>]*?\benabled=")(\d+)"',
                      lambda m: m.group(1) + ("0" if m.group(2) == "0" else "1") + '"', text)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


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
