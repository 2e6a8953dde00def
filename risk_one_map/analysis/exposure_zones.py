"""The hazard zones of exposure: checked and normalised (valid polygons, known hazard types and levels), then cut
into disjoint regions per hazard and level, the highest level winning where zones of one hazard overlap.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd
import shapely

from ..errors import RiskOneMapError
from ..layers import model
from .exposure_common import LEVELS


def feature_name(frame, i) -> str:
    if "id" in frame.columns and pd.notna(frame["id"].iloc[i]) and str(frame["id"].iloc[i]).strip():
        return f"{frame['id'].iloc[i]} (#{i + 1})"
    return f"#{i + 1}"


def normalise_zones(zones, warnings: list, layer: str = "risk_zones"):
    """Hazard types to model keys, levels to 1..5; one-line error on anything else; drop empty geometries."""
    zones = zones.copy()
    for name in ("hazard_type", "risk_level"):
        if name not in zones.columns:
            raise RiskOneMapError("required field is missing", layer=layer, field=name)
    keys, fixed = [], 0
    for i, value in enumerate(zones["hazard_type"]):
        key = model.hazard_key(value)
        if key is None:
            raise RiskOneMapError(
                f"unknown hazard type {value!r} (expected one of: {', '.join(model.HAZARD_BY_KEY)})",
                layer=layer, feature=feature_name(zones, i), field="hazard_type")
        fixed += key != value
        keys.append(key)
    if fixed:
        warnings.append(f"{fixed} hazard_type values in {layer} were written as labels or synonyms and read as model keys")
    levels = []
    for i, value in enumerate(zones["risk_level"]):
        level = model.risk_level_from_label(value) if not isinstance(value, str) else None
        if level is None:
            raise RiskOneMapError(f"risk level {value!r} is not an integer 1..5 (1 = highest)",
                                  layer=layer, feature=feature_name(zones, i), field="risk_level")
        levels.append(level)
    zones["hazard_type"] = keys
    zones["risk_level"] = np.asarray(levels, dtype=np.int64)
    empty = zones.geometry.isna() | zones.geometry.is_empty
    if empty.any():
        warnings.append(f"{int(empty.sum())} risk zones without geometry were skipped")
        zones = zones[~empty]
    return repair_polygons(zones, layer, warnings)


def repair_polygons(frame, layer, warnings):
    geoms = np.asarray(frame.geometry.values, dtype=object)
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        fixed = shapely.make_valid(geoms[bad])
        fixed = np.array([shapely.union_all(shapely.get_parts(g)[shapely.get_type_id(shapely.get_parts(g)) >= 3])
                          for g in fixed], dtype=object)
        geoms = geoms.copy()
        geoms[bad] = fixed
        frame = frame.set_geometry(geoms, crs=frame.crs)
        warnings.append(f"{int(bad.sum())} invalid polygons in {layer} were repaired (make_valid)")
    return frame


def village_field(villages, name) -> np.ndarray:
    if name not in villages.columns:
        return np.full(len(villages), np.nan)
    return pd.to_numeric(villages[name], errors="coerce").to_numpy(dtype=np.float64)


def level_regions(zones, hazard_type: Optional[str]) -> np.ndarray:
    """Disjoint regions R_1..R_5 of one hazard type (or of all, for ``any``): R_l = U_{<=l} minus U_{<=l-1}."""
    sel = zones if hazard_type is None else zones[zones["hazard_type"] == hazard_type]
    geoms = np.asarray(sel.geometry.values, dtype=object)
    levels = sel["risk_level"].to_numpy()
    return _disjoint_levels([geoms[levels == level] for level in LEVELS])


def _disjoint_levels(per_level) -> np.ndarray:
    """[geometries of level 1, ..., of level 5] -> disjoint R_1..R_5 (highest level wins where they overlap)."""
    out, prev = [], shapely.Polygon()
    for these in per_level:
        if len(these) == 0:
            out.append(shapely.Polygon())
            continue
        union = shapely.union_all(np.concatenate([np.asarray(these, dtype=object), [prev]]))
        out.append(_polygonal(shapely.difference(union, prev)))
        prev = union
    return np.array(out, dtype=object)


def any_regions(per_type: dict) -> np.ndarray:
    """R_l of ``any``, from the regions of each hazard type (U_<=l of any = union of the types' U_<=l)."""
    per_level = []
    for li in range(len(LEVELS)):
        per_level.append([r[li] for r in per_type.values() if not r[li].is_empty])
    return _disjoint_levels(per_level)


def zone_set(zones, hazard_type: Optional[str]):
    """(geometries, levels) of one hazard type's zones (all zones for ``any``), undissolved."""
    sel = zones if hazard_type is None else zones[zones["hazard_type"] == hazard_type]
    return np.asarray(sel.geometry.values, dtype=object), sel["risk_level"].to_numpy(dtype=np.int64)


def _polygonal(g):
    if g is None or g.is_empty:
        return shapely.Polygon()
    if shapely.get_type_id(g) in (3, 6):
        return g
    parts = shapely.get_parts(g)
    return shapely.union_all(parts[shapely.get_type_id(parts) >= 3]) if len(parts) else shapely.Polygon()


def empty_zones(crs):
    import geopandas as gpd
    return gpd.GeoDataFrame({"hazard_type": pd.Series([], dtype=object), "risk_level": pd.Series([], dtype="int64")},
                            geometry=[], crs=crs)


def zones_outside(villages, zones, warnings):
    if len(zones) == 0:
        return
    tree = shapely.STRtree(np.asarray(villages.geometry.values, dtype=object))
    zi, _ = tree.query(np.asarray(zones.geometry.values, dtype=object), predicate="intersects")
    lost = np.setdiff1d(np.arange(len(zones)), zi)
    if len(lost):
        ids = ", ".join(feature_name(zones, int(i)) for i in lost[:5])
        warnings.append(f"{len(lost)} risk zones lie wholly outside every village ({ids})")
