from risk_one_map.layers import model


def test_gauss_kruger_epsg_codes_follow_the_cgcs2000_tables():
    assert model.gauss_kruger_epsg(117, 3) == 4548  # CM 117E, zone 39, no prefix
    assert model.gauss_kruger_epsg(117, 3, with_zone_prefix=True) == 4527
    assert model.gauss_kruger_epsg(117, 6) == 4509  # zone 20 (CM 117E), no prefix
    assert model.gauss_kruger_epsg(117, 6, with_zone_prefix=True) == 4498
    assert model.default_projected_epsg(116.1) == 4548


def test_hazard_keys_from_chinese_labels_and_synonyms():
    assert model.hazard_key("地质灾害") == "geologic"
    assert model.hazard_key("水旱") == "flood"
    assert model.hazard_key("森林草原火灾风险区") == "forest_fire"
    assert model.hazard_key("Earthquake") == "earthquake"
    assert model.hazard_key("火山") is None


def test_risk_levels_one_is_highest_on_both_scales():
    assert [model.risk_level_from_label(t) for t in ("高", "中高", "中", "中低", "低")] == [1, 2, 3, 4, 5]
    assert [model.risk_level_from_label(t, scale=4) for t in ("极高", "高", "中", "低")] == [1, 2, 3, 4]
    assert model.risk_level_from_label("高风险区") == 1
    assert model.risk_level_from_label(3) == 3
    assert model.risk_level_from_label(7) is None
    assert model.level_label(2) == "中高" and model.level_label(2, scale=4) == "高"


def test_danger_level_thresholds():
    assert model.danger_level_for_people(1200) == "特大型"
    assert model.danger_level_for_people(500) == "大型"
    assert model.danger_level_for_people(99) == "小型"


def test_defaults_say_whether_they_come_from_a_norm():
    assert model.DEFAULTS["radius_emergency_m"].source == "GB 50413-2007"
    assert not model.DEFAULTS["walk_kmh"].is_norm


def test_every_layer_has_chinese_aliases_for_every_field():
    for spec in model.LAYERS:
        assert spec.zh and spec.group in model.GROUPS
        for f in spec.fields:
            assert f.zh and f.type in ("str", "int", "float")
