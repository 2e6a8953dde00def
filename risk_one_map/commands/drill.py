"""`risk-one-map drill DIR --village CODE --hazard H --level L`: a drill plan; with --record, its evaluation."""
from __future__ import annotations

ORDER = 77


def register(sub) -> None:
    p = sub.add_parser(
        "drill", help="drill (演练): plan one for a village, then evaluate it from the record",
        description="Without --record: a drill plan for the village (scenario, timeline, roles, checklist, the "
                    "households to reach with their planned arrival, the target from the clearance time), kept in "
                    "the package (drills, drill_records), with --out 演练方案_<id>.pdf and 演练记录表_<id>.csv to "
                    "fill in. With --record FILE (that sheet filled in: minutes after the start or HH:MM) or "
                    "--arrived/--reached: the evaluation (reached / not reached, actual against planned, the "
                    "bottlenecks on a map), with --out 演练评估_<id>.pdf. Each drill stays in the package's history.")
    p.add_argument("package", help="package folder")
    p.add_argument("--village", required=True, metavar="CODE", help="the village (12-digit code)")
    p.add_argument("--hazard", help="flood, geologic, forest_fire ... or 山洪, 地灾 ... (for a new drill)")
    p.add_argument("--level", help="warning level: red orange yellow blue or 红 橙 黄 蓝 (for a new drill)")
    p.add_argument("--start", help="the drill's start, e.g. '2026-06-01 09:00' (default today 09:00)")
    p.add_argument("--record", help="the filled-in 演练记录表 (CSV or XLSX): evaluate the drill")
    p.add_argument("--reached", nargs="+", default=[], metavar="HOUSEHOLD=MIN",
                   help="typed instead of a file: household reached N minutes after the start")
    p.add_argument("--arrived", nargs="+", default=[], metavar="HOUSEHOLD=MIN",
                   help="typed instead of a file: household arrived N minutes after the start")
    p.add_argument("--drill-id", help="which drill to evaluate (default: the village's latest)")
    p.add_argument("--out", help="folder for the PDFs and the record sheet")
    p.set_defaults(func=cmd_drill)


def _typed(reached, arrived) -> dict:
    from ..errors import RiskOneMapError
    out = {}
    for k, items in ((0, reached), (1, arrived)):
        for text in items:
            hid, sep, minutes = text.partition("=")
            if not sep or not hid.strip():
                raise RiskOneMapError(f"expected HOUSEHOLD=MINUTES (e.g. 130696102201-0105=35), got {text!r}")
            out.setdefault(hid.strip(), [None, None])[k] = minutes.strip()
    return {h: tuple(v) for h, v in out.items()}


def cmd_drill(args) -> int:
    from ..errors import RiskOneMapError
    from ..jobs import drill
    from . import print_result, run_with_progress
    if args.record or args.reached or args.arrived:
        result = run_with_progress("drill", drill.record_drill, args.package, args.village, drill_id=args.drill_id,
                                   record=args.record, typed=_typed(args.reached, args.arrived) or None,
                                   out_dir=args.out)
        return print_result(result)
    if not args.hazard or not args.level:
        raise RiskOneMapError("a new drill needs --hazard and --level (or --record to evaluate one)")
    return print_result(run_with_progress("drill", drill.plan_drill, args.package, args.village, args.hazard,
                                          args.level, out_dir=args.out, start=args.start))
