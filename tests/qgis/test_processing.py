"""The riskonemap algorithms through processing.run, as the toolbox, the modeler and qgis_process run them."""
from __future__ import annotations

import re

import pytest
from qgis.core import QgsProcessingException, QgsProcessingFeedback


pytestmark = pytest.mark.usefixtures("provider")  # tests/qgis/conftest.py: the plugin's provider, registered


class Feedback(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.lines = []

    def pushInfo(self, info):  # noqa: N802
        self.lines.append(info)
        super().pushInfo(info)


def test_algorithms_have_stable_names_help_and_icon(provider):
    for alg in provider.algorithms():
        assert alg.name() == alg.name().lower() and alg.shortHelpString() and not alg.icon().isNull()
        help_text = alg.shortHelpString()
        assert "\u4e00" <= help_text[0] <= "\u9fff", f"{alg.name()}: help starts in Chinese"  # township staff
        assert not re.search(r"<(?!br>)", help_text), f"{alg.name()}: a bare <...> is eaten as HTML"


def test_checkpackage_reports_a_valid_sample_county(sample_package):
    import processing
    result = processing.run("riskonemap:checkpackage", {"PACKAGE": str(sample_package.path)}, feedback=Feedback())
    assert result["ERRORS"] == 0 and result["VALID"] is True
    assert str(sample_package.path) in result["REPORT"]


def test_checkpackage_counts_errors_in_a_bad_package(tiny_package):
    import processing
    result = processing.run("riskonemap:checkpackage", {"PACKAGE": str(tiny_package.path)})
    assert result["ERRORS"] >= 1 and result["VALID"] is False and "volcano" in result["REPORT"]


def test_checkpackage_refuses_a_folder_that_is_not_a_package(tmp_path):
    import processing
    with pytest.raises(QgsProcessingException, match="onemap.gpkg"):
        processing.run("riskonemap:checkpackage", {"PACKAGE": str(tmp_path)})


def test_sampledata_writes_a_package_and_its_project(tmp_path):
    import processing
    out = tmp_path / "sample"
    feedback = Feedback()
    progress = []
    feedback.progressChanged.connect(progress.append)
    result = processing.run("riskonemap:sampledata", {"VILLAGES": 8, "SEED": 3, "OPEN": False, "OUTPUT": str(out)},
                            feedback=feedback)
    assert result["OUTPUT"] == str(out) and (out / "onemap.gpkg").is_file()
    assert result["PROJECT"] == str(out / "onemap.qgz") and (out / "onemap.qgz").is_file()
    assert progress and max(progress) == 100


def test_sampledata_can_be_cancelled_and_leaves_nothing(tmp_path):
    import processing
    out = tmp_path / "cancelled"
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException):
        processing.run("riskonemap:sampledata", {"VILLAGES": 8, "OUTPUT": str(out), "OPEN": False}, feedback=feedback)
    assert not out.exists() or not any(out.iterdir())


def test_algorithms_in_qgis_task_threads_run_again_and_again(tiny_package):
    """QGIS Desktop runs algorithms as tasks on its reused pool threads; pyproj's per-thread context must survive
    from one run to the next there (deps.keep_proj_context), else the second run on a thread crashes."""
    import time

    from qgis.core import QgsApplication, QgsProcessingAlgRunnerTask, QgsProcessingContext, QgsTask
    alg = QgsApplication.processingRegistry().createAlgorithmById("riskonemap:checkpackage")
    runs = []
    for _ in range(6):
        context, feedback = QgsProcessingContext(), QgsProcessingFeedback()
        task = QgsProcessingAlgRunnerTask(alg, {"PACKAGE": str(tiny_package.path)}, context, feedback)
        done = []
        task.executed.connect(lambda ok, results, done=done: done.append((ok, results)))
        QgsApplication.taskManager().addTask(task)
        deadline = time.monotonic() + 60
        while not done and time.monotonic() < deadline:
            QgsApplication.processEvents()
            time.sleep(0.01)
        runs.append(done[0] if done else (False, {}))
        del context, feedback, task
    assert [ok for ok, _ in runs] == [True] * 6 and all(r["VALID"] is False for _, r in runs)
