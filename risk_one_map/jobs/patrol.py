"""The patrol round trip (巡查): one township's folder out to the phones (QField), the returned folders back in.

``export(package, township, out)`` writes the folder's data: an ``onemap.gpkg`` of the township (villages, ledger
sites as ``patrol_sites``, geohazard points and zones, low points, shelters, roads), the two layers the phone adds
to (``inspections``, ``new_sites``, empty), ``patrol_meta`` (which package, township and export this is) and the
DEM cut to the township (drawn as a hillshade: a basemap that needs no network). The QGIS project with the forms
is written by ``qgis_glue.patrol_project`` (it needs QGIS); the CLI and Processing call both.

``merge(package, folders)`` reads what the phones recorded (analysis.patrol decides; see there) and writes it into
the package: patrol_records (every record, whole), new hazard_sites with their treatment record, status changes
through the ledger with their history, photos copied to ``巡查照片/`` beside the package.
"""
from __future__ import annotations

import datetime as dt
import shutil
import uuid as uuidlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence

import pandas as pd

from ..analysis import ledger as al
from ..analysis import patrol as ap
from ..errors import RiskOneMapError
from ..layers import model
from ..layers.model import text_value
from ..layers.package import Package, atomic_path, write_package
from ..progress import Steps
from . import names_the_package
from .ledger import read_entries

REFERENCE_LAYERS = ("villages", "geohazard_points", "geohazard_zones", "flood_lowpoints", "shelters", "roads")
PHOTO_DIR = "巡查照片"
REPORT_NAME = "巡查合并报告.txt"  # the last merge's report, beside the package
MARGIN_M = 500.0  # what lies this close outside the township is on the phone's map too (a road leaving it)


# ------------------------------------------------------------------------------------------------ export
@dataclass
class ExportResult:
    folder: Path
    township: str
    counts: dict
    files: list = field(default_factory=list)

    def summary_lines(self) -> list:
        c = self.counts
        return [f"巡查包（{self.township}）：{c.get('villages', 0)} 个村，巡查对象 {c.get('patrol_sites', 0)} 处，"
                f"避难场所 {c.get('shelters', 0)} 个；用 QField 打开 {model.PATROL_PROJECT}，"
                f"巡查后把整个文件夹交回，用 risk-one-map patrol-merge 合并。"]


def township_row(pkg: Package, code: str):
    towns = pkg.read("townships")
    hit = towns[towns["code"].map(text_value) == text_value(code)]
    if hit.empty:
        known = "、".join(f"{c} {n}" for c, n in zip(towns["code"], towns["name"]))
        raise RiskOneMapError(f"no township with code {code!r} (the package has: {known})", file=pkg.gpkg,
                              layer="townships", field="code")
    return hit.iloc[0]


@names_the_package
def export(package_dir, township: str, out, *, overwrite: bool = False, progress=None, cancelled=None
           ) -> ExportResult:
    """Write the patrol folder's data for ``township`` (a code) into ``out`` (see the module notes)."""
    import geopandas as gpd
    steps = Steps(progress, cancelled, weights=[1, 2, 1])
    pkg = Package(package_dir).require()
    steps.next()
    town = township_row(pkg, township)
    area = town.geometry.buffer(MARGIN_M)
    layers = {"townships": gpd.GeoDataFrame([town], geometry="geometry", crs=pkg.crs())}
    for name in REFERENCE_LAYERS:
        frame = pkg.read(name, required=False, bbox=tuple(area.bounds))
        if frame is not None:
            layers[name] = frame[frame.intersects(area)].reset_index(drop=True)
    villages = layers["villages"]
    layers["villages"] = villages[villages["parent_code"].map(text_value) == text_value(town["code"])] \
        if "parent_code" in villages else villages
    steps.next()
    entries = read_entries(pkg)
    codes = set(layers["villages"]["code"].map(text_value))
    mine = entries[entries["village_code"].isin(codes) | (entries["township_code"] == text_value(town["code"]))]
    layers["patrol_sites"] = ap.patrol_sites(mine)
    for spec in model.PATROL_LAYERS[1:]:  # what the phone fills in: empty, typed by the model
        layers[spec.name] = gpd.GeoDataFrame({f: pd.Series(dtype=object) for f in spec.field_names},
                                             geometry=gpd.GeoSeries([], crs=pkg.crs()))
    county = pkg.read("county", required=False)
    layers[model.PATROL_META] = pd.DataFrame([{
        "export_id": str(uuidlib.uuid4()), "exported_at": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "package": pkg.path.name, "county_code": text_value(county["code"].iloc[0]) if county is not None and
        len(county) else None, "township_code": text_value(town["code"]), "township_name": text_value(town["name"])}])
    rasters = {}
    if pkg.dem_raster.is_file():
        rasters[model.DEM_RASTER] = _dem_window(pkg.dem_raster, area.bounds)
    steps.next()
    write_package(out, layers, rasters, overwrite=overwrite)
    steps.done()
    return ExportResult(Path(out), text_value(town["name"]) or township,
                        {name: len(frame) for name, frame in layers.items()}, [Path(out) / model.GPKG_NAME])


def _dem_window(path: Path, bounds) -> tuple:
    """The DEM cut to ``bounds``: (array, transform, crs, nodata) for write_raster."""
    import rasterio
    from rasterio.windows import from_bounds
    with rasterio.open(path) as src:
        window = from_bounds(*bounds, transform=src.transform).round_offsets().round_lengths()
        window = window.intersection(rasterio.windows.Window(0, 0, src.width, src.height))
        array = src.read(1, window=window)
        nodata = src.nodata if src.nodata is not None else -9999.0
        return array, src.window_transform(window), src.crs, nodata


# ------------------------------------------------------------------------------------------------ merge
@dataclass
class MergeResult:
    package: Path
    report: ap.MergeReport
    files: list = field(default_factory=list)

    def summary_lines(self) -> list:
        return self.report.lines()


def read_folder(folder: Path, county_code: Optional[str]) -> ap.ReturnedFolder:
    """What one returned patrol folder holds; refuses a folder that is no patrol folder of this package."""
    folder = Path(folder)
    gpkg = folder / model.GPKG_NAME
    data = Package(folder)
    if not gpkg.is_file() or not data.has(model.PATROL_META):
        raise RiskOneMapError(f"not a patrol folder (no {model.GPKG_NAME} with {model.PATROL_META}); give the "
                              f"folder written by risk-one-map patrol-export", file=folder)
    meta = data.read(model.PATROL_META).iloc[0]
    if county_code and text_value(meta.get("county_code")) not in (None, county_code):
        raise RiskOneMapError(f"this patrol folder was exported from another county's package "
                              f"({meta.get('county_code')}, not {county_code})", file=gpkg,
                              layer=model.PATROL_META, field="county_code")
    frames = {}
    for spec in model.PATROL_LAYERS:
        frame = data.read(spec.name, required=False)
        if frame is None:
            raise RiskOneMapError("layer is missing from the patrol folder", file=gpkg, layer=spec.name)
        frames[spec.name] = frame
    return ap.ReturnedFolder(folder, text_value(meta.get("export_id")) or folder.name, frames["patrol_sites"],
                             frames["inspections"], frames["new_sites"])


@names_the_package
def merge(package_dir, folders: Sequence, *, now: Optional[str] = None, progress=None, cancelled=None
          ) -> MergeResult:
    """Merge returned patrol folders into the package (see the module notes). Merging a folder again adds
    nothing."""
    steps = Steps(progress, cancelled, weights=[1, 2, 1])
    pkg = Package(package_dir).require()
    now = now or dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    county = pkg.read("county", required=False)
    county_code = text_value(county["code"].iloc[0]) if county is not None and len(county) else None
    steps.next()
    returned = [read_folder(Path(f), county_code) for f in folders]
    steps.next()
    tables = {name: pkg.read(name, required=False) for name in (
        al.SITES, "hazard_treatment", "hazard_history", "patrol_records")}
    entries = read_entries(pkg)
    plan = ap.plan_merge(returned, entries, tables["patrol_records"], tables["hazard_history"], now)
    steps.next()
    if plan.report.nothing_new():
        steps.done()
        return MergeResult(pkg.path, plan.report)
    photos = _copy_photos(plan, pkg.path, now)
    sites = ap.add_new_sites(tables[al.SITES], plan.new_sites, pkg.crs())
    names = {**dict(zip(zip(entries["site_layer"], entries["site_id"]), entries["name"].map(text_value))),
             **{(al.SITES, s["id"]): s["name"] for s in plan.new_sites}}
    treatment, history, sites, changes, refused = al.apply_updates(
        tables["hazard_treatment"], tables["hazard_history"], sites, plan.updates, "patrol", names, now=now)
    plan.settle(changes, refused)
    records = ap.records_frame(tables["patrol_records"],
                               plan.records + [ap.new_site_record(s) for s in plan.new_sites], pkg.crs())
    pkg.write_layers({al.SITES: sites, "hazard_treatment": treatment, "hazard_history": history,
                      "patrol_records": records})
    report = pkg.path / REPORT_NAME
    with atomic_path(report) as tmp:
        tmp.write_text(f"{now}\n" + "\n".join(plan.report.lines()) + "\n", encoding="utf-8")
    steps.done()
    return MergeResult(pkg.path, plan.report, [pkg.gpkg, report] + photos)


def _copy_photos(plan, package: Path, now: str) -> list:
    """Each record's photo copied to 巡查照片/<export>/ beside the package (named by the record, so two phones'
    IMG_0001.jpg never meet); the record then points there. A photo the folder lacks is said in the report."""
    copied = []
    for rec in list(plan.records) + list(plan.new_sites):
        photo = text_value(rec.get("photo"))
        if photo is None:
            continue
        source = Path(rec["_folder"]) / photo
        if not source.is_file():
            plan.report.missing_photos.append(f"{rec['uuid']}：{photo}")
            rec["photo"] = None
            continue
        target = package / PHOTO_DIR / rec["_export"][:8] / f"{rec['uuid'][:8]}_{source.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copy2(source, target)
            copied.append(target)
        rec["photo"] = target.relative_to(package).as_posix()
    return copied
