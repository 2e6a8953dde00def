#!/usr/bin/env python3
"""Write risk_one_map/resources/styles/<layer>.qml from the styles built in code (model colours), once.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_styles.py [--check]

The QML files are committed: a county office may edit them in QGIS (Layer Properties → Style → Save as QML file)
and the plugin loads them as they are. Re-run this after changing model colours or qgis_glue/style_*.py; ``--check``
only reports which files would change (exit 1 if any). Label fonts are written as "Noto Sans CJK SC" so the
output does not depend on this machine; the loader swaps in an installed CJK font at run time.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ["QT_HASH_SEED"] = "0"  # before Qt starts: XML attributes in a stable order, so the QML diffs stay small
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QML_FONT = "Noto Sans CJK SC"
_TYPES = {"str": "string", "int": "integer", "float": "double"}


def template_layer(key: str, tmp: Path):
    """A layer shaped like the package layer ``key`` styles: the model's geometry and fields."""
    from qgis.core import QgsRasterLayer, QgsVectorLayer
    from risk_one_map.layers import model
    if key in ("population", "dem"):
        path = tmp / f"{key}.tif"
        _tiny_tiff(path)
        return QgsRasterLayer(str(path), key, "gdal")
    name, _, variant = key.partition("_polygon") if key.endswith("_polygon") else (key, "", "")
    spec = model.layer_spec_any(name)  # a model layer or an analysis output
    if key.startswith("analysis_"):
        geometry = {"point": "Point", "line": "LineString", "polygon": "Polygon"}[key.split("_", 1)[1]]
    elif key.endswith("_polygon"):
        geometry = "Polygon"
    else:
        geometry = spec.geometry[0]
    uri = f"Multi{geometry}?crs=EPSG:4546" if geometry != "Point" else "Point?crs=EPSG:4546"
    for f in (spec.fields if spec else ()):
        uri += f"&field={f.name}:{_TYPES[f.type]}"
    return QgsVectorLayer(uri, key, "memory")


def _tiny_tiff(path: Path) -> None:
    from osgeo import gdal, osr
    ds = gdal.GetDriverByName("GTiff").Create(str(path), 4, 4, 1, gdal.GDT_Float32)
    ds.SetGeoTransform((500000.0, 100.0, 0.0, 3300400.0, 0.0, -100.0))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4546)
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).SetNoDataValue(-1.0)
    ds.GetRasterBand(1).WriteArray(__import__("numpy").arange(16, dtype="float32").reshape(4, 4))
    ds = None


def qml_text(layer) -> str:
    from qgis.core import QgsReadWriteContext
    from qgis.PyQt.QtXml import QDomDocument
    from risk_one_map.qgis_glue.style import QML_CATEGORIES
    doc = QDomDocument("qgis")
    error = layer.exportNamedStyle(doc, QgsReadWriteContext(), QML_CATEGORIES)
    if error:
        raise RuntimeError(f"{layer.name()}: {error}")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + doc.toString(2)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only report files that would change; exit 1 if any")
    args = p.parse_args(argv)
    from risk_one_map.qgis_glue.app import ensure_app
    ensure_app()
    from risk_one_map.qgis_glue import style as qgis_style
    qgis_style.STYLE_DIR.mkdir(parents=True, exist_ok=True)
    changed = []
    with tempfile.TemporaryDirectory() as tmp:
        for key in qgis_style.STYLE_KEYS:
            layer = template_layer(key, Path(tmp))
            if not layer.isValid():
                raise SystemExit(f"cannot make a template layer for {key}")
            qgis_style.build_style(layer, key, QML_FONT)
            text = qml_text(layer)
            path = qgis_style.style_path(key)
            old = path.read_text(encoding="utf-8") if path.is_file() else None
            if old != text:
                changed.append(path)
                if not args.check:
                    path.write_text(text, encoding="utf-8")
            del layer
    for path in changed:
        print(("would change " if args.check else "wrote ") + str(path.relative_to(ROOT)))
    if not changed:
        print("styles are up to date")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
