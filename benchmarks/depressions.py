"""Benchmark: DEM depressions (fill, labels, catchments, spill tree) and the rain cascade against reference fills.

    .venv/bin/python benchmarks/depressions.py                     # 1e6 and 1e7 cells, ~1 minute here
    .venv/bin/python benchmarks/depressions.py --cells 1e6,1e7,1e8 # the issue's sizes: ~6 min here, 9.1 GB at the
                                                                   # peak with scikit-image at 1e8 (--no-peers: 3.4 GB)
    .venv/bin/python benchmarks/depressions.py --numpy             # the numpy passes (RISK_ONE_MAP_NUMBA=0)
    .venv/bin/python benchmarks/depressions.py --taipei ../shared/realdata/taipei_city/taipei_aster_gdem_v2_30m_epsg4326.tif

Measured here with numba 0.61.2 (2 cores shared with six other sessions, load 4-14 through the runs, so wall
seconds are 2-3 times the CPU seconds; the CPU seconds and the ratio to scikit-image, run in the same process, are
the steadier measures). Two runs, float32 DEM; "peak" is the process's high-water mark once find_depressions
returned (at 1e8 the DEM's making alone reached 0.98 GB of it):

    cells  depressions+catchments           peak            rain (one)                skimage fill
           run 2 / run 3, wall (CPU) s      GB              wall (CPU) s              wall (CPU) s; ours/skimage
    1e6    0.6 / 1.7 (0.2 / 0.3)            0.24 / 0.24     0.04 / 0.16 (0.02 / 0.03) 1.9 / 1.9 (0.6 / 0.5); 0.15 / 0.20
    1e7    10.8 / 19.1 (4.0 / 4.0)          0.67 / 0.67     0.52 / 0.87 (0.21 / 0.25) 25.9 / 40.5 (10.0 / 10.8); 0.08 / 0.07
    1e8    172.2 / 249.3 (66.3 / 67.8)      4.52 / 4.52     9.3 / 7.0 (3.2 / 3.2)     377.1 / 264.4 (149 / 128); 0.14 / 0.22
    idle   (the merged main, load 0.4-1.1, two runs: --cells 1e6,1e7,1e8 --no-peers, then --cells 1e8 --no-peers)
    1e6    0.3 (0.3)                        0.24            0.03 (0.03)
    1e7    4.9 (4.7)                        0.67            0.23 (0.23)
    1e8    55.7 / 56.4 (54.6 / 55.2)        4.52 / 4.52     2.47 / 2.60 (2.46 / 2.58)
    1e8    62.2 / 62.4 (59.5 / 60.3)        4.14 / 4.14     2.50 / 3.39 (2.50 / 3.30)  after the flooded cells are let go
           before the stage-volume arrays are made and the nested ponds' cells are 4-byte; the code before it, run
           between those two, took 62.5 s (CPU 60.7) with 4.52 GB: the machine was slower than an hour earlier
    session 7 (this code; another session's benchmarks beside it, load 1.1-1.9; --cells 1e6,1e7,1e8 with the peers)
    1e6    0.2 (0.2)                        0.24            0.02 (0.02)               0.9 (0.8); fill 0.09 of it
    1e7    2.5 (2.5)                        0.56            0.23 (0.23)               12.0 (11.3); 0.09
    1e8    32.0 (30.8)                      3.42            2.07 (2.07)               143.3 (139.0); 0.08
    1e8    42.1 (38.9)                      3.46            2.98 (2.91)   the same code before it ran on plain pages
    (run 3 shared the machine with the whole test suite too. An earlier run, before the catchment pass counted the
    cells per pond for the rain: 1e8 150.7 s, CPU 71.9, rain 14.9 s. Before numba, the numpy passes: 1e6 1.8-3.1 s,
    1e7 33-36 s and 2.0 GB, 1e8 estimated ~5 min and 8 GB.)

What runs compiled (analysis/flow_kernels.py; without numba the numpy passes give the same bits, tested): the
steepest receiver of every cell, the basin numbers, the lowest boundary pair per pair of basins (bucketed by the lower
basin: never every boundary pair sorted), the lowest outlets, the filled level, the flooded cells, the depth sums,
each depression's lowest cell, the nested ponds' union-find, boxes and cells, the basins' and ponds' sorted heights
(grouped by key, each run sorted on its own: no argsort of every flooded cell), the stage-volume sums, the catchment
grids with the cells per pond, and a rain's pond levels (its binary search computes the stage-volume points it
visits: the curve is not held) and wet cells. Left in numpy/scipy/Python: the labelling of the flooded cells
(scipy.ndimage.label), the nested table's per-pond Python (52,723 ponds at 1e8) and the retained grids (labels,
catchments, pond regions, pond catchments: 16 bytes a cell). The DEM work runs on plain memory pages
(analysis/plain_pages.py): with numpy's huge-page request, each fresh GB cost 2-7 s of page faults here.

Each size runs in its own process (so its peak memory is its own): a synthetic hilly DEM (smoothed noise, a tilt and
0.5 m of speckle, which makes many small pits), then ``find_depressions`` (everything the job needs), one rain
cascade, our ``fill`` alone, and the peers' fills on the same array in the same process: scikit-image's
morphological reconstruction (in requirements.txt: the tests compare with it too) and richdem's
priority-flood when installed (its last release, 0.3.4 of 2018, is a source package that does not compile here).
Prints times, CPU seconds, the load average, the ratio to each peer and whether the filled surfaces agree. Not a
timed test.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def synthetic_dem(cells: int, seed: int = 0) -> np.ndarray:
    """float32, as a DEM file is (the job keeps a float32 DEM float32, with the same answers as float64)."""
    from scipy import ndimage
    side = int(round(cells ** 0.5))
    rng = np.random.default_rng(seed)
    z = ndimage.gaussian_filter(rng.standard_normal((side, side), dtype=np.float32), 8)
    z *= 200
    z += np.linspace(0, 50, side, dtype=np.float32)
    z += rng.random((side, side), dtype=np.float32) * 0.5
    return z


def _timed(fn, row=None, key=None):
    """Wall seconds (and with ``row``, CPU seconds of this process in ``row[key + '_cpu']``)."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    if row is not None:
        row[f"{key}_cpu"] = time.process_time() - c
    return out, time.perf_counter() - t


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def one_size(cells: int, peers: bool) -> dict:
    from risk_one_map.analysis import depressions as dp
    from risk_one_map.analysis import flow_kernels
    row = {"compiled": flow_kernels.ENABLED, "load_before": os.getloadavg()[0]}
    # numba loads its cached machine code (or compiles, the first time on a machine) once per process: not timed.
    _, row["warmup_s"] = _timed(lambda: dp.rain_event(dp.find_depressions(synthetic_dem(10_000, 1)), 10))
    dem = synthetic_dem(cells)
    row["cells"] = dem.size
    row["dem_gb"] = _peak_gb()
    d, row["depressions_s"] = _timed(lambda: dp.find_depressions(dem, cell_size=(30, 30)), row, "depressions")
    row["depressions_peak_gb"] = _peak_gb()  # the process so far: the DEM made, then find_depressions
    row["depressions"], row["significant"], row["nested"] = len(d.table), len(d.significant), len(d.nested)
    ev, row["rain_s"] = _timed(lambda: dp.rain_event(d, 100), row, "rain")
    row["balance_rel"] = abs(ev.balance_error_m3) / ev.rain_m3
    del d, ev
    filled, row["fill_s"] = _timed(lambda: dp.fill(dem), row, "fill")
    if peers:
        try:
            from skimage.morphology import reconstruction
            seed = dem.copy()
            seed[1:-1, 1:-1] = dem.max()
            ref, row["skimage_s"] = _timed(lambda: reconstruction(seed, dem, method="erosion",
                                                                  footprint=np.ones((3, 3))), row, "skimage")
            row["skimage_same"] = bool(np.allclose(ref, filled))
            del ref, seed
        except ImportError:
            pass
        try:
            import richdem as rd
            r = rd.rdarray(dem.copy(), no_data=-9999.0)
            _, row["richdem_s"] = _timed(lambda: rd.FillDepressions(r, epsilon=False, in_place=True))
            row["richdem_same"] = bool(np.allclose(np.asarray(r), filled))
        except ImportError:
            pass
    row["peak_rss_gb"] = _peak_gb()
    row["load_after"] = os.getloadavg()[0]
    return row


def taipei(path: Path) -> dict:
    """Counts and times on a real DEM; with flood_simulate_78.geojson beside it, the sanity figure of the issue: how
    much of the flood simulation's area lies in (or within 30 m of) the significant depressions, against the share
    of the DEM they cover."""
    import geopandas as gpd
    from risk_one_map.analysis import depressions as dp
    from risk_one_map.jobs.lowpoints import polygons, read_dem
    dem, transform, crs, cell, _note = read_dem(path)
    d, secs = _timed(lambda: dp.find_depressions(dem, cell_size=cell))
    events, rain_s = _timed(lambda: dp.rain_events(d, (50, 78.8, 100, 200)))
    sig = d.table["significant"].to_numpy()
    out = {"cells": dem.size, "depressions_s": round(secs, 2), "rain_4_s": round(rain_s, 2),
           "depressions": len(d.table), "significant": int(sig.sum()), "nested": len(d.nested),
           "spilling": {f"{e.rain_mm:g}mm": int(e.table["spills"][sig].sum()) for e in events}}
    sim = path.parent / "flood_simulate_78.geojson"
    if sim.is_file():
        metric = "EPSG:3826"  # TWD97 / TM2, metres (Taiwan)
        hollows = gpd.GeoSeries(polygons(d.labels, d.significant["id"].tolist(), transform), crs=crs)
        hollows = hollows.to_crs(metric).union_all()
        flood = gpd.read_file(sim).to_crs(metric).buffer(0).union_all()  # its polygons self-intersect
        area = float(np.count_nonzero(d.valid)) * d.cell_area
        out["flood_sim_share_in"] = round(flood.intersection(hollows).area / flood.area, 3)
        out["flood_sim_share_within_30m"] = round(flood.intersection(hollows.buffer(30)).area / flood.area, 3)
        out["dem_share_in"] = round(hollows.area / area, 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", default="1e6,1e7", help="sizes, comma-separated (default 1e6,1e7)")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--numpy", action="store_true", help="the numpy passes (RISK_ONE_MAP_NUMBA=0), not numba's")
    ap.add_argument("--taipei", type=Path, default=None, help="also run on this real DEM")
    ap.add_argument("--one", type=float, default=None, help=argparse.SUPPRESS)  # child process
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_size(int(args.one), not args.no_peers)))
        return
    env = dict(os.environ, **({"RISK_ONE_MAP_NUMBA": "0"} if args.numpy else {}))
    for cells in (float(c) for c in args.cells.split(",")):
        cmd = [sys.executable, __file__, "--one", str(cells)] + (["--no-peers"] if args.no_peers else [])
        res = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if res.returncode:
            print(f"{cells:.0e} cells: failed: {res.stderr.strip().splitlines()[-1:]}")
            continue
        row = json.loads(res.stdout.strip().splitlines()[-1])
        path = "numba" if row["compiled"] else "numpy"
        line = (f"{row['cells']:.1e} cells ({path}; load {row['load_before']:.1f} -> {row['load_after']:.1f}): "
                f"depressions+catchments {row['depressions_s']:.1f} s "
                f"(CPU {row['depressions_cpu']:.1f} s; {row['depressions']} depressions, {row['significant']} "
                f"significant, {row['nested']} nested), peak {row['depressions_peak_gb']:.2f} GB (the DEM alone "
                f"{row['dem_gb']:.2f}); rain {row['rain_s']:.2f} s (CPU {row['rain_cpu']:.2f}, balance "
                f"{row['balance_rel']:.0e}); fill alone {row['fill_s']:.1f} s (CPU {row['fill_cpu']:.1f})")
        for peer in ("skimage", "richdem"):
            if f"{peer}_s" in row:
                cpu = f", CPU {row[f'{peer}_cpu']:.1f}" if f"{peer}_cpu" in row else ""
                line += (f"; {peer} fill {row[f'{peer}_s']:.1f} s{cpu} (ours/{peer} "
                         f"{row['fill_s'] / row[f'{peer}_s']:.2f}, same surface: {row[f'{peer}_same']})")
        line += f"; process peak with the peers {row['peak_rss_gb']:.2f} GB; warm-up {row['warmup_s']:.1f} s"
        print(line, flush=True)
    if args.taipei:
        print("taipei:", json.dumps(taipei(args.taipei), ensure_ascii=False))


if __name__ == "__main__":
    main()
