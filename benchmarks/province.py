"""Benchmark: a synthetic province on dask.distributed with 1 and 2 workers, step by step, and peak memory per worker.

    .venv/bin/python benchmarks/province.py                          # 6 counties x ~24 villages, every step
    .venv/bin/python benchmarks/province.py --counties 12 --villages 48 --steps exposure,atlas

Builds the province once (``province sample``; every ``--big-every``th county has a 10 m population raster), then
for each worker count runs every step alone on every county (``run_province(force=True)``; the atlas folder
removed first) on a fresh LocalCluster, and prints the wall time per step, the speed-up against 1 worker, and each
worker's peak memory (VmHWM of the worker process and of its QGIS child). From the 1-worker times it derives the
cost per village (per population cell for the windowed exposure of the big rasters) and estimates a 100-county
province (200 villages a county) on 8 and 32 workers, taking the measured 2-worker efficiency as the efficiency
there (a guess: more workers share one scheduler and one disk). Not a timed test.

Measured here on 2026-12-03 (2 cores shared with six other engineers' tests and benchmarks: load average 11-14,
so each process got a fraction of a core and the speed-ups below say more about the load than about Dask):
6 counties, 159 villages, 47,228 households, 11.5 M population cells (11.3 M in two 10 m rasters, 3 windows each
at --band-mb 48):

    step          1 worker   2 workers   speed-up
    exposure        74.8 s     80.6 s     0.93x   (then 2 window tasks per big raster: fixed to one per worker since)
    evacuate        56.9 s     36.8 s     1.55x
    site-depots     21.8 s     15.0 s     1.45x
    atlas          529.7 s    412.2 s     1.29x   (159 sheets; 3.3 s a sheet on one loaded worker)
    peak memory: each worker 0.43-0.45 GB, its QGIS process 0.50 GB

The issue's 1.7x on exposure and atlas was not reached here, most likely because with a load of 11-14 on 2 cores the
second worker got no free core. Estimate for 100 counties x 200 villages (20,000 villages) from these per-village
costs (exposure 0.47 s, evacuate 0.36 s, site-depots 0.14 s, atlas 3.33 s, on a loaded core) and the 2-worker
efficiencies measured here (0.46-0.77, under this load): 8 workers 4.8 h (atlas 3.6 h of it), 32 workers 1.2 h
(atlas 54 min). With efficiency 1 (workers on cores of their own) and the same loaded per-village costs (4.3 s a
village in all): 8 workers 3.0 h, 32 workers 45 min; idle cores make each cost smaller still. The atlas dominates,
so add workers for it first. A county's steps are sequential (one writer per onemap.gpkg), so the largest county
(its atlas split by township) bounds the wall time from below.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _peak_memory() -> dict:
    """Run on a worker: peak resident memory (GB) of this worker process and of its children (QGIS)."""
    import os

    def hwm(pid):
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1e6
        except OSError:
            return 0.0
        return 0.0
    import psutil
    children = [c.pid for c in psutil.Process(os.getpid()).children(recursive=True)]
    return {"worker_gb": hwm(os.getpid()), "qgis_gb": max([hwm(p) for p in children], default=0.0)}


def run(root: Path, steps: list, workers: int, k: int) -> dict:
    from risk_one_map.atlas.province_atlas import QgisOncePerWorker, print_sheets
    from risk_one_map.jobs.province import ATLAS_DIR, open_client, run_province
    client = open_client(workers=workers)
    times, memory = {}, {}
    try:
        for step in steps:
            if step == "atlas":
                shutil.rmtree(root / ATLAS_DIR, ignore_errors=True)
            t = time.perf_counter()
            res = run_province(root, [step], client=client, force=True, depots_k=k, atlas_task=print_sheets,
                               atlas_plugin=QgisOncePerWorker(), say=lambda line: None)
            times[step] = time.perf_counter() - t
            if res.failed:
                raise SystemExit(f"{step}: {res.failed[0].folder.name}: {res.failed[0].failed}")
            print(f"  {workers} worker(s) {step}: {times[step]:.1f} s", flush=True)
        memory = client.run(_peak_memory)
    finally:
        client.close()
        client.cluster.close()
    return {"times": times, "memory": memory}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--counties", type=int, default=6)
    ap.add_argument("--villages", type=int, default=24)
    ap.add_argument("--big-every", type=int, default=3)
    ap.add_argument("--steps", default="exposure,evacuate,site-depots,atlas")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--out", default=None, help="province folder (default: $TMPDIR/province-bench)")
    ap.add_argument("-k", type=int, default=1)
    ap.add_argument("--band-mb", default="48", help="RISK_ONE_MAP_BAND_MB: the 10 m rasters in ~3 windows each")
    args = ap.parse_args()
    import os
    os.environ["RISK_ONE_MAP_BAND_MB"] = args.band_mb  # before the clusters start: their workers inherit it
    import tempfile
    import pyogrio
    import rasterio
    from risk_one_map.jobs.province import find_counties
    from risk_one_map.sample.province import build_sample_province
    root = Path(args.out or Path(tempfile.gettempdir()) / "province-bench")
    t = time.perf_counter()
    build_sample_province(root, counties=args.counties, villages=args.villages, big_every=args.big_every)
    print(f"province sample: {time.perf_counter() - t:.1f} s (kept when already there) -> {root}")
    villages = households = cells = big_cells = 0
    for county in find_counties(root):
        villages += pyogrio.read_info(county / "onemap.gpkg", layer="villages")["features"]
        households += pyogrio.read_info(county / "onemap.gpkg", layer="households")["features"]
        with rasterio.open(county / "population.tif") as ds:
            cells += ds.width * ds.height
            big_cells += ds.width * ds.height if abs(ds.transform.a) < 50 else 0
    print(f"{args.counties} counties, {villages} villages, {households:,} households, {cells:,} population cells "
          f"({big_cells:,} in the 10 m rasters); {os.cpu_count()} CPUs")
    steps = args.steps.split(",")
    runs = {int(w): run(root, steps, int(w), args.k) for w in args.workers.split(",")}
    base = runs[min(runs)]
    print("\nstep           " + "".join(f"{w} worker(s)    " for w in runs) + "speed-up")
    for step in steps:
        row = "".join(f"{runs[w]['times'][step]:8.1f} s      " for w in runs)
        print(f"{step:14s} {row}{base['times'][step] / runs[max(runs)]['times'][step]:.2f}x")
    for w, r in runs.items():
        for addr, m in r["memory"].items():
            print(f"peak memory, {w} worker(s), {addr}: worker {m['worker_gb']:.2f} GB, its QGIS {m['qgis_gb']:.2f} GB")
    # the estimate: 1-worker seconds per village (and per big-raster cell for exposure), scaled
    eff = {s: min(1.0, base["times"][s] / runs[max(runs)]["times"][s] / max(runs)) for s in steps}
    per_village = {s: base["times"][s] / villages for s in steps}
    big = 100 * 200
    print(f"\nestimate for 100 counties x 200 villages ({big:,} villages), per-village costs measured here, the "
          f"2-worker efficiency assumed: ")
    for w in (8, 32):
        total = sum(per_village[s] * big / (w * eff[s]) for s in steps)
        print(f"  {w} workers: {total / 3600:.1f} h (" + ", ".join(
            f"{s} {per_village[s] * big / (w * eff[s]) / 60:.0f} min" for s in steps) + ")")
    print("per village, 1 worker: " + ", ".join(f"{s} {per_village[s]:.2f} s" for s in steps)
          + "; efficiency of 2 workers: " + ", ".join(f"{s} {eff[s]:.2f}" for s in steps))


if __name__ == "__main__":
    main()
