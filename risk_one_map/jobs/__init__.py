"""Package-level jobs: read a one-map package, run a pure analysis, write its outputs atomically.

The CLI (risk_one_map/commands), Processing (risk_one_map/processing) and the plugin's UI call these same
functions, so all three doors give the same numbers. Pure: no qgis, no Qt. Signature convention:
    run(package_dir, *, <options as keyword arguments with model defaults>, progress=None, cancelled=None) -> Result
where Result is a dataclass with the output paths/tables and ``summary_lines() -> list[str]``.
"""

from ..errors import RiskOneMapError


def names_the_package(job):
    """For jobs (``job(package_dir, ...)``): an error that names a layer but no file (the pure analysis never sees
    file names) names the package's GeoPackage, so the one line says where to look."""
    import functools

    @functools.wraps(job)
    def run(package_dir, *args, **kwargs):
        try:
            return job(package_dir, *args, **kwargs)
        except RiskOneMapError as exc:
            if exc.file is None and exc.layer is not None:
                from pathlib import Path
                from ..layers.model import GPKG_NAME
                exc.file = Path(package_dir) / GPKG_NAME
                exc.args = (str(exc),)
            raise
    return run
