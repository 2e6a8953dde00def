"""`risk-one-map site-depots DIR --model pmedian|mclp|lscp|pcenter`: supply-depot siting (应急物资储备点选址)."""
from __future__ import annotations

from pathlib import Path

from . import number

ORDER = 50


def register(sub) -> None:
    p = sub.add_parser(
        "site-depots", help="choose supply depot sites on road travel times",
        description="Choose where to put emergency supply depots (应急物资储备点) among the depot_candidates, keeping "
                    "the existing depots, on drive times over the roads. Models: pmedian (least population-weighted "
                    "drive time with K new depots), mclp (most people within T minutes with K new depots), lscp "
                    "(fewest new depots that reach everyone within T), pcenter (least worst drive time with K new "
                    "depots). Prints the objective with a proven bound and the gap, and checks the 2024 guidance "
                    "(first supplies within 6 h county / 8 h city / 10 h province). Writes depot_sites and "
                    "depot_allocation into onemap.gpkg and depot_siting.json beside it.")
    p.add_argument("package", help="package folder")
    p.add_argument("--model", choices=("pmedian", "mclp", "lscp", "pcenter"), default="pmedian",
                   help="siting model (default pmedian)")
    p.add_argument("-k", type=number(inclusive=True, integer=True), default=None,
                   help="number of NEW depots to open (pmedian, mclp, pcenter)")
    p.add_argument("--max-minutes", type=number(), default=None, metavar="T",
                   help="drive-time limit T in minutes (mclp, lscp; default: the county guidance, 360)")
    p.add_argument("--demand", choices=("population", "exposure"), default="population",
                   help="weight villages by population (default) or by people exposed at risk levels 1-3 "
                        "(needs `risk-one-map exposure` first)")
    p.add_argument("--time-limit", type=number(), default=120.0, metavar="S",
                   help="solver time limit in seconds (default 120); past it the best answer and its gap are shown")
    p.add_argument("--no-keep-existing", action="store_true",
                   help="treat existing depots as candidates instead of keeping them open")
    p.add_argument("--heuristic", action="store_true",
                   help="pmedian: fast swap heuristic with a Lagrangian bound only, no MILP (for large cases)")
    p.add_argument("--people-per-capacity", type=number(), default=None, metavar="F",
                   help="pmedian: respect site capacities, each supplying at most capacity × F people")
    p.set_defaults(func=cmd_site_depots)


def cmd_site_depots(args) -> int:
    from . import run_with_progress as _run_with_progress
    from ..errors import RiskOneMapError
    from ..jobs.siting import run
    if args.model in ("pmedian", "mclp", "pcenter") and args.k is None:
        raise RiskOneMapError(f"--model {args.model} needs -k, the number of new depots to open")
    res = _run_with_progress("site-depots", run, args.package, model=args.model, k=args.k,
                             max_minutes=args.max_minutes, demand=args.demand, time_limit_s=args.time_limit,
                             keep_existing=not args.no_keep_existing,
                             method="heuristic" if args.heuristic else "exact",
                             people_per_capacity=args.people_per_capacity)
    for line in res.summary_lines():
        print(line)
    print(f"written: layers {', '.join(res.outputs['layers'])} in {res.outputs['gpkg']}; summary {res.outputs['json']}")
    return 0


def demo_step(package_dir: Path, out_dir: Path, progress) -> list:
    from ..jobs.siting import run
    lines = []
    for model, kw in (("mclp", {"k": 2, "max_minutes": 30.0}), ("pmedian", {"k": 3})):
        res = run(package_dir, model=model, progress=progress, time_limit_s=60.0, **kw)
        s = res.summary
        lines.append(f"depot siting {model} k={s['k']}" + (f" T={s['max_minutes']:.0f} min" if model == "mclp" else "")
                     + f": new {', '.join(x['name'] for x in s['new_sites'])}; objective {s['objective']:,.0f} "
                     f"{s['objective_unit']}, gap {100 * (s['gap'] or 0):.3g}%"
                     + (" (proven optimal)" if s["optimal"] else " (not proven optimal)")
                     + f"; {100 * s['reach_check']['county']['share']:.0f}% of people within 6 h")
    lines.append(f"  depot_sites, depot_allocation and {res.outputs['json'].name} written into the package "
                 f"(last run: p-median)")
    return lines
