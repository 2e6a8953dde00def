"""`risk-one-map depot-map DIR --out FILE.pdf`: the county's supply depot siting sheet (应急物资储备点选址图)."""
from __future__ import annotations

from pathlib import Path

ORDER = 55
DEMO_NAME = "depot_map.pdf"


def register(sub) -> None:
    p = sub.add_parser(
        "depot-map", help="print the county's supply depot siting sheet (PDF)",
        description="Print one sheet for the whole county from the results of `risk-one-map site-depots`: villages "
                    "shaded by drive minutes to their depot, roads, township boundaries and names, allocation lines, "
                    "existing depots and new sites with their names, legend, scale bar, north arrow, a table of "
                    "depots (villages and people served, mean and worst drive minutes) and the solver's result in "
                    "plain words (objective, bound, gap; the 2024 guidance's 6 h / 8 h / 10 h reach check). A3 "
                    "landscape by default. Needs QGIS (not its window). Run `risk-one-map site-depots` first.")
    p.add_argument("package", help="package folder (with depot siting results)")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="the PDF to write")
    p.add_argument("--page", choices=("A3", "A4"), type=str.upper, default="A3",
                   help="A3 landscape (default) or A4 landscape")
    p.add_argument("--png", action="store_true", help="also write a PNG preview beside the PDF (FILE.png)")
    p.add_argument("--dpi", type=float, default=150, help="resolution of map images in the PDF (default 150)")
    p.add_argument("--unit", help="compiling unit (编制单位) printed on the sheet (default: <county>应急管理局)")
    p.set_defaults(func=cmd_depot_map)


def cmd_depot_map(args) -> int:
    from ..atlas.depot_sheet import export_depot_sheet
    from . import run_with_progress as _run_with_progress
    from . import needs_qgis
    with needs_qgis():
        res = _run_with_progress("depot-map", export_depot_sheet, args.package, args.out, page=args.page,
                                 png=args.png, dpi=args.dpi, compile_unit=args.unit)
    print("\n".join(res.summary_lines()))
    return 0


def demo_step(package_dir: Path, out_dir: Path, progress) -> list:
    from ..atlas.depot_sheet import export_depot_sheet
    res = export_depot_sheet(package_dir, Path(out_dir) / DEMO_NAME, png=True, progress=progress)
    return [f"depot map: {line}" for line in res.summary_lines()]
