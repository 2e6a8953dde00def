"""Run the whole tool on the real areas in ../shared/realdata as a new user would, and write a short report.

    .venv/bin/python scripts/try_realdata.py [--realdata DIR] [--out DIR] [--village NAME ...]

For each area: ``import`` (the files as they are, no field mapping) → ``check`` → ``exposure`` → ``evacuate`` →
``site-depots`` → ``atlas`` (A3, with PNG previews of the named villages), each through the command line
(``python -m risk_one_map``). Every command's exit code and last lines go into OUT/report.md. The inputs are read
only; everything is written under OUT (default $TMPDIR/realdata).

What a user has to add because the data does not have it (and the report says so):
- Taipei: people per cell. The data has population per village only, so a population grid is spread evenly over
  each village's polygon (population.tif, 0.001°); depot candidates are the centres of the villages the OSM roads
  reach (the data has none); the social-welfare facilities stand in for shelters (the data has none), each
  assumed to take 100 people (a one-line mapping: their capacity is nowhere in the data). The OSM roads file is
  named taipei.geojson, so it needs ``--layer taipei.geojson=roads``, as the importer's message says.
- Mentougou: nothing (its data has no population, roads or hazards, so the analyses say what they miss).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REALDATA = ROOT.parent / "shared" / "realdata"
TAIPEI_SHEETS = ("吉慶里", "湖田里", "東門里")
TAIL = 12  # lines of each command's output kept in the report


def population_grid(villages_geojson: Path, out: Path, field: str = "pop_2021_03", cell: float = 0.001) -> Path:
    """A population count grid (EPSG:4326) with each village's people spread evenly over its cells."""
    import geopandas as gpd
    import numpy as np
    import rasterio
    from rasterio.features import rasterize
    from rasterio.transform import from_origin
    vil = gpd.read_file(villages_geojson).to_crs(4326)
    vil["geometry"] = vil.geometry.buffer(0)
    x0, y0, x1, y1 = vil.total_bounds
    w, h = int(np.ceil((x1 - x0) / cell)), int(np.ceil((y1 - y0) / cell))
    transform = from_origin(x0, y1, cell, cell)
    index = rasterize(((g, i + 1) for i, g in enumerate(vil.geometry)), out_shape=(h, w), transform=transform,
                      fill=0, dtype="int32")
    counts = np.bincount(index.ravel(), minlength=len(vil) + 1).astype(float)
    people = np.r_[0.0, vil[field].fillna(0).to_numpy(float)]
    per_cell = np.divide(people, counts, out=np.zeros_like(people), where=counts > 0)
    grid = np.where(index > 0, per_cell[index], 0.0).astype("float32")
    with rasterio.open(out, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32", crs="EPSG:4326",
                       transform=transform, nodata=-1.0) as dst:
        dst.write(grid, 1)
    return out


def depot_candidates(villages_geojson: Path, roads_geojson: Path, out: Path) -> Path:
    """Village centres within 300 m of the OSM roads (the only roads the data has), named after the village."""
    import geopandas as gpd
    vil = gpd.read_file(villages_geojson).to_crs(3826)
    roads = gpd.read_file(roads_geojson).to_crs(3826)
    pts = vil.geometry.buffer(0).representative_point()
    near = pts.distance(roads.geometry.union_all()) < 300
    cand = gpd.GeoDataFrame({"name": vil.loc[near, "VNAME"].str.replace("里", "", regex=False) + "候选点"},
                            geometry=pts[near], crs=3826).to_crs(4326)
    cand.to_file(out, driver="GeoJSON")
    return out


def cli(args, log: list, cwd: Path) -> subprocess.CompletedProcess:
    started = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "risk_one_map", *map(str, args)], cwd=cwd, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = (res.stdout + res.stderr).splitlines()
    out = [line for line in out if "[#" not in line and "[." not in line]  # progress bars
    log.append(f"### `risk-one-map {' '.join(Path(a).name if os.sep in str(a) else str(a) for a in args)}`"
               f" → exit {res.returncode} ({time.monotonic() - started:.0f} s)\n")
    log.append("```\n" + "\n".join(out[-TAIL:]) + "\n```\n")
    print(log[-2].strip(), flush=True)
    return res


def village_codes(package: Path, names) -> dict:
    import geopandas as gpd
    vil = gpd.read_file(package / "onemap.gpkg", layer="villages", ignore_geometry=True)
    return {n: str(vil.loc[vil["name"] == n, "code"].iloc[0]) for n in names if (vil["name"] == n).any()}


def run_area(name: str, inputs: list, work: Path, log: list, sheets=(), depot_args=()) -> None:
    pkg = work / "package"
    log.append(f"## {name}\n")
    if cli(["import", *inputs, "--out", pkg, "--overwrite"], log, work).returncode:
        return
    cli(["check", pkg], log, work)
    cli(["exposure", pkg], log, work)
    cli(["evacuate", pkg], log, work)
    cli(["site-depots", pkg, *depot_args], log, work)
    codes = village_codes(pkg, sheets) if sheets else {}
    atlas = ["atlas", pkg, "--out", work / "atlas", "--force", "--png"]
    for code in codes.values():
        atlas += ["--village", code]
    if not codes:
        atlas += ["--workers", "2"]
    cli(atlas, log, work)
    for village, code in codes.items():
        pngs = sorted((work / "atlas").rglob(f"{code}_*.png"))
        log.append(f"- {village} ({code}): {', '.join(str(p) for p in pngs) or 'no PNG'}\n")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--realdata", type=Path, default=DEFAULT_REALDATA)
    p.add_argument("--out", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "realdata")
    p.add_argument("--only", choices=("taipei", "mentougou"), help="run one area")
    args = p.parse_args(argv)
    out = args.out.resolve()
    log = [f"# Real data through the command line ({time.strftime('%Y-%m-%d %H:%M')})\n"]

    tp = args.realdata / "taipei_city"
    if args.only in (None, "taipei"):
        work = out / "taipei"
        work.mkdir(parents=True, exist_ok=True)
        villages = tp / "taipei_village_with_population_2021_03.geojson"
        grid = population_grid(villages, work / "population_per_village.tif")
        cand = depot_candidates(villages, tp / "osm" / "taipei.geojson", work / "depot_candidates.geojson")
        capacity = work / "shelter_capacity.json"
        capacity.write_text(json.dumps({"shelters": {"=100": "capacity"}}), encoding="utf-8")
        log.append("Added by hand (the data has no such layer): population.tif spread evenly over each village "
                   "from its registered population; depot candidates at the centres of villages near the OSM roads; "
                   "welfare facilities as shelters of 100 people each.\n")
        run_area("Taipei 臺北市", [
            villages, tp / "taipei_town.geojson", tp / "flood_simulate_78.geojson",
            tp / "taipei_aster_gdem_v2_30m_epsg4326.tif", f"population={grid}", f"depot_candidates={cand}",
            "--layer", "taipei.geojson=roads", tp / "osm" / "taipei.geojson",
            "--layer", "socl_welfare_organization_plc.geojson=shelters", tp / "socl_welfare_organization_plc.geojson",
            "--mapping", capacity,
        ], work, log, sheets=TAIPEI_SHEETS, depot_args=("--model", "pmedian", "-k", "3"))

    mtg = args.realdata / "mentougou_110109"
    if args.only in (None, "mentougou"):
        work = out / "mentougou"
        work.mkdir(parents=True, exist_ok=True)
        run_area("Mentougou 门头沟区", [
            mtg / "mentougou_admin_codes_2016.csv", mtg / "mentougou_county_boundary_wgs84.geojson",
            mtg / "mentougou_towns_pt_wgs84.geojson", mtg / "mentougou_villages_pt_wgs84.geojson",
            mtg / "mentougou_shelters_pt_wgs84.geojson"], work, log, depot_args=("--model", "pmedian", "-k", "3"))

    report = out / "report.md"
    report.write_text("\n".join(log), encoding="utf-8")
    print(f"report: {report}")
    print(json.dumps({"report": str(report)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
