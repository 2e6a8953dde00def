"""CLI commands contributed by each analysis, discovered by risk_one_map.cli.

A module here defines:
    ORDER: int                              position in `risk-one-map --help` and in the demo
    register(subparsers) -> None            adds its sub-command (set_defaults(func=...)); func(args) -> exit code
    demo_step(package_dir: Path, out_dir: Path, progress) -> list[str]   (optional) runs on the demo county,
                                            returns summary lines for demo-output/summary.txt
Commands must stay thin: parse arguments, call the job in risk_one_map.jobs / analysis, print a short result.
"""
from __future__ import annotations

import contextlib
import importlib
import pkgutil


def command_modules() -> list:
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            mods.append(importlib.import_module(f"{__name__}.{info.name}"))
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


@contextlib.contextmanager
def needs_qgis(what: str = "printing"):
    """A missing PyQGIS (ImportError) said in one line, with how to install it."""
    from ..errors import RiskOneMapError
    try:
        yield
    except ImportError as exc:
        raise RiskOneMapError(f"{what} needs QGIS ({exc}); install it (Debian: python3-qgis) or run "
                              f"scripts/setup.sh") from exc
