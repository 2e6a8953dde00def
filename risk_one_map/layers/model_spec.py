"""The shapes of the one-map data model: what a field, a layer and a hazard type are, and the census's six hazard
types. Its own module so that model.py and model_outputs.py (the analyses' layers) both build on it without importing
each other. Pure Python."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class HazardType:
    key: str
    zh: str
    en: str
    synonyms: tuple = ()


# The six classes of the national natural-hazard census (自然灾害综合风险普查).
HAZARD_TYPES = (
    HazardType("earthquake", "地震", "Earthquake", ("地震灾害", "地震风险")),
    HazardType("geologic", "地质", "Geologic hazard", ("地质灾害", "地灾", "滑坡", "崩塌", "泥石流")),
    HazardType("meteorological", "气象", "Meteorological", ("气象灾害", "暴雨", "台风", "干旱气象", "冰雹", "大风")),
    HazardType("flood", "水旱", "Flood / drought", ("水旱灾害", "洪水", "洪涝", "山洪", "内涝", "干旱", "flood_drought")),
    HazardType("marine", "海洋", "Marine", ("海洋灾害", "风暴潮", "海浪", "海啸")),
    HazardType("forest_fire", "森林草原火灾", "Forest / grassland fire", ("森林火灾", "草原火灾", "森林草原火险", "火灾", "fire")),
)
HAZARD_BY_KEY = {h.key: h for h in HAZARD_TYPES}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # "str", "int", "float"
    zh: str
    required: bool = False
    choices: tuple = ()  # allowed values (model keys), empty = any
    min: Optional[float] = None
    max: Optional[float] = None
    unique: bool = False


@dataclass(frozen=True)
class LayerSpec:
    name: str
    geometry: tuple  # accepted geometry families: "Point", "LineString", "Polygon"; () = attribute table
    zh: str
    group: str
    fields: tuple = field(default_factory=tuple)
    required: bool = False

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def field_names(self) -> list:
        return [f.name for f in self.fields]

    @property
    def aliases(self) -> dict:
        return {f.name: f.zh for f in self.fields}


F = FieldSpec
