"""Village sheets printed by headless QGIS: real PDFs, read back with poppler (pdftotext, pdffonts, pdfinfo)."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("qgis.core")
if not shutil.which("pdftotext") or not shutil.which("pdffonts"):
    pytest.skip("poppler-utils (pdftotext, pdffonts) are needed to read the PDFs back", allow_module_level=True)

from risk_one_map.atlas.export import export_village_sheets, sheet_path  # noqa: E402
from risk_one_map.atlas.sheet_data import build_sheet_data  # noqa: E402
from risk_one_map.errors import Cancelled  # noqa: E402


def pdf_text(path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())  # table cells may wrap: compare without white space


def pdf_fonts(path) -> str:
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout


def page_size_mm(path) -> tuple:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    line = next(x for x in info.splitlines() if x.startswith("Page size:"))
    w, h = (float(v) for v in line.split(":")[1].split("pts")[0].split("x"))
    return round(w / 72 * 25.4), round(h / 72 * 25.4)


def _pick(data, n=3) -> list:
    """The villages with the most to print: hazards first, then roster length (a handful keeps the suite fast)."""
    score = {c: (len(data.rows("hazards", c)), len(data.rows("persons", c))) for c in data.villages["code"]}
    return sorted(score, key=lambda c: score[c], reverse=True)[:n]


@pytest.fixture(scope="module")
def sheets(sample_package, tmp_path_factory):
    data = build_sheet_data(sample_package.path)
    codes = _pick(data)
    out = tmp_path_factory.mktemp("atlas")
    from risk_one_map.atlas.export import SheetRenderer
    every = SheetRenderer.REBUILD_PAGES
    SheetRenderer.REBUILD_PAGES = 2  # the project is rebuilt mid-run (flat memory): the later pages must not tell
    try:
        res = export_village_sheets(sample_package.path, out, villages=codes, png_preview=True, merge_township=True)
    finally:
        SheetRenderer.REBUILD_PAGES = every
    assert len(codes) > 2
    return data, codes, out, res


def test_one_pdf_per_village_named_by_township_code_and_name(sheets):
    data, codes, out, res = sheets
    assert len(res.written) == len(codes) and not res.skipped
    for code in codes:
        v = data.village(code)
        path = sheet_path(out, v["township"], code, v["name"])
        assert path.is_file() and path.parent.name == v["township"] and path.name == f"{code}_{v['name']}.pdf"
        assert path.with_suffix(".png").is_file()
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]
    assert res.merged and all(p.is_file() for p in res.merged)


def test_text_holds_village_hazards_shelters_and_people(sheets):
    data, codes, out, res = sheets
    hazards_seen = 0
    for code in codes:
        v = data.village(code)
        text = pdf_text(sheet_path(out, v["township"], code, v["name"]))
        assert v["title"] in text and v["name"] in text
        for name in data.rows("hazards", code)["name"]:
            assert name in text
            hazards_seen += 1
        for name in data.rows("shelters", code)["name"]:
            assert name in text
        for name, phone in zip(data.rows("persons", code)["name"], data.rows("persons", code)["phone"]):
            assert name in text and phone in text
        assert not any(0x2E80 <= ord(ch) <= 0x2FDF for ch in text), "radicals instead of ideographs"
        assert "尚未进行撤离分析" in text  # the sample county has no evacuation results
    assert hazards_seen > 0


def test_cjk_font_is_embedded_and_page_is_a3_landscape(sheets):
    data, codes, out, res = sheets
    path = res.written[0]
    fonts = [line.split() for line in pdf_fonts(path).splitlines()[2:]]
    cjk = [f for f in fonts if "CJK" in f[0] or "Han" in f[0] or "Hei" in f[0] or "YaHei" in f[0]]
    assert cjk, pdf_fonts(path)
    assert all("yes" == f[-5] for f in cjk)  # the "emb" column
    assert page_size_mm(path) == (420, 297)


def test_rerun_skips_up_to_date_sheets_and_force_prints_again(sheets, sample_package):
    data, codes, out, res = sheets
    again = export_village_sheets(sample_package.path, out, villages=codes[:1])
    assert not again.written and len(again.skipped) == 1
    forced = export_village_sheets(sample_package.path, out, villages=codes[:1], force=True)
    assert len(forced.written) == 1


def test_printing_never_touches_the_package(sample_package, tmp_path):
    before = {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in sample_package.path.iterdir()}
    export_village_sheets(sample_package.path, tmp_path, villages=[sorted(build_sheet_data(
        sample_package.path).villages["code"])[0]], page="A4")
    after = {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in sample_package.path.iterdir()}
    assert before == after
    pdf = next(tmp_path.rglob("*.pdf"))
    assert page_size_mm(pdf) == (210, 297)


def test_a_cancelled_export_leaves_no_pdf(sample_package, tmp_path):
    with pytest.raises(Cancelled):
        export_village_sheets(sample_package.path, tmp_path / "a", cancelled=lambda: True)
    assert not list(tmp_path.rglob("*.pdf"))
    calls = {"n": 0}

    def after_first_page():  # the first check is before planning, then one check per page
        calls["n"] += 1
        return calls["n"] > 2

    with pytest.raises(Cancelled):
        export_village_sheets(sample_package.path, tmp_path / "b", cancelled=after_first_page)
    pdfs = list((tmp_path / "b").rglob("*.pdf"))
    assert len(pdfs) == 1 and all(p.stat().st_size > 10000 for p in pdfs)
    assert not [p for p in (tmp_path / "b").rglob("*") if ".tmp" in p.name]


@pytest.fixture(scope="module")
def routed_package(tmp_path_factory):
    """The hand-made tiny package plus evacuation results and a roster too long for one page."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import LineString

    from risk_one_map.layers.package import write_package
    from tests.tiny import CRS, X0, Y0, tiny_layers
    layers = tiny_layers()
    layers["evacuation_routes"] = gpd.GeoDataFrame(
        {"village_code": ["110109002201"], "shelter_id": ["S1"], "people": [120]},
        geometry=[LineString([(X0 + 1500, Y0 + 500), (X0 + 1000, Y0 + 980), (X0 + 800, Y0 + 800)])], crs=CRS)
    many = pd.DataFrame({"village_code": ["110109001202"] * 60, "name": [f"网格员{i}号" for i in range(60)],
                         "role": ["网格员"] * 60, "phone": [f"1390000{i:04d}" for i in range(60)]})
    layers["persons"] = pd.concat([layers["persons"], many], ignore_index=True)
    return write_package(tmp_path_factory.mktemp("routed") / "pkg", layers).path


def test_routes_print_without_the_note_and_long_tables_continue(routed_package, tmp_path, monkeypatch):
    from risk_one_map.atlas import print_workers
    monkeypatch.setattr(print_workers, "PAGES_PER_PROCESS", 1)  # two pages, two processes: this one and another
    res = export_village_sheets(routed_package, tmp_path, villages=["110109002201", "110109001202"], workers=2)
    assert res.workers == 2 and len(res.written) == 2 and len(res.startups) == 2
    routed = pdf_text(sheet_path(tmp_path, "西镇", "110109002201", "西一村"))
    assert "尚未进行撤离分析" not in routed and "沿图中绿色箭头所示道路撤离至东一村小学" in routed
    long = sheet_path(tmp_path, "东镇", "110109001202", "东二村")
    text = pdf_text(long)
    assert all(f"网格员{i}号" in text and f"1390000{i:04d}" in text for i in range(60))  # no row cut off
    pages = int(next(x for x in subprocess.run(["pdfinfo", str(long)], capture_output=True, text=True).stdout
                     .splitlines() if x.startswith("Pages:")).split()[1])
    assert pages >= 2 and "（续，第2页）" in text


def _sheets(out) -> dict:
    """{path under out: (pages, the text's characters sorted)}: QGIS may place a map label differently from one
    run to the next, so the characters are compared, not their order."""
    out = Path(out)
    pages = lambda p: int(next(x for x in subprocess.run(["pdfinfo", str(p)], capture_output=True, text=True)  # noqa: E731
                               .stdout.splitlines() if x.startswith("Pages:")).split()[1])
    return {p.relative_to(out): (pages(p), sorted(pdf_text(p))) for p in sorted(out.rglob("*.pdf"))}


def test_two_processes_and_a_kept_project_print_the_single_process_sheets(routed_package, tmp_path, monkeypatch):
    """The same PDFs (paths, pages, text) from one process, from two (this one and another), and township by
    township from one kept sheet project (the province's QGIS server), which loads it once."""
    from risk_one_map.atlas import print_workers
    from risk_one_map.atlas.export import KeptRenderer
    alone = export_village_sheets(routed_package, tmp_path / "one")
    assert alone.workers == 1 and len(alone.startups) == 1
    monkeypatch.setattr(print_workers, "PAGES_PER_PROCESS", 2)  # 4 villages: 2 processes
    two = export_village_sheets(routed_package, tmp_path / "two", workers=3)
    assert two.workers == 2 and len(two.startups) == 2 and all(s.cpu_seconds > 0 for s in two.startups)
    kept = KeptRenderer()
    try:
        export_village_sheets(routed_package, tmp_path / "kept", township="110109001000", kept=kept)
        first = kept.renderer
        export_village_sheets(routed_package, tmp_path / "kept", township="110109002000", kept=kept)
        assert kept.renderer is first  # the second township printed from the project loaded for the first
    finally:
        kept.close()
    expected = _sheets(tmp_path / "one")
    assert len(expected) == 4
    assert _sheets(tmp_path / "two") == expected
    assert _sheets(tmp_path / "kept") == expected


def test_a_second_process_only_when_the_pages_repay_its_start_up():
    from risk_one_map.atlas.print_workers import PAGES_PER_PROCESS, process_count
    assert process_count(2, PAGES_PER_PROCESS * 2 - 1, cores=2) == 1
    assert process_count(2, PAGES_PER_PROCESS * 2, cores=2) == 2
    assert process_count(4, 1000, cores=2) == 2 and process_count(1, 1000, cores=8) == 1


def test_village_layouts_in_a_qgis_project(routed_package, tmp_path):
    """The designer's path: atlas layouts added to a project survive a save and print from the reloaded project."""
    from qgis.core import Qgis, QgsLayoutExporter, QgsProject, QgsRenderContext

    from risk_one_map.atlas.layout import add_village_layouts
    from risk_one_map.atlas.layout_bind import radical_map
    from risk_one_map.qgis_glue.fonts import pick_cjk_font
    from risk_one_map.qgis_glue.project import load_package
    project, reloaded = QgsProject(), QgsProject()
    qgz = Path(routed_package) / "atlas-test.qgz"
    try:
        layers = load_package(project, routed_package)
        layouts = add_village_layouts(project, routed_package, pages=["A3", "A4"], layers=layers)
        assert [lay.name() for lay in layouts] == ["村风险隐患一张图 A3", "村风险隐患一张图 A4"]
        project.setFilePathStorage(Qgis.FilePathType.Relative)
        assert project.write(str(qgz)) and reloaded.read(str(qgz))
        layout = reloaded.layoutManager().layoutByName("村风险隐患一张图 A3")
        atlas = layout.atlas()
        assert atlas.enabled() and atlas.updateFeatures() == 4
        settings = QgsLayoutExporter.PdfExportSettings()
        settings.textRenderFormat = QgsRenderContext.TextFormatAlwaysText
        atlas.beginRender()
        assert atlas.seekTo(0)
        assert QgsLayoutExporter(layout).exportToPdf(str(tmp_path / "p.pdf"), settings) == QgsLayoutExporter.Success
        atlas.endRender()
        # QGIS's own export keeps Qt's radical ToUnicode entries (only ours fixes them): map them back to compare.
        text = pdf_text(tmp_path / "p.pdf").translate(radical_map(pick_cjk_font()))
        assert "东镇东一村风险隐患一张图" in text and "张三" in text and "13800000001" in text
    finally:
        project.clear()
        reloaded.clear()
        for name in ("onemap_sheets.gpkg", "atlas-test.qgz"):
            if (Path(routed_package) / name).exists():
                os.remove(Path(routed_package) / name)


def test_processing_algorithm_prints_and_reports_bad_codes(routed_package, tmp_path):
    import processing
    from qgis.core import QgsApplication, QgsProcessingException, QgsProcessingFeedback

    import risk_one_map
    plugin = risk_one_map.classFactory(None)
    plugin.initProcessing()
    try:
        assert QgsApplication.processingRegistry().algorithmById("riskonemap:villageatlas") is not None
        result = processing.run("riskonemap:villageatlas", {
            "PACKAGE": str(routed_package), "VILLAGES": "110109001201", "PAGE": 1, "OUTPUT": str(tmp_path)},
            feedback=QgsProcessingFeedback())
        assert result["WRITTEN"] == 1 and (tmp_path / "东镇" / "110109001201_东一村.pdf").is_file()
        assert page_size_mm(tmp_path / "东镇" / "110109001201_东一村.pdf") == (210, 297)
        with pytest.raises(QgsProcessingException, match="no village with code 42"):
            processing.run("riskonemap:villageatlas", {"PACKAGE": str(routed_package), "VILLAGES": "42",
                                                       "OUTPUT": str(tmp_path)}, feedback=QgsProcessingFeedback())
    finally:
        plugin.unload()


def test_no_cjk_font_fails_loudly_instead_of_printing_boxes(routed_package, tmp_path, monkeypatch):
    from risk_one_map.errors import MissingDependency
    from risk_one_map.qgis_glue import fonts as qgis_fonts

    def none_installed(*args, **kwargs):
        raise MissingDependency(qgis_fonts.FONT_INSTALL_HINT)

    monkeypatch.setattr(qgis_fonts, "pick_cjk_font", none_installed)
    with pytest.raises(MissingDependency, match="fonts-noto-cjk"):
        export_village_sheets(routed_package, tmp_path, villages=["110109001201"])
    assert not list(tmp_path.rglob("*.pdf"))


def test_a_legend_too_long_for_its_box_gets_another_column_and_smaller_type(routed_package, tmp_path):
    from qgis.core import QgsLayoutSize, QgsLegendStyle

    from risk_one_map.atlas.export import SheetJob, SheetRenderer
    renderer = SheetRenderer(routed_package, build_sheet_data(routed_package))
    try:
        legend = renderer.layout.itemById("legend")
        legend.attemptResize(QgsLayoutSize(75, 22))
        renderer.render(SheetJob("110109002201", tmp_path / "a.pdf"))
        assert renderer.legend_fitter.overflows()  # the template's settings are back for the next village
        size = legend.styleFont(QgsLegendStyle.SymbolLabel).pointSizeF()
        assert renderer.legend_fitter.fit() and not renderer.legend_fitter.overflows()
        assert legend.columnCount() in (2, 3) and legend.styleFont(QgsLegendStyle.SymbolLabel).pointSizeF() < size
        renderer.legend_fitter.restore()
        assert legend.columnCount() == 2 and legend.styleFont(QgsLegendStyle.SymbolLabel).pointSizeF() == size
    finally:
        renderer.close()


def test_an_edited_template_still_prints(routed_package, tmp_path):
    """A county office's copy of the .qpt, without the locator map and the exposure table and with a moved title."""
    from qgis.core import QgsLayoutPoint, QgsProject, QgsReadWriteContext

    from risk_one_map.atlas import templates
    from risk_one_map.atlas.layout_bind import load_layout
    project = QgsProject()  # the layout needs its project alive
    layout = load_layout(project, "A3")
    for item_id in (templates.LOCATOR_MAP, templates.LOCATOR_TITLE, templates.EXPOSURE_TABLE,
                    templates.EXPOSURE_TABLE + "_title", templates.EXPOSURE_NOTE):
        layout.removeLayoutItem(layout.itemById(item_id))
    layout.itemById(templates.TITLE).attemptMove(QgsLayoutPoint(10, 12))
    edited = tmp_path / "our_county_a3.qpt"
    assert layout.saveAsTemplate(str(edited), QgsReadWriteContext())
    res = export_village_sheets(routed_package, tmp_path / "out", villages=["110109001201"], template=edited)
    text = pdf_text(res.written[0])
    assert "东镇东一村风险隐患一张图" in text and "张三" in text and "人口暴露" not in text


def test_latin_letters_and_digits_stay_searchable(tmp_path):
    """Noto Sans CJK's digits after Latin letters print right but once extracted as nothing ("G108" -> "G"):
    the sheets' texts put a Latin family first."""
    from qgis.core import (QgsLayoutExporter, QgsLayoutItemLabel, QgsLayoutPoint, QgsLayoutSize, QgsPrintLayout,
                           QgsProject)

    from risk_one_map.atlas.export import pdf_settings
    from risk_one_map.atlas.layout_bind import apply_font
    from risk_one_map.qgis_glue.fonts import pick_cjk_font
    layout = QgsPrintLayout(QgsProject.instance())
    layout.initializeDefaults()
    label = QgsLayoutItemLabel(layout)
    label.setText("G108国道边坡 ABC 123 电话 13800000085")
    layout.addLayoutItem(label)
    label.attemptMove(QgsLayoutPoint(10, 10))
    label.attemptResize(QgsLayoutSize(200, 20))
    apply_font(layout, pick_cjk_font())
    pdf = tmp_path / "latin.pdf"
    assert QgsLayoutExporter(layout).exportToPdf(str(pdf), pdf_settings(150)) == QgsLayoutExporter.Success
    text = pdf_text(pdf)
    assert "G108国道边坡" in text and "ABC123" in text and "13800000085" in text  # pdf_text drops spaces


def test_a_print_process_that_dies_ends_the_run_with_why(sample_package, tmp_path, monkeypatch):
    """Batch print with 2 processes whose interpreter cannot import the plugin (another Python first on PATH):
    the run ends at once with one line naming the interpreter, instead of waiting at 5 % for pages that never
    come; nothing half-written is left."""
    from risk_one_map.atlas import export
    from risk_one_map.errors import RiskOneMapError
    broken = tmp_path / "python3"
    broken.write_text("#!/bin/sh\necho 'ModuleNotFoundError: No module named risk_one_map' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(export, "_python_executable", lambda: str(broken))
    from multiprocessing import spawn
    before = spawn.get_executable()
    with pytest.raises(RiskOneMapError, match=f"ended unexpectedly.*{broken}"):
        export_village_sheets(sample_package.path, tmp_path / "out", workers=2, in_process=False, force=True)
    assert not list((tmp_path / "out").rglob("*.pdf")) if (tmp_path / "out").exists() else True
    # the interpreter is every spawn's (a Dask LocalCluster's workers too): the broken one was not left behind
    assert spawn.get_executable() == before


def test_a_real_looking_village_prints_true_lines_on_one_page(tmp_path):
    """Four shelters with long real names (one closed), 3,757 people who must leave and none placed, exposure run
    with no risk zones: one page; the red line, the exposure sentence, cut names with an ellipsis, no arrows text."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    from risk_one_map.layers.package import write_package
    from tests.tiny import CRS, X0, Y0, tiny_layers
    layers = {k: v for k, v in tiny_layers().items() if k != "risk_zones"}
    names = ["臺北市政府社會局附設臺北市東明住宿長照機構(委託財團法人台北市私立愛愛院經營管理)",
             "財團法人台北市私立菲拉鐵非兒少之家", "「咱ㄟ社區」吉慶社區據點", "臺北市私立陽明山老人長期照顧中心(養護型)"]
    layers["shelters"] = gpd.GeoDataFrame(
        {"id": [f"S{i}" for i in range(4)], "name": names, "shelter_class": ["emergency"] * 4,
         "capacity": [300.0] * 4, "village_code": ["110109001201"] * 4},
        geometry=[Point(X0 + 200 + 150 * i, Y0 + 300) for i in range(4)], crs=CRS)
    layers["shelter_load"] = pd.DataFrame({"shelter_id": ["S0", "S1", "S2", "S3"], "assigned": [0] * 4,
                                           "status": ["in danger zone", "no road", "no road", "no road"]})
    layers["evacuees"] = gpd.GeoDataFrame({"household_id": ["c1"], "village_code": ["110109001201"],
                                           "people": [3757.0], "shelter_id": [None]},
                                          geometry=[Point(X0 + 100, Y0 + 100)], crs=CRS)
    layers["evacuation_villages"] = pd.DataFrame({"village_code": ["110109001201"], "people": [3757.0]})
    layers["exposure"] = pd.DataFrame({"village_code": pd.Series([], dtype=str), "hazard_type": [],
                                       "risk_level": [], "population": []})
    pkg = write_package(tmp_path / "pkg", layers).path
    res = export_village_sheets(pkg, tmp_path / "out", villages=["110109001201"])
    pdf = res.written[0]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert next(x for x in info.splitlines() if x.startswith("Pages:")).split()[1] == "1"
    text = pdf_text(pdf)
    assert "3,757人无安置场所！请立即联系村支书张三13800000001" in text
    assert "安置地点：无" in text and "绿色箭头" not in text
    assert "无风险区划数据，未能分析人口暴露" in text and "尚未进行人口暴露分析" not in text
    assert "臺北市政府社會局附設臺北市東明住宿長照" in text and "…" in text and "經營管理)" not in text
    assert "距离(步行/直线)" in text


def test_map_labels_keep_off_the_frame_north_arrow_scale_bar_and_notes(routed_package):
    from risk_one_map.atlas import templates
    from risk_one_map.atlas.layout import build_sheet_project
    sheet = build_sheet_project(routed_package)
    try:
        main = sheet.layout.itemById(templates.MAIN_MAP)
        assert main.labelMargin().length() == 4.0
        blocking = {main.isLabelBlockingItem(sheet.layout.itemById(i)) for i in (
            templates.NORTH_ARROW, templates.SCALEBAR, templates.SCALE_TEXT, templates.ROUTE_NOTE)}
        assert blocking == {True}
    finally:
        sheet.close()
