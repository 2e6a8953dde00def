"""Every riskonemap algorithm runs through processing.run on a private copy of the sample county and gives the
same numbers as the jobs the CLI calls; analysis outputs are offered for loading with a styling post-processor."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest
from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject, QgsVectorLayer

import risk_one_map

EXPECTED = {"checkpackage", "sampledata", "importdata", "exposure", "evacuation", "isochrones", "sitedepots",
            "villageatlas", "depotmap", "lowpoints", "ledger", "ledgerimport",
            "patrolexport", "patrolmerge"}


pytestmark = pytest.mark.usefixtures("provider")  # tests/qgis/conftest.py: the plugin's provider, registered


@pytest.fixture
def county(sample_package, tmp_path):
    return shutil.copytree(sample_package.path, tmp_path / "county")


def _run(alg_id, params):
    import processing
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    result = processing.run(alg_id, params, context=context, feedback=QgsProcessingFeedback())
    return result, context


def test_every_job_has_an_algorithm_with_a_stable_lowercase_id(provider):
    names = {a.name() for a in provider.algorithms()}
    assert EXPECTED <= names and all(n == n.lower() and n.isidentifier() for n in names)


def test_exposure_algorithm_equals_the_job_and_loads_a_styled_layer(county, tmp_path):
    from risk_one_map.jobs.exposure import run
    result, context = _run("riskonemap:exposure", {"PACKAGE": str(county), "MODE": 0, "SOURCE": 0,
                                                   "CHARTS": False})
    alg_rows = pd.read_csv(result["OUTPUT_CSV"])
    cli_pkg = shutil.copytree(county, tmp_path / "cli")
    run(cli_pkg, mode="exact", source="auto", charts=False)
    cli_rows = pd.read_csv(cli_pkg / "exposure.csv")
    pd.testing.assert_frame_equal(alg_rows, cli_rows)
    loads = context.layersToLoadOnCompletion()
    assert len(loads) == 1
    uri, details = next(iter(loads.items()))
    assert uri.endswith("layername=exposure_villages") and details.postProcessor() is not None
    layer = QgsVectorLayer(uri, "x", "ogr")
    details.postProcessor().postProcessLayer(layer, context, QgsProcessingFeedback())
    assert layer.name() == "人口暴露（按村）" and layer.renderer() is not None


def test_evacuation_and_siting_algorithms_equal_the_jobs(county, tmp_path):
    from risk_one_map.jobs import evacuation, siting
    ev, _ = _run("riskonemap:evacuation", {"PACKAGE": str(county)})
    cli = shutil.copytree(county, tmp_path / "cli")
    job = evacuation.run(cli)
    assert ev["ASSIGNED"] == job.stats["assigned_households"] and ev["UNSERVED"] == job.stats["unserved_households"]
    pd.testing.assert_frame_equal(pd.read_csv(ev["OUTPUT_SHELTER_LOAD"]), pd.read_csv(cli / "shelter_load.csv"))
    si, context = _run("riskonemap:sitedepots", {"PACKAGE": str(county), "MODEL": 0, "K": 2, "TIME_LIMIT": 60})
    job = siting.run(cli, model="pmedian", k=2, time_limit_s=60)
    assert si["OUTPUT_OBJECTIVE"] == pytest.approx(job.summary["objective"], rel=1e-9)
    assert {u.split("=")[-1] for u in context.layersToLoadOnCompletion()} == {"depot_sites", "depot_allocation"}
    iso, _ = _run("riskonemap:isochrones", {"PACKAGE": str(county)})
    assert iso["OUTPUT_PACKAGE"] == str(county)


def test_checkpackage_sampledata_import_and_atlas_run(county, tmp_path):
    check, _ = _run("riskonemap:checkpackage", {"PACKAGE": str(county)})
    assert check["VALID"] is True
    out = tmp_path / "sheets"
    village = pd.read_csv(county / "exposure.csv")["village_code"].astype(str).iloc[0] if (
        county / "exposure.csv").is_file() else None
    import geopandas as gpd
    codes = gpd.read_file(county / "onemap.gpkg", layer="villages")["code"].astype(str).tolist()
    atlas, _ = _run("riskonemap:villageatlas", {"PACKAGE": str(county), "VILLAGES": village or codes[0],
                                                "OUTPUT": str(out)})
    assert atlas["WRITTEN"] == 1 and list(out.rglob("*.pdf"))
    shelters = gpd.read_file(county / "onemap.gpkg", layer="shelters")
    raw = tmp_path / "raw"
    raw.mkdir()
    shelters.rename(columns={"name": "名称"}).to_file(raw / "shelters.gpkg", layer="shelters", driver="GPKG")
    imp, _ = _run("riskonemap:importdata", {"INPUTS": [str(raw / "shelters.gpkg")], "OPEN": False,
                                            "OUTPUT": str(tmp_path / "imported")})
    assert imp["KEPT"] + imp["REPAIRED"] == len(shelters) and (tmp_path / "imported" / "onemap.qgz").is_file()


def test_outputs_load_styled_on_every_run_not_only_the_first(county):
    """The context deletes its post-processors when it ends: a second run must bring its own (it once reused a
    dead one, and the second run's layers were not loaded)."""
    import gc
    for _ in range(2):
        _result, context = _run("riskonemap:isochrones", {"PACKAGE": str(county)})
        (uri, details), = context.layersToLoadOnCompletion().items()
        layer = QgsVectorLayer(uri, "x", "ogr")
        details.postProcessor().postProcessLayer(layer, context, QgsProcessingFeedback())
        assert layer.name() == "避难场所步行等时圈"
        del context, details
        gc.collect()


def test_lowpoints_algorithm_equals_the_job(county, tmp_path):
    from risk_one_map.jobs import lowpoints
    result, context = _run("riskonemap:lowpoints", {"PACKAGE": str(county), "RAIN": "30,120"})
    cli = shutil.copytree(county, tmp_path / "cli")
    job = lowpoints.run(cli, rains_mm=(30, 120))
    assert result["OUTPUT_COUNT"] == len(job.layer) > 0
    assert {u.split("=")[-1] for u in context.layersToLoadOnCompletion()} == {"dem_depressions"}
    import pyogrio
    alg = pyogrio.read_dataframe(county / "onemap.gpkg", layer="dem_depressions", read_geometry=False)
    pd.testing.assert_frame_equal(alg, pyogrio.read_dataframe(cli / "onemap.gpkg", layer="dem_depressions",
                                                              read_geometry=False))


def test_ledger_algorithms_write_the_same_workbook_and_read_it_back(county, tmp_path):
    from openpyxl import load_workbook
    from risk_one_map.jobs.ledger import export
    result, _ = _run("riskonemap:ledger", {"PACKAGE": str(county), "OUT": str(tmp_path / "台账.xlsx")})
    export(county, tmp_path / "cli.xlsx")
    ours, theirs = load_workbook(tmp_path / "台账.xlsx"), load_workbook(tmp_path / "cli.xlsx")
    assert ours.sheetnames == theirs.sheetnames
    assert [[c.value for c in r] for r in ours["全部隐患"].iter_rows()] == \
        [[c.value for c in r] for r in theirs["全部隐患"].iter_rows()]
    back, _ = _run("riskonemap:ledgerimport", {"PACKAGE": str(county), "WORKBOOK": str(tmp_path / "台账.xlsx")})
    assert back["CHANGES"] == 0 and "台账导入" in back["SUMMARY"]


def test_patrol_algorithms_export_a_township_and_merge_it_back(county, tmp_path):
    import pyogrio
    from risk_one_map.layers import model
    town = pyogrio.read_dataframe(county / model.GPKG_NAME, layer="townships", read_geometry=False)["code"][0]
    out = tmp_path / "巡查包"
    result, _ = _run("riskonemap:patrolexport", {"PACKAGE": str(county), "TOWNSHIP": town, "OUT": str(out),
                                                 "INSPECTOR": "巡查员甲"})
    assert (out / model.PATROL_PROJECT).is_file() and "巡查包" in result["SUMMARY"]
    merged, _ = _run("riskonemap:patrolmerge", {"PACKAGE": str(county), "FOLDER": str(out)})
    assert merged["CONFLICTS"] == 0 and "没有新记录" in merged["SUMMARY"]
