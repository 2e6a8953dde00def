"""`risk-one-map atlas DIR --out OUT`: one risk sheet PDF per village (the "一图一表" village sheet)."""
from __future__ import annotations

from pathlib import Path

from . import number

ORDER = 60


def register(sub) -> None:
    p = sub.add_parser(
        "atlas", help="print a risk sheet (PDF) for every village",
        description="Print one risk sheet per village, A3 landscape (wall) or A4 portrait (明白卡 folder): the village "
                    "map with risk zones, hazards, shelters and evacuation routes, the hazard list, shelters, the 叫应 "
                    "roster with phones, population exposure and the 明白卡 items. Writes "
                    "OUT/<township>/<village code>_<village name>.pdf; villages whose PDF is newer than the package "
                    "are skipped unless --force. Needs QGIS (not its window).")
    p.add_argument("package", help="package folder")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--village", action="append", default=[], metavar="CODE",
                   help="print only this village (12-digit code); repeat for several")
    p.add_argument("--township", metavar="CODE", help="print only the villages of this township")
    p.add_argument("--page", choices=("A3", "A4"), type=str.upper, default="A3",
                   help="A3 landscape (default) or A4 portrait")
    p.add_argument("--dpi", type=number(), default=150, help="resolution of map images in the PDF (default 150)")
    p.add_argument("--merge", action="store_true", help="also write one merged PDF per township")
    p.add_argument("--png", action="store_true", help="also write a PNG preview of each sheet's first page")
    p.add_argument("--workers", type=number(1, inclusive=True, integer=True), default=1,
                   help="at most this many processes print (default 1; another one only per 12 sheets)")
    p.add_argument("--force", action="store_true", help="print again even where the PDF is up to date")
    p.add_argument("--unit", help="compiling unit (编制单位) printed on the sheet (default: <county>应急管理局)")
    p.set_defaults(func=cmd_atlas)


def cmd_atlas(args) -> int:
    from ..atlas.export import export_village_sheets
    from . import run_with_progress as _run_with_progress
    from . import needs_qgis
    with needs_qgis():
        res = _run_with_progress("atlas", export_village_sheets, args.package, args.out,
                                 villages=args.village or None, township=args.township, page=args.page, dpi=args.dpi,
                                 merge_township=args.merge, png_preview=args.png, workers=args.workers,
                                 force=args.force, compile_unit=args.unit)
    for line in res.summary_lines():
        print(line)
    return 0


def demo_step(package_dir: Path, out_dir: Path, progress) -> list:
    import os
    from ..atlas.export import export_village_sheets
    workers = max(1, min(4, os.cpu_count() or 1))
    res = export_village_sheets(package_dir, Path(out_dir) / "atlas", merge_township=True, workers=workers,
                                progress=progress)
    return [f"atlas: {line}" for line in res.summary_lines()]
