"""Across sources: the administrative hierarchy (names, parents and census figures from code tables), 12-digit codes
padded, unique keys, village codes of points, approximate village areas and the county from its units.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Optional


from . import fieldmap, model
from .import_fields import ADMIN_LEVEL_WORD, NAMED_FROM_PLACE, finish_row
from .import_geometry import polygonal_part
from .import_report import ImportReport


def post_process(records, report: ImportReport) -> None:
    live = [r for r in records if not r.rejected and r.layer]
    _pad_codes(live, report)
    _fill_admin(live)
    _unique_keys(live)
    _village_codes(live, report)
    _names_from_place(live, report)
    for r in records:
        finish_row(r)


def approximate_villages(layers: dict, report: ImportReport) -> None:
    """Village points and no village boundaries (统计用区划 tables with points are common; boundaries are not):
    each village gets the area nearer its point than any other of its township's (Voronoi cells inside the
    township, or inside the county when townships are only points too), marked 近似村界. Townships with no
    boundary become the union of their villages' cells (近似乡镇界)."""
    if "villages" in layers or "village_points" not in layers or not len(layers["village_points"]):
        return
    import geopandas as gpd
    import pandas as pd
    import shapely
    pts = layers["village_points"]
    pts = pts[~pts.geometry.is_empty & pts.geometry.notna()]
    pts = pts[~pts.geometry.duplicated()]  # two villages on one spot cannot be told apart
    towns = layers.get("townships")
    county = layers.get("county")
    if towns is not None and len(towns):
        regions = [(code, g) for code, g in zip(towns["code"].astype(str), towns.geometry)]
    elif county is not None and len(county):
        regions = [(None, shapely.union_all(county.geometry.to_numpy()))]
    else:
        return
    cells = pd.Series([None] * len(pts), index=pts.index, dtype=object)
    for code, region in regions:
        mine = pts if code is None else pts[pts["parent_code"].astype(str) == code]
        if not len(mine):
            continue
        if len(mine) == 1:
            cells[mine.index[0]] = region
            continue
        parts = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(list(mine.geometry)),
                                                           extend_to=region))
        tree = shapely.STRtree(parts)
        for idx, point in zip(mine.index, mine.geometry):
            hit = tree.query(point, predicate="intersects")
            if len(hit):
                cells[idx] = polygonal_part(shapely.intersection(parts[int(hit[0])], region))
    keep = cells.notna()
    fields = [f.name for f in model.LAYER_BY_NAME["villages"].fields if f.name in pts.columns]
    villages = gpd.GeoDataFrame(pts.loc[keep, fields].assign(boundary=model.APPROX_VILLAGES),
                                geometry=list(cells[keep]), crs=pts.crs).reset_index(drop=True)
    layers["villages"] = villages
    report.notes.append(f"no village boundaries: {len(villages)} {model.APPROX_VILLAGES} made from the village points "
                        f"(each the area nearer its point than any other in its "
                        f"{'township' if towns is not None else 'county'}); every output says so")
    if towns is None or not len(towns):
        names = {}
        for name in ("admin_units", "township_points"):
            if name in layers and len(layers[name]):
                names.update(zip(layers[name]["code"].astype(str), layers[name]["name"].astype(str)))
        parent = villages["parent_code"].astype(str)
        merged = villages.assign(_p=parent).dissolve("_p")
        layers["townships"] = gpd.GeoDataFrame(
            {"code": merged.index, "name": [names.get(c, c) for c in merged.index],
             "parent_code": [c[:6] + "000000" for c in merged.index], "boundary": model.APPROX_TOWNSHIPS},
            geometry=list(merged.geometry), crs=villages.crs).reset_index(drop=True)
        report.notes.append(f"no township boundaries: {len(merged)} {model.APPROX_TOWNSHIPS} made from their villages' "
                            "approximate areas")


COUNTY_NAME_COLUMNS = ("PNAME", "county_name", "COUNTYNAME", "县名称", "区县名称", "所属县")


def county_from_units(layers: dict, report: ImportReport) -> None:
    """No county boundary: the union of the townships (else the villages), coded by their shared 6 digits and named
    by a column they all agree on, with a report line."""
    if "county" in layers:
        return
    units = next((layers[n] for n in ("townships", "villages") if n in layers and len(layers[n])), None)
    if units is None:
        return
    import geopandas as gpd
    import shapely
    codes = units["code"].astype(str)
    prefix = codes.str[:6].mode().iloc[0] if len(codes) else ""
    names = [units[c].dropna().astype(str).unique() for c in COUNTY_NAME_COLUMNS if c in units.columns]
    source = "townships" if units is layers.get("townships") else "villages"
    name = next((n[0] for n in names if len(n) == 1), None) or \
        f"县界（由{'乡镇' if source == 'townships' else '村'}合成）"
    geom = shapely.union_all(shapely.make_valid(units.geometry.to_numpy()))
    layers["county"] = gpd.GeoDataFrame({"code": [prefix + "000000"], "name": [name], "parent_code": [None]},
                                        geometry=[polygonal_part(geom) or geom], crs=units.crs)
    report.notes.append(f"no county boundary among the inputs: county {name} ({prefix}000000) made from the "
                        f"{len(units)} {source} (their union)")


def _township_codes12(codes) -> dict:
    """{short township code: 12 digits}: the digits all share are the county (6 digits), what differs (less the
    zeros every code ends with) the township (3): 6300100..6301200 -> 630000 001..012 000. {} if they do not fit."""
    import os
    codes = sorted(set(c for c in codes if c.isdigit() and len(c) < 12))
    if not codes:
        return {}
    prefix = os.path.commonprefix(codes) if len(codes) > 1 else codes[0][:-3]
    tails = [c[len(prefix):] for c in codes]
    zeros = min(len(t) - len(t.rstrip("0")) for t in tails)
    zeros = min(zeros, min(len(t) for t in tails) - 1)
    tails = [t[:len(t) - zeros] if zeros > 0 else t for t in tails]
    if len(prefix) > 6 or max(len(t) for t in tails) > 3 or len(set(tails)) < len(codes):
        return {}
    return {c: prefix.ljust(6, "0") + t.rjust(3, "0") + "000" for c, t in zip(codes, tails)}


def _village_code12(code: str, parent12: Optional[str], parent_raw: Optional[str]) -> Optional[str]:
    """A village's short code under its township's new code: what it adds to the township's own digits."""
    if not code.isdigit() or not parent12 or not parent_raw or not code.startswith(parent_raw):
        return None
    own = code[len(parent_raw):]
    return parent12[:9] + own.rjust(3, "0") if 0 < len(own) <= 3 else None


def _pad_codes(records, report: ImportReport) -> None:
    """Codes that are not 12 digits (7-digit towns, 10-digit villages) padded so the hierarchy still reads, each
    with its original kept in ``source_code`` and a report line."""
    admin = [r for r in records if fieldmap.POINT_BASE.get(r.layer, r.layer) in fieldmap.ADMIN_LAYERS]
    short = [r for r in admin if r.values.get("code") and not (len(r.values["code"]) == 12
                                                                and r.values["code"].isdigit())]
    if not short:
        return
    level = lambda r: fieldmap.POINT_BASE.get(r.layer, r.layer)  # noqa: E731
    new = _township_codes12(r.values["code"] for r in short if level(r) == "townships")
    for r in short:
        raw = r.values["code"]
        padded = new.get(raw) if level(r) == "townships" else \
            _village_code12(raw, new.get(r.values.get("parent_code")), r.values.get("parent_code")) \
            if level(r) == "villages" else None
        if padded is None:
            continue
        new[raw] = padded
        r.values["code"] = padded
        r.extras["source_code"] = raw
        r.notes.append(f"code {raw} is not 12 digits: padded to {padded} (original in source_code)")
    for r in admin:  # parents follow their township's new code
        if r.values.get("parent_code") in new:
            r.values["parent_code"] = new[r.values["parent_code"]]
    for r in records:
        if r.values.get("village_code") in new:
            r.values["village_code"] = new[r.values["village_code"]]
    if new:
        example = next(iter(new.items()))
        report.notes.append(f"{len(new)} codes were not 12-digit 统计用区划代码 and were padded keeping their "
                            f"digits (e.g. {example[0]} -> {example[1]}); the originals are in source_code")


def _names_from_place(records, report: ImportReport) -> None:
    """Features with no name get '<村> 内涝点 3': the village they are in (or the nearest village point)."""
    import shapely
    nameless = [r for r in records if r.layer in NAMED_FROM_PLACE and not r.values.get("name")]
    if not nameless:
        return
    places = [r for r in records if fieldmap.POINT_BASE.get(r.layer, r.layer) == "villages" and r.values.get("name")]
    by_code = {r.values.get("code"): r.values["name"] for r in places}
    located = [r for r in places if r.geom is not None]
    tree = shapely.STRtree([r.geom for r in located]) if located else None
    counter: dict = {}
    for r in nameless:  # in file order
        place = by_code.get(r.values.get("village_code"))
        if place is None and tree is not None and r.geom is not None:
            place = located[int(tree.nearest(r.geom))].values["name"]
        place = place or Path(r.row["source_file"]).stem
        key = (r.layer, place)
        counter[key] = counter.get(key, 0) + 1
        r.values["name"] = f"{place} {NAMED_FROM_PLACE[r.layer]} {counter[key]}"
        r.notes.append(f"name: none in the input; named {r.values['name']!r} from its place")
    report.notes.append(f"{len(nameless)} features had no name and were named from their place "
                        f"(e.g. {nameless[0].values['name']!r})")


def _fill_admin(records) -> None:
    admin = [r for r in records if fieldmap.POINT_BASE.get(r.layer, r.layer) in fieldmap.ADMIN_LAYERS
             or r.layer == fieldmap.ADMIN_UNITS]
    known = {}
    for r in admin:  # table rows and points first: they carry names and census figures
        if r.layer not in fieldmap.ADMIN_LAYERS and r.values.get("code"):
            known.setdefault(r.values["code"], r)
    for r in admin:
        code = r.values.get("code")
        other = known.get(code)
        if other is not None and other is not r:
            filled = [k for k, v in other.values.items() if k != "level" and v not in (None, "")
                      and r.values.get(k) in (None, "")]
            for k in filled:
                r.values[k] = other.values[k]
            if filled:
                r.notes.append(f"{', '.join(filled)} from {Path(other.row['source_file']).name} "
                               f"feature {other.row['source_fid']}")
            if r.layer in fieldmap.ADMIN_LAYERS:
                other.notes.append(f"joined to {r.layer} polygon {code}")
        if code and not r.values.get("parent_code"):
            base = fieldmap.POINT_BASE.get(r.layer, r.layer)
            if r.layer == fieldmap.ADMIN_UNITS:
                base = {v: k for k, v in ADMIN_LEVEL_WORD.items()}.get(r.values.get("level"), "")
            parent = fieldmap.parent_code_of(code, base)
            if parent:
                r.values["parent_code"] = parent
                r.notes.append(f"parent_code {parent} derived from the 12-digit code")
        if code and r.layer != fieldmap.ADMIN_UNITS and not (len(code) == 12 and code.isdigit()):
            r.notes.append(f"code {code!r} is not a 12-digit 统计用区划代码")


def _unique_keys(records) -> None:
    by_layer = defaultdict(list)
    for r in records:
        by_layer[r.layer].append(r)
    for layer, recs in by_layer.items():
        key = "code" if fieldmap.POINT_BASE.get(layer, layer) in fieldmap.ADMIN_LAYERS \
            or layer == fieldmap.ADMIN_UNITS else "id"
        spec = model.LAYER_BY_NAME.get(layer)
        if key == "id" and (spec is None or "id" not in spec.field_names or not spec.field("id").unique):
            continue
        first, seen = {}, set(r.values.get(key) for r in recs)
        for r in recs:
            value = r.values.get(key)
            if value in (None, ""):
                continue
            if value not in first:
                first[value] = r
                continue
            origin = first[value]
            where = f"{Path(origin.row['source_file']).name} feature {origin.row['source_fid']}"
            if key == "code" and layer in fieldmap.ADMIN_LAYERS and origin.geom is not None and r.geom is not None:
                import shapely
                origin.geom = polygonal_part(shapely.union_all([origin.geom, r.geom])) or origin.geom
                origin.notes.append(f"merged with the part in {Path(r.row['source_file']).name} feature "
                                    f"{r.row['source_fid']}")
                r.reject(f"code {value}: same code as {where}; merged into it (one unit, several parts)")
            elif key == "code":
                r.reject(f"code {value}: duplicate of {where}")
            else:
                k, new = 2, f"{value}-2"
                while new in seen:
                    k, new = k + 1, f"{value}-{k + 1}"
                seen.add(new)
                r.values["id"] = new
                r.problems.append(f"id {value} is used twice (also {where}); renamed {new}")


def _village_codes(records, report: ImportReport) -> None:
    """Points without village_code get the code of the village polygon they stand in."""
    import shapely
    villages = [r for r in records if r.layer == "villages" and r.geom is not None and r.values.get("code")]
    if not villages:
        return
    tree = shapely.STRtree([v.geom for v in villages])
    filled = 0
    for r in records:
        spec = model.LAYER_BY_NAME.get(r.layer)
        if spec is None or "village_code" not in spec.field_names or r.values.get("village_code") or r.geom is None:
            continue
        pt = r.geom if r.geom.geom_type == "Point" else r.geom.representative_point()
        hits = tree.query(pt, predicate="within")
        if len(hits):
            r.values["village_code"] = villages[int(hits[0])].values["code"]
            r.notes.append("village_code from the village polygon it lies in")
            filled += 1
    if filled:
        report.notes.append(f"village_code filled for {filled} features from the village polygons they lie in")
