"""`risk-one-map warn DIR --cap FILE | --codes ... | --area FILE`: 预警叫应, the call list for a warning."""
from __future__ import annotations

from pathlib import Path

from ..errors import RiskOneMapError

ORDER = 60


def register(sub) -> None:
    p = sub.add_parser(
        "warn", help="预警叫应: who to call first, which households move, which shelters open",
        description="Turn a warning (a CAP 1.2 file, or village/township codes or an area file with a level and a "
                    "hazard) into the call list: the villages it reaches, the households in the warned hazard's "
                    "danger and risk zones that must move or be told (vulnerable first), the shelters to open, and "
                    "every responsible person to call, in order, with phone and SMS text. Writes warning_area, "
                    "warning_villages, warning_households, warning_calls and call_log into the package, and with "
                    "--out 叫应名单.csv/.xlsx, 住户转移清单.csv and 叫应摘要.txt.")
    p.add_argument("package", help="package folder")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--cap", help="a CAP 1.2 warning file (XML)")
    src.add_argument("--codes", nargs="+", metavar="CODE",
                     help="county (6), township (9) or village (12 digits) codes the warning covers")
    src.add_argument("--area", help="a polygon file (GeoPackage, shapefile, GeoJSON) of the warned area")
    p.add_argument("--level", help="warning level for --codes/--area: 红 橙 黄 蓝 (red orange yellow blue, 1-4)")
    p.add_argument("--hazard", help="hazard for --codes/--area: flood, geologic, forest_fire, ... or 暴雨, 山洪 ...")
    p.add_argument("--out", help="folder for 叫应名单.csv/.xlsx, 住户转移清单.csv, 叫应摘要.txt and 叫应单_<镇>.pdf")
    p.add_argument("--no-sheets", action="store_true",
                   help="with --out, skip the printed 叫应单_<镇>.pdf (about 0.3 s per township): lists only")
    p.add_argument("--answered", nargs="+", default=[], metavar="PHONE",
                   help="record these phones as answered now in call_log (叫应记录)")
    p.add_argument("--not-answered", nargs="+", default=[], metavar="PHONE",
                   help="record these phones as called now but not answered")
    p.add_argument("--moved", nargs="+", default=[], metavar="PHONE=N", type=_moved,
                   help="record the people this person reports moved (e.g. 13800000098=42)")
    p.set_defaults(func=cmd_warn)


def _moved(text: str):
    import argparse
    phone, sep, n = text.partition("=")
    if not sep or not n.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected PHONE=PEOPLE (e.g. 13800000098=42), got {text!r}")
    return phone.strip(), int(n)


def warning_from_args(args):
    from ..analysis.warning_cap import manual_warning, read_cap
    if args.cap:
        return read_cap(args.cap)
    if not args.level:
        raise RiskOneMapError("--level is needed with --codes or --area (红/橙/黄/蓝)")
    if args.codes:
        return manual_warning(codes=args.codes, level=args.level, hazard=args.hazard, source="codes")
    return manual_warning(areas=read_area_file(args.area), level=args.level, hazard=args.hazard,
                          source=str(args.area))


def read_area_file(path) -> list:
    """The polygons of an area file as [(geometry, crs)]; one line naming the file when it has none."""
    import pyogrio
    path = Path(path)
    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # GDAL's own words: not found, not a format it reads
        raise RiskOneMapError(f"cannot read the area ({' '.join(str(exc).split())})", file=path) from None
    polys = [g for g in frame.geometry if g is not None and not g.is_empty and g.geom_type.endswith("Polygon")]
    if not polys:
        raise RiskOneMapError("the area file has no polygon", file=path)
    if frame.crs is None:
        raise RiskOneMapError("the area file has no coordinate reference system", file=path)
    return [(g, frame.crs) for g in polys]


def cmd_warn(args) -> int:
    from . import print_result, run_with_progress as _run_with_progress
    from ..jobs.warning import run
    warning = warning_from_args(args)
    result = _run_with_progress("warn", run, args.package, warning, out_dir=args.out, sheets=not args.no_sheets,
                                answered=args.answered, moved=dict(args.moved),
                                not_answered=args.not_answered)
    return print_result(result)


def demo_step(package_dir, out_dir, progress) -> list:
    """A red flood warning on the sample county's second township, as a duty officer would get it."""
    import pyogrio

    from ..analysis.warning_cap import manual_warning
    from ..jobs.warning import run
    from ..layers import model
    towns = pyogrio.read_dataframe(Path(package_dir) / model.GPKG_NAME, layer="townships", read_geometry=False)
    code = sorted(towns["code"].astype(str))[min(1, len(towns) - 1)]
    result = run(package_dir, manual_warning(codes=[code], level="红", hazard="flood"),
                 out_dir=Path(out_dir) / "warning", progress=progress)
    return [f"warning: {line}" for line in result.summary_lines()[:1]] + [
        f"warning: call list {Path(out_dir) / 'warning' / '叫应名单.xlsx'}"]
