"""The village sheet's map draws the ledger's open sites only (as its 隐患清单 lists them)."""
from __future__ import annotations

import pandas as pd

from risk_one_map.atlas.layout_layers import OPEN_SITES, helper_layers
from risk_one_map.layers import model
from risk_one_map.layers.package import Package, write_package
from tests.pure.test_ledger import ledger_layers


def test_closed_and_fixed_sites_are_off_the_sheet_map(tmp_path):
    layers = ledger_layers()
    layers["hazard_treatment"] = pd.concat([layers["hazard_treatment"], pd.DataFrame(
        {"site_layer": ["hazard_sites"], "site_id": ["YH003"], "status": ["closed"]})], ignore_index=True)
    pkg = write_package(tmp_path / "pkg", layers)
    helper = helper_layers(Package(pkg.path).gpkg, "Noto Sans CJK SC")[OPEN_SITES]
    assert helper.isValid() and sorted(f["id"] for f in helper.getFeatures()) == ["YH001", "YH002"]
    assert helper.renderer().categories()[0].label() == model.LEDGER_CATEGORIES[0].zh
