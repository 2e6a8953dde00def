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


def run_with_progress(label, fn, *args, **kwargs):
    """``fn(*args, progress=<a terminal progress bar>, **kwargs)``: the bar closed whatever happens."""
    from ..progress import ProgressBar
    bar = ProgressBar(label)
    try:
        return fn(*args, progress=bar, **kwargs)
    finally:
        bar.close()


def print_result(result) -> int:
    """A job's summary lines, then every file it wrote; exit code 0."""
    for line in result.summary_lines():
        print(line)
    for path in result.files:
        print(f"written: {path}")
    return 0


def command_modules() -> list:
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            mods.append(importlib.import_module(f"{__name__}.{info.name}"))
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


def number(minimum: float = 0.0, inclusive: bool = False, integer: bool = False):
    """An argparse type: a finite number above ``minimum`` (or equal, with ``inclusive``); nan, inf, text refused."""
    import argparse
    import math

    def parse(text: str):
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or value < minimum or (value == minimum and not inclusive):
            bound = f"{'at least' if inclusive else 'more than'} {minimum:g}"
            raise argparse.ArgumentTypeError(f"expected a {'whole ' if integer else ''}number {bound}, got {text!r}")
        return value
    return parse


@contextlib.contextmanager
def needs_qgis(what: str = "printing"):
    """A missing PyQGIS (ImportError) said in one line, with how to install it."""
    from ..errors import RiskOneMapError
    try:
        yield
    except ImportError as exc:
        raise RiskOneMapError(f"{what} needs QGIS ({exc}); install it (Debian: python3-qgis) or run "
                              f"scripts/setup.sh") from exc
