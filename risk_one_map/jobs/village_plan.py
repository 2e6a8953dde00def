"""The village emergency plan job (村应急预案、应急处置卡): a package in; the 包保 pairs and the clearance times into
the package; one A4 plan PDF and one sheet of role cards per village out.

Writes into ``onemap.gpkg``: ``helpers`` (one row per vulnerable household: its helper, or 缺口; staff edit it in
QGIS and the next run keeps what they typed), ``clearance_villages`` and ``clearance_townships`` (预计转移完成时间).
Beside it, with ``out_dir``: ``<乡镇>/<代码>_<村>_应急预案.pdf`` and ``<乡镇>/<代码>_<村>_应急处置卡.pdf``.
The plan's map is the village sheet's map, drawn by the printing door (``village_map``: code -> PNG path) since
QGIS lives above this floor; without it the plan says where the map is (the village sheet).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

import pandas as pd

from ..analysis import clearance as ac
from ..analysis import helper_pairing as hp
from ..analysis import role_cards as rc
from ..analysis import village_plan as vp
from ..errors import RiskOneMapError
from ..layers import model
from ..layers.package import Package
from ..progress import Steps
from . import names_the_package

MODEL_LAYERS = ("county", "townships", "villages", "persons", "households", "geohazard_points", "flood_lowpoints",
                "shelters", "depots")
EVACUATION_LAYERS = ("evacuees", "shelter_load", "unserved", "evacuation_zones")


@dataclass
class PlanInputs:
    """What a plan, a card sheet or a drill reads, read once."""
    pkg: Package
    layers: dict
    evacuated: dict
    exposure: object
    pairing: hp.PairingResult
    clearance: Optional[ac.ClearanceResult]
    codes: list
    notes: list = field(default_factory=list)

    def plan(self, code: str) -> vp.VillagePlan:
        return vp.build_plan(code, self.layers, pairing=self.pairing, clearance=self.clearance,
                             evacuated=self.evacuated, exposure=self.exposure)

    def village_name(self, code: str) -> str:
        v = self.layers["villages"]
        return str(v.loc[v["code"] == code, "name"].iloc[0])

    def township_name(self, code: str) -> str:
        t = self.layers.get("townships")
        parent = self.layers["villages"].set_index("code").get("parent_code", pd.Series(dtype=object)).get(code)
        hit = t[t["code"] == (parent or code[:9] + "000")] if t is not None else None
        return str(hit["name"].iloc[0]) if hit is not None and len(hit) else "未知乡镇"

    @property
    def footer(self) -> str:
        sample = ""
        src = self.layers.get(model.SOURCES_TABLE)
        if src is not None and len(src) and (src["source"] == model.SAMPLE_SOURCE).any():
            sample = "  " + model.SAMPLE_SOURCE
        return f"编制：{dt.date.today():%Y-%m-%d}  依据本村风险隐患一张图包{sample}"


@dataclass
class PlanResult:
    package: Path
    inputs: PlanInputs
    files: list = field(default_factory=list)
    what: str = "应急预案"

    def summary_lines(self) -> list:
        i = self.inputs
        lines = [f"{self.what}：{len(i.codes)} 个村。"]  # the CLI says 近似村界 first itself; the PDFs say it too
        lines += i.pairing.summary_lines()[:2] + i.pairing.gaps[:5]
        if len(i.pairing.gaps) > 5:
            lines.append(f"……另有 {len(i.pairing.gaps) - 5} 个村有包保缺口（见 helpers 图层）")
        if i.clearance is not None:
            t = i.clearance.townships
            lines += [f"{r.name}：预计 {r.clearance_min:.0f} 分钟完成转移（最后是 {r.deciding_village}）"
                      for r in t.dropna(subset=["clearance_min"]).itertuples()]
            lines.append(i.clearance.settings_line())
        else:
            lines.append("未做转移分析：预计转移完成时间无法计算（先运行 risk-one-map evacuate）。")
        return lines


def _select(villages, codes: Optional[Sequence[str]], township: Optional[str]) -> list:
    all_codes = villages["code"].map(model.text_value).tolist()
    if codes:
        unknown = [c for c in codes if c not in set(all_codes)]
        if unknown:
            raise RiskOneMapError(f"village {unknown[0]} is not in the package", layer="villages",
                                  feature=unknown[0], field="code")
        return list(dict.fromkeys(codes))
    if township:
        parent = villages.get("parent_code", pd.Series([None] * len(villages))).map(model.text_value)
        chosen = [c for c, p in zip(all_codes, parent) if (p or c[:9] + "000") == township]
        if not chosen:
            raise RiskOneMapError(f"township {township} has no village in the package", layer="townships",
                                  feature=township, field="code")
        return chosen
    return sorted(all_codes)


def read_inputs(package_dir, villages=None, township=None, *, capacity=None, prep_min=None, walk_kmh=None,
                walk_kmh_vulnerable=None, target_min=None, repropose: bool = False) -> PlanInputs:
    """Read the package, pair helpers (keeping the ``helpers`` table's pairs unless ``repropose``) and time the
    clearance."""
    from ..layers.check import require_valid
    pkg = Package(package_dir).require()
    require_valid(pkg.path, "atlas")  # the plan reads what the village sheet reads, under the same rules
    layers = {name: pkg.read(name, required=name in ("villages",)) for name in MODEL_LAYERS}
    layers[model.SOURCES_TABLE] = pkg.read(model.SOURCES_TABLE, required=False)
    evacuated = {name: f for name in EVACUATION_LAYERS if (f := pkg.read(name, required=False)) is not None}
    exposure = pkg.read("exposure", required=False)
    codes = _select(layers["villages"], villages, township)
    notes = [model.APPROX_NOTE] if pkg.approximate_villages() else []
    existing = None if repropose else pkg.read("helpers", required=False)
    evacuees = evacuated.get("evacuees")
    must_move = set(evacuees["household_id"].map(model.text_value)) if evacuees is not None else set()
    names = dict(zip(layers["villages"]["code"], layers["villages"]["name"]))
    try:
        pairing = hp.pair_helpers(layers["households"], layers["persons"], existing, capacity,
                                  village_names=names, priority=must_move)
        clearance = None
        if evacuees is not None:
            clearance = ac.clearance_times(evacuees, layers["villages"], layers.get("townships"),
                                           evacuated.get("unserved"), prep_min=prep_min, walk_kmh=walk_kmh,
                                           walk_kmh_vulnerable=walk_kmh_vulnerable, target_min=target_min)
    except ValueError as exc:  # a setting out of range: said in one line
        raise RiskOneMapError(str(exc)) from None
    return PlanInputs(pkg, layers, evacuated, exposure, pairing, clearance, codes, notes)


def write_tables(inputs: PlanInputs) -> None:
    """helpers, clearance_villages, clearance_townships into the package (the whole county's, every run)."""
    pairs = inputs.pairing.pairs.drop(columns=["kept"])
    if pairs.crs is None:  # no households layer: an empty table, in the package's CRS all the same
        pairs = pairs.set_crs(inputs.pkg.crs())
    out = {"helpers": pairs}
    if inputs.clearance is not None:
        out["clearance_villages"] = inputs.clearance.villages.drop(columns=["last_ids"])
        out["clearance_townships"] = inputs.clearance.townships
    inputs.pkg.write_layers(out)


def output_path(out_dir, inputs: PlanInputs, code: str, what: str, sheet_path: Optional[Callable] = None) -> Path:
    """OUT/<乡镇>/<代码>_<村>_<what>.pdf; ``sheet_path(out_dir, township, code, name)`` (the atlas's, which makes
    every part safe for any file system) is passed in by the doors, as this floor cannot import the atlas."""
    town, name = inputs.township_name(code), inputs.village_name(code)
    base = sheet_path(out_dir, town, code, name) if sheet_path else Path(out_dir) / town / f"{code}_{name}.pdf"
    return base.with_name(f"{base.stem}_{what}.pdf")


@names_the_package
def run_plan(package_dir, villages=None, township=None, *, out_dir=None, village_map: Optional[Callable] = None,
             sheet_path: Optional[Callable] = None, capacity=None, prep_min=None, walk_kmh=None, walk_kmh_vulnerable=None, target_min=None,
             repropose: bool = False, progress=None, cancelled=None) -> PlanResult:
    """The plans of ``villages`` (codes; or every village of ``township``; default all): tables into the package,
    with ``out_dir`` one PDF per village."""
    from .plan_pdf import plan_pdf
    steps = Steps(progress, cancelled, weights=[1, 8])
    steps.next()
    inputs = read_inputs(package_dir, villages, township, capacity=capacity, prep_min=prep_min, walk_kmh=walk_kmh,
                         walk_kmh_vulnerable=walk_kmh_vulnerable, target_min=target_min, repropose=repropose)
    write_tables(inputs)
    result = PlanResult(inputs.pkg.path, inputs, [inputs.pkg.gpkg])
    steps.next()
    if out_dir is not None:
        for k, code in enumerate(inputs.codes):
            steps.sub(k / max(1, len(inputs.codes)))
            plan = inputs.plan(code)
            png = village_map(code) if village_map is not None else None
            result.files.append(plan_pdf(plan, png, output_path(out_dir, inputs, code, "应急预案", sheet_path), inputs.footer,
                                         inputs.notes))
    steps.done()
    return result


@names_the_package
def run_cards(package_dir, villages=None, township=None, *, out_dir, sheet_path: Optional[Callable] = None,
              capacity=None, prep_min=None, walk_kmh=None,
              walk_kmh_vulnerable=None, target_min=None, repropose: bool = False, progress=None,
              cancelled=None) -> PlanResult:
    """The role cards of ``villages``: one A4 PDF of A5 cards to cut per village; the tables as ``run_plan``."""
    from .cards_pdf import cards_pdf
    steps = Steps(progress, cancelled, weights=[1, 4])
    steps.next()
    inputs = read_inputs(package_dir, villages, township, capacity=capacity, prep_min=prep_min, walk_kmh=walk_kmh,
                         walk_kmh_vulnerable=walk_kmh_vulnerable, target_min=target_min, repropose=repropose)
    write_tables(inputs)
    result = PlanResult(inputs.pkg.path, inputs, [inputs.pkg.gpkg], what="应急处置卡")
    steps.next()
    target = inputs.clearance.settings["target_min"] if inputs.clearance is not None else None
    for k, code in enumerate(inputs.codes):
        steps.sub(k / max(1, len(inputs.codes)))
        plan = inputs.plan(code)
        cards = rc.village_cards(plan, inputs.layers, inputs.evacuated.get("evacuees"), inputs.pairing, target)
        result.files.append(cards_pdf(cards, plan, output_path(out_dir, inputs, code, "应急处置卡", sheet_path), inputs.footer))
    steps.done()
    return result
