"""riskonemap:sitedepots through processing.run, as the toolbox, the modeler and qgis_process run it."""
from __future__ import annotations

import json
import shutil

import pytest
from qgis.core import QgsProcessingException, QgsProcessingFeedback


pytestmark = pytest.mark.usefixtures("provider")  # tests/qgis/conftest.py: the plugin's provider, registered


def test_sitedepots_runs_pmedian_and_writes_the_summary(sample_package, tmp_path):
    import processing
    pkg = tmp_path / "county"
    shutil.copytree(sample_package.path, pkg)
    feedback = QgsProcessingFeedback()
    result = processing.run("riskonemap:sitedepots", {"PACKAGE": str(pkg), "MODEL": 0, "K": 2}, feedback=feedback)
    summary = json.loads((pkg / "depot_siting.json").read_text(encoding="utf-8"))
    assert summary["model"] == "pmedian" and summary["optimal"] and summary["n_new"] == 2
    assert result["OUTPUT_OBJECTIVE"] == pytest.approx(summary["objective"])
    assert result["OUTPUT_GAP"] == pytest.approx(summary["gap"])


def test_sitedepots_bad_k_is_a_processing_exception(sample_package, tmp_path):
    import processing
    pkg = tmp_path / "county"
    shutil.copytree(sample_package.path, pkg)
    with pytest.raises(QgsProcessingException, match="larger than"):
        processing.run("riskonemap:sitedepots", {"PACKAGE": str(pkg), "MODEL": 3, "K": 500})
    assert not (pkg / "depot_siting.json").exists()
