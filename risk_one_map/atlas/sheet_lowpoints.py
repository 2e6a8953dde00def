"""The DEM low points (``dem_depressions``, from ``risk-one-map lowpoints``) in a village sheet's hazard table.

A depression where the heaviest rain computed puts people under water is listed for the village of its deepest
cell, with that rain's water depth and the households and people in the water (the sources line names the rain),
so the sheet says which hollow floods whom. A low point the ledger already lists (flood_lowpoints, linked by the DEM id) gets the same numbers
instead of a second row. Pure (pandas); no qgis.
"""
from __future__ import annotations

import re
from typing import Optional

import pandas as pd

from ..layers.model import DEM_DEPRESSIONS as LAYER, DEM_ID_PREFIX

DEM_KIND = "DEM洼地"
DASH = "—"


def heaviest_rain(columns) -> Optional[str]:
    """The suffix (e.g. ``200mm``) of the heaviest rain with exposure columns in the layer, None if none."""
    rains = [(float(m.group(1).replace("_", ".")), m.group(0)[len("people_"):])
             for c in columns if (m := re.fullmatch(r"people_([0-9_]+)mm", c))]
    return max(rains)[1] if rains else None


def dem_rows(pkg, layers) -> dict:
    """{DEM id: hazard-table fields} for the outermost depressions with people in the water in the heaviest
    rain, or already in flood_lowpoints; empty when the package has no ``dem_depressions``."""
    if LAYER not in layers:
        return {}
    frame = pkg.read(LAYER)
    rain = heaviest_rain(frame.columns)
    if rain is None or "nest_level" not in frame.columns:
        return {}
    top = frame[pd.to_numeric(frame["nest_level"], errors="coerce") == 0]
    people = pd.to_numeric(top[f"people_{rain}"], errors="coerce").fillna(0)
    households = pd.to_numeric(top[f"households_{rain}"], errors="coerce").fillna(0)
    depth = pd.to_numeric(top[f"depth_{rain}"], errors="coerce").fillna(0)
    out = {}
    for i, code, p, h, d in zip(top["id"], top["village_code"], people, households, depth):
        out[str(i)] = {"village_code": code, "name": f"{DEM_KIND}{str(i)[len(DEM_ID_PREFIX):]}", "kind": DEM_KIND,
                       "level": f"积水{d:.1f}米" if d > 0 else "无积水",
                       "households": f"{int(h)}" if p > 0 else DASH, "people": f"{p:.0f}" if p > 0 else DASH,
                       "monitor": DASH, "phone": DASH, "_people": float(p)}
    return out


def computed_note(pkg, layers) -> list:
    """For the sheet's sources line: which rain the DEM low points' depths and people are for."""
    if LAYER not in layers:
        return []
    rain = heaviest_rain(pkg.read(LAYER, where="0").columns)
    return [f"DEM洼地积水（{rain[:-2].replace('_', '.')}毫米降雨）"] if rain else []


def listed(rows: dict, ledger_ids) -> list:
    """The depressions that go on the sheets by themselves: people in the water, and not already a ledger row."""
    taken = {str(i) for i in ledger_ids}
    return [r for i, r in rows.items() if i not in taken and r["_people"] > 0 and r["village_code"]]
