"""The CRS of an input, and the one projected CRS of the package.

Rules (DOMAIN.md "Coordinates and files"):
- a declared CRS (.prj, GeoPackage, GeoJSON) is used, after checking that the coordinates fit it;
- ``--crs`` gives the CRS of inputs that declare none;
- with no CRS, an 8-digit easting carries the Gauss-Krüger zone in its first two digits (3° zones 25..45,
  6° zones 13..23): the CRS is then CGCS2000 GK with zone prefix, and the report says so;
- a table whose columns are named longitude/latitude (经度/纬度) is read as CGCS2000 degrees (EPSG:4490), the
  datum the census prescribes, and the report says so;
- anything else without a CRS (degrees in a shapefile with no .prj, metres with no zone) is an error, not a guess.
The package CRS is CGCS2000 3° Gauss-Krüger without zone prefix at the data's centre longitude
(``model.default_projected_epsg``), or the inputs' own projected CGCS2000 CRS when they all share one.

Pure: pyproj and numpy.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import RiskOneMapError
from . import model

CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)
GCJ_NOTE = ("coordinates copied from a web map (AMap, Tencent, Baidu: GCJ-02/BD-09) are 300-700 m off CGCS2000; "
            "convert them before import")


@dataclass(frozen=True)
class CrsChoice:
    crs: object  # pyproj.CRS
    rule: str    # declared, forced, zone_prefix, lonlat_columns, declared_fixed
    note: str

    def describe(self) -> str:
        return f"{describe_crs(self.crs)} ({self.note})"


def _pyproj():
    import pyproj
    return pyproj


def parse_crs(text, what: str = "--crs"):
    try:
        return _pyproj().CRS.from_user_input(text)
    except Exception as exc:  # pyproj.exceptions.CRSError
        raise RiskOneMapError(f"not a CRS: {text!r} ({exc}); write e.g. EPSG:4490 or EPSG:4549", field=what) from None


def epsg_of(crs) -> Optional[int]:
    try:
        return crs.to_epsg(min_confidence=70)
    except Exception:
        return None


def describe_crs(crs) -> str:
    code = epsg_of(crs)
    return f"EPSG:{code} {crs.name}" if code else crs.name


def is_cgcs2000(crs) -> bool:
    datum = getattr(crs, "datum", None)
    name = (datum.name if datum is not None else crs.name).lower().replace(" ", "_")
    return "2000" in name and ("china" in name or "cgcs" in name)


def gk_zone_from_easting(easting: float):
    """(zone width, zone, EPSG with prefix) from an 8-digit easting, or None."""
    if not 1.0e7 <= easting < 1.0e8:
        return None
    zone = int(easting // 1.0e6)
    rest = easting - zone * 1.0e6
    if not 1.0e5 <= rest <= 9.0e5:  # half a zone is at most ~340 km (6°) from the 500 km false easting
        return None
    if 25 <= zone <= 45:
        return 3, zone, 4513 + zone - 25
    if 13 <= zone <= 23:
        return 6, zone, 4491 + zone - 13
    return None


def _finite(xs, ys):
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    ok = np.isfinite(xs) & np.isfinite(ys)
    return xs[ok], ys[ok]


def looks_like_degrees(xs, ys) -> bool:
    xs, ys = _finite(xs, ys)
    return xs.size > 0 and bool(np.all(np.abs(xs) <= 180) and np.all(np.abs(ys) <= 90))


def looks_like_china_degrees(xs, ys) -> bool:
    xs, ys = _finite(xs, ys)
    return xs.size > 0 and bool(np.all((xs >= CHINA_LON[0]) & (xs <= CHINA_LON[1]))
                                and np.all((ys >= CHINA_LAT[0]) & (ys <= CHINA_LAT[1])))


def _zone_of_all(xs, ys):
    xs, ys = _finite(xs, ys)
    if xs.size == 0 or not np.all((ys > 2.0e5) & (ys < 6.5e6)):
        return None
    zones = {gk_zone_from_easting(x) for x in xs}
    return zones.pop() if len(zones) == 1 and None not in zones else None


def detect_crs(declared, xs, ys, *, file, layer=None, forced=None, lonlat_columns: bool = False) -> CrsChoice:
    """The CRS of one input from what it declares and what its coordinates look like.

    ``xs, ys``: sample coordinates in the file's own units; ``forced``: the user's --crs for inputs without one;
    ``lonlat_columns``: a table whose coordinate columns are named longitude/latitude (经度/纬度).
    """
    xs, ys = _finite(xs, ys)
    if declared is not None:
        crs = declared if not isinstance(declared, str) else parse_crs(declared, "CRS")
        choice = _check_declared(crs, xs, ys, file, layer)
        if forced and choice.rule == "declared":
            return CrsChoice(crs, "declared", "declared in the file; --crs is only for inputs without a CRS")
        return choice
    if forced:
        crs = parse_crs(forced) if isinstance(forced, str) else forced
        choice = _check_declared(crs, xs, ys, file, layer, what="--crs")
        return choice if choice.rule != "declared" else CrsChoice(crs, "forced", "no CRS in the file; --crs given")
    if xs.size == 0:
        return CrsChoice(model_crs(model.CGCS2000_GEOGRAPHIC), "none", "no coordinates to place")
    zone = _zone_of_all(xs, ys)
    if zone is not None:
        width, number, epsg = zone
        return CrsChoice(_pyproj().CRS.from_epsg(epsg), "zone_prefix",
                         f"no CRS in the file; the 8-digit eastings start with {number}: CGCS2000 {width}-degree "
                         f"Gauss-Kruger zone {number} with zone prefix")
    if looks_like_degrees(xs, ys):
        if lonlat_columns:
            return CrsChoice(model_crs(model.CGCS2000_GEOGRAPHIC), "lonlat_columns",
                             "a table has no CRS; longitude/latitude columns read as CGCS2000 degrees (EPSG:4490), "
                             "the census datum; WGS84 differs by under 1 m")
        raise RiskOneMapError(
            "no CRS (no .prj) and the coordinates are degrees: CGCS2000, WGS84 and web-map GCJ-02 can't be told "
            "apart; give --crs EPSG:4490 (CGCS2000) or --crs EPSG:4326 (WGS84), or add the .prj",
            file=file, layer=layer)
    raise RiskOneMapError(
        "no CRS (no .prj) and the coordinates are metres without a zone prefix, so the Gauss-Kruger zone can't be "
        "told; give --crs, e.g. --crs EPSG:4548 for CGCS2000 3-degree zone CM 117E (EPSG 4534 + zone - 25)",
        file=file, layer=layer)


def model_crs(epsg: int):
    return _pyproj().CRS.from_epsg(epsg)


def _check_declared(crs, xs, ys, file, layer, what: str = "the declared CRS") -> CrsChoice:
    if xs.size == 0:
        return CrsChoice(crs, "declared", "declared in the file")
    if crs.is_geographic:
        if not looks_like_degrees(xs, ys):
            zone = _zone_of_all(xs, ys)
            hint = f"; they look like Gauss-Kruger with zone prefix: try EPSG:{zone[2]}" if zone else ""
            raise RiskOneMapError(f"{what} is {describe_crs(crs)} (degrees) but the coordinates are metres{hint}",
                                  file=file, layer=layer)
        return CrsChoice(crs, "declared", "declared in the file")
    if looks_like_degrees(xs, ys) and float(np.max(np.abs(xs))) < 181 and float(np.max(np.abs(ys))) < 91:
        raise RiskOneMapError(f"{what} is {describe_crs(crs)} (metres) but the coordinates are degrees; "
                              f"fix the .prj or give the right CRS", file=file, layer=layer)
    zone = _zone_of_all(xs, ys)
    if zone is not None and is_cgcs2000(crs):
        width, number, epsg = zone
        fixed = _pyproj().CRS.from_epsg(epsg)
        if epsg_of(crs) == epsg:
            return CrsChoice(crs, "declared", "declared in the file")
        cm_declared = _central_meridian(crs)
        cm_zone = number * 3.0 if width == 3 else number * 6.0 - 3.0
        if cm_declared is not None and abs(cm_declared - cm_zone) < 1e-6 and _false_easting(crs) < 1.0e6:
            return CrsChoice(fixed, "declared_fixed",
                             f"the file declares {describe_crs(crs)} but the eastings carry zone prefix {number}: "
                             f"read as EPSG:{epsg}")
        raise RiskOneMapError(f"{what} is {describe_crs(crs)} but the eastings carry Gauss-Kruger zone prefix "
                              f"{number} (EPSG:{epsg}); fix the .prj", file=file, layer=layer)
    _within_area_of_use(crs, xs, ys, file, layer, what)
    return CrsChoice(crs, "declared", "declared in the file")


def _within_area_of_use(crs, xs, ys, file, layer, what) -> None:
    """The middle of the coordinates must lie (1° around) where the CRS is used: a .prj naming the wrong zone
    (EPSG:4526, false easting 38 500 000, for eastings of 409 266) puts every feature outside it."""
    area = crs.area_of_use
    if area is None:
        return
    x, y = float(np.median(xs)), float(np.median(ys))
    lon, lat = _pyproj().Transformer.from_crs(crs, 4326, always_xy=True).transform(x, y)
    if np.isfinite(lon) and np.isfinite(lat) and area.west - 1 <= lon <= area.east + 1:  # longitude: the zone
        return
    raise RiskOneMapError(f"{what} is {describe_crs(crs)}, used for longitudes {area.west:g}..{area.east:g}°, but "
                          f"the coordinates (around {x:.0f}, {y:.0f}) lie outside it: the .prj names the wrong zone "
                          "or CRS; fix the .prj", file=file, layer=layer)


def _projection_param(crs, names):
    try:
        for p in crs.coordinate_operation.params:
            if p.name.lower() in names:
                return float(p.value)
    except Exception:
        return None
    return None


def _central_meridian(crs):
    return _projection_param(crs, ("longitude of natural origin", "central_meridian", "longitude of origin"))


def _false_easting(crs) -> float:
    return _projection_param(crs, ("false easting", "false_easting")) or 0.0


def target_crs(choices, centre_lon: Optional[float]):
    """The package CRS: the inputs' shared projected CGCS2000 CRS, else 3° GK (no prefix) at ``centre_lon``."""
    projected = {epsg_of(c.crs) for c in choices if c.crs is not None and c.crs.is_projected}
    if len(projected) == 1 and None not in projected:
        code = projected.pop()
        crs = model_crs(code)
        if is_cgcs2000(crs):
            return crs, f"EPSG:{code} {crs.name}: the projected CGCS2000 CRS of the inputs"
    if centre_lon is None:
        return None, "none (no input has coordinates)"
    try:
        code = model.default_projected_epsg(centre_lon)
    except ValueError as exc:
        raise RiskOneMapError(f"the data's centre longitude {centre_lon:.3f} is outside China's Gauss-Kruger zones "
                              f"({exc})") from None
    crs = model_crs(code)
    return crs, (f"EPSG:{code} {crs.name}: CGCS2000 3-degree Gauss-Kruger at the data's centre longitude "
                 f"{centre_lon:.2f}E")
