"""The county depot siting sheet printed by headless QGIS from every door: real PDFs read back with poppler."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if not shutil.which("pdftotext") or not shutil.which("pdffonts"):
    pytest.skip("poppler-utils (pdftotext, pdffonts) are needed to read the PDFs back", allow_module_level=True)

from risk_one_map.cli import main  # noqa: E402
from risk_one_map.errors import Cancelled, RiskOneMapError  # noqa: E402

from .test_atlas import page_size_mm, pdf_fonts, pdf_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sited(sample_package, tmp_path_factory):
    """A copy of the sample county with p-median results (2 new depots)."""
    from risk_one_map.jobs.siting import run
    pkg = shutil.copytree(sample_package.path, tmp_path_factory.mktemp("sited") / "county")
    run(pkg, model="pmedian", k=2, time_limit_s=30)
    return pkg


@pytest.fixture(scope="module")
def cli_pdf(sited, tmp_path_factory):
    out = tmp_path_factory.mktemp("depot-cli") / "选址图.pdf"
    assert main(["depot-map", str(sited), "--out", str(out), "--png"]) == 0
    return out


def _summary(pkg) -> dict:
    return json.loads((Path(pkg) / "depot_siting.json").read_text(encoding="utf-8"))


def test_cli_writes_the_pdf_and_a_png_and_nothing_else(cli_pdf):
    assert cli_pdf.is_file() and cli_pdf.stat().st_size > 20000
    assert cli_pdf.with_suffix(".png").is_file()
    assert sorted(p.name for p in cli_pdf.parent.iterdir()) == ["选址图.pdf", "选址图.png"]


def test_text_holds_title_depots_and_the_solver_result(sited, cli_pdf):
    import pyogrio
    text = pdf_text(cli_pdf)
    county = pyogrio.read_dataframe(sited / "onemap.gpkg", layer="county")["name"].iloc[0]
    assert f"{county}应急物资储备点选址图" in text
    sites = pyogrio.read_dataframe(sited / "onemap.gpkg", layer="depot_sites")
    assert len(sites) >= 3
    for name in sites["name"]:
        assert name in text
    summary = _summary(sited)
    assert summary["optimal"] and "已证明最优" in text and "未证明最优" not in text
    assert "P-中位模型" in text and "新增储备点2处" in text and "需求：常住人口" in text and "储备点一览" in text
    assert "县级6小时内" in text and "市级8小时内" in text and "省级10小时内" in text
    assert "编制单位：" in text and "数据来源：" in text and "比例尺1:" in text
    assert not any(0x2E80 <= ord(ch) <= 0x2FDF for ch in text), "radicals instead of ideographs"


def test_cjk_font_is_embedded_and_the_page_is_a3_landscape(cli_pdf):
    fonts = [line.split() for line in pdf_fonts(cli_pdf).splitlines()[2:]]
    cjk = [f for f in fonts if "CJK" in f[0] or "Han" in f[0] or "Hei" in f[0] or "YaHei" in f[0]]
    assert cjk and all(f[-5] == "yes" for f in cjk), pdf_fonts(cli_pdf)
    assert page_size_mm(cli_pdf) == (420, 297)


def test_a4_sheet_says_when_the_answer_is_not_proven_optimal(sited, tmp_path):
    from risk_one_map.atlas.depot_sheet import export_depot_sheet
    pkg = shutil.copytree(sited, tmp_path / "county")
    summary = _summary(pkg)
    summary.update(optimal=False, gap=0.0123, bound=summary["objective"] * (1 - 0.0123))
    (pkg / "depot_siting.json").write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    res = export_depot_sheet(pkg, tmp_path / "a4.pdf", page="A4", compile_unit="某某县应急管理局")
    text = pdf_text(res.pdf)
    assert "未证明最优，差距1.23%" in text and "已证明最优" not in text and "某某县应急管理局" in text
    assert page_size_mm(res.pdf) == (297, 210)


def test_without_results_one_line_says_to_run_site_depots(sample_package, tmp_path, capsys):
    out = tmp_path / "x.pdf"
    assert main(["depot-map", str(sample_package.path), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "risk-one-map site-depots" in err and "depot_sites" in err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_printing_never_touches_the_package_and_cancel_leaves_no_file(sited, tmp_path):
    from risk_one_map.atlas.depot_sheet import export_depot_sheet
    before = {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in sited.iterdir()}
    calls = {"n": 0}

    def after_the_layout_is_built():
        calls["n"] += 1
        return calls["n"] > 3

    with pytest.raises(Cancelled):
        export_depot_sheet(sited, tmp_path / "c.pdf", png=True, cancelled=after_the_layout_is_built)
    assert calls["n"] == 4 and not list(tmp_path.iterdir())
    with pytest.raises(RiskOneMapError, match=r"\.pdf"):
        export_depot_sheet(sited, tmp_path / "c.png")
    after = {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in sited.iterdir()}
    assert before == after


@pytest.mark.usefixtures("provider")
def test_processing_algorithm_prints_the_same_sheet_as_the_cli(sited, cli_pdf, sample_package, tmp_path):
    import processing
    from qgis.core import QgsProcessingException, QgsProcessingFeedback
    out = tmp_path / "alg.pdf"
    result = processing.run("riskonemap:depotmap", {"PACKAGE": str(sited), "OUTPUT": str(out)},
                            feedback=QgsProcessingFeedback())
    assert result["OUTPUT"] == str(out) and result["DEPOTS"] >= 3
    assert pdf_text(out) == pdf_text(cli_pdf)
    with pytest.raises(QgsProcessingException, match="site-depots"):
        processing.run("riskonemap:depotmap", {"PACKAGE": str(sample_package.path),
                                               "OUTPUT": str(tmp_path / "y.pdf")}, feedback=QgsProcessingFeedback())


def test_committed_layout_templates_match_the_code():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_layouts.py"), "--check"],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stdout + res.stderr


def test_project_gets_the_depot_layouts_once_siting_has_run(sited, tmp_path):
    """onemap.qgz: the A3 and A4 depot sheets in the layout designer, their own layers beside the package, the
    project still valid when the folder moves; a package without siting results gets none (test_project)."""
    from qgis.core import QgsLayoutExporter, QgsLayoutItemMap, QgsProject
    from qgis.PyQt.QtCore import QSize

    from risk_one_map.atlas.depot_sheet import DEPOT_GPKG, DEPOT_GROUP
    from risk_one_map.layers import model
    from risk_one_map.atlas.project_file import write_project_headless
    pkg = shutil.copytree(sited, tmp_path / "county")
    write_project_headless(pkg)
    assert (pkg / DEPOT_GPKG).is_file()
    moved = shutil.copytree(pkg, tmp_path / "moved")
    project = QgsProject()
    assert project.read(str(moved / model.PROJECT_NAME))
    assert all(layer.isValid() for layer in project.mapLayers().values())
    names = sorted(layout.name() for layout in project.layoutManager().layouts())
    assert names == ["应急物资储备点选址图 A3", "应急物资储备点选址图 A4", "村风险隐患一张图 A3", "村风险隐患一张图 A4"]
    group = project.layerTreeRoot().findGroup(DEPOT_GROUP)
    assert group is not None and not group.isVisible() and project.layerTreeRoot().children()[-1] is group
    layout = project.layoutManager().layoutByName("应急物资储备点选址图 A4")
    main_map = next(i for i in layout.items() if isinstance(i, QgsLayoutItemMap) and i.layers())
    assert {lyr.name() for lyr in main_map.layers()} >= {"应急物资储备点", "村到所属储备点车程"}
    assert all(str(moved) in lyr.source() for lyr in main_map.layers())
    image = QgsLayoutExporter(layout).renderPageToImage(0, QSize(420, 297))
    colours = {image.pixel(x, y) for x in range(0, 420, 7) for y in range(0, 297, 7)}
    assert len(colours) > 8  # a drawn county, not a blank page
    project.clear()
