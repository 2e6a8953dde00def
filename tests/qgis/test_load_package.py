"""load_package: every layer of a package in a project, valid, named and aliased in Chinese, styled, grouped."""
from __future__ import annotations

import pytest
from qgis.core import (QgsCategorizedSymbolRenderer, QgsLayerTreeLayer, QgsProject, QgsRasterLayer, QgsVectorLayer,
                       QgsWkbTypes)

from risk_one_map.layers import model, qgis_style
from risk_one_map.layers.qgis_fonts import is_installed
from risk_one_map.layers.qgis_project import GROUP_ANALYSIS, gpkg_layer_names, load_package, risk_zone_layer_name

EXPECTED_RENDERER = {
    "county": "singleSymbol", "townships": "singleSymbol", "villages": "singleSymbol",
    "risk_zones": "categorizedSymbol", "geohazard_points": "categorizedSymbol", "geohazard_zones": "singleSymbol",
    "flood_lowpoints": "singleSymbol", "shelters": "categorizedSymbol", "depots": "singleSymbol",
    "depot_candidates": "singleSymbol", "roads": "categorizedSymbol", "households": "RuleRenderer",
    "population": "singlebandpseudocolor", "dem": "hillshade", "persons": None,
}
LABELLED = {"townships", "villages", "geohazard_points", "flood_lowpoints", "shelters", "depots", "roads"}


@pytest.fixture(scope="module")
def loaded(sample_package):
    project = QgsProject()
    layers = load_package(project, sample_package.path)
    yield project, layers
    project.clear()


def _model_name(key: str) -> str:
    return key.split(":")[0]


def test_every_package_layer_is_loaded_and_valid(loaded, sample_package):
    project, layers = loaded
    names = gpkg_layer_names(sample_package.gpkg)
    keys = {_model_name(k) for k in layers}
    assert set(names) <= keys
    assert {"population", "dem"} <= keys
    for key, layer in layers.items():
        assert layer.isValid(), key
        assert project.mapLayer(layer.id()) is layer


def test_layers_are_named_in_chinese_with_chinese_aliases(loaded):
    _, layers = loaded
    for key, layer in layers.items():
        spec = model.LAYER_BY_NAME.get(_model_name(key))
        if spec is None:
            continue
        if key.startswith("risk_zones:"):
            assert layer.name() == risk_zone_layer_name(key.split(":")[1])
        else:
            assert layer.name() == spec.zh
        for f in spec.fields:
            idx = layer.fields().indexOf(f.name)
            if idx >= 0:
                assert layer.attributeAlias(idx) == f.zh, (key, f.name)


def test_coded_values_show_in_chinese(loaded):
    _, layers = loaded
    layer = layers["geohazard_points"]
    setup = layer.editorWidgetSetup(layer.fields().indexOf("kind"))
    assert setup.type() == "ValueMap"
    shown = {v: k for item in setup.config()["map"] for k, v in item.items()}
    assert shown["landslide"] == "滑坡"


def test_styles_are_the_expected_kind_and_come_from_the_qml_files(loaded):
    _, layers = loaded
    for key, layer in layers.items():
        name = _model_name(key)
        if name in EXPECTED_RENDERER:
            renderer = layer.renderer()
            assert (renderer.type() if renderer is not None else None) == EXPECTED_RENDERER[name], key
    zones = [layer for key, layer in layers.items() if key.startswith("risk_zones:")]
    assert zones
    for layer in zones:
        renderer = layer.renderer()
        assert isinstance(renderer, QgsCategorizedSymbolRenderer) and renderer.classAttribute() == "risk_level"
        colours = {int(c.value()): c.symbol().color().name() for c in renderer.categories()}
        assert colours == model.RISK_LEVEL_COLOURS
        assert 0 < layer.opacity() < 1
        assert layer.subsetString().startswith('"hazard_type"')


def test_labels_use_an_installed_cjk_font(loaded):
    _, layers = loaded
    for name in LABELLED & set(layers):
        layer = layers[name]
        assert layer.labelsEnabled(), name
        family = layer.labeling().settings().format().font().family()
        assert is_installed(family), (name, family)


def test_groups_follow_the_model_and_layers_stack_points_lines_polygons_rasters(loaded):
    project, _ = loaded
    root = project.layerTreeRoot()
    group_names = [g.name() for g in root.children()]
    assert group_names == [g for g in model.GROUPS if g in group_names]
    rank = {QgsWkbTypes.PointGeometry: 0, QgsWkbTypes.LineGeometry: 1, QgsWkbTypes.PolygonGeometry: 2,
            QgsWkbTypes.NullGeometry: 3, QgsWkbTypes.UnknownGeometry: 3}
    for group in root.children():
        order = []
        for node in group.children():
            assert isinstance(node, QgsLayerTreeLayer)
            layer = node.layer()
            order.append(4 if isinstance(layer, QgsRasterLayer) else rank[layer.geometryType()])
            key = next(k for k, v in loaded[1].items() if v is layer)
            spec = model.LAYER_BY_NAME.get(_model_name(key))
            if spec is not None:
                assert spec.group == group.name(), key
        assert order == sorted(order), group.name()
    risk = root.findGroup(model.GROUP_RISK)
    if len(risk.children()) > 1:
        assert risk.isMutuallyExclusive()


def test_what_is_shown_by_default(loaded):
    project, layers = loaded
    root = project.layerTreeRoot()
    assert not root.findLayer(layers["population"].id()).itemVisibilityChecked()
    assert root.findLayer(layers["dem"].id()).itemVisibilityChecked()
    households = layers.get("households")
    if households is not None:
        assert households.hasScaleBasedVisibility() and households.minimumScale() > 0
    assert root.findLayer(layers["geohazard_points"].id()).isVisible()


def test_tiny_package_analysis_layer_other_hazards_and_four_level_labels(tiny_package):
    project = QgsProject()
    layers = load_package(project, tiny_package.path)
    root = project.layerTreeRoot()
    assert root.children()[0].name() == GROUP_ANALYSIS
    assert root.findGroup(GROUP_ANALYSIS).findLayer(layers["exposure_zones"].id()) is not None
    assert layers["exposure_zones"].renderer().type() == "singleSymbol"
    assert layers["risk_zones:other"].featureCount() == 1
    assert layers["risk_zones:geologic"].featureCount() == 2
    labels = {int(c.value()): c.label() for c in layers["risk_zones:geologic"].renderer().categories()}
    assert labels[1] == "极高风险" and labels[3] == "中风险" and labels[5] == "低风险"
    assert isinstance(layers["persons"], QgsVectorLayer) and not layers["persons"].isSpatial()
    # population classes re-cut at this raster's own values, zeros transparent
    items = layers["population"].renderer().shader().rasterShaderFunction().colorRampItemList()
    assert items[0].value == 0 and items[0].color.alpha() == 0
    assert [i.value for i in items[1:-1]] == sorted(i.value for i in items[1:-1])
    project.clear()


def test_style_falls_back_to_code_when_a_qml_is_missing(tiny_package, tmp_path, monkeypatch):
    monkeypatch.setattr(qgis_style, "STYLE_DIR", tmp_path)
    layer = QgsVectorLayer(f"{tiny_package.gpkg}|layername=shelters", "shelters", "ogr")
    assert qgis_style.apply_style(layer, "shelters") == "code"
    assert layer.renderer().type() == "categorizedSymbol" and layer.labelsEnabled()


def test_a_folder_without_onemap_gpkg_is_refused(tmp_path):
    from risk_one_map.errors import RiskOneMapError
    project = QgsProject()
    with pytest.raises(RiskOneMapError, match="onemap.gpkg"):
        load_package(project, tmp_path)
    assert not project.mapLayers()
