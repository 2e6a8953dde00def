"""riskonemap:warning through processing.run: the same numbers as the job, from codes and from an area layer."""
from __future__ import annotations

import shutil

import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer

pytestmark = pytest.mark.usefixtures("provider")  # tests/qgis/conftest.py: the plugin's provider, registered


def test_warning_from_codes_gives_the_jobs_numbers(sample_package, tmp_path):
    import processing
    from risk_one_map.analysis.warning_cap import manual_warning
    from risk_one_map.jobs.warning import run
    pkg = shutil.copytree(sample_package.path, tmp_path / "county")
    result = processing.run("riskonemap:warning", {"PACKAGE": str(pkg), "CODES": "130696102, 130696103",
                                                   "LEVEL": 0, "HAZARD": 4, "OUT": str(tmp_path / "out")})
    job = run(pkg, manual_warning(codes=["130696102", "130696103"], level="红", hazard="flood")).plan.stats
    assert result["MOVE_HOUSEHOLDS"] == job["move_households"] > 0 and result["CALLS"] == job["calls"]
    assert result["SUMMARY"].startswith("暴雨洪涝红色预警")
    assert (tmp_path / "out" / "叫应名单.csv").is_file()


def test_warning_from_an_area_layer(sample_package, tmp_path):
    import processing
    pkg = shutil.copytree(sample_package.path, tmp_path / "county")
    area = QgsVectorLayer(f"{pkg / 'onemap.gpkg'}|layername=villages|subset=\"code\" = '130696103201'", "area", "ogr")
    assert area.isValid()
    result = processing.run("riskonemap:warning", {"PACKAGE": str(pkg), "AREA": area, "LEVEL": 1, "HAZARD": 2})
    assert result["SUMMARY"].startswith("地质灾害气象风险橙色预警：涉及 1 个乡镇 1 个村")


def test_warning_needs_a_cap_codes_or_an_area(sample_package):
    import processing
    with pytest.raises(QgsProcessingException, match="CAP"):
        processing.run("riskonemap:warning", {"PACKAGE": str(sample_package.path)})
