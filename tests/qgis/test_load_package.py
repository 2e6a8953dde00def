"""load_package: every layer of a package in a project, valid, named and aliased in Chinese, styled, grouped."""
from __future__ import annotations

import pytest
from qgis.core import (QgsCategorizedSymbolRenderer, QgsLayerTreeLayer, QgsProject, QgsRasterLayer, QgsVectorLayer,
                       QgsWkbTypes)

from risk_one_map.layers import model
from risk_one_map.qgis_glue import style as qgis_style
from risk_one_map.qgis_glue.fonts import is_installed
from risk_one_map.qgis_glue.project import GROUP_ANALYSIS, gpkg_layer_names, load_package, risk_zone_layer_name

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
    names = set(gpkg_layer_names(sample_package.gpkg)) - {model.SOURCES_TABLE}  # metadata, not a map layer
    keys = {_model_name(k) for k in layers}
    assert names <= keys
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
        assert colours == {k: v for k, v in model.RISK_LEVEL_COLOURS.items() if k in colours}
        assert set(colours) >= {1, 2, 3, 4}
        labels = [c.label() for c in renderer.categories()]
        assert len(labels) == len(set(labels)), labels  # each class once (a four-level release has no 5)
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


# ------------------------------------------------------------------------------------------------ analysis outputs
OUTPUT_RENDERER = {  # renderer type, checked in the legend by default
    "depot_sites": ("categorizedSymbol", True), "unserved": ("singleSymbol", True),
    "shelter_load": ("RuleRenderer", False), "evacuees": ("singleSymbol", False),
    "evacuation_routes": ("singleSymbol", True), "depot_allocation": ("singleSymbol", False),
    "evacuation_zones": ("RuleRenderer", True), "shelter_isochrones": ("graduatedSymbol", False),
    "exposure_villages": ("graduatedSymbol", False),
}
OUTPUT_LABELLED = {"depot_sites", "unserved", "shelter_load", "evacuation_zones"}


@pytest.fixture(scope="module")
def analysed(sample_package, tmp_path_factory):
    """A copy of the sample county with every analysis run, loaded into a project."""
    import shutil
    from risk_one_map.jobs import evacuation, exposure, siting
    pkg = tmp_path_factory.mktemp("analysed") / "county"
    shutil.copytree(sample_package.path, pkg)
    exposure.run(pkg, charts=False)
    evacuation.run(pkg)
    siting.run(pkg, k=2, time_limit_s=20)
    project = QgsProject()
    layers = load_package(project, pkg)
    yield project, layers
    project.clear()


def test_every_output_has_its_own_style_from_a_qml_and_a_sensible_default_visibility(analysed):
    project, layers = analysed
    group = project.layerTreeRoot().findGroup(GROUP_ANALYSIS)
    assert project.layerTreeRoot().children()[0] is group
    for name, (renderer, shown) in OUTPUT_RENDERER.items():
        layer = layers[name]
        assert layer.name() == model.OUTPUT_LAYER_TITLES[name]
        assert qgis_style.style_key(name, layer.geometryType()) == name
        assert qgis_style.style_path(name).is_file(), name
        assert layer.renderer().type() == renderer, name
        node = group.findLayer(layer.id())
        assert node is not None and node.itemVisibilityChecked() == shown, name
        assert layer.labelsEnabled() == (name in OUTPUT_LABELLED), name
        if layer.labelsEnabled():
            assert is_installed(layer.labeling().settings().format().font().family()), name
    assert layers["evacuees"].hasScaleBasedVisibility() and layers["evacuees"].minimumScale() > 0
    # points over lines over polygons
    rank = {QgsWkbTypes.PointGeometry: 0, QgsWkbTypes.LineGeometry: 1, QgsWkbTypes.PolygonGeometry: 2}
    order = [rank.get(n.layer().geometryType(), 3) for n in group.children()]
    assert order == sorted(order)


def test_output_fields_all_have_chinese_aliases(analysed):
    _, layers = analysed
    for name in OUTPUT_RENDERER:
        layer = layers[name]
        for i, f in enumerate(layer.fields()):
            if f.name() != "fid":
                assert layer.attributeAlias(i) not in ("", f.name()), (name, f.name())
    reason = layers["unserved"].editorWidgetSetup(layers["unserved"].fields().indexOf("reason"))
    assert {v: k for item in reason.config()["map"] for k, v in item.items()}["no route"] == "无可达路线"


def test_output_symbols_follow_the_domain_colours(analysed):
    from qgis.core import QgsMarkerLineSymbolLayer
    _, layers = analysed
    route = layers["evacuation_routes"].renderer().symbol()
    parts = [route.symbolLayer(i) for i in range(route.symbolLayerCount())]
    assert model.ROUTE_COLOUR in {p.color().name() for p in parts}  # a green line under a white casing
    assert any(isinstance(p, QgsMarkerLineSymbolLayer) for p in parts)  # with arrows
    rules = layers["shelter_load"].renderer().rootRule().children()
    assert [r.symbol().color().name() for r in rules[:3]] == [model.SHELTER_COLOUR, model.WARNING_COLOURS[2],
                                                              model.WARNING_COLOURS[1]]
    assert rules[-1].isElse()
    ranges = layers["exposure_villages"].renderer().ranges()
    assert ranges[0].upperValue() == 0 and ranges[1].lowerValue() == 0
    uppers = [r.upperValue() for r in ranges]
    assert uppers == sorted(uppers)
    lightness = [r.symbol().color().lightness() for r in ranges[1:]]
    assert lightness == sorted(lightness, reverse=True)  # light -> dark red


def test_an_output_of_another_geometry_gets_the_generic_style():
    assert qgis_style.style_key("evacuees", QgsWkbTypes.PolygonGeometry) == "analysis_polygon"
    assert qgis_style.style_key("something_else", QgsWkbTypes.LineGeometry) == "analysis_line"


def test_the_risk_layer_shown_first_is_the_most_pressing_hazard(loaded, sample_package):
    """One hazard at a time: the one with the most zones at levels 1-2 is shown (not simply the first listed)."""
    import geopandas as gpd
    zones = gpd.read_file(sample_package.path / model.GPKG_NAME, layer="risk_zones")
    high = zones[zones["risk_level"] <= 2]["hazard_type"].value_counts()
    project, _layers = loaded
    group = project.layerTreeRoot().findGroup(model.GROUP_RISK)
    shown = [n for n in group.children() if n.itemVisibilityChecked()]
    assert group.isMutuallyExclusive() and len(shown) == 1
    assert shown[0].name() == risk_zone_layer_name(high.index[0])


def test_a_four_level_release_shows_each_level_once_in_the_legend():
    """Geologic 易发区 releases use 极高/高/中/低 for 1..4: the five-level class 5 (低风险) must not show beside the
    data's own 低 (level 4) in another colour."""
    from qgis.core import QgsFeature
    layer = QgsVectorLayer("Polygon?crs=EPSG:4548&field=risk_level:integer&field=level_label:string", "geo", "memory")
    features = []
    for level, label in ((1, "极高"), (2, "高"), (3, "中"), (4, "低")):
        f = QgsFeature(layer.fields())
        f.setAttributes([level, label])
        features.append(f)
    layer.dataProvider().addFeatures(features)
    qgis_style.build_style(layer, "risk_zones", None)
    qgis_style.relabel_risk_levels(layer)
    labels = [c.label() for c in layer.renderer().categories()]
    assert labels == ["极高风险", "高风险", "中风险", "低风险"]


def test_land_use_is_loaded_under_the_roads_hidden_pale_and_aliased(tiny_package, tmp_path):
    """A 地类图斑 layer covers the whole county: it comes unchecked, at the bottom of 路网与人口, styled from its QML."""
    import shutil
    import geopandas as gpd
    from shapely.geometry import box
    from risk_one_map.layers.package import Package
    pkg = Package(shutil.copytree(tiny_package.path, tmp_path / "pkg"))
    county = gpd.read_file(pkg.gpkg, layer="county")
    x0, y0, x1, y1 = county.total_bounds
    pkg.write_layers({"land_use": gpd.GeoDataFrame(
        {"id": ["T1"], "code": ["0103"], "name": ["旱地"]}, geometry=[box(x0, y0, x1, y1)], crs=county.crs)})
    project = QgsProject()
    layers = load_package(project, pkg.path)
    land = layers["land_use"]
    node = project.layerTreeRoot().findLayer(land.id())
    assert land.name() == "土地利用（地类图斑）" and node.parent().name() == model.GROUP_NETWORK
    assert not node.itemVisibilityChecked() and land.renderer().type() == "singleSymbol"
    assert land.attributeAlias(land.fields().indexOf("code")) == "地类编码"
    assert node.parent().children()[-1] is node or isinstance(node.parent().children()[-1].layer(), QgsRasterLayer)
    project.clear()


def test_a_ledger_site_s_form_lists_its_own_treatment_records(loaded):
    """隐患治理记录 point at a site by layer and id: one relation per site layer and ledger table, on both, so the
    form of a geohazard point (or a low point, or a ledger site) lists that site's records, never another layer's."""
    project, layers = loaded
    manager = project.relationManager()
    treatments = layers["hazard_treatment"]
    checked = 0
    for name in ("hazard_sites", "geohazard_points", "flood_lowpoints"):
        sites = layers[name]
        relation, = [r for r in manager.referencedRelations(sites) if r.referencingLayerId() == treatments.id()]
        assert relation.name() == "隐患治理记录"  # the title of its part of the form
        expected: dict = {}
        for record in treatments.getFeatures():
            if record["site_layer"] == name:
                expected[record["site_id"]] = expected.get(record["site_id"], 0) + 1
        assert expected, name  # the sample ledger has records for each kind of site
        for site in sites.getFeatures():
            got = list(relation.getRelatedFeatures(site))
            assert len(got) == expected.get(site["id"], 0), (name, site["id"])
            assert all(g["site_layer"] == name and g["site_id"] == site["id"] for g in got)
            checked += len(got)
        key = sites.fields().indexOf("ledger_layer")  # the project's virtual field, not the package's data
        assert sites.fields().fieldOrigin(key) == sites.fields().OriginExpression
        assert sites.editorWidgetSetup(key).type() == "Hidden"
    assert checked == treatments.featureCount()
    site_layer = treatments.editorWidgetSetup(treatments.fields().indexOf("site_layer"))
    assert site_layer.type() == "ValueMap" and {"地质灾害隐患点": "geohazard_points"} in site_layer.config()["map"]
    assert treatments.displayExpression().startswith('represent_value("status")')
    if "hazard_history" in layers:
        history = layers["hazard_history"]
        assert len([r for r in manager.relations().values() if r.referencingLayerId() == history.id()]) == 3
