"""`risk-one-map cards DIR --out OUT`: role cards (应急处置卡) of each village, A5 cards to cut from A4 sheets."""
from __future__ import annotations

ORDER = 76


def register(sub) -> None:
    from .plan import add_plan_options
    p = sub.add_parser(
        "cards", help="role cards (应急处置卡) for 村支书, 网格员, monitors, shelter managers and 包保 helpers",
        description="One card per person in a key role of the village: the steps in order for a blue/yellow and "
                    "an orange/red warning, the danger signs of the village's hazards, who to call and their own "
                    "households (a helper's 包保 households, a manager's arrivals). Two A5 cards per A4 page, to "
                    "cut. Writes the helpers and clearance tables as `plan` does, and "
                    "OUT/<township>/<code>_<village>_应急处置卡.pdf.")
    add_plan_options(p)
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=cmd_cards)


def cmd_cards(args) -> int:
    from ..atlas.plan_map import print_cards  # plain PDF drawing, no QGIS: the atlas's file names only
    from . import print_result, run_with_progress
    from .plan import plan_kwargs
    return print_result(run_with_progress("cards", print_cards, args.package, args.out, **plan_kwargs(args)))
