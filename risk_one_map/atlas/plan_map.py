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
