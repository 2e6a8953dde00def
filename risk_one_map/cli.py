"""risk-one-map: the headless door (batch runs, servers). Same functions as Processing and the plugin.

Every command: --help in plain words, a progress bar for long work, exit 0 on success, exit 1 on bad input
with one line naming the file, layer, feature and field, no partial output, inputs never modified.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

from .errors import Cancelled, Interrupted, RiskOneMapError
from .commands import run_with_progress as _run_with_progress
from .progress import ProgressBar


# -------------------------------------------------------------------------------------------------- commands
def cmd_sample_data(args) -> int:
    from .sample.county import build_sample_county
    pkg = _run_with_progress("sample county", build_sample_county, args.out, villages=args.villages,
                             seed=args.seed, overwrite=args.overwrite)
    print(f"sample county written to {pkg.path}")
    if not args.no_project:
        _maybe_write_project(pkg.path)
    return 0


def cmd_import(args) -> int:
    from .layers.importer import import_sources
    report = _run_with_progress("import", import_sources, args.inputs, args.out, mapping=args.mapping,
                                crs=args.crs, encoding=args.encoding, overwrite=args.overwrite,
                                layer_for=args.layer)
    print(report.summary())
    from .layers.check import check_package
    checked = check_package(args.out)  # what the package still lacks, said now rather than found out later
    if checked.errors:
        print(f"check: {len(checked.errors)} errors, {len(checked.warnings)} warnings in the package "
              f"(`risk-one-map check {args.out}` lists them); the first: {checked.errors[0].format().strip()}")
    missing = [p.layer for p in checked.errors if p.message == "required layer is missing"]
    if missing and not args.no_project:
        # the project (and its sheet tables) needs them: say so now rather than fail half-way through writing it
        print(f"note: onemap.qgz not written: the package has no {', '.join(missing)}; import them too, or write "
              f"the project later with: risk-one-map project {args.out}")
    elif not args.no_project:
        _maybe_write_project(Path(args.out))
    return 0


def cmd_check(args) -> int:
    from .layers.check import check_package
    report = check_package(args.package)
    print(report.format())
    return 1 if report.errors else 0


def cmd_project(args) -> int:
    path = _write_project(Path(args.package))
    print(f"QGIS project written to {path}")
    return 0


def cmd_demo(args) -> int:
    from .sample.county import build_sample_county
    out = Path(args.out)
    pkg_dir = out / "package"
    t0 = time.monotonic()
    pkg = _run_with_progress("sample county", build_sample_county, pkg_dir, villages=args.villages,
                             seed=args.seed, overwrite=True)
    print(f"1. sample county: {pkg.path}")
    from .layers.check import check_package
    report = check_package(pkg.path)
    print(f"2. package check: {len(report.errors)} errors, {len(report.warnings)} warnings")
    if report.errors:
        print(report.format())
        return 1
    summary = ["# Risk One Map demo", f"package: {pkg.path}", f"check: {report.summary_line()}"]
    step = 3
    # Each analysis contributes a demo step (risk_one_map/commands/*.py), in ORDER: exposure, evacuation, siting, atlas.
    from .commands import command_modules
    for mod in command_modules():
        demo_step = getattr(mod, "demo_step", None)
        if demo_step is None:
            continue
        bar = ProgressBar(mod.__name__.rsplit(".", 1)[-1])
        try:
            lines = demo_step(pkg.path, out, bar)
        finally:
            bar.close()
        for line in lines:
            print(f"{step}. {line}")
        summary += lines
        step += 1
    # The project is written last so that it shows the analysis layers too.
    project = _maybe_write_project(pkg.path)
    if project:
        summary.append(f"QGIS project: {project}")
    summary.append(f"total time: {time.monotonic() - t0:.1f} s")
    (out / "summary.txt").write_text("\n".join(summary) + "\n", encoding="utf-8")
    print(f"{step}. summary: {out / 'summary.txt'}")
    return 0


def _write_project(pkg_path: Path) -> Path:
    from .atlas.project_file import write_project_headless
    return write_project_headless(pkg_path)


def _maybe_write_project(pkg_path: Path):
    """Write onemap.qgz when QGIS is importable; say so plainly when it is not."""
    try:
        path = _write_project(pkg_path)
    except ImportError as exc:
        print(f"note: QGIS is not available here ({exc}); onemap.qgz not written. "
              f"Install QGIS (Debian: python3-qgis) or run scripts/setup.sh, then: risk-one-map project {pkg_path}")
        return None
    print(f"QGIS project: {path}")
    return path


# -------------------------------------------------------------------------------------------------- parser
class _Parser(argparse.ArgumentParser):
    """argparse with the contract's answer to bad input (SPEC: exit 1 and one line), not argparse's exit 2 and
    usage block. Sub-commands' parsers are of this class too (add_subparsers takes the parent's class)."""

    def error(self, message):
        self.exit(1, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="risk-one-map",
        description="Risk One Map (风险隐患一张图): build, check and analyse a county's risk-and-hazard one-map package, "
                    "and print a risk sheet for every village.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__import__('risk_one_map').__version__}")
    sub = p.add_subparsers(dest="command", metavar="<command>")

    d = sub.add_parser("demo", help="build the sample county and run everything on it",
                       description="Build the sample county, check it, run every analysis and print every village sheet.")
    d.add_argument("--out", default="demo-output", help="output folder (default: ./demo-output)")
    d.add_argument("--villages", type=int, default=48, help="number of villages in the sample county (default 48)")
    d.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    d.set_defaults(func=cmd_demo)

    s = sub.add_parser("sample-data", help="write a synthetic county package",
                       description="Write a synthetic but realistic county package (deterministic for a seed).")
    s.add_argument("--out", required=True, help="package folder to write")
    s.add_argument("--villages", type=int, default=48, help="number of villages (default 48; thousands for benchmarks)")
    s.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    s.add_argument("--overwrite", action="store_true", help="replace the output folder if it exists")
    s.add_argument("--no-project", action="store_true", help="do not write the QGIS project onemap.qgz")
    s.set_defaults(func=cmd_sample_data)

    i = sub.add_parser("import", help="turn raw files into a clean package",
                       description="Read shapefiles (any encoding), GeoPackages, GeoJSON and CSV/XLSX with coordinates, "
                                   "map census field names, repair geometries, reproject, and write a package with an "
                                   "import_report of every feature kept, repaired or rejected.")
    i.add_argument("inputs", nargs="+", help="input files; LAYER=FILE forces the target layer (e.g. shelters=避难场所.shp)")
    i.add_argument("--out", required=True, help="package folder to write")
    i.add_argument("--mapping", help="a JSON or CSV field-mapping file (source field -> model field) per layer")
    i.add_argument("--crs", help="CRS of inputs that have none (e.g. EPSG:4490); default: infer or refuse")
    i.add_argument("--encoding", help="force the encoding of shapefile attributes (e.g. GB18030)")
    i.add_argument("--layer", action="append", default=[], metavar="FILE=LAYER",
                   help="target layer for an input file, when the name does not tell")
    i.add_argument("--overwrite", action="store_true", help="replace the output folder if it exists")
    i.add_argument("--no-project", action="store_true", help="do not write the QGIS project onemap.qgz")
    i.set_defaults(func=cmd_import)

    c = sub.add_parser("check", help="validate a package", description="Validate a package against the one-map model; "
                                                                        "list every problem; exit 1 on errors.")
    c.add_argument("package", help="package folder")
    c.set_defaults(func=cmd_check)

    q = sub.add_parser("project", help="write the styled QGIS project onemap.qgz for a package",
                       description="Write onemap.qgz: every layer of the package styled, grouped and labelled in Chinese.")
    q.add_argument("package", help="package folder")
    q.set_defaults(func=cmd_project)

    from .commands import command_modules
    for mod in command_modules():
        mod.register(sub)
    return p


def _say_if_approximate(args) -> None:
    """The first line of every analysis and print on a package whose village areas are made from points."""
    package = getattr(args, "package", None)
    if package and args.func.__name__ not in ("cmd_check",):
        from .layers import model
        from .layers.package import Package
        if Package(package).approximate_villages():
            print(f"note: {model.APPROX_NOTE}")


@contextlib.contextmanager
def _terminate_as_interrupt():
    """SIGTERM (a service manager, `kill`) ends a run as Ctrl-C does: temporary files removed, what was kept said."""
    import signal
    import threading
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(signum, frame):
        raise KeyboardInterrupt
    old = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def main(argv=None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and getattr(args, "func", None) is cmd_import and not any(str(x).startswith("-") for x in extra):
        args.inputs += extra  # files given after --layer FILE=LAYER are inputs too
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        _say_if_approximate(args)
        with _terminate_as_interrupt():
            return int(args.func(args) or 0)
    except Interrupted as exc:
        print(f"risk-one-map: {exc}", file=sys.stderr)
        return 130
    except Cancelled as exc:
        print(f"risk-one-map: {exc}", file=sys.stderr)
        return 1
    except RiskOneMapError as exc:
        print(f"risk-one-map: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # files are written whole or not at all, and a job's outputs all together (package.outputs_together)
        print("risk-one-map: interrupted; nothing was left half-written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `risk-one-map check DIR | head`: the reader has what it wanted
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
