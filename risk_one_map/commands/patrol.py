"""`risk-one-map patrol-export DIR --township CODE --out FOLDER` and `patrol-merge DIR FOLDER...`: the patrol
round trip (巡查) with QField, out to the phones and back into the package."""
from __future__ import annotations

from pathlib import Path

ORDER = 66


def register(sub) -> None:
    e = sub.add_parser(
        "patrol-export", help="巡查包: a township's QField-ready patrol folder (project, data, offline hillshade)",
        description="Write a folder for QField (the QGIS field app, offline): patrol.qgz with the township's "
                    "villages, ledger hazard sites, geohazard points and zones, low points, shelters and roads "
                    "styled as in the office, the DEM as a hillshade, and two layers to fill in on the phone with "
                    "Chinese forms: 巡查记录 (site from a list, date, inspector, finding, photo, status change) and "
                    "新发现隐患 (category from the plan's list, village, photo, point on the map). Copy the folder "
                    "to each phone; bring it back for patrol-merge.")
    e.add_argument("package", help="package folder")
    e.add_argument("--township", required=True, metavar="CODE", help="the township's code (townships layer)")
    e.add_argument("--out", required=True, help="the patrol folder to write")
    e.add_argument("--inspector", help="the inspector's name, filled in on every new record (editable on the phone)")
    e.add_argument("--overwrite", action="store_true", help="replace the output folder if it exists")
    e.set_defaults(func=cmd_patrol_export)
    m = sub.add_parser(
        "patrol-merge", help="merge returned patrol folders: records, new sites, status changes, photos",
        description="Read patrol folders brought back from the phones and merge them into the package: every record "
                    "into patrol_records, status changes into the ledger with their history, new hazard sites into "
                    "hazard_sites (待交办), photos copied to 巡查照片/ beside the package. Two phones asking different "
                    "statuses for one site, or a status changed in the office since the export, are kept and reported "
                    "as conflicts for the office to decide. Merging the same folder again changes nothing.")
    m.add_argument("package", help="package folder")
    m.add_argument("folders", nargs="+", metavar="FOLDER", help="patrol folders returned from the phones")
    m.set_defaults(func=cmd_patrol_merge)


def cmd_patrol_export(args) -> int:
    from . import needs_qgis, print_result, run_with_progress
    from ..jobs.patrol import export
    with needs_qgis("the QField project"):
        import qgis.core  # noqa: F401  (said before anything is written)
        result = run_with_progress("patrol-export", export, args.package, args.township, args.out,
                                   overwrite=args.overwrite)
        from ..atlas.patrol_project import write_patrol_project
        result.files.append(write_patrol_project(Path(args.out), inspector=args.inspector))
    return print_result(result)


def cmd_patrol_merge(args) -> int:
    from . import print_result, run_with_progress
    from ..jobs.patrol import merge
    return print_result(run_with_progress("patrol-merge", merge, args.package, args.folders))


def demo_step(package_dir: Path, out_dir: Path, progress) -> list:
    """The first township's patrol folder, ready to copy to a phone."""
    import pyogrio

    from ..atlas.patrol_project import write_patrol_project
    from ..jobs.patrol import export
    from ..layers import model
    towns = pyogrio.read_dataframe(Path(package_dir) / model.GPKG_NAME, layer="townships", read_geometry=False)
    first = towns.sort_values("code").iloc[0]
    folder = Path(out_dir) / f"巡查包_{first['name']}"
    result = export(package_dir, str(first["code"]), folder, overwrite=True, progress=progress)
    write_patrol_project(folder)
    return [f"patrol: {result.summary_lines()[0]}", f"patrol: folder {folder}"]
