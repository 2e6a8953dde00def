"""The village sheet's map as a picture for the village plan (村应急预案): the same sheet project, layers, styles,
labels, route arrows, north arrow and scale bar as the printed village sheet (``layout.build_sheet_project``),
seeked to the village by the atlas, and the main map's region of the page rendered to a PNG.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

from . import templates as T

MAP_DPI = 130


def village_map_renderer(package_dir, codes: Iterable[str], out_dir, page: str = "A4") -> Callable:
    """``render(code) -> PNG path`` for the villages ``codes``; the project is built on first use, once."""
    state = {}
    out_dir = Path(out_dir)

    def render(code: str) -> Path:
        from qgis.core import QgsLayoutExporter
        from qgis.PyQt.QtCore import QSize
        if "sheet" not in state:
            from .layout import build_sheet_project
            from .sheet_data import build_sheet_data
            data = build_sheet_data(package_dir, villages=list(codes), page=page)
            sheet = build_sheet_project(package_dir, data, page)
            sheet.atlas.beginRender()
            state.update(sheet=sheet, features={f["code"]: f for f in sheet.atlas.coverageLayer().getFeatures()},
                         exporter=QgsLayoutExporter(sheet.layout))
        sheet = state["sheet"]
        feature = state["features"].get(code)
        if feature is None or not sheet.atlas.seekTo(feature):
            return None
        main = sheet.layout.itemById(T.MAIN_MAP)
        image = state["exporter"].renderRegionToImage(main.sceneBoundingRect(), QSize(), MAP_DPI)
        out_dir.mkdir(parents=True, exist_ok=True)
        png = out_dir / f".plan-map-{os.getpid()}-{code}.png"  # a leftover of a killed run is swept (leftovers)
        image.save(str(png), "PNG")
        return png

    def close() -> None:
        if "sheet" in state:
            state["sheet"].atlas.endRender()
            state["sheet"].close()
            state.clear()

    render.close = close
    return render


def print_plans(package_dir, out_dir, villages=None, township=None, *, with_map: bool = True, progress=None,
                cancelled=None, **options):
    """The plans of ``villages`` (``jobs.village_plan.run_plan``) with the village sheet's map and the atlas's
    safe file names: what the CLI, Processing and the dock call. ``options``: capacity, prep_min, ... The map's
    temporary pictures are removed whatever happens."""
    from ..jobs.village_plan import _select, run_plan
    from ..layers.package import Package
    from .export import sheet_path
    renderer = None
    if with_map:
        codes = list(villages) if villages else _select(Package(package_dir).require().read("villages"), None,
                                                        township)
        renderer = village_map_renderer(package_dir, codes, out_dir)
    try:
        return run_plan(package_dir, villages, township, out_dir=out_dir, village_map=renderer,
                        sheet_path=sheet_path, progress=progress, cancelled=cancelled, **options)
    finally:
        if renderer is not None:
            renderer.close()
            for png in Path(out_dir).glob(f".plan-map-{os.getpid()}-*.png"):
                png.unlink()


def print_cards(package_dir, out_dir, villages=None, township=None, *, progress=None, cancelled=None, **options):
    """The role cards of ``villages`` (``jobs.village_plan.run_cards``) under the atlas's safe file names."""
    from ..jobs.village_plan import run_cards
    from .export import sheet_path
    return run_cards(package_dir, villages, township, out_dir=out_dir, sheet_path=sheet_path, progress=progress,
                     cancelled=cancelled, **options)
