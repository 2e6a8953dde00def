#!/usr/bin/env python3
"""Render a QGIS project (e.g. <package>/onemap.qgz) to a PNG over its full extent, headless, to look at the styles.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/render_project.py demo-output/package/onemap.qgz out.png
        [--width 1600] [--extent xmin,ymin,xmax,ymax] [--scale 10000] [--show 需转移住户,避难场所负荷] [--hide 撤离路线]

Draws the layers checked in the layer tree (plus ``--show``, minus ``--hide``: layer names), in the project's order,
as QGIS would; does not modify the project.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def render(project_path: str, out_png: str, width: int = 1600, extent=None, scale=None, show=(), hide=()) -> Path:
    from risk_one_map.qgis_glue.app import ensure_app
    ensure_app()
    from qgis.core import QgsMapRendererParallelJob, QgsMapSettings, QgsProject, QgsRectangle
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    project = QgsProject()
    if not project.read(project_path):
        raise SystemExit(f"cannot read {project_path}: {project.error()}")
    root = project.layerTreeRoot()
    for node in root.findLayers():
        name = node.layer().name() if node.layer() is not None else None
        if name in hide:
            node.setItemVisibilityChecked(False)
        elif name in show:
            node.setItemVisibilityCheckedParentRecursive(True)  # the layer and the groups it is in
    layers = [n.layer() for n in root.findLayers() if n.isVisible() and n.layer() is not None]
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(project.crs())
    settings.setTransformContext(project.transformContext())
    settings.setBackgroundColor(QColor("white"))
    settings.setFlag(QgsMapSettings.Antialiasing, True)
    settings.setFlag(QgsMapSettings.DrawLabeling, True)
    full = QgsRectangle(*extent) if extent else project.viewSettings().defaultViewExtent()
    if full.isEmpty():
        full = settings.fullExtent()
    if scale:
        centre = full.center()
        half_w = scale * width * 0.0254 / 96.0 / 2.0
        full = QgsRectangle(centre.x() - half_w, centre.y() - half_w, centre.x() + half_w, centre.y() + half_w)
    height = max(1, int(width * full.height() / full.width()))
    settings.setOutputSize(QSize(width, height))
    settings.setOutputDpi(96)
    settings.setExtent(full)
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    out = Path(out_png)
    image.save(str(out), "PNG")
    for error in job.errors():
        print(f"render error: {error.layerID}: {error.message}", file=sys.stderr)
    return out


def _names(text: str) -> list:
    return [n.strip() for n in text.split(",") if n.strip()]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("project")
    p.add_argument("png")
    p.add_argument("--width", type=int, default=1600)
    p.add_argument("--extent", help="xmin,ymin,xmax,ymax in the project CRS (default: the project's view extent)")
    p.add_argument("--scale", type=float, help="render a square around the centre at this scale denominator")
    p.add_argument("--show", default="", help="layer names to switch on, comma-separated")
    p.add_argument("--hide", default="", help="layer names to switch off, comma-separated")
    args = p.parse_args(argv)
    extent = [float(v) for v in args.extent.split(",")] if args.extent else None
    print(render(args.project, args.png, args.width, extent, args.scale, _names(args.show), _names(args.hide)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
