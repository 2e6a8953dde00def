"""`risk-one-map province sample|run DIR`: many county packages on dask.distributed, with province roll-ups."""
from __future__ import annotations

from pathlib import Path

from . import number

ORDER = 90
STEP_NAMES = ("exposure", "evacuate", "site-depots", "atlas")


def register(sub) -> None:
    p = sub.add_parser(
        "province", help="many county packages at once (a province or a city) on Dask, with province roll-ups",
        description="A province is a folder of county packages. `province sample` writes a synthetic one; "
                    "`province run` runs the analyses on every county on dask.distributed (a local cluster, or a "
                    "scheduler at tcp://...) and writes the province roll-ups.")
    verbs = p.add_subparsers(dest="verb", metavar="<sample|run>")
    s = verbs.add_parser("sample", help="write a synthetic province of sample counties that touch",
                         description="Write N sample county packages whose counties touch, deterministic for a seed; "
                                     "every tenth county has a 10 m population raster (a big one).")
    s.add_argument("--out", required=True, help="province folder to write")
    s.add_argument("--counties", type=number(1, inclusive=True, integer=True), default=3,
                   help="number of counties (default 3)")
    s.add_argument("--villages", type=number(8, inclusive=True, integer=True), default=48,
                   help="villages of an average county (default 48; each county's follows its area)")
    s.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    s.add_argument("--big-every", type=number(0, inclusive=True, integer=True), default=10,
                   help="every Nth county gets a 10 m population raster (default 10; 0: none)")
    s.add_argument("--overwrite", action="store_true", help="write again the counties already there")
    s.set_defaults(func=cmd_province_sample)

    r = verbs.add_parser("run", help="run the analyses on every county of a province on Dask",
                         description="Run the steps (default: exposure evacuate site-depots) on every county package "
                                     "in DIR, one Dask task per county and step (a big population raster in windows, "
                                     "a big county's atlas by township). A county that fails is reported in one line "
                                     "and the others finish; a rerun skips finished steps. Writes each county's "
                                     "outputs into its package, sheets into DIR/atlas/<county>/, and the province "
                                     "roll-ups (XLSX and an A3 PDF map) into DIR/province_summary/.")
    r.add_argument("package", metavar="DIR", help="province folder (one sub-folder per county package)")
    r.add_argument("steps", nargs="*", default=[], metavar="STEP",
                   help="steps to run, in this order whatever the order given (default: exposure evacuate "
                        "site-depots; add atlas to print every village sheet)")
    r.add_argument("--scheduler", metavar="ADDRESS",
                   help="an existing Dask scheduler (tcp://host:8786) whose workers see DIR at the same path (a "
                        "shared disk) and have risk-one-map installed; default: a local cluster on this machine")
    r.add_argument("--workers", type=number(1, inclusive=True, integer=True), default=2,
                   help="worker processes of the local cluster (default 2)")
    r.add_argument("-k", type=number(1, inclusive=True, integer=True), default=1,
                   help="site-depots: new depots per county (p-median; default 1)")
    r.add_argument("--force", action="store_true", help="run again the steps finished before")
    r.add_argument("--no-summary", action="store_true", help="do not write the province roll-ups")
    r.set_defaults(func=cmd_province_run)
    p.set_defaults(func=lambda args: p.print_help() or 0)


def cmd_province_sample(args) -> int:
    from . import run_with_progress
    from ..sample.province import build_sample_province
    paths = run_with_progress("province sample", build_sample_province, args.out, counties=args.counties,
                              villages=args.villages, seed=args.seed, big_every=args.big_every,
                              overwrite=args.overwrite)
    for path in paths:
        print(f"county: {path}")
    print(f"province written to {args.out}: {len(paths)} county packages")
    return 0


def cmd_province_run(args) -> int:
    from ..jobs.province import run_province
    steps = args.steps or list(STEP_NAMES[:3])
    atlas_task = atlas_plugin = None
    if "atlas" in steps:
        from ..atlas.province_atlas import QgisOncePerWorker, print_sheets
        atlas_task, atlas_plugin = print_sheets, QgisOncePerWorker()
    result = run_province(args.package, steps, scheduler=args.scheduler, workers=args.workers, force=args.force,
                          depots_k=args.k, atlas_task=atlas_task, atlas_plugin=atlas_plugin,
                          say=lambda line: print(line, flush=True))
    for line in result.summary_lines():
        print(line)
    if not args.no_summary:
        from ..jobs.province_rollup import write_rollups
        for path in write_rollups(Path(args.package)):
            print(f"written: {path}")
    return 1 if result.failed else 0
