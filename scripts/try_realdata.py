"""Try the importer on the real-data extracts in ../shared/realdata (read only); packages go to /tmp.

    .venv/bin/python scripts/try_realdata.py [--realdata DIR] [--out DIR]

Taipei: the 78.8 mm/h flood simulation (3 invalid multipolygons) as risk_zones, hazard type flood, levels from
the depth classes. Mentougou: the admin-code table, county boundary, town and village points and shelters.
Prints each import summary and the counts by status; writes nothing into the repository or the inputs.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from risk_one_map.errors import RiskOneMapError  # noqa: E402
from risk_one_map.layers.importer import import_sources  # noqa: E402

DEFAULT_REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


def runs(realdata: Path):
    taipei = realdata / "taipei_city"
    mtg = realdata / "mentougou_110109"
    yield "taipei_flood", [f"risk_zones={taipei / 'flood_simulate_78.geojson'}"], {}
    yield "mentougou", [mtg / "mentougou_admin_codes_2016.csv", mtg / "mentougou_county_boundary_wgs84.geojson",
                        mtg / "mentougou_towns_pt_wgs84.geojson", mtg / "mentougou_villages_pt_wgs84.geojson",
                        mtg / "mentougou_shelters_pt_wgs84.geojson"], {}
    # The shelters carry only an id (sid): mapped, they come in as emergency shelters named by it (ids generated).
    yield "mentougou_shelters_mapped", [mtg / "mentougou_shelters_pt_wgs84.geojson"], {
        "mapping": {"shelters": {"sid": "name", "=紧急": "shelter_class"}}}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--realdata", type=Path, default=DEFAULT_REALDATA)
    p.add_argument("--out", type=Path, default=Path("/tmp/risk-one-map-realdata"))
    args = p.parse_args(argv)
    for name, inputs, kwargs in runs(args.realdata):
        print(f"== {name}")
        try:
            report = import_sources(inputs, args.out / name, overwrite=True, **kwargs)
        except RiskOneMapError as exc:
            print(f"error: {exc}")
            continue
        print(report.summary())
        frame = report.frame()
        print("by target and status:", dict(Counter(zip(frame.target_layer, frame.status))))
        for reason, n in Counter(frame.loc[frame.status != "kept", "reason"]).most_common(4):
            print(f"  {n} x {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
