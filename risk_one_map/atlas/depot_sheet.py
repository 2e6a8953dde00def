"""Print the county depot siting sheet (应急物资储备点选址图): one page, PDF written atomically.

``export_depot_sheet`` is what the CLI (``risk-one-map depot-map``), the Processing algorithm and the demo call:
the siting results read by ``depot_data``, the .qpt of ``depot_template`` loaded and bound to layers QGIS reads
from a private copy of the package (printing never modifies it), the PDF written to a temporary file, its CJK
text made extractable (``pdf_text.fix_tounicode``) and moved into place only when complete. Needs QGIS.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..errors import Cancelled, RiskOneMapError
from ..layers import model
from ..progress import CancelledFn, ProgressFn
from . import depot_template as D
from . import templates as T
from .depot_data import DepotSheetData, build_depot_data, class_colours
from .export import _delete_later_now, checked_template, pdf_settings, write_png

PNG_DPI = 100
MIN_TABLE_PT = 4.5
# Package layers on the main map, top first, with the names the legend shows.
MAP_LAYERS = (("depot_sites", "应急物资储备点"), ("depot_allocation", "服务分配（村 → 储备点）"), ("roads", "道路"),
              ("county", "县界"), ("townships", "乡镇界"))
MINUTES_LAYER = "村到所属储备点车程"
MINUTES_FIELDS = ("code", "name", "depot", "minutes", "people")
# onemap.qgz: the sheet's own layers saved beside the package (memory layers would not survive a save), in a
# collapsed, unchecked group like the village sheets' helpers.
DEPOT_GPKG = "onemap_depot_sheet.gpkg"
DEPOT_GROUP = "选址图制图（勿删）"
UNSERVED = -1.0  # the minutes of a village no depot serves (no demand, no route)


@dataclass
class DepotMapResult:
    pdf: Path
    png: Optional[Path]
    page: str
    depots: int
    notes: list = field(default_factory=list)
    seconds: float = 0.0

    def summary_lines(self) -> list:
        lines = [f"depot siting sheet ({self.page}, {self.depots} depots): {self.pdf}"]
        if self.png is not None:
            lines.append(f"PNG preview: {self.png}")
        return lines + [f"note: {n}" for n in self.notes]


# ------------------------------------------------------------------------------------------------ layers
def _package_layers(gpkg: Path, font: str) -> dict:
    """The package layers of MAP_LAYERS that exist, styled as the project styles them, named for the legend."""
    from qgis.core import QgsVectorLayer
    from ..qgis_glue import style as qgis_style
    from ..qgis_glue.project import gpkg_layer_names
    present = set(gpkg_layer_names(gpkg))
    out = {}
    for name, title in MAP_LAYERS:
        if name not in present:
            continue
        layer = QgsVectorLayer(f"{gpkg}|layername={name}", title, "ogr")
        if not layer.isValid():
            raise RiskOneMapError("QGIS cannot open this layer", file=gpkg, layer=name)
        qgis_style.apply_field_config(layer, model.layer_spec_any(name))
        qgis_style.apply_style(layer, qgis_style.style_key(name, layer.geometryType()), font)
        out[name] = layer
    _depot_symbols(out["depot_sites"])
    if "townships" in out:
        _township_labels(out["townships"])
    return out


def _township_labels(layer) -> None:
    """Township names anywhere inside the township (not only at its centre, where a depot's name may sit), placed
    on the whole polygon rather than its part inside the map (see layout_layers.label_whole_townships)."""
    from qgis.core import QgsPalLayerSettings, QgsVectorLayerSimpleLabeling
    labeling = layer.labeling()
    if isinstance(labeling, QgsVectorLayerSimpleLabeling):
        settings = labeling.settings()
        settings.placement = QgsPalLayerSettings.Horizontal
        settings.centroidWhole = True
        layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))


def _depot_symbols(layer) -> None:
    """New sites and existing depots in distinct shapes and colours (star / diamond, as in the project)."""
    from qgis.core import QgsCategorizedSymbolRenderer, QgsRendererCategory
    from ..qgis_glue.style_marks import marker_symbol
    from ..qgis_glue.style_package import DEPOT_BROWN
    from ..qgis_glue.style_results import DEPOT_PURPLE
    layer.setRenderer(QgsCategorizedSymbolRenderer("status", [
        QgsRendererCategory("new", marker_symbol("star", DEPOT_PURPLE, 6.5, outline_width=0.5), "新建储备点（选址结果）"),
        QgsRendererCategory("existing", marker_symbol("diamond", DEPOT_BROWN, 5.0, outline_width=0.5), "现有储备点")]))


def _minutes_frame(data: DepotSheetData):
    """The villages' shading: MINUTES_FIELDS (no depot: UNSERVED minutes) and geometry."""
    v = data.villages
    return v.assign(minutes=v["minutes"].fillna(UNSERVED))[list(MINUTES_FIELDS) + ["geometry"]]


def _minutes_layer(data: DepotSheetData, font: str):
    """Villages shaded by drive minutes to their depot (graduated, the sheet's classes), names small."""
    import shapely
    from .layout_layers import memory_layer
    shading = _minutes_frame(data)
    layer = memory_layer(MINUTES_LAYER, MINUTES_FIELDS, shading.drop(columns="geometry").to_dict("records"),
                          data.crs, [shapely.to_wkb(g) for g in shading.geometry], numeric=("minutes", "people"))
    _style_minutes(layer, data, font)
    return layer


def _style_minutes(layer, data: DepotSheetData, font: str) -> None:
    from qgis.core import QgsFillSymbol, QgsGraduatedSymbolRenderer, QgsRendererRange
    from ..qgis_glue.style_marks import label_layer

    def fill(colour):
        return QgsFillSymbol.createSimple({"color": colour, "outline_color": "#7a7a7a", "outline_width": "0.15"})

    ranges, lower = [], 0.0
    for bound, colour, label in zip(data.breaks, class_colours(len(data.breaks)), data.class_labels()):
        ranges.append(QgsRendererRange(lower, bound, fill(colour), label))
        lower = bound
    unserved = int(data.villages["minutes"].isna().sum())
    ranges.append(QgsRendererRange(UNSERVED - 0.5, UNSERVED + 0.5, fill("#d9d9d9"), f"无需求或无路可达：{unserved} 村"))
    layer.setRenderer(QgsGraduatedSymbolRenderer("minutes", ranges))
    label_layer(layer, "name", font, 6.5, "#3a3a3a", priority=2)


def _table_layer(data: DepotSheetData):
    from .layout_layers import memory_layer
    fields = tuple(data.depots.columns)
    return memory_layer(D.SHEET_DEPOTS, fields, data.depots.to_dict("records"))


# ------------------------------------------------------------------------------------------------ the layout
def _bind(layout, data: DepotSheetData, layers: dict, minutes, table_layer) -> None:
    """Point the template's map, legend and table at the layers, set the texts and the county extent."""
    from qgis.core import QgsExpressionContextUtils
    from .layout_bind import bind_table, fill_legend, layout_item
    for name, value in data.variables.items():
        QgsExpressionContextUtils.setLayoutVariable(layout, name, value)
    main = layout_item(layout, T.MAIN_MAP, required=True)
    shown = [layers[n] for n, _t in MAP_LAYERS if n in layers] + [minutes]  # the shading under every line
    main.setLayers(shown)
    main.setKeepLayerSet(True)
    main.setCrs(minutes.crs())
    _zoom_to_county(main, layers.get("county") or minutes)
    legend = layout_item(layout, T.LEGEND)
    if legend is not None:
        fill_legend(legend, shown)
    bind_table(layout_item(layout, D.DEPOT_TABLE), table_layer)


def _zoom_to_county(main, layer) -> None:
    """The whole county with a small margin, at a round scale (1:50 000, 1:125 000 ...)."""
    extent = layer.extent()
    extent.scale(1.04)
    main.zoomToExtent(extent)
    scale = main.scale()
    if scale > 0 and math.isfinite(scale):
        step = 10 ** math.floor(math.log10(scale)) / 4
        main.setScale(math.ceil(scale / step - 1e-9) * step)


def _fit_table(layout) -> bool:
    """Shrink the depot table's type (to MIN_TABLE_PT) until its rows fit the frame; False if they still do not."""
    from .layout_bind import layout_item
    from .layout_fit import resized_format
    frame = layout_item(layout, D.DEPOT_TABLE)
    if frame is None:
        return True
    table = frame.multiFrame()
    header, content = table.headerTextFormat(), table.contentTextFormat()
    size = content.size()
    while table.totalHeight() > frame.rect().height() + 0.05 and size - 0.5 >= MIN_TABLE_PT - 1e-9:
        size -= 0.5
        table.setHeaderTextFormat(resized_format(header, header.size() * size / content.size()))
        table.setContentTextFormat(resized_format(content, size))
        table.recalculateFrameSizes()
    return table.totalHeight() <= frame.rect().height() + 0.05


# ------------------------------------------------------------------------------------------------ printing
def export_depot_sheet(package_dir, out_pdf, page: str = "A3", png: bool = False, dpi: float = 150,
                       compile_unit: Optional[str] = None, template=None, progress: Optional[ProgressFn] = None,
                       cancelled: Optional[CancelledFn] = None) -> DepotMapResult:
    """Print the depot siting sheet of the package at ``package_dir`` to ``out_pdf`` (and ``out_pdf`` with .png
    with ``png``). ``template``: an office's edited copy of depots_a3.qpt / depots_a4.qpt. Raises RiskOneMapError
    (one line) when the package has no siting results or on bad input, Cancelled when ``cancelled()`` says so;
    never leaves a partial file."""
    t0 = time.monotonic()
    progress = progress or (lambda f: None)
    cancelled = cancelled or (lambda: False)

    def step(fraction: float) -> None:
        if cancelled():
            raise Cancelled()
        progress(fraction)

    out_pdf = Path(out_pdf)
    if out_pdf.suffix.lower() != ".pdf":
        raise RiskOneMapError("the output must be a .pdf file", file=out_pdf)
    spec = D.spec_for(page)
    template = checked_template(template or D.template_path(spec.name), dpi)
    step(0.0)
    data = build_depot_data(package_dir, compile_unit=compile_unit)
    step(0.1)
    from ..qgis_glue.app import ensure_app
    ensure_app()
    from qgis.core import QgsLayoutExporter, QgsProject
    from ..qgis_glue.fonts import pick_cjk_font
    from .layout import private_copy
    from .layout_bind import load_layout, radical_map
    from .layout_fit import LegendFitter
    from .pdf_text import fix_tounicode
    import shutil
    font = pick_cjk_font()  # fails loudly, before anything is written, when there is no CJK font
    copy = private_copy(package_dir)
    project = QgsProject()
    notes = list(data.notes)
    png_path = out_pdf.with_suffix(".png") if png else None
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_pdf.with_name(f".{out_pdf.stem}.{os.getpid()}.tmp.pdf")
    try:
        layers = _package_layers(copy / model.GPKG_NAME, font)
        minutes, table_layer = _minutes_layer(data, font), _table_layer(data)
        for lyr in list(layers.values()) + [minutes, table_layer]:
            project.addMapLayer(lyr, False)
        project.setCrs(minutes.crs())
        layout = load_layout(project, spec.name, template)
        layout.setName(f"{D.LAYOUT_NAME} {spec.name}")
        _bind(layout, data, layers, minutes, table_layer)
        step(0.4)
        if not _fit_table(layout):
            notes.append("the depot table does not fit its frame even in small type: some rows are cut off")
        LegendFitter(layout).prepare()
        exporter = QgsLayoutExporter(layout)
        result = exporter.exportToPdf(str(tmp), pdf_settings(dpi))
        if result != QgsLayoutExporter.Success:
            raise RiskOneMapError(f"QGIS could not write the PDF (exporter code {result})", file=out_pdf)
        fix_tounicode(tmp, radical_map(font))
        step(0.8)
        if png_path is not None:
            write_png(exporter, png_path, PNG_DPI)
        progress(0.95)
        os.replace(tmp, out_pdf)
    finally:
        if tmp.exists():
            tmp.unlink()
        project.removeAllMapLayers()
        _delete_later_now()
        shutil.rmtree(copy, ignore_errors=True)
    progress(1.0)
    return DepotMapResult(pdf=out_pdf, png=png_path, page=spec.name, depots=data.n_depots, notes=notes,
                          seconds=time.monotonic() - t0)


# ------------------------------------------------------------------------------------------------ onemap.qgz
def has_results(package_dir) -> bool:
    """True when the package holds siting results the sheet can show (depot_sites, depot_allocation, summary)."""
    from ..layers.package import Package
    from .depot_data import missing_results
    pkg = Package(package_dir)
    return pkg.gpkg.is_file() and missing_results(pkg) is None


def write_depot_gpkg(data: DepotSheetData, path) -> Path:
    """The sheet's village shading and depot table as a GeoPackage, written whole or not at all."""
    import pyogrio
    from ..layers.package import atomic_path
    path = Path(path)
    with atomic_path(path, suffix=".gpkg") as tmp:
        pyogrio.write_dataframe(_minutes_frame(data), tmp, layer="depot_minutes", driver="GPKG",
                                promote_to_multi=True)
        pyogrio.write_dataframe(data.depots.astype(str), tmp, layer=D.SHEET_DEPOTS, driver="GPKG")
    return path


def add_depot_layouts(project, pkg_path, pages=("A3", "A4")) -> list:
    """Add the county depot sheet layouts (A3 and A4 by default) to ``project``, for planners to adjust and print
    in the layout designer. The sheet's own layers go to ``<pkg>/onemap_depot_sheet.gpkg`` (rewritten on each
    call) and into a collapsed, unchecked group; the package layers are opened again with the sheet's styles and
    legend names. Returns the layouts added; none when the package has no siting results."""
    from qgis.core import QgsVectorLayer
    from ..qgis_glue.fonts import pick_cjk_font
    from .layout import add_or_replace_layout, hidden_group, remove_group
    from .layout_bind import load_layout
    pkg = Path(pkg_path)
    if not has_results(pkg):
        return []
    data = build_depot_data(pkg)
    remove_group(project, DEPOT_GROUP)  # a live project may hold the file open
    gpkg = write_depot_gpkg(data, pkg / DEPOT_GPKG)
    font = pick_cjk_font()
    layers = _package_layers(pkg / model.GPKG_NAME, font)
    minutes = QgsVectorLayer(f"{gpkg}|layername=depot_minutes", MINUTES_LAYER, "ogr")
    table = QgsVectorLayer(f"{gpkg}|layername={D.SHEET_DEPOTS}", D.SHEET_DEPOTS, "ogr")
    for lyr, name in ((minutes, "depot_minutes"), (table, D.SHEET_DEPOTS)):
        if not lyr.isValid():
            raise RiskOneMapError("QGIS cannot open the depot sheet layer", file=gpkg, layer=name)
    _style_minutes(minutes, data, font)
    hidden_group(project, DEPOT_GROUP, list(layers.values()) + [minutes, table])
    added = []
    for size in pages:
        spec = D.spec_for(size)
        layout = load_layout(project, spec.name, D.template_path(spec.name))
        layout.setName(f"{D.LAYOUT_NAME} {spec.name}")
        _bind(layout, data, layers, minutes, table)
        _fit_table(layout)
        add_or_replace_layout(project, layout)
        added.append(layout)
    return added
