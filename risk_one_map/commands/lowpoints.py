"""`risk-one-map lowpoints DIR`: closed depressions of the DEM, their catchments, and which fill in a rain."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..layers import model

ORDER = 35


def _rains(text: str):
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected rain in mm like 50,100,200, got {text!r}") from None
    if not values or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected rain in mm (0 or more) like 50,100,200, got {text!r}")
    return values


def register(sub) -> None:
    d = model.DEFAULTS
    p = sub.add_parser(
        "lowpoints", help="flood low points from the DEM: depressions, catchments, which fill in a rain",
        description="Find every closed depression of the package's dem.tif (the raster edge and nodata are where "
                    "water leaves), with its depth, volume, spill elevation and spill point and the area draining "
                    "into it; for each rain, fill them from their catchments and pass the overflow on, upstream "
                    "first. Writes the dem_depressions layer into onemap.gpkg; with --add-lowpoints also adds the "
                    "significant ones to flood_lowpoints (source dem), linking ledger points that lie in them.")
    p.add_argument("package", help="package folder")
    p.add_argument("--rain", type=_rains, default=(50.0, 100.0, 200.0),
                   help="rain depths in mm, comma-separated (default 50,100,200)")
    p.add_argument("--runoff", type=float, default=None,
                   help=f"runoff coefficient everywhere, the share of the rain that runs off (default: from the "
                        f"package's land use, the land_use layer or landuse.tif, with GB/T 21010 classes; without "
                        f"it {d['lowpoint_runoff_coefficient'].value:g}, an adjustable default)")
    p.add_argument("--min-depth", type=float, default=None,
                   help=f"shallowest depression listed (default {d['lowpoint_min_depth_m'].value:g} m)")
    p.add_argument("--min-area", type=float, default=None,
                   help=f"smallest depression listed (default {d['lowpoint_min_area_m2'].value:g} m²)")
    p.add_argument("--add-lowpoints", action="store_true",
                   help="also add the significant depressions to flood_lowpoints (source dem)")
    p.set_defaults(func=cmd_lowpoints)


def cmd_lowpoints(args) -> int:
    from . import run_with_progress as _run_with_progress
    from ..jobs.lowpoints import LAYER, run
    res = _run_with_progress("lowpoints", run, args.package, rains_mm=args.rain, runoff_coefficient=args.runoff,
                             min_depth_m=args.min_depth, min_area_m2=args.min_area, add_lowpoints=args.add_lowpoints)
    for line in res.summary_lines():
        print(line)
    print(f"written: layer {LAYER}" + (" and flood_lowpoints" if args.add_lowpoints else "")
          + f" in {Path(args.package) / model.GPKG_NAME}")
    return 0


def demo_step(package_dir: Path, out_dir: Path, progress) -> list:
    from ..jobs.lowpoints import run
    res = run(package_dir, progress=progress)
    return ["lowpoints: " + res.summary_lines()[0]]
