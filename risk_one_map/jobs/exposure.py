"""Job: population exposure for a package (read, compute, write atomically).

Writes into the package: the ``exposure`` table, ``exposure_villages`` (village polygons with exposed population, for a
choropleth), ``exposure_townships`` and ``exposure_county`` into onemap.gpkg; ``exposure.csv`` beside it (SPEC.md
columns first); bar charts per township in ``charts/``. Everything is rendered first into a temporary folder inside
the package and moved into place only once all of it succeeded: a failed or cancelled run writes nothing.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..analysis.exposure import ROW_COLUMNS, ExposureResult, compute_exposure
from ..errors import RiskOneMapError
from . import names_the_package
from ..leftovers import sweep
from ..layers.check import require_valid
from ..layers.package import Package, outputs_together
from ..layers.tables import write_csv

CSV_NAME = "exposure.csv"
CHARTS_DIR = "charts"
LAYERS = ("exposure", "exposure_villages", "exposure_townships", "exposure_county")


def read_inputs(package_dir, check: bool = True) -> dict:
    """The package's layers and raster as ``compute_exposure`` takes them (checked as the exposure command does)."""
    pkg = Package(package_dir).require()
    if check:
        require_valid(pkg.path, "exposure")
    return {"villages": pkg.read("villages"), "zones": pkg.read("risk_zones", required=False),
            "households": pkg.read("households", required=False),
            "raster": pkg.population_raster if pkg.population_raster.is_file() else None}


@names_the_package
def run(package_dir, *, mode: str = "exact", source: str = "auto", charts: bool = True, progress=None,
        cancelled=None) -> ExposureResult:
    pkg = Package(package_dir).require()
    inputs = read_inputs(pkg.path)
    townships = pkg.read("townships", required=False)
    result = compute_exposure(inputs.pop("villages"), inputs.pop("zones"), townships=townships, source=source,
                              mode=mode, progress=progress, cancelled=cancelled, **inputs)
    return write_outputs(pkg, result, townships, charts=charts, cancelled=cancelled)


def write_outputs(pkg: Package, result: ExposureResult, townships, *, charts: bool = True,
                  cancelled=None) -> ExposureResult:
    """The result into the package (layers, CSV, charts), all of it or nothing; ``result`` with its outputs."""
    sweep(pkg.path)
    tmp = Path(tempfile.mkdtemp(prefix=f".exposure.{os.getpid()}.", dir=pkg.path))
    try:
        csv_tmp = tmp / CSV_NAME
        write_csv(result.rows[ROW_COLUMNS], csv_tmp, bom=False, float_format="%.10g")
        chart_tmp = []
        if charts:
            from .exposure_charts import township_charts
            chart_tmp = township_charts(result, townships, tmp / CHARTS_DIR)
        if cancelled is not None and cancelled():
            from ..errors import Cancelled
            raise Cancelled()
        chart_paths = []
        with outputs_together():
            pkg.write_layers({"exposure": result.rows, "exposure_villages": result.villages,
                              "exposure_townships": result.townships, "exposure_county": result.county})
            os.replace(csv_tmp, pkg.path / CSV_NAME)
            if chart_tmp:
                (pkg.path / CHARTS_DIR).mkdir(exist_ok=True)
                for p in chart_tmp:
                    dest = pkg.path / CHARTS_DIR / p.name
                    os.replace(p, dest)
                    chart_paths.append(dest)
    except OSError as exc:
        raise RiskOneMapError(f"cannot write the exposure outputs: {exc}", file=pkg.path) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result.outputs = {"csv": pkg.path / CSV_NAME, "gpkg": pkg.gpkg, "layers": list(LAYERS), "charts": chart_paths}
    return result
