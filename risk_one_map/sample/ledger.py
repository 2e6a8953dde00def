"""The sample county's hazard ledger (隐患排查治理台账): sites of the plan's kinds beside the houses, and a
treatment record with its history for them and for some geohazard points and low points.

A village has one or two places to watch (a small shop, a farm stay, a self-built house let to lodgers, a
building site ...), put on one of its households; the first towns' streets get the nine small venues. Statuses
run through the workflow by a fixed date (SAMPLE_DAY), some deadlines already past it, so the workbook has
overdue rows. Names of the responsible people are made up here; the 叫应 roster is left as it is.
"""
from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd

from ..layers import model
from . import names

SAMPLE_DAY = dt.date(2026, 5, 1)  # the ledger's "today" when it was made; deadlines fall either side of it
_VILLAGE_KINDS = ("farm_stay", "self_built_house", "construction_site", "small_shop", "small_reservoir",
                  "river_embankment", "gas", "small_workshop")
_TOWN_KINDS = ("small_restaurant", "small_hotel", "small_internet_cafe", "small_entertainment", "small_beauty_bath",
               "small_school", "small_hospital", "underground_space")
_PLACE = {"farm_stay": "农家院", "self_built_house": "出租自建房", "construction_site": "在建厂房工地",
          "small_shop": "小卖部", "small_reservoir": "山塘", "river_embankment": "河堤段", "gas": "液化气供应点",
          "small_workshop": "加工厂", "small_restaurant": "小饭馆", "small_hotel": "家庭旅馆",
          "small_internet_cafe": "网吧", "small_entertainment": "歌厅", "small_beauty_bath": "洗浴店",
          "small_school": "幼儿园", "small_hospital": "诊所", "underground_space": "地下车库"}
_UNITS = {"education": "县教育局", "health": "县卫生健康局", "commerce": "县商务局", "market": "县市场监管局",
          "culture_tourism": "县文化和旅游局", "public_security": "县公安局", "housing": "县住房和城乡建设局",
          "water": "县水务局", "natural_resources": "县规划和自然资源分局", "emergency": "县应急管理局",
          "forestry": "县园林绿化局", "agriculture": "县农业农村局", "civil_defence": "县人防办"}
_STATUS_ORDER = tuple(model.LEDGER_STATUSES)


def make_ledger(villages: gpd.GeoDataFrame, households: gpd.GeoDataFrame, linked: dict,
                rng: np.random.Generator) -> dict:
    """{hazard_sites, hazard_treatment, hazard_history} for the sample county."""
    rows = []
    county6 = str(villages["code"].iloc[0])[:6]
    for code, vname in zip(villages["code"], villages["name"]):
        homes = households[households["village_code"] == code]
        if not len(homes):
            continue
        kinds = _TOWN_KINDS if vname.endswith("社区") else _VILLAGE_KINDS
        for kind in rng.choice(kinds, size=1 + int(rng.random() < 0.4), replace=False):
            home = homes.geometry.iloc[int(rng.integers(len(homes)))]
            rows.append({"id": f"YH-{county6}-{len(rows) + 1:03d}", "name": f"{vname}{_PLACE[kind]}",
                         "category": str(kind), "village_code": code, "address": f"{vname}{rng.integers(1, 60)}号",
                         "photo": None, "source": "office", "geometry": home})
    cols = model.layer_spec("hazard_sites").field_names + ["geometry"]
    sites = gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=villages.crs)
    entries = [("hazard_sites", r["id"], r["category"]) for r in rows]
    for layer, frame in linked.items():  # a share of the geohazard points and low points are being treated
        for sid in frame["id"]:
            if rng.random() < 0.5:
                entries.append((layer, sid, model.LEDGER_LINKED_LAYERS[layer]))
    treatment, history = [], []
    for layer, sid, category in entries:
        t, h = _treatment(layer, sid, model.LEDGER_CATEGORY_BY_KEY[category], rng)
        treatment.append(t)
        history += h
    return {"hazard_sites": sites,
            "hazard_treatment": pd.DataFrame(treatment, columns=model.layer_spec("hazard_treatment").field_names),
            "hazard_history": pd.DataFrame(history, columns=model.layer_spec("hazard_history").field_names)}


def _treatment(layer: str, sid: str, category, rng) -> tuple:
    found = SAMPLE_DAY - dt.timedelta(days=int(rng.integers(20, 200)))
    steps = int(rng.choice(len(_STATUS_ORDER), p=(0.15, 0.25, 0.3, 0.2, 0.1)))
    history, day = [], found
    for old, new in zip(_STATUS_ORDER[:steps], _STATUS_ORDER[1:steps + 1]):
        day += dt.timedelta(days=int(rng.integers(2, 30)))
        history.append({"site_layer": layer, "site_id": sid, "changed_at": f"{day.isoformat()} 09:00",
                        "old_status": old, "new_status": new, "changed_by": names.person_name(rng),
                        "source": "office", "record_id": None, "note": None})
    measure = "monitoring" if layer == "geohazard_points" else str(rng.choice(
        ["engineering", "reinforcement", "relocation", "other"], p=(0.4, 0.35, 0.1, 0.15)))
    deadline = found + dt.timedelta(days=int(rng.integers(60, 260)))
    status = _STATUS_ORDER[steps]
    return ({"site_layer": layer, "site_id": sid, "sector": category.sector, "found_date": found.isoformat(),
             "finder": names.person_name(rng), "risk_grade": "major" if rng.random() < 0.2 else "general",
             "measure": measure, "resp_unit": _UNITS[category.sector], "resp_name": names.person_name(rng),
             "resp_phone": None, "deadline": deadline.isoformat(), "status": status,
             "status_date": day.isoformat(), "note": None}, history)
