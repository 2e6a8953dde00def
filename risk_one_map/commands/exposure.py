"""`risk-one-map exposure DIR`: population exposure by village x hazard type x risk level."""
from __future__ import annotations

import shutil
from pathlib import Path

ORDER = 30


def register(sub) -> None:
    p = sub.add_parser(
        "exposure", help="population exposure by village, hazard type and risk level",
        description="Count who lives in each hazard zone, per village, hazard type and risk level (1 = highest), "
                    "with households, area and vulnerable groups; 'any' rows count each person once at the highest "
                    "level of any hazard. Writes the exposure table and exposure_villages layer into onemap.gpkg, "
                    "exposure.csv beside it and a bar chart per township in charts/.")
    p.add_argument("package", help="package folder")
    p.add_argument("--mode", choices=("exact", "fast"), default="exact",
                   help="exact: cells cut by a boundary count by the share of their area inside (default); "
                        "fast: each cell counts wholly where its centre is (the error is reported)")
    p.add_argument("--source", choices=("auto", "raster", "households", "villages"), default="auto",
                   help="population source (default auto: population.tif, else household points, else the village "
                        "table spread over each village's area)")
    p.add_argument("--no-charts", action="store_true", help="do not draw the township bar charts")
    p.set_defaults(func=cmd_exposure)


def cmd_exposure(args) -> int:
    from . import run_with_progress as _run_with_progress
    from ..jobs.exposure import run
    res = _run_with_progress("exposure", run, args.package, mode=args.mode, source=args.source,
                             charts=not args.no_charts)
    for line in res.summary_lines():
        print(line)
    print(f"written: {res.outputs['csv']} and layers {', '.join(res.outputs['layers'])} in {res.outputs['gpkg'].name}"
          + (f"; {len(res.outputs['charts'])} chart files in {Path(res.outputs['csv']).parent / 'charts'}"
             if res.outputs["charts"] else ""))
    return 0


def demo_step(package_dir: Path, out_dir: Path, progress) -> list:
    from ..jobs.exposure import run
    res = run(package_dir, progress=progress)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(res.outputs["csv"], out_dir / "exposure.csv")
    by = res.exposed_by_hazard(2)
    lines = [f"exposure ({res.source}, {res.mode}): {len(res.rows)} rows in {out_dir / 'exposure.csv'}; "
             f"{by.get('any', 0.0):,.0f} people at risk level 1-2 of any hazard"]
    lines += [f"  warning: {w}" for w in res.warnings]
    return lines
