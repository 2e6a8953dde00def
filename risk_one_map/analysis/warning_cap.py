"""A warning as the package understands it: from a CAP 1.2 message, or from codes / a polygon + level + hazard.

PURE: defusedxml, shapely, pyproj. CAP (Common Alerting Protocol 1.2, the format of China's national early-warning
release system) is read with a hardened XML reader: no DTD at all (so no entity expansion and no external
entities), a size limit, and any failure said in one line naming the file.

Where CAP puts things, and how China's releases code them:
* ``info/event`` ("暴雨", "地质灾害气象风险预警") -> hazard types (``model.WARNING_EVENTS``, editable data);
* the colour level 红/橙/黄/蓝 from, in order: a ``parameter`` whose value names a colour or grade, the event or
  headline text ("暴雨橙色预警信号"), the ``eventCode`` values, else CAP ``severity`` (Extreme..Minor -> 红..蓝);
* ``area/polygon`` "lat,lon lat,lon ..." (latitude FIRST, CAP's order), ``area/circle`` "lat,lon radius_km",
  ``area/geocode`` administrative codes of 6 (county), 9 (township) or 12 (village) digits; 12-digit codes ending
  in 000000 or 000 are read as the county or township they pad.
* Several ``info`` blocks (languages): the Chinese one is used, else the first; areas of every block are kept.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import shapely
from shapely.geometry import Point, Polygon

from ..errors import RiskOneMapError
from ..layers import model

MAX_CAP_BYTES = 2_000_000  # a CAP message is a few kB; anything this big is not one
CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CANCEL = "Cancel"
LONLAT_CRS = "EPSG:4490"  # CGCS2000 geographic; the same as WGS 84 to within a metre for this use


@dataclass
class WarningCircle:
    lon: float
    lat: float
    radius_km: float


@dataclass
class Warning:
    """One warning: what, how bad, where, when. Geometry in longitude/latitude (CGCS2000)."""
    source: str  # the file, or "codes"/"area" for a warning given by hand
    event: str = ""
    level: Optional[int] = None  # 1 红 .. 4 蓝
    hazards: tuple = ()  # model hazard keys
    identifier: str = ""
    sender: str = ""
    msg_type: str = "Alert"  # Alert | Update | Cancel
    severity: str = ""
    urgency: str = ""
    headline: str = ""
    description: str = ""
    onset: str = ""
    expires: str = ""
    polygons: list = field(default_factory=list)  # shapely Polygons, lon/lat
    circles: list = field(default_factory=list)  # WarningCircle
    geocodes: list = field(default_factory=list)  # administrative code prefixes (6, 9 or 12 digits)
    areas: list = field(default_factory=list)  # (geometry, crs) drawn or read from a file, in their own CRS
    notes: list = field(default_factory=list)  # what was assumed, said to the user

    @property
    def cancelled(self) -> bool:
        return self.msg_type == CANCEL

    @property
    def level_zh(self) -> str:
        return model.WARNING_LEVEL_ZH.get(self.level, "未定级")

    @property
    def has_area(self) -> bool:
        return bool(self.polygons or self.circles or self.geocodes or self.areas)

    @property
    def key(self) -> str:
        """What the call log files this warning's calls under: the CAP identifier, else event+level+onset."""
        return self.identifier or f"{self.event or '预警'}-{self.level_zh}-{self.onset or 'manual'}"

    def title(self) -> str:
        """"暴雨橙色预警": the event with its colour, said once."""
        event = self.event or "预警"
        if self.level is None:
            return f"{event.removesuffix('预警')}预警（未定级）"
        if self.level_zh in event:
            return event
        return f"{event.removesuffix('预警')}{self.level_zh}预警"

    def area_geometry(self, crs) -> Optional[object]:
        """Polygons and circles as one geometry in ``crs`` (a projected CRS in metres); None if there are none."""
        from pyproj import Transformer
        if not (self.polygons or self.circles or self.areas):
            return None
        tr = Transformer.from_crs(LONLAT_CRS, crs, always_xy=True)
        parts = [shapely.transform(p, lambda xy: _transform(tr, xy)) for p in self.polygons]
        for geom, own_crs in self.areas:
            if own_crs is None:
                parts.append(geom)
            else:
                t = Transformer.from_crs(own_crs, crs, always_xy=True)
                parts.append(shapely.transform(geom, lambda xy, t=t: _transform(t, xy)))
        for c in self.circles:
            x, y = tr.transform(c.lon, c.lat)
            parts.append(Point(x, y).buffer(c.radius_km * 1000.0, 64))
        return shapely.union_all([shapely.make_valid(p) for p in parts])


def _transform(tr, xy):
    import numpy as np
    x, y = tr.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def short_time(text: str) -> str:
    """"2026-07-03T12:00:00+08:00" as "2026-07-03 12:00" (CAP times are local with an offset); "—" if none."""
    return text[:16].replace("T", " ") if text else "—"


# ------------------------------------------------------------------------------------------------ CAP reading
def read_cap(path) -> Warning:
    """A CAP 1.2 file as a Warning; a broken, hostile or empty file raises RiskOneMapError naming the file."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RiskOneMapError(f"cannot read the warning file ({exc.strerror})", file=path) from None
    if size > MAX_CAP_BYTES:
        raise RiskOneMapError(f"not a CAP warning: {size:,} bytes (a CAP message is a few kB, the limit is "
                              f"{MAX_CAP_BYTES:,})", file=path)
    return parse_cap(path.read_bytes(), source=str(path))


def parse_cap(data: bytes, source: str = "CAP") -> Warning:
    try:
        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import ParseError, fromstring
    except ImportError:  # never fall back to an XML reader that expands entities
        from .. import deps
        from ..errors import MissingDependency
        raise MissingDependency(deps.missing_sentence(["defusedxml"]) + " (pip install defusedxml)") from None
    if len(data) > MAX_CAP_BYTES:
        raise RiskOneMapError(f"not a CAP warning: more than {MAX_CAP_BYTES:,} bytes", file=source)
    try:
        # CAP has no DTD: refusing any DTD refuses entity bombs and external entities before they are read.
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise RiskOneMapError(f"refused: the XML declares a DTD or entities, which a CAP warning never has "
                              f"({type(exc).__name__})", file=source) from None
    except (ParseError, ValueError) as exc:
        raise RiskOneMapError(f"not a readable XML warning ({exc})", file=source) from None
    if _local(root.tag) != "alert":
        raise RiskOneMapError(f"not a CAP warning: the root element is <{_local(root.tag)}>, not <alert>",
                              file=source)
    return _from_alert(root, source)


def _local(tag) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _children(el, name) -> list:
    return [c for c in el if _local(c.tag) == name]


def _text(el, name) -> str:
    for c in _children(el, name):
        return (c.text or "").strip()
    return ""


def _from_alert(root, source: str) -> Warning:
    w = Warning(source=source, identifier=_text(root, "identifier"), sender=_text(root, "sender"),
                msg_type=_text(root, "msgType") or "Alert")
    infos = _children(root, "info")
    if not infos:
        if w.cancelled:
            return w
        raise RiskOneMapError("not a usable CAP warning: it has no <info> block", file=source)
    chinese = [i for i in infos if _text(i, "language").lower().startswith("zh")]
    info = (chinese or infos)[0]
    w.event, w.severity, w.urgency = _text(info, "event"), _text(info, "severity"), _text(info, "urgency")
    w.headline, w.description = _text(info, "headline"), _text(info, "description")
    w.onset = _text(info, "onset") or _text(info, "effective") or _text(root, "sent")
    w.expires = _text(info, "expires")
    w.level = _level_of(info, w)
    w.hazards = model.warning_hazards(w.event) or model.warning_hazards(w.headline)
    if not w.hazards:
        w.notes.append(f"预警事件“{w.event}”不在灾种对照表中：只按预警范围确定涉及的村和责任人，不查危险区住户")
    for i in infos:  # every language block: the areas of one alert
        for area in _children(i, "area"):
            _read_area(area, w, source)
    if not w.has_area and not w.cancelled:
        raise RiskOneMapError("the CAP warning has no area (no <polygon>, <circle> or <geocode>)", file=source)
    return w


def _level_of(info, w: Warning) -> Optional[int]:
    params = [(_text(p, "valueName"), _text(p, "value")) for p in _children(info, "parameter")]
    codes = [_text(c, "value") for c in _children(info, "eventCode")]
    for text in [v for _n, v in params] + [w.event, w.headline] + codes:
        level = model.warning_level(text) if text and not text.replace(".", "").isdigit() else None
        if level:
            return level
    for name, value in params:  # a numeric grade given as a parameter named for it ("预警级别" = 2)
        if value.isdigit() and any(k in name for k in ("级", "level", "Level", "颜色", "colour", "color")):
            level = model.warning_level(value)
            if level:
                return level
    level = model.CAP_SEVERITY_LEVEL.get(w.severity.lower())
    if level:
        w.notes.append(f"预警颜色未写明，按 CAP severity“{w.severity}”定为{model.WARNING_LEVEL_ZH[level]}")
    else:
        w.notes.append("预警颜色和 severity 都未写明：按蓝色处理（只告知，不要求转移），请核实预警级别")
    return level


def _read_area(area, w: Warning, source: str) -> None:
    desc = _text(area, "areaDesc") or "area"
    for p in _children(area, "polygon"):
        w.polygons.append(cap_polygon(p.text or "", source, desc))
    for c in _children(area, "circle"):
        w.circles.append(cap_circle(c.text or "", source, desc))
    for g in _children(area, "geocode"):
        code = _text(g, "value")
        if code:
            w.geocodes.append(admin_prefix(code, source))


def _lat_lon(pair: str, source: str, desc: str) -> tuple:
    try:
        lat, lon = (float(v) for v in pair.split(","))
    except ValueError:
        raise RiskOneMapError(f"area “{desc}”: “{pair}” is not a latitude,longitude pair", file=source) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise RiskOneMapError(f"area “{desc}”: “{pair}” is outside latitude -90..90 / longitude -180..180 (CAP writes latitude first)",
                              file=source)
    return lon, lat


def cap_polygon(text: str, source: str = "CAP", desc: str = "area") -> Polygon:
    """CAP's "lat,lon lat,lon ..." (latitude first, ring closed) as a lon/lat polygon."""
    pts = [_lat_lon(p, source, desc) for p in text.split()]
    if len(pts) < 3:
        raise RiskOneMapError(f"area “{desc}”: a polygon needs at least 3 points, got {len(pts)}", file=source)
    poly = Polygon(pts)
    if poly.area == 0:
        raise RiskOneMapError(f"area “{desc}”: the polygon has no area", file=source)
    return shapely.make_valid(poly) if not poly.is_valid else poly


def cap_circle(text: str, source: str = "CAP", desc: str = "area") -> WarningCircle:
    """CAP's "lat,lon radius_km"."""
    parts = text.split()
    try:
        radius = float(parts[1]) if len(parts) == 2 else float("nan")
    except ValueError:
        radius = float("nan")
    if not radius >= 0:
        raise RiskOneMapError(f"area “{desc}”: circle “{text.strip()}” is not “lat,lon radius_km”", file=source)
    lon, lat = _lat_lon(parts[0], source, desc)
    return WarningCircle(lon, lat, radius)


def admin_prefix(code, source: str = "codes") -> str:
    """An administrative code as the prefix its villages' 12-digit codes start with: 6 digits a county, 9 a
    township, 12 a village; 12-digit codes padded with zeros are their county or township."""
    text = str(code).strip()
    if not re.fullmatch(r"\d{6}|\d{9}|\d{12}", text):
        raise RiskOneMapError(f"“{text}” is not an administrative code of 6, 9 or 12 digits", file=source)
    if len(text) == 12 and text.endswith("000000"):
        return text[:6]
    if len(text) == 12 and text.endswith("000"):
        return text[:9]
    return text


# ------------------------------------------------------------------------------------------------ by hand
def manual_warning(*, codes: Sequence[str] = (), polygons: Sequence = (), areas: Sequence = (), level, hazard,
                   event: str = "", source: str = "manual") -> Warning:
    """A warning given as administrative codes, lon/lat polygons and/or (geometry, crs) areas, a level (红/橙/黄/蓝, red.., 1..4) and a
    hazard (a model key or Chinese name, or an event name such as 暴雨)."""
    lv = model.warning_level(level)
    if lv is None:
        raise RiskOneMapError(f"warning level “{level}” is not one of 红/橙/黄/蓝 (red/orange/yellow/blue, 1-4)")
    hazards = ()
    if hazard:
        key = hazard if hazard in model.HAZARD_BY_KEY else None
        hazards = (key,) if key else model.warning_hazards(hazard)
        if not hazards:
            raise RiskOneMapError(f"hazard “{hazard}” is not a hazard type ("
                                  f"{', '.join(model.HAZARD_BY_KEY)}) or a known warning event")
    w = Warning(source=source, event=event or (model.WARNING_EVENT_OF_HAZARD.get(hazards[0], "") if hazards else ""),
                level=lv, hazards=hazards, geocodes=[admin_prefix(c, source) for c in codes],
                polygons=list(polygons), areas=list(areas))
    if not hazards:
        w.notes.append("未指定灾种：只按预警范围确定涉及的村和责任人，不查危险区住户")
    if not w.has_area:
        raise RiskOneMapError("a warning needs an area: village/township codes or a polygon")
    return w
