"""What the evacuation modules share: the outcome words, the rings, defaults read from the model, issue rows."""
from __future__ import annotations

import math
from typing import Optional

import shapely

from ..layers import model


NO_ROUTE = "no route"
NO_CAPACITY = "no capacity"
RINGS = (1.0, 1.5, 2.0)
FLOOD_MIN_DEPTH_M = float(model.default_value("flood_min_depth_m"))  # GB 51222-2017: a lane ponded > 15 cm
EMERGENCY_WALK_MIN = float(model.default_value("walk_min_emergency"))  # GB 50413-2007: 500 m, about 10 min
FIXED_CLASSES = ("short_term", "long_term")
_FALSE = {"", "0", "no", "n", "false", "none", "否", "无", "nan"}


def _default(key):
    return float(model.default_value(key))


def _issue(severity, layer, feature, fld, message) -> dict:
    return {"severity": severity, "layer": layer, "feature": None if feature is None else str(feature),
            "field": fld, "message": message}


_text = model.text_value  # a field value as stripped text, None when missing or blank


def _num(v) -> Optional[float]:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _valid_geom(g) -> bool:
    return g is not None and isinstance(g, shapely.Geometry) and not g.is_empty


def _crs(*frames):
    for f in frames:
        if f is not None and getattr(f, "crs", None) is not None:
            return f.crs
    return None
