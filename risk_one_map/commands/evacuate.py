"""`risk-one-map evacuate DIR`: evacuation zones, who must leave, shelters along the roads, isochrones."""
from __future__ import annotations

import argparse

from ..layers import model
from . import number

ORDER = 40


KINDS = (*model.GEOHAZARD_KINDS, "flood_lowpoint")


def _radius(text: str):
    kind, sep, value = text.partition("=")
    kind = kind.strip()
    if not sep:
        raise argparse.ArgumentTypeError(f"expected KIND=METRES (e.g. landslide=250), got {text!r}")
    if kind not in KINDS:
        raise argparse.ArgumentTypeError(f"unknown kind {kind!r} in {text!r}; kinds: {', '.join(KINDS)}")
    try:
        return kind, number()(value)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected KIND=METRES with metres more than 0, got {text!r}") from None


def _minutes(text: str):
    try:
        values = tuple(number()(v) for v in text.split(",") if v.strip())
    except argparse.ArgumentTypeError:
        values = ()
    if not values:
        raise argparse.ArgumentTypeError(f"expected positive minutes like 5,10,15, got {text!r}")
    return values


def register(sub) -> None:
    d = model.DEFAULTS
    kinds = ", ".join(KINDS)
    p = sub.add_parser(
        "evacuate", help="evacuation zones, people inside, shelter assignment along roads with capacity",
        description="Find who must leave (households inside each hazard's evacuation zone), place every household "
                    "in a shelter along the roads so that the total walk is the shortest possible under shelter "
                    "capacities, and draw the routes and 5/10/15-minute walking areas. A route may leave its own "
                    "danger zone but never pass through another one. Writes evacuation_zones, evacuees, "
                    "evacuation_routes, shelter_load, unserved and shelter_isochrones into the package, and "
                    "shelter_load.csv and unserved.csv beside it.")
    p.add_argument("package", help="package folder")
    p.add_argument("--walk-kmh", type=number(), default=None,
                   help=f"walking speed (default {d['walk_kmh'].value} km/h, an adjustable default)")
    p.add_argument("--walk-kmh-vulnerable", type=number(), default=None,
                   help=f"walking speed of vulnerable households (default {d['walk_kmh_vulnerable'].value} km/h)")
    p.add_argument("--max-walk-m", type=number(), default=None,
                   help="farthest walk to a fixed shelter that is considered (default: any distance by road; "
                        "a limit such as 5000 makes large counties much faster)")
    p.add_argument("--max-leg-m", type=number(), default=None,
                   help=f"farthest a household or shelter may be from a road, in a straight line (default "
                        f"{d['max_leg_m'].value:g} m, an adjustable default); farther ones have no route")
    p.add_argument("--radius", type=_radius, action="append", default=[], metavar="KIND=METRES",
                   help=f"evacuation radius for hazard points with no danger zone and no evac_radius_m; kinds: {kinds}")
    p.add_argument("--minutes", type=_minutes, default=(5.0, 10.0, 15.0),
                   help="isochrone bands in walking minutes (default 5,10,15)")
    p.add_argument("--snap-m", type=number(inclusive=True), default=2.0,
                   help="join road ends that stop short of another road by less than this (default 2 m)")
    p.add_argument("--through-zones", action="store_true",
                   help="let routes pass through other danger zones (default: never)")
    p.set_defaults(func=cmd_evacuate)


def cmd_evacuate(args) -> int:
    from . import print_result, run_with_progress as _run_with_progress
    from ..jobs.evacuation import run
    result = _run_with_progress("evacuate", run, args.package, walk_kmh=args.walk_kmh,
                                walk_kmh_vulnerable=args.walk_kmh_vulnerable, max_walk_m=args.max_walk_m,
                                max_leg_m=args.max_leg_m,
                                radii=dict(args.radius), minutes=args.minutes, snap_tolerance_m=args.snap_m,
                                barriers=not args.through_zones)
    return print_result(result)


def demo_step(package_dir, out_dir, progress) -> list:
    from ..jobs.evacuation import run
    result = run(package_dir, progress=progress)
    return result.summary_lines()
