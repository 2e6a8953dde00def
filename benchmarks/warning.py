"""Benchmark: 预警叫应 on a county-wide red warning (issue #15: 300 villages, ~100,000 households, ~3,000 persons:
all outputs <= 10 s, the pure computation <= 1 s).

    .venv/bin/python benchmarks/warning.py                       # builds a 300-village sample county first
    .venv/bin/python benchmarks/warning.py --package DIR --codes 130693

Not a timed test: it prints sizes and times (best of --rounds) of
  1. the pure plan (``analysis.warning.plan_warning``, layers already read);
  2. the whole job without files (read the package, plan, write the warning layers and call_log);
  3. the whole job with --out --no-sheets (plus the CSV and XLSX call lists);
  4. the whole job with --out (plus one PDF sheet per township).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the forked sheet printers): on a shared machine the
    wall time says as much about the neighbours as about the code."""
    import resource
    return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


CPU = {}


def best(fn, rounds):
    times, cpus = [], []
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), cpu_seconds()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
    CPU["last"] = min(cpus)
    return min(times), out


def cpu() -> str:
    return f"(CPU {CPU['last']:.2f} s; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--package", help="an existing package (copied; default: a new sample county)")
    p.add_argument("--villages", type=int, default=300)
    p.add_argument("--codes", nargs="+", help="warned codes (default: the whole county)")
    p.add_argument("--hazard", default="flood")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)

    from risk_one_map.analysis.warning import plan_warning
    from risk_one_map.analysis.warning_cap import manual_warning
    from risk_one_map.jobs.warning import read_layers, run
    from risk_one_map.layers.package import Package

    work = Path(tempfile.mkdtemp(prefix="warning-bench-"))
    try:
        pkg_dir = work / "county"
        if args.package:
            shutil.copytree(args.package, pkg_dir)
        else:
            from risk_one_map.sample.county import build_sample_county
            t0 = time.perf_counter()
            build_sample_county(pkg_dir, villages=args.villages, seed=7)
            print(f"sample county of {args.villages} villages built in {time.perf_counter() - t0:.1f} s")
        pkg = Package(pkg_dir)
        layers, evacuated = read_layers(pkg)
        codes = args.codes or [str(layers["villages"]["code"].iloc[0])[:6]]
        warning = manual_warning(codes=codes, level="红", hazard=args.hazard)
        print(f"package: {len(layers['villages'])} villages, {len(layers['households'])} households, "
              f"{len(layers['persons'])} persons; warning: {warning.title()} over {codes}")
        crs = pkg.crs()
        t, plan = best(lambda: plan_warning(warning, layers, crs, evacuated), args.rounds)
        s = plan.stats
        print(f"1. pure plan: {t:.2f} s {cpu()} ({s['villages']} villages, {s['move_households']} households to move, "
              f"{s['tell_households']} to tell, {s['calls']} calls, {s['shelters']} shelters)")
        t, _ = best(lambda: run(pkg_dir, warning), args.rounds)
        print(f"2. job, package layers only: {t:.2f} s {cpu()}")
        t, _ = best(lambda: run(pkg_dir, warning, out_dir=work / "lists", sheets=False), args.rounds)
        print(f"3. job with the CSV and XLSX call lists: {t:.2f} s {cpu()}")
        t, res = best(lambda: run(pkg_dir, warning, out_dir=work / "out"), args.rounds)
        pdfs = sum(1 for f in res.files if str(f).endswith(".pdf"))
        print(f"4. job with the lists and {pdfs} township sheets: {t:.2f} s {cpu()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
