"""`risk-one-map ledger DIR --out 台账.xlsx` (隐患排查治理台账) and `--import 台账.xlsx` (the edited workbook back)."""
from __future__ import annotations

from pathlib import Path

ORDER = 65


def register(sub) -> None:
    p = sub.add_parser(
        "ledger", help="隐患排查治理台账: the hazard ledger as a workbook, and the edited workbook back",
        description="Write the package's hazard ledger (hazard_sites, geohazard points and low points with their "
                    "treatment records) as one workbook: a summary of counts by status, all hazards, and one sheet "
                    "per township (分区域), hazard kind (分灾种) and sector (分行业领域), headers frozen, filters on, "
                    "overdue rows red. With --import, read an edited workbook of the same layout back: every "
                    "change is applied to hazard_treatment, every status change appended to hazard_history, and "
                    "a report (also 台账导入报告.txt in the package) lists what changed and what was refused.")
    p.add_argument("package", help="package folder")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--out", help="the workbook to write (e.g. 台账.xlsx)")
    what.add_argument("--import", dest="workbook", metavar="XLSX", help="an edited ledger workbook to read back")
    p.add_argument("--by", default="台账表格", help="who made the workbook's changes, for the history (default 台账表格)")
    p.set_defaults(func=cmd_ledger)


def cmd_ledger(args) -> int:
    from . import print_result, run_with_progress
    from ..jobs import ledger
    if args.workbook:
        return print_result(run_with_progress("ledger", ledger.import_workbook, args.package, args.workbook,
                                              changed_by=args.by))
    return print_result(run_with_progress("ledger", ledger.export, args.package, args.out))


def demo_step(package_dir: Path, out_dir: Path, progress) -> list:
    from ..jobs.ledger import export
    out = Path(out_dir) / "台账.xlsx"
    result = export(package_dir, out, progress=progress)
    return [f"ledger: {result.summary_lines()[0]}", f"ledger: workbook {out}"]
