"""`risk-one-map plan DIR --out OUT`: the village emergency plan (村应急预案), one A4 PDF per village."""
from __future__ import annotations

from pathlib import Path

from . import number

ORDER = 75


def add_plan_options(p) -> None:
    """The options plan and cards share: which villages, the 包保 capacity, the clearance time's settings."""
    from ..layers import model
    d = model.DEFAULTS
    p.add_argument("package", help="package folder")
    p.add_argument("--village", action="append", default=[], metavar="CODE",
                   help="only this village (12-digit code); repeat for several (default: every village)")
    p.add_argument("--township", metavar="CODE", help="only the villages of this township")
    p.add_argument("--capacity", type=number(1, inclusive=True, integer=True),
                   help=f"households one helper looks after at most (default {d['helper_capacity'].value}, "
                        f"an adjustable default)")
    p.add_argument("--prep-min", type=number(0, inclusive=True),
                   help=f"minutes from the warning until households set off (default {d['prep_min'].value:g})")
    p.add_argument("--walk-kmh", type=number(), help=f"walking speed (default {d['walk_kmh'].value:g} km/h)")
    p.add_argument("--walk-kmh-vulnerable", type=number(),
                   help=f"walking speed of vulnerable people (default {d['walk_kmh_vulnerable'].value:g} km/h)")
    p.add_argument("--target-min", type=number(),
                   help=f"the transfer target in minutes (default {d['clearance_target_min'].value:g})")
    p.add_argument("--repropose", action="store_true",
                   help="propose every 包保 pair again (default: pairs already in the helpers table are kept)")


def plan_kwargs(args) -> dict:
    return dict(villages=args.village or None, township=args.township, capacity=args.capacity,
                prep_min=args.prep_min, walk_kmh=args.walk_kmh, walk_kmh_vulnerable=args.walk_kmh_vulnerable,
                target_min=args.target_min, repropose=args.repropose)


def register(sub) -> None:
    p = sub.add_parser(
        "plan", help="village emergency plan (村应急预案): one A4 PDF per village, with the sheet's map",
        description="Write the short village emergency plan from the package: risks, organisation with phones and "
                    "deputies, warning signals, when and where to move for each hazard, 包保 helpers of vulnerable "
                    "households, the clearance time (预计转移完成时间), shelters, supplies and township/county "
                    "contacts. What the package lacks is written as a gap to fill (【待补】), never invented. "
                    "Writes helpers, clearance_villages and clearance_townships into the package and "
                    "OUT/<township>/<code>_<village>_应急预案.pdf. The map needs QGIS (--no-map: without it).")
    add_plan_options(p)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--no-map", action="store_true", help="no map (no QGIS needed); the plan points to the sheet")
    p.set_defaults(func=cmd_plan)


def cmd_plan(args) -> int:
    from . import needs_qgis, print_result, run_with_progress
    if args.no_map:
        from ..jobs.village_plan import run_plan
        return print_result(run_with_progress("plan", run_plan, args.package, out_dir=args.out,
                                              **plan_kwargs(args)))
    with needs_qgis("the plan's map"):
        from ..atlas.plan_map import print_plans
        return print_result(run_with_progress("plan", print_plans, args.package, args.out, **plan_kwargs(args)))


def demo_step(package_dir, out_dir, progress) -> list:
    """The plan, the role cards and a red-warning drill of the sample village with the most people to move, for
    the hazard most of them move from."""
    from ..analysis.drill import household_hazards
    from ..atlas.plan_map import print_cards, print_plans
    from ..jobs.drill import plan_drill
    from ..layers.package import Package
    pkg = Package(package_dir)
    evacuees = pkg.read("evacuees", required=False)
    if evacuees is None or not len(evacuees):
        return ["plan: no evacuation results, no plan printed"]
    code = evacuees["village_code"].value_counts().index[0]
    mine = evacuees[evacuees["village_code"] == code]
    hazard = household_hazards(mine, pkg.read("evacuation_zones")).explode().value_counts().index[0]
    out = Path(out_dir) / "plan"
    plan = print_plans(package_dir, out, [code], progress=progress)
    cards = print_cards(package_dir, out, [code])
    drill = plan_drill(package_dir, code, hazard, "红", out_dir=out)
    return [f"plan: {line}" for line in plan.summary_lines()[:2]] + [
        f"plan: {plan.files[-1]}", f"plan: role cards {cards.files[-1]}", f"plan: {drill.summary_lines()[0]}"]
