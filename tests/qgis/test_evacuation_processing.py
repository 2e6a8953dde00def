"""riskonemap:evacuation and riskonemap:isochrones through processing.run, on a copy of the sample county."""
from __future__ import annotations

import shutil

import pytest
from qgis.core import QgsProcessingException, QgsProcessingFeedback


pytestmark = pytest.mark.usefixtures("provider")  # tests/qgis/conftest.py: the plugin's provider, registered


def test_evacuation_and_isochrones_run_and_write_their_layers(sample_package, tmp_path):
    import processing
    import pyogrio
    pkg = shutil.copytree(sample_package.path, tmp_path / "county")
    progress = []
    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(progress.append)
    result = processing.run("riskonemap:evacuation", {"PACKAGE": str(pkg), "WALK_KMH": 4.0, "MINUTES": "5,10"},
                            feedback=feedback)
    assert result["ASSIGNED"] > 0 and result["OUTPUT_SHELTER_LOAD"].endswith("shelter_load.csv")
    names = {n for n, _ in pyogrio.list_layers(pkg / "onemap.gpkg")}
    assert {"evacuation_zones", "evacuees", "evacuation_routes", "shelter_load", "unserved",
            "shelter_isochrones"} <= names
    assert progress and max(progress) == 100
    processing.run("riskonemap:isochrones", {"PACKAGE": str(pkg), "MINUTES": "3"})
    iso = pyogrio.read_dataframe(pkg / "onemap.gpkg", layer="shelter_isochrones", read_geometry=False)
    assert set(iso.minutes) == {3}


def test_evacuation_refuses_a_folder_that_is_not_a_package(tmp_path):
    import processing
    with pytest.raises(QgsProcessingException, match="onemap.gpkg"):
        processing.run("riskonemap:evacuation", {"PACKAGE": str(tmp_path)})
