"""The plugin's UI headless: the township dock prints a village, the analyst dialogs label their defaults and run
as tasks, tasks report errors and cancellation, .ui files hold no signal connections, translations load."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from qgis.core import Qgis, QgsProject

import risk_one_map
from risk_one_map import i18n, settings
from risk_one_map.errors import RiskOneMapError
from risk_one_map.layers import model
from risk_one_map.ui.tasks import BaseTask, JobTask, wait

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def county(sample_package, tmp_path):
    """A private copy of the sample county (the session's package stays untouched)."""
    return shutil.copytree(sample_package.path, tmp_path / "county")


@pytest.fixture
def plugin(iface):
    QgsProject.instance().clear()
    p = risk_one_map.classFactory(iface)
    p.initGui()
    yield p
    p.unload()
    QgsProject.instance().clear()


# ------------------------------------------------------------------------------------------------ the dock
def test_dock_lists_townships_and_villages_in_chinese_and_zooms_to_a_village(plugin, iface, county):
    dock = plugin.dock
    assert dock in iface.docks
    assert dock.set_package(county)
    assert settings.value("last_package") == str(county)
    towns = [dock.township_combo.itemText(i) for i in range(dock.township_combo.count())]
    assert towns and all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in towns)
    village = dock.villages[-1]
    assert dock.select_village(village["code"])
    assert dock.village_combo.currentText() == village["name"]
    # the package was loaded into the project, and the canvas shows the village
    layer = dock._find_villages_layer()
    assert layer is not None and layer.selectedFeatureCount() == 1
    feature = next(layer.getFeatures(f"\"code\" = '{village['code']}'"))
    assert iface.canvas.extent().contains(feature.geometry().boundingBox())
    assert settings.project_value("village") == village["code"]


def test_dock_prints_the_village_sheet_in_the_background(plugin, iface, county):
    dock = plugin.dock
    dock.set_package(county)
    village = dock.villages[0]
    dock.select_village(village["code"])
    task = dock.print_village()
    assert not dock.print_village_button.isEnabled()  # one print at a time
    assert wait(task, 240), "the print task did not finish"
    assert task.exception is None, task.trace
    pdfs = list((county / "atlas").rglob(f"{village['code']}_*.pdf"))
    assert len(pdfs) == 1 and pdfs[0].stat().st_size > 10000
    title, text, level = iface.messages[-1]
    assert level == Qgis.Success and pdfs[0].name in text
    assert iface.bar.widgets[-1].findChildren(type(dock.print_village_button))  # the "open folder" button
    assert dock.print_village_button.isEnabled()


def test_dock_reports_a_failed_print_in_one_line(plugin, iface, county):
    dock = plugin.dock
    dock.set_package(county)
    dock.select_village(dock.villages[0]["code"])
    (county / model.GPKG_NAME).write_bytes(b"not a geopackage")
    task = dock.print_village()
    assert wait(task, 120)
    title, text, level = iface.messages[-1]
    assert level == Qgis.Critical and "\n" not in text


def test_dock_refuses_a_folder_that_is_not_a_package(plugin, iface, tmp_path):
    assert not plugin.dock.set_package(tmp_path)
    assert iface.messages[-1][2] == Qgis.Critical


# ------------------------------------------------------------------------------------------------ tasks
class _Boom(BaseTask):
    def _run(self):
        raise RiskOneMapError("bad value", layer="villages", field="code")


class _Slow(BaseTask):
    def _run(self):
        import time
        for i in range(500):
            self.setProgress(i / 5)
            time.sleep(0.01)
        return "never"


def test_task_errors_and_cancellation_reach_the_main_thread():
    seen = []
    task = _Boom("boom", on_error=seen.append).start()
    assert wait(task, 30) and isinstance(seen[0], RiskOneMapError) and "layer villages" in str(seen[0])
    seen.clear()
    slow = _Slow("slow", on_done=seen.append, on_error=seen.append).start()
    slow.cancel()
    assert wait(slow, 30)
    from risk_one_map.errors import Cancelled
    assert len(seen) == 1 and isinstance(seen[0], Cancelled)


def _crs_name(progress=None, cancelled=None):
    import pyproj
    return pyproj.CRS("EPSG:4548").name


def test_tasks_on_reused_pool_threads_keep_their_proj_context():
    """pyproj freed a pool thread's PROJ context with the task's thread state and crashed in the next task on
    that thread (deps.keep_proj_context); QGIS's pool has a thread or two per core, so eight tasks reuse them."""
    for _ in range(8):
        task = JobTask("crs", _crs_name, qgis_objects=True).start()
        assert wait(task, 30) and task.exception is None and task.result == "CGCS2000 / 3-degree Gauss-Kruger CM 117E"


# ------------------------------------------------------------------------------------------------ dialogs
def test_analysis_dialogs_label_every_default_with_its_source(iface):
    from qgis.PyQt.QtWidgets import QLabel
    from risk_one_map.ui.analysis_dialog import AnalysisDialog, source_label
    dialog = AnalysisDialog(iface, "evacuation", package="/nowhere")
    labels = {w.objectName(): w.text() for w in dialog.findChildren(QLabel) if w.objectName().startswith("source_")}
    assert labels["source_walk_kmh"] == source_label(model.DEFAULTS["walk_kmh"])
    assert "默认值" in labels["source_evac_radius_landslide_m"] or "default" in labels["source_evac_radius_landslide_m"]
    texts = " ".join(w.text() for w in dialog.findChildren(QLabel))
    assert "GB 50413-2007" in texts  # the norm-backed shelter values are shown with their norm
    siting = AnalysisDialog(iface, "siting", package="/nowhere")
    assert "2024 national guidance" in " ".join(w.text() for w in siting.findChildren(QLabel))
    # an edited default goes to the job, an untouched one does not
    spec, spin = dialog.widgets["evac_radius_landslide_m"]
    spin.setValue(250)
    args = dialog.arguments()
    assert args["radii"] == {"landslide": 250.0} and args["walk_kmh"] == model.DEFAULTS["walk_kmh"].value
    assert dialog.run() is None and "onemap.gpkg" in dialog.status.text()


def test_exposure_dialog_runs_the_job_and_adds_styled_outputs(iface, county):
    from risk_one_map.ui.analysis_dialog import AnalysisDialog
    QgsProject.instance().clear()
    dialog = AnalysisDialog(iface, "exposure", package=county)
    dialog.widgets["charts"][1].setChecked(False)
    task = dialog.run()
    assert wait(task, 180) and task.exception is None, task.trace
    assert (county / "exposure.csv").is_file()
    names = [lyr.name() for lyr in QgsProject.instance().mapLayers().values()]
    assert "人口暴露（按村）" in names
    assert iface.messages[-1][2] == Qgis.Success
    QgsProject.instance().clear()


def test_siting_dialog_prints_the_county_depot_sheet_when_done(iface, county):
    from risk_one_map.ui.analysis_dialog import PRINT_SHEET, AnalysisDialog
    QgsProject.instance().clear()
    dialog = AnalysisDialog(iface, "siting", package=county)
    assert dialog.print_sheet() and PRINT_SHEET not in dialog.arguments()  # a dialog option, not the job's
    task = dialog.run()
    assert wait(task, 300) and task.exception is None, task.trace
    printing = dialog.task
    assert printing is not task and not dialog.run_button.isEnabled()
    assert wait(printing, 300) and printing.exception is None, printing.trace
    pdf = county / "atlas" / "depot_map.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-" and dialog.run_button.isEnabled()
    assert iface.messages[-1][2] == Qgis.Success and "depot_map.pdf" in iface.messages[-1][1]
    assert "depot_map.pdf" in dialog.status.text()
    # the sheet's layouts are in the open project too, for the layout designer
    names = {layout.name() for layout in QgsProject.instance().layoutManager().layouts()}
    assert {"应急物资储备点选址图 A3", "应急物资储备点选址图 A4"} <= names
    QgsProject.instance().clear()


def test_import_dialog_previews_layers_and_field_mapping(county, tmp_path):
    import geopandas as gpd
    from risk_one_map.ui.import_dialog import ImportDialog
    shelters = gpd.read_file(county / model.GPKG_NAME, layer="shelters")
    raw = tmp_path / "raw"
    raw.mkdir()
    # a ledger's own abbreviation for the capacity (容纳数量 -> RNSL) that no preset knows
    renamed = shelters.rename(columns={"name": "名称", "capacity": "RNSL", "shelter_class": "类别"})
    renamed.to_file(raw / "避难场所.gpkg", layer="避难场所", driver="GPKG")
    dialog = ImportDialog(None)
    task = dialog.add_files([raw / "避难场所.gpkg"])
    assert wait(task, 60) and task.exception is None, task.trace
    assert dialog.rows and dialog.rows[0]["target"] == "shelters"
    dialog.files.selectRow(0)

    def mapped():
        return {dialog.fields.item(i, 0).text(): dialog.fields.cellWidget(i, 2).currentData()
                for i in range(dialog.fields.rowCount())}
    assert mapped()["name"] == "名称" and not mapped()["capacity"]
    row = next(i for i in range(dialog.fields.rowCount()) if dialog.fields.item(i, 0).text() == "capacity")
    picker = dialog.fields.cellWidget(row, 2)
    picker.setCurrentIndex(picker.findData("RNSL"))  # the user picks the column from the list
    assert mapped()["capacity"] == "RNSL"
    dialog.out_edit.setText(str(tmp_path / "out"))
    task = dialog.run_import()
    assert wait(task, 120) and task.exception is None, task.trace
    assert (tmp_path / "out" / model.GPKG_NAME).is_file() and "kept" in dialog.report.toPlainText()
    imported = gpd.read_file(tmp_path / "out" / model.GPKG_NAME, layer="shelters")
    assert sorted(imported["capacity"]) == sorted(shelters["capacity"])


# ------------------------------------------------------------------------------------------------ .ui, i18n
def test_ui_files_hold_no_signal_connections():
    for ui in (ROOT / "risk_one_map").rglob("*.ui"):
        assert "<connections>" not in ui.read_text(encoding="utf-8"), ui


def test_locale_is_looked_up_full_then_two_letters_then_english():
    assert i18n.candidates("zh_CN")[:2] == ["zh_CN", "zh"]
    assert i18n.candidates("zh_TW")[0] == "zh_TW" and "zh_CN" in i18n.candidates("zh_TW")
    assert i18n.candidates("en_US") == ["en_US", "en"]
    assert i18n.candidates("fr_FR")[-1] == "en"


def test_translations_load_for_english_and_chinese(tmp_path):
    from risk_one_map.i18n import tr
    try:
        assert i18n.install_translator("en_US") == "en"
        assert tr("打印本村一张图") == "Print this village's map"
        assert i18n.install_translator("zh_CN") == "zh_CN"
        assert tr("打印本村一张图") == "打印本村一张图"
    finally:
        i18n.remove_translator()


def test_every_ui_string_has_an_english_translation():
    import importlib.util
    spec = importlib.util.spec_from_file_location("update_translations", ROOT / "scripts" / "update_translations.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    sources = set(mod.extract_strings())
    en = {s: t for _, s, t, _ in i18n.read_ts(i18n.I18N_DIR / "risk_one_map_en.ts")}
    zh = {s: t for _, s, t, _ in i18n.read_ts(i18n.I18N_DIR / "risk_one_map_zh_CN.ts")}
    assert sources and not [s for s in sources if not en.get(s)], "run scripts/update_translations.py"
    assert not [s for s in sources if not zh.get(s)]


def test_pure_python_qm_matches_what_qt_reads(tmp_path):
    from qgis.PyQt.QtCore import QCoreApplication, QTranslator
    qm = tmp_path / "en.qm"
    n = i18n.compile_ts(i18n.I18N_DIR / "risk_one_map_en.ts", qm)
    translator = QTranslator()
    assert n > 20 and translator.load(str(qm))
    QCoreApplication.installTranslator(translator)
    try:
        assert QCoreApplication.translate(i18n.CONTEXT, "打开一张图包…") == "Open a one-map package…"
    finally:
        QCoreApplication.removeTranslator(translator)


# ------------------------------------------------------------------------------------------------ which package
def _other_package(county, tmp_path):
    from risk_one_map.atlas.project_file import write_project_headless
    write_project_headless(county)  # onemap.qgz, as sample-data and import write it
    other = shutil.copytree(county, tmp_path / "other")
    settings.remember_package(other)  # e.g. an import into another folder just before
    return Path(other)


def test_the_open_projects_package_wins_over_the_last_one_used(plugin, iface, county, tmp_path):
    other = _other_package(county, tmp_path)
    assert QgsProject.instance().read(str(Path(county) / "onemap.qgz"))
    assert plugin.dock.package == Path(county)  # followed the project as it opened
    assert plugin.dock.township_combo.count() > 0 and plugin.dock.print_township_button.isEnabled()
    assert plugin.open_analysis("evacuation").package_edit.text() == str(county)
    assert settings.current_package() == Path(county)
    QgsProject.instance().clear()  # no package project open: the last one used is the default
    assert settings.current_package() == other and plugin.dock.package == other


def test_a_new_dock_on_an_open_package_project_leaves_it_unchanged(iface, county, tmp_path):
    _other_package(county, tmp_path)
    project = QgsProject.instance()
    assert project.read(str(Path(county) / "onemap.qgz")) and not project.isDirty()
    p = risk_one_map.classFactory(iface)
    p.initGui()
    try:
        assert p.dock.package == Path(county)
        p.dock.select_village(p.dock.villages[0]["code"])  # looking at a village is not an edit
        assert not project.isDirty()  # QGIS would ask "save the current project?" at exit
        assert settings.project_value("village") == p.dock.villages[0]["code"]
    finally:
        p.unload()
        project.clear()


def test_loading_a_package_again_replaces_it_instead_of_doubling_its_groups(plugin, county):
    project = QgsProject.instance()
    own = project.layerTreeRoot().addGroup("我的图层")  # the user's own (empty) group stays
    plugin.load(county)
    count = len(project.mapLayers())
    plugin.load(county)  # e.g. Processing's 生成示例县 with "load into the current project", run twice
    assert len(project.mapLayers()) == count
    names = [child.name() for child in project.layerTreeRoot().children()]
    assert names.count(Path(county).name) <= 1 and len(names) == len(set(names)) and own.name() in names


def test_dock_prints_the_whole_township_with_one_merged_pdf(plugin, iface, county):
    dock = plugin.dock
    dock.set_package(county)
    task = dock.print_township()
    assert wait(task, 400), "the print task did not finish"
    assert task.exception is None, task.trace
    merged = list((county / "atlas").glob("*_合订本.pdf"))
    assert len(merged) == 1 and merged[0].name in iface.messages[-1][1]


def test_the_dialogs_result_text_is_chinese_for_every_analysis(county):
    """result_lines says nothing rather than something wrong for a result of another shape: so each real result
    must give its sentences."""
    from risk_one_map.jobs import evacuation, exposure, siting
    from risk_one_map.ui.result_text import result_lines
    for key, job, options, word in (("exposure", exposure.run, {"charts": False}, "统计常住人口"),
                                    ("evacuation", evacuation.run, {}, "须撤离"),
                                    ("siting", siting.run, {"model": "pmedian", "k": 1}, "建议新增")):
        lines = result_lines(key, job(county, **options))
        assert lines and word in lines[0], (key, lines)
