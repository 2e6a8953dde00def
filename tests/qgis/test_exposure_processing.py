"""The exposure Processing algorithm, run directly (the provider registers it separately), on the sample county."""
from __future__ import annotations

import shutil

import pytest
from qgis.core import QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback

from risk_one_map.processing.alg_exposure import ExposureAlgorithm


def test_exposure_algorithm_writes_the_csv_and_reports_progress(sample_package, tmp_path):
    pkg = shutil.copytree(sample_package.path, tmp_path / "county")
    alg = ExposureAlgorithm().create()
    assert alg.name() == "exposure" and alg.group() == "分析 Analysis"
    progress = []
    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(progress.append)
    result, ok = alg.run({"PACKAGE": str(pkg), "MODE": 0, "SOURCE": 0, "CHARTS": False}, QgsProcessingContext(),
                         feedback)
    assert ok and result["OUTPUT_CSV"] == str(pkg / "exposure.csv") and (pkg / "exposure.csv").is_file()
    assert progress and max(progress) == 100


def test_bad_input_becomes_a_processing_exception(tmp_path):
    alg = ExposureAlgorithm().create()
    with pytest.raises(QgsProcessingException, match="onemap.gpkg"):
        alg.processAlgorithm({"PACKAGE": str(tmp_path), "MODE": 0, "SOURCE": 0, "CHARTS": False},
                             QgsProcessingContext(), QgsProcessingFeedback())
