"""Package-level jobs: read a one-map package, run a pure analysis, write its outputs atomically.

The CLI (risk_one_map/commands), Processing (risk_one_map/processing) and the plugin's UI call these same
functions, so all three doors give the same numbers. Pure: no qgis, no Qt. Signature convention:
    run(package_dir, *, <options as keyword arguments with model defaults>, progress=None, cancelled=None) -> Result
where Result is a dataclass with the output paths/tables and ``summary_lines() -> list[str]``.
"""
